//! Following a rollup node: the pure decision ([`decide`](mod@decide)), the task that polls
//! ([`FollowTask`]) and its settings (`config`), its L1 reads (`l1`), the walks that check an
//! unsafe head descends from ours and that a head target keeps our finalized block (`ancestry`),
//! the catch-up from the source's execution RPC (`catch_up`), several sources and their quorum
//! ([`Sources`], [`quorum`](mod@quorum)), and the follow graph (`cycles`).

mod ancestry;
mod catch_up;
mod config;
mod cycles;
pub mod decide;
mod l1;
pub mod quorum;
mod sources;
mod task;

pub use config::{
    FollowConfig, FollowConfigError, FollowExit, DEFAULT_FOLLOW_INFO_INTERVAL,
    DEFAULT_MAX_ANCESTRY_WALK, DEFAULT_MAX_BLOCKS_PER_TICK, DEFAULT_MAX_FINALIZED_WALK,
    DEFAULT_SOURCE_DEADLINE, SAFE_STALL_TICKS, SYNCING_TICKS_BEFORE_FETCH,
};
pub use decide::{
    decide, validate, AtSafe, Case, Decision, Dropped, L1Refs, L1Verdict, Local, Outcome, Prior,
    Rejection, Update,
};
pub use sources::{Sources, SourcesError, MAX_SOURCES};
pub use task::{FollowTask, Skipped, TickOutcome};
