//! Ancestry checks of the follow task: whether the source's unsafe head descends from our head
//! (a walk over parent hashes through blocks known locally, read from the source's execution RPC
//! or served by peers), and whether a new head target's chain holds our finalized block.

use super::FollowTask;
use crate::{
    source::{FollowSource, SourceEl, L1},
    Chain, Heads,
};
use alloy_primitives::B256;
use light_cl_protocol::{L2BlockRef, SyncStatus};
use tracing::debug;

/// Most headers asked of a peer at once (devp2p peers serve at most 1024).
const HEADERS_PER_REQUEST: u64 = 1024;

/// Whether a head target's chain holds our finalized block, and what said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kept {
    /// It does.
    Yes(&'static str),
    /// It does not: another block at our finalized height.
    No(&'static str),
    /// Nothing could tell.
    Unknown,
}

impl<S: FollowSource, L: L1, C: Chain, E: SourceEl> FollowTask<S, L, C, E> {
    /// Whether the unsafe head `u` has our head as an ancestor, at most `max_ancestry_walk`
    /// blocks above it: walked over canonical blocks, then the source's execution RPC, then
    /// headers from peers.
    pub(super) async fn descends(&self, u: L2BlockRef, heads: &Heads) -> bool {
        let head = heads.unsafe_head;
        if u.number <= head.number || u.number - head.number > self.config.max_ancestry_walk {
            return false;
        }
        // `u` itself may still be unknown locally: its parent hash comes with the proposal, or,
        // when the source's execution RPC is known, from the block itself.
        let mut cursor = match self.source_el_block(u.hash).await {
            Some(b) if b.number == u.number => b,
            Some(_) => return false,
            None => u,
        };
        while cursor.number > head.number + 1 {
            let parent = cursor.parent_hash;
            let next = match self.chain.block_ref_by_hash(parent).await {
                Ok(Some(b)) => b,
                _ => match self.source_el_block(parent).await {
                    Some(b) => b,
                    // Blocks reth holds off its canonical chain are not readable by hash here;
                    // peers serve the headers.
                    None => {
                        return self.peers_hash_at(cursor, head.number).await == Some(head.hash)
                    }
                },
            };
            // Numbers must go down one by one: no answer can keep the walk going.
            if next.number + 1 != cursor.number {
                return false;
            }
            cursor = next;
        }
        cursor.parent_hash == head.hash
    }

    /// The number and parent of block `hash`, from the source's execution RPC.
    async fn source_el_block(&self, hash: B256) -> Option<L2BlockRef> {
        Some(self.source_el.block_by_hash(hash).await.ok()??.link())
    }

    /// Whether the chain of `target` (a head target not known locally) holds our `finalized`
    /// block. Asked in turn, cheapest first: genesis; the source's own finalized head, when our
    /// canonical chain has it at or above our finalized height; the source's execution RPC
    /// (headers); peers (headers walked back from the target, at most `max_finalized_walk`);
    /// the source's `optimism_outputAtBlock`.
    pub(super) async fn keeps_finalized(
        &self,
        target: L2BlockRef,
        finalized: L2BlockRef,
        status: &SyncStatus,
    ) -> Kept {
        if finalized.hash == self.view.genesis_l2().hash {
            return Kept::Yes("genesis");
        }
        let theirs = status.finalized_l2;
        if !theirs.is_unknown()
            && theirs.number >= finalized.number
            && theirs.number <= target.number
            && matches!(self.chain.block_ref_by_number(theirs.number).await, Ok(Some(b)) if b.hash == theirs.hash)
        {
            return Kept::Yes("the source's finalized head is on our chain");
        }
        let verdict = |hash: B256, how| {
            if hash == finalized.hash {
                Kept::Yes(how)
            } else {
                Kept::No(how)
            }
        };
        if self.source_el.is_configured() {
            let (at_finalized, at_target) = tokio::join!(
                self.source_el.header_by_number(finalized.number),
                self.source_el.header_by_number(target.number),
            );
            match (at_finalized, at_target) {
                (Ok(Some(f)), Ok(Some(t))) if t.hash == target.hash => {
                    return verdict(f.hash, "the source's execution RPC")
                }
                other => {
                    debug!(target: "light_cl::follow", ?other, "the source's execution RPC cannot tell")
                }
            }
        }
        if let Some(hash) = self.peers_hash_at(target, finalized.number).await {
            return verdict(hash, "peers");
        }
        match self.agreed_hash_at(finalized.number).await {
            Some(hash) => verdict(hash, "the sources' outputAtBlock"),
            None => {
                debug!(target: "light_cl::follow", number = finalized.number, "the sources' outputAtBlock cannot tell");
                Kept::Unknown
            }
        }
    }

    /// The hash at `number` on the chain of `target`, from headers peers serve, walked back
    /// from the target with every link checked; `None` when they cannot tell.
    async fn peers_hash_at(&self, target: L2BlockRef, number: u64) -> Option<B256> {
        let distance = target.number.checked_sub(number)?;
        if distance > self.config.max_finalized_walk {
            return None;
        }
        let (mut expect, mut expect_number) = (target.hash, target.number);
        loop {
            let limit = (expect_number - number + 1).min(HEADERS_PER_REQUEST);
            let headers = self.chain.peer_headers(expect, limit).await.ok()?;
            if headers.is_empty() {
                return None;
            }
            for header in headers.into_iter().take(limit as usize) {
                // A peer's answer must link exactly: no answer can skip a block.
                if header.hash != expect || header.number != expect_number {
                    return None;
                }
                if header.number == number {
                    return Some(header.hash);
                }
                (expect, expect_number) = (header.parent_hash, header.number - 1);
            }
        }
    }
}
