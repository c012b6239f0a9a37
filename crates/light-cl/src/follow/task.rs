//! The follow task: polls the source each interval, checks the answer against L1, decides, and
//! hands the decision to the engine owner (DESIGN.md "Follow algorithm").

use super::decide::{self, AtSafe, Case, L1Refs, L1Verdict, Local, Outcome, Rejection};
use crate::{
    metrics,
    owner::EngineOwnerHandle,
    source::{FollowSource, NoSourceEl, SourceEl, L1},
    view::View,
    Chain, ChainError, Heads,
};
use alloy_primitives::B256;
use light_cl_protocol::{BlockID, L2BlockRef};
use light_cl_rpc::{ElError, L2Block, SourceError};
use std::{future::Future, time::Duration};
use tokio::{
    sync::watch,
    time::{Instant, MissedTickBehavior},
};
use tracing::{debug, error, info, warn};

/// How far back the follow task walks parent hashes to check that the source's unsafe head
/// descends from ours.
pub const DEFAULT_MAX_ANCESTRY_WALK: u64 = 256;
/// Most blocks fetched from the source's execution RPC and inserted in one tick.
pub const DEFAULT_MAX_BLOCKS_PER_TICK: u64 = 64;
/// Ticks the engine may stay SYNCING on one target before blocks are fetched from the source's
/// execution RPC (devp2p gets that long first).
pub const SYNCING_TICKS_BEFORE_FETCH: u32 = 2;

/// Settings of the follow task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowConfig {
    /// Time between polls (default: 2 × the L2 block time).
    pub interval: Duration,
    /// Whether the source's unsafe head moves ours (off on a sequencer).
    pub follow_unsafe: bool,
    /// How far back to walk when checking that an unsafe head descends from ours.
    pub max_ancestry_walk: u64,
    /// Most blocks fetched from the source's execution RPC per tick.
    pub max_blocks_per_tick: u64,
}

