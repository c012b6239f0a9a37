//! The follow task: polls the source each interval, checks the answer against L1, decides, and
//! hands the decision to the engine owner (book: follow, "One tick").

use super::{
    ancestry::Kept,
    config::{FollowConfig, FollowExit, SAFE_STALL_TICKS},
    decide::{self, AtSafe, Case, L1Refs, L1Verdict, Local, Outcome, Rejection},
    sources::Sources,
};
use crate::{
    metrics,
    owner::EngineOwnerHandle,
    source::{FollowSource, NoSourceEl, SourceEl, L1},
    view::View,
    ApplyError, Chain, ChainError,
};
use light_cl_protocol::{BlockID, FollowInfo, InstanceId, L2BlockRef};
use light_cl_rpc::{CappedError, ElError};
use std::future::Future;
use tokio::{
    sync::watch,
    time::{Instant, MissedTickBehavior},
};
use tracing::{debug, error, info, warn};

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
    Source(#[from] CappedError),
    /// L1 failed.
    #[error("L1: {0}")]
    L1(#[from] ElError),
    /// The source names an L1 block above our L1 RPC's head: not known here yet (a verifier
    /// source with no confirmation depth, a lagging or load-balanced L1 RPC). Not a lie.
    #[error("L1 block {number} is above our L1 RPC's head")]
    L1Behind {
        /// The L1 block number the source named.
        number: u64,
    },
    /// Reading the local chain failed.
    #[error("local chain: {0}")]
    Chain(#[from] ChainError),
    /// A new head target's chain may not hold our finalized block, and nothing could tell
    /// (no source EL, no peer with the headers, no output from the source): fail closed.
    #[error("cannot tell whether block {target}'s chain holds our finalized block {finalized}")]
    AncestryUnknown {
        /// The head target's number.
        target: u64,
        /// Our finalized number.
        finalized: u64,
    },
    /// None of several sources gave a usable answer (each is counted by its own reason).
    #[error("none of the {asked} follow sources gave a usable answer")]
    NoSource {
        /// How many were asked.
        asked: usize,
    },
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
            Self::L1Behind { .. } => "l1_behind",
            Self::AncestryUnknown { .. } => "ancestry_unknown",
            Self::Chain(_) => "chain",
            Self::NoSource { .. } => "no_source",
            Self::OwnerStopped => "owner_stopped",
        }
    }
}

/// Polls the follow sources and feeds the engine owner.
#[derive(Debug)]
pub struct FollowTask<S, L, C, E = NoSourceEl> {
    pub(super) sources: Sources<S>,
    pub(super) l1: L,
    pub(super) chain: C,
    pub(super) engine: EngineOwnerHandle,
    pub(super) view: View,
    pub(super) config: FollowConfig,
    pub(super) source_el: E,
    /// Which source the source EL belongs to (its safe head must be there).
    pub(super) source_el_index: usize,
    /// Consecutive ticks with a head target pending and our canonical head not moving.
    pub(super) stalled_ticks: u32,
    /// Our canonical head at the last tick.
    pub(super) last_head: Option<L2BlockRef>,
    /// Whether L1 was seen to hold the rollup config's genesis L1 block.
    pub(super) l1_verified: bool,
    /// The last block inserted from the source's execution RPC towards that target: the engine
    /// keeps it (not canonical yet), so the next tick continues after it.
    pub(super) inserted_tip: Option<L2BlockRef>,
    /// Whether the last applied update left our safe and unsafe heads at or above the source's
    /// safe head (the sequencer's gate).
    pub(super) ready: watch::Sender<bool>,
    /// The source's safe number and ours at the last applied tick, and for how many ticks in a
    /// row the source's moved while ours did not.
    pub(super) safe_progress: (u64, u64, u32),
    /// This node's instance id, to find itself on its sources' chains.
    pub(super) identity: Option<InstanceId>,
    /// This node's follow info, as served.
    pub(super) follow_info: watch::Sender<FollowInfo>,
    /// When the sources' follow infos are asked next.
    pub(super) follow_info_at: Option<Instant>,
}

