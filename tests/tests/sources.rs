//! Several follow sources over real loopback JSON-RPC: the quorum, failover, incoherent and
//! load-balanced answers, running without L1, and the follow graph (depth, cycles).

use alloy_primitives::B128;
use light_cl::{follow::Skipped, FollowConfig, TickOutcome};
use light_cl_protocol::{FollowInfo, L2BlockRef, Mode};
use light_cl_tests::{free_addr, Reply, Rig, RigOptions};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use std::time::Duration;

/// A follow config whose sources get 400 ms a tick (each request 500 ms, the rig's timeout).
fn follow_config() -> FollowConfig {
    FollowConfig {
        source_deadline: Duration::from_millis(400),
        follow_info_interval: Duration::from_millis(1),
        ..FollowConfig::for_block_time(2)
    }
}

async fn rig(local_head: u64, sources: usize, quorum: usize) -> Rig {
    Rig::with_options(RigOptions {
        local_head,
        follow: follow_config(),
        scripted_sources: sources,
        quorum,
        ..RigOptions::default()
    })
    .await
}

fn labels(rig: &Rig) -> (u64, Option<u64>, Option<u64>) {
    let (head, safe, finalized) = rig.engine.labels();
    (head.number, safe.map(|s| s.number), finalized.map(|f| f.number))
}

/// Counters read from a debugging recorder, whose snapshots drain them: kept as running totals.
struct Counters {
    snapshotter: Snapshotter,
    totals: std::cell::RefCell<Vec<(metrics_util::CompositeKey, u64)>>,
}

impl Counters {
    fn new(snapshotter: Snapshotter) -> Self {
        Self { snapshotter, totals: Default::default() }
    }

    /// Counter `name` so far, summed over the labels that match `label`.
    fn get(&self, name: &str, label: Option<(&str, &str)>) -> u64 {
        let mut totals = self.totals.borrow_mut();
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            if let DebugValue::Counter(c) = value {
                match totals.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, total)) => *total += c,
                    None => totals.push((key, c)),
                }
            }
        }
        totals
            .iter()
            .filter(|(key, _)| {
                let k = key.key();
                k.name() == name
                    && label.is_none_or(|(l, v)| k.labels().any(|x| x.key() == l && x.value() == v))
            })
            .map(|(_, total)| total)
            .sum()
    }
}

#[tokio::test]
async fn with_k2_only_heads_two_sources_vouch_for_are_applied() {
    let recorder = DebuggingRecorder::new();
    let counters = Counters::new(recorder.snapshotter());
    let _guard = metrics::set_default_local_recorder(&recorder);

    let mut rig = rig(40, 3, 2).await;
    let main = rig.main_range(0, 40);
    // Source 0: honest. Source 1: lies, its chain on another branch from 16 (safe 18).
    // Source 2: honest, a little behind and slow (within the deadline).
    rig.scripted(0).hold(&main);
    rig.scripted(0).set(rig.status(rig.main(40), rig.main(24), rig.main(10)));
    let liar: Vec<L2BlockRef> = (0..=20).map(|n| rig.l2(2, 16, n)).collect();
    rig.scripted(1).hold(&liar);
    rig.scripted(1).set(rig.status(rig.l2(2, 16, 20), rig.l2(2, 16, 18), rig.main(10)));
    rig.scripted(2).hold(&main);
    let slow = rig.status(rig.main(36), rig.main(22), rig.main(10));
    rig.scripted(2).set_reply(Reply::Delayed(
        Duration::from_millis(150),
        Box::new(Reply::Result(serde_json::to_value(slow).unwrap())),
    ));

    assert!(matches!(rig.follow.tick().await, TickOutcome::Applied(_)));
    // 24 has one voucher; 22 has two (source 2's own, source 0 by number); the liar's 18 is
    // disputed.
    assert_eq!(labels(&rig), (40, Some(22), Some(10)));
    let disagreements =
        |source| counters.get("light_cl_source_disagreements_total", Some(("source", source)));
    assert_eq!((disagreements("1"), disagreements("0") + disagreements("2")), (1, 1));
    let info = rig.served_follow_info().await;
    let vouched: Vec<bool> = info.sources.iter().map(|s| s.vouched_safe).collect();
    assert_eq!(vouched, [true, false, true], "the follow info says who agreed");

    // Source 2 goes down and source 0 moves on: one voucher for 30, nothing new is applied.
    rig.others[1].server.stop().await;
    rig.scripted(0).set(rig.status(rig.main(40), rig.main(30), rig.main(10)));
    rig.follow.tick().await;
    assert_eq!(labels(&rig), (40, Some(22), Some(10)), "the liar cannot vouch for 30");
    assert_eq!(counters.get("light_cl_source_faults_total", Some(("source", "2"))), 1);

    // Back, but slower than the deadline: skipped and counted as a timeout.
    rig.others[1].server.restart().await;
    let late = rig.status(rig.main(40), rig.main(30), rig.main(10));
    rig.scripted(2).set_reply(Reply::Delayed(
        Duration::from_secs(2),
        Box::new(Reply::Result(serde_json::to_value(late).unwrap())),
    ));
    rig.follow.tick().await;
    assert_eq!(labels(&rig).1, Some(22));
    assert_eq!(counters.get("light_cl_source_faults_total", Some(("reason", "timeout"))), 1);
    assert_eq!(counters.get("light_cl_source_faults_total", Some(("source", "2"))), 2);

    // In time again: 30 has two vouchers.
    rig.scripted(2).set(late);
    rig.follow.tick().await;
    assert_eq!(labels(&rig), (40, Some(30), Some(10)));
}

