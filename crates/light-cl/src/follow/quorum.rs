//! The quorum of several follow sources (book: "Several sources"): the highest unsafe, safe and
//! finalized heads that at least K sources vouch for, and the heights at which sources disagree.
//! Pure: the follow task gathers the answers and the by-number lookups first.
//!
//! A source vouches for block X (of a kind) when X is its own head of that kind, or when its
//! head of that kind is above X and its chain holds X at X's number (asked by number). A height
//! at which two sources name different blocks is never applied; when both name it at or below
//! their safe heads, that is a disagreement, an alert.

use alloy_primitives::B256;
use light_cl_protocol::{L1BlockRef, L2BlockRef, SyncStatus};
use std::collections::{BTreeMap, BTreeSet};

/// One source's answer that passed the coherence and L1 checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The source's index.
    pub index: usize,
    /// Its status.
    pub status: SyncStatus,
}

/// What sources' chains hold at a number, asked by number: (source index, number) → the whole
/// ref (hash, parent, timestamp, L1 origin), so that a voucher vouches for the origin too.
pub type Lookups = BTreeMap<(usize, u64), L2BlockRef>;

/// A kind of L2 head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadKind {
    /// The chain tip.
    Unsafe,
    /// Derived from L1.
    Safe,
    /// Derived from finalized L1.
    Finalized,
}

impl HeadKind {
    const ALL: [Self; 3] = [Self::Unsafe, Self::Safe, Self::Finalized];

    /// This head of `status`, when known.
    pub fn of(self, status: &SyncStatus) -> Option<L2BlockRef> {
        match self {
            Self::Unsafe => status.unsafe_l2,
            Self::Safe => status.safe_l2,
            Self::Finalized => status.finalized_l2,
        }
        .known()
    }
}

/// A head K sources vouch for, and which sources did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreed {
    /// The block.
    pub block: L2BlockRef,
    /// The indexes of the sources that vouch for it.
    pub vouchers: Vec<usize>,
}

/// Two sources with different blocks at one height, both at or below their safe heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disagreement {
    /// The height.
    pub number: u64,
    /// One source and its block there.
    pub a: (usize, B256),
    /// Another source and its (different) block there.
    pub b: (usize, B256),
}

/// What K sources agree on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Agreement {
    /// The unsafe head (a proposal, like a single source's).
    pub unsafe_head: Option<Agreed>,
    /// The safe head.
    pub safe: Option<Agreed>,
    /// The finalized head.
    pub finalized: Option<Agreed>,
    /// The highest `current_l1` that K sources reached.
    pub current_l1: Option<L1BlockRef>,
    /// Heights at which sources disagree.
    pub disagreements: Vec<Disagreement>,
}

/// The (source, number) pairs whose answer can add a voucher: each source, at the numbers of
/// the other sources' heads below its own head of the same kind.
pub fn lookups_needed(answers: &[Answer]) -> BTreeSet<(usize, u64)> {
    let mut needed = BTreeSet::new();
    for kind in HeadKind::ALL {
        for candidate in answers.iter().filter_map(|a| kind.of(&a.status)) {
            for a in answers {
                if kind.of(&a.status).is_some_and(|h| h.number > candidate.number) {
                    needed.insert((a.index, candidate.number));
                }
            }
        }
    }
    needed
}

/// One source's word about the block at a height.
#[derive(Debug, Clone, Copy)]
struct Seen {
    index: usize,
    hash: B256,
    /// The whole ref, when the source gave one.
    block: Option<L2BlockRef>,
    /// At or below the source's safe head.
    safe: bool,
}

