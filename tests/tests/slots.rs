//! The sequencer's slot timeline, L1 reorg recovery and liveness with a stalled follow source,
//! over the in-memory engine and a scripted L1 on loopback.

use light_cl::sequencer::{Admin, SequencerConfig, DEFAULT_SEAL_MARGIN};
use light_cl_tests::{
    sequencing::{
        admin_server, apply_genesis_safe, chain, settings, start_sequencer, wait_for_head, waited,
    },
    unix_now, Reply, Rig,
};
use std::time::Duration;

/// Slack allowed for a timer on a loaded machine; far below the 2 s block time.
const SLACK: Duration = Duration::from_millis(500);

#[tokio::test]
async fn each_block_starts_a_block_time_early_and_is_sealed_the_margin_before_its_timestamp() {
    // Genesis 20 s ago: ten late blocks back to back, then blocks on time.
    let mut rig = Rig::sequencing_from(64, unix_now().as_secs() - 20).await;
    let handle = start_sequencer(&rig, settings(true), vec![]);
    apply_genesis_safe(&mut rig).await;
    let opened = unix_now();
    wait_for_head(&rig, "three blocks on time", |h| h.timestamp >= opened.as_secs() + 10).await;
    handle.stop().await.unwrap();

    let block_time = Duration::from_secs(rig.config.block_time);
    let times = rig.engine.build_times();
    let (mut on_time, mut late) = (0, 0);
    for b in &times {
        let t = Duration::from_secs(b.timestamp);
        let resolved = b.resolved.expect("every block started before the stop was sealed");
        if t > opened + 2 * block_time {
            on_time += 1;
            assert!(b.started >= t - block_time, "block at {t:?} started early: {b:?}");
            assert!(b.started < t - block_time + SLACK, "block at {t:?} started late: {b:?}");
            assert!(resolved >= t - DEFAULT_SEAL_MARGIN, "block at {t:?} sealed early: {b:?}");
            assert!(resolved < t + SLACK, "block at {t:?} sealed late: {b:?}");
        } else if t + block_time < opened {
            late += 1;
            assert!(resolved - b.started < SLACK, "a late block is sealed at once: {b:?}");
        }
    }
    assert!(on_time >= 3, "{on_time} blocks on time in {times:?}");
    assert!(late >= 8, "{late} late blocks in {times:?}");
}

#[tokio::test]
async fn without_a_fill_window_each_block_starts_at_its_timestamp_and_is_sealed_at_once() {
    let mut rig = Rig::sequencing_from(64, unix_now().as_secs() - 4).await;
    let config = SequencerConfig { fill: false, ..settings(true) };
    let handle = start_sequencer(&rig, config, vec![]);
    apply_genesis_safe(&mut rig).await;
    let opened = unix_now();
    wait_for_head(&rig, "three blocks on time", |h| h.timestamp >= opened.as_secs() + 8).await;
    handle.stop().await.unwrap();

    let times = rig.engine.build_times();
    let mut on_time = 0;
    for b in &times {
        let t = Duration::from_secs(b.timestamp);
        let resolved = b.resolved.expect("every block started before the stop was sealed");
        assert!(resolved - b.started < SLACK, "sealed at once: {b:?}");
        if t > opened + Duration::from_secs(rig.config.block_time) {
            on_time += 1;
            assert!(b.started >= t, "block at {t:?} started before its timestamp: {b:?}");
            assert!(b.started < t + SLACK, "block at {t:?} started late: {b:?}");
        }
    }
    assert!(on_time >= 3, "{on_time} blocks on time in {times:?}");
}

