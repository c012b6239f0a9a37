//! The gossip network: libp2p over TCP (noise, yamux or mplex, identify, ping) with gossipsub on the
//! chain's block topics, tuned as the spec says and without libp2p message signing (the
//! block's own signature is what counts). Every message is validated before gossipsub relays
//! it; valid blocks come out of a bounded channel, for the engine owner.
//!
//! Its [`GossipHandle`] (in `handle.rs`) is what the rest of the node talks to; the task that
//! owns the libp2p swarm is in `node.rs`.

mod handle;
mod node;
pub mod score;

pub use handle::{DiscoveredPeer, GossipHandle};
use node::Node;
pub use score::Scoring;

use crate::{
    message::{message_id, MAX_GOSSIP_SIZE},
    peers::{PeerTable, AGENT_VERSION, PROTOCOL_VERSION},
    topic::{block_topic, BlockVersion},
    validate::Validator,
};
use alloy_primitives::Address;
use libp2p::{
    connection_limits,
    gossipsub::{self, IdentTopic, MessageAuthenticity, ValidationMode},
    identify,
    identity::Keypair,
    noise, ping, tcp, yamux, Multiaddr, PeerId,
};
use light_cl_protocol::ForkTimes;
use op_alloy_rpc_types_engine::OpExecutionData;
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};
use tokio::sync::{mpsc, watch};

/// Valid blocks waiting for the engine owner; when it falls behind, newer blocks are dropped
/// (and counted), never queued without bound.
pub const RECEIVED_CAPACITY: usize = 64;

