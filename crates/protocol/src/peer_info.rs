//! `opp2p_self` and `opp2p_peers`: one CL peer, and every peer, in op-node's JSON shape (op-node
//! `p2p/rpc_api.go` and `p2p/store/iface.go`, 2024-10; the same in `op-service/apis/p2p.go`
//! later). Every key is always written, as Go writes them.

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// One CL peer (or this node itself, for `opp2p_self`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
    /// The libp2p peer id (base58).
    #[serde(rename = "peerID")]
    pub peer_id: String,
    /// The discv5 node id: keccak256 of the uncompressed secp256k1 key, 64 hex digits, no `0x`.
    #[serde(rename = "nodeID")]
    pub node_id: String,
    /// The agent the peer announced with identify (op-node: `optimism`).
    pub user_agent: String,
    /// The protocol version the peer announced with identify.
    pub protocol_version: String,
    /// The peer's ENR, when it was found by discovery; empty otherwise.
    #[serde(rename = "ENR")]
    pub enr: String,
    /// Its multiaddrs, each ending in `/p2p/<peer id>`.
    #[serde(deserialize_with = "null_as_empty")]
    pub addresses: Vec<String>,
    /// The protocols it announced with identify (`null` when not known).
    pub protocols: Option<Vec<String>>,
    /// go-libp2p's `Connectedness` as a number: 0 not connected, 1 connected, 2 can connect,
    /// 3 cannot connect, 4 limited.
    pub connectedness: u8,
    /// go-libp2p's `Direction` of the first connection as a number: 0 unknown, 1 inbound
    /// (it dialled us), 2 outbound.
    pub direction: u8,
    /// Whether the connection manager keeps it (static peers).
    pub protected: bool,
    /// Its L2 chain id, when discovery read it from the ENR; 0 otherwise.
    #[serde(rename = "chainID")]
    pub chain_id: u64,
    /// Ping round trip, in nanoseconds (Go's `time.Duration`).
    pub latency: u64,
    /// Whether it is on the block topics.
    pub gossip_blocks: bool,
    /// Its scores.
    #[serde(rename = "scores")]
    pub scores: PeerScores,
}

/// go-libp2p's `Connectedness` values used here.
pub mod connectedness {
    /// Not connected.
    pub const NOT_CONNECTED: u8 = 0;
    /// Connected.
    pub const CONNECTED: u8 = 1;
}

/// go-libp2p's `Direction` values.
pub mod direction {
    /// Unknown (this node itself, or no connection).
    pub const UNKNOWN: u8 = 0;
    /// The peer dialled this node.
    pub const INBOUND: u8 = 1;
    /// This node dialled the peer.
    pub const OUTBOUND: u8 = 2;
}

/// A peer's scores: gossipsub's and request/response's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerScores {
    /// Gossipsub's score.
    pub gossip: GossipScores,
    /// Request/response (not served here: zeros).
    pub req_resp: ReqRespScores,
}

/// Gossipsub's score of a peer and its parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GossipScores {
    /// The total.
    pub total: f64,
    /// On the block topics.
    pub blocks: TopicScores,
    /// The IP colocation factor.
    #[serde(rename = "IPColocationFactor")]
    pub ip_colocation_factor: f64,
    /// The behavioural penalty.
    pub behavioral_penalty: f64,
}

/// A peer's score parts on one topic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicScores {
    /// Time in the mesh.
    pub time_in_mesh: f64,
    /// First deliveries.
    pub first_message_deliveries: f64,
    /// Mesh deliveries.
    pub mesh_message_deliveries: f64,
    /// Invalid deliveries.
    pub invalid_message_deliveries: f64,
}

/// Request/response scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReqRespScores {
    /// Valid responses.
    pub valid_responses: f64,
    /// Error responses.
    pub error_responses: f64,
    /// Rejected payloads.
    pub rejected_payloads: f64,
}

