//! Unsafe blocks proposed from the network (CL gossip): the same rules as a pushed block, plus
//! a few blocks ahead held until their parent is the head, and a gap or another branch above the
//! safe head turned into the head target (reth then fetches what is missing over devp2p). Safe
//! and finalized never move for a proposal. A pushed block may also replace unsafe blocks when
//! it is a sibling of one ([`EngineOwner::take_pushed`]).

use super::{EngineOwner, EngineStep, PushError};
use crate::{Chain, Engine};
use alloy_eips::Decodable2718;
use alloy_primitives::B256;
use light_cl_protocol::{l1_info_of_block, BlockID, L2BlockRef};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::OpExecutionData;
use std::collections::BTreeMap;
use tracing::{debug, info};

/// How far ahead of the head a proposed block is held for its parent; farther is a gap.
pub const MAX_AHEAD: u64 = 8;

/// Most blocks held at once (a few heights, a few candidates each).
pub(super) const MAX_HELD: usize = 32;

/// What the owner did with a proposed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proposed {
    /// It extended the head: this is the head now (held blocks that followed it applied too).
    Head(L2BlockRef),
    /// A few blocks ahead of the head: held until its parent is the head.
    Held,
    /// Already the canonical block at its height.
    Known,
    /// A gap or another branch above the safe head: the head target, reached once the engine
    /// has the blocks in between.
    Target(L2BlockRef),
}

/// Blocks ahead of the head, by height and hash, at most [`MAX_HELD`].
#[derive(Debug, Default)]
pub(super) struct Held(BTreeMap<(u64, B256), OpExecutionData>);

impl Held {
    fn add(&mut self, payload: OpExecutionData) {
        let key = (payload.payload.block_number(), payload.payload.block_hash());
        self.0.insert(key, payload);
        // The farthest go first: they are the least likely to be reached.
        while self.0.len() > MAX_HELD {
            self.0.pop_last();
        }
    }

    /// Drops what is at or below `head`, and takes the block that extends it, if held.
    fn take_child(&mut self, head: &L2BlockRef) -> Option<OpExecutionData> {
        self.0 = self.0.split_off(&(head.number + 1, B256::ZERO));
        let key = self
            .0
            .iter()
            .take_while(|((n, _), _)| *n == head.number + 1)
            .find(|(_, p)| p.payload.parent_hash() == head.hash)
            .map(|(k, _)| *k)?;
        self.0.remove(&key)
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
}

impl<E: Engine, C: Chain> EngineOwner<E, C> {
    /// A block from the network. Extends the head: inserted and made the head, then any held
    /// blocks that follow. A few ahead: held. Further ahead, or on another branch above the
    /// safe head: inserted and made the head target. At or below the safe head on another
    /// branch: refused.
    pub(super) async fn propose(
        &mut self,
        payload: OpExecutionData,
    ) -> Result<Proposed, PushError> {
        let (hash, number) = (payload.payload.block_hash(), payload.payload.block_number());
        if let Some(fork) =
            self.beyond_fork_limit(payload.payload.timestamp(), number, "proposed block")
        {
            return Err(PushError::UnsupportedFork { fork: fork.key, time: fork.time });
        }
        let mut heads = self.chain.heads().await?;
        // The head may have moved on its own (a follow decision): held blocks may fit now.
        if self.held.len() > 0 {
            let reached = self.apply_held(heads.unsafe_head).await;
            if reached.hash != heads.unsafe_head.hash {
                heads = self.chain.heads().await?;
            }
        }
        let head = heads.unsafe_head;
        if number <= head.number {
            if self.chain.block_ref_by_number(number).await?.is_some_and(|b| b.hash == hash) {
                return Ok(Proposed::Known);
            }
            let safe = heads.safe.map_or(0, |s| s.number);
            if number <= safe {
                return Err(PushError::BelowSafe { number, hash, safe });
            }
            return self.aim_at(payload, "another branch above the safe head").await;
        }
        if number == head.number + 1 {
            if payload.payload.parent_hash() != head.hash {
                return self.aim_at(payload, "another branch above the safe head").await;
            }
            let mut new_head = self.push(payload).await?;
            new_head = self.apply_held(new_head).await;
            return Ok(Proposed::Head(new_head));
        }
        if number - head.number <= MAX_AHEAD && self.head_target.is_none() {
            debug!(target: "light_cl::engine", number, %hash, head = head.number, "block ahead of the head held for its parent");
            self.held.add(payload);
            return Ok(Proposed::Held);
        }
        self.aim_at(payload, "a gap").await
    }

