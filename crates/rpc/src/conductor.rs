//! A client of op-conductor's RPC, as op-node's sequencer calls it (op-node
//! `node/conductor.go`, ethereum-optimism/optimism 2024-10): `conductor_leader` and
//! `conductor_commitUnsafePayload`, each bounded by a timeout and tried twice, 50 ms apart.

use crate::{data_to_envelope, CappedClient, CappedConfig, CappedError};
use op_alloy_rpc_types_engine::OpExecutionData;
use std::time::Duration;
use url::Url;

/// op-node's `--conductor.rpc` default.
pub const DEFAULT_CONDUCTOR_RPC: &str = "http://127.0.0.1:8547";
/// op-node's `--conductor.rpc-timeout` default.
pub const DEFAULT_CONDUCTOR_TIMEOUT: Duration = Duration::from_secs(1);
/// Tries of each call, and the pause between them (op-node's).
const TRIES: usize = 2;
const PAUSE: Duration = Duration::from_millis(50);

/// op-conductor, reached over HTTP.
#[derive(Debug)]
pub struct ConductorClient {
    rpc: CappedClient,
}

impl ConductorClient {
    /// A client of the conductor at `url`, each call bounded by `timeout`.
    pub fn new(url: Url, timeout: Duration) -> Result<Self, CappedError> {
        let mut config = CappedConfig::new(url);
        config.timeout = timeout;
        Ok(Self { rpc: CappedClient::new(config)? })
    }

    /// The conductor.
    pub fn url(&self) -> &Url {
        self.rpc.url()
    }

    /// `conductor_leader`: whether this node's conductor leads the cluster.
    pub async fn leader(&self) -> Result<bool, CappedError> {
        self.retried(|| self.rpc.call_with("conductor_leader", serde_json::json!([]))).await
    }

    /// `conductor_commitUnsafePayload`: commits a sealed block to the cluster (op-node's
    /// execution payload envelope); it may be published only once this returns `Ok`.
    pub async fn commit(&self, payload: &OpExecutionData) -> Result<(), CappedError> {
        let params = serde_json::json!([data_to_envelope(payload)]);
        let call = || {
            self.rpc.call_with::<serde_json::Value>("conductor_commitUnsafePayload", params.clone())
        };
        self.retried(call).await.map(|_| ())
    }

    async fn retried<T, F, Fut>(&self, call: F) -> Result<T, CappedError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, CappedError>>,
    {
        let mut last = None;
        for attempt in 0..TRIES {
            if attempt > 0 {
                tokio::time::sleep(PAUSE).await;
            }
            match call().await {
                Ok(v) => return Ok(v),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one try"))
    }
}
