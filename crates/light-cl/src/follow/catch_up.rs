//! Catching up from the source's execution RPC: when the engine stays SYNCING on a head target
//! (no devp2p peer serves the blocks), the missing blocks are fetched and inserted through the
//! engine owner, at most `max_blocks_per_tick` per tick (each at most
//! `light_cl_rpc::DEFAULT_MAX_BLOCK_RESPONSE_BYTES`, so a tick holds at most their product).

use super::{FollowTask, Skipped, SYNCING_TICKS_BEFORE_FETCH};
use crate::{
    metrics,
    source::{FollowSource, SourceEl, L1},
    Applied, Chain,
};
use light_cl_protocol::L2BlockRef;
use light_cl_rpc::L2Block;
use tracing::{info, warn};

impl<S: FollowSource, L: L1, C: Chain, E: SourceEl> FollowTask<S, L, C, E> {
    /// When the engine stays SYNCING (a head target pending while our canonical head does not
    /// move), fetches the missing blocks from the source's execution RPC (bounded per tick) and
    /// inserts them through the engine owner.
    pub(super) async fn catch_up(&mut self, applied: Applied) -> Result<(), Skipped> {
        let head = applied.heads.unsafe_head;
        let Some(target) = applied.head_target else {
            self.stalled_ticks = 0;
            self.inserted_tip = None;
            return Ok(());
        };
        // Counted whatever the target: a target that moves every tick (the source's unsafe
        // head) must not keep the fetch from starting.
        if self.last_head.is_some_and(|h| h.number < head.number) {
            self.stalled_ticks = 0;
        } else {
            self.stalled_ticks += 1;
        }
        self.last_head = Some(head);
        if !self.source_el.is_configured() || self.stalled_ticks < SYNCING_TICKS_BEFORE_FETCH {
            return Ok(());
        }
        let from = match self.inserted_tip {
            Some(tip) if tip.number < target.number => tip,
            _ => head,
        };
        let blocks = match self.missing_blocks(target, from).await {
            Ok(blocks) => blocks,
            Err(reason) => {
                // Start over from our canonical chain next time.
                self.inserted_tip = None;
                metrics::catch_up_failed();
                warn!(target: "light_cl::follow", %reason, target = target.number, "cannot fetch missing blocks from the source's execution RPC");
                return Ok(());
            }
        };
        let Some(last) = blocks.last() else { return Ok(()) };
        let (first, last_number, count) = (blocks[0].number, last.number, blocks.len());
        let tips: Vec<L2BlockRef> = blocks.iter().map(L2Block::link).collect();
        let taken = self.engine.insert(blocks).await.map_err(|_| Skipped::OwnerStopped)?;
        self.inserted_tip = taken.checked_sub(1).map(|i| tips[i]);
        info!(target: "light_cl::follow", first, last = last_number, taken, of = count, target = target.number, "inserted blocks from the source's execution RPC");
        Ok(())
    }

    /// The blocks of the source's chain after `from` towards `target`, parents first, at most
    /// `max_blocks_per_tick`. When `from` is not on the source's chain (our head on a stale
    /// branch, or a target on another branch), they start after the highest block both chains
    /// share, searched back from `from` as far as `max_blocks_per_tick`.
    async fn missing_blocks(
        &self,
        target: L2BlockRef,
        from: L2BlockRef,
    ) -> Result<Vec<L2Block>, String> {
        let max = self.config.max_blocks_per_tick.max(1);
        let fetch = |number: u64| async move {
            self.source_el
                .block_by_number(number)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("the source's execution RPC has no block {number}"))
        };
        // The highest block at or below `from` (and below the target) that the source has too.
        let mut base = from;
        if base.number >= target.number {
            let below = target.number.saturating_sub(1);
            base = match self.chain.block_ref_by_number(below).await {
                Ok(Some(b)) => b,
                Ok(None) => return Err(format!("no local block {below}")),
                Err(e) => return Err(e.to_string()),
            };
        }
        let lowest = base.number.saturating_sub(max);
        loop {
            if fetch(base.number).await?.hash == base.hash {
                break;
            }
            if base.number <= lowest || base.number == 0 {
                return Err(format!("our chain and the source's share no block above {lowest}"));
            }
            base = match self.chain.block_ref_by_number(base.number - 1).await {
                Ok(Some(b)) => b,
                Ok(None) => return Err(format!("no local block {}", base.number - 1)),
                Err(e) => return Err(e.to_string()),
            };
        }
        // Forward from there: every block links to the one before, and the block at the
        // target's number is the target.
        let mut blocks = Vec::new();
        let mut parent = base.hash;
        for number in base.number + 1..=target.number.min(base.number + max) {
            let block = fetch(number).await?;
            if block.parent_hash != parent {
                return Err(format!(
                    "the source's execution RPC changed its chain at block {number}"
                ));
            }
            if number == target.number && block.hash != target.hash {
                return Err(format!(
                    "block {number} of the source's execution RPC is {} but the target is {}",
                    block.hash, target.hash
                ));
            }
            parent = block.hash;
            blocks.push(block);
        }
        Ok(blocks)
    }
}
