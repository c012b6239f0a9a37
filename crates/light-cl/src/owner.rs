//! The engine owner: the single task that holds the forkchoice state and sends every forkchoice
//! update (DESIGN.md "One engine owner").
//!
//! Targets arrive as [`Decision`]s. A forkchoice update carries a safe or finalized hash only
//! when that block is canonical locally (finalized at or below safe); otherwise the target stays
//! pending and the update carries the last applied label. The loop in [`EngineOwner::reconcile`]
//! is where the forkchoice state is decided and sent.

use crate::{
    follow::{Case, Decision},
    metrics,
    view::View,
    Chain, Engine, EngineError, Heads,
};
use alloy_primitives::B256;
use alloy_rpc_types_engine::{ForkchoiceState, PayloadStatusEnum};
use light_cl_protocol::{L1BlockRef, L2BlockRef};
use light_cl_rpc::L2Block;
use op_alloy_rpc_types_engine::{OpExecutionData, OpPayloadAttributes};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, error, info, warn};

/// Most forkchoice updates sent for one request: labels ready under the current head, the head
/// target, and after a reorg the labels again.
const MAX_UPDATES_PER_REQUEST: usize = 4;

/// A request to the engine owner.
#[derive(Debug)]
pub enum EngineRequest {
    /// Aim at a follow decision's targets and report what was applied.
    Follow(Box<Decision>, oneshot::Sender<Applied>),
    /// The canonical chain changed (a sync target reached, a block inserted): read the heads
    /// again and publish them. Sends nothing to the engine.
    Refresh,
    /// Hand these blocks, parents first, to the engine with `new_payload`; reply how many it
    /// took before one was refused.
    Insert(Vec<L2Block>, oneshot::Sender<usize>),
    /// Build a block with these attributes on top of the head with this hash, insert it and
    /// make it the head; reply with the new block.
    Build(B256, Box<OpPayloadAttributes>, oneshot::Sender<Result<Built, BuildError>>),
    /// A block pushed from outside (`admin_postUnsafePayload`): insert it and make it the head
    /// if it extends the head.
    Push(Box<OpExecutionData>, oneshot::Sender<Result<L2BlockRef, PushError>>),
}

/// A block the engine owner built and made the head.
#[derive(Debug, Clone)]
pub struct Built {
    /// The new head.
    pub head: L2BlockRef,
    /// The block as the engine sealed it, for publishing.
    pub payload: OpExecutionData,
}

/// Why a pushed block was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The block's parent is not the unsafe head.
    #[error("block {number} ({hash}) does not extend the unsafe head {head_number} ({head})")]
    NotOnHead {
        /// The pushed block's number.
        number: u64,
        /// The pushed block's hash.
        hash: B256,
        /// The unsafe head's number.
        head_number: u64,
        /// The unsafe head's hash.
        head: B256,
    },
    /// The engine refused the block or failed.
    #[error("{step}: {reason}")]
    Engine {
        /// `new payload` or `forkchoice update`.
        step: &'static str,
        /// What the engine said.
        reason: String,
    },
    /// The local heads cannot be read.
    #[error("local chain: {0}")]
    Chain(#[from] crate::ChainError),
    /// The engine owner has stopped.
    #[error("the engine owner has stopped")]
    Stopped,
}

/// Why a block was not built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A head target is pending: the engine is syncing, there is no head to build on.
    #[error("the engine is syncing to a head target")]
    Syncing,
    /// The head moved since the attributes were prepared (a reorg or another block).
    #[error("the head is {head}, not {parent} the attributes were built for")]
    HeadMoved {
        /// The parent the attributes were built for.
        parent: B256,
        /// The head now.
        head: B256,
    },
    /// The local heads cannot be read.
    #[error("local chain: {0}")]
    Chain(#[from] crate::ChainError),
    /// The engine refused or failed a step of the build.
    #[error("{step}: {reason}")]
    Engine {
        /// The step: `forkchoice update with attributes`, `get payload`, `new payload`,
        /// `forkchoice update to the new head`.
        step: &'static str,
        /// What the engine said.
        reason: String,
    },
    /// The engine owner has stopped.
    #[error("the engine owner has stopped")]
    Stopped,
}

/// What the engine applied after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The local heads after the request.
    pub heads: Heads,
    /// The head target still pending (the engine is syncing to it), if any.
    pub head_target: Option<L2BlockRef>,
}

impl Applied {
    /// Whether the engine is still syncing to a head target.
    pub const fn syncing(&self) -> bool {
        self.head_target.is_some()
    }
}

