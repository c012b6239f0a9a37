//! Client of the follow source's L2 execution RPC: whole blocks, as payloads the local engine can
//! take, for catching up when no devp2p peer serves them.

use crate::{CappedClient, CappedConfig, ElError};
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use light_cl_protocol::{l2_block_ref, ChainGenesis, L2BlockRef};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::OpExecutionData;
use std::{sync::Arc, time::Duration};
use url::Url;

/// An L2 block fetched from the source's execution RPC, checked to hash to what it claims.
#[derive(Debug, Clone)]
pub struct L2Block {
    /// Block hash, recomputed from the header.
    pub hash: B256,
    /// Block number.
    pub number: u64,
    /// Parent hash.
    pub parent_hash: B256,
    /// The block as `new_payload` input.
    pub payload: OpExecutionData,
}

impl L2Block {
    /// The block's hash, number and parent as an [`L2BlockRef`]; its L1 origin, timestamp and
    /// sequence number are not read and stay zero.
    pub fn link(&self) -> L2BlockRef {
        L2BlockRef {
            hash: self.hash,
            number: self.number,
            parent_hash: self.parent_hash,
            ..Default::default()
        }
    }
}

type RpcBlock = alloy_rpc_types_eth::Block<op_alloy_rpc_types::Transaction>;

/// Time allowed for one request to the source's execution RPC (a block with all its
/// transactions).
pub const DEFAULT_L2_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest answer accepted from the source's execution RPC: a block with all its transactions.
pub const DEFAULT_MAX_BLOCK_RESPONSE_BYTES: usize = 32 << 20;

/// An L2 execution client (op-geth, op-reth) of the follow source, with a timeout and a size cap
/// on every answer.
#[derive(Debug, Clone)]
pub struct L2Client {
    rpc: Arc<CappedClient>,
}

impl L2Client {
    /// A client of the L2 execution RPC at `url` (HTTP or HTTPS).
    pub fn new(url: Url, timeout: Duration) -> Result<Self, ElError> {
        let mut config = CappedConfig::new(url);
        config.timeout = timeout;
        Self::with_config(config)
    }

    /// A client with `config`'s URL, timeout and headers; answers capped at
    /// [`DEFAULT_MAX_BLOCK_RESPONSE_BYTES`].
    pub fn with_config(mut config: CappedConfig) -> Result<Self, ElError> {
        config.max_response_bytes = DEFAULT_MAX_BLOCK_RESPONSE_BYTES;
        let rpc = CappedClient::new(config).map_err(|e| ElError::Rpc(e.to_string()))?;
        Ok(Self { rpc: Arc::new(rpc) })
    }

    async fn get_block(
        &self,
        method: &str,
        id: serde_json::Value,
    ) -> Result<Option<RpcBlock>, ElError> {
        self.rpc.call_with(method, serde_json::json!([id, true])).await.map_err(ElError::from)
    }

    /// The source's canonical block at `number`, if any.
    pub async fn block_by_number(&self, number: u64) -> Result<Option<L2Block>, ElError> {
        let block = self
            .get_block(
                "eth_getBlockByNumber",
                serde_json::to_value(BlockNumberOrTag::Number(number)).expect("serializable"),
            )
            .await?;
        block
            .map(|b| {
                checked(b, |hash, n| {
                    (n == number).then_some(()).ok_or((number.to_string(), format!("{n} ({hash})")))
                })
            })
            .transpose()
    }

    /// The hash, number and parent of the source's canonical block at `number`, read from its
    /// header alone (the header is checked to hash to the claimed hash).
    pub async fn header_by_number(&self, number: u64) -> Result<Option<L2BlockRef>, ElError> {
        let tag = serde_json::to_value(BlockNumberOrTag::Number(number)).expect("serializable");
        let block: Option<alloy_rpc_types_eth::Block<B256>> = self
            .rpc
            .call_with("eth_getBlockByNumber", serde_json::json!([tag, false]))
            .await
            .map_err(ElError::from)?;
        let Some(block) = block else { return Ok(None) };
        let hash = block.header.inner.hash_slow();
        if hash != block.header.hash || block.header.inner.number != number {
            return Err(ElError::Mismatch {
                asked: format!("the header of block {number}"),
                got: format!("block {} hashing to {hash}", block.header.inner.number),
            });
        }
        Ok(Some(L2BlockRef {
            hash,
            number,
            parent_hash: block.header.inner.parent_hash,
            ..Default::default()
        }))
    }

