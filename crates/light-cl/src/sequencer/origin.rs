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
    /// The L1 origin of the unsafe head is not on L1 (reorged out): the engine needs a reset.
    #[error("L1 origin {0:?} of the unsafe head is not known on L1")]
    CurrentOriginMissing(BlockID),
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
/// head (lookups by hash are not delayed; an unknown head or a depth of 0 disables the delay).
/// Within the drift a failed read of the next block keeps the current origin, as op-node does.
#[derive(Debug)]
pub struct L1OriginSelector<S> {
    l1: S,
    config: Arc<RollupConfig>,
    conf_depth: u64,
    current: Option<L1BlockRef>,
    next: Option<L1BlockRef>,
}

impl<S: SequencerL1> L1OriginSelector<S> {
    /// A selector reading `l1`, with confirmation depth `conf_depth`
    /// ([`DEFAULT_SEQUENCER_CONF_DEPTH`] by default).
    pub fn new(l1: S, config: Arc<RollupConfig>, conf_depth: u64) -> Self {
        Self { l1, config, conf_depth, current: None, next: None }
    }

    /// The L1 reader.
    pub fn l1(&self) -> &S {
        &self.l1
    }

    /// The L1 origin for the L2 block built on `head`.
    pub async fn next_origin(&mut self, head: &L2BlockRef) -> Result<L1BlockRef, OriginError> {
        let current = self.current_origin(head).await?;
        if self.next.is_some_and(|n| {
            Some(n.number) != current.number.checked_add(1) || n.parent_hash != current.hash
        }) {
            self.next = None;
        }
        let t = head.timestamp.saturating_add(self.config.block_time);
        let max_drift = self.config.max_sequencer_drift(current.timestamp);
        let past_drift = t.saturating_sub(current.timestamp) > max_drift;

        let next = match self.next {
            Some(n) => Some(n),
            None => match self.fetch_next(&current).await {
                Ok(n) => n,
                Err(OriginError::L1(e)) if !past_drift => {
                    tracing::warn!(target: "light_cl::sequencer", err = %e, "next L1 origin unavailable, keeping the current one");
                    None
                }
                Err(e) => return Err(e),
            },
        };
        self.next = next;
        match next {
            Some(n) if t >= n.timestamp => Ok(n),
            _ if !past_drift => Ok(current),
            Some(_) => Ok(current),
            None => Err(OriginError::DriftExceeded { l2_time: t, origin: current.id(), max_drift }),
        }
    }

    /// The origin of `head`, from the cache (shifting onto the cached next block) or by hash.
    async fn current_origin(&mut self, head: &L2BlockRef) -> Result<L1BlockRef, OriginError> {
        let want = head.l1_origin;
        if let Some(c) = self.current.filter(|c| c.hash == want.hash) {
            return Ok(c);
        }
        if let Some(n) = self.next.filter(|n| n.hash == want.hash) {
            self.current = Some(n);
            self.next = None;
            return Ok(n);
        }
        self.next = None;
        let found = self.l1.block_ref_by_hash(want.hash).await?;
        let current = found
            .filter(|c| c.number == want.number)
            .ok_or(OriginError::CurrentOriginMissing(want))?;
        self.current = Some(current);
        Ok(current)
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
        // The head moves onto 101: the cache shifts, no lookup by hash.
        let calls = s.l1().by_hash_calls.load(Ordering::SeqCst);
        assert_eq!(s.next_origin(&head_on(&b101, b101.timestamp)).await.unwrap(), b101);
        assert_eq!(s.l1().by_hash_calls.load(Ordering::SeqCst), calls);
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
            "cached"
        );
        s.next = None;
        assert_eq!(s.next_origin(&head_on(&b100, b100.timestamp + 2)).await.unwrap(), b100);
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
            Err(OriginError::CurrentOriginMissing(ghost.id()))
        );
        let wrong_number = L1BlockRef { number: 7, ..b100 };
        assert!(matches!(
            s.next_origin(&head_on(&wrong_number, 0)).await,
            Err(OriginError::CurrentOriginMissing(_))
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