/// Sends requests to the engine owner.
#[derive(Debug, Clone)]
pub struct EngineOwnerHandle {
    tx: mpsc::Sender<EngineRequest>,
}

/// The engine owner has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the engine owner has stopped")]
pub struct OwnerStopped;

impl EngineOwnerHandle {
    /// Hands a follow decision to the owner and waits until it is applied (or pending).
    pub async fn follow(&self, decision: Decision) -> Result<Applied, OwnerStopped> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(EngineRequest::Follow(Box::new(decision), tx))
            .await
            .map_err(|_| OwnerStopped)?;
        rx.await.map_err(|_| OwnerStopped)
    }

    /// Inserts blocks (parents first) with `new_payload`; returns how many the engine took.
    pub async fn insert(&self, blocks: Vec<L2Block>) -> Result<usize, OwnerStopped> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(EngineRequest::Insert(blocks, tx)).await.map_err(|_| OwnerStopped)?;
        rx.await.map_err(|_| OwnerStopped)
    }

    /// Builds, inserts and makes canonical a block with `attributes` on top of the head
    /// `parent` (refused when the head is another block).
    pub async fn build(
        &self,
        parent: B256,
        attributes: OpPayloadAttributes,
    ) -> Result<Built, BuildError> {
        let (tx, rx) = oneshot::channel();
        let request = EngineRequest::Build(parent, Box::new(attributes), tx);
        self.tx.send(request).await.map_err(|_| BuildError::Stopped)?;
        rx.await.map_err(|_| BuildError::Stopped)?
    }

    /// Inserts a pushed block and makes it the head, if it extends the head.
    pub async fn push(&self, payload: OpExecutionData) -> Result<L2BlockRef, PushError> {
        let (tx, rx) = oneshot::channel();
        let request = EngineRequest::Push(Box::new(payload), tx);
        self.tx.send(request).await.map_err(|_| PushError::Stopped)?;
        rx.await.map_err(|_| PushError::Stopped)?
    }

    /// Tells the owner the canonical chain changed, so the served view is fresh between ticks.
    pub async fn refresh(&self) -> Result<(), OwnerStopped> {
        self.tx.send(EngineRequest::Refresh).await.map_err(|_| OwnerStopped)
    }
}

/// The task that owns the forkchoice state.
#[derive(Debug)]
pub struct EngineOwner<E, C> {
    engine: E,
    chain: C,
    view: View,
    requests: mpsc::Receiver<EngineRequest>,
    /// Head to reach; pending while the engine syncs to it.
    head_target: Option<L2BlockRef>,
    /// Safe head to apply once canonical, with the `current_l1` of its update.
    pending_safe: Option<(L2BlockRef, Option<L1BlockRef>)>,
    /// Finalized head to apply once canonical and at or below safe.
    pending_finalized: Option<L2BlockRef>,
    /// The last state sent and whether the engine answered VALID.
    last_sent: Option<(ForkchoiceState, bool)>,
    /// The heads last published, to log what moved (also what moved on its own, as a sync
    /// target the engine reached between requests).
    published: Option<Heads>,
}

impl<E: Engine, C: Chain> EngineOwner<E, C> {
    /// An owner of `engine`, reading `chain` and publishing to `view`, and its handle.
    pub fn new(engine: E, chain: C, view: View) -> (Self, EngineOwnerHandle) {
        let (tx, requests) = mpsc::channel(16);
        let owner = Self {
            engine,
            chain,
            view,
            requests,
            head_target: None,
            pending_safe: None,
            pending_finalized: None,
            last_sent: None,
            published: None,
        };
        (owner, EngineOwnerHandle { tx })
    }

    /// Serves requests until every handle is dropped.
    pub async fn run(mut self) {
        match self.chain.heads().await {
            Ok(heads) => self.publish(heads),
            Err(e) => warn!(target: "light_cl::engine", %e, "cannot read local heads at start"),
        }
        while let Some(request) = self.requests.recv().await {
            match request {
                EngineRequest::Follow(decision, reply) => {
                    let applied = self.follow(*decision).await;
                    let _ = reply.send(applied);
                }
                EngineRequest::Build(parent, attributes, reply) => {
                    let built = self.build(parent, *attributes).await;
                    if let Err(e) = &built {
                        warn!(target: "light_cl::engine", %e, "block not built");
                    }
                    let _ = reply.send(built);
                }
                EngineRequest::Push(payload, reply) => {
                    let pushed = self.push(*payload).await;
                    if let Err(e) = &pushed {
                        warn!(target: "light_cl::engine", %e, "pushed block not taken");
                    }
                    let _ = reply.send(pushed);
                }
                EngineRequest::Insert(blocks, reply) => {
                    let taken = self.insert(blocks).await;
                    let _ = reply.send(taken);
                }
                EngineRequest::Refresh => match self.chain.heads().await {
                    Ok(heads) => self.publish(heads),
                    Err(e) => warn!(target: "light_cl::engine", %e, "cannot read local heads"),
                },
            }
        }
        debug!(target: "light_cl::engine", "engine owner stopped: no more requests");
    }

