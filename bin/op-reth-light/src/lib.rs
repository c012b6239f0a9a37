//! op-reth-light: op-reth with the OP Stack light CL built in.
//!
//! - [`args`]: the `--rollup.follow-*` flags beside op-reth's `RollupArgs`;
//! - [`config`]: the rollup config, from a file or from the follow source, checked against the
//!   chain spec;
//! - [`RethEngine`] and [`RethChain`]: the light CL's seam implemented over reth's
//!   `ConsensusEngineHandle` and provider;
//! - [`RethOutputs`]: `optimism_outputAtBlock` from the node's state;
//! - [`PeerHeaders`]: headers from devp2p peers, for the follow task's finalized-ancestry check;
//! - [`p2p`]: the `--p2p.*` flags and the CL gossip node;
//! - [`devnet`]: the chains of `op-reth-light devnet`;
//! - `sources`: the follow sources the arguments name, and this node's instance id;
//! - [`LightCl`]: the wiring, used by the binary and by the e2e tests alike.

pub mod args;
mod chain;
pub mod config;
pub mod devnet;
mod engine;
mod node;
mod output;
pub mod p2p;
mod peers;
mod sources;

pub use chain::{ChainProvider, RethChain};
pub use engine::RethEngine;
pub use node::{LightCl, LightRpc, VERSION};
pub use output::RethOutputs;
pub use peers::PeerHeaders;
