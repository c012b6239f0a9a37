//! Where a forkchoice update is decided and sent: [`EngineOwner::labels_for`] chooses the safe and
//! finalized labels an update carries, [`EngineOwner::send`] is the one place that calls
//! `fork_choice_updated` and records what the engine applied.

use super::EngineOwner;
use crate::{metrics, Chain, ChainError, Engine, EngineError, Heads};
use alloy_primitives::B256;
use alloy_rpc_types_engine::{ForkchoiceState, ForkchoiceUpdated};
use light_cl_protocol::{L1BlockRef, L2BlockRef};
use op_alloy_rpc_types_engine::OpPayloadAttributes;
use tracing::{error, warn};

/// Most safe (or finalized) targets kept pending at once. Two are enough in steady state (the
/// one the head reached and the one it is syncing to); the rest absorbs bursts of ticks.
pub(super) const MAX_PENDING: usize = 8;

/// The safe and finalized labels of one forkchoice update (`None`: zero hash, not set yet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Labels {
    /// The safe label.
    pub safe: Option<L2BlockRef>,
    /// The finalized label, at or below safe.
    pub finalized: Option<L2BlockRef>,
}

impl Labels {
    /// The labels as the local chain has them.
    pub const fn of(heads: &Heads) -> Self {
        Self { safe: heads.safe, finalized: heads.finalized }
    }

    /// The forkchoice state of an update that makes `head` the head with these labels.
    pub fn state(&self, head: B256) -> ForkchoiceState {
        ForkchoiceState {
            head_block_hash: head,
            safe_block_hash: self.safe.map_or(B256::ZERO, |s| s.hash),
            finalized_block_hash: self.finalized.map_or(B256::ZERO, |f| f.hash),
        }
    }
}

/// A safe or finalized target waiting to be canonical, with the `current_l1` of its update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Target {
    pub(super) block: L2BlockRef,
    pub(super) current_l1: Option<L1BlockRef>,
}

/// Targets of one label not applied yet, lowest first, at most [`MAX_PENDING`].
///
/// A newer target does not replace older, lower ones: while the source's safe head moves every
/// tick, the head reaches each target only after the next is known, and the one it reached must
/// still be applied (book: follow, "Labels follow a moving source").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Pending(Vec<Target>);

impl Pending {
    /// Adds `target`; targets at or above its height are replaced by it.
    pub(super) fn add(&mut self, target: Target) {
        self.0.retain(|t| t.block.number < target.block.number);
        self.0.push(target);
        if self.0.len() > MAX_PENDING {
            self.0.remove(0);
        }
    }

    pub(super) fn clear(&mut self) {
        self.0.clear();
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// When `applied` is one of the targets, takes it and every lower one (its label moved past
    /// them) and returns it. A label that is not a target (the one already applied, carried
    /// over) leaves the targets as they are: after a reorg they may be lower than it.
    pub(super) fn take_applied(&mut self, applied: L2BlockRef) -> Option<Target> {
        let hit = self.0.iter().find(|t| t.block.hash == applied.hash).copied()?;
        self.0.retain(|t| t.block.number > applied.number);
        Some(hit)
    }

    /// Drops the target with this hash.
    pub(super) fn remove(&mut self, hash: B256) {
        self.0.retain(|t| t.block.hash != hash);
    }

    /// The targets, highest first.
    fn highest_first(&self) -> impl Iterator<Item = L2BlockRef> + '_ {
        self.0.iter().rev().map(|t| t.block)
    }
}

impl<E: Engine, C: Chain> EngineOwner<E, C> {
    /// The labels an update with `head` carries: the highest pending target that is canonical
    /// (safe at or below `head`, finalized at or below safe) and moves its label forward, else the
    /// applied label while it is canonical.
    pub(super) async fn labels_for(
        &self,
        head: L2BlockRef,
        heads: &Heads,
    ) -> Result<Labels, ChainError> {
        let applied_safe = self.canonical(heads.safe).await?;
        let mut safe = applied_safe;
        for s in self.pending_safe.highest_first() {
            // Safe never moves back on a chain that still has our safe block.
            if s.number > head.number || applied_safe.is_some_and(|a| s.number <= a.number) {
                continue;
            }
            if self.canonical(Some(s)).await?.is_some() {
                safe = Some(s);
                break;
            }
        }
        let below_safe = |f: &L2BlockRef| safe.is_some_and(|s| f.number <= s.number);
        let applied_finalized = self.canonical(heads.finalized).await?.filter(below_safe);
        let mut finalized = applied_finalized;
        for f in self.pending_finalized.highest_first() {
            if !below_safe(&f) || applied_finalized.is_some_and(|a| f.number <= a.number) {
                continue;
            }
            if self.canonical(Some(f)).await?.is_some() {
                finalized = Some(f);
                break;
            }
        }
        Ok(Labels { safe, finalized })
    }

    /// Sends the update that makes `head` the head with `labels` (and starts a build when
    /// `attributes` are given). On VALID it records what the engine applied: a head target
    /// reached, pending labels applied (publishing the `current_l1` that came with the safe
    /// head).
    pub(super) async fn send(
        &mut self,
        head: B256,
        labels: Labels,
        attributes: Option<OpPayloadAttributes>,
    ) -> Result<ForkchoiceUpdated, EngineError> {
        let state = labels.state(head);
        let result = self.engine.fork_choice_updated(state, attributes).await;
        metrics::forkchoice_update(&result);
        let valid = matches!(&result, Ok(u) if u.is_valid());
        self.last_sent = Some((state, valid));
        if valid {
            if self.head_target.is_some_and(|t| t.hash == head) {
                self.head_target = None;
            }
            if let Some(safe) = labels.safe {
                if let Some(Target { current_l1: Some(l1), .. }) =
                    self.pending_safe.take_applied(safe)
                {
                    self.view.advance_current_l1(l1);
                }
            }
            if let Some(finalized) = labels.finalized {
                self.pending_finalized.take_applied(finalized);
            }
        }
        result
    }

    /// Whether an update to `head` with `labels` was already sent and answered VALID.
    pub(super) fn already_sent(&self, head: B256, labels: &Labels) -> bool {
        self.last_sent == Some((labels.state(head), true))
    }

    /// `block` if it is the canonical block at its number.
    pub(super) async fn canonical(
        &self,
        block: Option<L2BlockRef>,
    ) -> Result<Option<L2BlockRef>, ChainError> {
        let Some(block) = block else { return Ok(None) };
        match self.chain.block_ref_by_number(block.number).await {
            Ok(Some(local)) if local.hash == block.hash && local.l1_origin == block.l1_origin => {
                Ok(Some(block))
            }
            Ok(Some(local)) if local.hash == block.hash => {
                error!(target: "light_cl::engine", number = block.number, hash = %block.hash, claimed = ?block.l1_origin, actual = ?local.l1_origin, "the source claimed another L1 origin for this block than the block has; not applying it");
                Ok(None)
            }
            Ok(_) => Ok(None),
            Err(e) => {
                warn!(target: "light_cl::engine", %e, number = block.number, "canonical lookup failed");
                Err(e)
            }
        }
    }
}
