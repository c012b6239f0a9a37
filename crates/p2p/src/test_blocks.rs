//! Blocks and signed envelopes of every version, for the tests (and, with the `test-utils`
//! feature, the fuzz target).

pub(crate) use crate::publish::version_of;
use crate::{
    message::{decode, encode},
    topic::BlockVersion,
};
use alloy_consensus::{
    constants::EMPTY_WITHDRAWALS, proofs::calculate_transaction_root, Block, BlockBody, Header,
};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, Signature, B256, U256};
use k256::ecdsa::SigningKey;
use light_cl_protocol::ForkTimes;
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::{OpExecutionPayload, OpNetworkPayloadEnvelope, PayloadHash};

/// The test chain's id.
pub const CHAIN: u64 = 10;
/// The wall clock the tests validate at.
pub const NOW: u64 = 1_800_000_000;

/// Forks with a window of each block version before [`NOW`].
pub fn forks() -> ForkTimes {
    // V1 until 1000, V2 until 2000, V3 until 3000, V4 after; Jovian from 4000.
    ForkTimes {
        regolith_time: Some(0),
        canyon_time: Some(NOW - 3000),
        delta_time: Some(NOW - 3000),
        ecotone_time: Some(NOW - 2000),
        fjord_time: Some(NOW - 2000),
        granite_time: Some(NOW - 2000),
        holocene_time: Some(NOW - 2000),
        isthmus_time: Some(NOW - 1000),
        jovian_time: Some(NOW + 1000),
        ..Default::default()
    }
}

/// The test chain's unsafe block signer key.
pub fn key() -> SigningKey {
    SigningKey::from_slice(&[0x11; 32]).unwrap()
}

/// The address that signs with `key`.
pub fn signer_of(key: &SigningKey) -> Address {
    Address::from_public_key(key.verifying_key())
}

/// A block of `version` at `timestamp`, its hash computed from its contents.
pub fn block(version: BlockVersion, timestamp: u64) -> Block<OpTxEnvelope> {
    block_of(
        version,
        Header {
            number: 42,
            timestamp,
            gas_limit: 30_000_000,
            base_fee_per_gas: Some(1_000_000),
            parent_hash: B256::repeat_byte(1),
            state_root: B256::repeat_byte(2),
            transactions_root: calculate_transaction_root::<OpTxEnvelope>(&[]),
            ..Default::default()
        },
    )
}

/// A block without transactions of `header`, given the fields `version` needs: withdrawals
/// (empty) from V2, blob gas and a parent beacon root from V3, the L2 withdrawals root and
/// requests hash in V4.
pub fn block_of(version: BlockVersion, mut header: Header) -> Block<OpTxEnvelope> {
    let mut withdrawals = None;
    if version >= BlockVersion::V2 {
        header.withdrawals_root = Some(EMPTY_WITHDRAWALS);
        withdrawals = Some(Default::default());
    }
    if version >= BlockVersion::V3 {
        header.blob_gas_used = Some(0);
        header.excess_blob_gas = Some(0);
        header.parent_beacon_block_root = Some(B256::repeat_byte(0x42));
    }
    if version == BlockVersion::V4 {
        // From Isthmus the header's withdrawals root is L2's message passer storage root.
        header.withdrawals_root = Some(B256::repeat_byte(0x77));
        header.requests_hash = Some(EMPTY_REQUESTS_HASH);
    }
    Block { header, body: BlockBody { transactions: vec![], ommers: vec![], withdrawals } }
}

/// The envelope of `block`, signed by `key` for `chain`.
pub fn envelope_of(
    block: &Block<OpTxEnvelope>,
    key: &SigningKey,
    chain: u64,
) -> OpNetworkPayloadEnvelope {
    let (payload, sidecar) = OpExecutionPayload::from_block_slow(block);
    let unsigned = OpNetworkPayloadEnvelope {
        payload,
        signature: Signature::new(U256::from(1), U256::from(1), false),
        payload_hash: PayloadHash::default(),
        parent_beacon_block_root: sidecar.parent_beacon_block_root(),
    };
    sign(unsigned, key, chain)
}

/// Recomputes the payload hash (by an encode/decode round trip) and signs it.
pub fn sign(
    mut envelope: OpNetworkPayloadEnvelope,
    key: &SigningKey,
    chain: u64,
) -> OpNetworkPayloadEnvelope {
    let version = version_of(&envelope.payload);
    envelope.payload_hash =
        decode(version, &encode(version, &envelope).unwrap()).unwrap().payload_hash;
    let message = envelope.payload_hash.signature_message(chain);
    let (sig, recid) = key.sign_prehash_recoverable(message.as_slice()).unwrap();
    envelope.signature = Signature::from_signature_and_parity(sig, recid.is_y_odd());
    envelope
}

/// A timestamp in the version's fork window, `offset` seconds before now for the latest.
pub fn time_of(version: BlockVersion) -> u64 {
    match version {
        BlockVersion::V1 => NOW - 3500,
        BlockVersion::V2 => NOW - 2500,
        BlockVersion::V3 => NOW - 1500,
        BlockVersion::V4 => NOW - 10,
    }
}
