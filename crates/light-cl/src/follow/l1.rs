//! The follow task's L1 reads: that the L1 RPC is this chain's L1, L1's heads for the served
//! status, and whether a block the source names is canonical on our L1.

use super::{FollowTask, Skipped};
use crate::{
    source::{FollowSource, SourceEl, L1},
    Chain,
};
use light_cl_protocol::BlockID;
use light_cl_rpc::ElError;
use tracing::error;

impl<S: FollowSource, L: L1, C: Chain, E: SourceEl> FollowTask<S, L, C, E> {
    /// Checks once that the L1 RPC holds this chain's genesis L1 block, then publishes L1's
    /// heads to the view.
    pub(super) async fn poll_l1(&mut self) -> Result<(), Skipped> {
        // Without L1 the sources' agreement stands in for it (set after the poll).
        if !self.l1.is_present() {
            return Ok(());
        }
        // Once: the L1 RPC must be this chain's L1.
        if !self.l1_verified {
            let genesis = self.view.genesis_l2().l1_origin;
            match self.l1.block_ref_by_number(genesis.number).await? {
                Some(b) if b.hash == genesis.hash => self.l1_verified = true,
                other => {
                    error!(target: "light_cl::follow", expected = %genesis.hash, number = genesis.number, found = ?other.map(|b| b.hash), "the L1 RPC does not hold this chain's genesis L1 block: wrong --rollup.l1-rpc?");
                    return Err(Skipped::L1(ElError::Mismatch {
                        asked: format!("genesis L1 block {} at {}", genesis.hash, genesis.number),
                        got: other.map_or_else(|| "nothing".into(), |b| b.hash.to_string()),
                    }));
                }
            }
        }
        // Our own view of L1 for the served status.
        let l1_heads = self.l1.heads().await?;
        self.view.set_l1(&l1_heads);
        Ok(())
    }

    /// Whether canonical L1 has `id.hash` at `id.number`; `true` when there is nothing to check.
    /// A number our L1 has no block at yet skips the tick: that is not a conflict.
    pub(super) async fn is_canonical_l1(&self, id: Option<BlockID>) -> Result<bool, Skipped> {
        let Some(id) = id else { return Ok(true) };
        if !self.l1.is_present() {
            return Ok(true);
        }
        match self.l1.block_ref_by_number(id.number).await? {
            Some(b) => Ok(b.hash == id.hash),
            None => Err(Skipped::L1Behind { number: id.number }),
        }
    }
}
