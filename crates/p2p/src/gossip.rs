//! The gossip network: libp2p over TCP (noise, yamux, identify, ping) with gossipsub on the
//! chain's block topics, tuned as the spec says and without libp2p message signing (the
//! block's own signature is what counts). Every message is validated before gossipsub relays
//! it; valid blocks come out of a bounded channel, for the engine owner.

use crate::{
    message::{message_id, MAX_GOSSIP_SIZE},
    metrics,
    peers::{base_info, with_peer_id, PeerTable, AGENT_VERSION, PROTOCOL_VERSION},
    topic::{block_topic, BlockVersion},
    validate::{Validator, Verdict},
};
use alloy_primitives::Address;
use futures::StreamExt;
use libp2p::{
    connection_limits,
    gossipsub::{self, IdentTopic, MessageAcceptance, MessageAuthenticity, ValidationMode},
    identify,
    identity::Keypair,
    noise, ping,
    swarm::{ListenError, SwarmEvent},
    tcp, yamux, Multiaddr, PeerId, Swarm,
};
use light_cl_protocol::{ForkTimes, PeerDump, PeerInfo};
use op_alloy_rpc_types_engine::OpExecutionData;
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, warn};

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
    use libp2p::{connection_limits, gossipsub, identify, ping, swarm::NetworkBehaviour};

    /// The libp2p behaviours of a rollup node.
    #[derive(NetworkBehaviour)]
    pub struct Behaviour {
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
    /// The node's own dials (static peers) are not limited.
    pub max_inbound: u32,
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
    /// Inbound connections refused (over the limit).
    pub refused: AtomicU64,
    /// Connected peers subscribed to each block topic, by version (v1 first).
    pub topic_peers: [AtomicU64; 4],
}

impl GossipCounts {
    /// The counts as `opp2p_peerStats` reports them. There is no discovery table, ban list or
    /// peer store: `table` and `banned` are 0 and `known` is the connected peers.
    pub fn peer_stats(&self) -> light_cl_protocol::PeerStats {
        let topic = |v: usize| self.topic_peers[v].load(Ordering::Relaxed);
        let connected = self.peers.load(Ordering::Relaxed);
        light_cl_protocol::PeerStats {
            connected,
            table: 0,
            blocks_topic: topic(0),
            blocks_topic_v2: topic(1),
            blocks_topic_v3: topic(2),
            blocks_topic_v4: topic(3),
            banned: 0,
            known: connected,
        }
    }
}

enum Command {
    Publish { version: BlockVersion, data: Vec<u8>, done: oneshot::Sender<Result<(), GossipError>> },
    Dial(Multiaddr),
    SetSigner(Address),
    Peers(oneshot::Sender<PeerDump>),
}

/// A running gossip node.
#[derive(Debug, Clone)]
pub struct GossipHandle {
    commands: mpsc::Sender<Command>,
    signer: Arc<watch::Sender<Address>>,
    peer_id: PeerId,
    listening: watch::Receiver<Vec<Multiaddr>>,
    counts: Arc<GossipCounts>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl GossipHandle {
    /// This node's peer id.
    pub const fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The addresses it listens on, once bound.
    pub async fn listening(&self) -> Result<Vec<Multiaddr>, GossipError> {
        let mut rx = self.listening.clone();
        let addrs = rx.wait_for(|a| !a.is_empty()).await.map_err(|_| GossipError::Stopped)?;
        Ok(addrs.clone())
    }

    /// Dials a peer.
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), GossipError> {
        self.commands.send(Command::Dial(addr)).await.map_err(|_| GossipError::Stopped)
    }

    /// Publishes an encoded block message on its version's topic.
    pub async fn publish(&self, version: BlockVersion, data: Vec<u8>) -> Result<(), GossipError> {
        let (done, result) = oneshot::channel();
        self.commands
            .send(Command::Publish { version, data, done })
            .await
            .map_err(|_| GossipError::Stopped)?;
        result.await.map_err(|_| GossipError::Stopped)?
    }

    /// Trusts `signer` from now on.
    pub async fn set_signer(&self, signer: Address) -> Result<(), GossipError> {
        self.commands.send(Command::SetSigner(signer)).await.map_err(|_| GossipError::Stopped)?;
        self.signer.send_replace(signer);
        Ok(())
    }