/// The gossipsub configuration of the spec ("Heartbeat and parameters"): mesh 8 (6–12), lazy
/// 6, heartbeat 0.5 s, fanout TTL 24 s, 12 heartbeats of history gossiping 3, message ids kept
/// 65 s, content-addressed ids, no author or signature on messages, and every message held
/// until the application has validated it.
pub fn gossipsub_config() -> gossipsub::Config {
    gossipsub::ConfigBuilder::default()
        .mesh_n(8)
        .mesh_n_low(6)
        .mesh_n_high(12)
        .gossip_lazy(6)
        .heartbeat_interval(Duration::from_millis(500))
        .fanout_ttl(Duration::from_secs(24))
        .history_length(12)
        .history_gossip(3)
        .duplicate_cache_time(Duration::from_secs(65))
        .max_transmit_size(MAX_GOSSIP_SIZE + 1024)
        .validation_mode(ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(|m: &gossipsub::Message| gossipsub::MessageId::from(message_id(&m.data)))
        .build()
        .expect("the spec's parameters are a valid gossipsub configuration")
}

pub use behaviour::{Behaviour, BehaviourEvent};

mod behaviour {
    // The derive's event enum carries no docs of its own.
    #![allow(missing_docs)]
    use libp2p::{
        allow_block_list::{self, BlockedPeers},
        connection_limits, gossipsub, identify, ping,
        swarm::NetworkBehaviour,
    };

    /// The libp2p behaviours of a rollup node.
    #[derive(NetworkBehaviour)]
    pub struct Behaviour {
        /// Refuses connections of banned peers.
        pub banned: allow_block_list::Behaviour<BlockedPeers>,
        /// Refuses inbound connections beyond the peer limit.
        pub limits: connection_limits::Behaviour,
        /// Block gossip.
        pub gossipsub: gossipsub::Behaviour,
        /// Client version and protocols exchange.
        pub identify: identify::Behaviour,
        /// Liveness and latency.
        pub ping: ping::Behaviour,
    }
}

/// What a gossip node needs.
#[derive(Debug, Clone)]
pub struct GossipConfig {
    /// The L2 chain id (topics and signatures).
    pub chain_id: u64,
    /// The chain's forks (the version of each block).
    pub forks: ForkTimes,
    /// The unsafe block signer trusted at start.
    pub signer: Address,
    /// Where to listen, e.g. `/ip4/127.0.0.1/tcp/9222`.
    pub listen: Multiaddr,
    /// The node's libp2p identity (secp256k1, like op-node's).
    pub keypair: Keypair,
    /// Peers to stay connected to: dialled at start and again every [`REDIAL_INTERVAL`] while
    /// not connected. Each address ends in `/p2p/<peer id>`.
    pub static_peers: Vec<Multiaddr>,
    /// At most this many inbound connections (and as many being set up); more are refused.
    /// The node's own dials (static peers) do not count; any peer has at most 2 connections.
    pub max_inbound: u32,
    /// Peer scoring and bans; `None`: no scoring (op-node's `--p2p.scoring none`).
    pub scoring: Option<Scoring>,
}

/// mplex with tight bounds (it has no flow control): at most 32 substreams, each buffering at
/// most 8 frames before the substream is reset, so one peer holds at most 256 frames.
fn mplex_config() -> libp2p_mplex::Config {
    let mut config = libp2p_mplex::Config::default();
    config
        .set_max_num_streams(32)
        .set_max_buffer_size(8)
        .set_max_buffer_behaviour(libp2p_mplex::MaxBufferBehaviour::ResetStream);
    config
}

/// op-node's peer high-water mark (`--p2p.peers.hi`), the default inbound limit.
pub const DEFAULT_MAX_INBOUND: u32 = 30;

/// The peer id a static peer's address ends in (`/p2p/<peer id>`), if it does.
pub fn static_peer_id(addr: &Multiaddr) -> Option<PeerId> {
    match addr.iter().last() {
        Some(libp2p::multiaddr::Protocol::P2p(peer)) => Some(peer),
        _ => None,
    }
}

/// How often static peers that are not connected are dialled again.
pub const REDIAL_INTERVAL: Duration = Duration::from_secs(15);

/// Why the gossip node could not start or act.
#[derive(Debug, thiserror::Error)]
pub enum GossipError {
    /// Building the transport or behaviours failed.
    #[error("building the libp2p node: {0}")]
    Build(String),
    /// Listening failed.
    #[error("listening on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
    /// The node has stopped.
    #[error("the gossip node has stopped")]
    Stopped,
    /// Gossipsub refused to publish (no peers on the topic, a duplicate, too large).
    #[error("publishing: {0}")]
    Publish(String),
    /// A static peer's address does not end in `/p2p/<peer id>`.
    #[error("the static peer {0} has no /p2p/<peer id> at its end")]
    StaticPeer(Multiaddr),
}

/// Counts of validation verdicts and of blocks dropped because the receiver was full.
#[derive(Debug, Default)]
pub struct GossipCounts {
    /// Accepted messages.
    pub accepted: AtomicU64,
    /// Ignored messages (seen already).
    pub ignored: AtomicU64,
    /// Rejected messages.
    pub rejected: AtomicU64,
    /// Valid blocks dropped because the engine owner had not taken the earlier ones.
    pub dropped: AtomicU64,
    /// Peers connected now.
    pub peers: AtomicU64,
    /// Nodes in discovery's routing table.
    pub table: AtomicU64,
    /// Rounds of discovery's walk done (lookup, then dials).
    pub walks: AtomicU64,
    /// Inbound connections refused (over the limit, or banned).
    pub refused: AtomicU64,
    /// Peers banned now.
    pub banned: AtomicU64,
    /// Times the scores were looked at for bans.
    pub inspections: AtomicU64,
    /// Connected peers subscribed to each block topic, by version (v1 first).
    pub topic_peers: [AtomicU64; 4],
}

impl GossipCounts {
    /// Peers connected now.
    pub fn connected(&self) -> u64 {
        self.peers.load(Ordering::Relaxed)
    }

    /// The counts as `opp2p_peerStats` reports them. There is no peer store: `known` is the
    /// connected peers.
    pub fn peer_stats(&self) -> light_cl_protocol::PeerStats {
        let topic = |v: usize| self.topic_peers[v].load(Ordering::Relaxed);
        let connected = self.connected();
        light_cl_protocol::PeerStats {
            connected,
            table: self.table.load(Ordering::Relaxed),
            blocks_topic: topic(0),
            blocks_topic_v2: topic(1),
            blocks_topic_v3: topic(2),
            blocks_topic_v4: topic(3),
            banned: self.banned.load(Ordering::Relaxed),
            known: connected,
        }
    }
}

/// Starts a gossip node on the current tokio runtime: its handle, and the valid blocks it
/// receives.
pub fn spawn(
    config: GossipConfig,
) -> Result<(GossipHandle, mpsc::Receiver<OpExecutionData>), GossipError> {
    let build = |e: &dyn std::fmt::Display| GossipError::Build(e.to_string());
    let block_topics = BlockVersion::ALL
        .map(|version| IdentTopic::new(block_topic(config.chain_id, version)).hash());
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            // yamux first, mplex for peers that speak only that (op-node offers both).
            (yamux::Config::default, mplex_config),
        )
        .map_err(|e| build(&e))?
        .with_behaviour(|key| {
            let mut gossipsub =
                gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, gossipsub_config())?;
            if let Some(scoring) = config.scoring {
                let params = score::params(scoring.block_time, &block_topics);
                gossipsub.with_peer_score(params, score::thresholds())?;
            }
            let identify = identify::Behaviour::new(
                identify::Config::new(PROTOCOL_VERSION.into(), key.public())
                    .with_agent_version(AGENT_VERSION.into()),
            );
            let limits = connection_limits::ConnectionLimits::default()
                .with_max_established_incoming(Some(config.max_inbound))
                .with_max_pending_incoming(Some(config.max_inbound))
                .with_max_established_per_peer(Some(2));
            let limits = connection_limits::Behaviour::new(limits);
            Ok(Behaviour {
                banned: Default::default(),
                limits,
                gossipsub,
                identify,
                ping: ping::Behaviour::default(),
            })
        })
        .map_err(|e| build(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build();
    let static_peers = config
        .static_peers
        .iter()
        .map(|addr| match static_peer_id(addr) {
            Some(peer) => Ok((peer, addr.clone())),
            None => Err(GossipError::StaticPeer(addr.clone())),
        })
        .collect::<Result<Vec<_>, _>>()?;
    for version in BlockVersion::ALL {
        let topic = IdentTopic::new(block_topic(config.chain_id, version));
        swarm.behaviour_mut().gossipsub.subscribe(&topic).map_err(|e| build(&e))?;
    }
    swarm
        .listen_on(config.listen.clone())
        .map_err(|e| GossipError::Listen { addr: config.listen.clone(), reason: e.to_string() })?;
    let (commands, command_rx) = mpsc::channel(64);
    let (blocks, received) = mpsc::channel(RECEIVED_CAPACITY);
    let (listen_tx, listening) = watch::channel(Vec::new());
    let counts = Arc::new(GossipCounts::default());
    let handle = GossipHandle {
        commands,
        signer: Arc::new(watch::channel(config.signer).0),
        peer_id: *swarm.local_peer_id(),
        listening,
        counts: counts.clone(),
        enr: Arc::new(watch::channel(String::new()).0),
    };
    let node = Node {
        swarm,
        validator: Validator::new(config.chain_id, config.forks, config.signer),
        block_topics,
        blocks,
        listen_tx,
        counts,
        static_peers,
        peers: PeerTable::default(),
        discovered: std::collections::HashMap::new(),
        scoring: config.scoring,
        banned: std::collections::HashMap::new(),
    };
    tokio::spawn(node.run(command_rx));
    Ok((handle, received))
}

#[cfg(test)]
mod tests;
