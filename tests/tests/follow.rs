//! The follow task against a real HTTP follow source and a real L1 JSON-RPC server on loopback,
//! driving an in-memory engine with reth's forkchoice semantics. Each scenario asserts the
//! engine's final state and the node's served `optimism_syncStatus`.

use bytes::Bytes;
use light_cl::{
    follow::{Case, FollowConfigError, FollowExit, Rejection, Skipped},
    FollowConfig, TickOutcome,
};
use light_cl_protocol::{L2BlockRef, SyncStatus};
use light_cl_rpc::CappedError;
use light_cl_tests::{HeadersEl, Reply, Rig};
use std::time::Duration;

/// Asserts the engine's canonical head, safe and finalized.
fn assert_engine(
    rig: &Rig,
    head: L2BlockRef,
    safe: Option<L2BlockRef>,
    finalized: Option<L2BlockRef>,
) {
    let (h, s, f) = rig.engine.labels();
    assert_eq!(h, head, "engine head");
    assert_eq!(s, safe, "engine safe");
    assert_eq!(f, finalized, "engine finalized");
}

/// Asserts the served status's L2 heads (and that the pre-interop copies agree).
fn assert_served(s: &SyncStatus, unsafe_l2: L2BlockRef, safe: L2BlockRef, finalized: L2BlockRef) {
    assert_eq!(s.unsafe_l2, unsafe_l2, "served unsafe_l2");
    assert_eq!(s.safe_l2, safe, "served safe_l2");
    assert_eq!(s.finalized_l2, finalized, "served finalized_l2");
    assert_eq!(s.cross_unsafe_l2, s.unsafe_l2);
    assert_eq!(s.local_safe_l2, s.safe_l2);
    assert_eq!(s.pending_safe_l2, s.safe_l2);
}

#[tokio::test]
async fn steady_following() {
    let mut rig = Rig::new(30).await;
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
    assert_engine(&rig, rig.main(30), Some(rig.main(20)), Some(rig.main(10)));
    let served = rig.served().await;
    assert_served(&served, rig.main(30), rig.main(20), rig.main(10));
    assert_eq!(served.current_l1, rig.l1.block(20 / 6 + 1));
    assert_eq!(served.head_l1, rig.l1.block(63), "head_l1 from our own L1 polling");
    assert_eq!(served.safe_l1, rig.l1.block(59));
    assert_eq!(served.finalized_l1, rig.l1.block(55));

    // The chain grows past us: our head is below the source's safe head, so head and safe
    // target it; on the next tick the source's unsafe head, which descends from ours, is taken.
    rig.engine.deliver(&rig.main_range(31, 44));
    rig.source.set(rig.status(rig.main(44), rig.main(36), rig.main(24)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::ElBehind));
    assert_engine(&rig, rig.main(36), Some(rig.main(36)), Some(rig.main(24)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::SourceBehind));
    assert_engine(&rig, rig.main(44), Some(rig.main(36)), Some(rig.main(24)));
    let served = rig.served().await;
    assert_served(&served, rig.main(44), rig.main(36), rig.main(24));
    assert_eq!(served.current_l1, rig.l1.block(36 / 6 + 1));
}

