//! The fork limit: no block at or after the activation of a fork this node cannot execute
//! becomes a target, is built, pushed or inserted (book: running, "Supported chains and forks").

use super::EngineOwner;
use crate::{metrics, Chain, Engine};
use light_cl_protocol::UnsupportedFork;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::{error, warn};

/// How often [`remind_fork_limit`] repeats its warning.
pub const FORK_LIMIT_REMINDER_EVERY: Duration = Duration::from_secs(600);

/// Warns now and every `every`, for as long as it runs, that `fork` stops the heads: before it
/// activates, in how long; after, that the node cannot go on. Sets `light_cl_fork_limit_seconds`.
pub async fn remind_fork_limit(fork: UnsupportedFork, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let remaining = seconds_until(&fork, now);
        metrics::fork_limit_seconds(remaining);
        let (fork_name, activation) = (fork.name(), fork.time);
        if remaining > 0 {
            warn!(target: "light_cl::engine", fork = fork_name, activation, in_seconds = remaining, "a fork this node cannot execute activates then: the heads stop at the last block before it; upgrade op-reth-light");
        } else {
            error!(target: "light_cl::engine", fork = fork_name, activation, "a fork this node cannot execute is active: the heads stop at the last block before it; upgrade op-reth-light");
        }
    }
}

/// Seconds from `now` until `fork` activates; zero or negative once it has.
fn seconds_until(fork: &UnsupportedFork, now: u64) -> i64 {
    i64::try_from(fork.time)
        .unwrap_or(i64::MAX)
        .saturating_sub(i64::try_from(now).unwrap_or(i64::MAX))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_to_the_activation_then_below_zero() {
        let karst = UnsupportedFork { key: "karst_time".into(), time: 1_783_526_401 };
        assert_eq!(seconds_until(&karst, 1_783_526_400), 1);
        assert_eq!(seconds_until(&karst, 1_783_526_401), 0);
        assert_eq!(seconds_until(&karst, 1_783_526_461), -60);
        let far = UnsupportedFork { key: "x_time".into(), time: u64::MAX };
        assert_eq!(seconds_until(&far, 0), i64::MAX);
    }
}