    /// The refs of the `latest`, `safe` and `finalized` blocks, read in one batch request (so
    /// one answer of a load balancer), each header checked to hash to its claimed hash and its
    /// L1 origin read from its L1 info deposit. A tag the node does not have yet reads `None`.
    pub async fn head_refs(&self, genesis: &ChainGenesis) -> Result<ElHeads, ElError> {
        let tags = [BlockNumberOrTag::Latest, BlockNumberOrTag::Safe, BlockNumberOrTag::Finalized];
        let calls: Vec<_> = tags
            .iter()
            .map(|tag| ("eth_getBlockByNumber", serde_json::json!([tag, true])))
            .collect();
        let mut refs = [None; 3];
        for (slot, (answer, tag)) in refs
            .iter_mut()
            .zip(self.rpc.batch::<Option<RpcBlock>>(&calls).await?.into_iter().zip(tags))
        {
            *slot = match answer {
                Ok(Some(block)) => Some(block_ref(block, genesis)?),
                Ok(None) => None,
                // A node before its first safe block answers an error for the tag.
                Err(crate::CappedError::Rpc { .. }) if tag != BlockNumberOrTag::Latest => None,
                Err(e) => return Err(e.into()),
            };
        }
        let [unsafe_head, safe, finalized] = refs;
        Ok(ElHeads { unsafe_head, safe, finalized })
    }

    /// The node's `optimism_followInfo` (an op-reth-light serves it beside `eth_*`; any other
    /// node is taken as deriving).
    pub async fn follow_info(&self) -> Result<light_cl_protocol::FollowInfo, crate::CappedError> {
        self.rpc.follow_info().await
    }

    /// The ref of the canonical block at `number` (its L1 origin read from its L1 info deposit,
    /// checked like [`L2Client::head_refs`]).
    pub async fn block_ref_by_number(
        &self,
        number: u64,
        genesis: &ChainGenesis,
    ) -> Result<Option<L2BlockRef>, ElError> {
        let tag = serde_json::to_value(BlockNumberOrTag::Number(number)).expect("serializable");
        match self.get_block("eth_getBlockByNumber", tag).await? {
            Some(block) if block.header.inner.number == number => {
                block_ref(block, genesis).map(Some)
            }
            Some(block) => Err(ElError::Mismatch {
                asked: format!("block {number}"),
                got: format!("block {}", block.header.inner.number),
            }),
            None => Ok(None),
        }
    }

    /// The source's block with `hash`, if it has it.
    pub async fn block_by_hash(&self, hash: B256) -> Result<Option<L2Block>, ElError> {
        let block = self.get_block("eth_getBlockByHash", serde_json::json!(hash)).await?;
        block
            .map(|b| {
                checked(b, |got, _| {
                    (got == hash).then_some(()).ok_or((hash.to_string(), got.to_string()))
                })
            })
            .transpose()
    }
}

/// The `latest`, `safe` and `finalized` blocks of an execution RPC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ElHeads {
    /// `latest`.
    pub unsafe_head: Option<L2BlockRef>,
    /// `safe`.
    pub safe: Option<L2BlockRef>,
    /// `finalized`.
    pub finalized: Option<L2BlockRef>,
}

/// The ref of an RPC block whose header hashes to its claimed hash.
fn block_ref(block: RpcBlock, genesis: &ChainGenesis) -> Result<L2BlockRef, ElError> {
    let hash = verified_hash(&block.header)?;
    // The L1 origin is read from the first transaction: it must be the block's.
    let header = block.header.inner;
    let txs: Vec<OpTxEnvelope> =
        block.transactions.into_transactions().map(|tx| tx.inner.inner.into_inner()).collect();
    let root = alloy_consensus::proofs::calculate_transaction_root(&txs);
    if root != header.transactions_root {
        return Err(ElError::Mismatch {
            asked: format!("block {hash} with transactions root {}", header.transactions_root),
            got: format!("transactions whose root is {root}"),
        });
    }
    l2_block_ref(hash, &header, txs.first(), genesis).map_err(|e| ElError::Rpc(e.to_string()))
}

/// The hash of an RPC header, which must be the hash it claims.
fn verified_hash(header: &alloy_rpc_types_eth::Header) -> Result<B256, ElError> {
    let hash = header.inner.hash_slow();
    if hash != header.hash {
        return Err(ElError::Mismatch {
            asked: format!("a block hashing to {}", header.hash),
            got: format!("a header hashing to {hash}"),
        });
    }
    Ok(hash)
}

/// Converts an RPC block into a payload, refusing one whose header does not hash to the claimed
/// hash or that is not the block asked for.
fn checked(
    block: RpcBlock,
    asked: impl FnOnce(B256, u64) -> Result<(), (String, String)>,
) -> Result<L2Block, ElError> {
    let hash = verified_hash(&block.header)?;
    let number = block.header.inner.number;
    asked(hash, number).map_err(|(asked, got)| ElError::Mismatch { asked, got })?;
    let parent_hash = block.header.inner.parent_hash;
    let block = block.map_transactions(|tx| tx.inner.inner.into_inner()).into_consensus();
    let block: alloy_consensus::Block<OpTxEnvelope> = block;
    Ok(L2Block {
        hash,
        number,
        parent_hash,
        payload: OpExecutionData::from_block_unchecked(hash, &block),
    })
}
