//! Settings of the follow task, their bounds, and why the task can end.

use std::time::Duration;

/// How far back the follow task walks parent hashes to check that the source's unsafe head
/// descends from ours.
pub const DEFAULT_MAX_ANCESTRY_WALK: u64 = 256;
/// Most headers fetched from peers to check that a head target's chain holds our finalized
/// block (a header is about 600 bytes: at most ~5 MiB per tick).
pub const DEFAULT_MAX_FINALIZED_WALK: u64 = 8192;
/// Most blocks fetched from the source's execution RPC and inserted in one tick.
pub const DEFAULT_MAX_BLOCKS_PER_TICK: u64 = 64;
/// Ticks the engine may stay SYNCING on one target before blocks are fetched from the source's
/// execution RPC (devp2p gets that long first).
pub const SYNCING_TICKS_BEFORE_FETCH: u32 = 2;
/// Ticks in a row in which the source's safe head moved and ours did not before the follow task
/// warns (and again every that many ticks).
pub const SAFE_STALL_TICKS: u32 = 5;

/// Time allowed for every source's answer in one tick (and again for the by-number asks).
pub const DEFAULT_SOURCE_DEADLINE: Duration = Duration::from_secs(5);
/// Time between asks of the sources' `optimism_followInfo`.
pub const DEFAULT_FOLLOW_INFO_INTERVAL: Duration = Duration::from_secs(120);

/// Settings of the follow task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowConfig {
    /// Time between polls (default: 2 × the L2 block time).
    pub interval: Duration,
    /// Whether the source's unsafe head moves ours (off on a sequencer).
    pub follow_unsafe: bool,
    /// How far back to walk when checking that an unsafe head descends from ours.
    pub max_ancestry_walk: u64,
    /// Most blocks fetched from the source's execution RPC per tick.
    pub max_blocks_per_tick: u64,
    /// Most headers walked back over peers to find our finalized block on a head target's chain.
    pub max_finalized_walk: u64,
    /// Time allowed for every source's answer in one tick.
    pub source_deadline: Duration,
    /// Time between asks of the sources' follow info (cycles, depth).
    pub follow_info_interval: Duration,
}

impl FollowConfig {
    /// Defaults for a chain with `block_time` seconds between blocks.
    pub fn for_block_time(block_time: u64) -> Self {
        Self {
            interval: Duration::from_secs(2 * block_time.max(1)),
            follow_unsafe: true,
            max_ancestry_walk: DEFAULT_MAX_ANCESTRY_WALK,
            max_blocks_per_tick: DEFAULT_MAX_BLOCKS_PER_TICK,
            max_finalized_walk: DEFAULT_MAX_FINALIZED_WALK,
            source_deadline: DEFAULT_SOURCE_DEADLINE,
            follow_info_interval: DEFAULT_FOLLOW_INFO_INTERVAL,
        }
    }

    /// Checks that every setting can run: a zero interval or bound would stop the task.
    pub fn validate(&self) -> Result<(), FollowConfigError> {
        if self.interval.is_zero() {
            return Err(FollowConfigError::Zero("interval"));
        }
        if self.max_ancestry_walk == 0 {
            return Err(FollowConfigError::Zero("max_ancestry_walk"));
        }
        if self.source_deadline.is_zero() {
            return Err(FollowConfigError::Zero("source_deadline"));
        }
        if self.follow_info_interval.is_zero() {
            return Err(FollowConfigError::Zero("follow_info_interval"));
        }
        if self.max_blocks_per_tick == 0 {
            return Err(FollowConfigError::Zero("max_blocks_per_tick"));
        }
        Ok(())
    }
}

/// A follow setting that cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FollowConfigError {
    /// A setting that must be above zero is zero.
    #[error("the follow task's {0} must be above zero")]
    Zero(&'static str),
}

/// Why the follow task ended other than by being told to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FollowExit {
    /// Its settings cannot run.
    #[error(transparent)]
    Config(#[from] FollowConfigError),
    /// The engine owner stopped: nothing can be applied any more.
    #[error("the engine owner stopped")]
    OwnerStopped,
}
