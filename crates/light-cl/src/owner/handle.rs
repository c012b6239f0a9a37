//! The requests the engine owner serves and the handle that sends them.

use super::{ApplyError, BuildError, Proposed, PushError};
use crate::{follow::Decision, Heads};
use alloy_primitives::B256;
use light_cl_protocol::L2BlockRef;
use light_cl_rpc::L2Block;
use op_alloy_rpc_types_engine::{OpExecutionData, OpPayloadAttributes};
use tokio::sync::{mpsc, oneshot};

/// A request to the engine owner.
#[derive(Debug)]
pub enum EngineRequest {
    /// Aim at a follow decision's targets and report what was applied.
    Follow(Box<Decision>, oneshot::Sender<Result<Applied, ApplyError>>),
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
    /// A block from the network (gossip), already validated: extend the head with it, hold it
    /// for its parent, or aim at it.
    Propose(Box<OpExecutionData>, oneshot::Sender<Result<Proposed, PushError>>),
}

/// A block the engine owner built and made the head.
#[derive(Debug, Clone)]
pub struct Built {
    /// The new head.
    pub head: L2BlockRef,
    /// The block as the engine sealed it, for publishing.
    pub payload: OpExecutionData,
}

/// What the engine applied after a follow decision.
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

/// The engine owner has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the engine owner has stopped")]
pub struct OwnerStopped;

/// Sends requests to the engine owner.
#[derive(Debug, Clone)]
pub struct EngineOwnerHandle {
    tx: mpsc::Sender<EngineRequest>,
}

impl EngineOwnerHandle {
    pub(super) const fn new(tx: mpsc::Sender<EngineRequest>) -> Self {
        Self { tx }
    }

    /// Hands a follow decision to the owner and waits until it is applied (or pending).
    pub async fn follow(&self, decision: Decision) -> Result<Applied, ApplyError> {
        let (tx, rx) = oneshot::channel();
        let request = EngineRequest::Follow(Box::new(decision), tx);
        self.tx.send(request).await.map_err(|_| ApplyError::Stopped)?;
        rx.await.map_err(|_| ApplyError::Stopped)?
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

    /// Proposes a validated block from the network; see [`Proposed`].
    pub async fn propose(&self, payload: OpExecutionData) -> Result<Proposed, PushError> {
        let (tx, rx) = oneshot::channel();
        let request = EngineRequest::Propose(Box::new(payload), tx);
        self.tx.send(request).await.map_err(|_| PushError::Stopped)?;
        rx.await.map_err(|_| PushError::Stopped)?
    }

    /// Tells the owner the canonical chain changed, so the served view is fresh between ticks.
    pub async fn refresh(&self) -> Result<(), OwnerStopped> {
        self.tx.send(EngineRequest::Refresh).await.map_err(|_| OwnerStopped)
    }
}