#[tokio::test]
async fn consolidation_moves_only_safe_and_finalized() {
    let mut rig = Rig::new(40).await;
    rig.engine.set_labels(Some(rig.main(10)), Some(rig.main(5)));
    // The source's unsafe head is behind ours: the head is not touched.
    rig.source.set(rig.status(rig.main(35), rig.main(25), rig.main(12)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
    assert_engine(&rig, rig.main(40), Some(rig.main(25)), Some(rig.main(12)));
    assert_served(&rig.served().await, rig.main(40), rig.main(25), rig.main(12));
}

#[tokio::test]
async fn reorg_of_our_unsafe_chain() {
    let mut rig = Rig::new(30).await;
    rig.engine.set_labels(Some(rig.main(10)), Some(rig.main(5)));
    // The source derived a different chain from block 15 on; its blocks reach us by devp2p.
    let fork: Vec<_> = (15..=24).map(|n| rig.l2(2, 15, n)).collect();
    rig.engine.deliver(&fork);
    rig.source.set(rig.status(rig.l2(2, 15, 24), rig.l2(2, 15, 20), rig.main(8)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Reorg));
    assert_engine(&rig, rig.l2(2, 15, 20), Some(rig.l2(2, 15, 20)), Some(rig.main(8)));
    assert_served(&rig.served().await, rig.l2(2, 15, 20), rig.l2(2, 15, 20), rig.main(8));
    // The reorg took reth's two steps: the head (old safe still canonical under it is fine),
    // then the labels.
    let last = *rig.engine.updates().last().unwrap();
    assert_eq!(last.safe_block_hash, rig.l2(2, 15, 20).hash);
}

#[tokio::test]
async fn reorg_below_our_safe_head_replaces_it() {
    let mut rig = Rig::new(30).await;
    rig.engine.set_labels(Some(rig.main(20)), Some(rig.main(5)));
    let fork: Vec<_> = (12..=16).map(|n| rig.l2(3, 12, n)).collect();
    rig.engine.deliver(&fork);
    rig.source.set(rig.status(rig.l2(3, 12, 16), rig.l2(3, 12, 16), rig.main(6)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Reorg));
    // The new finalized head (6, below the fork) is ready under our current head and goes
    // first. Our safe block 20 is not on the new chain: the update moving the head is refused as
    // an invalid forkchoice state after the head was applied; the last carries the new safe head.
    let updates = rig.engine.updates();
    assert_eq!(updates.len(), 3, "{updates:?}");
    assert_eq!(updates[0].head_block_hash, rig.main(30).hash);
    assert_eq!(updates[0].finalized_block_hash, rig.main(6).hash);
    assert_eq!(updates[1].head_block_hash, rig.l2(3, 12, 16).hash);
    assert_eq!(updates[1].safe_block_hash, rig.main(20).hash);
    assert_eq!(updates[2].safe_block_hash, rig.l2(3, 12, 16).hash);
    assert_engine(&rig, rig.l2(3, 12, 16), Some(rig.l2(3, 12, 16)), Some(rig.main(6)));
    assert_served(&rig.served().await, rig.l2(3, 12, 16), rig.l2(3, 12, 16), rig.main(6));
}

#[tokio::test]
async fn disagreement_at_or_below_finalized_is_refused() {
    let mut rig = Rig::new(30).await;
    rig.engine.set_labels(Some(rig.main(20)), Some(rig.main(12)));
    for (fork_at, safe) in [(5, 10), (12, 12)] {
        let fork: Vec<_> = (fork_at..=safe).map(|n| rig.l2(4, fork_at, n)).collect();
        rig.engine.deliver(&fork);
        rig.source.set(rig.status(rig.l2(4, fork_at, safe), rig.l2(4, fork_at, safe), rig.main(4)));
        assert_eq!(
            rig.follow.tick().await,
            TickOutcome::Refused(Rejection::ReorgBelowFinalized {
                source_safe: rig.l2(4, fork_at, safe).id(),
                finalized: 12
            })
        );
        assert_engine(&rig, rig.main(30), Some(rig.main(20)), Some(rig.main(12)));
    }
    assert!(rig.engine.updates().is_empty(), "no forkchoice update was sent");
    let after = rig.served().await;
    assert_eq!(after.safe_l2, rig.main(20));
    assert_eq!(after.current_l1.id(), rig.config.genesis.l1, "a refused update moves nothing");
}

#[tokio::test]
async fn el_behind_retargets_head_and_applies_labels_once_canonical() {
    let mut rig = Rig::new(10).await;
    rig.source.set(rig.status(rig.main(45), rig.main(40), rig.main(30)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::ElBehind));
    // SYNCING: the head target is pending, so are the labels.
    assert_engine(&rig, rig.main(10), None, None);
    let last = *rig.engine.updates().last().unwrap();
    assert_eq!(last.head_block_hash, rig.main(40).hash);
    let served = rig.served().await;
    assert_served(&served, rig.main(10), rig.view.genesis_l2(), rig.view.genesis_l2());
    assert_eq!(served.current_l1, rig.view.get().current_l1);
    assert_ne!(served.current_l1, rig.l1.block(40 / 6 + 1), "current_l1 waits for its safe head");

    // The source moves on while we sync: the head is retargeted.
    rig.source.set(rig.status(rig.main(50), rig.main(44), rig.main(30)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::ElBehind));
    assert_eq!(rig.engine.updates().last().unwrap().head_block_hash, rig.main(44).hash);

    // The download completes (reth makes the sync target canonical); the next tick applies.
    rig.engine.deliver(&rig.main_range(11, 44));
    assert_engine(&rig, rig.main(44), None, None);
    // Safe is applied under the current head before the head moves on to the source's unsafe
    // head (50, which descends from our head 44 = the source's safe head, and is still unknown).
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
    assert_engine(&rig, rig.main(44), Some(rig.main(44)), Some(rig.main(30)));
    assert_eq!(rig.engine.updates().last().unwrap().head_block_hash, rig.main(50).hash);
    let served = rig.served().await;
    assert_served(&served, rig.main(44), rig.main(44), rig.main(30));
    assert_eq!(served.current_l1, rig.l1.block(44 / 6 + 1));
}

#[tokio::test]
async fn el_behind_applies_in_one_tick_when_the_blocks_are_known() {
    let mut rig = Rig::new(10).await;
    rig.engine.deliver(&rig.main_range(11, 30));
    rig.source.set(rig.status(rig.main(30), rig.main(30), rig.main(20)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::ElBehind));
    assert_engine(&rig, rig.main(30), Some(rig.main(30)), Some(rig.main(20)));
}

#[tokio::test]
async fn block_not_found_while_syncing() {
    let mut rig = Rig::new(30).await;
    rig.engine.set_labels(Some(rig.main(5)), Some(rig.main(2)));
    rig.engine.hide(12..=25);
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Syncing));
    // Safe and finalized wait; the head is left alone.
    assert_engine(&rig, rig.main(30), Some(rig.main(5)), Some(rig.main(2)));
    assert_served(&rig.served().await, rig.main(30), rig.main(5), rig.main(2));
    // The gap fills: the pending labels apply.
    rig.engine.unhide();
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
    assert_engine(&rig, rig.main(30), Some(rig.main(20)), Some(rig.main(10)));
}

