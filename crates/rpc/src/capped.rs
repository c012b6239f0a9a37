//! Client for the follow source: a rollup node's `optimism_*` JSON-RPC over HTTP(S).

use alloy_rpc_types_engine::{Claims, JwtSecret};
use light_cl_protocol::{FollowInfo, OutputResponse, RollupConfig, SyncStatus};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};
use url::Url;

/// JSON-RPC's "method not found" error code.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default cap on an answer's size. A `SyncStatus` is about 3 KiB; a rollup config a few KiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Settings of a [`CappedClient`].
#[derive(Debug, Clone)]
pub struct CappedConfig {
    /// The rollup node's RPC URL (`http://` or `https://`).
    pub url: Url,
    /// Time allowed for one request, body included.
    pub timeout: Duration,
    /// Largest answer accepted, in bytes.
    pub max_response_bytes: usize,
    /// Extra headers sent with every request (e.g. `Authorization`).
    pub headers: Vec<(String, String)>,
    /// JWT secret of an authenticated transport (an Engine API port): each request carries a
    /// fresh token.
    pub jwt_secret: Option<JwtSecret>,
}

impl CappedConfig {
    /// Defaults for `url`.
    pub fn new(url: Url) -> Self {
        Self {
            url,
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            headers: Vec::new(),
            jwt_secret: None,
        }
    }
}

/// What went wrong with a call through the capped JSON-RPC client (the follow source, the source
/// EL, L1, publish targets); the caller's error says which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CappedError {
    /// The client could not be built from the settings.
    #[error("invalid follow-source settings: {0}")]
    Config(String),
    /// No full answer within the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Connecting, sending or reading failed.
    #[error("transport error: {0}")]
    Transport(String),
    /// The answer had a non-success HTTP status.
    #[error("answered HTTP {0}")]
    HttpStatus(u16),
    /// The answer was larger than allowed.
    #[error("answer exceeds {limit} bytes")]
    Oversized {
        /// The cap, bytes.
        limit: usize,
    },
    /// The answer is not a JSON-RPC response with a result of the expected shape.
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// The source answered with a JSON-RPC error.
    #[error("JSON-RPC error {code}: {message}")]
    Rpc {
        /// JSON-RPC error code.
        code: i64,
        /// JSON-RPC error message.
        message: String,
    },
}

impl CappedError {
    /// A short label for metrics and logs.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Config(_) => "config",
            Self::Timeout(_) => "timeout",
            Self::Transport(_) => "transport",
            Self::HttpStatus(_) => "http_status",
            Self::Oversized { .. } => "oversized",
            Self::Malformed(_) => "malformed",
            Self::Rpc { .. } => "rpc_error",
        }
    }
}

/// A JSON-RPC client of a rollup node: `optimism_syncStatus`, `optimism_rollupConfig`,
/// `optimism_version`.
#[derive(Debug)]
pub struct CappedClient {
    http: reqwest::Client,
    config: CappedConfig,
    next_id: AtomicU64,
}

