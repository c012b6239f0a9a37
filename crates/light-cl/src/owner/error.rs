//! Why the engine owner did not carry out a request.

use crate::{ChainError, EngineError};
use alloy_primitives::B256;
use alloy_rpc_types_engine::PayloadStatusEnum;

/// The step of a build or push that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineStep {
    /// The forkchoice update that starts a build.
    ForkchoiceWithAttributes,
    /// Fetching the built payload.
    GetPayload,
    /// Handing the block to the engine.
    NewPayload,
    /// The forkchoice update that makes the block the head.
    ForkchoiceToNewHead,
}

impl std::fmt::Display for EngineStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ForkchoiceWithAttributes => "forkchoice update with attributes",
            Self::GetPayload => "get payload",
            Self::NewPayload => "new payload",
            Self::ForkchoiceToNewHead => "forkchoice update to the new head",
        })
    }
}

/// A follow decision the owner could not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The local heads cannot be read: nothing was sent.
    #[error("local chain: {0}")]
    Chain(#[from] ChainError),
    /// The engine owner has stopped.
    #[error("the engine owner has stopped")]
    Stopped,
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
    /// The engine failed a step.
    #[error("{step}: {error}")]
    Engine {
        /// The step.
        step: EngineStep,
        /// What failed.
        #[source]
        error: EngineError,
    },
    /// The engine answered a step with a status other than VALID.
    #[error("{step}: the engine answered {status:?}")]
    Refused {
        /// The step.
        step: EngineStep,
        /// The engine's answer.
        status: PayloadStatusEnum,
    },
    /// The engine said VALID but the block is not the head.
    #[error("the engine took block {hash} but the head is {head}")]
    NotHead {
        /// The block.
        hash: B256,
        /// The head after the update.
        head: B256,
    },
    /// The local heads cannot be read.
    #[error("local chain: {0}")]
    Chain(#[from] ChainError),
    /// The block would be at or after a fork this node cannot execute.
    #[error("{fork} (at {time}) is not implemented by this node's op-reth")]
    UnsupportedFork {
        /// The fork's rollup.json key.
        fork: String,
        /// Its activation time.
        time: u64,
    },
    /// A proposed block on another branch at or below the safe head: safe never reorgs.
    #[error("block {number} ({hash}) is on another branch at or below the safe head {safe}")]
    BelowSafe {
        /// The block's number.
        number: u64,
        /// The block's hash.
        hash: B256,
        /// The safe head's number.
        safe: u64,
    },
    /// The block does not open with an L1 info deposit, so it has no L1 origin.
    #[error("block {number} ({hash}) has no L1 info deposit")]
    NoL1Info {
        /// The block's number.
        number: u64,
        /// The block's hash.
        hash: B256,
    },
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
    Chain(#[from] ChainError),
    /// The engine failed a step of the build.
    #[error("{step}: {error}")]
    Engine {
        /// The step.
        step: EngineStep,
        /// What failed.
        #[source]
        error: EngineError,
    },
    /// The engine answered a step with a status other than VALID.
    #[error("{step}: the engine answered {status:?}")]
    Refused {
        /// The step.
        step: EngineStep,
        /// The engine's answer.
        status: PayloadStatusEnum,
    },
    /// The block to build on is not a canonical block at or above safe.
    #[error("block {parent} is not a canonical block at or above the safe head {safe}")]
    NotAncestor {
        /// The block asked for.
        parent: B256,
        /// The safe head's number.
        safe: u64,
    },
    /// The engine took the attributes but started no payload build.
    #[error("forkchoice update with attributes: no payload id")]
    NoPayloadId,
    /// The engine said VALID to the new head but the head is another block.
    #[error("the engine built block {hash} but the head is {head}")]
    NotHead {
        /// The built block.
        hash: B256,
        /// The head after the update.
        head: B256,
    },
    /// The block would be at or after a fork this node cannot execute.
    #[error("{fork} (at {time}) is not implemented by this node's op-reth")]
    UnsupportedFork {
        /// The fork's rollup.json key.
        fork: String,
        /// Its activation time.
        time: u64,
    },
    /// The engine owner has stopped.
    #[error("the engine owner has stopped")]
    Stopped,
}

impl BuildError {
    /// Whether the engine is gone (shutting down), as opposed to a refused payload or state.
    pub const fn engine_unavailable(&self) -> bool {
        matches!(self, Self::Engine { error: EngineError::Unavailable, .. } | Self::Stopped)
    }
}
