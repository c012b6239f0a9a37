//! The `admin` namespace of a sequencing rollup node (op-node `node/api.go`, 2024-10): start and
//! stop the sequencer, ask whether it is active, take unsafe blocks pushed by another sequencer,
//! and what op-conductor calls (`admin_overrideLeader`, `admin_conductorEnabled`).

use alloy_eips::eip7685::Requests;
use alloy_primitives::B256;
use alloy_rpc_types_engine::{CancunPayloadFields, PraguePayloadFields};
use jsonrpsee::{
    core::{async_trait, RpcResult},
    proc_macros::rpc,
    types::{ErrorObject, ErrorObjectOwned},
};
use op_alloy_rpc_types_engine::{
    OpExecutionData, OpExecutionPayload, OpExecutionPayloadEnvelope, OpExecutionPayloadSidecar,
};
use std::future::Future;

/// The `admin` methods op-batcher and other rollup nodes call on a sequencer.
#[rpc(server, client, namespace = "admin")]
pub trait AdminApi {
    /// Starts sequencing on `unsafe_head`, which must be the node's unsafe head.
    #[method(name = "startSequencer")]
    async fn start_sequencer(&self, unsafe_head: B256) -> RpcResult<()>;

    /// Stops sequencing; returns the hash of the last sealed block.
    #[method(name = "stopSequencer")]
    async fn stop_sequencer(&self) -> RpcResult<B256>;

    /// Whether the node is sequencing.
    #[method(name = "sequencerActive")]
    async fn sequencer_active(&self) -> RpcResult<bool>;

    /// Takes a block sealed by another sequencer (op-node's execution payload envelope).
    #[method(name = "postUnsafePayload")]
    async fn post_unsafe_payload(&self, envelope: OpExecutionPayloadEnvelope) -> RpcResult<()>;

    /// Sequences as the leader without asking the conductor, and commits nothing to it, until
    /// the node restarts (op-node's override, for when the conductor cluster is down).
    #[method(name = "overrideLeader")]
    async fn override_leader(&self) -> RpcResult<()>;

    /// Whether the sequencer runs behind op-conductor.
    #[method(name = "conductorEnabled")]
    async fn conductor_enabled(&self) -> RpcResult<bool>;
}

/// Why an admin call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SequencerAdminError {
    /// This node was not started with sequencing enabled.
    #[error("sequencer is not enabled (start the node with --rollup.sequencing)")]
    NotSequencer,
    /// `admin_startSequencer` while sequencing.
    #[error("sequencer already running")]
    AlreadyActive,
    /// `admin_stopSequencer` while not sequencing.
    #[error("sequencer not running")]
    NotActive,
    /// `admin_startSequencer` with a hash that is not the unsafe head.
    #[error("block hash does not match: head {head}, received {given}")]
    NotHead {
        /// The hash given.
        given: B256,
        /// The unsafe head.
        head: B256,
    },
    /// `admin_startSequencer` could not ask the conductor whether this node leads.
    #[error("sequencer leader check failed: {0}")]
    LeaderCheck(String),
    /// `admin_startSequencer` while the conductor says another node leads.
    #[error("sequencer is not the leader, aborting")]
    NotLeader,
    /// A pushed block was refused.
    #[error("payload refused: {0}")]
    Refused(String),
    /// The sequencer or engine cannot answer (stopped, shutting down, chain unreadable).
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// JSON-RPC error code of every failed admin call: op-node's (a Go error without a code), so
/// tools such as op-conductor that match the message keep working.
pub const ADMIN_ERROR_CODE: i32 = -32000;

impl From<SequencerAdminError> for ErrorObjectOwned {
    fn from(e: SequencerAdminError) -> Self {
        ErrorObject::owned(ADMIN_ERROR_CODE, e.to_string(), None::<()>)
    }
}

