//! JSON-RPC for the op-reth-light light CL.
//!
//! - [`CappedClient`]: the capped JSON-RPC client (a timeout and a size cap on every answer, no
//!   redirects, extra headers, JWT, typed errors) behind the follow source, the source EL, L1
//!   and the publisher, with the rollup node's `optimism_*` methods;
//! - [`L1Client`]: L1 block refs by number, hash and tag;
//! - [`L2Client`]: whole L2 blocks from the follow source's execution RPC, for catching up, and
//!   an execution RPC's `latest`, `safe` and `finalized` refs in one batch ([`ElHeads`]);
//! - [`OptimismApiServer`] / [`OptimismRpc`]: the node's own `optimism_*` namespace, answered from
//!   a shared view, with [`serve`] to run it standalone;
//! - [`AdminApiServer`] / [`AdminRpc`]: the `admin_*` sequencer controls and
//!   `admin_postUnsafePayload`; [`PayloadPublisher`] posts sealed blocks to other nodes;
//! - [`Late`]: either namespace registered before the node runs, set once the light CL starts.

mod admin;
mod capped;
mod conductor;
mod el;
mod l1;
mod l2;
mod late;
mod p2p;
mod publish;
mod server;

pub use admin::{
    data_to_envelope, envelope_to_data, AdminApiClient, AdminApiServer, AdminBackend, AdminRpc,
    SequencerAdminError, ADMIN_ERROR_CODE,
};
pub use capped::{
    CappedClient, CappedConfig, CappedError, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
    METHOD_NOT_FOUND,
};
pub use conductor::{ConductorClient, DEFAULT_CONDUCTOR_RPC, DEFAULT_CONDUCTOR_TIMEOUT};
pub use el::ElError;
pub use l1::{L1Client, DEFAULT_L1_TIMEOUT, DEFAULT_MAX_L1_RESPONSE_BYTES};
pub use l2::{ElHeads, L2Block, L2Client, DEFAULT_L2_TIMEOUT, DEFAULT_MAX_BLOCK_RESPONSE_BYTES};
pub use late::Late;
pub use p2p::{P2pApiClient, P2pApiServer, P2pNode, P2pRpc, PeersFuture};
pub use publish::PayloadPublisher;
pub use server::{
    serve, NoOutputs, OptimismApiClient, OptimismApiServer, OptimismRpc, OutputError, OutputSource,
    RpcError, NOT_FOUND_CODE, NOT_READY_CODE, UNSUPPORTED_CODE,
};