#[tokio::test]
async fn source_behind_us_moves_nothing_back() {
    let mut rig = Rig::new(40).await;
    rig.engine.set_labels(Some(rig.main(30)), Some(rig.main(20)));
    rig.source.set(rig.status(rig.main(28), rig.main(25), rig.main(15)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::SourceBehind));
    assert_engine(&rig, rig.main(40), Some(rig.main(30)), Some(rig.main(20)));
    assert_served(&rig.served().await, rig.main(40), rig.main(30), rig.main(20));
}

#[tokio::test]
async fn stalled_source_sends_no_more_updates() {
    let mut rig = Rig::new(30).await;
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    rig.follow.tick().await;
    let sent = rig.engine.updates().len();
    for _ in 0..5 {
        assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::SourceBehind));
    }
    assert_eq!(rig.engine.updates().len(), sent, "an unchanged state is not sent again");
    assert_engine(&rig, rig.main(30), Some(rig.main(20)), Some(rig.main(10)));
}

#[tokio::test]
async fn source_down_then_back() {
    let mut rig = Rig::new(30).await;
    rig.source.set(rig.status(rig.main(30), rig.main(12), rig.main(6)));
    rig.follow.tick().await;
    rig.source.server.stop().await;
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    for _ in 0..2 {
        match rig.follow.tick().await {
            TickOutcome::Skipped(Skipped::Source(CappedError::Transport(_))) => {}
            other => panic!("expected a transport error, got {other:?}"),
        }
    }
    assert_engine(&rig, rig.main(30), Some(rig.main(12)), Some(rig.main(6)));
    assert_served(&rig.served().await, rig.main(30), rig.main(12), rig.main(6));
    rig.source.server.restart().await;
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
    assert_engine(&rig, rig.main(30), Some(rig.main(20)), Some(rig.main(10)));
}

