//! JSON-RPC for the op-reth-light light CL.
//!
//! - [`SourceClient`]: the follow source's `optimism_syncStatus`, `optimism_rollupConfig` and
//!   `optimism_version`, with a timeout, a size cap, extra headers and typed errors;
//! - [`L1Client`]: L1 block refs by number, hash and tag;
//! - [`L2Client`]: whole L2 blocks from the follow source's execution RPC, for catching up;
//! - [`OptimismApiServer`] / [`OptimismRpc`]: the node's own `optimism_*` namespace, answered from
//!   a shared view, with [`serve`] to run it standalone;
//! - [`AdminApiServer`] / [`AdminRpc`]: the `admin_*` sequencer controls and
//!   `admin_postUnsafePayload`; [`PayloadPublisher`] posts sealed blocks to other nodes.

mod admin;
mod el;
mod l1;
mod l2;
mod publish;
mod server;
mod source;

pub use admin::{
    data_to_envelope, envelope_to_data, AdminApiClient, AdminApiServer, AdminBackend, AdminRpc,
    LateAdmin, SequencerAdminError, ADMIN_ERROR_CODE,
};
pub use el::ElError;
pub use l1::{L1Client, DEFAULT_L1_TIMEOUT, DEFAULT_MAX_L1_RESPONSE_BYTES};
pub use l2::{L2Block, L2Client, DEFAULT_L2_TIMEOUT, DEFAULT_MAX_BLOCK_RESPONSE_BYTES};
pub use publish::PayloadPublisher;
pub use server::{
    serve, LateRpc, NoOutputs, OptimismApiClient, OptimismApiServer, OptimismRpc, OutputError,
    OutputSource, RpcError, NOT_FOUND_CODE, NOT_READY_CODE, UNSUPPORTED_CODE,
};
pub use source::{
    SourceClient, SourceConfig, SourceError, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
