//! Block validation as the spec's "Block validation" lists it. The checks on the payload's own
//! fields (version, withdrawals, blob gas, beacon root) run before the block hash is
//! recomputed, the most costly check; all of them reject, so only the reason's label depends
//! on that order.

use crate::{
    message::{decode, MessageError},
    seen::{Seen, SeenCheck},
    topic::{BlockVersion, Topic},
};
use alloy_primitives::{Address, B256};
use light_cl_protocol::{Fork, ForkTimes};
use light_cl_rpc::envelope_to_data;
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::{
    OpExecutionData, OpExecutionPayload, OpExecutionPayloadEnvelope, OpNetworkPayloadEnvelope,
};

/// A block may be at most this many seconds old.
pub const MAX_AGE_SECS: u64 = 60;
/// A block may be at most this many seconds ahead of the local clock.
pub const MAX_AHEAD_SECS: u64 = 5;

/// Why a message was rejected (gossipsub `REJECT`: the peer is penalized).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    /// Not a block topic of this chain.
    #[error("not a block topic of this chain")]
    Topic,
    /// Unreadable: size, compression or encoding.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// Older than [`MAX_AGE_SECS`].
    #[error("timestamp {timestamp} is more than {MAX_AGE_SECS} s old")]
    TooOld {
        /// The block's timestamp.
        timestamp: u64,
    },
    /// More than [`MAX_AHEAD_SECS`] in the future.
    #[error("timestamp {timestamp} is more than {MAX_AHEAD_SECS} s ahead")]
    TooFarAhead {
        /// The block's timestamp.
        timestamp: u64,
    },
    /// The topic's version is not the one of the fork active at the block's timestamp.
    #[error("a {expected:?} block was sent on the {topic:?} topic")]
    WrongVersion {
        /// The fork's version.
        expected: BlockVersion,
        /// The topic's.
        topic: BlockVersion,
    },
    /// Withdrawals present where the version forbids them or not empty.
    #[error("the block has withdrawals")]
    Withdrawals,
    /// Blob gas used non-zero before Jovian (from Jovian it holds the DA footprint).
    #[error("the block has non-zero blob gas used")]
    BlobGasUsed,
    /// Excess blob gas non-zero.
    #[error("the block has non-zero excess blob gas")]
    ExcessBlobGas,
    /// A V3 or V4 block without a parent beacon block root.
    #[error("the block has no parent beacon block root")]
    NoBeaconRoot,
    /// The block hash is not the hash of the block's contents.
    #[error("the block hash does not match the block")]
    BlockHash,
    /// [`crate::MAX_BLOCKS_PER_HEIGHT`] other blocks were seen at this height.
    #[error("too many blocks at height {0}")]
    TooManyAtHeight(u64),
    /// Not signed by the unsafe block signer.
    #[error("signed by {0}, not by the unsafe block signer")]
    Signer(Address),
}

impl Reject {
    /// A short label for metrics.
    pub const fn label(&self) -> &'static str {
        match self {
            Self::Topic => "topic",
            Self::Message(MessageError::TooLarge(_) | MessageError::TooLargeDecompressed(_)) => {
                "too_large"
            }
            Self::Message(MessageError::Compression) => "compression",
            Self::Message(MessageError::Signature) => "signature_encoding",
            Self::Message(_) => "encoding",
            Self::TooOld { .. } => "too_old",
            Self::TooFarAhead { .. } => "too_far_ahead",
            Self::WrongVersion { .. } => "wrong_version",
            Self::Withdrawals => "withdrawals",
            Self::BlobGasUsed => "blob_gas_used",
            Self::ExcessBlobGas => "excess_blob_gas",
            Self::NoBeaconRoot => "no_beacon_root",
            Self::BlockHash => "block_hash",
            Self::TooManyAtHeight(_) => "too_many_at_height",
            Self::Signer(_) => "signer",
        }
    }
}

/// The outcome of validating one message, as gossipsub takes it.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Valid: relay it, and here is the engine input of the block.
    Accept(Box<OpExecutionData>),
    /// Seen already: drop it without penalty.
    Ignore,
    /// Invalid: drop it and penalize the peer.
    Reject(Reject),
}

/// Validates the block messages of one chain.
#[derive(Debug, Clone)]
pub struct Validator {
    chain_id: u64,
    forks: ForkTimes,
    signer: Address,
    seen: Seen,
}

impl Validator {
    /// A validator of chain `chain_id` with `forks`, trusting blocks signed by `signer`.
    pub fn new(chain_id: u64, forks: ForkTimes, signer: Address) -> Self {
        Self { chain_id, forks, signer, seen: Seen::default() }
    }

