//! Choosing the L1 origin of the next L2 block.

use crate::L1;
use alloy_consensus::{Header, ReceiptEnvelope};
use alloy_primitives::B256;
use light_cl_protocol::{BlockID, L1BlockRef, L2BlockRef, RollupConfig};
use light_cl_rpc::{ElError, L1Client};
use std::{future::Future, sync::Arc};

/// Default sequencer confirmation depth, in L1 blocks (op-node and kona `--sequencer.l1-confs`).
pub const DEFAULT_SEQUENCER_CONF_DEPTH: u64 = 4;

/// What the sequencer reads from L1: the follow task's [`L1`] (block refs by number and hash)
/// plus the head alone, full headers and receipts.
pub trait SequencerL1: L1 {
    /// The L1 head, if the node has one.
    fn head(&self) -> impl Future<Output = Result<Option<L1BlockRef>, ElError>> + Send;

    /// The full header of the L1 block with `hash` (base fee, excess blob gas, mix hash, parent
    /// beacon root), if known.
    fn header_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<Header>, ElError>> + Send;

    /// All receipts of the L1 block with `hash`, in transaction order, if known.
    fn receipts_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<Vec<ReceiptEnvelope>>, ElError>> + Send;
}

/// No L1 origin can be chosen now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// Reading L1 failed.
    #[error("L1: {0}")]
    L1(#[from] ElError),
    /// The L1 origin of the block built on is not the canonical L1 block at its number (L1
    /// reorged it out): the sequencer rewinds to a block whose origin is canonical.
    #[error("L1 origin {0:?} is not canonical on L1")]
    NotCanonical(BlockID),
    /// The L1 block after the current origin does not descend from it (an L1 reorg).
    #[error("L1 block {next:?} does not descend from the current origin {current:?}")]
    NextOriginOrphaned {
        /// The current origin.
        current: BlockID,
        /// The block found at the next number.
        next: BlockID,
    },
    /// The next L2 block is past the maximum sequencer drift and the next L1 block is not
    /// available (not yet seen, or not yet deep enough): retry later.
    #[error(
        "next L2 block at {l2_time} is past origin {origin:?} by more than the {max_drift} s drift, and the next L1 block is not available"
    )]
    DriftExceeded {
        /// Timestamp of the L2 block being built.
        l2_time: u64,
        /// The current origin.
        origin: BlockID,
        /// The drift in force.
        max_drift: u64,
    },
    /// The current origin's number is `u64::MAX`: there is no next L1 block number.
    #[error("L1 block number after origin {0:?} overflows")]
    NumberOverflow(BlockID),
}

/// Chooses the L1 origin of each next L2 block (op-node `FindL1Origin`, kona
/// `L1OriginSelector`).
///
/// With `t` the next L2 block's timestamp: the next L1 block becomes the origin once
/// `t >= next.timestamp`; otherwise the current origin stays while `t - current.timestamp` is
/// within the maximum sequencer drift (the rollup config's before Fjord, 1800 s from Fjord), and
/// past the drift only while the next L1 block is newer than `t`. Past the drift with no next L1
/// block it is an error ([`OriginError::DriftExceeded`]), not a guess. The next L1 block must
/// descend from the current origin and, by number, be at least `conf_depth` blocks below the L1
/// head (an unknown head or a depth of 0 disables the delay). Within the drift a failed read of
/// the next block keeps the current origin, as op-node does.
///
/// Both the current origin and the next block are read by number for every block, so an L1
/// reorg is seen at the next build ([`OriginError::NotCanonical`]). While L1 does not answer,
/// an origin that was last seen canonical is kept within the drift.
#[derive(Debug)]
pub struct L1OriginSelector<S> {
    l1: S,
    config: Arc<RollupConfig>,
    conf_depth: u64,
    /// The last current origin read as canonical.
    verified: Option<L1BlockRef>,
}

