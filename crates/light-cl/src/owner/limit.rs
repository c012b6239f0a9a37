//! The fork limit: no block at or after the activation of a fork this node cannot execute
//! becomes a target, is built, pushed or inserted (book: running, "Supported chains and forks").

use super::EngineOwner;
use crate::{metrics, Chain, Engine};
use light_cl_protocol::UnsupportedFork;
use tracing::error;

impl<E: Engine, C: Chain> EngineOwner<E, C> {
    /// Stops the heads before `fork` activates; `None`: no limit.
    pub fn with_fork_limit(mut self, fork: Option<UnsupportedFork>) -> Self {
        self.fork_limit = fork;
        self
    }

    /// The fork a block with `timestamp` would be under, when this node cannot execute it. Logs
    /// and counts the refusal of `what`.
    pub(super) fn beyond_fork_limit(
        &self,
        timestamp: u64,
        number: u64,
        what: &'static str,
    ) -> Option<UnsupportedFork> {
        let fork = self.fork_limit.as_ref().filter(|f| f.is_active(timestamp))?;
        metrics::fork_limit_refusal(what);
        error!(target: "light_cl::engine", what, number, timestamp, fork = fork.name(), activation = fork.time, "not moving past the last block before a fork this node cannot execute; upgrade op-reth-light");
        Some(fork.clone())
    }
}