/// What answers the admin calls: the sequencer and the engine owner.
pub trait AdminBackend: Send + Sync + 'static {
    /// See [`AdminApiServer::start_sequencer`].
    fn start_sequencer(
        &self,
        unsafe_head: B256,
    ) -> impl Future<Output = Result<(), SequencerAdminError>> + Send;
    /// See [`AdminApiServer::stop_sequencer`].
    fn stop_sequencer(&self) -> impl Future<Output = Result<B256, SequencerAdminError>> + Send;
    /// See [`AdminApiServer::sequencer_active`].
    fn sequencer_active(&self) -> bool;
    /// See [`AdminApiServer::post_unsafe_payload`]; the payload is already checked for shape.
    fn post_unsafe_payload(
        &self,
        payload: OpExecutionData,
    ) -> impl Future<Output = Result<(), SequencerAdminError>> + Send;
    /// See [`AdminApiServer::override_leader`].
    fn override_leader(&self) -> impl Future<Output = Result<(), SequencerAdminError>> + Send;
    /// See [`AdminApiServer::conductor_enabled`].
    fn conductor_enabled(&self) -> bool;
}

/// The `admin` server over an [`AdminBackend`].
#[derive(Debug, Clone)]
pub struct AdminRpc<B> {
    backend: B,
}

impl<B: AdminBackend> AdminRpc<B> {
    /// Serves `backend`.
    pub const fn new(backend: B) -> Self {
        Self { backend }
    }
}

#[async_trait]
impl<B: AdminBackend> AdminApiServer for AdminRpc<B> {
    async fn start_sequencer(&self, unsafe_head: B256) -> RpcResult<()> {
        Ok(self.backend.start_sequencer(unsafe_head).await?)
    }

    async fn stop_sequencer(&self) -> RpcResult<B256> {
        Ok(self.backend.stop_sequencer().await?)
    }

    async fn sequencer_active(&self) -> RpcResult<bool> {
        Ok(self.backend.sequencer_active())
    }

    async fn post_unsafe_payload(&self, envelope: OpExecutionPayloadEnvelope) -> RpcResult<()> {
        let payload = envelope_to_data(envelope).map_err(SequencerAdminError::Refused)?;
        Ok(self.backend.post_unsafe_payload(payload).await?)
    }

    async fn override_leader(&self) -> RpcResult<()> {
        Ok(self.backend.override_leader().await?)
    }

    async fn conductor_enabled(&self) -> RpcResult<bool> {
        Ok(self.backend.conductor_enabled())
    }
}

/// The engine input of an envelope: a V3/V4 payload needs its parent beacon block root, an older
/// one must not have one. OP blocks carry no blobs and no execution requests.
pub fn envelope_to_data(envelope: OpExecutionPayloadEnvelope) -> Result<OpExecutionData, String> {
    let root = envelope.parent_beacon_block_root;
    let sidecar = match (&envelope.execution_payload, root) {
        (OpExecutionPayload::V4(_), Some(root)) => OpExecutionPayloadSidecar::v4(
            CancunPayloadFields::new(root, Vec::new()),
            PraguePayloadFields::new(Requests::default()),
        ),
        (OpExecutionPayload::V3(_), Some(root)) => {
            OpExecutionPayloadSidecar::v3(CancunPayloadFields::new(root, Vec::new()))
        }
        (OpExecutionPayload::V1(_) | OpExecutionPayload::V2(_), None) => {
            OpExecutionPayloadSidecar::default()
        }
        (OpExecutionPayload::V3(_) | OpExecutionPayload::V4(_), None) => {
            return Err("an Ecotone or later payload needs parentBeaconBlockRoot".into())
        }
        (_, Some(_)) => return Err("a pre-Ecotone payload has no parentBeaconBlockRoot".into()),
    };
    Ok(OpExecutionData::new(envelope.execution_payload, sidecar))
}

/// The envelope op-node's `admin_postUnsafePayload` takes, of a sealed block.
pub fn data_to_envelope(data: &OpExecutionData) -> OpExecutionPayloadEnvelope {
    OpExecutionPayloadEnvelope {
        parent_beacon_block_root: data.sidecar.parent_beacon_block_root(),
        execution_payload: data.payload.clone(),
    }
}
