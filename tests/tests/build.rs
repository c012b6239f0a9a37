//! Building blocks through the engine owner: FCU(head, attributes) → get payload → new payload →
//! FCU(new head), with the in-memory engine.

use alloy_primitives::B256;
use light_cl::{BuildError, EngineStep};
use light_cl_protocol::L2BlockRef;
use light_cl_tests::{next_block_attributes, rig::L2_PER_L1, Rig};
use op_alloy_rpc_types_engine::OpPayloadAttributes;

/// Attributes of the block after `parent`, opening with the L1 info deposit of its origin.
fn attributes(rig: &Rig, parent: L2BlockRef) -> OpPayloadAttributes {
    let number = parent.number + 1;
    let origin = rig.l1.block(number / L2_PER_L1);
    next_block_attributes(parent, origin, number % L2_PER_L1, rig.config.block_time, number as u8)
}

#[tokio::test]
async fn builds_on_the_head_and_makes_each_block_the_head() {
    let rig = Rig::new(5).await;
    let mut head = rig.main(5);
    for _ in 0..3 {
        let built = rig.owner.build(head, attributes(&rig, head)).await.unwrap().head;
        assert_eq!(built.number, head.number + 1);
        assert_eq!(built.parent_hash, head.hash);
        assert_eq!(built.timestamp, head.timestamp + 2);
        assert_eq!(
            built.l1_origin,
            rig.l1.block(built.number / L2_PER_L1).id(),
            "read back from the deposit"
        );
        assert_eq!(built.sequence_number, built.number % L2_PER_L1);
        assert_eq!(rig.engine.labels().0, built);
        head = built;
    }
    assert_eq!(rig.view.get().unsafe_l2, head, "the view follows the built head");
}

#[tokio::test]
async fn a_refused_build_says_which_step() {
    let rig = Rig::new(5).await;
    let mut stale = attributes(&rig, rig.main(5));
    stale.payload_attributes.timestamp = rig.main(5).timestamp;
    match rig.owner.build(rig.main(5), stale).await {
        Err(BuildError::Engine { step, .. }) => {
            assert_eq!(step, EngineStep::ForkchoiceWithAttributes)
        }
        other => panic!("expected the engine to refuse, got {other:?}"),
    }
    assert_eq!(rig.engine.labels().0, rig.main(5), "nothing moved");
}

#[tokio::test]
async fn no_build_while_syncing() {
    let mut rig = Rig::new(5).await;
    rig.source.set(rig.status(rig.main(20), rig.main(20), rig.main(2)));
    rig.follow.tick().await;
    let result = rig.owner.build(rig.main(5), attributes(&rig, rig.main(5))).await;
    assert!(matches!(result, Err(BuildError::Syncing)), "{result:?}");
}

/// The sequencing pipeline without a sequencer task: L1 over real HTTP → origin → attributes →
/// the engine owner builds the block.
#[tokio::test]
async fn attributes_from_l1_over_http_build_a_block() {
    use light_cl::sequencer::{prepare_attributes, L1OriginSelector};
    use light_cl_protocol::{ChainGenesis, L1BlobSchedule};
    use std::{sync::Arc, time::Duration};

    let rig = Rig::new(5).await;
    let forks = light_cl_tests::forks_through_granite();
    let genesis: ChainGenesis = rig.config.genesis.clone();
    let config = Arc::new(light_cl_tests::rollup_config(genesis, forks));
    let l1 = light_cl_rpc::L1Client::new(rig.l1.server.url(), Duration::from_secs(2)).unwrap();
    let parent = rig.main(5);
    let mut selector = L1OriginSelector::new(l1.clone(), config.clone(), 0);
    let origin = selector.next_origin(&parent).await.unwrap();
    assert_eq!(origin, rig.l1.block(1), "block 6's timestamp reaches L1 block 1's");
    let system_config = light_cl_tests::system_config(B256::ZERO);
    let built = prepare_attributes(
        &l1,
        &config,
        &L1BlobSchedule::mainnet(),
        &parent,
        &system_config,
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(built.l1_info.number, 1);
    assert_eq!(built.l1_info.sequence_number, 0, "a new epoch");
    let block = rig.owner.build(parent, built.attributes).await.unwrap().head;
    assert_eq!(block.number, 6);
    assert_eq!(block.l1_origin, origin.id());
    assert_eq!(block.sequence_number, 0);
}
