//! The light CL's [`Chain`] over the node's provider: block refs are read from each block's
//! header and its L1 info deposit (the genesis ref comes from the rollup config).

use crate::peers::PeerHeaders;
use alloy_consensus::Header;
use alloy_primitives::B256;
use light_cl::{Chain, ChainError, Heads};
use light_cl_protocol::{l2_block_ref, ChainGenesis, L2BlockRef};
use reth_optimism_primitives::OpTransactionSigned;
use reth_provider::{
    BlockBodyIndicesProvider, BlockIdReader, BlockNumReader, HeaderProvider, ProviderError,
    TransactionsProvider,
};

/// What the chain reader needs of a provider.
pub trait ChainProvider:
    BlockNumReader
    + BlockIdReader
    + HeaderProvider<Header = Header>
    + BlockBodyIndicesProvider
    + TransactionsProvider<Transaction = OpTransactionSigned>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<P> ChainProvider for P where
    P: BlockNumReader
        + BlockIdReader
        + HeaderProvider<Header = Header>
        + BlockBodyIndicesProvider
        + TransactionsProvider<Transaction = OpTransactionSigned>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// The local canonical chain, as the provider has it.
#[derive(Debug, Clone)]
pub struct RethChain<P> {
    provider: P,
    genesis: ChainGenesis,
    peers: Option<PeerHeaders>,
}

impl<P: ChainProvider> RethChain<P> {
    /// Reads `provider`; `genesis` is the rollup config's.
    pub const fn new(provider: P, genesis: ChainGenesis) -> Self {
        Self { provider, genesis, peers: None }
    }

    /// Also asks devp2p peers for headers of blocks not known locally.
    pub fn with_peers(mut self, peers: PeerHeaders) -> Self {
        self.peers = Some(peers);
        self
    }

    /// The rollup config's genesis.
    pub const fn genesis(&self) -> &ChainGenesis {
        &self.genesis
    }

    /// The canonical block at `number`, read without loading the whole block.
    pub fn block_ref(&self, number: u64) -> Result<Option<L2BlockRef>, ChainError> {
        let Some((hash, header, first_tx)) = self.header_and_first_tx_at(number)? else {
            return Ok(None);
        };
        Ok(Some(l2_block_ref(hash, &header, first_tx.as_ref(), &self.genesis)?))
    }

    /// The canonical header at `number` with its hash and first transaction.
    fn header_and_first_tx_at(
        &self,
        number: u64,
    ) -> Result<Option<(B256, Header, Option<OpTransactionSigned>)>, ChainError> {
        let Some(header) = self.provider.sealed_header(number).map_err(provider_error)? else {
            return Ok(None);
        };
        let first_tx = match self.provider.block_body_indices(number).map_err(provider_error)? {
            Some(indices) if indices.tx_count > 0 => {
                self.provider.transaction_by_id(indices.first_tx_num).map_err(provider_error)?
            }
            _ => None,
        };
        let (header, hash) = header.split();
        Ok(Some((hash, header, first_tx)))
    }
}

fn provider_error(e: ProviderError) -> ChainError {
    ChainError::Provider(e.to_string())
}

impl<P: ChainProvider> Chain for RethChain<P> {
    async fn block_ref_by_number(&self, number: u64) -> Result<Option<L2BlockRef>, ChainError> {
        self.block_ref(number)
    }

    /// Only canonical blocks: reth's provider does not see side chains.
    async fn block_ref_by_hash(&self, hash: B256) -> Result<Option<L2BlockRef>, ChainError> {
        let Some(number) = self.provider.block_number(hash).map_err(provider_error)? else {
            return Ok(None);
        };
        Ok(self.block_ref(number)?.filter(|b| b.hash == hash))
    }

    /// Only canonical blocks, as [`Chain::block_ref_by_hash`].
    async fn header_and_first_tx(
        &self,
        hash: B256,
    ) -> Result<Option<(Header, Option<OpTransactionSigned>)>, ChainError> {
        let Some(number) = self.provider.block_number(hash).map_err(provider_error)? else {
            return Ok(None);
        };
        Ok(self
            .header_and_first_tx_at(number)?
            .filter(|(h, _, _)| *h == hash)
            .map(|(_, header, tx)| (header, tx)))
    }

    async fn peer_headers(&self, hash: B256, limit: u64) -> Result<Vec<L2BlockRef>, ChainError> {
        match &self.peers {
            Some(peers) => peers.fetch(hash, limit).await,
            None => Ok(Vec::new()),
        }
    }

    async fn heads(&self) -> Result<Heads, ChainError> {
        let best = self.provider.chain_info().map_err(provider_error)?;
        let unsafe_head = self.block_ref(best.best_number)?.ok_or_else(|| {
            ChainError::Provider(format!("canonical head {} not found", best.best_number))
        })?;
        let label =
            |id: Option<alloy_eips::BlockNumHash>| -> Result<Option<L2BlockRef>, ChainError> {
                match id {
                    Some(id) => Ok(self.block_ref(id.number)?.filter(|b| b.hash == id.hash)),
                    None => Ok(None),
                }
            };
        Ok(Heads {
            unsafe_head,
            safe: label(self.provider.safe_block_num_hash().map_err(provider_error)?)?,
            finalized: label(self.provider.finalized_block_num_hash().map_err(provider_error)?)?,
        })
    }
}
