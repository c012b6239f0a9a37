//! Test parts for the light CL's integration tests: a scripted follow source and a scripted L1,
//! both real JSON-RPC servers over HTTP on loopback, and an in-memory engine that answers
//! forkchoice updates the way reth's engine does.

pub mod attributes;
pub mod conductor;
pub mod engine;
pub mod http;
pub mod l1;
pub mod rig;
pub mod sequencing;
pub mod source;

pub use attributes::{next_block_attributes, next_block_attributes_for};
pub use conductor::{Commit, CommitFault, ScriptedConductor};
pub use engine::{unix_now, BuildTimes, Fault, MemEngine};
pub use http::{Reply, RpcServer};
pub use l1::{ScriptedL1, L1_GENESIS_TIME};
pub use rig::{
    forks_through_granite, free_addr, rollup_config, source_status, system_config, Rig, RigOptions,
};
pub use source::{HeadersEl, ScriptedSource};
