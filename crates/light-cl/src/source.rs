//! Where the follow task reads the deriving node's status and L1.

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use light_cl_protocol::{FollowInfo, L1BlockRef, L2BlockRef, SourceKind, SyncStatus};
use light_cl_rpc::{CappedClient, CappedError, ElError, L1Client, L2Block, L2Client};
use std::future::Future;

/// The follow source: a rollup node's `optimism_syncStatus`.
pub trait FollowSource: Send + Sync + 'static {
    /// Fetches the source's current status.
    fn sync_status(&self) -> impl Future<Output = Result<SyncStatus, CappedError>> + Send;

    /// The source's canonical block at `number`, from `optimism_outputAtBlock` (which needs the
    /// source's execution layer to still hold that block's state).
    fn block_ref_at(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<L2BlockRef, CappedError>> + Send;

    /// A rollup node, or an execution RPC (which has no `current_l1`).
    fn kind(&self) -> SourceKind {
        SourceKind::Rollup
    }

    /// The source's `optimism_followInfo`; a source without it derives.
    fn follow_info(&self) -> impl Future<Output = Result<FollowInfo, CappedError>> + Send {
        async { Ok(FollowInfo::deriving()) }
    }
}

impl FollowSource for CappedClient {
    fn sync_status(&self) -> impl Future<Output = Result<SyncStatus, CappedError>> + Send {
        CappedClient::sync_status(self)
    }

    async fn block_ref_at(&self, number: u64) -> Result<L2BlockRef, CappedError> {
        Ok(self.output_at_block(number).await?.block_ref)
    }

    fn follow_info(&self) -> impl Future<Output = Result<FollowInfo, CappedError>> + Send {
        CappedClient::follow_info(self)
    }
}

/// Canonical L1, the root of trust.
pub trait L1: Send + Sync + 'static {
    /// Whether there is an L1 RPC behind this (`false` only for `None`: the node runs without
    /// L1, on its sources' agreement).
    fn is_present(&self) -> bool {
        true
    }

    /// The canonical L1 block at `number`, if any.
    fn block_ref_by_number(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<L1BlockRef>, ElError>> + Send;

    /// The L1 block with `hash`, if known.
    fn block_ref_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<L1BlockRef>, ElError>> + Send;

    /// L1 head, safe and finalized blocks (each `None` if the node has none).
    fn heads(&self) -> impl Future<Output = Result<L1Heads, ElError>> + Send;
}

/// No L1 RPC: nothing is canonical by L1's word, and nothing is asked (the follow task then
/// takes its sources' agreement instead).
impl<T: L1> L1 for Option<T> {
    fn is_present(&self) -> bool {
        self.is_some()
    }

    async fn block_ref_by_number(&self, number: u64) -> Result<Option<L1BlockRef>, ElError> {
        match self {
            Some(l1) => l1.block_ref_by_number(number).await,
            None => Ok(None),
        }
    }

    async fn block_ref_by_hash(&self, hash: B256) -> Result<Option<L1BlockRef>, ElError> {
        match self {
            Some(l1) => l1.block_ref_by_hash(hash).await,
            None => Ok(None),
        }
    }

    async fn heads(&self) -> Result<L1Heads, ElError> {
        match self {
            Some(l1) => l1.heads().await,
            None => Ok(L1Heads::default()),
        }
    }
}

/// L1's head, safe and finalized blocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct L1Heads {
    /// Latest block.
    pub head: Option<L1BlockRef>,
    /// Safe block.
    pub safe: Option<L1BlockRef>,
    /// Finalized block.
    pub finalized: Option<L1BlockRef>,
}

impl L1 for L1Client {
    fn block_ref_by_number(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<L1BlockRef>, ElError>> + Send {
        L1Client::block_ref_by_number(self, number)
    }

    fn block_ref_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<L1BlockRef>, ElError>> + Send {
        L1Client::block_ref_by_hash(self, hash)
    }

    /// The head must answer; `safe` and `finalized`, which some L1 nodes do not serve, only
    /// log when they fail.
    async fn heads(&self) -> Result<L1Heads, ElError> {
        let (head, safe, finalized) = tokio::join!(
            self.block_ref_by_tag(BlockNumberOrTag::Latest),
            self.block_ref_by_tag(BlockNumberOrTag::Safe),
            self.block_ref_by_tag(BlockNumberOrTag::Finalized),
        );
        let optional = |tag: &str, r: Result<Option<L1BlockRef>, ElError>| {
            r.unwrap_or_else(|e| {
                tracing::debug!(target: "light_cl::follow", tag, %e, "L1 block by tag unavailable");
                None
            })
        };
        Ok(L1Heads {
            head: head?,
            safe: optional("safe", safe),
            finalized: optional("finalized", finalized),
        })
    }
}

/// The follow source's L2 execution RPC, for blocks no devp2p peer serves.
pub trait SourceEl: Send + Sync + 'static {
    /// Whether there is an execution RPC behind this (`false` only for [`NoSourceEl`]).
    fn is_configured(&self) -> bool {
        true
    }

    /// The source's canonical block at `number`.
    fn block_by_number(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<L2Block>, ElError>> + Send;

    /// The source's block with `hash`.
    fn block_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<L2Block>, ElError>> + Send;

    /// The hash, number and parent of the source's canonical block at `number`, from its header
    /// alone.
    fn header_by_number(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<L2BlockRef>, ElError>> + Send;
}

impl SourceEl for L2Client {
    fn header_by_number(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<L2BlockRef>, ElError>> + Send {
        L2Client::header_by_number(self, number)
    }

    fn block_by_number(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<L2Block>, ElError>> + Send {
        L2Client::block_by_number(self, number)
    }

    fn block_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<L2Block>, ElError>> + Send {
        L2Client::block_by_hash(self, hash)
    }
}

/// No source execution RPC: blocks come from devp2p peers only.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSourceEl;

impl SourceEl for NoSourceEl {
    fn is_configured(&self) -> bool {
        false
    }

    async fn block_by_number(&self, _number: u64) -> Result<Option<L2Block>, ElError> {
        Ok(None)
    }

    async fn block_by_hash(&self, _hash: B256) -> Result<Option<L2Block>, ElError> {
        Ok(None)
    }

    async fn header_by_number(&self, _number: u64) -> Result<Option<L2BlockRef>, ElError> {
        Ok(None)
    }
}
