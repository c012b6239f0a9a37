//! The devnet's dev source (book: "Devnet"): a rollup-node status that **does not derive**. It
//! declares an L2 block safe once its L1 origin is at or below L1's safe head, and finalized
//! once its origin is at or below L1's finalized head. Only a devnet uses it: a sequencer's light
//! CL follows it as its follow source, so every other part of the devnet runs the production
//! code path.

use crate::{source::L1, Chain, ChainError};
use light_cl_protocol::{L2BlockRef, SyncStatus};
use light_cl_rpc::ElError;
use std::{future::Future, time::Duration};
use tokio::sync::watch;
use tracing::warn;

/// The version string the dev source serves as `optimism_version`: it says what it is.
pub const DEV_SOURCE_VERSION: &str =
    "op-reth-light devnet dev source (does not derive: safe and finalized follow L1's labels)";

/// Why the dev source could not compute a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DevSourceError {
    /// Reading the local chain failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// Reading L1, or the sequencer's execution RPC, failed.
    #[error(transparent)]
    Rpc(#[from] ElError),
    /// L1 has no head yet.
    #[error("L1 has no head yet")]
    NoL1Head,
    /// The sequencer's execution RPC has no `latest` block yet.
    #[error("the sequencer has no head yet")]
    NoL2Head,
}

/// What the dev source reads of the sequencer's chain: its head and its blocks by number.
/// Every [`Chain`] has it (the sequencer in the same process), and so has an
/// [`ExecutionSource`](crate::ExecutionSource) (the sequencer's execution RPC, when it runs in
/// another process).
pub trait DevChain: Send + Sync + 'static {
    /// The canonical head.
    fn head(&self) -> impl Future<Output = Result<L2BlockRef, DevSourceError>> + Send;

    /// The canonical block at `number`, or `None` when there is none (yet).
    fn block_at(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<L2BlockRef>, DevSourceError>> + Send;
}

impl<C: Chain> DevChain for C {
    async fn head(&self) -> Result<L2BlockRef, DevSourceError> {
        Ok(self.heads().await?.unsafe_head)
    }

    async fn block_at(&self, number: u64) -> Result<Option<L2BlockRef>, DevSourceError> {
        Ok(self.block_ref_by_number(number).await?)
    }
}

/// The dev source's status: `unsafe_l2` the local head; `safe_l2` the highest local block whose
/// L1 origin is at or below L1's safe head (`finalized_l2` likewise with L1's finalized head);
/// `current_l1` L1's safe head, the L1 block "derivation" reached; the L1 heads from L1.
pub async fn dev_status<C: DevChain, L: L1>(
    chain: &C,
    l1: &L,
    genesis: L2BlockRef,
) -> Result<SyncStatus, DevSourceError> {
    let tip = chain.head().await?;
    let l1_heads = l1.heads().await?;
    let head_l1 = l1_heads.head.ok_or(DevSourceError::NoL1Head)?;
    let safe_l1 = l1_heads.safe.unwrap_or_default();
    let finalized_l1 = l1_heads.finalized.unwrap_or_default();
    let safe = highest_with_origin_at_most(chain, genesis, tip, safe_l1.number).await?;
    let finalized = highest_with_origin_at_most(chain, genesis, safe, finalized_l1.number).await?;
    let current_l1 = if safe_l1.is_unknown() { head_l1 } else { safe_l1 };
    Ok(SyncStatus {
        current_l1,
        current_l1_finalized: finalized_l1,
        head_l1,
        safe_l1,
        finalized_l1,
        unsafe_l2: tip,
        safe_l2: safe,
        finalized_l2: finalized,
        pending_safe_l2: safe,
        cross_unsafe_l2: tip,
        local_safe_l2: safe,
    })
}

/// The highest block from `low` to `high` whose L1 origin number is at most `origin`; `low`
/// when none above it is. L1 origins never go down along a chain, so this is a binary search
/// (about 30 reads for a billion blocks).
async fn highest_with_origin_at_most<C: DevChain>(
    chain: &C,
    low: L2BlockRef,
    high: L2BlockRef,
    origin: u64,
) -> Result<L2BlockRef, DevSourceError> {
    if high.l1_origin.number <= origin {
        return Ok(high);
    }
    let (mut found, mut hi) = (low, high.number);
    // Invariant: `found` qualifies; nothing above `hi` does.
    while found.number + 1 < hi {
        let mid = found.number + (hi - found.number) / 2;
        match chain.block_at(mid).await? {
            Some(b) if b.l1_origin.number <= origin => found = b,
            Some(_) => hi = mid,
            // A gap below the head (the EL still syncing): nothing above it is known yet.
            None => hi = mid,
        }
    }
    Ok(found)
}

/// Recomputes [`dev_status`] every `interval` and publishes it, for an `optimism_syncStatus`
/// server (`light_cl_rpc::OptimismRpc` over [`DevSource::subscribe`]).
#[derive(Debug)]
pub struct DevSource<C, L> {
    chain: C,
    l1: L,
    genesis: L2BlockRef,
    interval: Duration,
    tx: watch::Sender<SyncStatus>,
}

impl<C: DevChain, L: L1> DevSource<C, L> {
    /// A dev source over `chain` (the sequencer's) and `l1`, for the chain that starts at
    /// `genesis`.
    pub fn new(chain: C, l1: L, genesis: L2BlockRef, interval: Duration) -> Self {
        Self { chain, l1, genesis, interval, tx: watch::channel(SyncStatus::default()).0 }
    }

    /// The published status; its `head_l1` is unknown (so the server answers "not ready")
    /// until L1 was read once.
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.tx.subscribe()
    }

    /// Computes and publishes the status once.
    pub async fn refresh(&self) -> Result<SyncStatus, DevSourceError> {
        let status = dev_status(&self.chain, &self.l1, self.genesis).await?;
        self.tx.send_replace(status);
        Ok(status)
    }

    /// Refreshes every interval until `shutdown` resolves; a failed refresh keeps the last
    /// status and is logged.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut interval = tokio::time::interval(self.interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = interval.tick() => {}
            }
            if let Err(e) = self.refresh().await {
                warn!(target: "light_cl::devnet", %e, "the dev source could not compute a status");
            }
        }
    }
}