    /// The unsafe block signer in force.
    pub const fn signer(&self) -> Address {
        self.signer
    }

    /// Trusts `signer` from now on (a SystemConfig update).
    pub fn set_signer(&mut self, signer: Address) {
        self.signer = signer;
    }

    /// Validates `data` received on `topic` at Unix time `now`; an accepted block is marked as
    /// seen.
    pub fn validate(&mut self, topic: &str, data: &[u8], now: u64) -> Verdict {
        match self.check(topic, data, now) {
            Ok(Some(data)) => Verdict::Accept(Box::new(data)),
            Ok(None) => Verdict::Ignore,
            Err(reject) => Verdict::Reject(reject),
        }
    }

    fn check(
        &mut self,
        topic: &str,
        data: &[u8],
        now: u64,
    ) -> Result<Option<OpExecutionData>, Reject> {
        let topic =
            Topic::parse(topic).filter(|t| t.chain_id == self.chain_id).ok_or(Reject::Topic)?;
        let envelope = decode(topic.version, data)?;
        let timestamp = envelope.payload.timestamp();
        if timestamp.saturating_add(MAX_AGE_SECS) < now {
            return Err(Reject::TooOld { timestamp });
        }
        if timestamp > now.saturating_add(MAX_AHEAD_SECS) {
            return Err(Reject::TooFarAhead { timestamp });
        }
        let expected = BlockVersion::at(&self.forks, timestamp);
        if expected != topic.version {
            return Err(Reject::WrongVersion { expected, topic: topic.version });
        }
        self.check_fields(&envelope, timestamp)?;
        let data = block_hash_checked(&envelope)?;
        let (number, hash) = (envelope.payload.block_number(), envelope.payload.block_hash());
        match self.seen.check(number, hash) {
            SeenCheck::HeightFull => return Err(Reject::TooManyAtHeight(number)),
            SeenCheck::Duplicate => return Ok(None),
            SeenCheck::New => {}
        }
        let message = envelope.payload_hash.signature_message(self.chain_id);
        let signer = envelope
            .signature
            .recover_address_from_prehash(&message)
            .map_err(|_| Reject::Message(MessageError::Signature))?;
        if signer != self.signer {
            return Err(Reject::Signer(signer));
        }
        self.seen.mark(number, hash);
        Ok(Some(data))
    }

    /// The version's rules on withdrawals, blob gas and the parent beacon block root. The
    /// payload types already rule out what a version cannot hold (a V1 payload has no
    /// withdrawals, a V3 payload no withdrawals root).
    fn check_fields(
        &self,
        envelope: &OpNetworkPayloadEnvelope,
        timestamp: u64,
    ) -> Result<(), Reject> {
        if envelope.payload.as_v2().is_some_and(|p| !p.withdrawals.is_empty()) {
            return Err(Reject::Withdrawals);
        }
        if let Some(v3) = envelope.payload.as_v3() {
            let jovian = self.forks.time(Fork::Jovian).is_some_and(|t| timestamp >= t);
            if v3.blob_gas_used != 0 && !jovian {
                return Err(Reject::BlobGasUsed);
            }
            if v3.excess_blob_gas != 0 {
                return Err(Reject::ExcessBlobGas);
            }
            if envelope.parent_beacon_block_root.is_none() {
                return Err(Reject::NoBeaconRoot);
            }
        } else if envelope.parent_beacon_block_root.is_some() {
            return Err(Reject::Message(MessageError::Encoding(
                "a pre-Ecotone block with a parent beacon block root".into(),
            )));
        }
        Ok(())
    }
}

/// The engine input of the envelope's block, if its block hash is the hash of its contents.
fn block_hash_checked(envelope: &OpNetworkPayloadEnvelope) -> Result<OpExecutionData, Reject> {
    let data = envelope_to_data(OpExecutionPayloadEnvelope {
        execution_payload: envelope.payload.clone(),
        parent_beacon_block_root: envelope.parent_beacon_block_root,
    })
    .map_err(|e| Reject::Message(MessageError::Encoding(e)))?;
    let block = OpExecutionPayload::try_into_block_with_sidecar::<OpTxEnvelope>(
        data.payload.clone(),
        &data.sidecar,
    )
    .map_err(|_| Reject::BlockHash)?;
    if block.header.hash_slow() != envelope.payload.block_hash() {
        return Err(Reject::BlockHash);
    }
    Ok(data)
}

/// The signing message of `envelope` on chain `chain_id` (what the sequencer signs).
pub fn signing_message(envelope: &OpNetworkPayloadEnvelope, chain_id: u64) -> B256 {
    envelope.payload_hash.signature_message(chain_id)
}

#[cfg(test)]
mod tests;
