//! Several follow sources (book: "Several sources"). Each tick asks every source at once under
//! one deadline and checks each answer on its own (coherence, L1, what we applied); a source that
//! fails is skipped for the tick and counted. The quorum ([`quorum`](super::quorum)) then picks
//! the heads K of the rest vouch for, after asking them by number where that can add a voucher.

use super::{
    decide::{self, L1Refs, L1Verdict, Prior, Rejection},
    quorum::{self, Agreement, Answer, Lookups},
    FollowTask, Skipped,
};
use crate::{
    metrics,
    source::{FollowSource, SourceEl, L1},
    Chain,
};
use alloy_primitives::B256;
use light_cl_protocol::{BlockID, FollowInfo, L2BlockRef, SyncStatus};
use light_cl_rpc::CappedError;
use std::collections::HashMap;
use tokio::time::{timeout_at, Instant};
use tracing::{debug, error, info, warn};

/// Most follow sources of one node.
pub const MAX_SOURCES: usize = 8;

/// The follow sources of a task and how many must vouch for a head.
#[derive(Debug)]
pub struct Sources<S> {
    pub(super) slots: Vec<Slot<S>>,
    pub(super) quorum: usize,
}

/// One source and what the task knows of it.
#[derive(Debug)]
pub(super) struct Slot<S> {
    pub(super) source: S,
    /// Found on a cycle of the follow graph: no updates are taken from it.
    pub(super) on_cycle: bool,
    /// Whether its last answer was usable (for logging changes only; `true` at start).
    pub(super) up: bool,
    /// Its follow info, when it answered.
    pub(super) info: Option<FollowInfo>,
    /// Whether it vouched for the safe and the finalized head applied last.
    pub(super) vouched: (bool, bool),
}

/// Follow sources that cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SourcesError {
    /// No source at all.
    #[error("no follow source")]
    Empty,
    /// More than [`MAX_SOURCES`].
    #[error("{0} follow sources; at most {MAX_SOURCES}")]
    TooMany(usize),
    /// Without an L1 RPC, fewer than two sources or a quorum below two.
    #[error("without --rollup.l1-rpc, the sources' agreement replaces the L1 checks: it needs at least two sources and a quorum of at least two (got {sources} sources, quorum {quorum})")]
    WithoutL1 {
        /// The quorum.
        quorum: usize,
        /// The number of sources.
        sources: usize,
    },
    /// A quorum of zero, or above the number of sources.
    #[error("a follow quorum of {quorum} cannot be reached with {sources} sources")]
    Quorum {
        /// The quorum asked for.
        quorum: usize,
        /// The number of sources.
        sources: usize,
    },
}

impl<S> Sources<S> {
    /// `sources`, of which `quorum` must vouch for a safe or finalized head.
    pub fn new(sources: Vec<S>, quorum: usize) -> Result<Self, SourcesError> {
        match sources.len() {
            0 => return Err(SourcesError::Empty),
            n if n > MAX_SOURCES => return Err(SourcesError::TooMany(n)),
            n if quorum == 0 || quorum > n => {
                return Err(SourcesError::Quorum { quorum, sources: n })
            }
            _ => {}
        }
        let slots = sources
            .into_iter()
            .map(|source| Slot {
                source,
                on_cycle: false,
                up: true,
                info: None,
                vouched: (false, false),
            })
            .collect();
        Ok(Self { slots, quorum })
    }

    /// Checks that these sources may stand in for L1: at least two, and a quorum of at least
    /// two (one source alone would move the node unchecked).
    pub fn check_without_l1(&self) -> Result<(), SourcesError> {
        if self.quorum < 2 {
            return Err(SourcesError::WithoutL1 { quorum: self.quorum, sources: self.len() });
        }
        Ok(())
    }

    /// How many sources there are.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Always `false`: there is at least one source.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many must vouch for a head.
    pub fn quorum(&self) -> usize {
        self.quorum
    }
}

impl<S> From<S> for Sources<S> {
    /// One source, its own quorum.
    fn from(source: S) -> Self {
        Self::new(vec![source], 1).expect("one source, quorum 1")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_that_cannot_run_are_refused() {
        assert_eq!(Sources::<u8>::new(vec![], 1).unwrap_err(), SourcesError::Empty);
        assert_eq!(Sources::new(vec![0u8; 9], 1).unwrap_err(), SourcesError::TooMany(9));
        let quorum = |q| Sources::new(vec![0u8; 3], q).map(|s| s.quorum());
        assert_eq!(quorum(0), Err(SourcesError::Quorum { quorum: 0, sources: 3 }));
        assert_eq!(quorum(4), Err(SourcesError::Quorum { quorum: 4, sources: 3 }));
        assert_eq!(quorum(3), Ok(3));
        // Without L1: two sources and a quorum of two at least.
        assert!(Sources::from(0u8).check_without_l1().is_err());
        assert!(Sources::new(vec![0u8; 3], 1).unwrap().check_without_l1().is_err());
        assert!(Sources::new(vec![0u8; 2], 2).unwrap().check_without_l1().is_ok());
    }
}

/// Why one source's answer is not used this tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Fault {
    /// It did not answer, or not within the deadline, or answered nonsense.
    Fetch(CappedError),
    /// It names an L1 block above our L1's head.
    L1Behind(u64),
    /// Its answer is incoherent, contradicts L1 or what we applied.
    Refused(Rejection),
    /// This node is on its chain of sources.
    OnCycle,
}

