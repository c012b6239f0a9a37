//! Namespaces registered before the node runs and filled in once the light CL starts.

use crate::{
    admin::{AdminApiServer, AdminBackend, AdminRpc, SequencerAdminError},
    server::{OptimismApiServer, OptimismRpc, OutputSource, NOT_READY_CODE},
};
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use jsonrpsee::{
    core::{async_trait, RpcResult},
    types::ErrorObject,
};
use light_cl_protocol::{FollowInfo, OutputResponse, RollupConfig, SyncStatus};
use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelope;
use std::sync::{Arc, OnceLock};

/// A server registered with the node's RPC before its state exists, set once; until then
/// `optimism_*` answers "not ready" (`-32002`) and `admin_*` "unavailable".
#[derive(Debug)]
pub struct Late<T>(Arc<OnceLock<T>>);

impl<T> Clone for Late<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Default for Late<T> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<T> Late<T> {
    /// Fills the slot; returns `false` if it was already filled.
    pub fn set(&self, inner: T) -> bool {
        self.0.set(inner).is_ok()
    }
}

impl<O: OutputSource> Late<OptimismRpc<O>> {
    fn get(&self) -> RpcResult<&OptimismRpc<O>> {
        self.0.get().ok_or_else(|| {
            ErrorObject::owned(
                NOT_READY_CODE,
                "light CL not ready: waiting for the rollup config",
                None::<()>,
            )
        })
    }
}

#[async_trait]
impl<O: OutputSource> OptimismApiServer for Late<OptimismRpc<O>> {
    async fn sync_status(&self) -> RpcResult<SyncStatus> {
        self.get()?.sync_status().await
    }

    async fn rollup_config(&self) -> RpcResult<RollupConfig> {
        self.get()?.rollup_config().await
    }

    async fn version(&self) -> RpcResult<String> {
        self.get()?.version().await
    }

    async fn output_at_block(&self, block: BlockNumberOrTag) -> RpcResult<OutputResponse> {
        self.get()?.output_at_block(block).await
    }

    async fn follow_info(&self) -> RpcResult<FollowInfo> {
        self.get()?.follow_info().await
    }
}

impl<B: AdminBackend> Late<AdminRpc<B>> {
    fn get(&self) -> Result<&AdminRpc<B>, SequencerAdminError> {
        self.0
            .get()
            .ok_or_else(|| SequencerAdminError::Unavailable("the light CL has not started".into()))
    }
}

#[async_trait]
impl<B: AdminBackend> AdminApiServer for Late<AdminRpc<B>> {
    async fn start_sequencer(&self, unsafe_head: B256) -> RpcResult<()> {
        self.get()?.start_sequencer(unsafe_head).await
    }

    async fn stop_sequencer(&self) -> RpcResult<B256> {
        self.get()?.stop_sequencer().await
    }

    async fn sequencer_active(&self) -> RpcResult<bool> {
        match self.0.get() {
            Some(rpc) => rpc.sequencer_active().await,
            None => Ok(false),
        }
    }

    async fn post_unsafe_payload(&self, envelope: OpExecutionPayloadEnvelope) -> RpcResult<()> {
        self.get()?.post_unsafe_payload(envelope).await
    }

    async fn override_leader(&self) -> RpcResult<()> {
        self.get()?.override_leader().await
    }

    /// Unavailable until the light CL has started (op-conductor retries it at start).
    async fn conductor_enabled(&self) -> RpcResult<bool> {
        self.get()?.conductor_enabled().await
    }
}
