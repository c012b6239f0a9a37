//! The op-reth-light light consensus layer.
//!
//! It follows a rollup node's `optimism_syncStatus`, checks every answer against canonical L1, and
//! moves the local safe and finalized heads (and, when needed, the unsafe head) to match. It
//! never derives L2 from L1.
//!
//! - [`Engine`] and [`Chain`]: the seam to the execution layer, shaped after reth's in-process
//!   `ConsensusEngineHandle` and provider; the binary implements them over reth.
//! - [`EngineOwner`]: the one task that sends forkchoice updates.
//! - [`follow`]: the pure decision of a tick ([`follow::decide()`]) and the [`FollowTask`] that
//!   polls.
//! - [`Sources`] and [`Endpoint`]: several follow sources with a quorum, rollup nodes or
//!   execution RPCs.
//! - [`gossip`]: blocks from CL gossip, proposed to the engine owner.
//! - [`dev_source`]: the devnet's dev source, which does not derive.
//! - [`View`]: the applied view, served as the node's own `optimism_syncStatus`.
//!
//! Logs use the targets `light_cl::follow` and `light_cl::engine`; metrics are listed in the book.

pub mod dev_source;
mod endpoint;
mod engine;
pub mod follow;
pub mod gossip;
pub mod metrics;
mod owner;
pub mod sequencer;
mod source;
mod view;

pub use endpoint::{Endpoint, ExecutionSource, SourceSpec, EL_PREFIX};
pub use engine::{Chain, ChainError, Engine, EngineError, Heads};
pub use follow::{FollowConfig, FollowTask, Sources, TickOutcome};
pub use metrics::describe_metrics;
pub use owner::remind_fork_limit;
pub use owner::{
    Applied, ApplyError, BuildError, Building, Built, EngineOwner, EngineOwnerHandle,
    EngineRequest, EngineStep, Labels, OwnerStopped, Proposed, PushError, StartBuild,
    FORK_LIMIT_REMINDER_EVERY, MAX_AHEAD,
};
pub use source::{FollowSource, L1Heads, NoSourceEl, SourceEl, L1};
pub use view::View;