impl Fault {
    fn reason(&self) -> &'static str {
        match self {
            Self::Fetch(e) => e.kind(),
            Self::L1Behind(_) => "l1_behind",
            Self::Refused(r) => r.reason(),
            Self::OnCycle => "on_cycle",
        }
    }
}

impl<S: FollowSource, L: L1, C: Chain, E: SourceEl> FollowTask<S, L, C, E> {
    /// Asks every source, checks each answer, and returns the status K sources agree on (its
    /// refs all checked against L1). With one source its fault is the tick's, as it always was.
    pub(super) async fn poll_sources(
        &mut self,
        prior: &Prior,
    ) -> Result<Result<SyncStatus, Rejection>, Skipped> {
        let allowed = self.config.source_deadline;
        let deadline = Instant::now() + allowed;
        let asked = self.sources.slots.iter().enumerate().filter(|(_, s)| !s.on_cycle).map(
            |(index, slot)| async move {
                let started = Instant::now();
                let answer = match timeout_at(deadline, slot.source.sync_status()).await {
                    Ok(answer) => answer,
                    Err(_) => Err(CappedError::Timeout(allowed)),
                };
                (index, answer, started.elapsed())
            },
        );
        let fetched = futures::future::join_all(asked).await;
        let mut memo = HashMap::new();
        let mut answers = Vec::new();
        let mut faults: Vec<(usize, Fault)> = (0..self.sources.len())
            .filter(|&i| self.sources.slots[i].on_cycle)
            .map(|i| (i, Fault::OnCycle))
            .collect();
        for (index, answer, elapsed) in fetched {
            metrics::source_latency(index, elapsed);
            let checked = match answer {
                Ok(status) => self.check(index, status, prior, &mut memo).await?,
                Err(e) => Err(Fault::Fetch(e)),
            };
            match checked {
                Ok(status) => answers.push(Answer { index, status }),
                Err(fault) => faults.push((index, fault)),
            }
        }
        for (index, fault) in &faults {
            self.source_down(*index, fault);
        }
        for a in &answers {
            self.source_up(a.index, &a.status);
        }
        if self.sources.len() == 1 {
            if let Some((_, fault)) = faults.pop() {
                return match fault {
                    Fault::Fetch(e) => Err(Skipped::Source(e)),
                    Fault::L1Behind(number) => Err(Skipped::L1Behind { number }),
                    Fault::Refused(r) => Ok(Err(r)),
                    Fault::OnCycle => Err(Skipped::NoSource { asked: 1 }),
                };
            }
        }
        if answers.is_empty() {
            return Err(Skipped::NoSource { asked: self.sources.len() });
        }
        let lookups = if answers.len() > 1 { self.look_up(&answers).await } else { Lookups::new() };
        let agreement = quorum::agree(&answers, &lookups, self.sources.quorum);
        self.record(&agreement);
        let mut status = SyncStatus {
            unsafe_l2: agreement.unsafe_head.as_ref().map(|a| a.block).unwrap_or_default(),
            safe_l2: agreement.safe.as_ref().map(|a| a.block).unwrap_or_default(),
            finalized_l2: agreement.finalized.as_ref().map(|a| a.block).unwrap_or_default(),
            current_l1: agreement.current_l1.unwrap_or_default(),
            ..Default::default()
        };
        if !self.l1.is_present() {
            // Nothing checks the K-th source's `current_l1` hash: K must report it identically.
            let k = self.sources.quorum;
            status.current_l1 =
                quorum::agreed_l1(&answers, k, |s| s.current_l1).unwrap_or_default();
            status.head_l1 = quorum::agreed_l1(&answers, k, |s| s.head_l1).unwrap_or_default();
            status.safe_l1 = quorum::agreed_l1(&answers, k, |s| s.safe_l1).unwrap_or_default();
            status.finalized_l1 =
                quorum::agreed_l1(&answers, k, |s| s.finalized_l1).unwrap_or_default();
        }
        Ok(Ok(status))
    }

