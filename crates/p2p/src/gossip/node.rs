//! The task that owns the libp2p swarm: it validates every message before gossipsub relays
//! it, hands valid blocks on, keeps the peer table and counts, and runs the handle's commands.

use super::{
    handle::Command, score, Behaviour, BehaviourEvent, DiscoveredPeer, GossipCounts, GossipError,
    Scoring, REDIAL_INTERVAL,
};
use crate::{
    metrics,
    peers::PeerTable,
    validate::{Validator, Verdict},
};
use futures::StreamExt;
use libp2p::{
    gossipsub::{self, MessageAcceptance, TopicHash},
    identify, ping,
    swarm::{
        dial_opts::{DialOpts, PeerCondition},
        ListenError, SwarmEvent,
    },
    Multiaddr, PeerId, Swarm,
};
use light_cl_protocol::PeerDump;
use op_alloy_rpc_types_engine::OpExecutionData;
use std::{
    collections::HashMap,
    sync::{atomic::Ordering, Arc},
    time::{Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{mpsc, watch};
use tracing::{debug, warn};

pub(super) struct Node {
    pub(super) swarm: Swarm<Behaviour>,
    pub(super) validator: Validator,
    /// The block topics' hashes, by version (v1 first).
    pub(super) block_topics: [TopicHash; 4],
    pub(super) blocks: mpsc::Sender<OpExecutionData>,
    pub(super) listen_tx: watch::Sender<Vec<Multiaddr>>,
    pub(super) counts: Arc<GossipCounts>,
    pub(super) static_peers: Vec<(PeerId, Multiaddr)>,
    pub(super) peers: PeerTable,
    /// The record and chain of each peer dialled from discovery, while dialled or connected
    /// (so no larger than the connections and dials).
    pub(super) discovered: HashMap<PeerId, (String, u64)>,
    pub(super) scoring: Option<Scoring>,
    /// Banned peers and when each ban ends (at most [`score::MAX_BANNED`]).
    pub(super) banned: HashMap<PeerId, Instant>,
}

impl Node {
    pub(super) async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut redial = tokio::time::interval(REDIAL_INTERVAL);
        redial.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let every =
            self.scoring.filter(|s| s.ban).map_or(score::BAN_DURATION, |s| s.inspect_interval);
        let mut inspect = tokio::time::interval(every);
        inspect.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_event(event),
                _ = redial.tick() => self.dial_static_peers(),
                _ = inspect.tick() => self.inspect_scores(),
                command = commands.recv() => match command {
                    // Asked to, or every handle is gone: stop.
                    Some(Command::Stop) | None => break,
                    Some(command) => self.on_command(command),
                },
            }
        }
        // The swarm (its connections and listeners) goes first; closing the commands then
        // tells a waiting `shutdown` that it is gone.
        drop(self);
        drop(commands);
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

    /// Lifts the bans that have ended, then bans every connected peer scored below
    /// [`score::BAN_THRESHOLD`] (static peers are kept, as op-node keeps protected peers).
    fn inspect_scores(&mut self) {
        // Without bans there is nothing to lift or to impose.
        if !self.scoring.is_some_and(|s| s.ban) {
            return;
        }
        let now = Instant::now();
        let ended: Vec<PeerId> =
            self.banned.iter().filter(|(_, until)| **until <= now).map(|(p, _)| *p).collect();
        for peer in ended {
            self.unban(&peer);
        }
        let gossipsub = &self.swarm.behaviour().gossipsub;
        let low: Vec<(PeerId, f64)> = self
            .swarm
            .connected_peers()
            .filter(|peer| !self.is_static(peer))
            .filter_map(|peer| Some((*peer, gossipsub.peer_score(peer)?)))
            .filter(|(_, score)| *score < score::BAN_THRESHOLD)
            .collect();
        for (peer, score) in low {
            if self.banned.len() >= score::MAX_BANNED {
                let first = self.banned.iter().min_by_key(|(_, until)| **until).map(|(p, _)| *p);
                if let Some(first) = first {
                    self.unban(&first);
                }
            }
            warn!(target: "light_cl::gossip", %peer, score, "banning a peer for an hour: its gossip score is below the ban threshold");
            self.banned.insert(peer, now + score::BAN_DURATION);
            self.swarm.behaviour_mut().banned.block_peer(peer);
            metrics::banned();
        }
        self.counts.banned.store(self.banned.len() as u64, Ordering::Relaxed);
        self.counts.inspections.fetch_add(1, Ordering::Relaxed);
    }

    fn unban(&mut self, peer: &PeerId) {
        self.banned.remove(peer);
        self.swarm.behaviour_mut().banned.unblock_peer(*peer);
    }

    /// Whether `peer` is one of the `--p2p.static` peers (kept, never banned).
    fn is_static(&self, peer: &PeerId) -> bool {
        self.static_peers.iter().any(|(p, _)| p == peer)
    }

    /// Dials up to `max` of `candidates` that are not connected, nor being dialled, less the
    /// discovered peers still being dialled.
    fn dial_some(&mut self, candidates: Vec<DiscoveredPeer>, max: usize) -> Vec<PeerId> {
        // Dials of earlier rounds still under way count toward `max`.
        let pending = self.discovered.keys().filter(|p| !self.swarm.is_connected(p)).count();
        let max = max.saturating_sub(pending);
        let mut dialled = Vec::new();
        for DiscoveredPeer { peer, addr, enr, chain_id } in candidates {
            if dialled.len() >= max {
                break;
            }
            if peer == *self.swarm.local_peer_id() || self.swarm.is_connected(&peer) {
                continue;
            }
            let opts = DialOpts::peer_id(peer)
                .addresses(vec![addr])
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build();
            match self.swarm.dial(opts) {
                Ok(()) => {
                    self.discovered.insert(peer, (enr, chain_id));
                    dialled.push(peer);
                }
                Err(e) => {
                    debug!(target: "light_cl::gossip", %peer, %e, "not dialling a discovered peer")
                }
            }
        }
        if !dialled.is_empty() {
            debug!(target: "light_cl::gossip", dialled = dialled.len(), "dialling discovered peers");
        }
        dialled
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
        for (hash, count) in self.block_topics.iter().zip(&self.counts.topic_peers) {
            let on = gossipsub.all_peers().filter(|(_, topics)| topics.contains(&hash)).count();
            count.store(on as u64, Ordering::Relaxed);
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { version, data, done } => {
                let topic = self.block_topics[usize::from(version.topic_number())].clone();
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
            Command::DialSome { candidates, max, done } => {
                let _ = done.send(self.dial_some(candidates, max));
            }
            Command::SetSigner(signer) => self.validator.set_signer(signer),
            Command::Peers(done) => {
                let _ = done.send(self.peer_dump());
            }
            // Handled by `run`.
            Command::Stop => {}
        }
    }

    /// The peer table with gossipsub's view of each peer: its score, whether it is on a block
    /// topic, and whether it is a static peer (kept, like op-node's protected peers).
    fn peer_dump(&self) -> PeerDump {
        let gossipsub = &self.swarm.behaviour().gossipsub;
        let on_topics: std::collections::HashSet<&PeerId> = gossipsub
            .all_peers()
            .filter(|(_, topics)| topics.iter().any(|t| self.block_topics.contains(*t)))
            .map(|(peer, _)| peer)
            .collect();
        let mut dump = PeerDump::default();
        for (peer, mut info) in self.peers.infos() {
            info.gossip_blocks = on_topics.contains(peer);
            info.protected = self.is_static(peer);
            info.scores.gossip.total = gossipsub.peer_score(peer).unwrap_or(0.0);
            if let Some((enr, chain_id)) = self.discovered.get(peer) {
                (info.enr, info.chain_id) = (enr.clone(), *chain_id);
            }
            dump.peers.insert(info.peer_id.clone(), info);
        }
        dump.total_connected = dump.peers.len() as u64;
        dump.banned_peers = self.banned.keys().map(ToString::to_string).collect();
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
                    self.discovered.remove(&peer_id);
                    debug!(target: "light_cl::gossip", %peer_id, "peer disconnected");
                }
                self.peers_changed();
            }
            SwarmEvent::OutgoingConnectionError { peer_id: Some(peer), .. }
                if !self.swarm.is_connected(&peer) =>
            {
                self.discovered.remove(&peer);
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
