//! Following a rollup node: the pure decision ([`decide`](mod@decide)) and the task that polls
//! ([`FollowTask`]).

pub mod decide;
mod task;

pub use decide::{
    decide, validate, Applied, AtSafe, Case, Decision, Dropped, L1Refs, L1Verdict, Local, Outcome,
    Rejection, Update,
};
pub use task::{
    FollowConfig, FollowTask, Skipped, TickOutcome, DEFAULT_MAX_ANCESTRY_WALK,
    DEFAULT_MAX_BLOCKS_PER_TICK, SYNCING_TICKS_BEFORE_FETCH,
};
