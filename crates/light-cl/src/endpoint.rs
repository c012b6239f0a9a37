//! The follow sources an operator names: a rollup node, an execution RPC (`el:`), or a URL whose
//! kind is found at its first answer.

use crate::{
    dev_source::{DevChain, DevSourceError},
    source::FollowSource,
};
use light_cl_protocol::{ChainGenesis, FollowInfo, L2BlockRef, SourceKind, SyncStatus};
use light_cl_rpc::{
    CappedClient, CappedConfig, CappedError, L2Client, DEFAULT_L2_TIMEOUT, METHOD_NOT_FOUND,
};
use std::sync::OnceLock;
use tracing::info;
use url::Url;

/// The prefix that declares a source an execution RPC.
pub const EL_PREFIX: &str = "el:";

/// How a source was named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// Its URL (without the `el:` prefix).
    pub url: Url,
    /// `Some(Execution)` with `el:`; `None`: found at its first answer.
    pub kind: Option<SourceKind>,
}

impl std::str::FromStr for SourceSpec {
    type Err = url::ParseError;

    /// `http://…` (a rollup node, or an execution RPC found by its answer) or `el:http://…`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix(EL_PREFIX) {
            Some(url) => Ok(Self { url: url.parse()?, kind: Some(SourceKind::Execution) }),
            None => Ok(Self { url: s.parse()?, kind: None }),
        }
    }
}

impl From<Url> for SourceSpec {
    /// A source whose kind is found at its first answer.
    fn from(url: Url) -> Self {
        Self { url, kind: None }
    }
}

/// An execution RPC as a follow source: `safe` and `finalized` (and `latest` as the unsafe
/// head) read in one batch, their L1 origins decoded from their L1 info deposits. It has no
/// `current_l1`.
#[derive(Debug, Clone)]
pub struct ExecutionSource {
    client: L2Client,
    genesis: ChainGenesis,
}

impl ExecutionSource {
    /// A source over `client`, for the chain that starts at `genesis`.
    pub fn new(client: L2Client, genesis: ChainGenesis) -> Self {
        Self { client, genesis }
    }
}

impl FollowSource for ExecutionSource {
    async fn sync_status(&self) -> Result<SyncStatus, CappedError> {
        let heads = self.client.head_refs(&self.genesis).await.map_err(CappedError::from)?;
        let unsafe_l2 = heads.unsafe_head.unwrap_or_default();
        let safe_l2 = heads.safe.unwrap_or_default();
        Ok(SyncStatus {
            unsafe_l2,
            cross_unsafe_l2: unsafe_l2,
            safe_l2,
            local_safe_l2: safe_l2,
            pending_safe_l2: safe_l2,
            finalized_l2: heads.finalized.unwrap_or_default(),
            ..Default::default()
        })
    }

    async fn block_ref_at(&self, number: u64) -> Result<L2BlockRef, CappedError> {
        match self
            .client
            .block_ref_by_number(number, &self.genesis)
            .await
            .map_err(CappedError::from)?
        {
            Some(b) => Ok(b),
            None => Err(CappedError::Malformed(format!("no block {number}"))),
        }
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Execution
    }

    async fn follow_info(&self) -> Result<FollowInfo, CappedError> {
        self.client.follow_info().await
    }
}

impl DevChain for ExecutionSource {
    async fn head(&self) -> Result<L2BlockRef, DevSourceError> {
        let heads = self.client.head_refs(&self.genesis).await?;
        heads.unsafe_head.ok_or(DevSourceError::NoL2Head)
    }

    async fn block_at(&self, number: u64) -> Result<Option<L2BlockRef>, DevSourceError> {
        Ok(self.client.block_ref_by_number(number, &self.genesis).await?)
    }
}

/// A follow source as named on the command line.
#[derive(Debug)]
pub struct Endpoint {
    rollup: CappedClient,
    execution: ExecutionSource,
    kind: OnceLock<SourceKind>,
    index: usize,
}

impl Endpoint {
    /// Source `index` as `spec` names it; `rollup` carries the request timeout and headers.
    /// Without `el:`, it is a rollup node unless its first answer is "method not found".
    pub fn new(
        index: usize,
        spec: &SourceSpec,
        rollup: CappedConfig,
        genesis: ChainGenesis,
    ) -> Result<Self, CappedError> {
        // The same headers (an API key) as the rollup client; blocks get the longer timeout.
        let el = CappedConfig {
            url: spec.url.clone(),
            timeout: rollup.timeout.max(DEFAULT_L2_TIMEOUT),
            ..rollup.clone()
        };
        let client = L2Client::with_config(el).map_err(|e| CappedError::Config(e.to_string()))?;
        let kind = OnceLock::new();
        if let Some(k) = spec.kind {
            let _ = kind.set(k);
        }
        Ok(Self {
            rollup: CappedClient::new(CappedConfig { url: spec.url.clone(), ..rollup })?,
            execution: ExecutionSource::new(client, genesis),
            kind,
            index,
        })
    }

    /// What the source is, once known.
    pub fn known_kind(&self) -> Option<SourceKind> {
        self.kind.get().copied()
    }
}

impl FollowSource for Endpoint {
    async fn sync_status(&self) -> Result<SyncStatus, CappedError> {
        if self.known_kind() == Some(SourceKind::Execution) {
            return self.execution.sync_status().await;
        }
        match self.rollup.sync_status().await {
            Err(CappedError::Rpc { code: METHOD_NOT_FOUND, .. }) if self.known_kind().is_none() => {
                info!(target: "light_cl::follow", source = self.index, "the source has no optimism_syncStatus: following it as an execution RPC");
                let _ = self.kind.set(SourceKind::Execution);
                self.execution.sync_status().await
            }
            Ok(status) => {
                let _ = self.kind.set(SourceKind::Rollup);
                Ok(status)
            }
            Err(e) => Err(e),
        }
    }

    async fn block_ref_at(&self, number: u64) -> Result<L2BlockRef, CappedError> {
        match self.known_kind() {
            Some(SourceKind::Execution) => self.execution.block_ref_at(number).await,
            _ => self.rollup.block_ref_at(number).await,
        }
    }

    fn kind(&self) -> SourceKind {
        self.known_kind().unwrap_or(SourceKind::Rollup)
    }

    async fn follow_info(&self) -> Result<FollowInfo, CappedError> {
        self.rollup.follow_info().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        let rollup: SourceSpec = "http://node:9545".parse().unwrap();
        assert_eq!((rollup.url.as_str(), rollup.kind), ("http://node:9545/", None));
        let el: SourceSpec = "el:https://mainnet.optimism.io".parse().unwrap();
        assert_eq!(el.kind, Some(SourceKind::Execution));
        assert_eq!(el.url.as_str(), "https://mainnet.optimism.io/");
        assert!("el:".parse::<SourceSpec>().is_err());
        assert!("not a url".parse::<SourceSpec>().is_err());
    }
}