impl FollowConfig {
    /// Defaults for a chain with `block_time` seconds between blocks.
    pub fn for_block_time(block_time: u64) -> Self {
        Self {
            interval: Duration::from_secs(2 * block_time.max(1)),
            follow_unsafe: true,
            max_ancestry_walk: DEFAULT_MAX_ANCESTRY_WALK,
            max_blocks_per_tick: DEFAULT_MAX_BLOCKS_PER_TICK,
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickOutcome {
    /// A decision was handed to the engine owner.
    Applied(Case),
    /// The update was refused as a whole.
    Refused(Rejection),
    /// The tick was skipped.
    Skipped(Skipped),
}

/// Why a tick was skipped; nothing was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Skipped {
    /// The follow source failed.
    #[error("follow source: {0}")]
    Source(#[from] SourceError),
    /// L1 failed.
    #[error("L1: {0}")]
    L1(#[from] ElError),
    /// Reading the local chain failed.
    #[error("local chain: {0}")]
    Chain(#[from] ChainError),
    /// The engine owner has stopped.
    #[error("engine owner stopped")]
    OwnerStopped,
}

impl Skipped {
    /// A short label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Source(e) => e.kind(),
            Self::L1(_) => "l1",
            Self::Chain(_) => "chain",
            Self::OwnerStopped => "owner_stopped",
        }
    }
}

/// Polls the follow source and feeds the engine owner.
#[derive(Debug)]
pub struct FollowTask<S, L, C, E = NoSourceEl> {
    source: S,
    l1: L,
    chain: C,
    engine: EngineOwnerHandle,
    view: View,
    config: FollowConfig,
    source_el: Option<E>,
    /// Consecutive ticks with a head target pending and our canonical head not moving.
    stalled_ticks: u32,
    /// Our canonical head at the last tick.
    last_head: Option<L2BlockRef>,
    /// Whether L1 was seen to hold the rollup config's genesis L1 block.
    l1_verified: bool,
    /// The last block inserted from the source's execution RPC towards that target: the engine
    /// keeps it (not canonical yet), so the next tick continues after it.
    inserted_tip: Option<L2BlockRef>,
    /// Whether the last applied update left our safe and unsafe heads at or above the source's
    /// safe head (the sequencer's gate).
    ready: watch::Sender<bool>,
}

impl<S: FollowSource, L: L1, C: Chain> FollowTask<S, L, C> {
    /// A follow task reading `source` and `l1`, checking `chain`, sending to `engine`.
    pub fn new(
        source: S,
        l1: L,
        chain: C,
        engine: EngineOwnerHandle,
        view: View,
        config: FollowConfig,
    ) -> Self {
        Self {
            source,
            l1,
            chain,
            engine,
            view,
            config,
            source_el: None,
            stalled_ticks: 0,
            last_head: None,
            l1_verified: false,
            inserted_tip: None,
            ready: watch::channel(false).0,
        }
    }
}

impl<S: FollowSource, L: L1, C: Chain, E: SourceEl> FollowTask<S, L, C, E> {
    /// Also reads whole blocks from the source's execution RPC: to check that an unsafe head
    /// descends from ours, and to insert blocks when no devp2p peer serves them.
    pub fn with_source_el<E2: SourceEl>(self, source_el: E2) -> FollowTask<S, L, C, E2> {
        FollowTask {
            source: self.source,
            l1: self.l1,
            chain: self.chain,
            engine: self.engine,
            view: self.view,
            config: self.config,
            source_el: Some(source_el),
            stalled_ticks: 0,
            last_head: None,
            l1_verified: false,
            inserted_tip: None,
            ready: self.ready,
        }
    }

    /// Becomes `true` once an update was applied with our safe and unsafe heads at or above the
    /// source's safe head (in this run: a database's old labels do not count), and `false` again
    /// while an update leaves us behind it or syncing. Skipped ticks and refused updates leave it
    /// as it was. The sequencer builds only while it is `true`.
    pub fn ready(&self) -> watch::Receiver<bool> {
        self.ready.subscribe()
    }

    /// Ticks every interval until `shutdown` resolves. A tick runs to its end before the next
    /// starts, so there is never more than one poll in flight.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        info!(target: "light_cl::follow", interval = ?self.config.interval, follow_unsafe = self.config.follow_unsafe, "following source");
        let mut interval = tokio::time::interval(self.config.interval);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = interval.tick() => {}
            }
            // A tick can wait on slow peers: shutdown does not wait for it.
            tokio::select! {
                _ = &mut shutdown => break,
                outcome = self.tick() => {
                    if let TickOutcome::Skipped(Skipped::OwnerStopped) = outcome {
                        warn!(target: "light_cl::follow", "engine owner stopped; follow task ends");
                        return;
                    }
                }
            }
        }
        info!(target: "light_cl::follow", "follow task stopped");
    }

    /// One poll: fetch, validate against L1, decide, apply.
    pub async fn tick(&mut self) -> TickOutcome {
        let outcome = match self.try_tick().await {
            Ok(outcome) => outcome,
            Err(skipped) => {
                metrics::poll_failed(skipped.kind());
                warn!(target: "light_cl::follow", reason = %skipped, "tick skipped");
                TickOutcome::Skipped(skipped)
            }
        };
        if let TickOutcome::Refused(rejection) = &outcome {
            metrics::rejected(rejection.reason());
            warn!(target: "light_cl::follow", reason = %rejection, "update refused");
        }
        outcome
    }