    /// Takes the targets of the newest validated update: its safe and finalized targets replace
    /// any still pending (`None` clears them); a head target stays until reached or replaced.
    async fn follow(&mut self, d: Decision) -> Applied {
        match d.head {
            Some(head) => self.head_target = Some(head),
            // Our chain agrees with the source's safe head and nothing newer is proposed: a
            // target still pending (an orphaned proposal) is dropped. While syncing it stays.
            None if d.case != Case::Syncing => self.head_target = None,
            None => {}
        }
        self.pending_safe = d.safe.map(|safe| (safe, d.current_l1));
        if d.safe.is_none() {
            if let Some(current_l1) = d.current_l1 {
                self.view.advance_current_l1(current_l1);
            }
        }
        self.pending_finalized = d.finalized;
        self.reconcile().await
    }

    /// Decides the forkchoice state from the targets and what is canonical, and sends it.
    async fn reconcile(&mut self) -> Applied {
        let mut heads = match self.chain.heads().await {
            Ok(heads) => heads,
            Err(e) => {
                warn!(target: "light_cl::engine", %e, "cannot read local heads; nothing sent");
                return Applied { heads: Heads::default(), head_target: self.head_target };
            }
        };
        for _ in 0..MAX_UPDATES_PER_REQUEST {
            // reth ignores the labels of an update whose head it is still syncing to: labels that
            // are ready under the current head go first, in an update of their own.
            let current = heads.unsafe_head;
            let (mut head, (mut safe, mut finalized)) =
                (current, self.labels_for(current, &heads).await);
            let labels_ready = (safe, finalized) != (heads.safe, heads.finalized);
            if let Some(target) =
                self.head_target.filter(|t| t.hash != current.hash && !labels_ready)
            {
                head = target;
                (safe, finalized) = self.labels_for(target, &heads).await;
            }
            let state = ForkchoiceState {
                head_block_hash: head.hash,
                safe_block_hash: safe.map_or(B256::ZERO, |s| s.hash),
                finalized_block_hash: finalized.map_or(B256::ZERO, |f| f.hash),
            };
            if self.last_sent == Some((state, true)) && heads.unsafe_head.hash == head.hash {
                break;
            }
            let result = self.engine.fork_choice_updated(state, None).await;
            let valid = matches!(&result, Ok(u) if u.is_valid());
            self.last_sent = Some((state, valid));
            metrics::forkchoice_update(&result);
            match result {
                Ok(update) => match update.payload_status.status {
                    PayloadStatusEnum::Valid => {
                        if self.head_target.is_some_and(|t| t.hash == head.hash) {
                            self.head_target = None;
                        }
                        if self.pending_safe.is_some_and(|(s, _)| Some(s) == safe) {
                            let (_, current_l1) = self.pending_safe.take().expect("checked");
                            if let Some(current_l1) = current_l1 {
                                self.view.advance_current_l1(current_l1);
                            }
                        }
                        if self.pending_finalized.is_some() && self.pending_finalized == finalized {
                            self.pending_finalized = None;
                        }
                    }
                    PayloadStatusEnum::Syncing | PayloadStatusEnum::Accepted => {
                        debug!(target: "light_cl::engine", head = %head.hash, number = head.number, "engine syncing to head target");
                        break;
                    }
                    PayloadStatusEnum::Invalid { validation_error } => {
                        error!(target: "light_cl::engine", head = %head.hash, number = head.number, %validation_error, "engine says the head target is invalid; dropping it");
                        self.drop_target(head);
                        break;
                    }
                },
                // reth applied the head, but a safe or finalized hash was not canonical under it:
                // read the chain again and resend with labels that are.
                Err(EngineError::Forkchoice(e)) => {
                    debug!(target: "light_cl::engine", %e, ?state, "head applied, a label is not canonical under it (expected after a reorg); resending with canonical labels");
                    self.last_sent = None;
                }
                Err(e) => {
                    error!(target: "light_cl::engine", %e, "forkchoice update failed");
                    break;
                }
            }
            heads = match self.chain.heads().await {
                Ok(h) => h,
                Err(e) => {
                    warn!(target: "light_cl::engine", %e, "cannot read local heads after update");
                    break;
                }
            };
            if !self.has_pending() {
                break;
            }
        }
        self.publish(heads);
        Applied { heads, head_target: self.head_target }
    }

