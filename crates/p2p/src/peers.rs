//! What the gossip node knows of each connected peer, for `opp2p_peers` and `opp2p_self`:
//! how it connected, what it announced with identify, its ping round trip. A peer is
//! forgotten when its last connection closes, so the table is as large as the connections.

use alloy_primitives::keccak256;
use libp2p::{identify, identity::PublicKey, multiaddr::Protocol, Multiaddr, PeerId};
use light_cl_protocol::{connectedness, direction, PeerInfo};
use std::{collections::HashMap, time::Duration};

/// At most this many addresses and protocols are kept of what a peer announces.
pub const MAX_ANNOUNCED: usize = 32;

/// The agent this node announces with identify.
pub const AGENT_VERSION: &str = concat!("op-reth-light/", env!("CARGO_PKG_VERSION"));

/// The protocol version this node announces with identify.
pub const PROTOCOL_VERSION: &str = "ipfs/0.1.0";

#[derive(Debug, Default)]
struct Peer {
    direction: u8,
    /// The remote address of each connection (the first one first).
    remote: Vec<Multiaddr>,
    identified: Option<Identified>,
    latency: Duration,
}

#[derive(Debug)]
struct Identified {
    agent: String,
    protocol_version: String,
    listen: Vec<Multiaddr>,
    protocols: Vec<String>,
}

/// The connected peers.
#[derive(Debug, Default)]
pub struct PeerTable {
    peers: HashMap<PeerId, Peer>,
}

impl PeerTable {
    /// A connection to `peer` was established, dialled by this node if `outbound`.
    pub fn connected(&mut self, peer: PeerId, remote: Multiaddr, outbound: bool) {
        let entry = self.peers.entry(peer).or_insert_with(|| Peer {
            direction: if outbound { direction::OUTBOUND } else { direction::INBOUND },
            ..Peer::default()
        });
        if entry.remote.len() < MAX_ANNOUNCED && !entry.remote.contains(&remote) {
            entry.remote.push(remote);
        }
    }

    /// A connection to `peer` closed, leaving `remaining` open.
    pub fn closed(&mut self, peer: &PeerId, remaining: u32) {
        if remaining == 0 {
            self.peers.remove(peer);
        }
    }

    /// `peer` announced itself with identify.
    pub fn identified(&mut self, peer: &PeerId, info: identify::Info) {
        if let Some(entry) = self.peers.get_mut(peer) {
            let short = |s: String| s.chars().take(256).collect::<String>();
            entry.identified = Some(Identified {
                agent: short(info.agent_version),
                protocol_version: short(info.protocol_version),
                listen: info.listen_addrs.into_iter().take(MAX_ANNOUNCED).collect(),
                protocols: info
                    .protocols
                    .into_iter()
                    .take(MAX_ANNOUNCED)
                    .map(|p| short(p.to_string()))
                    .collect(),
            });
        }
    }

    /// A ping to `peer` took `rtt`.
    pub fn pinged(&mut self, peer: &PeerId, rtt: Duration) {
        if let Some(entry) = self.peers.get_mut(peer) {
            entry.latency = rtt;
        }
    }

    /// `peer` as `opp2p_peers` shows it (`None` if not connected); the gossip score, topics and
    /// protection come from the caller.
    pub fn info(&self, peer: &PeerId) -> Option<PeerInfo> {
        self.peers.get(peer).map(|entry| entry.info(peer))
    }

    /// Every connected peer, as [`PeerTable::info`] shows it.
    pub fn infos(&self) -> impl Iterator<Item = (&PeerId, PeerInfo)> {
        self.peers.iter().map(|(peer, entry)| (peer, entry.info(peer)))
    }
}

impl Peer {
    fn info(&self, peer: &PeerId) -> PeerInfo {
        let mut info = base_info(peer);
        // The addresses it listens on, as it announced them, else those it connected from.
        let addrs = match &self.identified {
            Some(id) if !id.listen.is_empty() => &id.listen,
            _ => &self.remote,
        };
        info.addresses = addrs.iter().map(|a| with_peer_id(a, peer)).collect();
        if let Some(id) = &self.identified {
            info.user_agent = id.agent.clone();
            info.protocol_version = id.protocol_version.clone();
            info.protocols = Some(id.protocols.clone());
        }
        info.connectedness = connectedness::CONNECTED;
        info.direction = self.direction;
        info.latency = self.latency.as_nanos().try_into().unwrap_or(u64::MAX);
        info
    }
}