impl<S: FollowSource, L: L1, C: Chain> FollowTask<S, L, C> {
    /// A follow task reading `sources` (one source, or [`Sources`] with a quorum) and `l1`,
    /// checking `chain`, sending to `engine`.
    pub fn new(
        sources: impl Into<Sources<S>>,
        l1: L,
        chain: C,
        engine: EngineOwnerHandle,
        view: View,
        config: FollowConfig,
    ) -> Self {
        Self {
            sources: sources.into(),
            l1,
            chain,
            engine,
            view,
            config,
            source_el: NoSourceEl,
            source_el_index: 0,
            stalled_ticks: 0,
            last_head: None,
            l1_verified: false,
            inserted_tip: None,
            ready: watch::channel(false).0,
            safe_progress: (0, 0, 0),
            identity: None,
            follow_info: watch::channel(FollowInfo {
                mode: light_cl_protocol::Mode::Light,
                instance_id: None,
                depth: None,
                sources: Vec::new(),
            })
            .0,
            follow_info_at: None,
        }
    }
}

impl<S: FollowSource, L: L1, C: Chain> FollowTask<S, L, C> {
    /// Also reads whole blocks from the source's execution RPC: to check that an unsafe head
    /// descends from ours, and to insert blocks when no devp2p peer serves them.
    pub fn with_source_el<E: SourceEl>(self, source_el: E) -> FollowTask<S, L, C, E> {
        FollowTask {
            sources: self.sources,
            l1: self.l1,
            chain: self.chain,
            engine: self.engine,
            view: self.view,
            config: self.config,
            source_el,
            source_el_index: self.source_el_index,
            stalled_ticks: 0,
            last_head: None,
            l1_verified: false,
            inserted_tip: None,
            ready: self.ready,
            safe_progress: (0, 0, 0),
            identity: self.identity,
            follow_info: self.follow_info,
            follow_info_at: None,
        }
    }
}

impl<S: FollowSource, L: L1, C: Chain, E: SourceEl> FollowTask<S, L, C, E> {
    /// Becomes `true` once an update was applied with our safe and unsafe heads at or above the
    /// source's safe head (in this run: a database's old labels do not count), and `false` again
    /// while an update leaves us behind it or syncing. Skipped ticks and refused updates leave it
    /// as it was. The sequencer builds only while it is `true`.
    pub fn ready(&self) -> watch::Receiver<bool> {
        self.ready.subscribe()
    }

    /// This node's follow info (mode, instance id, sources and their chains), for
    /// `optimism_followInfo`.
    pub fn follow_info(&self) -> watch::Receiver<FollowInfo> {
        self.follow_info.subscribe()
    }

    /// Sets this node's instance id: a source whose chain of sources holds it is on a cycle.
    pub fn with_identity(mut self, id: InstanceId) -> Self {
        self.identity = Some(id);
        self.follow_info.send_modify(|info| info.instance_id = Some(id));
        self
    }

    /// Says which source the source EL belongs to (default 0): that source's safe head must be
    /// on it, and it answers that source's by-number asks.
    pub fn source_el_of(mut self, index: usize) -> Self {
        self.source_el_index = index;
        self
    }

