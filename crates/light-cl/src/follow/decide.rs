//! The pure decision of one follow tick (book: "The follow algorithm", steps 2 and 3).
//!
//! [`validate`] checks the source's status against canonical L1 and what we already applied;
//! [`decide`] compares its safe head with the local chain and says what the engine owner should
//! aim for. Neither does I/O: the follow task gathers the answers first.

use crate::Heads;
use light_cl_protocol::{BlockID, L1BlockRef, L2BlockRef, SyncStatus};

/// The L1 refs of a status that must be canonical for it to be used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct L1Refs {
    /// L1 origin of the safe head, when the safe head is known.
    pub safe_origin: Option<BlockID>,
    /// L1 origin of the finalized head, when known.
    pub finalized_origin: Option<BlockID>,
    /// `current_l1`, when non-zero.
    pub current_l1: Option<BlockID>,
}

impl L1Refs {
    /// The refs of `status` to look up on L1.
    pub fn of(status: &SyncStatus) -> Self {
        Self {
            safe_origin: status.safe_l2.known().map(|s| s.l1_origin),
            finalized_origin: status.finalized_l2.known().map(|f| f.l1_origin),
            current_l1: status.current_l1.known().map(|c| c.id()),
        }
    }
}

/// What canonical L1 said of each of [`L1Refs`]: `true` where L1 has that hash at that number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct L1Verdict {
    /// The safe head's L1 origin is canonical.
    pub safe_origin: bool,
    /// The finalized head's L1 origin is canonical.
    pub finalized_origin: bool,
    /// `current_l1` is canonical.
    pub current_l1: bool,
}

/// What we applied before this tick, for the per-field checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prior {
    /// Local finalized head.
    pub finalized: Option<L2BlockRef>,
    /// Published `current_l1`.
    pub current_l1: Option<L1BlockRef>,
}

/// A status that passed validation: the fields to act on (`None`: unknown or dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    /// The source's safe head.
    pub safe: Option<L2BlockRef>,
    /// The source's finalized head, when it moves ours forward.
    pub finalized: Option<L2BlockRef>,
    /// The source's `current_l1`, when it moves ours forward.
    pub current_l1: Option<L1BlockRef>,
    /// The source's unsafe head (a proposal only).
    pub unsafe_head: Option<L2BlockRef>,
    /// Fields that were dropped, with why.
    pub dropped: Vec<Dropped>,
}

/// A field of an otherwise valid update that is not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// The source reports a zero (unknown) finalized head.
    FinalizedUnknown,
    /// The finalized head would move backwards.
    FinalizedBackwards {
        /// Ours.
        local: u64,
        /// The source's.
        source: u64,
    },
    /// `current_l1` would move backwards.
    CurrentL1Backwards {
        /// Ours.
        local: u64,
        /// The source's.
        source: u64,
    },
}

impl Dropped {
    /// A short label for metrics.
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::FinalizedUnknown => "finalized_unknown",
            Self::FinalizedBackwards { .. } => "finalized_backwards",
            Self::CurrentL1Backwards { .. } => "current_l1_backwards",
        }
    }
}

/// Why a whole update is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The source's finalized head is above its safe head.
    #[error("finalized {finalized} is above safe {safe}")]
    FinalizedAboveSafe {
        /// Finalized number.
        finalized: u64,
        /// Safe number.
        safe: u64,
    },
    /// The safe head's L1 origin is not on canonical L1.
    #[error("safe head's L1 origin {0:?} is not canonical on L1")]
    SafeOriginNotCanonical(BlockID),
    /// The finalized head's L1 origin is not on canonical L1.
    #[error("finalized head's L1 origin {0:?} is not canonical on L1")]
    FinalizedOriginNotCanonical(BlockID),
    /// `current_l1` is not on canonical L1.
    #[error("current_l1 {0:?} is not canonical on L1")]
    CurrentL1NotCanonical(BlockID),
    /// The source's finalized head is another block than ours at the same height.
    #[error("source finalized head {source_finalized:?} conflicts with ours at the same height")]
    FinalizedConflict {
        /// The source's finalized head.
        source_finalized: BlockID,
    },
    /// The source claims another L1 origin for a block than the block itself records.
    #[error("source claims L1 origin {claimed:?} for block {block:?}, which records {actual:?}")]
    OriginMismatch {
        /// The block.
        block: BlockID,
        /// The origin the source claims.
        claimed: BlockID,
        /// The origin in the block's L1 info deposit.
        actual: BlockID,
    },
    /// The source's safe head is not the block its own execution RPC has at that number (an
    /// answer from another replica).
    #[error("safe head {0:?} is not on the source's own execution RPC")]
    SafeNotOnSourceEl(BlockID),
    /// The source's safe head disagrees with our chain at or below our finalized head.
    #[error("source safe head {source_safe:?} conflicts with our chain at or below finalized {finalized}")]
    ReorgBelowFinalized {
        /// The source's safe head.
        source_safe: BlockID,
        /// Our finalized number.
        finalized: u64,
    },
}

