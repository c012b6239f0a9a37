//! Metrics of the gossip network, recorded with the `metrics` crate (reth's Prometheus endpoint
//! exports them). The book's metrics chapter lists the same names; a test keeps them in step.

use crate::{topic::Topic, validate::Verdict};
use metrics::{counter, describe_counter, describe_gauge, gauge, Unit};

/// Every metric of the gossip network: name, whether a gauge, and help.
pub const METRICS: &[(&str, bool, &str)] = &[
    ("light_cl_p2p_peers", true, "Connected libp2p peers"),
    (
        "light_cl_p2p_messages_total",
        false,
        "Gossip block messages by topic version and verdict (accepted, ignored, rejected) and reject reason",
    ),
    (
        "light_cl_p2p_dropped_total",
        false,
        "Valid blocks dropped because the engine owner had not taken the earlier ones",
    ),
    (
        "light_cl_p2p_refused_total",
        false,
        "Inbound connections refused: the inbound limit reached, or a third connection from one peer",
    ),
    ("light_cl_p2p_bans_total", false, "Peers banned because their gossip score fell below the ban threshold"),
    ("light_cl_p2p_discovery_table", true, "Nodes in the discv5 routing table"),
    (
        "light_cl_p2p_discovered_total",
        false,
        "Dialable nodes of this chain found by discovery, each counted once while remembered",
    ),
];

/// Describes every metric to the installed recorder (once, at start).
pub fn describe_metrics() {
    for (name, is_gauge, help) in METRICS {
        if *is_gauge {
            describe_gauge!(*name, Unit::Count, *help);
        } else {
            describe_counter!(*name, Unit::Count, *help);
        }
    }
}

pub(crate) fn peers(n: usize) {
    gauge!("light_cl_p2p_peers").set(n as f64);
}

pub(crate) fn message(topic: &str, verdict: &Verdict) {
    let version = match Topic::parse(topic).map(|t| t.version.topic_number()) {
        Some(0) => "0",
        Some(1) => "1",
        Some(2) => "2",
        Some(3) => "3",
        _ => "other",
    };
    let (verdict, reason) = match verdict {
        Verdict::Accept(_) => ("accepted", ""),
        Verdict::Ignore => ("ignored", ""),
        Verdict::Reject(r) => ("rejected", r.label()),
    };
    counter!("light_cl_p2p_messages_total", "version" => version, "verdict" => verdict, "reason" => reason)
        .increment(1);
}

pub(crate) fn dropped() {
    counter!("light_cl_p2p_dropped_total").increment(1);
}

pub(crate) fn banned() {
    counter!("light_cl_p2p_bans_total").increment(1);
}

pub(crate) fn discovery_table(n: usize) {
    gauge!("light_cl_p2p_discovery_table").set(n as f64);
}

pub(crate) fn discovered() {
    counter!("light_cl_p2p_discovered_total").increment(1);
}

pub(crate) fn refused() {
    counter!("light_cl_p2p_refused_total").increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn emitted_described_and_documented_agree() {
        let source = include_str!("metrics.rs");
        let code = &source[source.find("pub(crate) fn peers").unwrap()..];
        let code = &code[..code.find("#[cfg(test)]").unwrap()];
        let quoted = |text: &'static str| -> BTreeSet<&'static str> {
            text.split(['"', '`']).filter(|w| w.starts_with("light_cl_p2p_")).collect()
        };
        let described: BTreeSet<_> = METRICS.iter().map(|m| m.0).collect();
        assert_eq!(quoted(code), described, "emitted (left) vs described (right)");
        let book = include_str!("../../../book/src/metrics.md");
        let documented: BTreeSet<_> = book
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .filter(|n| n.starts_with("light_cl_p2p_"))
            .collect();
        assert_eq!(described, documented, "described (left) vs book/src/metrics.md (right)");
    }
}
