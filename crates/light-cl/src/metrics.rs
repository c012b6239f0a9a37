//! Metrics of the light CL, recorded with the `metrics` crate (reth's Prometheus endpoint exports
//! them). [`METRICS`] describes each one; the book's metrics chapter lists the same names, and a
//! test fails when the three (emitted here, described, documented) drift apart.

use crate::{EngineError, Heads};
use alloy_rpc_types_engine::{ForkchoiceUpdated, PayloadStatusEnum};
use metrics::{
    counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Unit,
};
use std::time::Duration;

/// What a metric records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Only goes up.
    Counter,
    /// A current value.
    Gauge,
    /// A distribution of values.
    Histogram,
}

/// One metric of the light CL: its name, kind, unit and help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The name, as exported.
    pub name: &'static str,
    /// What it records.
    pub kind: MetricKind,
    /// Its unit.
    pub unit: Unit,
    /// Help text.
    pub help: &'static str,
}

const fn m(name: &'static str, kind: MetricKind, unit: Unit, help: &'static str) -> Metric {
    Metric { name, kind, unit, help }
}

use MetricKind::{Counter as C, Gauge as G, Histogram as H};

/// Every metric the light CL records.
pub const METRICS: &[Metric] = &[
    m("light_cl_follow_polls_total", C, Unit::Count, "Polls of the follow source"),
    m(
        "light_cl_follow_poll_seconds",
        H,
        Unit::Seconds,
        "Time to get the follow sources' answers and check them",
    ),
    m("light_cl_follow_poll_failures_total", C, Unit::Count, "Follow ticks skipped, by kind"),
    m("light_cl_follow_rejected_updates_total", C, Unit::Count, "Whole updates refused, by reason"),
    m(
        "light_cl_follow_dropped_fields_total",
        C,
        Unit::Count,
        "Single fields not applied, by reason",
    ),
    m("light_cl_follow_decisions_total", C, Unit::Count, "Follow decisions, by case"),
    m("light_cl_follow_safe_lag_blocks", G, Unit::Count, "Source's safe number minus ours"),
    m(
        "light_cl_follow_safe_stalled_ticks",
        G,
        Unit::Count,
        "Ticks in a row the source's safe head moved and ours did not",
    ),
    m(
        "light_cl_follow_catch_up_failures_total",
        C,
        Unit::Count,
        "Catch-ups from the source's execution RPC refused",
    ),
    m("light_cl_source_up", G, Unit::Count, "1 when the follow source's last answer was usable"),
    m("light_cl_source_poll_seconds", H, Unit::Seconds, "Time to the follow source's answer"),
    m("light_cl_source_faults_total", C, Unit::Count, "Follow source answers not used, by reason"),
    m("light_cl_source_safe_number", G, Unit::Count, "Safe number in the source's last answer"),
    m(
        "light_cl_source_vouched_total",
        C,
        Unit::Count,
        "Ticks the source vouched for the agreed head, by head",
    ),
    m(
        "light_cl_source_disagreements_total",
        C,
        Unit::Count,
        "Heights at which the source named another block than a second source (an alert)",
    ),
    m("light_cl_quorum_reached", G, Unit::Count, "1 when K sources agreed on a head, by head"),
    m("light_cl_source_on_cycle", G, Unit::Count, "1 when this node is on the source's chain"),
    m(
        "light_cl_follow_depth",
        G,
        Unit::Count,
        "Hops from this node to a deriving node (-1: none known)",
    ),
    m("light_cl_unsafe_number", G, Unit::Count, "Local canonical head number"),
    m("light_cl_safe_number", G, Unit::Count, "Local safe head number"),
    m("light_cl_finalized_number", G, Unit::Count, "Local finalized head number"),
    m(
        "light_cl_engine_forkchoice_updates_total",
        C,
        Unit::Count,
        "Forkchoice updates sent, by answer",
    ),
    m(
        "light_cl_engine_blocks_inserted_total",
        C,
        Unit::Count,
        "Blocks from the source's execution RPC the engine took",
    ),
    m(
        "light_cl_engine_build_seconds",
        H,
        Unit::Seconds,
        "Seal round trip in the engine owner: payload, new payload, forkchoice to the new head",
    ),
    m(
        "light_cl_engine_fork_limit_refusals_total",
        C,
        Unit::Count,
        "Blocks not taken because a fork this node cannot execute is active at them",
    ),
    m(
        "light_cl_fork_limit_seconds",
        G,
        Unit::Seconds,
        "Seconds until a fork this node cannot execute activates (negative once active)",
    ),
    m("light_cl_sequencer_active", G, Unit::Count, "1 while the sequencer builds"),
    m(
        "light_cl_sequencer_waits_total",
        C,
        Unit::Count,
        "Times the sequencer waited instead of building, by reason",
    ),
    m(
        "light_cl_sequencer_late_blocks_total",
        C,
        Unit::Count,
        "Blocks sealed at once: their fill window was over when building began",
    ),
    m(
        "light_cl_sequencer_sealed_offset_seconds",
        H,
        Unit::Seconds,
        "When each block was sealed relative to its timestamp (negative: before)",
    ),
    m(
        "light_cl_sequencer_conductor_commits_total",
        C,
        Unit::Count,
        "Sealed blocks committed to op-conductor, by outcome (ok, failed)",
    ),
    m(
        "light_cl_sequencer_rewinds_total",
        C,
        Unit::Count,
        "Times the sequencer rebuilt on an older block because L1 reorged out an origin",
    ),
    m(
        "light_cl_sequencer_rewound_blocks_total",
        C,
        Unit::Count,
        "Unsafe blocks replaced by rewinds",
    ),
    m(
        "light_cl_sequencer_build_failures_total",
        C,
        Unit::Count,
        "Slots that produced no block, by kind",
    ),
    m("light_cl_sequencer_blocks_total", C, Unit::Count, "Blocks sealed by this node"),
    m(
        "light_cl_sequencer_build_seconds",
        H,
        Unit::Seconds,
        "A whole sequencer slot: origin, attributes, start, fill, seal",
    ),
    m(
        "light_cl_sequencer_published_total",
        C,
        Unit::Count,
        "Sealed blocks published, by kind (rpc: --rollup.publish-to, gossip) and outcome",
    ),
    m(
        "light_cl_gossip_blocks_total",
        C,
        Unit::Count,
        "Valid gossiped blocks by what the engine owner did (head, held, known, target, refused)",
    ),
    m(
        "light_cl_gossip_head_delay_seconds",
        H,
        Unit::Seconds,
        "From a gossiped block's timestamp to it being our unsafe head",
    ),
    m(
        "light_cl_unsafe_payloads_received_total",
        C,
        Unit::Count,
        "Blocks pushed with admin_postUnsafePayload, by outcome",
    ),
];

