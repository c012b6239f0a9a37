//! Publishing sealed blocks: the sequencer's key signs each block's payload hash for the chain,
//! and the signed envelope goes out on the topic of the block's version.

use crate::{
    gossip::{GossipError, GossipHandle},
    message::{encode, MessageError},
    topic::BlockVersion,
};
use alloy_primitives::{Address, Signature};
use k256::ecdsa::SigningKey;
use light_cl_protocol::ForkTimes;
use op_alloy_rpc_types_engine::{
    OpExecutionData, OpExecutionPayload, OpExecutionPayloadEnvelope, OpNetworkPayloadEnvelope,
};
use std::path::Path;

/// The sequencer's signing key. It is never shown: `Debug` prints only its address.
pub struct SequencerKey(SigningKey);

impl std::fmt::Debug for SequencerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SequencerKey({})", self.address())
    }
}

/// Why a key could not be read; the messages never hold the key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("reading the key file {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Not 32 bytes of hex, or not a valid secp256k1 secret.
    #[error("not a secp256k1 private key in hex (64 hex digits, 0x optional)")]
    Invalid,
}

impl SequencerKey {
    /// A key from 64 hex digits (`0x` and surrounding whitespace allowed).
    pub fn from_hex(hex: &str) -> Result<Self, KeyError> {
        let hex = hex.trim();
        let hex = hex.strip_prefix("0x").unwrap_or(hex);
        let mut bytes = [0u8; 32];
        alloy_primitives::hex::decode_to_slice(hex, &mut bytes).map_err(|_| KeyError::Invalid)?;
        let key = SigningKey::from_slice(&bytes).map_err(|_| KeyError::Invalid);
        bytes.fill(0);
        key.map(Self)
    }

    /// A key from a file holding it in hex.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|e| KeyError::Read {
            path: path.display().to_string(),
            reason: e.kind().to_string(),
        })?;
        Self::from_hex(&text)
    }

    /// The address that signs with this key: the chain's unsafe block signer, when it is the
    /// sequencer's key.
    pub fn address(&self) -> Address {
        Address::from_public_key(self.0.verifying_key())
    }

    /// The signed envelope of `block` for `chain_id`.
    pub fn sign(&self, block: &OpExecutionData, chain_id: u64) -> OpNetworkPayloadEnvelope {
        let parent_beacon_block_root = block.sidecar.parent_beacon_block_root();
        let payload_hash = OpExecutionPayloadEnvelope {
            parent_beacon_block_root,
            execution_payload: block.payload.clone(),
        }
        .payload_hash();
        let message = payload_hash.signature_message(chain_id);
        let (signature, recovery) = self
            .0
            .sign_prehash_recoverable(message.as_slice())
            .expect("a 32-byte prehash always signs");
        OpNetworkPayloadEnvelope {
            payload: block.payload.clone(),
            signature: Signature::from_signature_and_parity(signature, recovery.is_y_odd()),
            payload_hash,
            parent_beacon_block_root,
        }
    }
}

/// Why a block was not published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The payload is not of the version its timestamp needs.
    #[error("block {number} is a {payload:?} payload but its timestamp needs {needed:?}")]
    WrongVersion {
        /// The block number.
        number: u64,
        /// The payload's version.
        payload: BlockVersion,
        /// The version of the fork at its timestamp.
        needed: BlockVersion,
    },
    /// Encoding failed.
    #[error(transparent)]
    Encode(#[from] MessageError),
    /// The gossip node refused or has stopped.
    #[error(transparent)]
    Gossip(#[from] GossipError),
}

/// Signs sealed blocks and publishes them on the gossip network.
#[derive(Debug)]
pub struct BlockPublisher {
    gossip: GossipHandle,
    key: SequencerKey,
    chain_id: u64,
    forks: ForkTimes,
}

impl BlockPublisher {
    /// Publishes through `gossip`, signing with `key` for the chain `chain_id` with `forks`.
    pub const fn new(
        gossip: GossipHandle,
        key: SequencerKey,
        chain_id: u64,
        forks: ForkTimes,
    ) -> Self {
        Self { gossip, key, chain_id, forks }
    }

    /// The address blocks are signed by.
    pub fn signer(&self) -> Address {
        self.key.address()
    }

    /// Signs `block` and publishes it on its version's topic.
    pub async fn publish(&self, block: &OpExecutionData) -> Result<(), PublishError> {
        let needed = BlockVersion::at(&self.forks, block.payload.timestamp());
        let payload = version_of(&block.payload);
        if payload != needed {
            let number = block.payload.block_number();
            return Err(PublishError::WrongVersion { number, payload, needed });
        }
        let data = encode(needed, &self.key.sign(block, self.chain_id))?;
        self.gossip.publish(needed, data).await?;
        Ok(())
    }
}

/// The version of a payload.
pub const fn version_of(payload: &OpExecutionPayload) -> BlockVersion {
    match payload {
        OpExecutionPayload::V1(_) => BlockVersion::V1,
        OpExecutionPayload::V2(_) => BlockVersion::V2,
        OpExecutionPayload::V3(_) => BlockVersion::V3,
        OpExecutionPayload::V4(_) => BlockVersion::V4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{message::decode, test_blocks::*, validate::Validator, Verdict};
    use op_alloy_rpc_types_engine::OpExecutionPayloadSidecar;

    #[test]
    fn a_signed_block_of_every_version_is_accepted_by_the_validator() {
        let hex = format!("0x{}", alloy_primitives::hex::encode([0x11u8; 32]));
        let sequencer = SequencerKey::from_hex(&format!("  {hex}\n")).unwrap();
        assert_eq!(sequencer.address(), signer_of(&key()));
        assert!(!format!("{sequencer:?}").contains("1111"), "the key is never shown");
        for version in BlockVersion::ALL {
            let b = block(version, time_of(version));
            let (payload, sidecar) = OpExecutionPayload::from_block_slow(&b);
            let sidecar = match sidecar.parent_beacon_block_root() {
                Some(root) => OpExecutionPayloadSidecar::v3(
                    alloy_rpc_types_engine::CancunPayloadFields::new(root, vec![]),
                ),
                None => OpExecutionPayloadSidecar::default(),
            };
            let data = OpExecutionData { payload, sidecar };
            assert_eq!(version_of(&data.payload), version);
            let signed = sequencer.sign(&data, CHAIN);
            let message = encode(version, &signed).unwrap();
            // The payload hash signed is the one a receiver computes.
            assert_eq!(decode(version, &message).unwrap().payload_hash, signed.payload_hash);
            let mut validator = Validator::new(CHAIN, forks(), sequencer.address());
            let topic = crate::block_topic(CHAIN, version);
            let verdict = validator.validate(&topic, &message, time_of(version));
            assert!(matches!(verdict, Verdict::Accept(_)), "{version:?}: {verdict:?}");
        }
    }

    #[test]
    fn bad_keys_are_refused_without_showing_them() {
        for bad in ["", "0x12", &"zz".repeat(32), &"00".repeat(32)] {
            let e = SequencerKey::from_hex(bad).unwrap_err();
            assert!(matches!(e, KeyError::Invalid), "{bad}");
        }
        let e = SequencerKey::read(Path::new("/nonexistent/key")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/key"), "{e}");
    }
}
