//! `op-reth-light devnet` (book: "Devnet"): a whole local OP chain in one command.
//!
//! One supervising process runs L1 (reth's Ethereum dev node, in process) and the dev source,
//! and starts the sequencer and the followers as child processes of this same binary: each
//! child is an ordinary `op-reth-light node` with its own Prometheus endpoint (reth's metrics
//! recorder is global to a process) and log file, running the production code path.
//!
//! - [`chain`]: the chains, written into the datadir on the first start, read back later;
//! - [`DevnetArgs`]: the flags, the port layout and the checks made before anything starts;
//! - `run`: start, banner, one log line per L2 block, stop on Ctrl-C or SIGTERM.

mod args;
mod banner;
pub mod chain;
mod l1;
mod nodes;
mod progress;
mod run;

pub use args::{DevnetArgs, NodePorts, Ports, PreflightError, MAX_FOLLOWERS};
pub use l1::{start_l1, L1Handle};
pub use run::run;

/// The log filter of the devnet's own process: its progress and the dev source, not reth's
/// L1 (each node logs into its own file).
pub const LOG_FILTER: &str = "op_reth_light=info,light_cl=info";
