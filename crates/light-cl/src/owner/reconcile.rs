//! Follow decisions: their targets are kept pending, and [`EngineOwner::reconcile`] turns them
//! into forkchoice updates as far as the engine can take them.

use super::{forkchoice::Target, Applied, ApplyError, EngineOwner};
use crate::{
    follow::{Case, Decision},
    Chain, Engine, EngineError,
};
use alloy_rpc_types_engine::PayloadStatusEnum;
use light_cl_protocol::L2BlockRef;
use tracing::{debug, error};

/// Most forkchoice updates sent for one request: labels ready under the current head, the head
/// target, and after a reorg the labels again.
const MAX_UPDATES_PER_REQUEST: usize = 4;

impl<E: Engine, C: Chain> EngineOwner<E, C> {
    /// Takes the targets of a validated update. A head target stays until reached or replaced.
    /// Safe and finalized targets join the pending ones; after a reorg only the new ones count.
    pub(super) async fn follow(&mut self, mut d: Decision) -> Result<Applied, ApplyError> {
        let beyond = |b: &L2BlockRef, what| self.beyond_fork_limit(b.timestamp, b.number, what);
        d.head = d.head.filter(|b| beyond(b, "head target").is_none());
        d.safe = d.safe.filter(|b| beyond(b, "safe target").is_none());
        d.finalized = d.finalized.filter(|b| beyond(b, "finalized target").is_none());
        match d.head {
            Some(head) => self.head_target = Some(head),
            // Our chain agrees with the source's safe head and nothing newer is proposed: a
            // target still pending (an orphaned proposal) is dropped. While syncing it stays.
            None if d.case != Case::Syncing => self.head_target = None,
            None => {}
        }
        if d.case == Case::Reorg {
            self.pending_safe.clear();
            self.pending_finalized.clear();
        }
        match d.safe {
            Some(block) => self.pending_safe.add(Target { block, current_l1: d.current_l1 }),
            // The decision carries `current_l1` without a safe target only when its safe head
            // is the one we applied.
            None => {
                if let Some(current_l1) = d.current_l1 {
                    self.view.advance_current_l1(current_l1);
                }
            }
        }
        if let Some(block) = d.finalized {
            self.pending_finalized.add(Target { block, current_l1: None });
        }
        self.reconcile().await
    }

    /// Decides the forkchoice state from the targets and what is canonical, and sends it.
    pub(super) async fn reconcile(&mut self) -> Result<Applied, ApplyError> {
        let mut heads = self.chain.heads().await?;
        // Set once the engine answered SYNCING to labels under the current head (reth does so
        // to every update while it backfills): the head target must still be sent.
        let mut skip_labels_first = false;
        for _ in 0..MAX_UPDATES_PER_REQUEST {
            // reth ignores the labels of an update whose head it is still syncing to: labels that
            // are ready under the current head go first, in an update of their own.
            let current = heads.unsafe_head;
            let mut head = current;
            let mut labels = self.labels_for(current, &heads).await?;
            let labels_ready = labels != super::Labels::of(&heads);
            if let Some(target) = self
                .head_target
                .filter(|t| t.hash != current.hash && (skip_labels_first || !labels_ready))
            {
                head = target;
                labels = self.labels_for(target, &heads).await?;
            }
            if self.already_sent(head.hash, &labels) && current.hash == head.hash {
                break;
            }
            match self.send(head.hash, labels, None).await {
                Ok(update) => match update.payload_status.status {
                    PayloadStatusEnum::Valid => {}
                    PayloadStatusEnum::Syncing | PayloadStatusEnum::Accepted => {
                        debug!(target: "light_cl::engine", head = %head.hash, number = head.number, "engine syncing");
                        let target_unsent = self.head_target.is_some_and(|t| t.hash != head.hash);
                        if skip_labels_first || !target_unsent {
                            break;
                        }
                        skip_labels_first = true;
                        continue;
                    }
                    PayloadStatusEnum::Invalid { validation_error } => {
                        error!(target: "light_cl::engine", head = %head.hash, number = head.number, %validation_error, "engine says the head target is invalid; dropping it");
                        self.head_target = None;
                        self.pending_safe.remove(head.hash);
                        break;
                    }
                },
                // reth applied the head, but a safe or finalized hash was not canonical under it:
                // read the chain again and resend with labels that are.
                Err(EngineError::Forkchoice(e)) => {
                    debug!(target: "light_cl::engine", %e, head = %head.hash, "head applied, a label is not canonical under it (expected after a reorg); resending with canonical labels");
                    self.last_sent = None;
                }
                Err(e) => {
                    error!(target: "light_cl::engine", %e, "forkchoice update failed");
                    break;
                }
            }
            heads = self.chain.heads().await?;
            if !self.has_pending() {
                break;
            }
        }
        self.publish(heads);
        Ok(Applied { heads, head_target: self.head_target })
    }

    fn has_pending(&self) -> bool {
        self.head_target.is_some()
            || !self.pending_safe.is_empty()
            || !self.pending_finalized.is_empty()
    }
}
