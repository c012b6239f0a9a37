//! Payload attributes for test chains: the block after a parent, opening with the L1 info
//! deposit of its origin.

use alloy_eips::Encodable2718;
use alloy_primitives::B64;
use alloy_primitives::{Address, Sealed, B256, U256};
use alloy_rpc_types_engine::PayloadAttributes;
use light_cl_protocol::{Fork, L1BlockInfo, L1BlockRef, L1InfoLayout, L2BlockRef, RollupConfig};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::OpPayloadAttributes;

/// Attributes of the block after `parent` (Ecotone-layout L1 info of `origin`, sequence number
/// `sequence_number`, `block_time` later, `prev_randao` filled with `salt`, no tx pool).
pub fn next_block_attributes(
    parent: L2BlockRef,
    origin: L1BlockRef,
    sequence_number: u64,
    block_time: u64,
    salt: u8,
) -> OpPayloadAttributes {
    with_layout(parent, origin, sequence_number, block_time, salt, L1InfoLayout::Ecotone)
}

/// The same for a chain of `config`: the L1 info layout of the block's forks, and Holocene's
/// EIP-1559 parameters and Jovian's minimum base fee (both zero: the chain's defaults) where
/// those forks are active.
pub fn next_block_attributes_for(
    config: &RollupConfig,
    parent: L2BlockRef,
    origin: L1BlockRef,
    sequence_number: u64,
    salt: u8,
) -> OpPayloadAttributes {
    let timestamp = parent.timestamp + config.block_time;
    let layout = L1InfoLayout::for_block(config, timestamp).expect("a supported fork");
    let mut attributes =
        with_layout(parent, origin, sequence_number, config.block_time, salt, layout);
    attributes.eip_1559_params = config.is_active(Fork::Holocene, timestamp).then_some(B64::ZERO);
    attributes.min_base_fee = config.is_active(Fork::Jovian, timestamp).then_some(0);
    attributes
}

fn with_layout(
    parent: L2BlockRef,
    origin: L1BlockRef,
    sequence_number: u64,
    block_time: u64,
    salt: u8,
    layout: L1InfoLayout,
) -> OpPayloadAttributes {
    let info = L1BlockInfo {
        number: origin.number,
        timestamp: origin.timestamp,
        base_fee: U256::from(1_000_000_000u64),
        block_hash: origin.hash,
        sequence_number,
        batcher_hash: Address::repeat_byte(0xba).into_word(),
        base_fee_scalar: 1368,
        blob_base_fee_scalar: 810949,
        blob_base_fee: U256::from(1),
        ..L1BlockInfo::empty(layout)
    };
    let deposit = OpTxEnvelope::Deposit(Sealed::new(info.deposit_tx()));
    OpPayloadAttributes {
        payload_attributes: PayloadAttributes {
            timestamp: parent.timestamp + block_time,
            prev_randao: B256::repeat_byte(salt),
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
