//! The node's own `optimism_*` RPC, answered from a shared view of what the engine applied.

use alloy_eips::BlockNumberOrTag;
use jsonrpsee::{
    core::{async_trait, RpcResult},
    proc_macros::rpc,
    server::{Server, ServerHandle},
    types::{error::INTERNAL_ERROR_CODE, ErrorObject, ErrorObjectOwned},
};
use light_cl_protocol::{FollowInfo, OutputResponse, RollupConfig, SyncStatus};
use std::{future::Future, net::SocketAddr, sync::Arc};
use tokio::sync::watch;

/// The `optimism` namespace a rollup node serves (op-node `node/api.go`).
#[rpc(server, client, namespace = "optimism")]
pub trait OptimismApi {
    /// The node's sync status.
    #[method(name = "syncStatus")]
    async fn sync_status(&self) -> RpcResult<SyncStatus>;

    /// The rollup config the node runs with.
    #[method(name = "rollupConfig")]
    async fn rollup_config(&self) -> RpcResult<RollupConfig>;

    /// The node's version string.
    #[method(name = "version")]
    async fn version(&self) -> RpcResult<String>;

    /// The output root at an L2 block.
    #[method(name = "outputAtBlock")]
    async fn output_at_block(&self, block: BlockNumberOrTag) -> RpcResult<OutputResponse>;

    /// Whether the node derives or follows, its instance id and its chain of sources (served
    /// by op-reth-light only; other nodes answer "method not found" and are taken as deriving).
    #[method(name = "followInfo")]
    async fn follow_info(&self) -> RpcResult<FollowInfo>;
}

/// Computes output roots; the binary reads them from its state, tests may not have any.
pub trait OutputSource: Send + Sync + 'static {
    /// The output at `block`, given the status the answer is consistent with.
    fn output_at_block(
        &self,
        block: BlockNumberOrTag,
        status: SyncStatus,
    ) -> impl Future<Output = Result<OutputResponse, OutputError>> + Send;
}

/// Why an output cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// This node does not serve outputs.
    #[error("optimism_outputAtBlock is not served by this node")]
    Unsupported,
    /// No such block.
    #[error("block {0} not found")]
    NotFound(String),
    /// Reading the state failed.
    #[error("failed to compute the output: {0}")]
    Internal(String),
}

/// An [`OutputSource`] that serves no outputs.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOutputs;

impl OutputSource for NoOutputs {
    async fn output_at_block(
        &self,
        _block: BlockNumberOrTag,
        _status: SyncStatus,
    ) -> Result<OutputResponse, OutputError> {
        Err(OutputError::Unsupported)
    }
}

/// JSON-RPC error code for "method not available on this node".
pub const UNSUPPORTED_CODE: i32 = -32601;
/// JSON-RPC error code for "block not found".
pub const NOT_FOUND_CODE: i32 = -32000;

/// The server of the `optimism` namespace over a [`watch`] of the applied view.
#[derive(Debug, Clone)]
pub struct OptimismRpc<O = NoOutputs> {
    status: watch::Receiver<SyncStatus>,
    config: Arc<RollupConfig>,
    version: String,
    outputs: O,
    follow: Option<watch::Receiver<FollowInfo>>,
}

impl<O: OutputSource> OptimismRpc<O> {
    /// Serves `status`, `config` and `version`, and outputs from `outputs`.
    pub fn new(
        status: watch::Receiver<SyncStatus>,
        config: Arc<RollupConfig>,
        version: impl Into<String>,
        outputs: O,
    ) -> Self {
        Self { status, config, version: version.into(), outputs, follow: None }
    }

    /// Also serves `optimism_followInfo` from `follow`.
    pub fn with_follow_info(mut self, follow: watch::Receiver<FollowInfo>) -> Self {
        self.follow = Some(follow);
        self
    }
}

#[async_trait]
impl<O: OutputSource> OptimismApiServer for OptimismRpc<O> {
    /// "Not ready" until L1 was polled once: zero L1 refs would read as a real status.
    async fn sync_status(&self) -> RpcResult<SyncStatus> {
        let status = *self.status.borrow();
        if status.head_l1.is_unknown() {
            return Err(ErrorObject::owned(
                NOT_READY_CODE,
                "light CL not ready: L1 not polled yet",
                None::<()>,
            ));
        }
        Ok(status)
    }

    async fn rollup_config(&self) -> RpcResult<RollupConfig> {
        Ok((*self.config).clone())
    }

    async fn version(&self) -> RpcResult<String> {
        Ok(self.version.clone())
    }

    async fn output_at_block(&self, block: BlockNumberOrTag) -> RpcResult<OutputResponse> {
        let status = *self.status.borrow();
        self.outputs.output_at_block(block, status).await.map_err(|e| {
            let code = match e {
                OutputError::Unsupported => UNSUPPORTED_CODE,
                OutputError::NotFound(_) => NOT_FOUND_CODE,
                OutputError::Internal(_) => INTERNAL_ERROR_CODE,
            };
            ErrorObject::owned(code, e.to_string(), None::<()>)
        })
    }

    async fn follow_info(&self) -> RpcResult<FollowInfo> {
        match &self.follow {
            Some(follow) => Ok(follow.borrow().clone()),
            None => Err(ErrorObject::owned(
                UNSUPPORTED_CODE,
                "optimism_followInfo is not served by this node",
                None::<()>,
            )),
        }
    }
}

/// JSON-RPC error code for "the light CL is not ready yet".
pub const NOT_READY_CODE: i32 = -32002;

/// Starts a standalone HTTP/WS server of the `optimism` namespace on `addr`.
pub async fn serve<O: OutputSource>(
    addr: SocketAddr,
    rpc: OptimismRpc<O>,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let server = Server::builder().build(addr).await?;
    let local = server.local_addr()?;
    Ok((local, server.start(rpc.into_rpc())))
}

/// Shorthand used by callers that map errors themselves.
pub type RpcError = ErrorObjectOwned;