    /// The unsafe block signer the node trusts.
    pub fn signer(&self) -> Address {
        *self.signer.borrow()
    }

    /// The verdict counts so far.
    pub fn counts(&self) -> &GossipCounts {
        &self.counts
    }

    /// This node as `opp2p_self` shows it: what op-node shows of itself (no connection, no
    /// score, on the block topics), with the agent it announces and its listen addresses.
    pub fn self_info(&self) -> PeerInfo {
        let mut info = base_info(&self.peer_id);
        let listening = self.listening.borrow();
        if !listening.is_empty() {
            info.addresses = listening.iter().map(|a| with_peer_id(a, &self.peer_id)).collect();
        }
        info.user_agent = AGENT_VERSION.into();
        info.protocol_version = PROTOCOL_VERSION.into();
        info.gossip_blocks = true;
        info
    }

    /// Every connected peer as `opp2p_peers` shows them.
    pub async fn peers(&self) -> Result<PeerDump, GossipError> {
        let (done, dump) = oneshot::channel();
        self.commands.send(Command::Peers(done)).await.map_err(|_| GossipError::Stopped)?;
        dump.await.map_err(|_| GossipError::Stopped)
    }
}

impl light_cl_rpc::P2pNode for GossipHandle {
    fn peer_stats(&self) -> light_cl_protocol::PeerStats {
        self.counts.peer_stats()
    }

    fn self_info(&self) -> PeerInfo {
        Self::self_info(self)
    }

    fn peers(&self) -> light_cl_rpc::PeersFuture<'_> {
        Box::pin(async move { Self::peers(self).await.ok() })
    }
}

/// Starts a gossip node on the current tokio runtime: its handle, and the valid blocks it
/// receives.
pub fn spawn(
    config: GossipConfig,
) -> Result<(GossipHandle, mpsc::Receiver<OpExecutionData>), GossipError> {
    let build = |e: &dyn std::fmt::Display| GossipError::Build(e.to_string());
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(|e| build(&e))?
        .with_behaviour(|key| {
            let gossipsub =
                gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, gossipsub_config())?;
            let identify = identify::Behaviour::new(
                identify::Config::new(PROTOCOL_VERSION.into(), key.public())
                    .with_agent_version(AGENT_VERSION.into()),
            );
            let limits = connection_limits::ConnectionLimits::default()
                .with_max_established_incoming(Some(config.max_inbound))
                .with_max_pending_incoming(Some(config.max_inbound))
                .with_max_established_per_peer(Some(2));
            let limits = connection_limits::Behaviour::new(limits);
            Ok(Behaviour { limits, gossipsub, identify, ping: ping::Behaviour::default() })
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
    };
    let node = Node {
        swarm,
        validator: Validator::new(config.chain_id, config.forks, config.signer),
        chain_id: config.chain_id,
        blocks,
        listen_tx,
        counts,
        static_peers,
        peers: PeerTable::default(),
    };
    tokio::spawn(node.run(command_rx));
    Ok((handle, received))
}

struct Node {
    swarm: Swarm<Behaviour>,
    validator: Validator,
    chain_id: u64,
    blocks: mpsc::Sender<OpExecutionData>,
    listen_tx: watch::Sender<Vec<Multiaddr>>,
    counts: Arc<GossipCounts>,
    static_peers: Vec<(PeerId, Multiaddr)>,
    peers: PeerTable,
}

