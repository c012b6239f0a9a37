//! The engine owner: the single task that holds the forkchoice state and sends every forkchoice
//! update (book: architecture, "One engine owner").
//!
//! - [`handle`]: the requests and the [`EngineOwnerHandle`] that sends them;
//! - [`forkchoice`]: which labels an update carries ([`Labels`]) and the one function that sends
//!   an update and records what the engine applied (`EngineOwner::send`);
//! - [`reconcile`]: follow decisions, turned into updates;
//! - [`build`]: blocks built for the sequencer, started and later sealed;
//! - [`push`]: blocks pushed from outside, or inserted from the source's execution RPC;
//! - [`propose`]: blocks from the network (gossip): extend, hold, or aim at;
//! - [`limit`]: nothing at or after a fork this node cannot execute;
//! - [`error`]: why a request was not carried out.

mod build;
mod error;
mod forkchoice;
mod handle;
mod limit;
mod propose;
mod push;
mod reconcile;

pub use error::{ApplyError, BuildError, EngineStep, PushError};
pub use forkchoice::Labels;
pub use handle::{
    Applied, Building, Built, EngineOwnerHandle, EngineRequest, OwnerStopped, StartBuild,
};
pub use limit::{remind_fork_limit, FORK_LIMIT_REMINDER_EVERY};
pub use propose::{Proposed, MAX_AHEAD};

use crate::{metrics, view::View, Chain, Engine, Heads};
use alloy_rpc_types_engine::ForkchoiceState;
use forkchoice::Pending;
use light_cl_protocol::{L2BlockRef, UnsupportedFork};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// The task that owns the forkchoice state.
#[derive(Debug)]
pub struct EngineOwner<E, C> {
    engine: E,
    chain: C,
    view: View,
    requests: mpsc::Receiver<EngineRequest>,
    /// Head to reach; pending while the engine syncs to it.
    head_target: Option<L2BlockRef>,
    /// Safe heads to apply once canonical, each with the `current_l1` of its update.
    pending_safe: Pending,
    /// Finalized heads to apply once canonical and at or below safe.
    pending_finalized: Pending,
    /// The last state sent and whether the engine answered VALID.
    last_sent: Option<(ForkchoiceState, bool)>,
    /// The heads last published, to log what moved (also what moved on its own, as a sync
    /// target the engine reached between requests).
    published: Option<Heads>,
    /// The earliest fork this node cannot execute: nothing at or after it is taken.
    fork_limit: Option<UnsupportedFork>,
    /// Proposed blocks a few ahead of the head, waiting for their parent.
    held: propose::Held,
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
            pending_safe: Pending::default(),
            pending_finalized: Pending::default(),
            last_sent: None,
            published: None,
            fork_limit: None,
            held: propose::Held::default(),
        };
        (owner, EngineOwnerHandle::new(tx))
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
                    if let Err(e) = &applied {
                        warn!(target: "light_cl::engine", %e, "follow decision not applied");
                    }
                    let _ = reply.send(applied);
                }
                EngineRequest::StartBuild(start, reply) => {
                    let StartBuild { head, parent, attributes } = start;
                    let started = self.start_build(head, parent, *attributes).await;
                    if let Err(e) = &started {
                        warn!(target: "light_cl::engine", %e, "block not started");
                    }
                    let _ = reply.send(started);
                }
                EngineRequest::Resolve(building, reply) => {
                    let resolved = self.resolve(building).await;
                    if let Err(e) = &resolved {
                        warn!(target: "light_cl::engine", %e, "payload not resolved");
                    }
                    let _ = reply.send(resolved);
                }
                EngineRequest::Seal(building, payload, reply) => {
                    let built = self.seal(building, *payload).await;
                    if let Err(e) = &built {
                        warn!(target: "light_cl::engine", %e, "block not sealed");
                    }
                    let _ = reply.send(built);
                }
                EngineRequest::Push(payload, reply) => {
                    let pushed = self.take_pushed(*payload).await;
                    if let Err(e) = &pushed {
                        warn!(target: "light_cl::engine", %e, "pushed block not taken");
                    }
                    let _ = reply.send(pushed);
                }
                EngineRequest::Propose(payload, reply) => {
                    let proposed = self.propose(*payload).await;
                    let _ = reply.send(proposed);
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
