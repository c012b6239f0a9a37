//! Following a rollup node: the pure decision ([`decide`](mod@decide)), the task that polls
//! ([`FollowTask`]), the walk that checks an unsafe head descends from ours (`ancestry`), and the
//! catch-up from the source's execution RPC (`catch_up`).

mod ancestry;
mod catch_up;
pub mod decide;
mod task;

pub use decide::{
    decide, validate, AtSafe, Case, Decision, Dropped, L1Refs, L1Verdict, Local, Outcome, Prior,
    Rejection, Update,
};
pub use task::{
    FollowConfig, FollowConfigError, FollowExit, FollowTask, Skipped, TickOutcome,
    DEFAULT_MAX_ANCESTRY_WALK, DEFAULT_MAX_BLOCKS_PER_TICK, DEFAULT_MAX_FINALIZED_WALK,
    SAFE_STALL_TICKS, SYNCING_TICKS_BEFORE_FETCH,
};
