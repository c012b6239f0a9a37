//! The backend of the `admin_*` RPC: sequencer controls and pushed unsafe blocks.

use super::SequencerHandle;
use crate::{metrics, EngineOwnerHandle};
use alloy_primitives::B256;
use light_cl_rpc::{AdminBackend, SequencerAdminError};
use op_alloy_rpc_types_engine::OpExecutionData;
use tracing::info;

/// Answers `admin_*` calls with the sequencer (when this node sequences) and the engine owner.
#[derive(Debug, Clone)]
pub struct Admin {
    sequencer: Option<SequencerHandle>,
    owner: EngineOwnerHandle,
}

impl Admin {
    /// The backend of a node with `sequencer` (`None`: not a sequencer) and `owner`.
    pub const fn new(sequencer: Option<SequencerHandle>, owner: EngineOwnerHandle) -> Self {
        Self { sequencer, owner }
    }

    fn sequencer(&self) -> Result<&SequencerHandle, SequencerAdminError> {
        self.sequencer.as_ref().ok_or(SequencerAdminError::NotSequencer)
    }
}

impl AdminBackend for Admin {
    async fn start_sequencer(&self, unsafe_head: B256) -> Result<(), SequencerAdminError> {
        self.sequencer()?.start(unsafe_head).await
    }

    async fn stop_sequencer(&self) -> Result<B256, SequencerAdminError> {
        self.sequencer()?.stop().await
    }

    fn sequencer_active(&self) -> bool {
        self.sequencer.as_ref().is_some_and(|s| s.is_active())
    }

    async fn override_leader(&self) -> Result<(), SequencerAdminError> {
        self.sequencer()?.override_leader().await?;
        info!(target: "light_cl::sequencer", "admin_overrideLeader: sequencing as the leader without the conductor until restart");
        Ok(())
    }

    fn conductor_enabled(&self) -> bool {
        self.sequencer.as_ref().is_some_and(|s| s.conductor_enabled())
    }

    /// Refused while sequencing; otherwise the engine owner takes the block if it extends the
    /// unsafe head.
    async fn post_unsafe_payload(
        &self,
        payload: OpExecutionData,
    ) -> Result<(), SequencerAdminError> {
        let (number, hash) = (payload.payload.block_number(), payload.payload.block_hash());
        let result = match &self.sequencer {
            // The sequencer task decides, between slots, so a start cannot race the push.
            Some(sequencer) => sequencer.push(payload).await,
            None => self
                .owner
                .push(payload)
                .await
                .map_err(|e| SequencerAdminError::Refused(e.to_string())),
        };
        match result {
            Ok(head) => {
                metrics::pushed("taken");
                info!(target: "light_cl::engine", number = head.number, hash = %head.hash, "pushed block is the new unsafe head");
                Ok(())
            }
            Err(e) => {
                metrics::pushed("refused");
                info!(target: "light_cl::engine", number, %hash, %e, "pushed block refused");
                Err(e)
            }
        }
    }
}
