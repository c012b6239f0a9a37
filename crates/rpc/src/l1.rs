//! L1 client: block refs by number, hash and tag over an alloy provider.

use crate::ElError;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::Block;
use light_cl_protocol::L1BlockRef;
use std::time::Duration;
use url::Url;

/// Default per-request timeout for L1.
pub const DEFAULT_L1_TIMEOUT: Duration = Duration::from_secs(10);

/// An L1 execution client, read for block refs.
#[derive(Debug, Clone)]
pub struct L1Client {
    provider: RootProvider,
    timeout: Duration,
}

impl L1Client {
    /// A client of the L1 execution RPC at `url` (HTTP or HTTPS).
    pub fn new(url: Url, timeout: Duration) -> Self {
        Self { provider: RootProvider::new_http(url), timeout }
    }

    /// The canonical L1 block at `number`, if there is one.
    pub async fn block_ref_by_number(&self, number: u64) -> Result<Option<L1BlockRef>, ElError> {
        let block = self.bounded(self.provider.get_block_by_number(number.into())).await?;
        if let Some(b) = &block {
            if b.header.number != number {
                return Err(ElError::Mismatch {
                    asked: number.to_string(),
                    got: b.header.number.to_string(),
                });
            }
        }
        Ok(block.map(|b| to_ref(&b)))
    }

    /// The L1 block with `hash`, if the node knows it.
    pub async fn block_ref_by_hash(&self, hash: B256) -> Result<Option<L1BlockRef>, ElError> {
        let block = self.bounded(self.provider.get_block_by_hash(hash)).await?;
        if let Some(b) = &block {
            if b.header.hash != hash {
                return Err(ElError::Mismatch {
                    asked: hash.to_string(),
                    got: b.header.hash.to_string(),
                });
            }
        }
        Ok(block.map(|b| to_ref(&b)))
    }

    /// The L1 block at a tag (`latest`, `safe`, `finalized`), if the node has one.
    pub async fn block_ref_by_tag(
        &self,
        tag: BlockNumberOrTag,
    ) -> Result<Option<L1BlockRef>, ElError> {
        let block = self.bounded(self.provider.get_block_by_number(tag)).await?;
        Ok(block.map(|b| to_ref(&b)))
    }

    /// The full header of the L1 block with `hash`, checked to hash to it.
    pub async fn header_by_hash(
        &self,
        hash: B256,
    ) -> Result<Option<alloy_consensus::Header>, ElError> {
        let Some(block) = self.bounded(self.provider.get_block_by_hash(hash)).await? else {
            return Ok(None);
        };
        let header = block.header.inner;
        if header.hash_slow() != hash {
            return Err(ElError::Mismatch {
                asked: hash.to_string(),
                got: header.hash_slow().to_string(),
            });
        }
        Ok(Some(header))
    }

    /// All receipts of the L1 block with `hash`, in transaction order (`eth_getBlockReceipts`).
    pub async fn receipts_by_hash(
        &self,
        hash: B256,
    ) -> Result<Option<Vec<alloy_consensus::ReceiptEnvelope>>, ElError> {
        let call = self.provider.get_block_receipts(hash.into());
        let receipts = crate::el::bounded(self.timeout, call).await?;
        Ok(receipts.map(|receipts| {
            receipts.into_iter().map(|r| r.into_primitives_receipt().inner).collect()
        }))
    }

    async fn bounded<F>(&self, call: F) -> Result<Option<Block>, ElError>
    where
        F: std::future::IntoFuture<Output = alloy_transport::TransportResult<Option<Block>>>,
    {
        crate::el::bounded(self.timeout, call).await
    }
}

fn to_ref(block: &Block) -> L1BlockRef {
    L1BlockRef {
        hash: block.header.hash,
        number: block.header.number,
        parent_hash: block.header.parent_hash,
        timestamp: block.header.timestamp,
    }
}
