//! One slot of the sequencer (book: "Running a light-CL sequencer", slot timeline): choose the
//! parent (rewinding over blocks whose L1 origin L1 reorged out), start the block at
//! `T - block_time`, let the payload builder fill it, seal it at `T` minus the seal margin, and
//! publish it.

use super::{
    attributes::{prepare_attributes, validate_attributes},
    task::{unix_now, SequenceError, Sequencer},
    SequencerL1,
};
use crate::{metrics, Building, Built, Chain, Heads};
use light_cl_protocol::{
    l1_info_of_block, BlockID, BlockRefError, L2BlockRef, SystemConfig, SystemConfigError,
};
use op_alloy_rpc_types_engine::OpExecutionData;
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};

impl<S: SequencerL1, C: Chain> Sequencer<S, C> {
    /// Builds the next block on `heads` and publishes it. A block whose window is over (`late`,
    /// or on a rewound parent) is sealed at once.
    pub(super) async fn slot(&mut self, heads: Heads, late: bool) -> Result<(), SequenceError> {
        let started = Instant::now();
        let (built, prepared, late) = match self.make(heads, late).await {
            Ok(Some(done)) => done,
            Ok(None) => return Ok(()),
            Err(e) => {
                metrics::sequencer_failed(e.kind());
                return Err(e);
            }
        };
        metrics::sequencer_built(started.elapsed());
        // Without a fill window every block is sealed at once; none of them is late.
        let late = late && self.settings.fill;
        if late {
            metrics::sequencer_late();
        }
        self.waiting_for = None;
        let txs = built.payload.payload.as_v1().transactions.len();
        info!(target: "light_cl::sequencer", number = built.head.number, hash = %built.head.hash, timestamp = built.head.timestamp, origin = built.head.l1_origin.number, seq = built.head.sequence_number, txs, deposits = prepared.deposits, no_tx_pool = prepared.no_tx_pool, late, "sealed block");
        self.last = Some((built.head.hash, prepared.system_config));
        self.publish(&built.payload).await;
        Ok(())
    }

    /// Starts, fills and seals the next block; `None` when the sequencer was stopped meanwhile.
    async fn make(
        &mut self,
        heads: Heads,
        late: bool,
    ) -> Result<Option<(Built, Prepared, bool)>, SequenceError> {
        let head = heads.unsafe_head;
        match self.is_leader().await {
            Ok(true) => {}
            Ok(false) => return Err(SequenceError::NotLeader),
            Err(e) => return Err(SequenceError::LeaderCheck(e)),
        }
        let parent = self.parent_for(&heads).await?;
        let late = late || parent.hash != head.hash;
        let (building, prepared) = self.start_block(head, parent).await?;
        if !late && !self.fill(self.seal_at(&parent)).await {
            info!(target: "light_cl::sequencer", number = parent.number + 1, "stopped while filling: the block is dropped");
            return Ok(None);
        }
        let resolving = Instant::now();
        let payload = self.owner.resolve(building).await?;
        let resolved = resolving.elapsed();
        self.commit(&payload).await?;
        let sealing = Instant::now();
        let built = self.owner.seal(building, payload).await?;
        metrics::build_round_trip(resolved + sealing.elapsed());
        metrics::sequencer_sealed_offset(unix_now(), Duration::from_secs(building.timestamp));
        Ok(Some((built, prepared, late)))
    }

    /// Commits the sealed block to the conductor, if there is one (and no override): retried
    /// every `retry_after` for up to a block time, then the block is dropped. Never published
    /// or made the head uncommitted.
    async fn commit(&self, payload: &OpExecutionData) -> Result<(), SequenceError> {
        let Some(conductor) = self.conductor.as_ref().filter(|_| !self.leader_override) else {
            return Ok(());
        };
        let number = payload.payload.block_number();
        let deadline = Instant::now() + Duration::from_secs(self.config.block_time);
        loop {
            match conductor.commit(payload).await {
                Ok(()) => {
                    metrics::conductor_commit(true);
                    return Ok(());
                }
                Err(e) => {
                    metrics::conductor_commit(false);
                    if Instant::now() + self.settings.retry_after >= deadline {
                        warn!(target: "light_cl::sequencer", number, %e, "the conductor did not take the block: dropped, not published");
                        return Err(SequenceError::Commit(e));
                    }
                    debug!(target: "light_cl::sequencer", number, %e, "conductor commit failed, retrying");
                    tokio::time::sleep(self.settings.retry_after).await;
                }
            }
        }
    }

    /// When the block on `parent` is sealed: its timestamp minus the seal margin.
    pub(super) fn seal_at(&self, parent: &L2BlockRef) -> Duration {
        let t = Duration::from_secs(parent.timestamp.saturating_add(self.config.block_time));
        t.saturating_sub(self.settings.seal_margin)
    }