impl Node {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut redial = tokio::time::interval(REDIAL_INTERVAL);
        redial.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_event(event),
                _ = redial.tick() => self.dial_static_peers(),
                command = commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    // Every handle is gone: stop.
                    None => return,
                },
            }
        }
    }

    /// Dials every static peer that is not connected (the first tick: all of them).
    fn dial_static_peers(&mut self) {
        for (peer, addr) in &self.static_peers {
            if self.swarm.is_connected(peer) {
                continue;
            }
            debug!(target: "light_cl::gossip", %addr, "dialling a static peer");
            if let Err(e) = self.swarm.dial(addr.clone()) {
                debug!(target: "light_cl::gossip", %addr, %e, "cannot dial a static peer");
            }
        }
    }

    fn peers_changed(&self) {
        let peers = self.swarm.connected_peers().count();
        self.counts.peers.store(peers as u64, Ordering::Relaxed);
        metrics::peers(peers);
        self.topics_changed();
    }

    /// Counts the peers on each block topic again.
    fn topics_changed(&self) {
        let gossipsub = &self.swarm.behaviour().gossipsub;
        for (i, version) in BlockVersion::ALL.into_iter().enumerate() {
            let hash = IdentTopic::new(block_topic(self.chain_id, version)).hash();
            let on = gossipsub.all_peers().filter(|(_, topics)| topics.contains(&&hash)).count();
            self.counts.topic_peers[i].store(on as u64, Ordering::Relaxed);
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { version, data, done } => {
                let topic = IdentTopic::new(block_topic(self.chain_id, version));
                let result = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .publish(topic, data)
                    .map(|_| ())
                    .map_err(|e| GossipError::Publish(e.to_string()));
                let _ = done.send(result);
            }
            Command::Dial(addr) => {
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    warn!(target: "light_cl::gossip", %addr, %e, "dial failed");
                }
            }
            Command::SetSigner(signer) => self.validator.set_signer(signer),
            Command::Peers(done) => {
                let _ = done.send(self.peer_dump());
            }
        }
    }

    /// The peer table with gossipsub's view of each peer: its score, whether it is on a block
    /// topic, and whether it is a static peer (kept, like op-node's protected peers).
    fn peer_dump(&self) -> PeerDump {
        let gossipsub = &self.swarm.behaviour().gossipsub;
        let block_topics: Vec<_> = BlockVersion::ALL
            .into_iter()
            .map(|v| IdentTopic::new(block_topic(self.chain_id, v)).hash())
            .collect();
        let on_topics: std::collections::HashSet<&PeerId> = gossipsub
            .all_peers()
            .filter(|(_, topics)| topics.iter().any(|t| block_topics.contains(t)))
            .map(|(peer, _)| peer)
            .collect();
        let mut dump = PeerDump::default();
        for peer in self.peers.ids() {
            let Some(mut info) = self.peers.info(peer) else { continue };
            info.gossip_blocks = on_topics.contains(peer);
            info.protected = self.static_peers.iter().any(|(p, _)| p == peer);
            info.scores.gossip.total = gossipsub.peer_score(peer).unwrap_or(0.0);
            dump.peers.insert(info.peer_id.clone(), info);
        }
        dump.total_connected = dump.peers.len() as u64;
        dump
    }

    fn on_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                self.listen_tx.send_modify(|a| a.push(address));
            }
            SwarmEvent::ConnectionEstablished { peer_id, endpoint, .. } => {
                debug!(target: "light_cl::gossip", %peer_id, addr = %endpoint.get_remote_address(), "peer connected");
                let remote = endpoint.get_remote_address().clone();
                self.peers.connected(peer_id, remote, endpoint.is_dialer());
                self.peers_changed();
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established, .. } => {
                self.peers.closed(&peer_id, num_established);
                if num_established == 0 {
                    debug!(target: "light_cl::gossip", %peer_id, "peer disconnected");
                }
                self.peers_changed();
            }
            SwarmEvent::IncomingConnectionError {
                send_back_addr,
                error: ListenError::Denied { cause },
                ..
            } => {
                self.counts.refused.fetch_add(1, Ordering::Relaxed);
                metrics::refused();
                debug!(target: "light_cl::gossip", addr = %send_back_addr, %cause, "inbound connection refused");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(
                gossipsub::Event::Subscribed { .. } | gossipsub::Event::Unsubscribed { .. },
            )) => self.topics_changed(),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => self.peers.identified(&peer_id, info),
            SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event {
                peer,
                result: Ok(rtt),
                ..
            })) => self.peers.pinged(&peer, rtt),
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => {
                let now =
                    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
                let verdict = self.validator.validate(message.topic.as_str(), &message.data, now);
                metrics::message(message.topic.as_str(), &verdict);
                let acceptance = match verdict {
                    Verdict::Accept(data) => {
                        self.counts.accepted.fetch_add(1, Ordering::Relaxed);
                        if self.blocks.try_send(*data).is_err() {
                            self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                            metrics::dropped();
                            warn!(target: "light_cl::gossip", "the engine owner is behind: a gossiped block was dropped");
                        }
                        MessageAcceptance::Accept
                    }
                    Verdict::Ignore => {
                        self.counts.ignored.fetch_add(1, Ordering::Relaxed);
                        MessageAcceptance::Ignore
                    }
                    Verdict::Reject(reason) => {
                        self.counts.rejected.fetch_add(1, Ordering::Relaxed);
                        debug!(target: "light_cl::gossip", peer = %propagation_source, %reason, label = reason.label(), "rejected a block");
                        MessageAcceptance::Reject
                    }
                };
                self.swarm.behaviour_mut().gossipsub.report_message_validation_result(
                    &message_id,
                    &propagation_source,
                    acceptance,
                );
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{message::encode, test_blocks::*};
    use k256::ecdsa::SigningKey;

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    fn node() -> (GossipHandle, mpsc::Receiver<OpExecutionData>) {
        node_with(DEFAULT_MAX_INBOUND)
    }

    fn node_with(max_inbound: u32) -> (GossipHandle, mpsc::Receiver<OpExecutionData>) {
        spawn(GossipConfig {
            chain_id: CHAIN,
            forks: ForkTimes::at_genesis_through(light_cl_protocol::Fork::Isthmus),
            signer: signer_of(&key()),
            listen: "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
            keypair: Keypair::generate_secp256k1(),
            static_peers: Vec::new(),
            max_inbound,
        })
        .unwrap()
    }

    /// A V4 block message numbered `number`, signed by `key`.
    fn message(number: u64, key: &SigningKey) -> Vec<u8> {
        let mut b = block(BlockVersion::V4, now());
        b.header.number = number;
        encode(BlockVersion::V4, &envelope_of(&b, key, CHAIN)).unwrap()
    }

    /// A publishes, B validates and relays, C receives only through B.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_line_of_three_nodes_relays_valid_blocks_only() {
        let (a, _a_rx) = node();
        let (b, mut b_rx) = node();
        let (c, mut c_rx) = node();
        b.dial(a.listening().await.unwrap()[0].clone()).await.unwrap();
        c.dial(b.listening().await.unwrap()[0].clone()).await.unwrap();

        // Until the mesh has formed, a block may reach no one: publish fresh blocks until one
        // arrives at C (relayed by B after B validated it).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut number = 100;
        let first = loop {
            assert!(tokio::time::Instant::now() < deadline, "no block reached C");
            number += 1;
            let _ = a.publish(BlockVersion::V4, message(number, &key())).await;
            if let Ok(Some(block)) =
                tokio::time::timeout(Duration::from_millis(300), c_rx.recv()).await
            {
                break block;
            }
        };
        assert!(first.payload.block_number() > 100);
        // B relayed it: A and C are connected to B and on the topics (opp2p_peerStats).
        let stats = b.counts().peer_stats();
        assert_eq!((stats.connected, stats.known), (2, 2), "{stats:?}");
        assert_eq!(stats.blocks_topic_v4, 2, "{stats:?}");
        assert_eq!(stats.blocks_topic, 2, "every version's topic is joined: {stats:?}");
        while b_rx.try_recv().is_ok() {}
        let rejected_before = b.counts().rejected.load(Ordering::Relaxed);

        // A block signed by another key: B rejects it and does not relay it.
        let other = SigningKey::from_slice(&[0x22; 32]).unwrap();
        a.publish(BlockVersion::V4, message(500, &other)).await.unwrap();
        a.publish(BlockVersion::V4, message(501, &key())).await.unwrap();
        let next = tokio::time::timeout(Duration::from_secs(30), c_rx.recv()).await.unwrap();
        assert_eq!(
            next.unwrap().payload.block_number(),
            501,
            "the wrongly signed block never came"
        );
        let next_at_b = tokio::time::timeout(Duration::from_secs(30), b_rx.recv()).await.unwrap();
        assert_eq!(next_at_b.unwrap().payload.block_number(), 501);
        assert_eq!(b.counts().rejected.load(Ordering::Relaxed), rejected_before + 1);
        assert_eq!(c.counts().rejected.load(Ordering::Relaxed), 0, "B relayed no invalid block");
    }

    /// `opp2p_peers` on each side of one connection, once identify and ping have run, and
    /// `opp2p_self`.
    #[tokio::test(flavor = "multi_thread")]
    async fn peers_show_direction_identify_ping_and_topics() {
        use light_cl_protocol::direction;
        let (a, _a_rx) = node();
        let (b, _b_rx) = node();
        let a_addr = a.listening().await.unwrap()[0].clone();
        b.dial(a_addr.clone()).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let (on_a, on_b) = loop {
            assert!(tokio::time::Instant::now() < deadline, "identify and ping never ran");
            let (da, db) = (a.peers().await.unwrap(), b.peers().await.unwrap());
            let ready = |d: &PeerDump, peer: &PeerId| {
                d.peers
                    .get(&peer.to_string())
                    .filter(|p| p.protocols.is_some() && p.latency > 0 && p.gossip_blocks)
                    .cloned()
            };
            if let (Some(pa), Some(pb)) = (ready(&da, &b.peer_id()), ready(&db, &a.peer_id())) {
                assert_eq!((da.total_connected, db.total_connected), (1, 1));
                break (pa, pb);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(on_a.direction, direction::INBOUND, "B dialled A");
        assert_eq!(on_b.direction, direction::OUTBOUND);
        assert_eq!(on_a.user_agent, AGENT_VERSION);
        assert!(on_a.protocols.unwrap().iter().any(|p| p.starts_with("/meshsub/")));
        assert_eq!(on_a.node_id, crate::peers::node_id(&b.peer_id()));
        assert_ne!(on_a.node_id, "0".repeat(64));
        assert!(on_a.addresses.iter().all(|x| x.ends_with(&format!("/p2p/{}", b.peer_id()))));
        // B told A where it listens; A dialled nowhere.
        let b_listen = b.listening().await.unwrap()[0].to_string();
        assert!(on_a.addresses.iter().any(|x| x.starts_with(&b_listen)), "{:?}", on_a.addresses);
        assert_eq!(on_b.addresses, [format!("{a_addr}/p2p/{}", a.peer_id())]);
        assert!(!on_b.protected, "not a static peer");

        let me = a.self_info();
        assert_eq!(me.peer_id, a.peer_id().to_string());
        assert_eq!(me.addresses, [format!("{a_addr}/p2p/{}", a.peer_id())]);
        assert_eq!(
            (me.connectedness, me.direction, me.latency),
            (0, 0, 0),
            "as op-node shows itself"
        );
        assert!(me.gossip_blocks);
    }

    /// Waits until `what` holds (60 s at most), checking every 20 ms.
    async fn until(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting: {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Inbound connections beyond the limit are refused and counted; the node's own dials are
    /// not limited.
    #[tokio::test(flavor = "multi_thread")]
    async fn inbound_connections_beyond_the_limit_are_refused() {
        let (a, _a_rx) = node_with(1);
        let (b, _b_rx) = node();
        let (c, _c_rx) = node();
        let addr = a.listening().await.unwrap()[0].clone();
        let peers = |h: &GossipHandle| h.counts().peers.load(Ordering::Relaxed);
        b.dial(addr.clone()).await.unwrap();
        until("B connected to A", || peers(&a) == 1).await;
        c.dial(addr).await.unwrap();
        until("A refused C", || a.counts().refused.load(Ordering::Relaxed) == 1).await;
        assert_eq!(peers(&a), 1, "C was not let in");
        assert!(a.peers().await.unwrap().peers.contains_key(&b.peer_id().to_string()));
        a.dial(c.listening().await.unwrap()[0].clone()).await.unwrap();
        until("A dialled C", || peers(&a) == 2).await;
    }

    /// A static peer is dialled without being asked; an address without a peer id is refused.
    #[tokio::test(flavor = "multi_thread")]
    async fn static_peers_are_dialled_and_need_a_peer_id() {
        let (a, _a_rx) = node();
        let addr = a.listening().await.unwrap()[0].clone();
        let config = |static_peers| GossipConfig {
            chain_id: CHAIN,
            forks: ForkTimes::default(),
            signer: signer_of(&key()),
            listen: "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
            keypair: Keypair::generate_secp256k1(),
            static_peers,
            max_inbound: DEFAULT_MAX_INBOUND,
        };
        let err = spawn(config(vec![addr.clone()])).unwrap_err();
        assert!(matches!(err, GossipError::StaticPeer(_)), "{err}");
        let with_id = addr.with(libp2p::multiaddr::Protocol::P2p(a.peer_id()));
        let (b, _b_rx) = spawn(config(vec![with_id])).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let peers = |n: &GossipHandle| n.counts().peers.load(Ordering::Relaxed);
        while peers(&a) == 0 || peers(&b) == 0 {
            assert!(tokio::time::Instant::now() < deadline, "B never connected to A");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
