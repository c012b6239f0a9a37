//! Building blocks through the engine owner: FCU(head, attributes) → get payload → new payload →
//! FCU(new head), with the in-memory engine.

use alloy_eips::Encodable2718;
use alloy_primitives::{Address, Sealed, B256, U256};
use alloy_rpc_types_engine::PayloadAttributes;
use light_cl::BuildError;
use light_cl_protocol::{L1BlockInfo, L1InfoLayout, L2BlockRef};
use light_cl_tests::{rig::L2_PER_L1, Rig};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::OpPayloadAttributes;

/// Attributes of the block after `parent`, opening with the L1 info deposit of its origin.
fn attributes(rig: &Rig, parent: L2BlockRef) -> OpPayloadAttributes {
    let number = parent.number + 1;
    let origin = rig.l1.block(number / L2_PER_L1);
    let info = L1BlockInfo {
        number: origin.number,
        timestamp: origin.timestamp,
        base_fee: U256::from(7),
        block_hash: origin.hash,
        sequence_number: number % L2_PER_L1,
        ..L1BlockInfo::empty(L1InfoLayout::Ecotone)
    };
    let deposit = OpTxEnvelope::Deposit(Sealed::new(info.deposit_tx()));
    OpPayloadAttributes {
        payload_attributes: PayloadAttributes {
            timestamp: parent.timestamp + rig.config.block_time,
            prev_randao: B256::repeat_byte(number as u8),
            suggested_fee_recipient: Address::repeat_byte(0x11),
            withdrawals: Some(vec![]),
            parent_beacon_block_root: Some(B256::ZERO),
        },
        transactions: Some(vec![deposit.encoded_2718().into()]),
        no_tx_pool: Some(true),
        gas_limit: Some(30_000_000),
        eip_1559_params: None,
        min_base_fee: None,
    }
}

#[tokio::test]
async fn builds_on_the_head_and_makes_each_block_the_head() {
    let rig = Rig::new(5).await;
    let mut head = rig.main(5);
    for _ in 0..3 {
        let built = rig.owner.build(attributes(&rig, head)).await.unwrap();
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
    assert_eq!(rig.served().await.unsafe_l2, head, "the view follows the built head");
}

#[tokio::test]
async fn a_refused_build_says_which_step() {
    let rig = Rig::new(5).await;
    let mut stale = attributes(&rig, rig.main(5));
    stale.payload_attributes.timestamp = rig.main(5).timestamp;
    match rig.owner.build(stale).await {
        Err(BuildError::Engine { step, .. }) => {
            assert_eq!(step, "forkchoice update with attributes")
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
    assert_eq!(rig.owner.build(attributes(&rig, rig.main(5))).await, Err(BuildError::Syncing));
}