impl Rejection {
    /// A short label for metrics.
    pub const fn reason(&self) -> &'static str {
        match self {
            Self::FinalizedAboveSafe { .. } => "finalized_above_safe",
            Self::SafeOriginNotCanonical(_) => "safe_origin_not_canonical",
            Self::FinalizedOriginNotCanonical(_) => "finalized_origin_not_canonical",
            Self::CurrentL1NotCanonical(_) => "current_l1_not_canonical",
            Self::ReorgBelowFinalized { .. } => "reorg_below_finalized",
            Self::SafeNotOnSourceEl(_) => "safe_not_on_source_el",
            Self::FinalizedConflict { .. } => "finalized_conflict",
            Self::OriginMismatch { .. } => "origin_mismatch",
        }
    }
}

/// Step 2: checks a status. Errors drop the whole update; per-field problems drop their field.
pub fn validate(
    status: &SyncStatus,
    refs: &L1Refs,
    l1: &L1Verdict,
    applied: &Prior,
) -> Result<Update, Rejection> {
    let safe = status.safe_l2.known();
    let finalized = status.finalized_l2.known();
    if let (Some(s), Some(f)) = (safe, finalized) {
        if f.number > s.number {
            return Err(Rejection::FinalizedAboveSafe { finalized: f.number, safe: s.number });
        }
    }
    if let Some(origin) = refs.safe_origin {
        if !l1.safe_origin {
            return Err(Rejection::SafeOriginNotCanonical(origin));
        }
    }
    if let Some(origin) = refs.finalized_origin {
        if !l1.finalized_origin {
            return Err(Rejection::FinalizedOriginNotCanonical(origin));
        }
    }
    if let Some(current) = refs.current_l1 {
        if !l1.current_l1 {
            return Err(Rejection::CurrentL1NotCanonical(current));
        }
    }

    let mut update = Update { safe, unsafe_head: status.unsafe_l2.known(), ..Default::default() };
    match (finalized, applied.finalized) {
        (None, _) => update.dropped.push(Dropped::FinalizedUnknown),
        (Some(f), Some(local)) if f.number < local.number => update
            .dropped
            .push(Dropped::FinalizedBackwards { local: local.number, source: f.number }),
        (Some(f), Some(local)) if f.number == local.number && f.hash == local.hash => {}
        (Some(f), Some(local)) if f.number == local.number => {
            return Err(Rejection::FinalizedConflict { source_finalized: f.id() })
        }
        (Some(f), _) => update.finalized = Some(f),
    }
    if !status.current_l1.is_unknown() {
        match applied.current_l1 {
            Some(local) if status.current_l1.number < local.number => {
                update.dropped.push(Dropped::CurrentL1Backwards {
                    local: local.number,
                    source: status.current_l1.number,
                })
            }
            _ => update.current_l1 = Some(status.current_l1),
        }
    }
    Ok(update)
}

/// The local canonical block at the source's safe number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtSafe {
    /// The local canonical block there.
    Found(L2BlockRef),
    /// No local block there (a gap below our head while the EL syncs).
    NotFound,
    /// The lookup failed.
    Error,
}

/// The local facts [`decide`] compares against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    /// The local heads (finalized defaults to genesis when unset).
    pub heads: Heads,
    /// The local block at the source's safe number (ignored when the update has no safe head).
    pub at_safe: AtSafe,
    /// Whether the source's unsafe head is known locally and descends from our head.
    pub unsafe_descends: bool,
    /// Whether unsafe heads are followed (off on a sequencer).
    pub follow_unsafe: bool,
}

