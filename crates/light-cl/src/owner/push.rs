//! Blocks from outside: a pushed block (`admin_postUnsafePayload`) that extends the head, and
//! blocks fetched from the source's execution RPC, inserted without a forkchoice update.

use super::{EngineOwner, EngineStep, PushError};
use crate::{metrics, Chain, Engine};
use light_cl_protocol::L2BlockRef;
use light_cl_rpc::L2Block;
use op_alloy_rpc_types_engine::OpExecutionData;
use tracing::error;

impl<E: Engine, C: Chain> EngineOwner<E, C> {
    /// A pushed block: `new_payload`, then an update to it with the labels of the head, only
    /// when its parent is the head. A pending head target does not block it (the push may be that
    /// very block); the target stays pending unless the push reached it.
    pub(super) async fn push(&mut self, payload: OpExecutionData) -> Result<L2BlockRef, PushError> {
        let heads = self.chain.heads().await?;
        let head = heads.unsafe_head;
        let (hash, number) = (payload.payload.block_hash(), payload.payload.block_number());
        if payload.payload.parent_hash() != head.hash || Some(number) != head.number.checked_add(1)
        {
            return Err(PushError::NotOnHead {
                number,
                hash,
                head_number: head.number,
                head: head.hash,
            });
        }
        if let Some(fork) =
            self.beyond_fork_limit(payload.payload.timestamp(), number, "pushed block")
        {
            return Err(PushError::UnsupportedFork { fork: fork.key, time: fork.time });
        }
        let step = EngineStep::NewPayload;
        let status = self
            .engine
            .new_payload(payload)
            .await
            .map_err(|error| PushError::Engine { step, error })?;
        if !status.is_valid() {
            return Err(PushError::Refused { step, status: status.status });
        }
        let labels = self.labels_for(head, &heads).await?;
        let step = EngineStep::ForkchoiceToNewHead;
        let updated = self
            .send(hash, labels, None)
            .await
            .map_err(|error| PushError::Engine { step, error })?;
        if !updated.is_valid() {
            return Err(PushError::Refused { step, status: updated.payload_status.status });
        }
        let heads = self.chain.heads().await?;
        self.publish(heads);
        if heads.unsafe_head.hash != hash {
            return Err(PushError::NotHead { hash, head: heads.unsafe_head.hash });
        }
        Ok(heads.unsafe_head)
    }

    /// `new_payload` for each block in order, stopping at the first the engine refuses.
    pub(super) async fn insert(&mut self, blocks: Vec<L2Block>) -> usize {
        let mut taken = 0;
        for block in blocks {
            let (number, hash) = (block.number, block.hash);
            let timestamp = block.payload.payload.timestamp();
            if self.beyond_fork_limit(timestamp, number, "inserted block").is_some() {
                break;
            }
            match self.engine.new_payload(block.payload).await {
                Ok(status) if !status.is_invalid() => taken += 1,
                Ok(status) => {
                    error!(target: "light_cl::engine", number, %hash, status = ?status.status, "engine refused a block from the source's execution RPC");
                    break;
                }
                Err(e) => {
                    error!(target: "light_cl::engine", number, %hash, %e, "new payload failed");
                    break;
                }
            }
        }
        metrics::inserted(taken);
        taken
    }
}
