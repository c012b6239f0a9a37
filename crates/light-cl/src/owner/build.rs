//! Building a block for the sequencer: FCU(head, attributes) → get payload → new payload →
//! FCU(new head), every forkchoice update through [`EngineOwner::send`].

use super::{BuildError, Built, EngineOwner, EngineStep};
use crate::{metrics, Chain, Engine};
use alloy_primitives::B256;
use op_alloy_rpc_types_engine::OpPayloadAttributes;
use tracing::warn;

impl<E: Engine, C: Chain> EngineOwner<E, C> {
    /// Builds a block with `attributes` on the head `parent` and makes it the head.
    pub(super) async fn build(
        &mut self,
        parent: B256,
        attributes: OpPayloadAttributes,
    ) -> Result<Built, BuildError> {
        if self.head_target.is_some() {
            return Err(BuildError::Syncing);
        }
        let timestamp = attributes.payload_attributes.timestamp;
        if let Some(fork) = self.beyond_fork_limit(timestamp, 0, "build") {
            return Err(BuildError::UnsupportedFork { fork: fork.key, time: fork.time });
        }
        let heads = self.chain.heads().await?;
        let head = heads.unsafe_head;
        if head.hash != parent {
            return Err(BuildError::HeadMoved { parent, head: head.hash });
        }
        let labels = self.labels_for(head, &heads).await?;
        let started = std::time::Instant::now();
        let step = EngineStep::ForkchoiceWithAttributes;
        let updated = self
            .send(head.hash, labels, Some(attributes))
            .await
            .map_err(|error| BuildError::Engine { step, error })?;
        if !updated.is_valid() {
            return Err(BuildError::Refused { step, status: updated.payload_status.status });
        }
        let id = updated.payload_id.ok_or(BuildError::NoPayloadId)?;
        let step = EngineStep::GetPayload;
        let payload = self
            .engine
            .get_payload(id)
            .await
            .map_err(|error| BuildError::Engine { step, error })?;
        let hash = payload.payload.block_hash();
        let step = EngineStep::NewPayload;
        let status = self
            .engine
            .new_payload(payload.clone())
            .await
            .map_err(|error| BuildError::Engine { step, error })?;
        if !status.is_valid() {
            return Err(BuildError::Refused { step, status: status.status });
        }
        let step = EngineStep::ForkchoiceToNewHead;
        let made_head = match self.send(hash, labels, None).await {
            Ok(updated) if updated.is_valid() => Ok(()),
            Ok(updated) => Err(BuildError::Refused { step, status: updated.payload_status.status }),
            Err(error) => Err(BuildError::Engine { step, error }),
        };
        let heads = self.chain.heads().await?;
        if let Err(e) = made_head {
            // The engine may have applied the head before failing: then the block is built and
            // must be published like any other. What it did with the labels is not known, so the
            // next update sends them again.
            if heads.unsafe_head.hash != hash {
                return Err(e);
            }
            self.last_sent = None;
            warn!(target: "light_cl::engine", %e, %hash, "the forkchoice update failed but the block is the head");
        }
        self.publish(heads);
        if heads.unsafe_head.hash != hash {
            return Err(BuildError::NotHead { hash, head: heads.unsafe_head.hash });
        }
        metrics::build_round_trip(started.elapsed());
        Ok(Built { head: heads.unsafe_head, payload })
    }
}