    async fn try_tick(&mut self) -> Result<TickOutcome, Skipped> {
        metrics::poll();
        let started = Instant::now();
        let status = self.source.sync_status().await;
        metrics::poll_latency(started.elapsed());
        let status = status?;

        // Once: the L1 RPC must be this chain's L1.
        if !self.l1_verified {
            let genesis = self.view.genesis_l2().l1_origin;
            match self.l1.block_ref_by_number(genesis.number).await? {
                Some(b) if b.hash == genesis.hash => self.l1_verified = true,
                other => {
                    error!(target: "light_cl::follow", expected = %genesis.hash, number = genesis.number, found = ?other.map(|b| b.hash), "the L1 RPC does not hold this chain's genesis L1 block: wrong --rollup.l1-rpc?");
                    return Err(Skipped::L1(ElError::Mismatch {
                        asked: format!("genesis L1 block {} at {}", genesis.hash, genesis.number),
                        got: other.map_or_else(|| "nothing".into(), |b| b.hash.to_string()),
                    }));
                }
            }
        }
        // Our own view of L1 for the served status.
        let l1_heads = self.l1.heads().await?;
        self.view.set_l1(&l1_heads);

        let refs = L1Refs::of(&status);
        let verdict = L1Verdict {
            safe_origin: self.is_canonical_l1(refs.safe_origin).await?,
            finalized_origin: self.is_canonical_l1(refs.finalized_origin).await?,
            current_l1: self.is_canonical_l1(refs.current_l1).await?,
        };
        let mut heads = self.chain.heads().await?;
        if heads.finalized.is_none() {
            heads.finalized = Some(self.view.genesis_l2());
        }
        let published = self.view.get();
        let applied = decide::Applied {
            finalized: heads.finalized,
            current_l1: (!published.current_l1.is_unknown()).then_some(published.current_l1),
        };
        let update = match decide::validate(&status, &refs, &verdict, &applied) {
            Ok(update) => update,
            Err(rejection) => return Ok(TickOutcome::Refused(rejection)),
        };
        for dropped in &update.dropped {
            metrics::dropped(dropped.reason());
            match dropped {
                decide::Dropped::FinalizedUnknown => {
                    debug!(target: "light_cl::follow", "source has no finalized head yet")
                }
                other => warn!(target: "light_cl::follow", ?other, "field of update dropped"),
            }
        }

        let at_safe = match update.safe {
            Some(s) if heads.unsafe_head.number >= s.number => {
                match self.chain.block_ref_by_number(s.number).await {
                    Ok(Some(b)) => AtSafe::Found(b),
                    Ok(None) => AtSafe::NotFound,
                    Err(e) => {
                        warn!(target: "light_cl::follow", %e, number = s.number, "local lookup at the source's safe number failed");
                        AtSafe::Error
                    }
                }
            }
            _ => AtSafe::NotFound,
        };
        let unsafe_descends = match update.unsafe_head {
            // The source's unsafe chain extends its safe head: if that is our head, it descends.
            Some(u)
                if self.config.follow_unsafe
                    && update.safe.is_some_and(|s| s.hash == heads.unsafe_head.hash) =>
            {
                u.number > heads.unsafe_head.number
            }
            // Only consulted when our chain agrees with the source's safe head (not when we are
            // behind it): no lookups otherwise.
            Some(u)
                if self.config.follow_unsafe
                    && update.safe.is_none_or(|s| s.number <= heads.unsafe_head.number) =>
            {
                self.descends(u, &heads).await
            }
            _ => false,
        };
        let local =
            Local { heads, at_safe, unsafe_descends, follow_unsafe: self.config.follow_unsafe };
        let decision = match decide::decide(&update, &local) {
            Outcome::Apply(d) => d,
            Outcome::Refuse(rejection) => return Ok(TickOutcome::Refused(rejection)),
            Outcome::Skip => {
                return Err(Skipped::Chain(ChainError::Provider(
                    "local block lookup at the source's safe number failed".into(),
                )))
            }
        };
        // A new head target must keep our finalized block. The source's execution RPC, when
        // known, tells whether its chain still has it.
        if matches!(decision.case, Case::ElBehind | Case::Reorg) {
            if let (Some(el), Some(finalized)) = (&self.source_el, heads.finalized) {
                if let Ok(Some(theirs)) = el.block_by_number(finalized.number).await {
                    if theirs.hash != finalized.hash {
                        return Ok(TickOutcome::Refused(Rejection::ReorgBelowFinalized {
                            source_safe: decision.safe.map_or(BlockID::default(), |s| s.id()),
                            finalized: finalized.number,
                        }));
                    }
                }
            }
        }
        if matches!(decision.case, Case::ElBehind | Case::Reorg | Case::Syncing) {
            info!(target: "light_cl::follow", case = decision.case.label(), safe = ?update.safe.map(|s| (s.number, s.hash)), local_unsafe = local.heads.unsafe_head.number, "follow decision");
        }
        metrics::case(decision.case.label());
        let applied = self.engine.follow(decision).await.map_err(|_| Skipped::OwnerStopped)?;
        if let Some(s) = update.safe {
            let local_safe = applied.heads.safe.map_or(0, |l| l.number);
            metrics::safe_lag(s.number.saturating_sub(local_safe));
            let ready = !applied.syncing()
                && applied.heads.safe.is_some_and(|l| l.number >= s.number)
                && applied.heads.unsafe_head.number >= s.number;
            self.ready.send_if_modified(|r| std::mem::replace(r, ready) != ready);
        }
        self.catch_up(applied).await?;
        Ok(TickOutcome::Applied(decision.case))
    }

