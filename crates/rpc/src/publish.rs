//! Publishing sealed blocks to other rollup nodes with `admin_postUnsafePayload`.

use crate::{admin::data_to_envelope, CappedClient, CappedConfig, CappedError};
use alloy_rpc_types_engine::JwtSecret;
use op_alloy_rpc_types_engine::OpExecutionData;
use std::time::Duration;
use url::Url;

/// Sends each sealed block to one rollup node (op-node, kona-node or op-reth-light).
#[derive(Debug)]
pub struct PayloadPublisher {
    rpc: CappedClient,
}

impl PayloadPublisher {
    /// A publisher to `url`; with `jwt_secret` when the target is an authenticated transport.
    pub fn new(
        url: Url,
        jwt_secret: Option<JwtSecret>,
        timeout: Duration,
    ) -> Result<Self, CappedError> {
        let mut config = CappedConfig::new(url);
        config.timeout = timeout;
        config.jwt_secret = jwt_secret;
        Ok(Self { rpc: CappedClient::new(config)? })
    }

    /// The target.
    pub fn url(&self) -> &Url {
        self.rpc.url()
    }

    /// Posts the block as op-node's execution payload envelope.
    pub async fn post(&self, payload: &OpExecutionData) -> Result<(), CappedError> {
        let envelope = data_to_envelope(payload);
        self.rpc.call_with("admin_postUnsafePayload", serde_json::json!([envelope])).await
    }
}
