//! The light CL's [`Engine`] over reth's in-process `ConsensusEngineHandle<OpEngineTypes>`.

use alloy_rpc_types_engine::{ForkchoiceState, ForkchoiceUpdated, PayloadId, PayloadStatus};
use light_cl::{Engine, EngineError};
use op_alloy_rpc_types_engine::{OpExecutionData, OpPayloadAttributes};
use reth_node_api::{
    BeaconForkChoiceUpdateError, BeaconOnNewPayloadError, ConsensusEngineHandle,
    EngineApiMessageVersion, PayloadKind, PayloadTypes,
};
use reth_optimism_node::OpEngineTypes;
use reth_payload_builder::PayloadBuilderHandle;

/// reth's engine, driven in-process: no Engine API socket, no JWT.
#[derive(Debug, Clone)]
pub struct RethEngine {
    handle: ConsensusEngineHandle<OpEngineTypes>,
    payload_builder: PayloadBuilderHandle<OpEngineTypes>,
}

impl RethEngine {
    /// Drives the engine behind `handle`; built payloads come from `payload_builder`.
    pub const fn new(
        handle: ConsensusEngineHandle<OpEngineTypes>,
        payload_builder: PayloadBuilderHandle<OpEngineTypes>,
    ) -> Self {
        Self { handle, payload_builder }
    }
}

impl Engine for RethEngine {
    async fn fork_choice_updated(
        &self,
        state: ForkchoiceState,
        attributes: Option<OpPayloadAttributes>,
    ) -> Result<ForkchoiceUpdated, EngineError> {
        // V3 is what op-node sends on OP chains; in-process it only tags payload ids.
        self.handle
            .fork_choice_updated(state, attributes, EngineApiMessageVersion::V3)
            .await
            .map_err(|e| match e {
                BeaconForkChoiceUpdateError::ForkchoiceUpdateError(e) => EngineError::Forkchoice(e),
                BeaconForkChoiceUpdateError::EngineUnavailable => EngineError::Unavailable,
                BeaconForkChoiceUpdateError::Internal(e) => EngineError::Internal(e.to_string()),
            })
    }

    async fn get_payload(&self, id: PayloadId) -> Result<OpExecutionData, EngineError> {
        let built = self
            .payload_builder
            .resolve_kind(id, PayloadKind::WaitForPending)
            .await
            .ok_or_else(|| EngineError::Internal(format!("no payload job {id}")))?
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        Ok(<OpEngineTypes as PayloadTypes>::block_to_payload(built.block().clone()))
    }

    async fn new_payload(&self, payload: OpExecutionData) -> Result<PayloadStatus, EngineError> {
        self.handle.new_payload(payload).await.map_err(|e| match e {
            BeaconOnNewPayloadError::EngineUnavailable => EngineError::Unavailable,
            BeaconOnNewPayloadError::Internal(e) => EngineError::Internal(e.to_string()),
        })
    }
}