    /// When the engine stays SYNCING (a head target pending while our canonical head does not
    /// move), fetches the missing blocks from the source's execution RPC (bounded per tick) and
    /// inserts them through the engine owner.
    async fn catch_up(&mut self, applied: crate::Applied) -> Result<(), Skipped> {
        let head = applied.heads.unsafe_head;
        let Some(target) = applied.head_target else {
            self.stalled_ticks = 0;
            self.inserted_tip = None;
            return Ok(());
        };
        // Counted whatever the target: a target that moves every tick (the source's unsafe
        // head) must not keep the fetch from starting.
        if self.last_head.is_some_and(|h| h.number < head.number) {
            self.stalled_ticks = 0;
        } else {
            self.stalled_ticks += 1;
        }
        self.last_head = Some(head);
        let Some(el) = &self.source_el else { return Ok(()) };
        if self.stalled_ticks < SYNCING_TICKS_BEFORE_FETCH {
            return Ok(());
        }
        let from = match self.inserted_tip {
            Some(tip) if tip.number < target.number => tip,
            _ => head,
        };
        let blocks = match self.missing_blocks(el, target, from).await {
            Ok(blocks) => blocks,
            Err(reason) => {
                // Start over from our canonical chain next time.
                self.inserted_tip = None;
                metrics::catch_up_failed();
                warn!(target: "light_cl::follow", %reason, target = target.number, "cannot fetch missing blocks from the source's execution RPC");
                return Ok(());
            }
        };
        let Some(last) = blocks.last() else { return Ok(()) };
        let (first, last_number, count) = (blocks[0].number, last.number, blocks.len());
        let tips: Vec<L2BlockRef> = blocks
            .iter()
            .map(|b| L2BlockRef {
                hash: b.hash,
                number: b.number,
                parent_hash: b.parent_hash,
                ..Default::default()
            })
            .collect();
        let taken = self.engine.insert(blocks).await.map_err(|_| Skipped::OwnerStopped)?;
        self.inserted_tip = taken.checked_sub(1).map(|i| tips[i]);
        info!(target: "light_cl::follow", first, last = last_number, taken, of = count, target = target.number, "inserted blocks from the source's execution RPC");
        Ok(())
    }

