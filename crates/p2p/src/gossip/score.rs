//! Peer scoring: gossipsub's peer score with op-node's "light" parameters (`p2p/peer_params.go`
//! of the 2024-10 snapshot), and the ban of peers whose score falls below a threshold (op-node's
//! `--p2p.ban.*`, on by default). A rejected message lowers its sender's score: one takes a
//! peer below the graylist threshold (its messages are ignored), and a peer found below the
//! ban threshold when the scores are looked at is banned for an hour.
//!
//! One change: op-node's penalty for delivering too few blocks in the mesh is left out. op-node
//! applied its topic scores to the first block topic only, silent since Canyon, so every peer
//! there scored -5.04 for the deficit; on every version's topic (here) a peer would lose that on
//! each quiet topic, and fall below the gossip threshold. op-node has since phased topic
//! scoring out (kona keeps it off by default); the invalid-message penalty is what is kept.

use libp2p::gossipsub::{PeerScoreParams, PeerScoreThresholds, TopicHash, TopicScoreParams};
use std::time::Duration;

/// Below this score a peer is disconnected and banned (op-node's `--p2p.ban.threshold`).
pub const BAN_THRESHOLD: f64 = -100.0;

/// How long a ban lasts (op-node's `--p2p.ban.duration`).
pub const BAN_DURATION: Duration = Duration::from_secs(3600);

/// How often scores are looked at for bans (op-node's peer monitor).
pub const INSPECT_INTERVAL: Duration = Duration::from_secs(15);

/// At most this many peers are banned at once; beyond, the ban ending first is lifted.
pub const MAX_BANNED: usize = 1024;

/// How peers are scored and banned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scoring {
    /// The chain's block time in seconds (the scoring's slot).
    pub block_time: u64,
    /// Whether peers below [`BAN_THRESHOLD`] are banned.
    pub ban: bool,
    /// How often scores are looked at: [`INSPECT_INTERVAL`] but in tests.
    pub inspect_interval: Duration,
}

impl Scoring {
    /// op-node's defaults: light scoring, bans on.
    pub const fn light(block_time: u64) -> Self {
        Self { block_time, ban: true, inspect_interval: INSPECT_INTERVAL }
    }
}

const DECAY_TO_ZERO: f64 = 0.01;
const MAX_IN_MESH_SCORE: f64 = 10.0;
const DECAY_EPOCHS: u32 = 5;

/// The factor that takes a score to [`DECAY_TO_ZERO`] over `duration`, applied once a slot.
fn decay(duration: Duration, slot: Duration) -> f64 {
    let times = (duration.as_nanos() / slot.as_nanos()) as f64;
    DECAY_TO_ZERO.powf(1.0 / times)
}

