//! Discovery: discv5 on UDP with this node's record (its chain in the `opstack` entry), started
//! from bootnodes. It walks the DHT with random lookups, keeps the records of its own chain's
//! nodes that can be dialled, and has the gossip node dial them while fewer than the low-water
//! mark (`--p2p.peers.lo`) are connected — op-node's discovery process.
//!
//! The walk runs every [`FAST_INTERVAL`] (op-node's) while peers are wanted and four times as
//! seldom otherwise; a node dialled is not dialled again for [`DIAL_BACKOFF`]; at most
//! [`MAX_CANDIDATES`] records are kept. When the routing table is empty the bootnodes are
//! contacted again. It stops with the gossip node.

mod bootnode;
mod enr;

pub use bootnode::{built_in, BootNode, BootNodeError, OP_MAINNET, OP_NODE_BOOTNODES, OP_SEPOLIA};
pub use enr::{
    dial_target, enr_key, key_peer_id, local_enr, peer_id, EnrError, OpStackEnr, OPSTACK_KEY,
    OPSTACK_VERSION,
};

use crate::{
    gossip::{DiscoveredPeer, GossipHandle},
    metrics,
};
use discv5::{enr::NodeId, ConfigBuilder, Discv5, Enr, ListenConfig};
use libp2p::{identity::Keypair, multiaddr::Protocol, Multiaddr, PeerId};
use std::{
    collections::HashMap,
    net::IpAddr,
    time::{Duration, Instant},
};
use tracing::{debug, info, warn};

/// op-node's peer low-water mark (`--p2p.peers.lo`): below it, discovered nodes are dialled.
pub const DEFAULT_PEERS_LO: u32 = 20;

/// The walk's interval while fewer than the low-water mark are connected (op-node's; four
/// times as long otherwise).
pub const FAST_INTERVAL: Duration = Duration::from_secs(5);

/// How long one lookup, or one bootnode's record request, may take.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// A node dialled is not dialled again before this.
pub const DIAL_BACKOFF: Duration = Duration::from_secs(60);

/// At most this many dialable records are kept; the one seen longest ago goes first.
pub const MAX_CANDIDATES: usize = 512;

/// What discovery needs.
#[derive(Debug, Clone)]
pub struct DiscoveryConfig {
    /// The L2 chain id (this node's `opstack` entry, and the records it dials).
    pub chain_id: u64,
    /// The IP to bind discv5's UDP socket to.
    pub listen_ip: IpAddr,
    /// The UDP port; 0 is the TCP port the gossip node listens on, as op-node does.
    pub udp_port: u16,
    /// The IP in this node's record; `None`: `listen_ip` unless it is unspecified (0.0.0.0),
    /// else none until discv5's peers agree on this node's address.
    pub advertise_ip: Option<IpAddr>,
    /// Where the walk starts.
    pub bootnodes: Vec<BootNode>,
    /// Discovered nodes are dialled while fewer peers than this are connected.
    pub peers_lo: u32,
    /// The walk's interval while peers are wanted: [`FAST_INTERVAL`] but in tests.
    pub interval: Duration,
}

/// Why discovery could not start.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The node record.
    #[error(transparent)]
    Enr(#[from] EnrError),
    /// Discovery on `::` (every IPv6 address) is not supported.
    #[error("discovery cannot listen on :: (give an IPv4 --p2p.listen.ip, a specific IPv6 address, or --p2p.no-discovery)")]
    Ipv6Unspecified,
    /// The gossip node stopped, or listens on no TCP port.
    #[error("the gossip node is not listening on TCP")]
    NoTcp,
    /// discv5 could not start (the UDP port is taken, …).
    #[error("starting discv5 on UDP {addr}: {reason}")]
    Start {
        /// Where.
        addr: String,
        /// Why.
        reason: String,
    },
}

