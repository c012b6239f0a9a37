//! The sequencer task: each slot, attributes for the next block → the engine owner builds, seals
//! and inserts it → the block is published (book: "Running a light-CL sequencer" and
//! "Sequencing protocol").

use super::{
    attributes::AttributesError,
    handle::{Control, Idle, SequencerHandle},
    origin::{L1OriginSelector, OriginError, SequencerL1},
    AttributesValidationError,
};
use super::{Conductor, Publish};
use crate::{metrics, owner::EngineOwnerHandle, BuildError, Chain, ChainError, Heads};
use alloy_primitives::B256;
use light_cl_protocol::{L1BlobSchedule, RollupConfig, SystemConfig};
use light_cl_rpc::SequencerAdminError;
use std::{
    future::Future,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{mpsc, watch};
use tracing::{debug, error, info, warn};

/// Why a push or a proposal is refused while sequencing.
const ACTIVE: &str = "this node is sequencing; it does not take blocks from others";

/// How long before its timestamp a block is sealed by default: time for the seal, insert and
/// publish to finish by the timestamp.
pub const DEFAULT_SEAL_MARGIN: Duration = Duration::from_millis(50);

/// Settings of the sequencer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequencerConfig {
    /// L1 blocks the next origin must be below the L1 head.
    pub conf_depth: u64,
    /// Stop building while the unsafe head is this many blocks ahead of safe (0: no limit).
    pub max_safe_lag: u64,
    /// Whether to build from the start (`false`: wait for `admin_startSequencer`).
    pub start_active: bool,
    /// Wait after an attempt that could not build (L1 not ready, engine syncing, ...).
    pub retry_after: Duration,
    /// How long before its timestamp a block is sealed.
    pub seal_margin: Duration,
    /// Whether each block is filled for a block time before it is sealed (`false`: it starts
    /// at its own timestamp and is sealed at once, as before the fill window; for comparison).
    pub fill: bool,
}