/// Describes every metric to the installed recorder (once, at start).
pub fn describe_metrics() {
    for metric in METRICS {
        match metric.kind {
            MetricKind::Counter => describe_counter!(metric.name, metric.unit, metric.help),
            MetricKind::Gauge => describe_gauge!(metric.name, metric.unit, metric.help),
            MetricKind::Histogram => describe_histogram!(metric.name, metric.unit, metric.help),
        }
    }
}

pub(crate) fn poll() {
    counter!("light_cl_follow_polls_total").increment(1);
}

pub(crate) fn poll_latency(elapsed: Duration) {
    histogram!("light_cl_follow_poll_seconds").record(elapsed.as_secs_f64());
}

pub(crate) fn poll_failed(kind: &'static str) {
    counter!("light_cl_follow_poll_failures_total", "kind" => kind).increment(1);
}

pub(crate) fn rejected(reason: &'static str) {
    counter!("light_cl_follow_rejected_updates_total", "reason" => reason).increment(1);
}

pub(crate) fn dropped(reason: &'static str) {
    counter!("light_cl_follow_dropped_fields_total", "reason" => reason).increment(1);
}

pub(crate) fn case(case: &'static str) {
    counter!("light_cl_follow_decisions_total", "case" => case).increment(1);
}

pub(crate) fn source_up(source: usize, up: bool) {
    gauge!("light_cl_source_up", "source" => source.to_string()).set(f64::from(u8::from(up)));
}

pub(crate) fn source_latency(source: usize, elapsed: Duration) {
    histogram!("light_cl_source_poll_seconds", "source" => source.to_string())
        .record(elapsed.as_secs_f64());
}

pub(crate) fn source_fault(source: usize, reason: &'static str) {
    counter!("light_cl_source_faults_total", "source" => source.to_string(), "reason" => reason)
        .increment(1);
}

pub(crate) fn source_safe(source: usize, number: u64) {
    gauge!("light_cl_source_safe_number", "source" => source.to_string()).set(number as f64);
}

pub(crate) fn vouched(source: usize, head: &'static str) {
    counter!("light_cl_source_vouched_total", "source" => source.to_string(), "head" => head)
        .increment(1);
}

pub(crate) fn disagreement(source: usize) {
    counter!("light_cl_source_disagreements_total", "source" => source.to_string()).increment(1);
}

pub(crate) fn quorum_reached(head: &'static str, reached: bool) {
    gauge!("light_cl_quorum_reached", "head" => head).set(f64::from(u8::from(reached)));
}

pub(crate) fn source_on_cycle(source: usize, on_cycle: bool) {
    gauge!("light_cl_source_on_cycle", "source" => source.to_string())
        .set(f64::from(u8::from(on_cycle)));
}

pub(crate) fn follow_depth(depth: Option<u64>) {
    gauge!("light_cl_follow_depth").set(depth.map_or(-1.0, |d| d as f64));
}

pub(crate) fn safe_lag(blocks: u64) {
    gauge!("light_cl_follow_safe_lag_blocks").set(blocks as f64);
}

pub(crate) fn safe_stalled_ticks(ticks: u32) {
    gauge!("light_cl_follow_safe_stalled_ticks").set(f64::from(ticks));
}