#[tokio::test]
async fn with_k1_the_highest_healthy_source_is_followed() {
    let mut rig = rig(40, 2, 1).await;
    rig.scripted(0).set(rig.status(rig.main(40), rig.main(20), rig.main(10)));
    rig.scripted(1).set(rig.status(rig.main(40), rig.main(26), rig.main(12)));
    rig.scripted(1).hold(&rig.main_range(0, 40));
    rig.follow.tick().await;
    assert_eq!(labels(&rig), (40, Some(26), Some(12)), "the higher source");

    // The higher one goes down: the other cannot take us back, and is followed once it passes.
    rig.others[0].server.stop().await;
    rig.follow.tick().await;
    assert_eq!(labels(&rig), (40, Some(26), Some(12)));
    rig.scripted(0).set(rig.status(rig.main(40), rig.main(32), rig.main(20)));
    rig.follow.tick().await;
    assert_eq!(labels(&rig), (40, Some(32), Some(20)));

    // Both down: the tick is skipped, named for what happened.
    rig.source.server.stop().await;
    assert_eq!(rig.follow.tick().await, TickOutcome::Skipped(Skipped::NoSource { asked: 2 }));
}

#[tokio::test]
async fn incoherent_answers_are_dropped() {
    let recorder = DebuggingRecorder::new();
    let counters = Counters::new(recorder.snapshotter());
    let _guard = metrics::set_default_local_recorder(&recorder);

    let mut rig = rig(40, 2, 1).await;
    // Source 1 is the higher one, but its finalized head is above its safe head.
    rig.scripted(0).set(rig.status(rig.main(40), rig.main(20), rig.main(10)));
    rig.scripted(1).set(rig.status(rig.main(40), rig.main(30), rig.main(34)));
    rig.follow.tick().await;
    assert_eq!(labels(&rig), (40, Some(20), Some(10)));
    let reason = ("reason", "finalized_above_safe");
    assert_eq!(counters.get("light_cl_source_faults_total", Some(reason)), 1);
    // An L1 origin that is not on L1: dropped too.
    let mut forged = rig.status(rig.main(40), rig.main(30), rig.main(10));
    forged.safe_l2.l1_origin.hash = alloy_primitives::B256::repeat_byte(0x66);
    rig.scripted(1).set(forged);
    rig.follow.tick().await;
    assert_eq!(labels(&rig).1, Some(20));
    let reason = ("reason", "safe_origin_not_canonical");
    assert_eq!(counters.get("light_cl_source_faults_total", Some(reason)), 1);
}

#[tokio::test]
async fn a_source_behind_a_load_balancer_never_moves_labels_back() {
    let mut rig = rig(40, 1, 1).await;
    // Two replicas at different heights, answered in turn.
    let (ahead, behind) = (
        rig.status(rig.main(40), rig.main(30), rig.main(20)),
        rig.status(rig.main(36), rig.main(24), rig.main(12)),
    );
    rig.source.alternate(&[ahead, behind]);
    let mut seen = Vec::new();
    for _ in 0..6 {
        rig.follow.tick().await;
        seen.push(labels(&rig));
    }
    assert!(seen.iter().all(|l| *l == (40, Some(30), Some(20))), "{seen:?}");
    assert_eq!(rig.source.polls(), 6, "every tick asked once");
}

#[tokio::test]
async fn without_l1_agreement_stands_in_for_it() {
    let mut rig = Rig::with_options(RigOptions {
        local_head: 40,
        follow: follow_config(),
        scripted_sources: 2,
        quorum: 2,
        l1: false,
        ..RigOptions::default()
    })
    .await;
    let polls = rig.l1.head_polls();
    let status = rig.status(rig.main(40), rig.main(24), rig.main(10));
    rig.scripted(0).set(status);
    rig.scripted(1).set(status);
    rig.follow.tick().await;
    assert_eq!(labels(&rig), (40, Some(24), Some(10)));
    let served = rig.served().await;
    assert_eq!((served.head_l1, served.finalized_l1), (status.head_l1, status.finalized_l1));
    assert_eq!(served.current_l1, status.current_l1);
    assert_eq!(rig.l1.head_polls(), polls, "no L1 request was made");

    // Disagreeing sources: nothing moves.
    rig.scripted(0).set(rig.status(rig.main(40), rig.main(30), rig.main(10)));
    rig.scripted(1).set(rig.status(rig.l2(3, 26, 40), rig.l2(3, 26, 30), rig.main(10)));
    rig.follow.tick().await;
    assert_eq!(labels(&rig).1, Some(24));
}