/// `opp2p_peers`: every peer, by peer id, and the ban lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerDump {
    /// Peers connected now.
    pub total_connected: u64,
    /// The peers, keyed by peer id.
    pub peers: BTreeMap<String, PeerInfo>,
    /// Banned peer ids.
    #[serde(deserialize_with = "null_as_empty")]
    pub banned_peers: Vec<String>,
    /// Banned IP addresses.
    #[serde(rename = "bannedIPS", deserialize_with = "null_as_empty")]
    pub banned_ips: Vec<String>,
    /// Banned subnets, as Go writes a `net.IPNet`.
    #[serde(deserialize_with = "null_as_empty")]
    pub banned_subnets: Vec<BannedSubnet>,
}

/// A banned subnet as Go's `net.IPNet` marshals: the address and the mask bytes in base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BannedSubnet {
    /// The network address.
    #[serde(rename = "IP")]
    pub ip: String,
    /// The mask, base64.
    #[serde(rename = "Mask")]
    pub mask: String,
}

/// Go writes a nil slice as `null`: read it as an empty list.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Answers of an op-node on OP Sepolia (April 2024), as recorded in the tests of reth's
    // `rpc-api` crate (`optimism.rs`, since removed there); Go writes `0` where that copy has `0.0`.
    const SELF: &str = r#"{"peerID":"16Uiu2HAm2y6DXp6THWHCyquczNUh8gVAm4spo6hjP3Ns1dGRiAdE","nodeID":"75a52a90fe5f972171fefce2399ca5a73191c654e7c7ddfdd71edf4fca6697f0","userAgent":"","protocolVersion":"","ENR":"enr:-J-4QFOtI_hDBa_kilrQcg4iTJt9VMAuDLCbgAAKMa--WfxoPml1xDYxypUG7IsWga83FOlvr78LG3oH8CfzRzUmsDyGAYvKqIZ2gmlkgnY0gmlwhGxAaceHb3BzdGFja4Xc76gFAIlzZWNwMjU2azGhAnAON-FvpiWY2iG_LXJDYosknGyikaajPDd1cQARsVnBg3RjcIIkBoN1ZHCC0Vs","addresses":["/ip4/127.0.0.1/tcp/9222/p2p/16Uiu2HAm2y6DXp6THWHCyquczNUh8gVAm4spo6hjP3Ns1dGRiAdE","/ip4/192.168.1.71/tcp/9222/p2p/16Uiu2HAm2y6DXp6THWHCyquczNUh8gVAm4spo6hjP3Ns1dGRiAdE","/ip4/108.64.105.199/tcp/9222/p2p/16Uiu2HAm2y6DXp6THWHCyquczNUh8gVAm4spo6hjP3Ns1dGRiAdE"],"protocols":null,"connectedness":0,"direction":0,"protected":false,"chainID":0,"latency":0,"gossipBlocks":true,"scores":{"gossip":{"total":0,"blocks":{"timeInMesh":0,"firstMessageDeliveries":0,"meshMessageDeliveries":0,"invalidMessageDeliveries":0},"IPColocationFactor":0,"behavioralPenalty":0},"reqResp":{"validResponses":0,"errorResponses":0,"rejectedPayloads":0}}}"#;
    const PEERS: &str = r#"{"totalConnected":20,"peers":{"16Uiu2HAkvNYscHu4V1uj6fVWkwrAMCRsqXDSq4mUbhpGq4LttYsC":{"peerID":"16Uiu2HAkvNYscHu4V1uj6fVWkwrAMCRsqXDSq4mUbhpGq4LttYsC","nodeID":"d693c5b58424016c0c38ec5539c272c754cb6b8007b322e0ecf16a4ee13f96fb","userAgent":"optimism","protocolVersion":"","ENR":"","addresses":["/ip4/20.249.62.215/tcp/9222/p2p/16Uiu2HAkvNYscHu4V1uj6fVWkwrAMCRsqXDSq4mUbhpGq4LttYsC"],"protocols":["/ipfs/ping/1.0.0","/meshsub/1.0.0","/meshsub/1.1.0","/opstack/req/payload_by_number/11155420/0","/floodsub/1.0.0","/ipfs/id/1.0.0","/ipfs/id/push/1.0.0"],"connectedness":1,"direction":1,"protected":false,"chainID":0,"latency":0,"gossipBlocks":true,"scores":{"gossip":{"total":-5.04,"blocks":{"timeInMesh":0,"firstMessageDeliveries":0,"meshMessageDeliveries":0,"invalidMessageDeliveries":0},"IPColocationFactor":0,"behavioralPenalty":0},"reqResp":{"validResponses":0,"errorResponses":0,"rejectedPayloads":0}}}},"bannedPeers":[],"bannedIPS":[],"bannedSubnets":[]}"#;

    /// The JSON with its numbers as f64 (Go writes `0`, serde `0.0`; equal as numbers).
    fn normalized(json: &str) -> serde_json::Value {
        fn walk(v: serde_json::Value) -> serde_json::Value {
            use serde_json::Value;
            match v {
                Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
                Value::Array(a) => Value::Array(a.into_iter().map(walk).collect()),
                Value::Object(o) => {
                    Value::Object(o.into_iter().map(|(k, v)| (k, walk(v))).collect())
                }
                other => other,
            }
        }
        walk(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn reads_and_writes_op_nodes_self_answer() {
        let info: PeerInfo = serde_json::from_str(SELF).unwrap();
        assert_eq!(info.peer_id, "16Uiu2HAm2y6DXp6THWHCyquczNUh8gVAm4spo6hjP3Ns1dGRiAdE");
        assert_eq!(info.addresses.len(), 3);
        assert_eq!(info.protocols, None);
        assert!(info.enr.starts_with("enr:"));
        assert!(info.gossip_blocks);
        assert_eq!(normalized(&serde_json::to_string(&info).unwrap()), normalized(SELF));
    }

    #[test]
    fn reads_and_writes_op_nodes_peers_answer() {
        let dump: PeerDump = serde_json::from_str(PEERS).unwrap();
        assert_eq!(dump.total_connected, 20);
        let peer = &dump.peers["16Uiu2HAkvNYscHu4V1uj6fVWkwrAMCRsqXDSq4mUbhpGq4LttYsC"];
        assert_eq!(peer.user_agent, "optimism");
        assert_eq!(
            (peer.connectedness, peer.direction),
            (connectedness::CONNECTED, direction::INBOUND)
        );
        assert_eq!(peer.scores.gossip.total, -5.04);
        assert_eq!(peer.protocols.as_ref().unwrap().len(), 7);
        assert_eq!(normalized(&serde_json::to_string(&dump).unwrap()), normalized(PEERS));
    }

    #[test]
    fn nil_lists_are_read_as_empty() {
        let json = r#"{"totalConnected":0,"peers":{},"bannedPeers":null,"bannedIPS":null,"bannedSubnets":null}"#;
        let dump: PeerDump = serde_json::from_str(json).unwrap();
        assert!(dump.banned_peers.is_empty() && dump.banned_ips.is_empty());
        assert!(dump.banned_subnets.is_empty());
        let mut me: serde_json::Value = serde_json::from_str(SELF).unwrap();
        me["addresses"] = serde_json::Value::Null;
        let info: PeerInfo = serde_json::from_value(me).unwrap();
        assert!(info.addresses.is_empty());
        assert!(
            serde_json::from_str::<PeerDump>(r#"{"totalConnected":0}"#).is_err(),
            "keys are required"
        );
    }

    #[test]
    fn a_banned_subnet_is_gos_ipnet_object() {
        let json = r#"{"totalConnected":0,"peers":{},"bannedPeers":[],"bannedIPS":["10.0.0.1"],"bannedSubnets":[{"IP":"123.0.0.0","Mask":"/wAAAA=="}]}"#;
        let dump: PeerDump = serde_json::from_str(json).unwrap();
        assert_eq!(
            dump.banned_subnets[0],
            BannedSubnet { ip: "123.0.0.0".into(), mask: "/wAAAA==".into() }
        );
        assert_eq!(dump.banned_ips, ["10.0.0.1"]);
        assert_eq!(normalized(&serde_json::to_string(&dump).unwrap()), normalized(json));
    }
}