impl<S: SequencerL1> L1OriginSelector<S> {
    /// A selector reading `l1`, with confirmation depth `conf_depth`
    /// ([`DEFAULT_SEQUENCER_CONF_DEPTH`] by default).
    pub fn new(l1: S, config: Arc<RollupConfig>, conf_depth: u64) -> Self {
        Self { l1, config, conf_depth, verified: None }
    }

    /// The L1 reader.
    pub fn l1(&self) -> &S {
        &self.l1
    }

    /// The L1 origin for the L2 block built on `head`.
    pub async fn next_origin(&mut self, head: &L2BlockRef) -> Result<L1BlockRef, OriginError> {
        let t = head.timestamp.saturating_add(self.config.block_time);
        let config = self.config.clone();
        let past_drift = |origin: &L1BlockRef| {
            t.saturating_sub(origin.timestamp) > config.max_sequencer_drift(origin.timestamp)
        };
        let want = head.l1_origin;
        let current = match self.canonical(want).await {
            Ok(Some(current)) => {
                self.verified = Some(current);
                current
            }
            Ok(None) => return Err(OriginError::NotCanonical(want)),
            Err(e) => match self.verified.filter(|v| v.hash == want.hash && !past_drift(v)) {
                Some(verified) => {
                    tracing::warn!(target: "light_cl::sequencer", err = %e, "L1 unavailable: keeping the origin last seen canonical");
                    verified
                }
                None => return Err(e),
            },
        };
        let max_drift = config.max_sequencer_drift(current.timestamp);
        let past_drift = past_drift(&current);

        let next = match self.fetch_next(&current).await {
            Ok(n) => n,
            Err(OriginError::L1(e)) if !past_drift => {
                tracing::warn!(target: "light_cl::sequencer", err = %e, "next L1 origin unavailable, keeping the current one");
                None
            }
            Err(e) => return Err(e),
        };
        match next {
            Some(n) if t >= n.timestamp => Ok(n),
            _ if !past_drift => Ok(current),
            Some(_) => Ok(current),
            None => Err(OriginError::DriftExceeded { l2_time: t, origin: current.id(), max_drift }),
        }
    }

    /// The L1 block `id` if it is the canonical block at its number.
    pub async fn canonical(&self, id: BlockID) -> Result<Option<L1BlockRef>, OriginError> {
        let found = self.l1.block_ref_by_number(id.number).await?;
        Ok(found.filter(|b| b.hash == id.hash))
    }

    /// The L1 block after `current`, once confirmed deep enough; checked to descend from it.
    async fn fetch_next(&self, current: &L1BlockRef) -> Result<Option<L1BlockRef>, OriginError> {
        let number =
            current.number.checked_add(1).ok_or(OriginError::NumberOverflow(current.id()))?;
        if self.conf_depth > 0 {
            if let Some(head) = self.l1.head().await? {
                if number.saturating_add(self.conf_depth) > head.number {
                    return Ok(None);
                }
            }
        }
        let Some(next) = self.l1.block_ref_by_number(number).await? else { return Ok(None) };
        if next.parent_hash != current.hash {
            return Err(OriginError::NextOriginOrphaned { current: current.id(), next: next.id() });
        }
        Ok(Some(next))
    }
}

impl SequencerL1 for L1Client {
    fn head(&self) -> impl Future<Output = Result<Option<L1BlockRef>, ElError>> + Send {
        self.block_ref_by_tag(alloy_eips::BlockNumberOrTag::Latest)
    }

    fn header_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<Header>, ElError>> + Send {
        L1Client::header_by_hash(self, hash)
    }

    fn receipts_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<Vec<ReceiptEnvelope>>, ElError>> + Send {
        L1Client::receipts_by_hash(self, hash)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    };

    /// An in-memory L1: a chain of blocks 100.. with 12 s slots, and optional headers/receipts.
    #[derive(Default)]
    pub(crate) struct FakeL1 {
        pub(crate) blocks: Mutex<Vec<L1BlockRef>>,
        pub(crate) head: Mutex<Option<u64>>,
        pub(crate) headers: Mutex<Vec<Header>>,
        pub(crate) receipts: Mutex<Vec<(B256, Vec<ReceiptEnvelope>)>>,
        pub(crate) fail: Mutex<bool>,
        pub(crate) by_hash_calls: AtomicUsize,
    }