#[tokio::test]
async fn a_chain_of_two_light_nodes_reports_depth_two() {
    // D follows a deriving node (no optimism_followInfo); E follows D.
    let mut d = Rig::with_options(RigOptions {
        local_head: 30,
        follow: follow_config(),
        identity: Some(B128::repeat_byte(0xd)),
        ..RigOptions::default()
    })
    .await;
    d.source.set(d.status(d.main(30), d.main(20), d.main(10)));
    let mut e = Rig::with_options(RigOptions {
        local_head: 30,
        follow: follow_config(),
        source_urls: vec![d.rpc_url.clone()],
        identity: Some(B128::repeat_byte(0xe)),
        ..RigOptions::default()
    })
    .await;
    d.follow.tick().await;
    e.follow.tick().await;
    assert_eq!(labels(&e), (30, Some(20), Some(10)), "E follows D's served status");
    let (d_info, e_info) = (d.served_follow_info().await, e.served_follow_info().await);
    assert_eq!((d_info.mode, d_info.depth), (Mode::Light, Some(1)));
    assert_eq!(d_info.sources[0].info.as_deref(), Some(&FollowInfo::deriving()));
    assert_eq!(e_info.depth, Some(2));
    assert_eq!(e_info.instance_id, Some(B128::repeat_byte(0xe)));
    assert!(e_info.contains(&B128::repeat_byte(0xd)) && e_info.sources[0].used);
}

#[tokio::test]
async fn a_cycle_of_three_light_nodes_is_refused() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _guard = metrics::set_default_local_recorder(&recorder);

    // A follows B, B follows C, C follows A.
    let addrs = [free_addr(), free_addr(), free_addr()];
    let url = |i: usize| -> url::Url { format!("http://{}", addrs[i]).parse().unwrap() };
    let mut rigs = Vec::new();
    for (i, addr) in addrs.iter().enumerate() {
        rigs.push(
            Rig::with_options(RigOptions {
                local_head: 30,
                follow: follow_config(),
                source_urls: vec![url((i + 1) % 3)],
                identity: Some(B128::repeat_byte(i as u8 + 1)),
                rpc_addr: Some(*addr),
                ..RigOptions::default()
            })
            .await,
        );
    }
    // Each refresh carries the chain one hop further; three rounds close the cycle.
    let mut rounds = 0;
    loop {
        for rig in &mut rigs {
            rig.follow.tick().await;
        }
        rounds += 1;
        let mut refused = 0;
        for rig in &rigs {
            refused += usize::from(!rig.served_follow_info().await.sources[0].used);
        }
        if refused == 3 {
            break;
        }
        assert!(rounds < 10, "the cycle was not found in {rounds} rounds");
    }
    for rig in &rigs {
        let info = rig.served_follow_info().await;
        assert_eq!(info.depth, None, "no node of a cycle reaches a deriving node");
        // Nothing above the genesis each served before the cycle was found.
        assert!(labels(rig).1.is_none_or(|s| s == 0), "{:?}", labels(rig));
    }
    let mut on_cycle = 0.0;
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        if let (true, DebugValue::Gauge(g)) =
            (key.key().name() == "light_cl_source_on_cycle", value)
        {
            on_cycle += g.into_inner();
        }
    }
    assert_eq!(on_cycle, 1.0, "one gauge (source 0), set by the last node to refresh");
    assert!(matches!(rigs[0].follow.tick().await, TickOutcome::Skipped(Skipped::NoSource { .. })));
}

#[tokio::test]
async fn a_safe_head_its_own_execution_rpc_does_not_have_is_incoherent() {
    use light_cl::follow::Rejection;
    for replica_on_our_chain in [false, true] {
        let rig = rig(40, 1, 1).await;
        let status = rig.status(rig.main(40), rig.main(20), rig.main(10));
        rig.source.set(status);
        // The EL answers from another replica, whose chain left ours at 10, or from ours.
        let branch = if replica_on_our_chain { 0 } else { 5 };
        let el = light_cl_tests::HeadersEl((0..=40).map(|n| rig.l2(branch, 10, n)).collect());
        let Rig { follow, engine, source: _source, .. } = rig;
        let mut follow = follow.with_source_el(el);
        let outcome = follow.tick().await;
        if replica_on_our_chain {
            assert!(matches!(outcome, TickOutcome::Applied(_)), "{outcome:?}");
            assert_eq!(engine.labels().1.map(|s| s.number), Some(20));
        } else {
            let refused = Rejection::SafeNotOnSourceEl(status.safe_l2.id());
            assert_eq!(outcome, TickOutcome::Refused(refused));
            assert!(engine.updates().is_empty());
        }
    }
}