    /// Publishes `heads` to the view and the metrics, and logs what moved.
    fn publish(&mut self, heads: Heads) {
        if let Some(before) = self.published.replace(heads) {
            log_moves(&before, &heads);
        } else {
            info!(target: "light_cl::engine", unsafe_head = heads.unsafe_head.number, safe = ?heads.safe.map(|s| s.number), finalized = ?heads.finalized.map(|f| f.number), "local heads at start");
        }
        self.view.set_l2(&heads);
        metrics::heads(&heads);
    }

    /// The build round trip: FCU(head, attributes) → get payload → new payload → FCU(new head).
    async fn build(
        &mut self,
        parent: B256,
        attributes: OpPayloadAttributes,
    ) -> Result<Built, BuildError> {
        if self.head_target.is_some() {
            return Err(BuildError::Syncing);
        }
        let heads = self.chain.heads().await?;
        let head = heads.unsafe_head;
        if head.hash != parent {
            return Err(BuildError::HeadMoved { parent, head: head.hash });
        }
        let (safe, finalized) = self.labels_for(head, &heads).await;
        let state = |head: B256| ForkchoiceState {
            head_block_hash: head,
            safe_block_hash: safe.map_or(B256::ZERO, |s| s.hash),
            finalized_block_hash: finalized.map_or(B256::ZERO, |f| f.hash),
        };
        let failed = |step, reason: String| BuildError::Engine { step, reason };
        let started = std::time::Instant::now();
        let step = "forkchoice update with attributes";
        let result = self.engine.fork_choice_updated(state(head.hash), Some(attributes)).await;
        metrics::forkchoice_update(&result);
        let updated = result.map_err(|e| failed(step, e.to_string()))?;
        if !updated.is_valid() {
            return Err(failed(step, format!("{:?}", updated.payload_status.status)));
        }
        let id = updated.payload_id.ok_or_else(|| failed(step, "no payload id".into()))?;
        let payload =
            self.engine.get_payload(id).await.map_err(|e| failed("get payload", e.to_string()))?;
        let hash = payload.payload.block_hash();
        let status = self
            .engine
            .new_payload(payload.clone())
            .await
            .map_err(|e| failed("new payload", e.to_string()))?;
        if !status.is_valid() {
            return Err(failed("new payload", format!("{:?}", status.status)));
        }
        let step = "forkchoice update to the new head";
        let result = self.engine.fork_choice_updated(state(hash), None).await;
        metrics::forkchoice_update(&result);
        let made_head = match result {
            Ok(updated) if updated.is_valid() => Ok(()),
            Ok(updated) => Err(failed(step, format!("{:?}", updated.payload_status.status))),
            Err(e) => Err(failed(step, e.to_string())),
        };
        if let Err(e) = made_head {
            // The engine may have applied the head before failing: then the block is built and
            // must be published like any other.
            if self.chain.heads().await.map(|h| h.unsafe_head.hash) != Ok(hash) {
                return Err(e);
            }
            warn!(target: "light_cl::engine", %e, %hash, "the forkchoice update failed but the block is the head");
        }
        self.last_sent = Some((state(hash), true));
        metrics::build_round_trip(started.elapsed());
        let heads = self.chain.heads().await?;
        self.publish(heads);
        Ok(Built { head: heads.unsafe_head, payload })
    }

    /// A pushed block: `new_payload`, then FCU to it with the applied labels, only when its
    /// parent is the head. A pending head target does not block it (the push may be that very
    /// block); the target stays pending unless the push reached it.
    async fn push(&mut self, payload: OpExecutionData) -> Result<L2BlockRef, PushError> {
        let heads = self.chain.heads().await?;
        let head = heads.unsafe_head;
        let (hash, number) = (payload.payload.block_hash(), payload.payload.block_number());
        if payload.payload.parent_hash() != head.hash || Some(number) != head.number.checked_add(1)
        {
            return Err(PushError::NotOnHead {
                number,
                hash,
                head_number: head.number,
                head: head.hash,
            });
        }
        let failed = |step, reason: String| PushError::Engine { step, reason };
        let status = self
            .engine
            .new_payload(payload)
            .await
            .map_err(|e| failed("new payload", e.to_string()))?;
        if !status.is_valid() {
            return Err(failed("new payload", format!("{:?}", status.status)));
        }
        let (safe, finalized) = self.labels_for(head, &heads).await;
        let state = ForkchoiceState {
            head_block_hash: hash,
            safe_block_hash: safe.map_or(B256::ZERO, |s| s.hash),
            finalized_block_hash: finalized.map_or(B256::ZERO, |f| f.hash),
        };
        let result = self.engine.fork_choice_updated(state, None).await;
        metrics::forkchoice_update(&result);
        let updated = result.map_err(|e| failed("forkchoice update", e.to_string()))?;
        if !updated.is_valid() {
            return Err(failed(
                "forkchoice update",
                format!("{:?}", updated.payload_status.status),
            ));
        }
        self.last_sent = Some((state, true));
        if self.head_target.is_some_and(|t| t.hash == hash) {
            self.head_target = None;
        }
        let heads = self.chain.heads().await?;
        self.publish(heads);
        Ok(heads.unsafe_head)
    }