    pub(crate) fn l1_block(number: u64, parent_hash: B256) -> L1BlockRef {
        L1BlockRef {
            hash: B256::with_last_byte(number as u8) ^ B256::repeat_byte(0x10),
            number,
            parent_hash,
            timestamp: 1_000_000 + (number - 100) * 12,
        }
    }

    impl FakeL1 {
        pub(crate) fn chain(len: u64) -> Self {
            let mut blocks = vec![l1_block(100, B256::ZERO)];
            for n in 101..100 + len {
                let parent = blocks.last().unwrap().hash;
                blocks.push(l1_block(n, parent));
            }
            let head = blocks.last().map(|b| b.number);
            Self { blocks: Mutex::new(blocks), head: Mutex::new(head), ..Default::default() }
        }
        fn check(&self) -> Result<(), ElError> {
            if *self.fail.lock().unwrap() {
                return Err(ElError::Rpc("connection refused".into()));
            }
            Ok(())
        }
        pub(crate) fn get(&self, number: u64) -> L1BlockRef {
            *self.blocks.lock().unwrap().iter().find(|b| b.number == number).unwrap()
        }
    }

    impl L1 for FakeL1 {
        async fn block_ref_by_number(&self, n: u64) -> Result<Option<L1BlockRef>, ElError> {
            self.check()?;
            Ok(self.blocks.lock().unwrap().iter().find(|b| b.number == n).copied())
        }
        async fn block_ref_by_hash(&self, h: B256) -> Result<Option<L1BlockRef>, ElError> {
            self.check()?;
            self.by_hash_calls.fetch_add(1, Ordering::SeqCst);
            Ok(self.blocks.lock().unwrap().iter().find(|b| b.hash == h).copied())
        }
        async fn heads(&self) -> Result<crate::L1Heads, ElError> {
            Ok(crate::L1Heads { head: self.head().await?, ..Default::default() })
        }
    }

    impl SequencerL1 for FakeL1 {
        async fn head(&self) -> Result<Option<L1BlockRef>, ElError> {
            self.check()?;
            let head = *self.head.lock().unwrap();
            Ok(head
                .and_then(|n| self.blocks.lock().unwrap().iter().find(|b| b.number == n).copied()))
        }
        async fn header_by_hash(&self, h: B256) -> Result<Option<Header>, ElError> {
            self.check()?;
            Ok(self.headers.lock().unwrap().iter().find(|x| x.hash_slow() == h).cloned())
        }
        async fn receipts_by_hash(&self, h: B256) -> Result<Option<Vec<ReceiptEnvelope>>, ElError> {
            self.check()?;
            Ok(self.receipts.lock().unwrap().iter().find(|(x, _)| *x == h).map(|(_, r)| r.clone()))
        }
    }

    /// OP Mainnet's rollup config with Fjord moved so that tests choose the drift.
    pub(crate) fn config(fjord: bool) -> Arc<RollupConfig> {
        let mut c = RollupConfig::from_json(include_str!(
            "../../../protocol/testdata/rollup_op-mainnet_reconstructed.json"
        ))
        .unwrap();
        c.forks.fjord_time = if fjord { Some(0) } else { None };
        Arc::new(c)
    }

    fn head_on(origin: &L1BlockRef, timestamp: u64) -> L2BlockRef {
        L2BlockRef {
            hash: B256::repeat_byte(0xee),
            number: 5000,
            parent_hash: B256::ZERO,
            timestamp,
            l1_origin: origin.id(),
            sequence_number: 3,
        }
    }

