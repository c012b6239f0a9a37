//! A real OP Sepolia block through the gossip encoding and the validator: its header and
//! transactions as recorded from the chain (`testdata/op-sepolia-26207960.json` says where
//! from), with its known hash.

use crate::{
    message::{decode, encode},
    test_blocks::{envelope_of, key, signer_of},
    topic::{block_topic, BlockVersion},
    validate::{Validator, Verdict},
};
use alloy_consensus::{proofs::calculate_transaction_root, Block, BlockBody, Header};
use alloy_eips::Decodable2718;
use alloy_primitives::{hex, B256};
use light_cl_protocol::{Fork, ForkTimes};
use op_alloy_consensus::OpTxEnvelope;

const OP_SEPOLIA: u64 = 11155420;

fn recorded() -> (Block<OpTxEnvelope>, B256) {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../testdata/op-sepolia-26207960.json")).unwrap();
    let header: Header = serde_json::from_value(json["header"].clone()).unwrap();
    let transactions = json["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let bytes = hex::decode(t.as_str().unwrap()).unwrap();
            OpTxEnvelope::decode_2718(&mut bytes.as_slice()).unwrap()
        })
        .collect::<Vec<_>>();
    let hash: B256 = json["hash"].as_str().unwrap().parse().unwrap();
    let body = BlockBody { transactions, ommers: vec![], withdrawals: Some(Default::default()) };
    (Block { header, body }, hash)
}

#[test]
fn a_real_op_sepolia_block_round_trips_as_a_v3_envelope_and_is_accepted() {
    let (block, hash) = recorded();
    // The recorded header and transactions are the chain's: the hash and roots agree.
    assert_eq!(block.header.hash_slow(), hash);
    assert_eq!(
        block.header.transactions_root,
        calculate_transaction_root(&block.body.transactions)
    );
    assert_eq!(block.body.transactions.len(), 10);

    // Holocene: a V3 envelope (parent beacon root, empty withdrawals), signed here for the test
    // chain's key (the sequencer's signature was not recorded).
    let ts = block.header.timestamp;
    let forks = ForkTimes::at_genesis_through(Fork::Holocene);
    assert_eq!(BlockVersion::at(&forks, ts), BlockVersion::V3);
    let envelope = envelope_of(&block, &key(), OP_SEPOLIA);
    assert_eq!(envelope.payload.block_hash(), hash);
    let data = encode(BlockVersion::V3, &envelope).unwrap();
    let back = decode(BlockVersion::V3, &data).unwrap();
    assert_eq!(back, envelope, "decoded as encoded");
    assert_eq!(encode(BlockVersion::V3, &back).unwrap(), data, "and encoded back byte for byte");

    let mut validator = Validator::new(OP_SEPOLIA, forks, signer_of(&key()));
    let topic = block_topic(OP_SEPOLIA, BlockVersion::V3);
    match validator.validate(&topic, &data, ts) {
        Verdict::Accept(data) => assert_eq!(data.payload.block_hash(), hash),
        other => panic!("{other:?}"),
    }
    // The same block with one field changed but the real hash claimed: rejected.
    let mut bad = block.clone();
    bad.header.gas_used += 1;
    let mut bad_envelope = envelope_of(&bad, &key(), OP_SEPOLIA);
    bad_envelope.payload.as_v1_mut().block_hash = hash;
    let bad_envelope = crate::test_blocks::sign(bad_envelope, &key(), OP_SEPOLIA);
    let bad_data = encode(BlockVersion::V3, &bad_envelope).unwrap();
    let mut fresh = Validator::new(OP_SEPOLIA, forks, signer_of(&key()));
    match fresh.validate(&topic, &bad_data, ts) {
        Verdict::Reject(reason) => assert_eq!(reason.label(), "block_hash"),
        other => panic!("{other:?}"),
    }
}
