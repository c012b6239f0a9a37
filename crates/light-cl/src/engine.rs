//! The seam to the execution layer: the engine and the chain, shaped after reth's in-process API
//! (`ConsensusEngineHandle<OpEngineTypes>` and the node's provider).

use alloy_consensus::Header;
use alloy_primitives::B256;
use alloy_rpc_types_engine::{
    ForkchoiceState, ForkchoiceUpdateError, ForkchoiceUpdated, PayloadId, PayloadStatus,
};
use light_cl_protocol::L2BlockRef;
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::{OpExecutionData, OpPayloadAttributes};
use std::future::Future;

/// The execution engine. Only the engine owner ([`crate::EngineOwner`]) calls it.
pub trait Engine: Send + Sync + 'static {
    /// Sends a forkchoice update, optionally starting a payload build.
    fn fork_choice_updated(
        &self,
        state: ForkchoiceState,
        attributes: Option<OpPayloadAttributes>,
    ) -> impl Future<Output = Result<ForkchoiceUpdated, EngineError>> + Send;

    /// Hands the engine a new payload to validate and insert.
    fn new_payload(
        &self,
        payload: OpExecutionData,
    ) -> impl Future<Output = Result<PayloadStatus, EngineError>> + Send;

    /// The best payload built so far for `id` (started by a forkchoice update with attributes),
    /// as `new_payload` input; waits for the first real build if none has finished, rather than
    /// take an empty one.
    fn get_payload(
        &self,
        id: PayloadId,
    ) -> impl Future<Output = Result<OpExecutionData, EngineError>> + Send;
}

/// A forkchoice update or new payload that the engine did not answer with a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The engine refused the forkchoice state (reth: the head was applied, but a non-zero safe
    /// or finalized hash is not canonical), or the payload attributes.
    #[error("forkchoice update refused: {0}")]
    Forkchoice(#[from] ForkchoiceUpdateError),
    /// The engine is gone (shutting down).
    #[error("engine unavailable")]
    Unavailable,
    /// Any other failure inside the engine.
    #[error("engine error: {0}")]
    Internal(String),
}

/// The local chain as the execution layer has it.
pub trait Chain: Send + Sync + 'static {
    /// The canonical block at `number`, or `None` when there is none (yet).
    fn block_ref_by_number(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<L2BlockRef>, ChainError>> + Send;

    /// The block with `hash`, canonical or not, if the execution layer has it.
    fn block_ref_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<L2BlockRef>, ChainError>> + Send;

    /// The header of the block with `hash` and its first transaction (the L1 info deposit), if
    /// the execution layer has the block: what the sequencer rebuilds its system config from.
    fn header_and_first_tx(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<(Header, Option<OpTxEnvelope>)>, ChainError>> + Send;

    /// The canonical head and the safe and finalized labels.
    fn heads(&self) -> impl Future<Output = Result<Heads, ChainError>> + Send;

    /// Up to `limit` headers of the chain ending in block `hash`, that block first and then its
    /// parents, as peers serve them (reth: devp2p), each as hash, number and parent hash (checked
    /// to hash to its hash). Empty when no peer answers; the default has no peers.
    fn peer_headers(
        &self,
        hash: B256,
        limit: u64,
    ) -> impl Future<Output = Result<Vec<L2BlockRef>, ChainError>> + Send {
        let _ = (hash, limit);
        async { Ok(Vec::new()) }
    }
}

/// The heads of the local chain; `None` where the label is not set yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Heads {
    /// Canonical head.
    pub unsafe_head: L2BlockRef,
    /// Safe label.
    pub safe: Option<L2BlockRef>,
    /// Finalized label.
    pub finalized: Option<L2BlockRef>,
}

/// Reading the local chain failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// A block exists but its ref cannot be read (e.g. no L1 info deposit).
    #[error("block ref: {0}")]
    BlockRef(#[from] light_cl_protocol::BlockRefError),
    /// The database or provider failed.
    #[error("chain read failed: {0}")]
    Provider(String),
}