/// Which branch of the follow algorithm a tick took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// The source has no safe head yet.
    NoSafe,
    /// Our unsafe head is below the source's safe head: head and safe target it.
    ElBehind,
    /// No local block at the safe number yet: safe waits, the head target stays.
    Syncing,
    /// Same block: the safe head moves up to it.
    Consolidate,
    /// Same block, at or below our safe head: nothing moves back.
    SourceBehind,
    /// Different block above our finalized head: head and safe reorg to it.
    Reorg,
}

impl Case {
    /// A short label for metrics and logs.
    pub const fn label(&self) -> &'static str {
        match self {
            Self::NoSafe => "no_safe",
            Self::ElBehind => "el_behind",
            Self::Syncing => "syncing",
            Self::Consolidate => "consolidate",
            Self::SourceBehind => "source_behind",
            Self::Reorg => "reorg",
        }
    }
}

/// What the engine owner should aim for after one tick. `None` leaves that target as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The branch taken.
    pub case: Case,
    /// New head target.
    pub head: Option<L2BlockRef>,
    /// New safe target (pending until canonical locally).
    pub safe: Option<L2BlockRef>,
    /// New finalized target (pending until canonical locally).
    pub finalized: Option<L2BlockRef>,
    /// `current_l1` of this update, published once its safe head is applied.
    pub current_l1: Option<L1BlockRef>,
}

/// The outcome of [`decide`].
// Made once per tick and moved once: boxing the decision buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Send this to the engine owner.
    Apply(Decision),
    /// Refuse the whole update.
    Refuse(Rejection),
    /// The local lookup failed: skip the tick.
    Skip,
}

