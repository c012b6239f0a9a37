//! `opp2p_peerStats`: counts of the rollup node's CL peers, in op-node's JSON shape (op-node
//! `p2p/rpc_server.go`, 2024-10; op-conductor's health check reads `connected`).

use serde::{Deserialize, Serialize};

/// How many CL peers the node has, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerStats {
    /// Peers connected now.
    pub connected: u64,
    /// Nodes in the discovery table (0 without discovery).
    pub table: u64,
    /// Connected peers on the v1 block topic (`/optimism/<chain id>/0/blocks`).
    pub blocks_topic: u64,
    /// On the v2 block topic (Canyon).
    #[serde(rename = "blocksTopicV2")]
    pub blocks_topic_v2: u64,
    /// On the v3 block topic (Ecotone).
    #[serde(rename = "blocksTopicV3")]
    pub blocks_topic_v3: u64,
    /// On the v4 block topic (Isthmus; newer op-node versions report it, older ones ignore it).
    #[serde(rename = "blocksTopicV4", default)]
    pub blocks_topic_v4: u64,
    /// Peers banned.
    pub banned: u64,
    /// Peers known (connected now or before).
    pub known: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_op_nodes_answer_and_writes_its_field_names() {
        // An op-node v1.9 answer (fields as `p2p.PeerStats` marshals them).
        let json = r#"{"connected":3,"table":40,"blocksTopic":3,"blocksTopicV2":3,"blocksTopicV3":2,"banned":0,"known":12}"#;
        let stats: PeerStats = serde_json::from_str(json).unwrap();
        assert_eq!(stats.connected, 3);
        assert_eq!((stats.table, stats.blocks_topic_v3, stats.known), (40, 2, 12));
        assert_eq!(stats.blocks_topic_v4, 0);
        let back = serde_json::to_value(stats).unwrap();
        for key in [
            "connected",
            "table",
            "blocksTopic",
            "blocksTopicV2",
            "blocksTopicV3",
            "blocksTopicV4",
            "banned",
            "known",
        ] {
            assert!(back.get(key).is_some(), "{key} in {back}");
        }
    }
}
