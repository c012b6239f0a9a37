//! The follow graph (book: "Several sources", "Fan-out and cycles"): this node's
//! `optimism_followInfo`, refreshed from its sources' own at start and every
//! `follow_info_interval`. A source whose chain of sources holds this node's instance id is on a
//! cycle: no updates are taken from it until its chain no longer does.

use super::FollowTask;
use crate::{
    metrics,
    source::{FollowSource, SourceEl, L1},
    Chain,
};
use light_cl_protocol::{FollowInfo, Mode, SourceInfo, MAX_FOLLOW_INFO_DEPTH};
use tokio::time::{timeout_at, Instant};
use tracing::{debug, error, info};

impl<S: FollowSource, L: L1, C: Chain, E: SourceEl> FollowTask<S, L, C, E> {
    /// Refreshes the sources' follow infos when due (at the first tick, then every
    /// `follow_info_interval`).
    pub(super) async fn refresh_follow_graph_if_due(&mut self) {
        let now = Instant::now();
        if self.follow_info_at.is_some_and(|at| now < at) {
            return;
        }
        self.follow_info_at = Some(now + self.config.follow_info_interval);
        self.refresh_follow_graph().await;
    }

    /// Asks every source for its follow info (under one deadline), marks those on a cycle, and
    /// publishes this node's.
    pub(super) async fn refresh_follow_graph(&mut self) {
        let deadline = Instant::now() + self.config.source_deadline;
        let asked = self.sources.slots.iter().map(|slot| async move {
            match timeout_at(deadline, slot.source.follow_info()).await {
                Ok(Ok(info)) => Some(info.truncated(MAX_FOLLOW_INFO_DEPTH - 1)),
                Ok(Err(e)) => {
                    debug!(target: "light_cl::follow", %e, "no follow info from a source");
                    None
                }
                Err(_) => None,
            }
        });
        let infos = futures::future::join_all(asked).await;
        let identity = self.identity;
        for (index, (slot, info)) in self.sources.slots.iter_mut().zip(infos).enumerate() {
            // An unanswered ask keeps what was known: a cycle is not cleared by a timeout.
            if let Some(info) = info {
                let on_cycle = identity.is_some_and(|id| info.contains(&id));
                if on_cycle && !slot.on_cycle {
                    error!(target: "light_cl::follow", source = index, "ALERT: this node is on the follow source's chain of sources (a cycle); no updates are taken from it");
                } else if !on_cycle && slot.on_cycle {
                    info!(target: "light_cl::follow", source = index, "the follow source is no longer on a cycle; following it again");
                }
                slot.on_cycle = on_cycle;
                slot.info = Some(info);
            }
            metrics::source_on_cycle(index, slot.on_cycle);
        }
        let depth = FollowInfo::depth_over(
            self.sources.slots.iter().filter(|s| !s.on_cycle).filter_map(|s| s.info.as_ref()),
        );
        metrics::follow_depth(depth);
        self.publish_follow_info(depth);
    }

    /// Marks in the served follow info which sources vouched in the last tick (the sources'
    /// own infos are rebuilt only when refreshed).
    pub(super) fn publish_vouchers(&mut self) {
        let slots = &self.sources.slots;
        self.follow_info.send_if_modified(|info| {
            let mut changed = false;
            for (served, slot) in info.sources.iter_mut().zip(slots) {
                let now = (slot.vouched.0, slot.vouched.1);
                if (served.vouched_safe, served.vouched_finalized) != now {
                    (served.vouched_safe, served.vouched_finalized) = now;
                    changed = true;
                }
            }
            changed
        });
    }

    fn publish_follow_info(&mut self, depth: Option<u64>) {
        let sources = self
            .sources
            .slots
            .iter()
            .enumerate()
            .map(|(index, slot)| SourceInfo {
                index: index as u32,
                kind: slot.source.kind(),
                used: !slot.on_cycle,
                vouched_safe: slot.vouched.0,
                vouched_finalized: slot.vouched.1,
                info: slot.info.clone().map(Box::new),
            })
            .collect();
        let info = FollowInfo { mode: Mode::Light, instance_id: self.identity, depth, sources };
        self.follow_info.send_if_modified(|old| {
            let changed = *old != info;
            if changed {
                *old = info;
            }
            changed
        });
    }
}
