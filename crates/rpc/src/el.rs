//! What L1 and L2 execution RPC clients share: the error type.

use crate::CappedError;
use std::time::Duration;

/// What went wrong with a request to an execution-layer RPC (L1, or the source's L2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElError {
    /// No answer within the timeout.
    #[error("execution RPC did not answer within {0:?}")]
    Timeout(Duration),
    /// The request failed (transport, HTTP, JSON-RPC error, an oversized or malformed answer).
    #[error("execution RPC request failed: {0}")]
    Rpc(String),
    /// The answer is a block whose hash or number is not what was asked for.
    #[error("execution RPC answered block {got} when asked for {asked}")]
    Mismatch {
        /// What was asked.
        asked: String,
        /// What came back.
        got: String,
    },
}

impl From<ElError> for CappedError {
    /// An execution RPC's failure as a follow source's (an execution RPC can be one).
    fn from(e: ElError) -> Self {
        match e {
            ElError::Timeout(t) => Self::Timeout(t),
            ElError::Rpc(e) => Self::Transport(e),
            ElError::Mismatch { asked, got } => {
                Self::Malformed(format!("asked for {asked}, got {got}"))
            }
        }
    }
}

impl From<CappedError> for ElError {
    fn from(e: CappedError) -> Self {
        match e {
            CappedError::Timeout(t) => Self::Timeout(t),
            other => Self::Rpc(other.to_string()),
        }
    }
}
