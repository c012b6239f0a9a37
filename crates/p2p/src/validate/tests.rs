//! The validation table: one valid block of every version, then each rule broken alone.

use super::*;
use crate::{message::encode, test_blocks::*, topic::block_topic};
use k256::ecdsa::SigningKey;

fn validator() -> Validator {
    Validator::new(CHAIN, forks(), signer_of(&key()))
}

/// Validates at a `now` just after the block's timestamp.
fn verdict(validator: &mut Validator, topic: &str, data: &[u8], timestamp: u64) -> Verdict {
    validator.validate(topic, data, timestamp + 1)
}

fn reject_of(v: Verdict) -> Reject {
    match v {
        Verdict::Reject(r) => r,
        other => panic!("expected a reject, got {other:?}"),
    }
}

#[test]
fn a_valid_block_of_every_version_is_accepted_once_then_ignored() {
    for version in BlockVersion::ALL {
        let t = time_of(version);
        let block = block(version, t);
        let envelope = envelope_of(&block, &key(), CHAIN);
        let data = encode(version, &envelope).unwrap();
        let topic = block_topic(CHAIN, version);
        let mut v = validator();
        match verdict(&mut v, &topic, &data, t) {
            Verdict::Accept(input) => {
                assert_eq!(input.payload.block_hash(), block.header.hash_slow(), "{version:?}");
                assert_eq!(
                    input.sidecar.parent_beacon_block_root(),
                    block.header.parent_beacon_block_root
                );
            }
            other => panic!("{version:?}: {other:?}"),
        }
        assert!(matches!(verdict(&mut v, &topic, &data, t), Verdict::Ignore), "{version:?} seen");
        // The round trip keeps every field.
        assert_eq!(decode(version, &data).unwrap(), envelope);
    }
}

#[test]
fn each_rule_rejects_alone() {
    let v4 = BlockVersion::V4;
    let t = time_of(v4);
    let good = envelope_of(&block(v4, t), &key(), CHAIN);
    let topic = block_topic(CHAIN, v4);
    let encode4 = |e: &OpNetworkPayloadEnvelope| encode(v4, e).unwrap();

    // Each case: what is sent, on which topic, at which local time, and the reason expected.
    let mut cases: Vec<(&str, Vec<u8>, String, u64, &str)> = Vec::new();
    let valid = encode4(&good);
    cases.push(("wrong chain in the topic", valid.clone(), block_topic(11, v4), t + 1, "topic"));
    cases.push(("not a block topic", valid.clone(), "/optimism/10/blocks".into(), t + 1, "topic"));
    cases.push(("not snappy", vec![0xff; 40], topic.clone(), t + 1, "compression"));
    let huge = snap::raw::Encoder::new().compress_vec(&vec![0u8; MAX_GOSSIP + 1]).unwrap();
    cases.push(("over 10 MiB decompressed", huge, topic.clone(), t + 1, "too_large"));
    let short = snap::raw::Encoder::new().compress_vec(&[0u8; 100]).unwrap();
    cases.push(("truncated", short, topic.clone(), t + 1, "encoding"));
    let mut parity = snap::raw::Decoder::new().decompress_vec(&valid).unwrap();
    parity[64] = 27;
    let parity = snap::raw::Encoder::new().compress_vec(&parity).unwrap();
    cases.push(("y parity 27", parity, topic.clone(), t + 1, "signature_encoding"));
    cases.push(("too old", valid.clone(), topic.clone(), t + MAX_AGE_SECS + 1, "too_old"));
    cases.push((
        "too far ahead",
        valid.clone(),
        topic.clone(),
        t - MAX_AHEAD_SECS - 1,
        "too_far_ahead",
    ));
    // A V3 block of an Isthmus timestamp, on the V3 topic.
    let v3_late = envelope_of(&block(BlockVersion::V3, t), &key(), CHAIN);
    let v3_data = encode(BlockVersion::V3, &v3_late).unwrap();
    cases.push((
        "old version after its fork",
        v3_data,
        block_topic(CHAIN, BlockVersion::V3),
        t + 1,
        "wrong_version",
    ));
    let mut hash = good.clone();
    if let OpExecutionPayload::V4(p) = &mut hash.payload {
        p.payload_inner.payload_inner.payload_inner.block_hash = B256::repeat_byte(9);
    }
    cases.push((
        "block hash not of the block",
        encode4(&sign(hash, &key(), CHAIN)),
        topic.clone(),
        t + 1,
        "block_hash",
    ));
    let mut gas = good.clone();
    if let OpExecutionPayload::V4(p) = &mut gas.payload {
        p.payload_inner.blob_gas_used = 1;
    }
    cases.push((
        "blob gas used before Jovian",
        encode4(&sign(gas, &key(), CHAIN)),
        topic.clone(),
        t + 1,
        "blob_gas_used",
    ));
    let mut excess = good.clone();
    if let OpExecutionPayload::V4(p) = &mut excess.payload {
        p.payload_inner.excess_blob_gas = 1;
    }
    cases.push((
        "excess blob gas",
        encode4(&sign(excess, &key(), CHAIN)),
        topic.clone(),
        t + 1,
        "excess_blob_gas",
    ));
    let mut withdrawal = good.clone();
    if let OpExecutionPayload::V4(p) = &mut withdrawal.payload {
        p.payload_inner.payload_inner.withdrawals.push(Default::default());
    }
    cases.push((
        "a withdrawal",
        encode4(&sign(withdrawal, &key(), CHAIN)),
        topic.clone(),
        t + 1,
        "withdrawals",
    ));
    let other_key = SigningKey::from_slice(&[0x22; 32]).unwrap();
    cases.push((
        "signed by another key",
        encode4(&sign(good.clone(), &other_key, CHAIN)),
        topic.clone(),
        t + 1,
        "signer",
    ));
    cases.push((
        "signed for another chain",
        encode4(&sign(good.clone(), &key(), 11)),
        topic.clone(),
        t + 1,
        "signer",
    ));

    for (what, data, topic, now, label) in cases {
        let mut v = validator();
        let reject = reject_of(v.validate(&topic, &data, now));
        assert_eq!(reject.label(), label, "{what}: {reject}");
        // Nothing rejected is marked as seen: the valid block is still new.
        assert!(
            matches!(v.validate(&block_topic(CHAIN, v4), &valid, t + 1), Verdict::Accept(_)),
            "{what}"
        );
    }
}