    /// A block pushed from outside (`admin_postUnsafePayload`). It extends the head, or it is a
    /// sibling of a canonical block above the safe head (a sequencer that rebuilt after an L1
    /// reorg): then it replaces the unsafe blocks from its height on. Anything else is refused.
    pub(super) async fn take_pushed(
        &mut self,
        payload: OpExecutionData,
    ) -> Result<L2BlockRef, PushError> {
        let heads = self.chain.heads().await?;
        let head = heads.unsafe_head;
        let (hash, number) = (payload.payload.block_hash(), payload.payload.block_number());
        let parent = payload.payload.parent_hash();
        let safe = heads.safe.map_or(0, |s| s.number);
        let sibling = parent != head.hash
            && number > safe
            && number <= head.number
            && self.canonical_hash(number - 1).await? == Some(parent)
            && self.canonical_hash(number).await? != Some(hash);
        if !sibling {
            return self.push(payload).await;
        }
        match self.aim_at(payload, "a reorg of unsafe blocks (pushed)").await? {
            Proposed::Head(new_head) => Ok(new_head),
            _ => Err(PushError::NotHead { hash, head: self.chain.heads().await?.unsafe_head.hash }),
        }
    }

    async fn canonical_hash(&self, number: u64) -> Result<Option<B256>, crate::ChainError> {
        Ok(self.chain.block_ref_by_number(number).await?.map(|b| b.hash))
    }

    /// Applies held blocks on top of `head` while one extends it; returns the head reached.
    async fn apply_held(&mut self, mut head: L2BlockRef) -> L2BlockRef {
        while let Some(next) = self.held.take_child(&head) {
            let (number, hash) = (next.payload.block_number(), next.payload.block_hash());
            match self.push(next).await {
                Ok(h) => head = h,
                Err(e) => {
                    info!(target: "light_cl::engine", number, %hash, %e, "held block not taken");
                    break;
                }
            }
        }
        head
    }

    /// Inserts `payload` and makes it the head target: reth reorgs to it, or fetches its
    /// missing ancestors first.
    async fn aim_at(
        &mut self,
        payload: OpExecutionData,
        why: &'static str,
    ) -> Result<Proposed, PushError> {
        let target = block_ref(&payload).ok_or(PushError::NoL1Info {
            number: payload.payload.block_number(),
            hash: payload.payload.block_hash(),
        })?;
        let step = EngineStep::NewPayload;
        let status = self
            .engine
            .new_payload(payload)
            .await
            .map_err(|error| PushError::Engine { step, error })?;
        if status.is_invalid() {
            return Err(PushError::Refused { step, status: status.status });
        }
        info!(target: "light_cl::engine", number = target.number, hash = %target.hash, why, "proposed block is the head target");
        self.head_target = Some(target);
        let applied = self.reconcile().await.map_err(|e| match e {
            super::ApplyError::Chain(e) => PushError::Chain(e),
            super::ApplyError::Stopped => PushError::Stopped,
        })?;
        if applied.heads.unsafe_head.hash == target.hash {
            return Ok(Proposed::Head(self.apply_held(target).await));
        }
        Ok(Proposed::Target(target))
    }
}

/// The ref of a block from its payload; `None` when its first transaction is not an L1 info
/// deposit (no L2 block but genesis lacks one).
fn block_ref(payload: &OpExecutionData) -> Option<L2BlockRef> {
    let p = payload.payload.as_v1();
    let first = p.transactions.first().and_then(|tx| OpTxEnvelope::decode_2718_exact(tx).ok());
    let info = l1_info_of_block(p.block_number, first.as_ref()).ok()?;
    Some(L2BlockRef {
        hash: p.block_hash,
        number: p.block_number,
        parent_hash: p.parent_hash,
        timestamp: p.timestamp,
        l1_origin: BlockID { hash: info.block_hash, number: info.number },
        sequence_number: info.sequence_number,
    })
}
