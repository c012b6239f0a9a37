//! Headers from devp2p peers, through reth's network fetch client: how the follow task learns
//! whether a head target's chain holds our finalized block when no source EL is configured.

use alloy_consensus::Header;
use alloy_primitives::B256;
use futures::future::BoxFuture;
use light_cl::ChainError;
use light_cl_protocol::L2BlockRef;
use reth_network_p2p::{
    headers::client::{HeadersDirection, HeadersRequest},
    HeadersClient,
};
use std::{sync::Arc, time::Duration};

/// Time allowed for one header request to a peer.
const PEER_TIMEOUT: Duration = Duration::from_secs(5);

type Fetch = dyn Fn(B256, u64) -> BoxFuture<'static, Result<Vec<Header>, String>> + Send + Sync;

/// Asks peers for headers walking back from a block.
#[derive(Clone)]
pub struct PeerHeaders(Arc<Fetch>);

impl std::fmt::Debug for PeerHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PeerHeaders")
    }
}

impl PeerHeaders {
    /// Headers through `client` (the node's network fetch client).
    pub fn new<C>(client: C) -> Self
    where
        C: HeadersClient<Header = Header> + Clone + Send + Sync + 'static,
    {
        Self(Arc::new(move |hash, limit| {
            let client = client.clone();
            Box::pin(async move {
                let request = HeadersRequest {
                    start: hash.into(),
                    limit,
                    direction: HeadersDirection::Falling,
                };
                let answer = tokio::time::timeout(PEER_TIMEOUT, client.get_headers(request))
                    .await
                    .map_err(|_| format!("no peer answered within {PEER_TIMEOUT:?}"))?
                    .map_err(|e| e.to_string())?;
                Ok(answer.into_data())
            })
        }))
    }

    /// Up to `limit` headers from block `hash` back, each as its hash (computed here), number and
    /// parent.
    pub async fn fetch(&self, hash: B256, limit: u64) -> Result<Vec<L2BlockRef>, ChainError> {
        let headers = (self.0)(hash, limit).await.map_err(ChainError::Provider)?;
        Ok(headers
            .iter()
            .map(|h| L2BlockRef {
                hash: h.hash_slow(),
                number: h.number,
                parent_hash: h.parent_hash,
                ..Default::default()
            })
            .collect())
    }
}
