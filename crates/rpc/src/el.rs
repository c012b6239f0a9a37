//! What L1 and L2 execution RPC clients share: the error type and the timeout.

use std::{future::IntoFuture, time::Duration};

/// What went wrong with a request to an execution-layer RPC (L1, or the source's L2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElError {
    /// No answer within the timeout.
    #[error("execution RPC did not answer within {0:?}")]
    Timeout(Duration),
    /// The request failed (transport, HTTP, JSON-RPC error or a malformed answer).
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

/// Runs an alloy call with a timeout, mapping its errors.
pub(crate) async fn bounded<T, F>(timeout: Duration, call: F) -> Result<T, ElError>
where
    F: IntoFuture<Output = alloy_transport::TransportResult<T>>,
{
    match tokio::time::timeout(timeout, call.into_future()).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(ElError::Rpc(e.to_string())),
        Err(_) => Err(ElError::Timeout(timeout)),
    }
}
