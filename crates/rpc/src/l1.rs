//! L1 client: block refs by number, hash and tag, headers, receipts and storage words, over the capped JSON-RPC
//! client (a timeout and a size cap on every answer, no redirects).

use crate::{CappedClient, CappedConfig, ElError};
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, B256};
use alloy_rpc_types_eth::{Block, TransactionReceipt};
use light_cl_protocol::L1BlockRef;
use serde::de::DeserializeOwned;
use std::{sync::Arc, time::Duration};
use url::Url;

/// Default per-request timeout for L1.
pub const DEFAULT_L1_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on one L1 answer: a block's receipts with all their logs can be large.
pub const DEFAULT_MAX_L1_RESPONSE_BYTES: usize = 64 << 20;

/// An L1 execution client, read for block refs, headers and receipts.
#[derive(Debug, Clone)]
pub struct L1Client {
    rpc: Arc<CappedClient>,
}

impl L1Client {
    /// A client of the L1 execution RPC at `url` (HTTP or HTTPS), answers capped at
    /// [`DEFAULT_MAX_L1_RESPONSE_BYTES`].
    pub fn new(url: Url, timeout: Duration) -> Result<Self, ElError> {
        Self::with_max_response_bytes(url, timeout, DEFAULT_MAX_L1_RESPONSE_BYTES)
    }

    /// The same with another cap on one answer, in bytes.
    pub fn with_max_response_bytes(
        url: Url,
        timeout: Duration,
        max_response_bytes: usize,
    ) -> Result<Self, ElError> {
        let mut config = CappedConfig::new(url);
        config.timeout = timeout;
        config.max_response_bytes = max_response_bytes;
        let rpc = CappedClient::new(config).map_err(|e| ElError::Rpc(e.to_string()))?;
        Ok(Self { rpc: Arc::new(rpc) })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<T, ElError> {
        self.rpc.call_with(method, params).await.map_err(ElError::from)
    }

    async fn block(&self, id: BlockNumberOrTag) -> Result<Option<Block>, ElError> {
        self.call("eth_getBlockByNumber", serde_json::json!([id, false])).await
    }

    async fn block_by_hash(&self, hash: B256) -> Result<Option<Block>, ElError> {
        self.call("eth_getBlockByHash", serde_json::json!([hash, false])).await
    }

    /// The canonical L1 block at `number`, if there is one.
    pub async fn block_ref_by_number(&self, number: u64) -> Result<Option<L1BlockRef>, ElError> {
        let block = self.block(number.into()).await?;
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
        let block = self.block_by_hash(hash).await?;
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
        Ok(self.block(tag).await?.map(|b| to_ref(&b)))
    }

    /// The full header of the L1 block with `hash`, checked to hash to it.
    pub async fn header_by_hash(
        &self,
        hash: B256,
    ) -> Result<Option<alloy_consensus::Header>, ElError> {
        let Some(block) = self.block_by_hash(hash).await? else {
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

    /// The storage word at `slot` of `address` in the state of the L1 block with `hash`
    /// (`eth_getStorageAt`, the block named by hash as EIP-1898 has it).
    pub async fn storage_at(
        &self,
        address: Address,
        slot: B256,
        hash: B256,
    ) -> Result<B256, ElError> {
        self.call("eth_getStorageAt", serde_json::json!([address, slot, { "blockHash": hash }]))
            .await
    }

    /// All receipts of the L1 block with `hash`, in transaction order (`eth_getBlockReceipts`).
    pub async fn receipts_by_hash(
        &self,
        hash: B256,
    ) -> Result<Option<Vec<alloy_consensus::ReceiptEnvelope>>, ElError> {
        let receipts: Option<Vec<TransactionReceipt>> =
            self.call("eth_getBlockReceipts", serde_json::json!([hash])).await?;
        Ok(receipts.map(|receipts| {
            receipts.into_iter().map(|r| r.into_primitives_receipt().inner).collect()
        }))
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
