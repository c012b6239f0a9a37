//! Whether the source's unsafe head descends from our head: a walk back over parent hashes,
//! through blocks known locally or read from the source's execution RPC.

use super::FollowTask;
use crate::{
    source::{FollowSource, SourceEl, L1},
    Chain, Heads,
};
use alloy_primitives::B256;
use light_cl_protocol::L2BlockRef;

impl<S: FollowSource, L: L1, C: Chain, E: SourceEl> FollowTask<S, L, C, E> {
    /// Whether the unsafe head `u` has our head as an ancestor, at most `max_ancestry_walk`
    /// blocks above it.
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
                    None => return false,
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
}
