//! Following a rollup node: the pure decision ([`decide`](mod@decide)), the task that polls
//! ([`FollowTask`]) and its settings (`config`), its L1 reads (`l1`), the walks that check an
//! unsafe head descends from ours and that a head target keeps our finalized block (`ancestry`),
//! and the catch-up from the source's execution RPC (`catch_up`).

mod ancestry;
mod catch_up;
mod config;
pub mod decide;
mod l1;
mod task;

pub use config::{
    FollowConfig, FollowConfigError, FollowExit, DEFAULT_MAX_ANCESTRY_WALK,
    DEFAULT_MAX_BLOCKS_PER_TICK, DEFAULT_MAX_FINALIZED_WALK, SAFE_STALL_TICKS,
    SYNCING_TICKS_BEFORE_FETCH,
};
pub use decide::{
    decide, validate, AtSafe, Case, Decision, Dropped, L1Refs, L1Verdict, Local, Outcome, Prior,
    Rejection, Update,
};
pub use task::{FollowTask, Skipped, TickOutcome};
