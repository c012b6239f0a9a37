//! The `opp2p` namespace of a rollup node (op-node `p2p/rpc_api.go`, 2024-10), as far as it
//! is served here: `opp2p_peerStats` (op-conductor's health check), `opp2p_self` and
//! `opp2p_peers`.

use jsonrpsee::{
    core::{async_trait, RpcResult},
    proc_macros::rpc,
    types::ErrorObject,
};
use light_cl_protocol::{PeerDump, PeerInfo, PeerStats};
use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, OnceLock},
};

/// The `opp2p` methods served.
#[rpc(server, client, namespace = "opp2p")]
pub trait P2pApi {
    /// Counts of CL peers.
    #[method(name = "peerStats")]
    async fn peer_stats(&self) -> RpcResult<PeerStats>;

    /// This node as a CL peer: its peer id, node id and addresses.
    #[method(name = "self")]
    async fn self_info(&self) -> RpcResult<PeerInfo>;

    /// The CL peers; `connected` only those connected now (without a peer store, every known
    /// peer is connected, so both answers are the same).
    #[method(name = "peers")]
    async fn peers(&self, connected: bool) -> RpcResult<PeerDump>;
}

/// A future of a peer dump; `None` when the gossip node has stopped.
pub type PeersFuture<'a> = Pin<Box<dyn Future<Output = Option<PeerDump>> + Send + 'a>>;

/// Where the `opp2p` methods read from (the gossip node).
pub trait P2pNode: Send + Sync + 'static {
    /// The peer counts now.
    fn peer_stats(&self) -> PeerStats;
    /// This node as a peer.
    fn self_info(&self) -> PeerInfo;
    /// Every connected peer.
    fn peers(&self) -> PeersFuture<'_>;
}

/// The `opp2p` server: registered before the node runs, answering once the gossip node is set
/// ([`P2pRpc::set`]); until then, and on a node with P2P off, every call is an error.
#[derive(Clone, Default)]
pub struct P2pRpc {
    node: Arc<OnceLock<Box<dyn P2pNode>>>,
}

impl std::fmt::Debug for P2pRpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P2pRpc").field("running", &self.node.get().is_some()).finish()
    }
}

impl P2pRpc {
    /// Answers from `node` from now on; `false` if already set.
    pub fn set(&self, node: impl P2pNode) -> bool {
        self.node.set(Box::new(node)).is_ok()
    }

    fn node(&self) -> RpcResult<&dyn P2pNode> {
        self.node.get().map(|n| n.as_ref()).ok_or_else(not_running)
    }
}

fn not_running() -> ErrorObject<'static> {
    ErrorObject::owned(
        crate::ADMIN_ERROR_CODE,
        "P2P is not running on this node (off, or not started yet)",
        None::<()>,
    )
}

#[async_trait]
impl P2pApiServer for P2pRpc {
    async fn peer_stats(&self) -> RpcResult<PeerStats> {
        Ok(self.node()?.peer_stats())
    }

    async fn self_info(&self) -> RpcResult<PeerInfo> {
        Ok(self.node()?.self_info())
    }

    async fn peers(&self, _connected: bool) -> RpcResult<PeerDump> {
        self.node()?.peers().await.ok_or_else(not_running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonrpsee::{http_client::HttpClientBuilder, server::Server};

    struct Node;

    impl P2pNode for Node {
        fn peer_stats(&self) -> PeerStats {
            PeerStats { connected: 4, known: 4, ..Default::default() }
        }
        fn self_info(&self) -> PeerInfo {
            PeerInfo { peer_id: "16Uiu2HAmSelf".into(), gossip_blocks: true, ..Default::default() }
        }
        fn peers(&self) -> PeersFuture<'_> {
            let peer = PeerInfo { peer_id: "16Uiu2HAmPeer".into(), ..Default::default() };
            let peers = [(peer.peer_id.clone(), peer)].into();
            Box::pin(
                async move { Some(PeerDump { total_connected: 1, peers, ..Default::default() }) },
            )
        }
    }

    #[tokio::test]
    async fn every_method_once_set_and_an_error_before() {
        let rpc = P2pRpc::default();
        let server = Server::builder().build("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", server.local_addr().unwrap());
        let _handle = server.start(rpc.clone().into_rpc());
        let client = HttpClientBuilder::default().build(url).unwrap();
        let err = client.peer_stats().await.unwrap_err().to_string();
        assert!(err.contains("P2P is not running"), "{err}");
        let err = client.peers(true).await.unwrap_err().to_string();
        assert!(err.contains("P2P is not running"), "{err}");
        assert!(rpc.set(Node));
        assert_eq!(client.peer_stats().await.unwrap().connected, 4);
        let raw: serde_json::Value = jsonrpsee::core::client::ClientT::request(
            &client,
            "opp2p_peerStats",
            jsonrpsee::rpc_params![],
        )
        .await
        .unwrap();
        assert_eq!(raw["connected"], 4, "op-node's field name: {raw}");
        let me: serde_json::Value = jsonrpsee::core::client::ClientT::request(
            &client,
            "opp2p_self",
            jsonrpsee::rpc_params![],
        )
        .await
        .unwrap();
        assert_eq!((&me["peerID"], &me["gossipBlocks"]), (&"16Uiu2HAmSelf".into(), &true.into()));
        let dump = client.peers(false).await.unwrap();
        assert_eq!(dump.total_connected, 1);
        assert!(dump.peers.contains_key("16Uiu2HAmPeer"));
    }
}
