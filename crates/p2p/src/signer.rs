//! The unsafe block signer: the address whose signature makes a gossiped block valid. It is
//! the chain's, held by its SystemConfig contract on L1 in the storage slot
//! `keccak256("systemconfig.unsafeblocksigner")` and changed there by the SystemConfig owner (a
//! `ConfigUpdate` of type 3 in the same transaction). `--p2p.unsafe-block-signer` overrides it
//! for devnets; with an override, L1 is not read.

use crate::gossip::GossipHandle;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{b256, Address, B256};
use light_cl_rpc::{ElError, L1Client};
use std::{future::Future, time::Duration};
use tracing::{info, warn};

/// `keccak256("systemconfig.unsafeblocksigner")`: SystemConfig's storage slot of the signer.
pub const UNSAFE_BLOCK_SIGNER_SLOT: B256 =
    b256!("0x65a7ed542fb37fe237fdfbdd70b31598523fe5b32879e307bae27a0bd9581c08");

/// Where the signer comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerSource {
    /// `--p2p.unsafe-block-signer`: this address, whatever L1 says.
    Override(Address),
    /// The SystemConfig contract at this L1 address.
    SystemConfig(Address),
}

/// Why the signer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// Reading L1 failed.
    #[error("reading the unsafe block signer from L1: {0}")]
    L1(#[from] ElError),
    /// The slot holds more than an address (not a SystemConfig, or another layout).
    #[error("the SystemConfig's signer slot holds {0}, not an address")]
    NotAnAddress(B256),
    /// The slot is empty: no signer set (or no SystemConfig at that address).
    #[error("no unsafe block signer is set in the SystemConfig at {0}")]
    Unset(Address),
}

impl SignerSource {
    /// The signer in force in the state of the L1 block `at` (a hash).
    pub async fn signer_at(&self, l1: &L1Client, at: B256) -> Result<Address, SignerError> {
        let system_config = match *self {
            Self::Override(signer) => return Ok(signer),
            Self::SystemConfig(address) => address,
        };
        let word = l1.storage_at(system_config, UNSAFE_BLOCK_SIGNER_SLOT, at).await?;
        signer_of_word(word, system_config)
    }

    /// The signer in force at L1's latest block, with that block's number; `None` when L1 has
    /// no latest block.
    pub async fn signer_at_head(
        &self,
        l1: &L1Client,
    ) -> Result<Option<(Address, u64)>, SignerError> {
        let Some(head) = l1.block_ref_by_tag(BlockNumberOrTag::Latest).await? else {
            return Ok(None);
        };
        Ok(Some((self.signer_at(l1, head.hash).await?, head.number)))
    }
}

/// Keeps `gossip`'s signer current until `shutdown`: every `interval`, reads the signer in force
/// at L1's latest block and sets it when it changed. A failed read keeps the signer in force
/// and is logged; an override is set once and never read again.
pub async fn track_signer(
    source: SignerSource,
    l1: L1Client,
    gossip: GossipHandle,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tick.tick() => {}
        }
        match source.signer_at_head(&l1).await {
            Ok(Some((signer, l1_block))) if signer != gossip.signer() => {
                info!(target: "light_cl::gossip", %signer, l1_block, "unsafe block signer changed");
                if gossip.set_signer(signer).await.is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                warn!(target: "light_cl::gossip", %e, "keeping the unsafe block signer in force")
            }
        }
        if matches!(source, SignerSource::Override(_)) {
            return;
        }
    }
}

/// The address a storage word holds (right-aligned, the upper 12 bytes zero).
fn signer_of_word(word: B256, system_config: Address) -> Result<Address, SignerError> {
    if word[..12].iter().any(|b| *b != 0) {
        return Err(SignerError::NotAnAddress(word));
    }
    let signer = Address::from_slice(&word[12..]);
    if signer.is_zero() {
        return Err(SignerError::Unset(system_config));
    }
    Ok(signer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, keccak256};

    #[test]
    fn the_slot_is_the_hash_of_its_name() {
        assert_eq!(UNSAFE_BLOCK_SIGNER_SLOT, keccak256("systemconfig.unsafeblocksigner"));
    }

    #[test]
    fn a_word_holds_an_address_or_is_refused() {
        let signer = address!("0xaaaa45d9549eda09e70937013520214382ffc4a2");
        let config = Address::repeat_byte(5);
        assert_eq!(signer_of_word(signer.into_word(), config), Ok(signer));
        assert_eq!(signer_of_word(B256::ZERO, config), Err(SignerError::Unset(config)));
        let dirty = B256::repeat_byte(1);
        assert_eq!(signer_of_word(dirty, config), Err(SignerError::NotAnAddress(dirty)));
    }
}
