//! `optimism_outputAtBlock`: output root v0 from the block's state root, its hash and the storage
//! root of the L2ToL1MessagePasser, read in-process.

use crate::chain::{ChainProvider, RethChain};
use alloy_eips::BlockNumberOrTag;
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
}

impl<P: ChainProvider + StateProviderFactory> RethOutputs<P> {
    /// Outputs of `chain`'s blocks, with state from `provider`.
    pub const fn new(chain: RethChain<P>, provider: P) -> Self {
        Self { chain, provider }
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
        let state = self.provider.state_by_block_hash(block_ref.hash).map_err(|e| internal(&e))?;
        let withdrawal_storage_root = state
            .storage_root(L2_TO_L1_MESSAGE_PASSER_ADDRESS, HashedStorage::default())
            .map_err(|e| internal(&e))?;
        let state_root = alloy_consensus::BlockHeader::state_root(header.header());
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