/// Every height some source said something about, and what.
fn heights(answers: &[Answer], lookups: &Lookups) -> BTreeMap<u64, Vec<Seen>> {
    let mut seen: BTreeMap<u64, Vec<Seen>> = BTreeMap::new();
    let safe_number = |index: usize| {
        answers
            .iter()
            .find(|a| a.index == index)
            .and_then(|a| HeadKind::Safe.of(&a.status))
            .map(|s| s.number)
    };
    for a in answers {
        let safe = safe_number(a.index);
        for kind in HeadKind::ALL {
            if let Some(h) = kind.of(&a.status) {
                let at_or_below_safe = safe.is_some_and(|s| h.number <= s);
                seen.entry(h.number).or_default().push(Seen {
                    index: a.index,
                    hash: h.hash,
                    block: Some(h),
                    safe: at_or_below_safe,
                });
            }
        }
    }
    for (&(index, number), &block) in lookups {
        let at_or_below_safe = safe_number(index).is_some_and(|s| number <= s);
        seen.entry(number).or_default().push(Seen {
            index,
            hash: block.hash,
            block: Some(block),
            safe: at_or_below_safe,
        });
    }
    seen
}

/// Whether two words about one height are about different blocks (or the same hash with
/// different refs: another L1 origin, say).
fn differ(x: &Seen, y: &Seen) -> bool {
    x.hash != y.hash || matches!((x.block, y.block), (Some(a), Some(b)) if a != b)
}

/// The heads at least `k` of `answers` vouch for (`lookups` holds what was asked by number).
pub fn agree(answers: &[Answer], lookups: &Lookups, k: usize) -> Agreement {
    let k = k.max(1);
    let heights = heights(answers, lookups);
    let mut disagreements = Vec::new();
    let mut blocked = BTreeSet::new();
    for (&number, seen) in &heights {
        for (i, x) in seen.iter().enumerate() {
            for y in &seen[i + 1..] {
                if x.index == y.index && x.hash == y.hash {
                    continue;
                }
                if differ(x, y) {
                    blocked.insert(number);
                    let known = disagreements.iter().any(|d: &Disagreement| d.number == number);
                    if x.safe && y.safe && !known {
                        disagreements.push(Disagreement {
                            number,
                            a: (x.index, x.hash),
                            b: (y.index, y.hash),
                        });
                    }
                }
            }
        }
    }
    let pick = |kind: HeadKind| {
        let mut candidates: Vec<L2BlockRef> =
            answers.iter().filter_map(|a| kind.of(&a.status)).collect();
        candidates.sort_by(|a, b| b.number.cmp(&a.number).then(a.hash.cmp(&b.hash)));
        candidates.dedup();
        candidates.into_iter().filter(|c| !blocked.contains(&c.number)).find_map(|c| {
            let vouchers: Vec<usize> = answers
                .iter()
                .filter(|a| match kind.of(&a.status) {
                    Some(h) if h == c => true,
                    Some(h) if h.number > c.number => lookups.get(&(a.index, c.number)) == Some(&c),
                    _ => false,
                })
                .map(|a| a.index)
                .collect();
            (vouchers.len() >= k).then_some(Agreed { block: c, vouchers })
        })
    };
    let finalized = pick(HeadKind::Finalized);
    let mut safe = pick(HeadKind::Safe);
    // Sources that vouch a block finalized hold it at or below their safe heads.
    if let Some(f) = &finalized {
        if safe.as_ref().is_none_or(|s| s.block.number < f.block.number) {
            safe = Some(f.clone());
        }
    }
    let mut current: Vec<L1BlockRef> =
        answers.iter().map(|a| a.status.current_l1).filter(|c| !c.is_unknown()).collect();
    current.sort_by_key(|c| std::cmp::Reverse(c.number));
    Agreement {
        unsafe_head: pick(HeadKind::Unsafe),
        safe,
        finalized,
        current_l1: current.get(k - 1).copied(),
        disagreements,
    }
}