/// The fields every answer has: the peer id, the node id, and `/p2p/<id>` as its only address
/// (as go-libp2p writes a peer of no known address).
pub fn base_info(peer: &PeerId) -> PeerInfo {
    PeerInfo {
        peer_id: peer.to_string(),
        node_id: node_id(peer),
        addresses: vec![format!("/p2p/{peer}")],
        ..PeerInfo::default()
    }
}

/// `addr` ending in `/p2p/<peer>`.
pub fn with_peer_id(addr: &Multiaddr, peer: &PeerId) -> String {
    match addr.iter().last() {
        Some(Protocol::P2p(_)) => addr.to_string(),
        _ => addr.clone().with(Protocol::P2p(*peer)).to_string(),
    }
}

/// The discv5 node id of a secp256k1 peer id: keccak256 of the uncompressed public key without
/// its `04` prefix, 64 hex digits; zeros when the id holds no secp256k1 key.
pub fn node_id(peer: &PeerId) -> String {
    let hash = peer.as_ref();
    // Short keys are inlined in the peer id ("identity" multihash, code 0).
    let key = (hash.code() == 0)
        .then(|| PublicKey::try_decode_protobuf(hash.digest()).ok())
        .flatten()
        .and_then(|key| key.try_into_secp256k1().ok());
    match key {
        Some(key) => alloy_primitives::hex::encode(keccak256(&key.to_bytes_uncompressed()[1..])),
        None => "0".repeat(64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libp2p::identity::Keypair;

    #[test]
    fn node_id_of_a_real_op_node() {
        // OP Sepolia op-node's `opp2p_self` (see light-cl-protocol's PeerInfo tests).
        let peer: PeerId = "16Uiu2HAm2y6DXp6THWHCyquczNUh8gVAm4spo6hjP3Ns1dGRiAdE".parse().unwrap();
        assert_eq!(
            node_id(&peer),
            "75a52a90fe5f972171fefce2399ca5a73191c654e7c7ddfdd71edf4fca6697f0"
        );
        let ed25519 = Keypair::generate_ed25519().public().to_peer_id();
        assert_eq!(node_id(&ed25519), "0".repeat(64));
    }

    #[test]
    fn a_peer_is_kept_while_connected_and_what_it_announces_is_bounded() {
        let peer = Keypair::generate_secp256k1().public().to_peer_id();
        let mut table = PeerTable::default();
        assert!(table.info(&peer).is_none());
        let remote: Multiaddr = "/ip4/127.0.0.1/tcp/4000".parse().unwrap();
        table.connected(peer, remote.clone(), false);
        table.connected(peer, remote.clone(), true);
        let info = table.info(&peer).unwrap();
        assert_eq!(info.direction, direction::INBOUND, "the first connection's direction");
        assert_eq!(info.addresses, [format!("/ip4/127.0.0.1/tcp/4000/p2p/{peer}")]);
        assert_eq!(info.protocols, None);

        let announced = identify::Info {
            public_key: Keypair::generate_secp256k1().public(),
            protocol_version: "x".repeat(10_000),
            agent_version: "optimism".into(),
            listen_addrs: vec![remote; 1000],
            protocols: vec![libp2p::StreamProtocol::new("/meshsub/1.1.0"); 1000],
            observed_addr: Multiaddr::empty(),
            signed_peer_record: None,
        };
        table.identified(&peer, announced);
        table.pinged(&peer, Duration::from_millis(3));
        let info = table.info(&peer).unwrap();
        assert_eq!(info.user_agent, "optimism");
        assert_eq!(info.protocol_version.len(), 256);
        assert_eq!(info.addresses.len(), MAX_ANNOUNCED);
        assert_eq!(info.protocols.unwrap().len(), MAX_ANNOUNCED);
        assert_eq!(info.latency, 3_000_000);
        assert_eq!(info.connectedness, connectedness::CONNECTED);

        table.closed(&peer, 1);
        assert!(table.info(&peer).is_some(), "one connection is still open");
        table.closed(&peer, 0);
        assert!(table.info(&peer).is_none());
        assert_eq!(table.infos().count(), 0);
    }
}
