//! The published view: what the engine applied, as the `SyncStatus` this node serves.

use crate::{source::L1Heads, Heads};
use light_cl_protocol::{L1BlockRef, L2BlockRef, RollupConfig, SyncStatus};
use std::sync::Arc;
use tokio::sync::watch;

/// The node's own `SyncStatus`, shared between the engine owner (L2 heads, `current_l1`), the
/// follow task (L1 heads) and the RPC server (readers).
#[derive(Debug, Clone)]
pub struct View {
    tx: Arc<watch::Sender<SyncStatus>>,
    genesis_l2: L2BlockRef,
    genesis_l1: L1BlockRef,
}

impl View {
    /// A view that starts at the chain's genesis, as given by the rollup config.
    pub fn new(config: &RollupConfig) -> Self {
        let genesis_l2 = config.genesis_l2_ref();
        let genesis_l1 = L1BlockRef {
            hash: config.genesis.l1.hash,
            number: config.genesis.l1.number,
            ..Default::default()
        };
        let mut status = SyncStatus { current_l1: genesis_l1, ..Default::default() };
        set_l2(&mut status, &Heads { unsafe_head: genesis_l2, ..Default::default() }, genesis_l2);
        Self { tx: Arc::new(watch::channel(status).0), genesis_l2, genesis_l1 }
    }

    /// A receiver of every change, for the RPC server.
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.tx.subscribe()
    }

    /// The current status.
    pub fn get(&self) -> SyncStatus {
        *self.tx.borrow()
    }

    /// The genesis L2 block from the rollup config.
    pub fn genesis_l2(&self) -> L2BlockRef {
        self.genesis_l2
    }

    /// Publishes the heads the engine applied. Unset labels read as genesis: op-batcher refuses
    /// zero refs.
    pub fn set_l2(&self, heads: &Heads) {
        let genesis = self.genesis_l2;
        self.tx.send_if_modified(|s| {
            let before = *s;
            set_l2(s, heads, genesis);
            *s != before
        });
    }

    /// Publishes `current_l1` unless it would move backwards; returns whether it moved.
    pub fn advance_current_l1(&self, current_l1: L1BlockRef) -> bool {
        self.tx.send_if_modified(|s| {
            let moves = s.current_l1 == self.genesis_l1 && current_l1.number >= s.current_l1.number
                || current_l1.number > s.current_l1.number;
            if moves {
                s.current_l1 = current_l1;
            }
            moves
        })
    }

    /// Publishes L1's head, safe and finalized blocks; unknown ones keep their old value.
    pub fn set_l1(&self, l1: &L1Heads) {
        self.tx.send_if_modified(|s| {
            let before = *s;
            if let Some(head) = l1.head {
                s.head_l1 = head;
            }
            if let Some(safe) = l1.safe {
                s.safe_l1 = safe;
            }
            if let Some(finalized) = l1.finalized {
                s.finalized_l1 = finalized;
                s.current_l1_finalized = finalized;
            }
            *s != before
        });
    }
}

fn set_l2(s: &mut SyncStatus, heads: &Heads, genesis: L2BlockRef) {
    let known = |r: Option<L2BlockRef>| r.filter(|r| !r.is_unknown()).unwrap_or(genesis);
    s.unsafe_l2 = known(Some(heads.unsafe_head));
    s.cross_unsafe_l2 = s.unsafe_l2;
    s.safe_l2 = known(heads.safe);
    s.local_safe_l2 = s.safe_l2;
    s.pending_safe_l2 = s.safe_l2;
    s.finalized_l2 = known(heads.finalized);
}