    /// One source's answer on its own: its refs canonical on L1, coherent, and fitting what we
    /// applied; for the source the source EL belongs to, its safe head there.
    async fn check(
        &self,
        index: usize,
        status: SyncStatus,
        prior: &Prior,
        memo: &mut HashMap<BlockID, bool>,
    ) -> Result<Result<SyncStatus, Fault>, Skipped> {
        let refs = L1Refs::of(&status);
        let mut verdict = L1Verdict::default();
        for (slot, id) in [
            (&mut verdict.safe_origin, refs.safe_origin),
            (&mut verdict.finalized_origin, refs.finalized_origin),
            (&mut verdict.current_l1, refs.current_l1),
        ] {
            *slot = match id.and_then(|id| memo.get(&id).copied()) {
                Some(known) => known,
                None => match self.is_canonical_l1(id).await {
                    Ok(canonical) => {
                        if let Some(id) = id {
                            memo.insert(id, canonical);
                        }
                        canonical
                    }
                    Err(Skipped::L1Behind { number }) => return Ok(Err(Fault::L1Behind(number))),
                    Err(e) => return Err(e),
                },
            };
        }
        if let Err(r) = decide::validate(&status, &refs, &verdict, prior) {
            return Ok(Err(Fault::Refused(r)));
        }
        let safe = status.safe_l2;
        if index == self.source_el_index && self.source_el.is_configured() && !safe.is_unknown() {
            // Another block there: the answer came from another replica than its EL's chain.
            if let Ok(Some(b)) = self.source_el.header_by_number(safe.number).await {
                if b.hash != safe.hash {
                    return Ok(Err(Fault::Refused(Rejection::SafeNotOnSourceEl(safe.id()))));
                }
            }
        }
        Ok(Ok(status))
    }

    /// Asks each source by number where that can add a voucher, under one deadline.
    async fn look_up(&self, answers: &[Answer]) -> Lookups {
        let deadline = Instant::now() + self.config.source_deadline;
        let asked = quorum::lookups_needed(answers).into_iter().map(|(index, number)| async move {
            let block = timeout_at(deadline, self.block_at(index, number)).await.ok().flatten();
            ((index, number), block)
        });
        futures::future::join_all(asked)
            .await
            .into_iter()
            .filter_map(|(key, block)| Some((key, block?)))
            .collect()
    }

    /// The whole ref of the block at `number` on source `index`'s chain, when it can tell: a
    /// rollup node's `optimism_outputAtBlock`, an execution source's block (its L1 origin read
    /// from its L1 info deposit).
    async fn block_at(&self, index: usize, number: u64) -> Option<L2BlockRef> {
        let block = self.sources.slots[index].source.block_ref_at(number).await.ok();
        block.filter(|b| b.number == number)
    }

    /// The block at `number` that at least K sources hold, asked by number; `None` when they
    /// cannot tell or do not agree.
    pub(super) async fn agreed_hash_at(&self, number: u64) -> Option<B256> {
        let deadline = Instant::now() + self.config.source_deadline;
        let asked = (0..self.sources.len()).filter(|&i| !self.sources.slots[i].on_cycle).map(
            |index| async move {
                let block = timeout_at(deadline, self.block_at(index, number)).await;
                block.ok().flatten().map(|b| b.hash)
            },
        );
        let mut counts: HashMap<B256, usize> = HashMap::new();
        for hash in futures::future::join_all(asked).await.into_iter().flatten() {
            *counts.entry(hash).or_default() += 1;
        }
        match counts.len() {
            1 => counts.into_iter().find(|&(_, n)| n >= self.sources.quorum).map(|(h, _)| h),
            _ => None,
        }
    }

    /// Keeps who vouched, counts it, and raises the alerts.
    fn record(&mut self, agreement: &Agreement) {
        let vouched = |a: &Option<quorum::Agreed>, i: usize| {
            a.as_ref().is_some_and(|a| a.vouchers.contains(&i))
        };
        for (i, slot) in self.sources.slots.iter_mut().enumerate() {
            slot.vouched = (vouched(&agreement.safe, i), vouched(&agreement.finalized, i));
            if slot.vouched.0 {
                metrics::vouched(i, "safe");
            }
            if slot.vouched.1 {
                metrics::vouched(i, "finalized");
            }
        }
        metrics::quorum_reached("safe", agreement.safe.is_some());
        metrics::quorum_reached("finalized", agreement.finalized.is_some());
        for d in &agreement.disagreements {
            metrics::disagreement(d.a.0);
            metrics::disagreement(d.b.0);
            error!(target: "light_cl::follow", number = d.number, source_a = d.a.0, block_a = %d.a.1, source_b = d.b.0, block_b = %d.b.1, "ALERT: follow sources disagree on the block at this height; it is not applied");
        }
        self.publish_vouchers();
    }

    fn source_down(&mut self, index: usize, fault: &Fault) {
        metrics::source_fault(index, fault.reason());
        metrics::source_up(index, false);
        let many = self.sources.len() > 1;
        if self.sources.slots[index].up && many {
            warn!(target: "light_cl::follow", source = index, reason = fault.reason(), ?fault, "follow source skipped");
        } else {
            debug!(target: "light_cl::follow", source = index, ?fault, "follow source skipped");
        }
        self.sources.slots[index].up = false;
    }

    fn source_up(&mut self, index: usize, status: &SyncStatus) {
        metrics::source_up(index, true);
        metrics::source_safe(index, status.safe_l2.number);
        let many = self.sources.len() > 1;
        if !self.sources.slots[index].up && many {
            info!(target: "light_cl::follow", source = index, "follow source answers again");
        }
        self.sources.slots[index].up = true;
    }
}
