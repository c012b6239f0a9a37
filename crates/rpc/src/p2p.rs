//! The `opp2p` namespace of a rollup node (op-node `p2p/rpc_api.go`, 2024-10), as far as it
//! is served here: `opp2p_peerStats`, which op-conductor's health check calls.

use jsonrpsee::{
    core::{async_trait, RpcResult},
    proc_macros::rpc,
    types::ErrorObject,
};
use light_cl_protocol::PeerStats;
use std::sync::{Arc, OnceLock};

/// The `opp2p` methods served.
#[rpc(server, client, namespace = "opp2p")]
pub trait P2pApi {
    /// Counts of CL peers.
    #[method(name = "peerStats")]
    async fn peer_stats(&self) -> RpcResult<PeerStats>;
}

/// Where `opp2p_peerStats` reads its counts from (the gossip node).
pub trait PeerCounts: Send + Sync + 'static {
    /// The counts now.
    fn peer_stats(&self) -> PeerStats;
}

impl<F: Fn() -> PeerStats + Send + Sync + 'static> PeerCounts for F {
    fn peer_stats(&self) -> PeerStats {
        self()
    }
}

/// The `opp2p` server: registered before the node runs, answering once the gossip node is set
/// ([`P2pRpc::set`]); until then, and on a node with P2P off, every call is an error.
#[derive(Clone, Default)]
pub struct P2pRpc {
    counts: Arc<OnceLock<Box<dyn PeerCounts>>>,
}

impl std::fmt::Debug for P2pRpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P2pRpc").field("running", &self.counts.get().is_some()).finish()
    }
}

impl P2pRpc {
    /// Answers from `counts` from now on; `false` if already set.
    pub fn set(&self, counts: impl PeerCounts) -> bool {
        self.counts.set(Box::new(counts)).is_ok()
    }
}

#[async_trait]
impl P2pApiServer for P2pRpc {
    async fn peer_stats(&self) -> RpcResult<PeerStats> {
        match self.counts.get() {
            Some(counts) => Ok(counts.peer_stats()),
            None => Err(ErrorObject::owned(
                crate::ADMIN_ERROR_CODE,
                "P2P is not running on this node (off, or not started yet)",
                None::<()>,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonrpsee::{http_client::HttpClientBuilder, server::Server};

    #[tokio::test]
    async fn peer_stats_once_set_and_an_error_before() {
        let rpc = P2pRpc::default();
        let server = Server::builder().build("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", server.local_addr().unwrap());
        let _handle = server.start(rpc.clone().into_rpc());
        let client = HttpClientBuilder::default().build(url).unwrap();
        let err = client.peer_stats().await.unwrap_err().to_string();
        assert!(err.contains("P2P is not running"), "{err}");
        assert!(rpc.set(|| PeerStats { connected: 4, known: 4, ..Default::default() }));
        assert_eq!(client.peer_stats().await.unwrap().connected, 4);
        let raw: serde_json::Value = jsonrpsee::core::client::ClientT::request(
            &client,
            "opp2p_peerStats",
            jsonrpsee::rpc_params![],
        )
        .await
        .unwrap();
        assert_eq!(raw["connected"], 4, "op-node's field name: {raw}");
    }
}