/// Step 3: compares the update's safe head `S` with the local chain.
pub fn decide(update: &Update, local: &Local) -> Outcome {
    let heads = &local.heads;
    let mut d = Decision {
        case: Case::NoSafe,
        head: None,
        safe: None,
        finalized: update.finalized,
        current_l1: update.current_l1,
    };
    if let Some(s) = update.safe {
        if heads.unsafe_head.number < s.number {
            d.case = Case::ElBehind;
            d.head = Some(s);
            d.safe = Some(s);
        } else {
            match local.at_safe {
                AtSafe::Error => return Outcome::Skip,
                AtSafe::NotFound => {
                    d.case = Case::Syncing;
                    d.safe = Some(s);
                }
                AtSafe::Found(b) if b.hash == s.hash && b.l1_origin != s.l1_origin => {
                    return Outcome::Refuse(Rejection::OriginMismatch {
                        block: s.id(),
                        claimed: s.l1_origin,
                        actual: b.l1_origin,
                    });
                }
                AtSafe::Found(b) if b.hash == s.hash => {
                    if heads.safe.is_none_or(|safe| s.number > safe.number) {
                        d.case = Case::Consolidate;
                        d.safe = Some(s);
                    } else {
                        d.case = Case::SourceBehind;
                    }
                }
                AtSafe::Found(_) => {
                    let finalized = heads.finalized.map_or(0, |f| f.number);
                    if s.number <= finalized {
                        return Outcome::Refuse(Rejection::ReorgBelowFinalized {
                            source_safe: s.id(),
                            finalized,
                        });
                    }
                    d.case = Case::Reorg;
                    d.head = Some(s);
                    d.safe = Some(s);
                }
            }
        }
    }
    // `current_l1` goes with a safe head: published when this update's safe head is applied
    // (a target), or now when it is the safe head we already have.
    let safe_is_ours = update.safe.is_some_and(|s| heads.safe.is_some_and(|l| l.hash == s.hash));
    if d.safe.is_none() && !safe_is_ours {
        d.current_l1 = None;
    }
    // Step 5: the source's unsafe head is a proposal, taken only on top of our own chain.
    if local.follow_unsafe
        && local.unsafe_descends
        && matches!(d.case, Case::NoSafe | Case::Consolidate | Case::SourceBehind)
    {
        if let Some(u) = update.unsafe_head.filter(|u| u.number > heads.unsafe_head.number) {
            d.head = Some(u);
        }
    }
    Outcome::Apply(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;

    /// Block `n` of chain `branch`; its parent is block `n - 1` of the same branch.
    fn l2(branch: u8, n: u64) -> L2BlockRef {
        let hash = |n: u64| {
            let mut h = [branch; 32];
            h[24..].copy_from_slice(&n.to_be_bytes());
            B256::from(h)
        };
        L2BlockRef {
            hash: hash(n),
            number: n,
            parent_hash: if n == 0 { B256::ZERO } else { hash(n - 1) },
            timestamp: 1000 + 2 * n,
            l1_origin: BlockID { hash: B256::repeat_byte(0xa1), number: 100 + n / 6 },
            sequence_number: n % 6,
        }
    }

    fn l1(n: u64) -> L1BlockRef {
        L1BlockRef {
            hash: B256::repeat_byte(n as u8 + 1),
            number: n,
            parent_hash: B256::ZERO,
            timestamp: 12 * n,
        }
    }

    fn status(
        safe: Option<L2BlockRef>,
        finalized: Option<L2BlockRef>,
        current: Option<L1BlockRef>,
    ) -> SyncStatus {
        SyncStatus {
            safe_l2: safe.unwrap_or_default(),
            finalized_l2: finalized.unwrap_or_default(),
            current_l1: current.unwrap_or_default(),
            ..Default::default()
        }
    }

    const ALL_CANONICAL: L1Verdict =
        L1Verdict { safe_origin: true, finalized_origin: true, current_l1: true };

    fn heads(unsafe_n: u64, safe: u64, finalized: u64) -> Heads {
        Heads {
            unsafe_head: l2(1, unsafe_n),
            safe: Some(l2(1, safe)),
            finalized: Some(l2(1, finalized)),
        }
    }

    fn local(heads: Heads, at_safe: AtSafe) -> Local {
        Local { heads, at_safe, unsafe_descends: false, follow_unsafe: true }
    }

    fn update(safe: Option<L2BlockRef>) -> Update {
        Update { safe, ..Default::default() }
    }

    fn applied(d: Outcome) -> Decision {
        match d {
            Outcome::Apply(d) => d,
            other => panic!("expected a decision, got {other:?}"),
        }
    }

    // ---- validate ----

    #[test]
    fn valid_update_keeps_every_field() {
        let s = status(Some(l2(1, 20)), Some(l2(1, 10)), Some(l1(5)));
        let u = validate(&s, &L1Refs::of(&s), &ALL_CANONICAL, &Prior::default()).unwrap();
        assert_eq!(u.safe, Some(l2(1, 20)));
        assert_eq!(u.finalized, Some(l2(1, 10)));
        assert_eq!(u.current_l1, Some(l1(5)));
        assert!(u.dropped.is_empty());
    }

    #[test]
    fn finalized_above_safe_drops_everything() {
        let s = status(Some(l2(1, 10)), Some(l2(1, 11)), Some(l1(5)));
        assert_eq!(
            validate(&s, &L1Refs::of(&s), &ALL_CANONICAL, &Prior::default()),
            Err(Rejection::FinalizedAboveSafe { finalized: 11, safe: 10 })
        );
    }

    #[test]
    fn non_canonical_l1_drops_everything() {
        let s = status(Some(l2(1, 20)), Some(l2(1, 10)), Some(l1(5)));
        let refs = L1Refs::of(&s);
        let cases = [
            (
                L1Verdict { safe_origin: false, ..ALL_CANONICAL },
                Rejection::SafeOriginNotCanonical(l2(1, 20).l1_origin),
            ),
            (
                L1Verdict { finalized_origin: false, ..ALL_CANONICAL },
                Rejection::FinalizedOriginNotCanonical(l2(1, 10).l1_origin),
            ),
            (
                L1Verdict { current_l1: false, ..ALL_CANONICAL },
                Rejection::CurrentL1NotCanonical(l1(5).id()),
            ),
        ];
        for (verdict, rejection) in cases {
            assert_eq!(validate(&s, &refs, &verdict, &Prior::default()), Err(rejection));
        }
    }

    #[test]
    fn unknown_refs_are_not_checked_on_l1() {
        let s = status(Some(l2(1, 20)), None, None);
        let refs = L1Refs::of(&s);
        assert_eq!(refs.finalized_origin, None);
        assert_eq!(refs.current_l1, None);
        let verdict = L1Verdict { safe_origin: true, finalized_origin: false, current_l1: false };
        let u = validate(&s, &refs, &verdict, &Prior::default()).unwrap();
        assert_eq!(u.finalized, None);
        assert_eq!(u.current_l1, None);
        assert_eq!(u.dropped, vec![Dropped::FinalizedUnknown]);
    }

    #[test]
    fn finalized_backwards_drops_only_finalized() {
        let s = status(Some(l2(1, 20)), Some(l2(1, 8)), Some(l1(5)));
        let prior = Prior { finalized: Some(l2(1, 9)), current_l1: Some(l1(4)) };
        let u = validate(&s, &L1Refs::of(&s), &ALL_CANONICAL, &prior).unwrap();
        assert_eq!(u.safe, Some(l2(1, 20)));
        assert_eq!(u.finalized, None);
        assert_eq!(u.current_l1, Some(l1(5)));
        assert_eq!(u.dropped, vec![Dropped::FinalizedBackwards { local: 9, source: 8 }]);
    }

    #[test]
    fn finalized_unchanged_is_nothing_to_do() {
        let s = status(Some(l2(1, 20)), Some(l2(1, 9)), None);
        let prior = Prior { finalized: Some(l2(1, 9)), current_l1: None };
        let u = validate(&s, &L1Refs::of(&s), &ALL_CANONICAL, &prior).unwrap();
        assert_eq!((u.finalized, u.dropped.len()), (None, 0));
    }

    #[test]
    fn finalized_conflicting_with_ours_drops_everything() {
        let s = status(Some(l2(1, 20)), Some(l2(2, 9)), None);
        let prior = Prior { finalized: Some(l2(1, 9)), current_l1: None };
        assert_eq!(
            validate(&s, &L1Refs::of(&s), &ALL_CANONICAL, &prior),
            Err(Rejection::FinalizedConflict { source_finalized: l2(2, 9).id() })
        );
    }

    #[test]
    fn a_block_with_another_l1_origin_than_claimed_is_refused() {
        let mut claimed = l2(1, 8);
        claimed.l1_origin.hash = B256::repeat_byte(0xee);
        let out = decide(&update(Some(claimed)), &local(heads(10, 5, 2), AtSafe::Found(l2(1, 8))));
        assert_eq!(
            out,
            Outcome::Refuse(Rejection::OriginMismatch {
                block: claimed.id(),
                claimed: claimed.l1_origin,
                actual: l2(1, 8).l1_origin
            })
        );
    }

    #[test]
    fn current_l1_backwards_drops_only_current_l1() {
        let s = status(Some(l2(1, 20)), Some(l2(1, 10)), Some(l1(3)));
        let prior = Prior { finalized: None, current_l1: Some(l1(4)) };
        let u = validate(&s, &L1Refs::of(&s), &ALL_CANONICAL, &prior).unwrap();
        assert_eq!(u.safe, Some(l2(1, 20)));
        assert_eq!(u.finalized, Some(l2(1, 10)));
        assert_eq!(u.current_l1, None);
        assert_eq!(u.dropped, vec![Dropped::CurrentL1Backwards { local: 4, source: 3 }]);
    }

    // ---- decide ----

    #[test]
    fn el_behind_targets_head_and_safe() {
        let d =
            applied(decide(&update(Some(l2(1, 50))), &local(heads(10, 5, 2), AtSafe::NotFound)));
        assert_eq!(d.case, Case::ElBehind);
        assert_eq!((d.head, d.safe), (Some(l2(1, 50)), Some(l2(1, 50))));
    }

    #[test]
    fn gap_while_syncing_keeps_head_target() {
        let d = applied(decide(&update(Some(l2(1, 8))), &local(heads(10, 5, 2), AtSafe::NotFound)));
        assert_eq!(d.case, Case::Syncing);
        assert_eq!((d.head, d.safe), (None, Some(l2(1, 8))));
    }

    #[test]
    fn lookup_error_skips() {
        assert_eq!(
            decide(&update(Some(l2(1, 8))), &local(heads(10, 5, 2), AtSafe::Error)),
            Outcome::Skip
        );
    }

    #[test]
    fn same_hash_above_local_safe_consolidates() {
        let d = applied(decide(
            &update(Some(l2(1, 8))),
            &local(heads(10, 5, 2), AtSafe::Found(l2(1, 8))),
        ));
        assert_eq!(d.case, Case::Consolidate);
        assert_eq!((d.head, d.safe), (None, Some(l2(1, 8))));
    }

    #[test]
    fn no_local_safe_yet_consolidates() {
        let mut h = heads(10, 5, 2);
        h.safe = None;
        let d = applied(decide(&update(Some(l2(1, 0))), &local(h, AtSafe::Found(l2(1, 0)))));
        assert_eq!((d.case, d.safe), (Case::Consolidate, Some(l2(1, 0))));
    }

    #[test]
    fn same_hash_at_or_below_local_safe_moves_nothing_back() {
        for n in [5, 4] {
            let d = applied(decide(
                &update(Some(l2(1, n))),
                &local(heads(10, 5, 2), AtSafe::Found(l2(1, n))),
            ));
            assert_eq!(d.case, Case::SourceBehind);
            assert_eq!((d.head, d.safe), (None, None));
        }
    }

    #[test]
    fn different_hash_above_finalized_reorgs() {
        let d = applied(decide(
            &update(Some(l2(2, 4))),
            &local(heads(10, 5, 2), AtSafe::Found(l2(1, 4))),
        ));
        assert_eq!(d.case, Case::Reorg);
        assert_eq!((d.head, d.safe), (Some(l2(2, 4)), Some(l2(2, 4))));
    }

    #[test]
    fn different_hash_at_or_below_finalized_is_refused() {
        for n in [2, 1] {
            let out =
                decide(&update(Some(l2(2, n))), &local(heads(10, 5, 2), AtSafe::Found(l2(1, n))));
            assert_eq!(
                out,
                Outcome::Refuse(Rejection::ReorgBelowFinalized {
                    source_safe: l2(2, n).id(),
                    finalized: 2
                })
            );
        }
    }

    #[test]
    fn no_safe_head_carries_finalized_but_not_current_l1() {
        let u = Update { finalized: Some(l2(1, 3)), current_l1: Some(l1(7)), ..Default::default() };
        let d = applied(decide(&u, &local(heads(10, 5, 2), AtSafe::NotFound)));
        assert_eq!(d.case, Case::NoSafe);
        assert_eq!(
            (d.head, d.safe, d.finalized, d.current_l1),
            (None, None, Some(l2(1, 3)), None),
            "current_l1 is published only with the safe head of its update"
        );
    }

    #[test]
    fn current_l1_goes_with_a_safe_target_or_our_own_safe_head() {
        let with =
            |n: u64| Update { safe: Some(l2(1, n)), current_l1: Some(l1(7)), ..Default::default() };
        let d = applied(decide(&with(8), &local(heads(10, 5, 2), AtSafe::Found(l2(1, 8)))));
        assert_eq!((d.safe, d.current_l1), (Some(l2(1, 8)), Some(l1(7))), "consolidate");
        let d = applied(decide(&with(5), &local(heads(10, 5, 2), AtSafe::Found(l2(1, 5)))));
        assert_eq!((d.case, d.current_l1), (Case::SourceBehind, Some(l1(7))), "our safe head");
        let d = applied(decide(&with(4), &local(heads(10, 5, 2), AtSafe::Found(l2(1, 4)))));
        assert_eq!((d.case, d.current_l1), (Case::SourceBehind, None), "below our safe head");
    }

    #[test]
    fn unsafe_head_is_followed_only_when_it_descends() {
        let u = Update { safe: Some(l2(1, 8)), unsafe_head: Some(l2(1, 14)), ..Default::default() };
        let mut l = local(heads(10, 5, 2), AtSafe::Found(l2(1, 8)));
        assert_eq!(applied(decide(&u, &l)).head, None, "not known to descend");
        l.unsafe_descends = true;
        assert_eq!(applied(decide(&u, &l)).head, Some(l2(1, 14)));
        l.follow_unsafe = false;
        assert_eq!(applied(decide(&u, &l)).head, None, "sequencers do not follow unsafe heads");
    }

    #[test]
    fn unsafe_head_never_overrides_a_reorg_or_moves_back() {
        let u = Update { safe: Some(l2(2, 8)), unsafe_head: Some(l2(2, 14)), ..Default::default() };
        let mut l = local(heads(10, 5, 2), AtSafe::Found(l2(1, 8)));
        l.unsafe_descends = true;
        assert_eq!(applied(decide(&u, &l)).head, Some(l2(2, 8)));
        let u = Update { safe: Some(l2(1, 8)), unsafe_head: Some(l2(1, 9)), ..Default::default() };
        let mut l = local(heads(10, 5, 2), AtSafe::Found(l2(1, 8)));
        l.unsafe_descends = true;
        assert_eq!(applied(decide(&u, &l)).head, None);
    }
}
