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
        Self { tx: Arc::new(watch::channel(status).0), genesis_l2 }
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

    /// Publishes `current_l1` unless it would move backwards (the same number with another hash,
    /// after an L1 reorg, is taken); returns whether it moved.
    pub fn advance_current_l1(&self, current_l1: L1BlockRef) -> bool {
        self.tx.send_if_modified(|s| {
            let moves = current_l1.number >= s.current_l1.number && current_l1 != s.current_l1;
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, B256};
    use light_cl_protocol::{BlockID, ChainGenesis, ForkTimes};

    fn config() -> RollupConfig {
        RollupConfig {
            genesis: ChainGenesis {
                l1: BlockID { hash: B256::repeat_byte(1), number: 100 },
                l2: BlockID { hash: B256::repeat_byte(2), number: 0 },
                l2_time: 5000,
                system_config: None,
            },
            block_time: 2,
            max_sequencer_drift: 600,
            seq_window_size: 3600,
            channel_timeout: 300,
            l1_chain_id: 1,
            l2_chain_id: 10,
            forks: ForkTimes::default(),
            batch_inbox_address: Address::ZERO,
            deposit_contract_address: Address::ZERO,
            l1_system_config_address: Address::ZERO,
            protocol_versions_address: None,
            other: Default::default(),
        }
    }

    fn l1(n: u64, salt: u8) -> L1BlockRef {
        L1BlockRef { hash: B256::repeat_byte(salt), number: n, ..Default::default() }
    }

    #[test]
    fn starts_at_genesis_never_zero() {
        let view = View::new(&config());
        let s = view.get();
        for r in [s.unsafe_l2, s.safe_l2, s.finalized_l2, s.local_safe_l2, s.cross_unsafe_l2] {
            assert_eq!(r.hash, B256::repeat_byte(2));
            assert_eq!(r.l1_origin.number, 100);
        }
        assert_eq!(s.current_l1.id(), BlockID { hash: B256::repeat_byte(1), number: 100 });
        // Unknown labels and a zero head read as genesis too.
        view.set_l2(&Heads::default());
        assert_eq!(view.get().unsafe_l2.hash, B256::repeat_byte(2));
    }

    #[test]
    fn current_l1_never_moves_back() {
        let view = View::new(&config());
        let mut rx = view.subscribe();
        assert!(view.advance_current_l1(l1(105, 9)));
        assert!(rx.has_changed().unwrap());
        rx.mark_unchanged();
        assert!(!view.advance_current_l1(l1(104, 8)));
        assert!(!view.advance_current_l1(l1(105, 9)));
        assert!(!rx.has_changed().unwrap(), "no change, no notification");
        assert!(view.advance_current_l1(l1(105, 7)), "same height after an L1 reorg");
        assert_eq!(view.get().current_l1, l1(105, 7));
    }

    #[test]
    fn l1_heads_keep_old_values_when_unknown() {
        let view = View::new(&config());
        view.set_l1(&L1Heads {
            head: Some(l1(120, 3)),
            safe: Some(l1(110, 4)),
            finalized: Some(l1(101, 5)),
        });
        view.set_l1(&L1Heads { head: Some(l1(121, 6)), safe: None, finalized: None });
        let s = view.get();
        assert_eq!((s.head_l1, s.safe_l1, s.finalized_l1), (l1(121, 6), l1(110, 4), l1(101, 5)));
        assert_eq!(s.current_l1_finalized, s.finalized_l1);
    }
}
