//! The handle of a running gossip node: commands to its task, and what it shares.

use super::{GossipCounts, GossipError};
use crate::{
    peers::{base_info, with_peer_id, AGENT_VERSION, PROTOCOL_VERSION},
    topic::BlockVersion,
};
use alloy_primitives::Address;
use libp2p::{Multiaddr, PeerId};
use light_cl_protocol::{PeerDump, PeerInfo};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

pub(super) enum Command {
    Publish { version: BlockVersion, data: Vec<u8>, done: oneshot::Sender<Result<(), GossipError>> },
    Dial(Multiaddr),
    DialSome { candidates: Vec<DiscoveredPeer>, max: usize, done: oneshot::Sender<Vec<PeerId>> },
    SetSigner(Address),
    Peers(oneshot::Sender<PeerDump>),
    Stop,
}

/// A node found by discovery, to dial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredPeer {
    /// Its peer id.
    pub peer: PeerId,
    /// Its TCP address, ending in `/p2p/<peer id>`.
    pub addr: Multiaddr,
    /// Its record (`enr:-…`), shown in `opp2p_peers` while connected.
    pub enr: String,
    /// The chain id of its `opstack` entry.
    pub chain_id: u64,
}

/// A running gossip node.
#[derive(Debug, Clone)]
pub struct GossipHandle {
    pub(super) commands: mpsc::Sender<Command>,
    pub(super) signer: Arc<watch::Sender<Address>>,
    pub(super) peer_id: PeerId,
    pub(super) listening: watch::Receiver<Vec<Multiaddr>>,
    pub(super) counts: Arc<GossipCounts>,
    /// This node's discovery record (base64), once discovery runs.
    pub(super) enr: Arc<watch::Sender<String>>,
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

    /// Dials, of `candidates`, up to `max` peers that are neither connected nor being dialled
    /// (less the discovered peers still being dialled); the peers dialled.
    pub async fn dial_some(
        &self,
        candidates: Vec<DiscoveredPeer>,
        max: usize,
    ) -> Result<Vec<PeerId>, GossipError> {
        let (done, dialled) = oneshot::channel();
        self.commands
            .send(Command::DialSome { candidates, max, done })
            .await
            .map_err(|_| GossipError::Stopped)?;
        dialled.await.map_err(|_| GossipError::Stopped)
    }

    /// Records what discovery shows of itself: this node's record and its routing table's
    /// size.
    pub fn set_discovery(&self, enr: String, table: u64) {
        self.enr.send_if_modified(|e| {
            let changed = *e != enr;
            *e = enr;
            changed
        });
        self.counts.table.store(table, std::sync::atomic::Ordering::Relaxed);
    }

    /// Resolves once the node has stopped.
    pub async fn stopped(&self) {
        self.commands.closed().await;
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
        info.enr = self.enr.borrow().clone();
        info
    }

    /// Stops the node: its connections close and its listeners are released. Every later
    /// call is [`GossipError::Stopped`].
    pub async fn shutdown(&self) {
        let _ = self.commands.send(Command::Stop).await;
        self.stopped().await;
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