/// Starts discovery beside `gossip` (whose TCP port goes into the record), with the same key:
/// the record it announces.
pub async fn spawn(
    config: DiscoveryConfig,
    keypair: &Keypair,
    gossip: GossipHandle,
) -> Result<Enr, DiscoveryError> {
    if config.listen_ip == IpAddr::from(std::net::Ipv6Addr::UNSPECIFIED) {
        return Err(DiscoveryError::Ipv6Unspecified);
    }
    let tcp = gossip
        .listening()
        .await
        .ok()
        .and_then(|addrs| addrs.iter().find_map(tcp_port))
        .ok_or(DiscoveryError::NoTcp)?;
    let udp = if config.udp_port == 0 { tcp } else { config.udp_port };
    let ip = config.advertise_ip.or(Some(config.listen_ip).filter(|ip| !ip.is_unspecified()));
    let key = enr_key(keypair)?;
    let record = local_enr(&key, ip, tcp, udp, config.chain_id)?;
    let mut builder = ConfigBuilder::new(ListenConfig::from_ip(config.listen_ip, udp));
    builder.query_timeout(LOOKUP_TIMEOUT);
    if config.advertise_ip.is_some() {
        // The advertised address is the operator's: peers' votes do not replace it.
        builder.disable_enr_update();
    }
    let discv5_config = builder.build();
    let start = |reason: &dyn std::fmt::Display| DiscoveryError::Start {
        addr: format!("{}:{udp}", config.listen_ip),
        reason: reason.to_string(),
    };
    let mut discv5 = Discv5::new(record.clone(), key, discv5_config).map_err(|e| start(&e))?;
    discv5.start().await.map_err(|e| start(&e))?;
    if ip.is_none() {
        warn!(target: "light_cl::discovery", "no IP in this node's record until its peers agree on it: give --p2p.advertise.ip for a faster start");
    }
    if config.bootnodes.is_empty() {
        warn!(target: "light_cl::discovery", chain_id = config.chain_id, "no bootnodes: this node is found only by nodes that know it (give --p2p.bootnodes)");
    }
    let text = record.to_base64();
    info!(target: "light_cl::discovery", enr = %text, udp, bootnodes = config.bootnodes.len(), "discovery started");
    // The record is shown (opp2p_self) from the start, not only after the first walk.
    gossip.set_discovery(text, 0);
    let walker =
        Walker { self_peer: gossip.peer_id(), discv5, config, gossip, candidates: HashMap::new() };
    tokio::spawn(walker.run());
    Ok(record)
}

/// The TCP port of a listen address.
fn tcp_port(addr: &Multiaddr) -> Option<u16> {
    addr.iter().find_map(|p| match p {
        Protocol::Tcp(port) => Some(port),
        _ => None,
    })
}

/// A node of this chain that can be dialled.
#[derive(Debug)]
struct Candidate {
    addr: Multiaddr,
    /// Its record's sequence number and the record as text (made once, for `opp2p_peers`).
    seq: u64,
    record: String,
    seen: Instant,
    dialled: Option<Instant>,
}

struct Walker {
    discv5: Discv5,
    config: DiscoveryConfig,
    gossip: GossipHandle,
    self_peer: PeerId,
    candidates: HashMap<PeerId, Candidate>,
}

impl Walker {
    async fn run(mut self) {
        let gossip = self.gossip.clone();
        tokio::select! {
            () = gossip.stopped() => {}
            () = self.walk() => {}
        }
        self.discv5.shutdown();
        debug!(target: "light_cl::discovery", "discovery stopped");
    }

    async fn walk(&mut self) {
        loop {
            if self.discv5.table_entries_id().is_empty() {
                self.bootstrap().await;
            }
            self.lookup().await;
            let table = self.discv5.table_entries_id().len();
            self.gossip.set_discovery(self.discv5.local_enr().to_base64(), table as u64);
            metrics::discovery_table(table);
            let wanted = self.gossip.counts().connected() < u64::from(self.config.peers_lo);
            if wanted {
                self.dial().await;
            }
            self.gossip.counts().walks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let interval = self.config.interval;
            tokio::time::sleep(if wanted { interval } else { interval * 4 }).await;
        }
    }

