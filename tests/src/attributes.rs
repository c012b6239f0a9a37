//! Payload attributes for test chains: the block after a parent, opening with the L1 info
//! deposit of its origin.

use alloy_eips::Encodable2718;
use alloy_primitives::{Address, Sealed, B256, U256};
use alloy_rpc_types_engine::PayloadAttributes;
use light_cl_protocol::{L1BlockInfo, L1BlockRef, L1InfoLayout, L2BlockRef};
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
        ..L1BlockInfo::empty(L1InfoLayout::Ecotone)
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