    /// The blocks of the source's chain after `from` towards `target`, parents first, at most
    /// `max_blocks_per_tick`. When `from` is not on the source's chain (our head on a stale
    /// branch, or a target on another branch), they start after the highest block both chains
    /// share, searched back from `from` as far as `max_blocks_per_tick`.
    async fn missing_blocks(
        &self,
        el: &E,
        target: L2BlockRef,
        from: L2BlockRef,
    ) -> Result<Vec<L2Block>, String> {
        let max = self.config.max_blocks_per_tick.max(1);
        let fetch = |number: u64| async move {
            el.block_by_number(number)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("the source's execution RPC has no block {number}"))
        };
        // The highest block at or below `from` (and below the target) that the source has too.
        let mut base = L2BlockRef { hash: from.hash, number: from.number, ..Default::default() };
        if base.number >= target.number {
            let below = target.number.saturating_sub(1);
            base = match self.chain.block_ref_by_number(below).await {
                Ok(Some(b)) => b,
                Ok(None) => return Err(format!("no local block {below}")),
                Err(e) => return Err(e.to_string()),
            };
        }
        let lowest = base.number.saturating_sub(max);
        loop {
            if fetch(base.number).await?.hash == base.hash {
                break;
            }
            if base.number <= lowest || base.number == 0 {
                return Err(format!("our chain and the source's share no block above {lowest}"));
            }
            base = match self.chain.block_ref_by_number(base.number - 1).await {
                Ok(Some(b)) => b,
                Ok(None) => return Err(format!("no local block {}", base.number - 1)),
                Err(e) => return Err(e.to_string()),
            };
        }
        // Forward from there: every block links to the one before, and the block at the
        // target's number is the target.
        let mut blocks = Vec::new();
        let mut parent = base.hash;
        for number in base.number + 1..=target.number.min(base.number + max) {
            let block = fetch(number).await?;
            if block.parent_hash != parent {
                return Err(format!(
                    "the source's execution RPC changed its chain at block {number}"
                ));
            }
            if number == target.number && block.hash != target.hash {
                return Err(format!(
                    "block {number} of the source's execution RPC is {} but the target is {}",
                    block.hash, target.hash
                ));
            }
            parent = block.hash;
            blocks.push(block);
        }
        Ok(blocks)
    }

    /// Whether canonical L1 has `id.hash` at `id.number`; `true` when there is nothing to check.
    async fn is_canonical_l1(&self, id: Option<BlockID>) -> Result<bool, ElError> {
        let Some(id) = id else { return Ok(true) };
        Ok(self.l1.block_ref_by_number(id.number).await?.is_some_and(|b| b.hash == id.hash))
    }

    /// Whether the unsafe head `u` has our head as an ancestor, through blocks known locally or
    /// read from the source's execution RPC.
    async fn descends(&self, u: L2BlockRef, heads: &Heads) -> bool {
        let head = heads.unsafe_head;
        if u.number <= head.number || u.number - head.number > self.config.max_ancestry_walk {
            return false;
        }
        // `u` itself may still be unknown locally: its parent hash comes with the proposal, or,
        // when the source's execution RPC is known, from the block itself.
        let mut cursor = match self.source_el_block(u.hash).await {
            Some(b) if b.number == u.number => b,
            Some(_) => return false,
            None => u,
        };
        while cursor.number > head.number + 1 {
            let parent = cursor.parent_hash;
            let next = match self.chain.block_ref_by_hash(parent).await {
                Ok(Some(b)) => b,
                _ => match self.source_el_block(parent).await {
                    Some(b) => b,
                    None => return false,
                },
            };
            // Numbers must go down one by one: no answer can keep the walk going.
            if next.number + 1 != cursor.number {
                return false;
            }
            cursor = next;
        }
        cursor.parent_hash == head.hash
    }

    /// The number and parent of block `hash`, from the source's execution RPC.
    async fn source_el_block(&self, hash: B256) -> Option<L2BlockRef> {
        let block = self.source_el.as_ref()?.block_by_hash(hash).await.ok()??;
        Some(L2BlockRef {
            hash: block.hash,
            number: block.number,
            parent_hash: block.parent_hash,
            ..Default::default()
        })
    }
}
