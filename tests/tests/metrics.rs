//! The follow task's metrics, read from a local `metrics` recorder.

use light_cl_tests::{Reply, Rig};
use metrics_util::{
    debugging::{DebugValue, DebuggingRecorder},
    CompositeKey, MetricKind,
};

fn value(
    snapshot: &[(CompositeKey, DebugValue)],
    kind: MetricKind,
    name: &str,
    label: Option<(&str, &str)>,
) -> Option<f64> {
    snapshot.iter().find_map(|(key, v)| {
        let k = key.key();
        let labels_match = match label {
            Some((l, want)) => k.labels().any(|x| x.key() == l && x.value() == want),
            None => true,
        };
        (key.kind() == kind && k.name() == name && labels_match).then(|| match v {
            DebugValue::Counter(c) => *c as f64,
            DebugValue::Gauge(g) => g.into_inner(),
            DebugValue::Histogram(h) => h.len() as f64,
        })
    })
}

#[tokio::test]
async fn polls_failures_rejections_heads_and_lag() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _guard = metrics::set_default_local_recorder(&recorder);

    let mut rig = Rig::new(30).await;
    rig.source.set(rig.status(rig.main(30), rig.main(20), rig.main(10)));
    rig.follow.tick().await;
    rig.source.set_reply(Reply::Raw(200, "text/html", "<html></html>".into()));
    rig.follow.tick().await;
    rig.source.set(rig.status(rig.main(30), rig.main(12), rig.main(14)));
    rig.follow.tick().await;
    rig.source.set(rig.status(rig.main(30), rig.main(24), rig.main(10)));
    rig.engine.hide(24..=24);
    rig.follow.tick().await;

    let s: Vec<_> =
        snapshotter.snapshot().into_vec().into_iter().map(|(k, _, _, v)| (k, v)).collect();
    use MetricKind::*;
    assert_eq!(value(&s, Counter, "light_cl_follow_polls_total", None), Some(4.0));
    assert_eq!(
        value(&s, Counter, "light_cl_follow_poll_failures_total", Some(("kind", "malformed"))),
        Some(1.0)
    );
    assert_eq!(
        value(
            &s,
            Counter,
            "light_cl_follow_rejected_updates_total",
            Some(("reason", "finalized_above_safe"))
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&s, Counter, "light_cl_follow_decisions_total", Some(("case", "syncing"))),
        Some(1.0)
    );
    assert_eq!(value(&s, Gauge, "light_cl_safe_number", None), Some(20.0));
    assert_eq!(value(&s, Gauge, "light_cl_finalized_number", None), Some(10.0));
    assert_eq!(value(&s, Gauge, "light_cl_unsafe_number", None), Some(30.0));
    assert_eq!(value(&s, Gauge, "light_cl_follow_safe_lag_blocks", None), Some(4.0));
    assert_eq!(value(&s, Histogram, "light_cl_follow_poll_seconds", None), Some(4.0));
    assert_eq!(
        value(&s, Counter, "light_cl_engine_forkchoice_updates_total", Some(("status", "valid"))),
        Some(1.0)
    );
}