    #[tokio::test]
    async fn adopts_the_next_block_once_the_l2_time_reaches_it() {
        let l1 = FakeL1::chain(10);
        let (b100, b101) = (l1.get(100), l1.get(101));
        let mut s = L1OriginSelector::new(l1, config(true), DEFAULT_SEQUENCER_CONF_DEPTH);
        // t = head + 2 = b101.timestamp - 1 → stay.
        assert_eq!(s.next_origin(&head_on(&b100, b101.timestamp - 3)).await.unwrap(), b100);
        // t = b101.timestamp → move.
        assert_eq!(s.next_origin(&head_on(&b100, b101.timestamp - 2)).await.unwrap(), b101);
        // The head moves onto 101. Origins are read by number only (L1 serves a reorged-out
        // block by hash too).
        assert_eq!(s.next_origin(&head_on(&b101, b101.timestamp)).await.unwrap(), b101);
        assert_eq!(s.l1().by_hash_calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_origin_reorged_out_of_l1_is_not_canonical() {
        let l1 = FakeL1::chain(4); // 100..=103
        let (b100, b101, b102) = (l1.get(100), l1.get(101), l1.get(102));
        let mut s = L1OriginSelector::new(l1, config(true), 0);
        assert_eq!(s.next_origin(&head_on(&b101, b102.timestamp - 2)).await.unwrap(), b102);
        // L1 replaces 101.. with another branch.
        {
            let mut blocks = s.l1().blocks.lock().unwrap();
            for b in blocks.iter_mut().skip(1) {
                b.hash ^= B256::repeat_byte(0x01);
            }
            for i in 2..blocks.len() {
                blocks[i].parent_hash = blocks[i - 1].hash;
            }
        }
        assert_eq!(
            s.next_origin(&head_on(&b101, b101.timestamp)).await,
            Err(OriginError::NotCanonical(b101.id()))
        );
        assert_eq!(s.canonical(b101.id()).await.unwrap(), None);
        assert_eq!(s.canonical(b100.id()).await.unwrap(), Some(b100));
        // On 100, the next origin is the new 101.
        let new_101 = s.l1().get(101);
        assert_ne!(new_101, b101);
        assert_eq!(s.next_origin(&head_on(&b100, b101.timestamp)).await.unwrap(), new_101);
    }

    #[tokio::test]
    async fn confirmation_depth_delays_the_next_block() {
        let l1 = FakeL1::chain(5); // 100..=104, head 104
        let (b100, b101) = (l1.get(100), l1.get(101));
        *l1.head.lock().unwrap() = Some(104);
        let far = head_on(&b100, b101.timestamp + 100);
        // 101 + 4 > 104: not confirmed, so the current origin stays (within drift).
        let mut s = L1OriginSelector::new(l1, config(true), 4);
        assert_eq!(s.next_origin(&far).await.unwrap(), b100);
        // Depth 3 (101 + 3 <= 104): confirmed.
        let mut s = L1OriginSelector::new(FakeL1::chain(5), config(true), 3);
        assert_eq!(s.next_origin(&far).await.unwrap(), b101);
        // Unknown L1 head disables the delay.
        let l1 = FakeL1::chain(5);
        *l1.head.lock().unwrap() = None;
        let mut s = L1OriginSelector::new(l1, config(true), 4);
        assert_eq!(s.next_origin(&far).await.unwrap(), b101);
    }

    #[tokio::test]
    async fn drift_rules_before_and_from_fjord() {
        let l1 = FakeL1::chain(2);
        let b100 = l1.get(100);
        // Only block 100 is known. Pre-Fjord drift is the config's 600 s.
        l1.blocks.lock().unwrap().truncate(1);
        let mut s = L1OriginSelector::new(l1, config(false), 0);
        assert_eq!(s.next_origin(&head_on(&b100, b100.timestamp + 598)).await.unwrap(), b100);
        let err = s.next_origin(&head_on(&b100, b100.timestamp + 599)).await.unwrap_err();
        assert_eq!(
            err,
            OriginError::DriftExceeded {
                l2_time: b100.timestamp + 601,
                origin: b100.id(),
                max_drift: 600
            }
        );
        // From Fjord, 1800 s.
        let l1 = FakeL1::chain(1);
        let mut s = L1OriginSelector::new(l1, config(true), 0);
        assert_eq!(s.next_origin(&head_on(&b100, b100.timestamp + 1798)).await.unwrap(), b100);
        assert!(matches!(
            s.next_origin(&head_on(&b100, b100.timestamp + 1799)).await,
            Err(OriginError::DriftExceeded { max_drift: 1800, .. })
        ));
    }

    #[tokio::test]
    async fn past_the_drift_keeps_current_while_next_is_newer() {
        let l1 = FakeL1::chain(2);
        let b100 = l1.get(100);
        // Make 101 far in the future (a long L1 gap).
        l1.blocks.lock().unwrap()[1].timestamp = b100.timestamp + 5000;
        let mut s = L1OriginSelector::new(l1, config(true), 0);
        let h = head_on(&b100, b100.timestamp + 2000);
        assert_eq!(s.next_origin(&h).await.unwrap(), b100);
    }

    #[tokio::test]
    async fn l1_errors_orphans_and_missing_origins() {
        // Within the drift a failed read keeps the current origin; past it, it is an error.
        let l1 = FakeL1::chain(3);
        let b100 = l1.get(100);
        let mut s = L1OriginSelector::new(l1, config(true), 0);
        assert_eq!(s.next_origin(&head_on(&b100, b100.timestamp)).await.unwrap(), b100);
        *s.l1().fail.lock().unwrap() = true;
        assert_eq!(
            s.next_origin(&head_on(&b100, b100.timestamp + 2)).await.unwrap(),
            b100,
            "last seen canonical"
        );
        assert!(matches!(
            s.next_origin(&head_on(&b100, b100.timestamp + 1900)).await,
            Err(OriginError::L1(_))
        ));

        // An L1 block 101 that does not descend from 100.
        let l1 = FakeL1::chain(2);
        l1.blocks.lock().unwrap()[1].parent_hash = B256::repeat_byte(0x99);
        let b101 = l1.get(101);
        let mut s = L1OriginSelector::new(l1, config(true), 0);
        assert_eq!(
            s.next_origin(&head_on(&b100, b100.timestamp + 20)).await,
            Err(OriginError::NextOriginOrphaned { current: b100.id(), next: b101.id() })
        );

        // The head's origin is unknown to L1 (or known at another number).
        let mut s = L1OriginSelector::new(FakeL1::chain(2), config(true), 0);
        let ghost = L1BlockRef { hash: B256::repeat_byte(0x77), ..b100 };
        assert_eq!(
            s.next_origin(&head_on(&ghost, 0)).await,
            Err(OriginError::NotCanonical(ghost.id()))
        );
        let wrong_number = L1BlockRef { number: 7, ..b100 };
        assert!(matches!(
            s.next_origin(&head_on(&wrong_number, 0)).await,
            Err(OriginError::NotCanonical(_))
        ));
        // Without an origin seen canonical, a failed read is an error even within the drift.
        let mut s = L1OriginSelector::new(FakeL1::chain(2), config(true), 0);
        *s.l1().fail.lock().unwrap() = true;
        assert!(matches!(
            s.next_origin(&head_on(&b100, b100.timestamp)).await,
            Err(OriginError::L1(_))
        ));
    }

    #[tokio::test]
    async fn origin_at_the_last_block_number_is_an_error_not_an_overflow() {
        let last = L1BlockRef {
            hash: B256::repeat_byte(0x42),
            number: u64::MAX,
            parent_hash: B256::repeat_byte(0x41),
            timestamp: 1_000_000,
        };
        for depth in [0, DEFAULT_SEQUENCER_CONF_DEPTH] {
            let l1 = FakeL1 { blocks: Mutex::new(vec![last]), ..Default::default() };
            let mut s = L1OriginSelector::new(l1, config(true), depth);
            assert_eq!(
                s.next_origin(&head_on(&last, last.timestamp + 2000)).await,
                Err(OriginError::NumberOverflow(last.id()))
            );
        }
    }
}
