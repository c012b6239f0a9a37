//! The sequencer's handle: admin controls sent to the task, whether it builds, and its waits.

use crate::Proposed;
use alloy_primitives::B256;
use light_cl_protocol::L2BlockRef;
use light_cl_rpc::SequencerAdminError;
use op_alloy_rpc_types_engine::OpExecutionData;
use tokio::sync::{mpsc, oneshot, watch};

pub(super) enum Control {
    Start(B256, oneshot::Sender<Result<(), SequencerAdminError>>),
    Stop(oneshot::Sender<Result<B256, SequencerAdminError>>),
    Push(Box<OpExecutionData>, oneshot::Sender<Result<L2BlockRef, SequencerAdminError>>),
    Propose(Box<OpExecutionData>, oneshot::Sender<Result<Proposed, SequencerAdminError>>),
    OverrideLeader(oneshot::Sender<()>),
}

/// Starts and stops the sequencer, and tells whether it is building.
#[derive(Debug, Clone)]
pub struct SequencerHandle {
    pub(super) control: mpsc::Sender<Control>,
    pub(super) active: watch::Receiver<bool>,
    pub(super) idle: watch::Receiver<Idle>,
    pub(super) conductor: bool,
}

/// How many times the sequencer has waited instead of building, and why it waited last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Idle {
    /// Waits so far.
    pub count: u64,
    /// The last wait's reason: `inactive` while stopped, `next_slot` until the next block's time,
    /// else as counted in `light_cl_sequencer_waits_total`.
    pub reason: &'static str,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Start(hash, _) => write!(f, "Start({hash})"),
            Self::Stop(_) => f.write_str("Stop"),
            Self::Push(p, _) => write!(f, "Push({})", p.payload.block_hash()),
            Self::Propose(p, _) => write!(f, "Propose({})", p.payload.block_hash()),
            Self::OverrideLeader(_) => f.write_str("OverrideLeader"),
        }
    }
}

impl SequencerHandle {
    /// Starts building on `head`, which must be the unsafe head.
    pub async fn start(&self, head: B256) -> Result<(), SequencerAdminError> {
        let (tx, rx) = oneshot::channel();
        self.control.send(Control::Start(head, tx)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Stops building after the block in progress; returns the hash of the unsafe head then (the
    /// last block sealed here, unless a follow reorg replaced it).
    pub async fn stop(&self) -> Result<B256, SequencerAdminError> {
        let (tx, rx) = oneshot::channel();
        self.control.send(Control::Stop(tx)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Hands a block pushed by another sequencer to the engine owner, unless this node is
    /// sequencing. Decided in the sequencer task, so that a start cannot slip in between.
    pub async fn push(&self, payload: OpExecutionData) -> Result<L2BlockRef, SequencerAdminError> {
        let (tx, rx) = oneshot::channel();
        self.control.send(Control::Push(Box::new(payload), tx)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// Hands a block from the network to the engine owner as a proposal, unless this node is
    /// sequencing (its own chain tip is its own).
    pub async fn propose(&self, payload: OpExecutionData) -> Result<Proposed, SequencerAdminError> {
        let (tx, rx) = oneshot::channel();
        self.control.send(Control::Propose(Box::new(payload), tx)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// From now until the node restarts, sequences as the leader without asking the conductor
    /// and commits nothing to it (op-node's `admin_overrideLeader`).
    pub async fn override_leader(&self) -> Result<(), SequencerAdminError> {
        let (tx, rx) = oneshot::channel();
        self.control.send(Control::OverrideLeader(tx)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }

    /// Whether the sequencer runs behind op-conductor.
    pub const fn conductor_enabled(&self) -> bool {
        self.conductor
    }

    /// Whether the sequencer is building.
    pub fn is_active(&self) -> bool {
        *self.active.borrow()
    }

    /// Follows whether the sequencer is building.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.active.clone()
    }

    /// Follows the sequencer's waits.
    pub fn idle(&self) -> watch::Receiver<Idle> {
        self.idle.clone()
    }
}

fn stopped() -> SequencerAdminError {
    SequencerAdminError::Unavailable("the sequencer task has stopped".into())
}