const MAX_GOSSIP: usize = crate::MAX_GOSSIP_SIZE;

#[test]
fn the_beacon_root_is_required_from_ecotone() {
    let v3 = BlockVersion::V3;
    let t = time_of(v3);
    let mut envelope = envelope_of(&block(v3, t), &key(), CHAIN);
    envelope.parent_beacon_block_root = None;
    let v = validator();
    // The V3 encoding always carries a root; a V3 payload without one cannot be encoded, so the
    // check is on the decoded envelope.
    assert_eq!(v.check_fields(&envelope, t), Err(Reject::NoBeaconRoot));
}

#[test]
fn from_jovian_blob_gas_used_is_the_da_footprint() {
    let v4 = BlockVersion::V4;
    let t = NOW + 1000;
    let mut b = block(v4, t);
    b.header.blob_gas_used = Some(1600);
    let envelope = envelope_of(&b, &key(), CHAIN);
    let mut v = validator();
    assert!(matches!(
        v.validate(&block_topic(CHAIN, v4), &encode(v4, &envelope).unwrap(), t),
        Verdict::Accept(_)
    ));
}

#[test]
fn six_different_blocks_at_one_height_and_the_sixth_is_rejected() {
    let v4 = BlockVersion::V4;
    let topic = block_topic(CHAIN, v4);
    let mut v = validator();
    for i in 0..6u64 {
        let t = NOW - 10 + i;
        let data = encode(v4, &envelope_of(&block(v4, t), &key(), CHAIN)).unwrap();
        let verdict = v.validate(&topic, &data, NOW);
        if i < 5 {
            assert!(matches!(verdict, Verdict::Accept(_)), "block {i}: {verdict:?}");
        } else {
            assert_eq!(reject_of(verdict), Reject::TooManyAtHeight(42));
        }
    }
}

#[test]
fn a_new_signer_is_trusted_from_its_update() {
    let v4 = BlockVersion::V4;
    let t = time_of(v4);
    let other = SigningKey::from_slice(&[0x22; 32]).unwrap();
    let data = encode(v4, &envelope_of(&block(v4, t), &other, CHAIN)).unwrap();
    let mut v = validator();
    let topic = block_topic(CHAIN, v4);
    assert_eq!(reject_of(v.validate(&topic, &data, t)).label(), "signer");
    v.set_signer(signer_of(&other));
    assert!(matches!(v.validate(&topic, &data, t), Verdict::Accept(_)));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Anything from the network on any topic gets a verdict, never a panic, and is never
        /// accepted unless signed.
        #[test]
        fn any_bytes_on_any_topic_are_never_accepted(
            data in proptest::collection::vec(any::<u8>(), 0..2048),
            chain in 0u64..20,
            n in 0u8..6,
        ) {
            let topic = format!("/optimism/{chain}/{n}/blocks");
            let mut v = validator();
            prop_assert!(!matches!(v.validate(&topic, &data, NOW), Verdict::Accept(_)));
            let framed = snap::raw::Encoder::new().compress_vec(&data).unwrap();
            prop_assert!(!matches!(v.validate(&topic, &framed, NOW), Verdict::Accept(_)));
        }

        /// A valid message with one byte of its content changed is never accepted.
        #[test]
        fn a_changed_byte_is_never_accepted(at in any::<prop::sample::Index>(), xor in 1u8..=255) {
            let v4 = BlockVersion::V4;
            let t = time_of(v4);
            let good = encode(v4, &envelope_of(&block(v4, t), &key(), CHAIN)).unwrap();
            let mut plain = snap::raw::Decoder::new().decompress_vec(&good).unwrap();
            let i = at.index(plain.len());
            plain[i] ^= xor;
            let changed = snap::raw::Encoder::new().compress_vec(&plain).unwrap();
            let mut v = validator();
            prop_assert!(!matches!(v.validate(&block_topic(CHAIN, v4), &changed, t + 1), Verdict::Accept(_)));
        }
    }
}
