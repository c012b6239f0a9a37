//! `optimism_outputAtBlock`: output root v0 from the block's state root, its hash and the storage
//! root of the L2ToL1MessagePasser: from Isthmus on the header's withdrawals root, which holds it;
//! before, computed from the state, in-process.

use crate::chain::{ChainProvider, RethChain};
use alloy_consensus::BlockHeader;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use light_cl_protocol::{output_root_v0, OutputResponse, SyncStatus, OUTPUT_VERSION_V0};
use light_cl_rpc::{OutputError, OutputSource};
use reth_optimism_primitives::L2_TO_L1_MESSAGE_PASSER_ADDRESS;
use reth_provider::{StateProviderFactory, StorageRootProvider};
use reth_trie_common::HashedStorage;

/// Computes outputs from the node's state.
#[derive(Debug, Clone)]
pub struct RethOutputs<P> {
    chain: RethChain<P>,
    provider: P,
    isthmus_time: Option<u64>,
}

impl<P: ChainProvider + StateProviderFactory> RethOutputs<P> {
    /// Outputs of `chain`'s blocks, with state from `provider`; Isthmus activates at
    /// `isthmus_time` (the rollup config's).
    pub const fn new(chain: RethChain<P>, provider: P, isthmus_time: Option<u64>) -> Self {
        Self { chain, provider, isthmus_time }
    }
}

impl<P: ChainProvider + StateProviderFactory> OutputSource for RethOutputs<P> {
    async fn output_at_block(
        &self,
        block: BlockNumberOrTag,
        status: SyncStatus,
    ) -> Result<OutputResponse, OutputError> {
        let number = match block {
            BlockNumberOrTag::Number(n) => n,
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => status.unsafe_l2.number,
            BlockNumberOrTag::Safe => status.safe_l2.number,
            BlockNumberOrTag::Finalized => status.finalized_l2.number,
            BlockNumberOrTag::Earliest => self.chain.genesis().l2.number,
        };
        let internal = |e: &dyn std::fmt::Display| OutputError::Internal(e.to_string());
        let block_ref = self
            .chain
            .block_ref(number)
            .map_err(|e| internal(&e))?
            .ok_or_else(|| OutputError::NotFound(number.to_string()))?;
        // By hash: a reorg between the two reads cannot mix two blocks.
        let header = self
            .provider
            .sealed_header_by_hash(block_ref.hash)
            .map_err(|e| internal(&e))?
            .ok_or_else(|| OutputError::NotFound(number.to_string()))?;
        let isthmus = self.isthmus_time.is_some_and(|t| header.timestamp() >= t);
        let withdrawal_storage_root = match header_withdrawals_root(header.header(), isthmus)? {
            Some(root) => root,
            None => self
                .provider
                .state_by_block_hash(block_ref.hash)
                .and_then(|state| {
                    state.storage_root(L2_TO_L1_MESSAGE_PASSER_ADDRESS, HashedStorage::default())
                })
                .map_err(|e| internal(&e))?,
        };
        let state_root = header.state_root();
        Ok(OutputResponse {
            version: OUTPUT_VERSION_V0,
            output_root: output_root_v0(state_root, withdrawal_storage_root, block_ref.hash),
            block_ref,
            withdrawal_storage_root,
            state_root,
            sync_status: status,
        })
    }
}

/// The message passer's storage root as an Isthmus header carries it; `None` before Isthmus,
/// when it must be computed from the state.
fn header_withdrawals_root(
    header: &impl BlockHeader,
    isthmus: bool,
) -> Result<Option<B256>, OutputError> {
    if !isthmus {
        return Ok(None);
    }
    header.withdrawals_root().map(Some).ok_or_else(|| {
        OutputError::Internal(format!(
            "block {} is after Isthmus but its header has no withdrawals root",
            header.number()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::Header;

    #[test]
    fn from_isthmus_the_header_holds_the_message_passer_root() {
        let root = B256::repeat_byte(7);
        let header = Header { number: 9, withdrawals_root: Some(root), ..Default::default() };
        assert_eq!(header_withdrawals_root(&header, true).unwrap(), Some(root));
        assert_eq!(header_withdrawals_root(&header, false).unwrap(), None, "computed before");
        let without = Header { number: 9, ..Default::default() };
        let err = header_withdrawals_root(&without, true).unwrap_err().to_string();
        assert!(err.contains("no withdrawals root"), "{err}");
    }
}