    /// Puts the bootnodes in the routing table: records as they are, enodes once they have
    /// answered with their record.
    async fn bootstrap(&mut self) {
        let mut requests = Vec::new();
        for node in &self.config.bootnodes {
            match node {
                BootNode::Enr(enr) => {
                    if let Err(e) = self.discv5.add_enr((**enr).clone()) {
                        debug!(target: "light_cl::discovery", %node, e, "bootnode not added");
                    }
                }
                BootNode::Enode { .. } => {
                    let Some(addr) = node.enode_multiaddr() else { continue };
                    let request = self.discv5.request_enr(addr);
                    requests.push(async move {
                        (node, tokio::time::timeout(LOOKUP_TIMEOUT, request).await)
                    });
                }
            }
        }
        for (node, answer) in futures::future::join_all(requests).await {
            match answer {
                Ok(Ok(enr)) => {
                    if let Err(e) = self.discv5.add_enr(enr) {
                        debug!(target: "light_cl::discovery", %node, e, "bootnode not added");
                    }
                }
                Ok(Err(e)) => {
                    debug!(target: "light_cl::discovery", %node, ?e, "bootnode did not answer")
                }
                Err(_) => {
                    debug!(target: "light_cl::discovery", %node, "bootnode did not answer in time")
                }
            }
        }
    }

    /// One random lookup; the records of this chain it finds, and those of the routing table,
    /// become candidates.
    async fn lookup(&mut self) {
        let found =
            match tokio::time::timeout(LOOKUP_TIMEOUT, self.discv5.find_node(NodeId::random()))
                .await
            {
                Ok(Ok(found)) => found,
                Ok(Err(e)) => {
                    debug!(target: "light_cl::discovery", ?e, "lookup failed");
                    Vec::new()
                }
                Err(_) => Vec::new(),
            };
        let now = Instant::now();
        for enr in found.iter().chain(&self.discv5.table_entries_enr()) {
            let Some((peer, addr)) = dial_target(enr, self.config.chain_id) else { continue };
            if peer == self.self_peer {
                continue;
            }
            if let Some(known) = self.candidates.get_mut(&peer) {
                known.seen = now;
                if enr.seq() > known.seq {
                    (known.addr, known.seq, known.record) = (addr, enr.seq(), enr.to_base64());
                }
                continue;
            }
            if self.candidates.len() >= MAX_CANDIDATES {
                let oldest = self.candidates.iter().min_by_key(|(_, c)| c.seen).map(|(p, _)| *p);
                if let Some(oldest) = oldest {
                    self.candidates.remove(&oldest);
                }
            }
            debug!(target: "light_cl::discovery", %peer, %addr, "found a node of this chain");
            metrics::discovered();
            let (seq, record) = (enr.seq(), enr.to_base64());
            let candidate = Candidate { addr, seq, record, seen: now, dialled: None };
            self.candidates.insert(peer, candidate);
        }
    }

    /// Has the gossip node dial candidates, never dialled or dialled longest ago first, up to
    /// the low-water mark.
    async fn dial(&mut self) {
        let now = Instant::now();
        let mut due: Vec<_> = self
            .candidates
            .iter()
            .filter(|(_, c)| c.dialled.is_none_or(|at| now.duration_since(at) >= DIAL_BACKOFF))
            .map(|(peer, c)| {
                let peer = DiscoveredPeer {
                    peer: *peer,
                    addr: c.addr.clone(),
                    enr: c.record.clone(),
                    chain_id: self.config.chain_id,
                };
                (c.dialled, peer)
            })
            .collect();
        due.sort_by_key(|(dialled, _)| *dialled);
        let wanted = u64::from(self.config.peers_lo)
            .saturating_sub(self.gossip.counts().connected()) as usize;
        let due = due.into_iter().map(|(_, peer)| peer).collect();
        let Ok(dialled) = self.gossip.dial_some(due, wanted).await else { return };
        for peer in dialled {
            if let Some(c) = self.candidates.get_mut(&peer) {
                c.dialled = Some(now);
            }
        }
    }
}

#[cfg(test)]
mod tests;
