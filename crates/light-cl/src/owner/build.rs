//! Building a block for the sequencer in two requests, so that the payload builder can fill the
//! block between them (book: "Running a light-CL sequencer", slot timeline):
//! - [`EngineOwner::start_build`]: FCU(parent, attributes), which starts reth's payload job;
//! - [`EngineOwner::resolve`]: the best payload so far;
//! - [`EngineOwner::seal`]: new payload → FCU(new head). A sequencer behind op-conductor commits
//!   the payload to the conductor between the two.
//!
//! Every forkchoice update goes through [`EngineOwner::send`].

use super::{BuildError, Building, Built, EngineOwner, EngineStep};
use crate::{Chain, Engine};
use alloy_primitives::B256;
use light_cl_protocol::L2BlockRef;
use op_alloy_rpc_types_engine::{OpExecutionData, OpPayloadAttributes};
use tracing::{info, warn};

impl<E: Engine, C: Chain> EngineOwner<E, C> {
    /// Starts building a block with `attributes` on `parent` while the head is `head`.
    ///
    /// `parent` is the head itself, or (an L1 reorg rewind) a canonical ancestor of it at or
    /// above safe: reth builds a sibling there, and sealing makes that branch canonical.
    pub(super) async fn start_build(
        &mut self,
        head: B256,
        parent: L2BlockRef,
        attributes: OpPayloadAttributes,
    ) -> Result<Building, BuildError> {
        if self.head_target.is_some() {
            return Err(BuildError::Syncing);
        }
        let timestamp = attributes.payload_attributes.timestamp;
        if let Some(fork) = self.beyond_fork_limit(timestamp, 0, "build") {
            return Err(BuildError::UnsupportedFork { fork: fork.key, time: fork.time });
        }
        let heads = self.chain.heads().await?;
        if heads.unsafe_head.hash != head {
            return Err(BuildError::HeadMoved { parent: head, head: heads.unsafe_head.hash });
        }
        if parent.hash != head {
            let canonical = self.chain.block_ref_by_number(parent.number).await?;
            let safe = heads.safe.map_or(0, |s| s.number);
            if canonical.map(|c| c.hash) != Some(parent.hash) || parent.number < safe {
                return Err(BuildError::NotAncestor { parent: parent.hash, safe });
            }
            info!(target: "light_cl::engine", number = parent.number + 1, parent = %parent.hash, replaces = heads.unsafe_head.number - parent.number, "building a sibling: rewinding unsafe blocks");
        }
        let labels = self.labels_for(parent, &heads).await?;
        let step = EngineStep::ForkchoiceWithAttributes;
        let updated = self
            .send(parent.hash, labels, Some(attributes))
            .await
            .map_err(|error| BuildError::Engine { step, error })?;
        if !updated.is_valid() {
            return Err(BuildError::Refused { step, status: updated.payload_status.status });
        }
        let id = updated.payload_id.ok_or(BuildError::NoPayloadId)?;
        Ok(Building { head, parent, id, timestamp })
    }

    /// The payload builder's best payload so far for `building`. Refused when the head moved
    /// since the build started (the payload is dropped).
    pub(super) async fn resolve(
        &mut self,
        building: Building,
    ) -> Result<OpExecutionData, BuildError> {
        self.still_on(&building).await?;
        let step = EngineStep::GetPayload;
        self.engine
            .get_payload(building.id)
            .await
            .map_err(|error| BuildError::Engine { step, error })
    }

    /// Inserts `payload`, the block resolved for `building`, and makes it the head. Refused when
    /// the head moved since the build started.
    pub(super) async fn seal(
        &mut self,
        building: Building,
        payload: OpExecutionData,
    ) -> Result<Built, BuildError> {
        let heads = self.still_on(&building).await?;
        let hash = payload.payload.block_hash();
        if payload.payload.parent_hash() != building.parent.hash {
            return Err(BuildError::NotHead { hash, head: heads.unsafe_head.hash });
        }
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
        let labels = self.labels_for(building.parent, &heads).await?;
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
        Ok(Built { head: heads.unsafe_head, payload })
    }

    /// The heads, if the engine is not syncing and the head is still the one `building` started
    /// on.
    async fn still_on(&mut self, building: &Building) -> Result<crate::Heads, BuildError> {
        if self.head_target.is_some() {
            return Err(BuildError::Syncing);
        }
        let heads = self.chain.heads().await?;
        if heads.unsafe_head.hash != building.head {
            return Err(BuildError::HeadMoved {
                parent: building.head,
                head: heads.unsafe_head.hash,
            });
        }
        Ok(heads)
    }
}
