//! Metrics of the light CL, recorded with the `metrics` crate (reth's Prometheus endpoint exports
//! them). Names are listed in the book's metrics chapter.

use crate::{EngineError, Heads};
use alloy_rpc_types_engine::{ForkchoiceUpdated, PayloadStatusEnum};
use metrics::{counter, gauge, histogram};
use std::time::Duration;

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

pub(crate) fn safe_lag(blocks: u64) {
    gauge!("light_cl_follow_safe_lag_blocks").set(blocks as f64);
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

pub(crate) fn published(ok: bool) {
    let outcome = if ok { "ok" } else { "failed" };
    counter!("light_cl_sequencer_published_total", "outcome" => outcome).increment(1);
}

pub(crate) fn pushed(outcome: &'static str) {
    counter!("light_cl_unsafe_payloads_received_total", "outcome" => outcome).increment(1);
}

pub(crate) fn build_round_trip(elapsed: Duration) {
    histogram!("light_cl_engine_build_seconds").record(elapsed.as_secs_f64());
}