#[tokio::test]
async fn a_stop_during_the_fill_window_drops_the_block() {
    let mut rig = Rig::sequencing_from(64, unix_now().as_secs() - 4).await;
    let handle = start_sequencer(&rig, settings(true), vec![]);
    apply_genesis_safe(&mut rig).await;
    // Wait until a block on time is being filled.
    let mut filling = None;
    for _ in 0..2_000 {
        let last = rig.engine.build_times().last().copied();
        if let Some(b) = last.filter(|b| b.resolved.is_none() && b.timestamp > unix_now().as_secs())
        {
            filling = Some(b);
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let filling = filling.expect("a block in its fill window");
    let seen = handle.idle().borrow().count;
    let stopped_at = handle.stop().await.unwrap();
    let head = rig.engine.labels().0;
    assert_eq!(stopped_at, head.hash, "stop returns the head");
    assert!(head.timestamp < filling.timestamp, "not the block being filled");
    waited(&handle, seen, "inactive").await;
    assert_eq!(rig.engine.labels().0, head, "the block being filled is not sealed");
    let after = rig.engine.build_times();
    let dropped = after.iter().find(|b| b.timestamp == filling.timestamp).unwrap();
    assert_eq!(dropped.resolved, None, "its payload is never asked for");
    assert_eq!(after.len(), rig.engine.build_times().len());
}

#[tokio::test]
async fn an_l1_reorg_of_unsafe_origins_rewinds_to_the_highest_block_with_a_canonical_origin() {
    // A follower takes every block the sequencer pushes (admin_postUnsafePayload).
    let mut follower = Rig::sequencing(64).await;
    apply_genesis_safe(&mut follower).await;
    let (follower_url, _server) = admin_server(Admin::new(None, follower.owner.clone())).await;
    // Genesis in 2023: back to back. Blocks n have origin ⌊n / 6⌋ (2 s against 12 s).
    let mut rig = Rig::sequencing(64).await;
    let handle = start_sequencer(&rig, settings(true), vec![follower_url]);
    apply_genesis_safe(&mut rig).await;
    wait_for_head(&rig, "block 30", |h| h.number >= 30).await;
    let stopped_at = handle.stop().await.unwrap();
    let head = rig.engine.labels().0;
    assert_eq!(stopped_at, head.hash);
    let before = chain(&rig, &head).await;
    assert!(before[17].l1_origin.number == 2 && before[18].l1_origin.number == 3);

    // L1 replaces blocks 3.. with another branch: blocks 18.. have reorged-out origins.
    rig.l1.reorg_from(3);
    handle.start(head.hash).await.unwrap();
    let new_origin_6 = rig.l1.block(6).id();
    wait_for_head(&rig, "a block on the new L1 branch's block 6", |h| h.l1_origin == new_origin_6)
        .await;
    let stopped_at = handle.stop().await.unwrap();
    let head = rig.engine.labels().0;
    assert_eq!(stopped_at, head.hash);

    let after = chain(&rig, &head).await;
    assert_eq!(after[..18], before[..18], "blocks with canonical origins are kept");
    assert_ne!(after[18].hash, before[18].hash, "block 18 is rebuilt");
    assert_eq!(after[18].parent_hash, before[17].hash, "a sibling built on block 17");
    assert_eq!(after[18].timestamp, before[18].timestamp, "no timestamp skipped");
    for b in &after {
        assert_eq!(b.l1_origin, rig.l1.block(b.l1_origin.number).id(), "block {} origin", b.number);
    }
    assert_eq!(after[18].l1_origin, rig.l1.block(3).id());
    assert_eq!(rig.engine.labels().1, Some(rig.main(0)), "safe never moves for a rewind");
    assert_eq!(follower.engine.labels().0, head, "the follower took the new branch");
    assert_eq!(chain(&follower, &head).await, after);
}

#[tokio::test]
async fn a_stalled_follow_source_never_stops_block_production() {
    let mut rig = Rig::sequencing_from(64, unix_now().as_secs() - 4).await;
    let handle = start_sequencer(&rig, settings(true), vec![]);
    apply_genesis_safe(&mut rig).await;
    // The source now accepts requests and never answers.
    rig.source.set_reply(Reply::Delayed(
        Duration::from_secs(3_600),
        Box::new(Reply::Result(serde_json::Value::Null)),
    ));
    let (engine, source_polls) = (rig.engine.clone(), rig.source.polls());
    let start = engine.labels().0.number;
    let mut ticks = 0;
    while engine.labels().0.number < start + 3 && ticks < 40 {
        rig.follow.tick().await;
        ticks += 1;
    }
    let head = engine.labels().0;
    handle.stop().await.unwrap();
    assert!(head.number >= start + 3, "blocks kept coming: {} → {}", start, head.number);
    assert_eq!(rig.source.polls() - source_polls, ticks, "one request per tick, none retried");
    assert_eq!(rig.source.server.max_open_connections(), 1, "never two requests in flight");
}