    /// The block to build on: the head, or after an L1 reorg the highest block whose L1 origin
    /// is still canonical, at worst the safe head.
    async fn parent_for(&mut self, heads: &Heads) -> Result<L2BlockRef, SequenceError> {
        let safe = heads.safe.map_or(0, |s| s.number);
        let mut block = heads.unsafe_head;
        let mut checked: Option<(BlockID, bool)> = None;
        while block.number > safe {
            let canonical = match checked {
                Some((origin, canonical)) if origin == block.l1_origin => canonical,
                _ => {
                    let canonical = match self.origins.canonical(block.l1_origin).await {
                        Ok(found) => found.is_some(),
                        // L1 unavailable: the origin selector decides what that means.
                        Err(_) if block.hash == heads.unsafe_head.hash => true,
                        Err(e) => return Err(e.into()),
                    };
                    checked = Some((block.l1_origin, canonical));
                    canonical
                }
            };
            if canonical {
                break;
            }
            block = self.chain.block_ref_by_number(block.number - 1).await?.ok_or_else(|| {
                SequenceError::ParentConfig(format!("block {} not found", block.number - 1))
            })?;
        }
        if block.hash != heads.unsafe_head.hash {
            let head = heads.unsafe_head;
            warn!(target: "light_cl::sequencer", head = head.number, reorged_origin = ?head.l1_origin, rewind_to = block.number, origin = ?block.l1_origin, "L1 reorged out the origin of unsafe blocks: building on the highest block whose origin is canonical");
            metrics::sequencer_rewound(head.number - block.number);
        }
        Ok(block)
    }

    /// Prepares the attributes for the block on `parent` and starts it in the engine.
    async fn start_block(
        &mut self,
        head: L2BlockRef,
        parent: L2BlockRef,
    ) -> Result<(Building, Prepared), SequenceError> {
        let origin = self.origins.next_origin(&parent).await?;
        let parent_config = self.system_config_of(&parent).await?;
        let prepared = prepare_attributes(
            self.origins.l1(),
            &self.config,
            &self.blob_schedule,
            &parent,
            &parent_config,
            &origin,
        )
        .await?;
        validate_attributes(&self.config, &prepared.attributes)?;
        let no_tx_pool = prepared.attributes.no_tx_pool == Some(true);
        let building = self.owner.start_build(head.hash, parent, prepared.attributes).await?;
        let prepared = Prepared {
            system_config: prepared.system_config,
            deposits: prepared.deposits,
            no_tx_pool,
        };
        Ok((building, prepared))
    }

    /// Waits until `seal_at` while the payload builder fills the block, serving admin calls;
    /// `false` when the sequencer was stopped meanwhile.
    async fn fill(&mut self, seal_at: Duration) -> bool {
        let Some(left) = seal_at.checked_sub(unix_now()) else { return true };
        let deadline = tokio::time::Instant::now() + left;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return true,
                Some(control) = self.control.recv() => {
                    self.handle(control).await;
                    if !self.is_active() {
                        return false;
                    }
                }
            }
        }
    }

    /// The system config `head` was built with: remembered for the block built last, from the
    /// rollup config at genesis, else rebuilt from the block.
    async fn system_config_of(&self, head: &L2BlockRef) -> Result<SystemConfig, SequenceError> {
        if let Some((hash, config)) = &self.last {
            if *hash == head.hash {
                return Ok(config.clone());
            }
        }
        let bad = |e: &dyn std::fmt::Display| SequenceError::ParentConfig(e.to_string());
        if head.number == self.config.genesis.l2.number {
            return self.config.genesis_system_config().map_err(|e| bad(&e));
        }
        let (header, first_tx) =
            self.chain.header_and_first_tx(head.hash).await?.ok_or_else(|| {
                SequenceError::ParentConfig(format!(
                    "block {} ({}) not found",
                    head.number, head.hash
                ))
            })?;
        let info =
            l1_info_of_block(head.number, first_tx.as_ref()).map_err(|e: BlockRefError| bad(&e))?;
        SystemConfig::from_l2_block(&self.config, &header, &info)
            .map_err(|e: SystemConfigError| bad(&e))
    }

    /// Sends the sealed block to every publish target, all at once, and waits for their answers,
    /// at most half a block time, so that a slow target cannot hold up the chain. Failures are
    /// logged and counted, never fatal.
    async fn publish(&self, payload: &OpExecutionData) {
        let budget = Duration::from_millis(self.config.block_time.saturating_mul(500));
        let sends = self.publishers.iter().map(|p| async move {
            let result = match tokio::time::timeout(budget, p.publish(payload)).await {
                Ok(result) => result,
                Err(_) => Err(format!("no answer within {budget:?} (half a block time)")),
            };
            (p, result)
        });
        for (publisher, result) in futures::future::join_all(sends).await {
            match result {
                Ok(()) => metrics::published(publisher.kind(), true),
                Err(e) => {
                    metrics::published(publisher.kind(), false);
                    warn!(target: "light_cl::sequencer", target_ = %publisher.target(), %e, number = payload.payload.block_number(), "publishing the block failed");
                }
            }
        }
    }
}

/// What a started block was prepared with, for after it is sealed.
struct Prepared {
    /// The system config the block carries.
    system_config: SystemConfig,
    /// User deposits in it.
    deposits: usize,
    /// Whether it was built without the transaction pool (past the drift).
    no_tx_pool: bool,
}