#[tokio::test]
async fn bad_answers_change_nothing() {
    let mut rig = Rig::new(30).await;
    rig.source.set(rig.status(rig.main(30), rig.main(12), rig.main(6)));
    rig.follow.tick().await;
    let good =
        serde_json::to_string(&rig.status(rig.main(30), rig.main(20), rig.main(10))).unwrap();
    let envelope = format!(r#"{{"jsonrpc":"2.0","id":1,"result":{good}}}"#);
    let cases: Vec<(Reply, &str)> = vec![
        (Reply::Raw(200, "application/json", Bytes::from_static(b"\x00\xffgarbage")), "malformed"),
        (
            Reply::Raw(
                200,
                "text/html",
                Bytes::from_static(b"<html><body>Welcome to nginx</body></html>"),
            ),
            "malformed",
        ),
        (
            Reply::Raw(502, "text/html", Bytes::from_static(b"<html>502 Bad Gateway</html>")),
            "http_status",
        ),
        (
            Reply::Raw(
                200,
                "application/json",
                Bytes::from(envelope[..envelope.len() / 2].to_owned()),
            ),
            "malformed",
        ),
        (Reply::Raw(200, "application/json", Bytes::from(vec![b' '; 50 << 20])), "oversized"),
        (
            Reply::Delayed(
                SOURCE_TIMEOUT_PLUS,
                Box::new(Reply::Raw(200, "application/json", Bytes::from(envelope.clone()))),
            ),
            "timeout",
        ),
        (Reply::Result(serde_json::json!({"safe_l2": "yes"})), "malformed"),
        (Reply::Error(-32000, "internal error".into()), "rpc_error"),
    ];
    for (reply, kind) in cases {
        rig.source.set_reply(reply);
        match rig.follow.tick().await {
            TickOutcome::Skipped(Skipped::Source(e)) => assert_eq!(e.kind(), kind, "{e}"),
            other => panic!("expected a {kind} source error, got {other:?}"),
        }
        assert_engine(&rig, rig.main(30), Some(rig.main(12)), Some(rig.main(6)));
    }
    assert_served(&rig.served().await, rig.main(30), rig.main(12), rig.main(6));
    // A good answer is applied again.
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
    assert_engine(&rig, rig.main(30), Some(rig.main(20)), Some(rig.main(10)));
}

const SOURCE_TIMEOUT_PLUS: Duration = Duration::from_millis(1500);

#[tokio::test]
async fn finalized_above_safe_drops_the_update() {
    let mut rig = Rig::new(30).await;
    rig.source.set(rig.status(rig.main(30), rig.main(12), rig.main(13)));
    assert_eq!(
        rig.follow.tick().await,
        TickOutcome::Refused(Rejection::FinalizedAboveSafe { finalized: 13, safe: 12 })
    );
    assert_engine(&rig, rig.main(30), None, None);
    assert_served(&rig.served().await, rig.main(30), rig.view.genesis_l2(), rig.view.genesis_l2());
}

#[tokio::test]
async fn finalized_rewinding_keeps_finalized_and_applies_safe() {
    let mut rig = Rig::new(30).await;
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    rig.follow.tick().await;
    rig.source.set(rig.status(rig.main(30), rig.main(24), rig.main(8)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
    assert_engine(&rig, rig.main(30), Some(rig.main(24)), Some(rig.main(10)));
    assert_served(&rig.served().await, rig.main(30), rig.main(24), rig.main(10));
}

#[tokio::test]
async fn current_l1_going_backwards_is_kept() {
    let mut rig = Rig::new(30).await;
    let mut status = rig.status(rig.main(30), rig.main(20), rig.main(10));
    status.current_l1 = rig.l1.block(9);
    rig.source.set(status);
    rig.follow.tick().await;
    assert_eq!(rig.served().await.current_l1, rig.l1.block(9));
    let mut status = rig.status(rig.main(30), rig.main(24), rig.main(10));
    status.current_l1 = rig.l1.block(7);
    rig.source.set(status);
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
    let served = rig.served().await;
    assert_eq!(served.current_l1, rig.l1.block(9), "current_l1 never moves back");
    assert_eq!(served.safe_l2, rig.main(24), "the rest of the update applies");
}

#[tokio::test]
async fn safe_or_finalized_origin_not_canonical_drops_the_update() {
    let mut rig = Rig::new(40).await;
    // Blocks made before L1 reorgs keep the old L1 origins.
    let head = rig.main(40);
    let old_safe = rig.main(36);
    let old_finalized = rig.main(30);
    rig.l1.reorg_from(5);
    let status = rig.status(rig.main(40), old_safe, rig.main(6));
    rig.source.set(SyncStatus { current_l1: rig.l1.block(2), ..status });
    assert_eq!(
        rig.follow.tick().await,
        TickOutcome::Refused(Rejection::SafeOriginNotCanonical(old_safe.l1_origin))
    );
    let status = rig.status(rig.main(40), rig.main(36), old_finalized);
    rig.source.set(SyncStatus { current_l1: rig.l1.block(2), ..status });
    assert_eq!(
        rig.follow.tick().await,
        TickOutcome::Refused(Rejection::FinalizedOriginNotCanonical(old_finalized.l1_origin))
    );
    assert_engine(&rig, head, None, None);
    assert!(rig.engine.updates().is_empty());
}

#[tokio::test]
async fn current_l1_not_canonical_drops_the_update() {
    let mut rig = Rig::new(30).await;
    let stale = rig.l1.block(20);
    rig.l1.reorg_from(20);
    let mut status = rig.status(rig.main(30), rig.main(20), rig.main(10));
    status.current_l1 = stale;
    rig.source.set(status);
    assert_eq!(
        rig.follow.tick().await,
        TickOutcome::Refused(Rejection::CurrentL1NotCanonical(stale.id()))
    );
    assert_engine(&rig, rig.main(30), None, None);
    assert_ne!(rig.served().await.current_l1, stale);
}

#[tokio::test]
async fn l1_down_applies_nothing() {
    let mut rig = Rig::new(30).await;
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    rig.l1.server.stop().await;
    assert!(matches!(rig.follow.tick().await, TickOutcome::Skipped(Skipped::L1(_))));
    assert_engine(&rig, rig.main(30), None, None);
    assert!(rig.engine.updates().is_empty());
    rig.l1.server.restart().await;
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
    assert_engine(&rig, rig.main(30), Some(rig.main(20)), Some(rig.main(10)));
}

#[tokio::test]
async fn zero_refs_at_genesis_serve_genesis() {
    let mut rig = Rig::new(0).await;
    // A fresh source at genesis reports zero refs (ethereum-optimism/optimism#20295).
    let mut status = SyncStatus { head_l1: rig.l1.block(63), ..Default::default() };
    status.unsafe_l2 = rig.main(0);
    rig.source.set(status);
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::NoSafe));
    let served = rig.served().await;
    let genesis = rig.view.genesis_l2();
    assert_eq!(genesis.hash, rig.main(0).hash);
    assert_served(&served, rig.main(0), genesis, genesis);
    assert!(!served.safe_l2.is_unknown() && !served.finalized_l2.is_unknown());
    assert_eq!(
        served.current_l1.hash, rig.config.genesis.l1.hash,
        "current_l1 is the genesis L1 block"
    );
    assert!(!served.head_l1.is_unknown());
    assert_engine(&rig, rig.main(0), None, None);
    // The served rollup config is the one we run with.
    assert_eq!(rig.served_config().await, *rig.config);
}

#[tokio::test]
async fn unsafe_following() {
    let mut rig = Rig::new(30).await;
    rig.engine.deliver(&rig.main_range(31, 40));
    rig.source.set(rig.status(rig.main(40), rig.main(20), rig.main(10)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
    assert_engine(&rig, rig.main(40), Some(rig.main(20)), Some(rig.main(10)));
    assert_eq!(rig.served().await.unsafe_l2, rig.main(40));

    // A proposal that does not descend from our head is not taken.
    let other: Vec<_> = (35..=46).map(|n| rig.l2(5, 35, n)).collect();
    rig.engine.deliver(&other);
    rig.source.set(rig.status(rig.l2(5, 35, 46), rig.main(22), rig.main(10)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
    assert_engine(&rig, rig.main(40), Some(rig.main(22)), Some(rig.main(10)));

    // A proposal one block ahead is taken even before the block arrives (the engine syncs it).
    rig.source.set(rig.status(rig.main(41), rig.main(22), rig.main(10)));
    rig.follow.tick().await;
    assert_eq!(rig.engine.updates().last().unwrap().head_block_hash, rig.main(41).hash);
    assert_engine(&rig, rig.main(40), Some(rig.main(22)), Some(rig.main(10)));
    rig.engine.deliver(&[rig.main(41)]);
    assert_engine(&rig, rig.main(41), Some(rig.main(22)), Some(rig.main(10)));
}

#[tokio::test]
async fn sequencer_does_not_follow_unsafe() {
    let config = light_cl::FollowConfig {
        follow_unsafe: false,
        ..light_cl::FollowConfig::for_block_time(2)
    };
    let mut rig = Rig::with_config(30, config).await;
    rig.engine.deliver(&rig.main_range(31, 40));
    rig.source.set(rig.status(rig.main(40), rig.main(20), rig.main(10)));
    rig.follow.tick().await;
    assert_engine(&rig, rig.main(30), Some(rig.main(20)), Some(rig.main(10)));
}

#[tokio::test]
async fn restart_keeps_labels_and_resumes() {
    let mut rig = Rig::new(30).await;
    // A restarted node's database already has its labels.
    rig.engine.set_labels(Some(rig.main(20)), Some(rig.main(10)));
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::SourceBehind));
    assert_served(&rig.served().await, rig.main(30), rig.main(20), rig.main(10));
}

#[tokio::test]
async fn local_chain_read_failure_skips_the_tick() {
    let mut rig = Rig::new(30).await;
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    rig.engine.fail_reads(true);
    assert!(matches!(rig.follow.tick().await, TickOutcome::Skipped(Skipped::Chain(_))));
    rig.engine.fail_reads(false);
    assert!(rig.engine.updates().is_empty());
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::Consolidate));
}

#[tokio::test]
async fn run_loop_follows_on_its_interval_and_stops() {
    let config = light_cl::FollowConfig {
        interval: Duration::from_millis(20),
        ..light_cl::FollowConfig::for_block_time(2)
    };
    let rig = Rig::with_config(30, config).await;
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let Rig { follow, engine, source, l1, .. } = rig;
    let task = tokio::spawn(follow.run(async move {
        let _ = stopped.await;
    }));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while engine.labels().1.map(|s| s.number) != Some(20) {
        assert!(tokio::time::Instant::now() < deadline, "follow loop never applied the safe head");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(()).unwrap();
    assert_eq!(task.await.unwrap(), Ok(()), "stopped when told, not by an error");
    drop((source, l1));
}

#[tokio::test]
async fn refresh_publishes_heads_reached_between_ticks() {
    let mut rig = Rig::new(10).await;
    rig.source.set(rig.status(rig.main(20), rig.main(20), rig.main(5)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::ElBehind));
    // The engine reaches its sync target on its own; the view learns of it without a tick.
    rig.engine.deliver(&rig.main_range(11, 20));
    assert_eq!(rig.served().await.unsafe_l2, rig.main(10));
    rig.owner.refresh().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while rig.served().await.unsafe_l2 != rig.main(20) {
        assert!(tokio::time::Instant::now() < deadline, "refresh not published");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(rig.engine.updates().len(), 1, "a refresh sends no forkchoice update");
}

#[tokio::test]
async fn an_orphaned_proposal_is_dropped() {
    let mut rig = Rig::new(30).await;
    rig.source.set(rig.status(rig.main(31), rig.main(20), rig.main(10)));
    rig.follow.tick().await;
    assert_eq!(rig.engine.updates().last().unwrap().head_block_hash, rig.main(31).hash);
    // The source drops block 31 (never seen by anyone): the target goes with it.
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    rig.follow.tick().await;
    let sent = rig.engine.updates().len();
    rig.follow.tick().await;
    rig.follow.tick().await;
    assert_eq!(rig.engine.updates().len(), sent, "no more updates to the dropped target");
    assert!(rig
        .engine
        .updates()
        .iter()
        .rev()
        .take(1)
        .all(|u| u.head_block_hash == rig.main(30).hash));
    assert_engine(&rig, rig.main(30), Some(rig.main(20)), Some(rig.main(10)));
}

#[tokio::test]
async fn an_l1_without_our_genesis_l1_block_is_refused() {
    let mut rig = Rig::new(30).await;
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    rig.l1.reorg_from(0);
    match rig.follow.tick().await {
        TickOutcome::Skipped(Skipped::L1(e)) => {
            assert!(e.to_string().contains("genesis L1 block"), "{e}")
        }
        other => panic!("expected the L1 check to fail, got {other:?}"),
    }
    assert!(rig.engine.updates().is_empty());
}

#[tokio::test]
async fn labels_follow_a_source_whose_safe_head_moves_every_tick() {
    // A deriving node's safe head moves 4 blocks every tick; each new safe block reaches us over
    // devp2p a little after the status that names it.
    let mut rig = Rig::new(10).await;
    for k in 1..=6u64 {
        let safe = 10 + 4 * k;
        rig.source.set(rig.status(rig.main(safe), rig.main(safe), rig.main(safe - 6)));
        assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::ElBehind));
        if k >= 2 {
            // The target of the tick before, reached since, is safe now; finalized follows.
            let before = safe - 4;
            let (_, s, f) = rig.engine.labels();
            assert_eq!(s, Some(rig.main(before)), "tick {k}: safe");
            assert_eq!(f, Some(rig.main(safe - 6)), "tick {k}: finalized, at or below safe");
            let served = rig.served().await;
            assert_eq!(served.current_l1, rig.l1.block(before / 6 + 1), "tick {k}: current_l1");
        }
        rig.engine.deliver(&rig.main_range(safe - 3, safe));
    }
}

#[tokio::test]
async fn an_l1_origin_above_our_l1_head_skips_the_tick() {
    let mut rig = Rig::new(30).await;
    let mut status = rig.status(rig.main(30), rig.main(20), rig.main(10));
    let beyond = rig.l1.len() + 3;
    status.current_l1.number = beyond;
    rig.source.set(status);
    assert_eq!(
        rig.follow.tick().await,
        TickOutcome::Skipped(Skipped::L1Behind { number: beyond }),
        "not yet known is not a conflict"
    );
    assert!(rig.engine.updates().is_empty());
}

#[tokio::test]
async fn a_zero_interval_is_refused_not_a_panic() {
    let mut config = FollowConfig::for_block_time(2);
    config.interval = Duration::ZERO;
    let rig = Rig::with_config(5, config).await;
    assert_eq!(
        rig.follow.run(std::future::pending()).await,
        Err(FollowExit::Config(FollowConfigError::Zero("interval")))
    );
}

/// A node at main 30 with finalized 12, and a source on a branch that left ours at 10.
async fn forked_below_finalized() -> (Rig, Vec<L2BlockRef>) {
    let rig = Rig::new(30).await;
    rig.engine.set_labels(Some(rig.main(20)), Some(rig.main(12)));
    let fork: Vec<_> = (0..=40).map(|n| rig.l2(5, 10, n)).collect();
    rig.source.set(rig.status(fork[40], fork[40], fork[14]));
    (rig, fork)
}

#[tokio::test]
async fn a_target_on_a_chain_without_our_finalized_block_is_refused_by_peers() {
    let (mut rig, fork) = forked_below_finalized().await;
    rig.engine.deliver(&fork[10..]); // peers serve the fork's headers
    let refused = TickOutcome::Refused(Rejection::ReorgBelowFinalized {
        source_safe: fork[40].id(),
        finalized: 12,
    });
    assert_eq!(rig.follow.tick().await, refused);
    assert_engine(&rig, rig.main(30), Some(rig.main(20)), Some(rig.main(12)));
    assert!(rig.engine.updates().is_empty(), "the head target was never sent");
}

#[tokio::test]
async fn a_target_on_a_chain_without_our_finalized_block_is_refused_by_the_source_el() {
    let (rig, fork) = forked_below_finalized().await;
    rig.engine.silence_peers(true);
    let engine = rig.engine.clone();
    let mut follow = rig.follow.with_source_el(HeadersEl(fork.clone()));
    assert!(matches!(
        follow.tick().await,
        TickOutcome::Refused(Rejection::ReorgBelowFinalized { finalized: 12, .. })
    ));
    assert!(engine.updates().is_empty());
}

#[tokio::test]
async fn when_nothing_can_tell_the_tick_is_skipped() {
    let (mut rig, _fork) = forked_below_finalized().await;
    // No source EL, no peer with the headers, and the source serves no outputAtBlock.
    rig.engine.silence_peers(true);
    assert_eq!(
        rig.follow.tick().await,
        TickOutcome::Skipped(Skipped::AncestryUnknown { target: 40, finalized: 12 })
    );
    assert!(rig.engine.updates().is_empty(), "fail closed: nothing sent on hope");
}

#[tokio::test]
async fn a_target_far_ahead_on_our_chain_is_followed_after_the_walk() {
    // Restarted after a while: the source's finalized head is above our head too.
    let mut rig = Rig::new(30).await;
    rig.engine.set_labels(Some(rig.main(20)), Some(rig.main(12)));
    rig.engine.deliver(&rig.main_range(31, 60));
    rig.source.set(rig.status(rig.main(60), rig.main(60), rig.main(50)));
    assert_eq!(rig.follow.tick().await, TickOutcome::Applied(Case::ElBehind));
    assert_engine(&rig, rig.main(60), Some(rig.main(60)), Some(rig.main(50)));
}