/// The highest L1 block that at least `k` sources report identically as `field` (without an L1
/// RPC, the sources' agreement stands in for it).
pub fn agreed_l1(
    answers: &[Answer],
    k: usize,
    field: impl Fn(&SyncStatus) -> L1BlockRef,
) -> Option<L1BlockRef> {
    let mut counts: BTreeMap<(u64, B256), (usize, L1BlockRef)> = BTreeMap::new();
    for a in answers {
        let r = field(&a.status);
        if !r.is_unknown() {
            let entry = counts.entry((r.number, r.hash)).or_insert((0, r));
            if entry.1 == r {
                entry.0 += 1;
            }
        }
    }
    counts.into_values().rev().find(|(n, _)| *n >= k.max(1)).map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use light_cl_protocol::BlockID;

    fn block(branch: u8, n: u64) -> L2BlockRef {
        L2BlockRef {
            hash: B256::with_last_byte(branch) ^ B256::left_padding_from(&n.to_be_bytes()),
            number: n,
            l1_origin: BlockID { hash: B256::repeat_byte(0x11), number: n / 6 },
            ..Default::default()
        }
    }

    fn answer(index: usize, unsafe_l2: L2BlockRef, safe: L2BlockRef, fin: L2BlockRef) -> Answer {
        let status = SyncStatus {
            unsafe_l2,
            safe_l2: safe,
            finalized_l2: fin,
            current_l1: L1BlockRef {
                hash: B256::repeat_byte(index as u8 + 1),
                number: 100 + index as u64,
                ..Default::default()
            },
            ..Default::default()
        };
        Answer { index, status }
    }

    /// Lookups of `branch`'s chain for every asked pair of the given sources.
    fn lookups(answers: &[Answer], branch_of: impl Fn(usize) -> u8) -> Lookups {
        lookups_needed(answers).into_iter().map(|(i, n)| ((i, n), block(branch_of(i), n))).collect()
    }

    #[test]
    fn one_source_is_its_own_quorum() {
        let answers = [answer(0, block(0, 30), block(0, 20), block(0, 10))];
        assert!(lookups_needed(&answers).is_empty(), "nothing to ask of anyone");
        let agreed = agree(&answers, &Lookups::new(), 1);
        assert_eq!(agreed.safe.unwrap().block, block(0, 20));
        assert_eq!(agreed.finalized.unwrap().vouchers, vec![0]);
        assert_eq!(agreed.unsafe_head.unwrap().block, block(0, 30));
        assert_eq!(agreed.current_l1.unwrap().number, 100);
        assert!(agreed.disagreements.is_empty());
    }

    #[test]
    fn the_highest_head_k_sources_hold_is_applied() {
        // Three honest sources at different heights; with K = 2 the second highest safe head is
        // the highest two of them hold.
        let answers = [
            answer(0, block(0, 40), block(0, 24), block(0, 12)),
            answer(1, block(0, 38), block(0, 22), block(0, 12)),
            answer(2, block(0, 30), block(0, 18), block(0, 6)),
        ];
        let found = lookups(&answers, |_| 0);
        let agreed = agree(&answers, &found, 2);
        let safe = agreed.safe.unwrap();
        assert_eq!((safe.block, safe.vouchers), (block(0, 22), vec![0, 1]));
        assert_eq!(agreed.finalized.unwrap().vouchers, vec![0, 1]);
        assert_eq!(agreed.unsafe_head.unwrap().block, block(0, 38));
        assert_eq!(agreed.current_l1.unwrap().number, 101, "the second highest current_l1");
        // K = 3: all three hold 18.
        assert_eq!(agree(&answers, &found, 3).safe.unwrap().block, block(0, 18));
        // Without lookups, only identical reports count.
        assert_eq!(agree(&answers, &Lookups::new(), 2).safe, agree(&answers, &found, 2).finalized);
    }

    #[test]
    fn a_lying_source_is_outvoted_where_it_is_silent_and_blocks_where_it_speaks() {
        // Source 2 is on another branch from 16 on, with its safe head at 18.
        let answers = [
            answer(0, block(0, 30), block(0, 24), block(0, 10)),
            answer(1, block(0, 30), block(0, 24), block(0, 10)),
            answer(2, block(2, 20), block(2, 18), block(0, 10)),
        ];
        let found = lookups(&answers, |i| if i == 2 { 2 } else { 0 });
        let agreed = agree(&answers, &found, 2);
        assert_eq!(agreed.safe.unwrap().block, block(0, 24), "the liar is not asked above 18");
        // At 18 and 20 the honest sources hold other blocks: an alert at 18 (safe on both
        // sides), none at 20 (the liar's unsafe head).
        assert_eq!(agreed.disagreements.len(), 1);
        let d = agreed.disagreements[0];
        let mut pair = [d.a.0, d.b.0];
        pair.sort();
        assert_eq!((d.number, pair), (18, [0, 2]));
        // The liar at the honest height: that height is not applied.
        let answers = [answers[0], answers[1], answer(2, block(2, 30), block(2, 24), block(0, 10))];
        let found = lookups(&answers, |i| if i == 2 { 2 } else { 0 });
        let agreed = agree(&answers, &found, 2);
        assert_eq!(agreed.safe.unwrap().block, block(0, 10), "24 is disputed; 10 is agreed");
        assert_eq!(agreed.disagreements[0].number, 24);
        assert!(agreed.unsafe_head.is_none(), "30 is disputed too");
    }

    #[test]
    fn one_source_cannot_move_the_head_alone_when_k_is_two() {
        let answers = [
            answer(0, block(0, 50), block(0, 40), block(0, 30)),
            answer(1, block(0, 20), block(0, 10), block(0, 4)),
        ];
        // Source 1 cannot be asked by number (no lookups): nothing above its heads is agreed.
        let agreed = agree(&answers, &Lookups::new(), 2);
        assert_eq!((agreed.safe, agreed.finalized), (None, None));
        // Source 0 holds source 1's heads: those are agreed.
        let agreed = agree(&answers, &lookups(&answers, |_| 0), 2);
        assert_eq!(agreed.safe.unwrap().block, block(0, 10));
        assert_eq!(agreed.finalized.unwrap().block, block(0, 4));
    }

    #[test]
    fn same_hash_other_origin_is_a_disagreement() {
        let mut forged = block(0, 24);
        forged.l1_origin.number += 1;
        let answers = [
            answer(0, block(0, 30), block(0, 24), block(0, 10)),
            answer(1, block(0, 30), forged, block(0, 10)),
        ];
        let agreed = agree(&answers, &Lookups::new(), 1);
        assert_eq!(agreed.safe.unwrap().block, block(0, 10));
        assert_eq!(agreed.disagreements[0].number, 24);
    }

    #[test]
    fn a_forged_origin_is_not_vouched_for_by_a_source_that_holds_the_block() {
        // The liar reports a real block with another L1 origin; the honest source above it
        // holds that block with its real origin: a disagreement, not a voucher.
        let mut forged = block(0, 22);
        forged.l1_origin.number += 1;
        let answers = [
            answer(0, block(0, 30), block(0, 24), block(0, 10)),
            answer(1, block(0, 30), block(0, 20), block(0, 10)),
            answer(2, forged, forged, block(0, 10)),
        ];
        let agreed = agree(&answers, &lookups(&answers, |_| 0), 2);
        assert_eq!(agreed.safe.unwrap().block, block(0, 20));
        assert!(agreed.disagreements.iter().any(|d| d.number == 22));
    }

    #[test]
    fn finalized_agreed_above_safe_lifts_safe() {
        // Safe heads differ (33 vs 34, neither held by the other), finalized agree at 30.
        let answers = [
            answer(0, block(0, 40), block(0, 34), block(0, 30)),
            answer(1, block(0, 40), block(0, 33), block(0, 30)),
        ];
        let agreed = agree(&answers, &Lookups::new(), 2);
        assert_eq!(agreed.safe.unwrap().block, block(0, 30));
    }

    #[test]
    fn l1_refs_need_k_identical_reports() {
        let l1 = |n: u64, salt: u8| L1BlockRef {
            hash: B256::repeat_byte(salt),
            number: n,
            ..Default::default()
        };
        let with_head = |index, head| {
            let mut a = answer(index, block(0, 1), block(0, 1), block(0, 1));
            a.status.head_l1 = head;
            a
        };
        let answers = [with_head(0, l1(9, 1)), with_head(1, l1(8, 2)), with_head(2, l1(8, 2))];
        assert_eq!(agreed_l1(&answers, 2, |s| s.head_l1), Some(l1(8, 2)));
        assert_eq!(agreed_l1(&answers, 1, |s| s.head_l1), Some(l1(9, 1)));
        assert_eq!(agreed_l1(&answers, 3, |s| s.head_l1), None);
    }
}