    /// Ticks every interval until `shutdown` resolves. A tick runs to its end before the next
    /// starts, so there is never more than one poll in flight. Ends with an error when it cannot
    /// go on (settings that cannot run, the engine owner gone).
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), FollowExit> {
        self.config.validate()?;
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
                        error!(target: "light_cl::follow", "engine owner stopped; follow task ends");
                        return Err(FollowExit::OwnerStopped);
                    }
                }
            }
        }
        info!(target: "light_cl::follow", "follow task stopped");
        Ok(())
    }

    /// One poll: fetch, validate against L1, decide, apply.
    pub async fn tick(&mut self) -> TickOutcome {
        let outcome = match self.try_tick().await {
            Ok(outcome) => outcome,
            Err(skipped) => {
                metrics::poll_failed(skipped.kind());
                if let Skipped::L1Behind { .. } = skipped {
                    debug!(target: "light_cl::follow", reason = %skipped, "tick skipped: L1 not there yet");
                } else {
                    warn!(target: "light_cl::follow", reason = %skipped, "tick skipped");
                }
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
        // The follow graph first: a cycle is found even while L1 is down.
        self.refresh_follow_graph_if_due().await;
        // L1 next: our own view of it is served whatever the sources do.
        self.poll_l1().await?;
        let mut heads = self.chain.heads().await?;
        if heads.finalized.is_none() {
            heads.finalized = Some(self.view.genesis_l2());
        }
        let published = self.view.get();
        let applied =
            decide::Prior { finalized: heads.finalized, current_l1: published.current_l1.known() };
        let started = Instant::now();
        let status = self.poll_sources(&applied).await;
        metrics::poll_latency(started.elapsed());
        let status = match status? {
            Ok(status) => status,
            Err(rejection) => return Ok(TickOutcome::Refused(rejection)),
        };
        if !self.l1.is_present() {
            self.view.set_l1(&crate::source::L1Heads {
                head: status.head_l1.known(),
                safe: status.safe_l1.known(),
                finalized: status.finalized_l1.known(),
            });
        }
        // Every ref of the agreed status was checked against L1 with the answer it came from.
        let refs = L1Refs::of(&status);
        let verdict = L1Verdict { safe_origin: true, finalized_origin: true, current_l1: true };
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
        // A new head target must keep our finalized block: reth would apply the head before
        // it refuses a finalized label that is not canonical under it. Unknown is not enough.
        if let (Some(target), Some(finalized)) = (decision.head, heads.finalized) {
            if matches!(decision.case, Case::ElBehind | Case::Reorg) {
                match self.keeps_finalized(target, finalized, &status).await {
                    Kept::Yes(how) => {
                        debug!(target: "light_cl::follow", how, target = target.number, finalized = finalized.number, "the head target's chain holds our finalized block")
                    }
                    Kept::No(how) => {
                        error!(target: "light_cl::follow", how, target = target.number, finalized = finalized.number, "the source's chain does not hold our finalized block");
                        return Ok(TickOutcome::Refused(Rejection::ReorgBelowFinalized {
                            source_safe: decision.safe.map_or(BlockID::default(), |s| s.id()),
                            finalized: finalized.number,
                        }));
                    }
                    Kept::Unknown => {
                        return Err(Skipped::AncestryUnknown {
                            target: target.number,
                            finalized: finalized.number,
                        })
                    }
                }
            }
        }
        if matches!(decision.case, Case::ElBehind | Case::Reorg | Case::Syncing) {
            info!(target: "light_cl::follow", case = decision.case.label(), safe = ?update.safe.map(|s| (s.number, s.hash)), local_unsafe = local.heads.unsafe_head.number, "follow decision");
        }
        metrics::case(decision.case.label());
        let applied = self.engine.follow(decision).await.map_err(|e| match e {
            ApplyError::Chain(e) => Skipped::Chain(e),
            ApplyError::Stopped => Skipped::OwnerStopped,
        })?;
        if let Some(s) = update.safe {
            self.watch_safe_progress(s.number, applied.heads.safe.map_or(0, |l| l.number));
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

    /// Counts the ticks in which the source's safe head moved and ours did not, and warns when
    /// that goes on for [`SAFE_STALL_TICKS`].
    fn watch_safe_progress(&mut self, source: u64, local: u64) {
        let (last_source, last_local, stalled) = self.safe_progress;
        let stalled = if local != last_local || local >= source {
            0
        } else if source > last_source {
            stalled + 1
        } else {
            stalled
        };
        self.safe_progress = (source, local, stalled);
        metrics::safe_stalled_ticks(stalled);
        if stalled > 0 && stalled % SAFE_STALL_TICKS == 0 {
            warn!(target: "light_cl::follow", ticks = stalled, source_safe = source, local_safe = local, "the source's safe head keeps moving but ours does not");
        }
    }
}