impl CappedClient {
    /// Builds a client; fails on an unusable URL scheme or header.
    pub fn new(config: CappedConfig) -> Result<Self, CappedError> {
        if !matches!(config.url.scheme(), "http" | "https") {
            return Err(CappedError::Config(format!(
                "follow source URL must be http or https, got {}",
                config.url.scheme()
            )));
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &config.headers {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|e| CappedError::Config(format!("header name {name:?}: {e}")))?;
            let value = HeaderValue::try_from(value.as_str())
                .map_err(|e| CappedError::Config(format!("header value for {name}: {e}")))?;
            headers.insert(name, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            // A redirect could carry the request (and its headers) to another host.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .build()
            .map_err(|e| CappedError::Config(e.to_string()))?;
        Ok(Self { http, config, next_id: AtomicU64::new(1) })
    }

    /// The source's URL.
    pub fn url(&self) -> &Url {
        &self.config.url
    }

    /// `optimism_syncStatus`.
    pub async fn sync_status(&self) -> Result<SyncStatus, CappedError> {
        self.call("optimism_syncStatus").await
    }

    /// `optimism_rollupConfig`.
    pub async fn rollup_config(&self) -> Result<RollupConfig, CappedError> {
        let config: RollupConfig = self.call("optimism_rollupConfig").await?;
        config.check().map_err(|e| CappedError::Malformed(e.to_string()))?;
        Ok(config)
    }

    /// `optimism_version`.
    pub async fn version(&self) -> Result<String, CappedError> {
        self.call("optimism_version").await
    }

    /// `optimism_followInfo`: the node's mode and sources. A node that does not know the method
    /// (op-node, kona-node) derives.
    pub async fn follow_info(&self) -> Result<FollowInfo, CappedError> {
        match self.call::<FollowInfo>("optimism_followInfo").await {
            Err(CappedError::Rpc { code: METHOD_NOT_FOUND, .. }) => Ok(FollowInfo::deriving()),
            other => other,
        }
    }

    /// `optimism_outputAtBlock` at L2 block `number`.
    pub async fn output_at_block(&self, number: u64) -> Result<OutputResponse, CappedError> {
        let number = format!("{number:#x}");
        self.call_with("optimism_outputAtBlock", serde_json::json!([number])).await
    }

    /// Calls a method without parameters.
    async fn call<T: DeserializeOwned>(&self, method: &str) -> Result<T, CappedError> {
        self.call_with(method, serde_json::json!([])).await
    }

    /// Calls a method; the whole exchange is bounded by the timeout and the size cap.
    pub(crate) async fn call_with<T: DeserializeOwned>(
        &self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<T, CappedError> {
        let timeout = self.config.timeout;
        match tokio::time::timeout(timeout, self.exchange(method, params)).await {
            Ok(result) => result,
            Err(_) => Err(CappedError::Timeout(timeout)),
        }
    }

    async fn exchange<T: DeserializeOwned>(
        &self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<T, CappedError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let request =
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        decode_response(&self.post(request.to_string()).await?, id)
    }

    /// Calls several methods in one JSON-RPC batch request, bounded like one call; the answers
    /// come back in the order of `calls`, whatever order the server sent them in.
    pub async fn batch<T: DeserializeOwned>(
        &self,
        calls: &[(&str, serde_json::Value)],
    ) -> Result<Vec<Result<T, CappedError>>, CappedError> {
        let first = self.next_id.fetch_add(calls.len() as u64, Ordering::Relaxed);
        let request: Vec<_> = calls
            .iter()
            .zip(first..)
            .map(|((method, params), id)| {
                serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
            })
            .collect();
        let timeout = self.config.timeout;
        let body = serde_json::Value::Array(request).to_string();
        let body = match tokio::time::timeout(timeout, self.post(body)).await {
            Ok(body) => body?,
            Err(_) => return Err(CappedError::Timeout(timeout)),
        };
        decode_batch(&body, first, calls.len())
    }

    /// Posts one request body; the answer's body, within the size cap.
    async fn post(&self, body: String) -> Result<Vec<u8>, CappedError> {
        let mut post = self.http.post(self.config.url.clone());
        if let Some(secret) = &self.config.jwt_secret {
            let token = secret
                .encode(&Claims::with_current_timestamp())
                .map_err(|e| CappedError::Config(format!("JWT: {e}")))?;
            post = post.bearer_auth(token);
        }
        let mut response = post
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(CappedError::HttpStatus(status.as_u16()));
        }
        let limit = self.config.max_response_bytes;
        if response.content_length().is_some_and(|len| len > limit as u64) {
            return Err(CappedError::Oversized { limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
            if body.len() + chunk.len() > limit {
                return Err(CappedError::Oversized { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The error without the URL reqwest puts in it: a URL can hold an API key, and errors are
    /// logged.
    fn transport(&self, e: reqwest::Error) -> CappedError {
        if e.is_timeout() {
            CappedError::Timeout(self.config.timeout)
        } else {
            CappedError::Transport(error_chain(&e.without_url()))
        }
    }
}

/// Decodes a JSON-RPC 2.0 response to request `id`.
pub(crate) fn decode_response<T: DeserializeOwned>(body: &[u8], id: u64) -> Result<T, CappedError> {
    #[derive(serde::Deserialize)]
    struct Response {
        #[serde(default)]
        id: serde_json::Value,
        // Present (`null` included) or absent: a `null` result is a valid answer.
        #[serde(default, deserialize_with = "present")]
        result: Option<Box<serde_json::value::RawValue>>,
        #[serde(default)]
        error: Option<RpcError>,
    }
    #[derive(serde::Deserialize)]
    struct RpcError {
        code: i64,
        #[serde(default)]
        message: String,
    }
    let response: Response = serde_json::from_slice(body).map_err(|e| {
        CappedError::Malformed(format!("not a JSON-RPC response ({e}): {}", preview(body)))
    })?;
    if let Some(error) = response.error {
        return Err(CappedError::Rpc { code: error.code, message: error.message });
    }
    if response.id != serde_json::json!(id) {
        return Err(CappedError::Malformed(format!("response id {} is not {id}", response.id)));
    }
    let result = response.result.ok_or_else(|| CappedError::Malformed("no result".into()))?;
    serde_json::from_str(result.get()).map_err(|e| CappedError::Malformed(format!("result: {e}")))
}

/// Decodes a JSON-RPC 2.0 batch answer to requests `first..first + len`, in request order.
pub(crate) fn decode_batch<T: DeserializeOwned>(
    body: &[u8],
    first: u64,
    len: usize,
) -> Result<Vec<Result<T, CappedError>>, CappedError> {
    let answers: Vec<Box<serde_json::value::RawValue>> =
        serde_json::from_slice(body).map_err(|e| {
            CappedError::Malformed(format!("not a JSON-RPC batch answer ({e}): {}", preview(body)))
        })?;
    if answers.len() != len {
        return Err(CappedError::Malformed(format!("{} answers to {len} calls", answers.len())));
    }
    let mut by_id: Vec<Option<Box<serde_json::value::RawValue>>> = vec![None; len];
    for answer in answers {
        #[derive(serde::Deserialize)]
        struct Id {
            #[serde(default)]
            id: serde_json::Value,
        }
        let id = serde_json::from_str::<Id>(answer.get())
            .ok()
            .and_then(|i| i.id.as_u64())
            .and_then(|id| id.checked_sub(first))
            .filter(|&i| i < len as u64)
            .ok_or_else(|| CappedError::Malformed("a batch answer with an unknown id".into()))?;
        let slot = &mut by_id[id as usize];
        if slot.replace(answer).is_some() {
            return Err(CappedError::Malformed("two batch answers with one id".into()));
        }
    }
    Ok(by_id
        .into_iter()
        .zip(first..)
        .map(|(answer, id)| {
            decode_response(answer.expect("every id answered").get().as_bytes(), id)
        })
        .collect())
}

fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Box<serde_json::value::RawValue>>, D::Error> {
    <Box<serde_json::value::RawValue> as serde::Deserialize>::deserialize(d).map(Some)
}

/// The start of a body, for error messages.
fn preview(body: &[u8]) -> String {
    const MAX: usize = 64;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]);
    let more = if body.len() > MAX { "…" } else { "" };
    format!("{:?}{more}", text.trim())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_result_and_errors() {
        let ok = br#"{"jsonrpc":"2.0","id":7,"result":"v1.2.3"}"#;
        assert_eq!(decode_response::<String>(ok, 7).unwrap(), "v1.2.3");
        let err =
            br#"{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"method not found"}}"#;
        assert_eq!(
            decode_response::<String>(err, 7).unwrap_err(),
            CappedError::Rpc { code: -32601, message: "method not found".into() }
        );
        assert_eq!(decode_response::<String>(ok, 8).unwrap_err().kind(), "malformed");
        let html = b"<html><body>502 Bad Gateway</body></html>";
        let e = decode_response::<String>(html, 1).unwrap_err();
        assert_eq!(e.kind(), "malformed");
        assert!(e.to_string().contains("<html>"), "{e}");
        let wrong_type = br#"{"jsonrpc":"2.0","id":1,"result":{"a":1}}"#;
        assert_eq!(decode_response::<String>(wrong_type, 1).unwrap_err().kind(), "malformed");
        let no_result = br#"{"jsonrpc":"2.0","id":1}"#;
        assert_eq!(decode_response::<String>(no_result, 1).unwrap_err().kind(), "malformed");
        let null = br#"{"jsonrpc":"2.0","id":1,"result":null}"#;
        assert_eq!(decode_response::<Option<String>>(null, 1).unwrap(), None);
        assert_eq!(decode_response::<String>(null, 1).unwrap_err().kind(), "malformed");
    }

    #[test]
    fn decodes_batches_in_request_order() {
        let body = br#"[{"jsonrpc":"2.0","id":11,"result":"b"},
            {"jsonrpc":"2.0","id":10,"result":"a"},
            {"jsonrpc":"2.0","id":12,"error":{"code":-32000,"message":"no"}}]"#;
        let answers = decode_batch::<String>(body, 10, 3).unwrap();
        assert_eq!(answers[0].as_deref(), Ok("a"));
        assert_eq!(answers[1].as_deref(), Ok("b"));
        assert_eq!(answers[2].as_ref().unwrap_err().kind(), "rpc_error");
        for bad in [
            &br#"[{"jsonrpc":"2.0","id":10,"result":"a"}]"#[..],
            br#"[{"id":10,"result":"a"},{"id":10,"result":"b"},{"id":12,"result":"c"}]"#,
            br#"[{"id":10,"result":"a"},{"id":11,"result":"b"},{"id":99,"result":"c"}]"#,
            br#"{"jsonrpc":"2.0","id":10,"result":"a"}"#,
        ] {
            assert_eq!(decode_batch::<String>(bad, 10, 3).unwrap_err().kind(), "malformed");
        }
    }

    #[test]
    fn rejects_bad_settings() {
        let url: Url = "ws://localhost:1".parse().unwrap();
        assert_eq!(CappedClient::new(CappedConfig::new(url)).unwrap_err().kind(), "config");
        let mut config = CappedConfig::new("http://localhost:1".parse().unwrap());
        config.headers.push(("bad header".into(), "x".into()));
        assert_eq!(CappedClient::new(config).unwrap_err().kind(), "config");
    }
}