    /// `new_payload` for each block in order, stopping at the first the engine refuses.
    async fn insert(&mut self, blocks: Vec<L2Block>) -> usize {
        let mut taken = 0;
        for block in blocks {
            let (number, hash) = (block.number, block.hash);
            match self.engine.new_payload(block.payload).await {
                Ok(status) if !status.is_invalid() => taken += 1,
                Ok(status) => {
                    error!(target: "light_cl::engine", number, %hash, status = ?status.status, "engine refused a block from the source's execution RPC");
                    break;
                }
                Err(e) => {
                    error!(target: "light_cl::engine", number, %hash, %e, "new payload failed");
                    break;
                }
            }
        }
        metrics::inserted(taken);
        taken
    }

    /// The safe and finalized hashes an update with `head` carries: the pending targets when
    /// they are canonical (safe at or below `head`, finalized at or below safe), else the applied
    /// labels when those are canonical.
    async fn labels_for(
        &self,
        head: L2BlockRef,
        heads: &Heads,
    ) -> (Option<L2BlockRef>, Option<L2BlockRef>) {
        let applied_safe = self.canonical(heads.safe).await;
        let pending_safe = self.pending_safe.map(|(s, _)| s);
        // Safe never moves back on a chain that still has our safe block.
        let safe = match self.canonical(pending_safe).await {
            Some(s)
                if s.number <= head.number && applied_safe.is_none_or(|a| s.number > a.number) =>
            {
                Some(s)
            }
            _ => applied_safe,
        };
        let applied_finalized = self.canonical(heads.finalized).await;
        let finalized = match self.canonical(self.pending_finalized).await {
            Some(f)
                if safe.is_some_and(|s| f.number <= s.number)
                    && applied_finalized.is_none_or(|a| f.number > a.number) =>
            {
                Some(f)
            }
            _ => applied_finalized.filter(|f| safe.is_some_and(|s| f.number <= s.number)),
        };
        (safe, finalized)
    }

    fn has_pending(&self) -> bool {
        self.head_target.is_some()
            || self.pending_safe.is_some()
            || self.pending_finalized.is_some()
    }

    fn drop_target(&mut self, head: L2BlockRef) {
        self.head_target = None;
        if self.pending_safe.is_some_and(|(s, _)| s.hash == head.hash) {
            self.pending_safe = None;
        }
    }

    /// `block` if it is the canonical block at its number.
    async fn canonical(&self, block: Option<L2BlockRef>) -> Option<L2BlockRef> {
        let block = block?;
        match self.chain.block_ref_by_number(block.number).await {
            Ok(Some(local)) if local.hash == block.hash && local.l1_origin == block.l1_origin => {
                Some(block)
            }
            Ok(Some(local)) if local.hash == block.hash => {
                error!(target: "light_cl::engine", number = block.number, hash = %block.hash, claimed = ?block.l1_origin, actual = ?local.l1_origin, "the source claimed another L1 origin for this block than the block has; not applying it");
                None
            }
            Ok(_) => None,
            Err(e) => {
                warn!(target: "light_cl::engine", %e, number = block.number, "canonical lookup failed");
                None
            }
        }
    }
}

fn log_moves(before: &Heads, after: &Heads) {
    let id = |r: Option<L2BlockRef>| r.map(|r| (r.number, r.hash));
    if before.unsafe_head.hash != after.unsafe_head.hash {
        info!(target: "light_cl::engine", number = after.unsafe_head.number, hash = %after.unsafe_head.hash, from = before.unsafe_head.number, "unsafe head moved");
    }
    if id(before.safe) != id(after.safe) {
        if let Some(s) = after.safe {
            info!(target: "light_cl::engine", number = s.number, hash = %s.hash, "safe head moved");
        }
    }
    if id(before.finalized) != id(after.finalized) {
        if let Some(f) = after.finalized {
            info!(target: "light_cl::engine", number = f.number, hash = %f.hash, "finalized head moved");
        }
    }
}