impl SequencerConfig {
    /// Defaults: confirmation depth 4, no lag limit, active, retry after 250 ms, fill each
    /// block and seal it [`DEFAULT_SEAL_MARGIN`] before its timestamp.
    pub const fn new() -> Self {
        Self {
            conf_depth: super::DEFAULT_SEQUENCER_CONF_DEPTH,
            max_safe_lag: 0,
            start_active: true,
            retry_after: Duration::from_millis(250),
            seal_margin: DEFAULT_SEAL_MARGIN,
            fill: true,
        }
    }
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a slot produced no block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SequenceError {
    /// No L1 origin can be chosen now.
    #[error("L1 origin: {0}")]
    Origin(#[from] OriginError),
    /// The attributes cannot be built.
    #[error("attributes: {0}")]
    Attributes(#[from] AttributesError),
    /// The attributes would be refused by op-reth's Engine API.
    #[error("attributes refused: {0}")]
    Invalid(#[from] AttributesValidationError),
    /// The parent's system config cannot be rebuilt.
    #[error("system config of the parent: {0}")]
    ParentConfig(String),
    /// The engine owner did not build the block.
    #[error("build: {0}")]
    Build(#[from] BuildError),
    /// Reading the local chain failed.
    #[error("local chain: {0}")]
    Chain(#[from] ChainError),
    /// The conductor says another node leads.
    #[error("the conductor says this node is not the leader")]
    NotLeader,
    /// The conductor could not be asked whether this node leads.
    #[error("conductor leader check failed: {0}")]
    LeaderCheck(String),
    /// The conductor did not take the sealed block; it is dropped, never published.
    #[error("conductor commit failed: {0}")]
    Commit(String),
}

impl SequenceError {
    /// Whether building must stop until an operator acts (retrying cannot help): an unparsable
    /// `ConfigUpdate`, a fork this builder cannot sequence, a malformed deposit.
    pub const fn halts(&self) -> bool {
        matches!(
            self,
            Self::Attributes(
                AttributesError::ConfigUpdate(_)
                    | AttributesError::Deposit(_)
                    | AttributesError::UpgradeBlock { .. }
                    | AttributesError::InteropUnsupported(_)
                    | AttributesError::PreRegolith(_)
            ) | Self::Invalid(_)
                | Self::Build(BuildError::UnsupportedFork { .. })
        )
    }

    /// A short label for metrics.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Origin(OriginError::DriftExceeded { .. }) => "drift_exceeded",
            Self::Origin(_) => "origin",
            Self::Attributes(_) => "attributes",
            Self::Invalid(_) => "attributes_refused",
            Self::ParentConfig(_) => "parent_config",
            Self::Build(BuildError::Syncing) => "syncing",
            Self::Build(BuildError::HeadMoved { .. }) => "head_moved",
            Self::Build(BuildError::UnsupportedFork { .. }) => "unsupported_fork",
            Self::Build(_) => "build",
            Self::Chain(_) => "chain",
            Self::NotLeader => "not_leader",
            Self::LeaderCheck(_) => "conductor",
            Self::Commit(_) => "commit",
        }
    }
}

/// The sequencer: builds the next block each slot through the engine owner and publishes it.
///
/// It builds only while active, and only after the follow path has applied a safe head with our
/// head at or above the source's safe head (`ready`). The next block's timestamp `T` is always
/// the head's + block time; it starts building at `T - block_time` (the head's timestamp, or
/// once the head is sealed if that is later), fills until `T` minus the seal margin and is
/// sealed then. A block whose window is already over when it starts is sealed at once, back to
/// back, and counted as late.
#[derive(Debug)]
pub struct Sequencer<S, C> {
    pub(super) owner: EngineOwnerHandle,
    pub(super) chain: C,
    pub(super) config: Arc<RollupConfig>,
    pub(super) blob_schedule: L1BlobSchedule,
    pub(super) origins: L1OriginSelector<S>,
    pub(super) settings: SequencerConfig,
    pub(super) ready: watch::Receiver<bool>,
    pub(super) control: mpsc::Receiver<Control>,
    pub(super) active: watch::Sender<bool>,
    pub(super) idle: watch::Sender<Idle>,
    pub(super) publishers: Vec<Box<dyn Publish>>,
    pub(super) conductor: Option<Box<dyn Conductor>>,
    /// `admin_overrideLeader` was called: lead without asking the conductor, commit nothing.
    pub(super) leader_override: bool,
    /// The system config of the last block built, by hash.
    pub(super) last: Option<(B256, SystemConfig)>,
    /// What the last wait was for, to log a state once rather than every retry.
    pub(super) waiting_for: Option<&'static str>,
}

/// What a [`Sequencer`] builds with.
#[derive(Debug)]
pub struct SequencerDeps<S, C> {
    /// L1, for origins, deposits and system config updates.
    pub l1: S,
    /// The local chain, for the parent's system config.
    pub chain: C,
    /// The engine owner, which builds each block.
    pub owner: EngineOwnerHandle,
    /// The rollup config.
    pub config: Arc<RollupConfig>,
    /// L1's blob fee schedule, for the L1 info deposit.
    pub blob_schedule: L1BlobSchedule,
    /// The sequencer's settings.
    pub settings: SequencerConfig,
    /// The follow task's gate ([`crate::FollowTask::ready`]).
    pub ready: watch::Receiver<bool>,
    /// Where each sealed block is published.
    pub publishers: Vec<Box<dyn Publish>>,
    /// op-conductor, when this sequencer runs behind one.
    pub conductor: Option<Box<dyn Conductor>>,
}

impl<S: SequencerL1, C: Chain> Sequencer<S, C> {
    /// A sequencer over `deps`, and its handle.
    pub fn new(deps: SequencerDeps<S, C>) -> (Self, SequencerHandle) {
        let SequencerDeps {
            l1,
            chain,
            owner,
            config,
            blob_schedule,
            settings,
            ready,
            publishers,
            conductor,
        } = deps;
        let (control_tx, control) = mpsc::channel(4);
        let (active, active_rx) = watch::channel(settings.start_active);
        let (idle, idle_rx) = watch::channel(Idle::default());
        metrics::sequencer_active(settings.start_active);
        let sequencer = Self {
            owner,
            chain,
            origins: L1OriginSelector::new(l1, config.clone(), settings.conf_depth),
            config,
            blob_schedule,
            settings,
            ready,
            control,
            active,
            idle,
            publishers,
            conductor,
            leader_override: false,
            last: None,
            waiting_for: None,
        };
        let conductor = sequencer.conductor.is_some();
        let handle =
            SequencerHandle { control: control_tx, active: active_rx, idle: idle_rx, conductor };
        (sequencer, handle)
    }

    /// Builds blocks until `shutdown` resolves.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        info!(target: "light_cl::sequencer", active = self.is_active(), conf_depth = self.settings.conf_depth, max_safe_lag = self.settings.max_safe_lag, seal_margin = ?self.settings.seal_margin, publish_to = self.publishers.len(), conductor = self.conductor.as_ref().map(|c| c.target()), "sequencer started");
        if self.settings.seal_margin >= Duration::from_secs(self.config.block_time) {
            warn!(target: "light_cl::sequencer", seal_margin = ?self.settings.seal_margin, block_time = self.config.block_time, "the seal margin is not shorter than the block time: every block is sealed as soon as it starts, with no time to fill");
        }
        tokio::pin!(shutdown);
        loop {
            let wait = match self.next_step().await {
                Step::Build(heads, late) => {
                    tokio::select! {
                        _ = &mut shutdown => break,
                        result = self.slot(*heads, late) => match result {
                            Ok(()) => {
                                // Back-to-back building must not starve admin calls.
                                while let Ok(control) = self.control.try_recv() {
                                    self.handle(control).await;
                                }
                                continue;
                            }
                            Err(e) if e.halts() => {
                                error!(target: "light_cl::sequencer", %e, "sequencer halted: this cannot be retried; fix the cause and call admin_startSequencer");
                                self.set_active(false);
                                continue;
                            }
                            Err(e) => {
                                self.wait_note(e.kind(), &e);
                                Some(self.settings.retry_after)
                            }
                        }
                    }
                }
                Step::Wait(wait) => wait,
            };
            let reason =
                if self.is_active() { self.waiting_for.unwrap_or("next_slot") } else { "inactive" };
            if reason != "next_slot" {
                metrics::sequencer_waiting(reason);
            }
            self.idle.send_modify(|idle| *idle = Idle { count: idle.count + 1, reason });
            let sleep = async {
                match wait {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = sleep => {}
                Some(control) = self.control.recv() => self.handle(control).await,
                Ok(()) = self.ready.changed() => {}
            }
        }
        info!(target: "light_cl::sequencer", "sequencer stopped");
    }

    pub(super) fn is_active(&self) -> bool {
        *self.active.borrow()
    }

    fn set_active(&self, active: bool) {
        self.active.send_replace(active);
        metrics::sequencer_active(active);
    }

    /// Logs why nothing is built, once per reason in a row.
    fn wait_note(&mut self, reason: &'static str, detail: &dyn std::fmt::Display) {
        if self.waiting_for != Some(reason) {
            self.waiting_for = Some(reason);
            warn!(target: "light_cl::sequencer", reason, %detail, "not building");
        } else {
            debug!(target: "light_cl::sequencer", reason, %detail, "not building");
        }
    }

    /// Whether to build now (on which head) or how long to wait.
    async fn next_step(&mut self) -> Step {
        if !self.is_active() {
            return Step::Wait(None);
        }
        if !*self.ready.borrow_and_update() {
            self.wait_note(
                "safe_head_not_applied",
                &"the follow path has not applied the source's safe head yet",
            );
            return Step::Wait(None);
        }
        let heads = match self.chain.heads().await {
            Ok(heads) => heads,
            Err(e) => {
                self.wait_note("chain", &e);
                return Step::Wait(Some(self.settings.retry_after));
            }
        };
        if let Some(lag) = self.safe_lag_exceeded(&heads) {
            self.wait_note(
                "max_safe_lag",
                &format_args!("unsafe head is {lag} blocks ahead of safe"),
            );
            return Step::Wait(Some(self.settings.retry_after));
        }
        let head = heads.unsafe_head;
        // The window of the block on `head` opens at the head's timestamp; without a fill
        // window the block starts at its own timestamp and is sealed at once.
        let opens = match self.settings.fill {
            true => Duration::from_secs(head.timestamp),
            false => Duration::from_secs(head.timestamp.saturating_add(self.config.block_time)),
        };
        let now = unix_now();
        if now < opens {
            self.waiting_for = None;
            return Step::Wait(Some(opens - now));
        }
        if !self.settings.fill {
            return Step::Build(Box::new(heads), true);
        }
        let seal_at = self.seal_at(&head);
        let late = now >= seal_at;
        if late {
            debug!(target: "light_cl::sequencer", number = head.number + 1, behind = ?(now - seal_at), "block is late: sealing at once");
        }
        Step::Build(Box::new(heads), late)
    }

    fn safe_lag_exceeded(&self, heads: &Heads) -> Option<u64> {
        let max = self.settings.max_safe_lag;
        let safe = heads.safe.map_or(0, |s| s.number);
        let lag = heads.unsafe_head.number.saturating_sub(safe);
        (max > 0 && lag >= max).then_some(lag)
    }

    pub(super) async fn handle(&mut self, control: Control) {
        match control {
            Control::Start(hash, reply) => {
                let result = self.start(hash).await;
                let _ = reply.send(result);
            }
            Control::Stop(reply) => {
                let result = if self.is_active() {
                    match self.chain.heads().await {
                        Ok(heads) => {
                            self.set_active(false);
                            info!(target: "light_cl::sequencer", number = heads.unsafe_head.number, hash = %heads.unsafe_head.hash, "sequencer stopped by admin_stopSequencer");
                            Ok(heads.unsafe_head.hash)
                        }
                        Err(e) => Err(SequencerAdminError::Unavailable(e.to_string())),
                    }
                } else {
                    Err(SequencerAdminError::NotActive)
                };
                let _ = reply.send(result);
            }
            Control::Push(payload, reply) => {
                let result = if self.is_active() {
                    Err(SequencerAdminError::Refused(ACTIVE.into()))
                } else {
                    self.owner
                        .push(*payload)
                        .await
                        .map_err(|e| SequencerAdminError::Refused(e.to_string()))
                };
                let _ = reply.send(result);
            }
            Control::OverrideLeader(reply) => {
                self.leader_override = true;
                let _ = reply.send(());
            }
            Control::Propose(payload, reply) => {
                let result = if self.is_active() {
                    Err(SequencerAdminError::Refused(ACTIVE.into()))
                } else {
                    self.owner
                        .propose(*payload)
                        .await
                        .map_err(|e| SequencerAdminError::Refused(e.to_string()))
                };
                let _ = reply.send(result);
            }
        }
    }

    async fn start(&mut self, hash: B256) -> Result<(), SequencerAdminError> {
        if self.is_active() {
            return Err(SequencerAdminError::AlreadyActive);
        }
        let heads = self
            .chain
            .heads()
            .await
            .map_err(|e| SequencerAdminError::Unavailable(e.to_string()))?;
        if heads.unsafe_head.hash != hash {
            return Err(SequencerAdminError::NotHead { given: hash, head: heads.unsafe_head.hash });
        }
        match self.is_leader().await {
            Ok(true) => {}
            Ok(false) => return Err(SequencerAdminError::NotLeader),
            Err(e) => return Err(SequencerAdminError::LeaderCheck(e)),
        }
        info!(target: "light_cl::sequencer", number = heads.unsafe_head.number, %hash, "sequencer started by admin_startSequencer");
        self.waiting_for = None;
        self.set_active(true);
        Ok(())
    }
}

impl<S, C> Sequencer<S, C> {
    /// Whether this node may build: no conductor, the leader overridden, or the conductor says
    /// it leads.
    pub(super) async fn is_leader(&self) -> Result<bool, String> {
        match &self.conductor {
            Some(conductor) if !self.leader_override => conductor.leader().await,
            _ => Ok(true),
        }
    }
}

enum Step {
    /// Build on these heads; whether the block is late (its window is over).
    Build(Box<Heads>, bool),
    Wait(Option<Duration>),
}

/// The wall clock as time since the Unix epoch.
pub(super) fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}