/// op-node's light peer score parameters for a chain with `block_time`, on each of `topics`,
/// without the mesh delivery penalties (see the module docs).
pub fn params(block_time: u64, topics: &[TopicHash]) -> PeerScoreParams {
    let slot = Duration::from_secs(block_time.max(1));
    let epoch = slot * 6;
    let slots_per_epoch = 6.0;
    let in_mesh_cap = (Duration::from_secs(3600).as_nanos() / slot.as_nanos()) as f64;
    let mesh_cap = slots_per_epoch * f64::from(DECAY_EPOCHS);
    let topic = TopicScoreParams {
        topic_weight: 0.8,
        time_in_mesh_weight: MAX_IN_MESH_SCORE / in_mesh_cap,
        time_in_mesh_quantum: slot,
        time_in_mesh_cap: in_mesh_cap,
        first_message_deliveries_weight: 1.0,
        first_message_deliveries_decay: decay(epoch * 20, slot),
        first_message_deliveries_cap: 23.0,
        // op-node's -0.7 for each: left out (see the module docs); the rest as op-node's.
        mesh_message_deliveries_weight: 0.0,
        mesh_message_deliveries_decay: decay(epoch * DECAY_EPOCHS, slot),
        mesh_message_deliveries_cap: mesh_cap,
        mesh_message_deliveries_threshold: (mesh_cap / 10.0).floor(),
        mesh_message_deliveries_window: Duration::from_secs(2),
        mesh_message_deliveries_activation: epoch * 4,
        mesh_failure_penalty_weight: 0.0,
        mesh_failure_penalty_decay: decay(epoch * DECAY_EPOCHS, slot),
        invalid_message_deliveries_weight: -140.4475,
        invalid_message_deliveries_decay: decay(epoch * 50, slot),
    };
    PeerScoreParams {
        topics: topics.iter().map(|t| (t.clone(), topic.clone())).collect(),
        topic_score_cap: 34.0,
        app_specific_weight: 1.0,
        ip_colocation_factor_weight: -35.0,
        ip_colocation_factor_threshold: 10.0,
        ip_colocation_factor_whitelist: Default::default(),
        behaviour_penalty_weight: -16.0,
        behaviour_penalty_threshold: 6.0,
        behaviour_penalty_decay: decay(epoch * 10, slot),
        decay_interval: slot,
        decay_to_zero: DECAY_TO_ZERO,
        retain_score: epoch * 100,
        ..PeerScoreParams::default()
    }
}

/// op-node's score thresholds: no gossip below -10, no publishing to and everything ignored
/// from a peer below -40.
pub fn thresholds() -> PeerScoreThresholds {
    PeerScoreThresholds {
        gossip_threshold: -10.0,
        publish_threshold: -40.0,
        graylist_threshold: -40.0,
        accept_px_threshold: 20.0,
        opportunistic_graft_threshold: 0.05,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// op-node's mesh delivery weight, left out here.
    const OP_NODE_MESH_WEIGHT: f64 = -0.7;

    #[test]
    fn the_parameters_are_op_nodes_and_valid() {
        let topic = TopicHash::from_raw("/optimism/10/0/blocks");
        for block_time in [1, 2, 12] {
            let p = params(block_time, std::slice::from_ref(&topic));
            p.validate().unwrap();
            thresholds().validate().unwrap();
            let t = &p.topics[&topic];
            // Each decay takes a score to 1 % over its period, in slots.
            let slots = |d: Duration| d.as_secs_f64() / block_time as f64;
            let to_zero = |f: f64, d: Duration| f.powf(slots(d));
            let epoch = Duration::from_secs(6 * block_time);
            assert!((to_zero(t.first_message_deliveries_decay, epoch * 20) - 0.01).abs() < 1e-9);
            assert!((to_zero(t.invalid_message_deliveries_decay, epoch * 50) - 0.01).abs() < 1e-9);
            assert_eq!(
                (t.mesh_message_deliveries_cap, t.mesh_message_deliveries_threshold),
                (30.0, 3.0)
            );
            assert_eq!(t.time_in_mesh_cap, 3600.0 / block_time as f64);
        }
        // op-node's penalty for a peer in the mesh of a quiet topic, 0.8 × -0.7 × 3² = -5.04, is
        // the score a real op-node on OP Sepolia shows for its peers (light-cl-protocol's
        // recorded opp2p_peers answer); here a quiet topic costs nothing.
        let t = &params(2, std::slice::from_ref(&topic)).topics[&topic];
        let deficit = t.mesh_message_deliveries_threshold;
        let op_node = t.topic_weight * OP_NODE_MESH_WEIGHT * deficit * deficit;
        assert!((op_node - -5.04).abs() < 1e-9, "{op_node}");
        assert_eq!((t.mesh_message_deliveries_weight, t.mesh_failure_penalty_weight), (0.0, 0.0));
        // One invalid message takes a peer below the graylist and the ban thresholds.
        let one_invalid = t.topic_weight * t.invalid_message_deliveries_weight;
        assert!(one_invalid < thresholds().graylist_threshold && one_invalid < BAN_THRESHOLD);
    }
}