pub(crate) fn fork_limit_refusal(what: &'static str) {
    counter!("light_cl_engine_fork_limit_refusals_total", "what" => what).increment(1);
}

pub(crate) fn fork_limit_seconds(seconds: i64) {
    gauge!("light_cl_fork_limit_seconds").set(seconds as f64);
}

pub(crate) fn heads(heads: &Heads) {
    gauge!("light_cl_unsafe_number").set(heads.unsafe_head.number as f64);
    if let Some(s) = heads.safe {
        gauge!("light_cl_safe_number").set(s.number as f64);
    }
    if let Some(f) = heads.finalized {
        gauge!("light_cl_finalized_number").set(f.number as f64);
    }
}

pub(crate) fn forkchoice_update(result: &Result<ForkchoiceUpdated, EngineError>) {
    let status = match result {
        Ok(u) => match u.payload_status.status {
            PayloadStatusEnum::Valid => "valid",
            PayloadStatusEnum::Syncing => "syncing",
            PayloadStatusEnum::Accepted => "accepted",
            PayloadStatusEnum::Invalid { .. } => "invalid",
        },
        Err(EngineError::Forkchoice(_)) => "invalid_forkchoice_state",
        Err(_) => "error",
    };
    counter!("light_cl_engine_forkchoice_updates_total", "status" => status).increment(1);
}

pub(crate) fn inserted(blocks: usize) {
    counter!("light_cl_engine_blocks_inserted_total").increment(blocks as u64);
}

pub(crate) fn catch_up_failed() {
    counter!("light_cl_follow_catch_up_failures_total").increment(1);
}

pub(crate) fn sequencer_active(active: bool) {
    gauge!("light_cl_sequencer_active").set(if active { 1.0 } else { 0.0 });
}

pub(crate) fn sequencer_waiting(reason: &'static str) {
    counter!("light_cl_sequencer_waits_total", "reason" => reason).increment(1);
}

pub(crate) fn sequencer_late() {
    counter!("light_cl_sequencer_late_blocks_total").increment(1);
}

pub(crate) fn sequencer_failed(kind: &'static str) {
    counter!("light_cl_sequencer_build_failures_total", "kind" => kind).increment(1);
}

pub(crate) fn sequencer_built(elapsed: Duration) {
    counter!("light_cl_sequencer_blocks_total").increment(1);
    histogram!("light_cl_sequencer_build_seconds").record(elapsed.as_secs_f64());
}

pub(crate) fn published(kind: &'static str, ok: bool) {
    let outcome = if ok { "ok" } else { "failed" };
    counter!("light_cl_sequencer_published_total", "kind" => kind, "outcome" => outcome)
        .increment(1);
}

pub(crate) fn gossip_block(outcome: &'static str) {
    counter!("light_cl_gossip_blocks_total", "outcome" => outcome).increment(1);
}

pub(crate) fn gossip_head_delay(seconds: f64) {
    histogram!("light_cl_gossip_head_delay_seconds").record(seconds);
}

pub(crate) fn pushed(outcome: &'static str) {
    counter!("light_cl_unsafe_payloads_received_total", "outcome" => outcome).increment(1);
}

pub(crate) fn sequencer_sealed_offset(sealed: Duration, timestamp: Duration) {
    let offset = sealed.as_secs_f64() - timestamp.as_secs_f64();
    histogram!("light_cl_sequencer_sealed_offset_seconds").record(offset);
}

pub(crate) fn conductor_commit(ok: bool) {
    let outcome = if ok { "ok" } else { "failed" };
    counter!("light_cl_sequencer_conductor_commits_total", "outcome" => outcome).increment(1);
}

pub(crate) fn sequencer_rewound(blocks: u64) {
    counter!("light_cl_sequencer_rewinds_total").increment(1);
    counter!("light_cl_sequencer_rewound_blocks_total").increment(blocks);
}

pub(crate) fn build_round_trip(elapsed: Duration) {
    histogram!("light_cl_engine_build_seconds").record(elapsed.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every `light_cl_…` name quoted in `text`.
    fn names(text: &str) -> BTreeSet<&str> {
        text.split(['"', '`'])
            .filter(|w| {
                w.starts_with("light_cl_")
                    && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            .collect()
    }

    #[test]
    fn emitted_described_and_documented_agree() {
        let source = include_str!("metrics.rs");
        let emitting = &source[source.find("pub fn describe_metrics").unwrap()..];
        let emitting = &emitting[..emitting.find("#[cfg(test)]").unwrap()];
        let emitted = names(emitting);
        let described: BTreeSet<_> = METRICS.iter().map(|m| m.name).collect();
        assert_eq!(described.len(), METRICS.len(), "a metric is described twice");
        let book = include_str!("../../../book/src/metrics.md");
        let documented: BTreeSet<_> = book
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            // The gossip network's own (crate light-cl-p2p) are checked there.
            .filter(|n| !n.starts_with("light_cl_p2p_"))
            .collect();
        assert_eq!(emitted, described, "emitted (left) vs described in METRICS (right)");
        assert_eq!(described, documented, "described (left) vs book/src/metrics.md (right)");
    }
}
