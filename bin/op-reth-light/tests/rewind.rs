//! L1 reorg recovery on real reth: a light-CL sequencer on a scripted L1 (served over HTTP on
//! loopback, so that the test can replace its blocks) publishes to a light-CL follower; L1
//! reorgs out the origins of its unsafe blocks, the sequencer builds a sibling on the highest
//! block whose origin is still canonical, and the follower ends on the same head.

mod common;

use alloy_primitives::Address;
use common::{launch, seq::*, wait};
use light_cl_protocol::{encode_ecotone_scalar, BlockID, ChainGenesis, L2BlockRef};
use light_cl_tests::{
    forks_through_granite, rollup_config, system_config, ScriptedL1, ScriptedSource,
};
use op_reth_light::{
    args::{FollowArgs, SequencerArgs},
    p2p::P2pArgs,
};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_l1_reorg_of_unsafe_origins_is_recovered_and_a_follower_takes_the_new_branch() {
    reth_tracing::init_test_tracing();
    let dir = tempfile::tempdir().unwrap();
    // L1 from 40 s ago, a block every 12 s (64 of them, most in the future); L2 at 1 s blocks
    // from L1's genesis: block n has origin ⌊n / 12⌋.
    let t0 = unix_now() - 40;
    let l1 = ScriptedL1::start_at(64, t0).await;
    let spec = common::chain_spec(t0);
    let mut rollup = rollup_config(
        ChainGenesis {
            l1: l1.block(0).id(),
            l2: BlockID { hash: spec.genesis_hash(), number: 0 },
            l2_time: t0,
            system_config: Some(system_config(encode_ecotone_scalar(SCALARS))),
        },
        forks_through_granite(),
    );
    (rollup.block_time, rollup.l1_chain_id, rollup.l2_chain_id) = (1, L1_CHAIN_ID, L2_CHAIN_ID);
    rollup.deposit_contract_address = Address::ZERO;
    let rollup_path = dir.path().join("rollup.json");
    std::fs::write(&rollup_path, serde_json::to_string(&rollup).unwrap()).unwrap();
    let l1_genesis_path = dir.path().join("l1-genesis.json");
    std::fs::write(&l1_genesis_path, l1_genesis(t0).to_string()).unwrap();
    let genesis = L2BlockRef {
        hash: spec.genesis_hash(),
        number: 0,
        parent_hash: Default::default(),
        timestamp: t0,
        l1_origin: l1.block(0).id(),
        sequence_number: 0,
    };
    let source = ScriptedSource::start(status(l1.block(0), genesis)).await;
    let follow = |sequencer: SequencerArgs| FollowArgs {
        follow_source: vec![source.server.url().into()],
        l1_rpc: Some(l1.server.url()),
        follow_interval: Some(Duration::from_millis(200)),
        rollup_config: Some(rollup_path.clone()),
        sequencer,
        p2p: P2pArgs::disabled(),
        ..Default::default()
    };

    // B follows, taking A's blocks on its Engine API port.
    let (b, _b_tasks) =
        launch(spec.clone(), &dir.path().join("b"), Some(follow(SequencerArgs::default())))
            .await
            .unwrap();
    let b_auth: url::Url = b.node.auth_server_handle().http_url().parse().unwrap();
    let sequencer = SequencerArgs {
        sequencing: true,
        l1_confs: CONFS,
        publish_to: vec![b_auth],
        publish_jwt_secret: Some(b.node.data_dir.jwt()),
        l1_chain_config: Some(l1_genesis_path.clone()),
        ..Default::default()
    };
    let (a, _a_tasks) =
        launch(spec.clone(), &dir.path().join("a"), Some(follow(sequencer))).await.unwrap();

    // A catches up to the clock; its head's origin is L1 block 3.
    let old = wait_head(&a, &rollup, "A on L1 origin 3", |h| h.l1_origin.number == 3).await;
    let old_23 = block(&a, &rollup, 23);
    assert_eq!((old_23.l1_origin.number, block(&a, &rollup, 24).l1_origin.number), (1, 2));
    let old_24 = block(&a, &rollup, 24);

    // L1 replaces blocks 2.. with another branch.
    l1.reorg_from(2);
    let new_2 = l1.block(2).id();
    assert_ne!(new_2, old_24.l1_origin);
    let new_24 = wait(
        || async { Some(block(&a, &rollup, 24)).filter(|b| b.hash != old_24.hash) },
        "A rebuilds block 24",
    )
    .await;
    assert_eq!(new_24.parent_hash, old_23.hash, "a sibling on block 23");
    assert_eq!(new_24.l1_origin, new_2, "with the new L1 block 2 as its origin");
    let head =
        wait_head(&a, &rollup, "A back past its old head", |h| h.number > old.number + 2).await;
    for n in 1..=head.number {
        let b = block(&a, &rollup, n);
        assert_eq!(
            b.l1_origin,
            l1.block(b.l1_origin.number).id(),
            "block {n}'s origin is canonical"
        );
    }
    let b_head = wait_head(&b, &rollup, "B on A's new branch", |h| h.number >= head.number).await;
    assert_eq!(block(&b, &rollup, head.number), head, "B ends on A's head");
    assert_eq!(block(&b, &rollup, 24), new_24);
    assert!(b_head.number >= head.number);
    let rewinds = common::counter_value("light_cl_sequencer_rewinds_total", "");
    assert!(rewinds >= 1.0, "the rewind is counted ({rewinds})");
}
