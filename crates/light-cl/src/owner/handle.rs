//! The requests the engine owner serves and the handle that sends them.

use super::{ApplyError, BuildError, Proposed, PushError};
use crate::{follow::Decision, Heads};
use alloy_primitives::B256;
use alloy_rpc_types_engine::PayloadId;
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
    /// Start building a block with these attributes on a parent while the head is the given
    /// hash (the parent itself, or for a rewind a canonical ancestor at or above safe).
    StartBuild(StartBuild, oneshot::Sender<Result<Building, BuildError>>),
    /// The best payload so far of a started block.
    Resolve(Building, oneshot::Sender<Result<OpExecutionData, BuildError>>),
    /// Insert a started block's resolved payload and make it the head.
    Seal(Building, Box<OpExecutionData>, oneshot::Sender<Result<Built, BuildError>>),
    /// A block pushed from outside (`admin_postUnsafePayload`): insert it and make it the head
    /// if it extends the head.
    Push(Box<OpExecutionData>, oneshot::Sender<Result<L2BlockRef, PushError>>),
    /// A block from the network (gossip), already validated: extend the head with it, hold it
    /// for its parent, or aim at it.
    Propose(Box<OpExecutionData>, oneshot::Sender<Result<Proposed, PushError>>),
}

/// What [`EngineRequest::StartBuild`] starts.
#[derive(Debug)]
pub struct StartBuild {
    /// The head the build was decided on.
    pub head: B256,
    /// The block to build on.
    pub parent: L2BlockRef,
    /// The new block's attributes.
    pub attributes: Box<OpPayloadAttributes>,
}

/// A block whose payload job runs in the engine, waiting to be sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Building {
    /// The head when the build started; sealing is refused once the head is another block.
    pub head: B256,
    /// The block being built on.
    pub parent: L2BlockRef,
    /// The engine's payload id.
    pub id: PayloadId,
    /// The new block's timestamp.
    pub timestamp: u64,
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

    /// Starts building a block with `attributes` on `parent` while the head is `head`; the
    /// engine fills it until [`seal`](Self::seal).
    pub async fn start_build(
        &self,
        head: B256,
        parent: L2BlockRef,
        attributes: OpPayloadAttributes,
    ) -> Result<Building, BuildError> {
        let (tx, rx) = oneshot::channel();
        let start = StartBuild { head, parent, attributes: Box::new(attributes) };
        self.tx
            .send(EngineRequest::StartBuild(start, tx))
            .await
            .map_err(|_| BuildError::Stopped)?;
        rx.await.map_err(|_| BuildError::Stopped)?
    }

    /// The best payload so far of a started block (refused when the head moved since the build
    /// started).
    pub async fn resolve(&self, building: Building) -> Result<OpExecutionData, BuildError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(EngineRequest::Resolve(building, tx))
            .await
            .map_err(|_| BuildError::Stopped)?;
        rx.await.map_err(|_| BuildError::Stopped)?
    }

    /// Inserts a started block's resolved `payload` and makes it the head (refused when the
    /// head moved since the build started).
    pub async fn seal(
        &self,
        building: Building,
        payload: OpExecutionData,
    ) -> Result<Built, BuildError> {
        let (tx, rx) = oneshot::channel();
        let request = EngineRequest::Seal(building, Box::new(payload), tx);
        self.tx.send(request).await.map_err(|_| BuildError::Stopped)?;
        rx.await.map_err(|_| BuildError::Stopped)?
    }

    /// Builds on the head `parent` and seals at once: [`start_build`](Self::start_build),
    /// [`resolve`](Self::resolve), [`seal`](Self::seal).
    pub async fn build(
        &self,
        parent: L2BlockRef,
        attributes: OpPayloadAttributes,
    ) -> Result<Built, BuildError> {
        let building = self.start_build(parent.hash, parent, attributes).await?;
        let payload = self.resolve(building).await?;
        self.seal(building, payload).await
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
