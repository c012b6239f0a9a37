//! One gossip message, any bytes on any topic, decoded and validated as a node receiving it
//! would (`Validator::validate`). Three shapes of input, picked by the first byte:
//! - 0: raw messages on topics the next bytes pick: nothing unsigned is ever accepted;
//! - 1: any payload bytes, correctly signed by the chain's signer, so that decoding and every
//!   check after the signature see arbitrary payloads;
//! - 2: a well-formed block of any version with fields from the input, signed, then maybe one
//!   byte of the message flipped: what is accepted once is ignored the second time.
//!
//! Run: `cargo +nightly fuzz run gossip_message` in `crates/p2p` (see the book's CL gossip).

#![no_main]

use alloy_consensus::Header;
use alloy_primitives::{keccak256, Signature, B256, U256};
use libfuzzer_sys::fuzz_target;
use light_cl_p2p::{
    block_topic, encode,
    message::decompress,
    test_blocks::{block_of, forks, key, signer_of, CHAIN, NOW},
    BlockVersion, Validator, Verdict,
};
use op_alloy_rpc_types_engine::{OpExecutionPayload, OpNetworkPayloadEnvelope, PayloadHash};

fn topic(byte: u8) -> String {
    match byte % 6 {
        v @ 0..=3 => block_topic(CHAIN, BlockVersion::ALL[v as usize]),
        4 => block_topic(CHAIN + 1, BlockVersion::V4),
        _ => "/optimism/10/9/blocks".to_owned(),
    }
}

/// The signature of `body` (everything after the signature in a message) for the chain.
fn signature_of(body: &[u8]) -> [u8; 65] {
    let message = PayloadHash(keccak256(body)).signature_message(CHAIN);
    let (sig, recid) = key().sign_prehash_recoverable(message.as_slice()).expect("signs");
    Signature::from_signature_and_parity(sig, recid.is_y_odd()).as_bytes()
}

fn compress(plain: &[u8]) -> Vec<u8> {
    snap::raw::Encoder::new().compress_vec(plain).expect("compresses")
}

/// Takes `n` bytes (fewer at the end of the input).
fn take<'a>(input: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, rest) = input.split_at(n.min(input.len()));
    *input = rest;
    head
}

fn take_u64(input: &mut &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let bytes = take(input, 8);
    word[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

fn raw(validator: &mut Validator, mut input: &[u8]) {
    while let Some(&t) = take(&mut input, 1).first() {
        let len = match *take(&mut input, 2) {
            [low, high] => u16::from_le_bytes([low, high]),
            [low] => u16::from(low),
            _ => 0,
        };
        let message = take(&mut input, len as usize);
        let verdict = validator.validate(&topic(t), message, NOW);
        assert!(!matches!(verdict, Verdict::Accept(_)), "an unsigned message was accepted");
    }
}

fn signed_body(validator: &mut Validator, mut input: &[u8]) {
    let t = take(&mut input, 1).first().copied().unwrap_or(0);
    let mut plain = signature_of(input).to_vec();
    plain.extend_from_slice(input);
    let _ = validator.validate(&topic(t), &compress(&plain), NOW);
}

fn structured(validator: &mut Validator, mut input: &[u8]) {
    let version = BlockVersion::ALL[(take_u64(&mut input) % 4) as usize];
    let offset = take_u64(&mut input) as i16 as i64;
    let timestamp = NOW.saturating_add_signed(offset * 4);
    let header = Header {
        number: take_u64(&mut input),
        timestamp,
        gas_limit: take_u64(&mut input) % 100_000_000,
        base_fee_per_gas: Some(take_u64(&mut input) % 1_000_000_000),
        parent_hash: B256::repeat_byte(1),
        extra_data: take(&mut input, 40).to_vec().into(),
        ..Default::default()
    };
    let block = block_of(version, header);
    let (payload, sidecar) = OpExecutionPayload::from_block_slow(&block);
    let envelope = OpNetworkPayloadEnvelope {
        payload,
        signature: Signature::new(U256::from(1), U256::from(1), false),
        payload_hash: PayloadHash::default(),
        parent_beacon_block_root: sidecar.parent_beacon_block_root(),
    };
    let Ok(unsigned) = encode(version, &envelope) else { return };
    let Ok(mut plain) = decompress(&unsigned) else { return };
    let signature = signature_of(&plain[65..]);
    plain[..65].copy_from_slice(&signature);
    let mut message = compress(&plain);
    // Maybe one byte flipped, anywhere in the compressed message.
    let flip = take(&mut input, 3);
    if let [at_low, at_high, xor] = *flip {
        let at = u16::from_le_bytes([at_low, at_high]) as usize % message.len();
        message[at] ^= xor;
    }
    let t = take(&mut input, 1).first().copied().unwrap_or(version as u8);
    let first = validator.validate(&topic(t), &message, NOW);
    if matches!(first, Verdict::Accept(_)) {
        let again = validator.validate(&topic(t), &message, NOW);
        assert!(matches!(again, Verdict::Ignore), "a block accepted twice");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut validator = Validator::new(CHAIN, forks(), signer_of(&key()));
    match mode % 3 {
        0 => raw(&mut validator, rest),
        1 => signed_body(&mut validator, rest),
        _ => structured(&mut validator, rest),
    }
});
