//! The follow-source client against a real loopback HTTP server.

use bytes::Bytes;
use light_cl_protocol::SyncStatus;
use light_cl_rpc::{CappedClient, CappedConfig, CappedError};
use light_cl_tests::{Reply, RpcServer};
use std::{sync::Arc, time::Duration};

fn client(server: &RpcServer, headers: Vec<(String, String)>) -> CappedClient {
    let mut config = CappedConfig::new(server.url());
    config.timeout = Duration::from_millis(300);
    config.max_response_bytes = 64 * 1024;
    config.headers = headers;
    CappedClient::new(config).unwrap()
}

#[tokio::test]
async fn sends_extra_headers_and_reads_every_method() {
    let status = SyncStatus::default();
    let server = RpcServer::start(Arc::new(move |method, _| match method {
        "optimism_syncStatus" => Reply::Result(serde_json::to_value(status).unwrap()),
        "optimism_version" => Reply::Result("v1.16.3-abcdef".into()),
        other => Reply::Error(-32601, format!("the method {other} does not exist")),
    }))
    .await;
    let c = client(&server, vec![("Authorization".into(), "Bearer secret".into())]);
    assert_eq!(c.sync_status().await.unwrap(), SyncStatus::default());
    assert_eq!(server.last_headers()["authorization"], "Bearer secret");
    assert_eq!(c.version().await.unwrap(), "v1.16.3-abcdef");
    assert_eq!(
        c.rollup_config().await.unwrap_err(),
        CappedError::Rpc {
            code: -32601,
            message: "the method optimism_rollupConfig does not exist".into()
        }
    );
}

#[tokio::test]
async fn streamed_body_over_the_cap_is_oversized() {
    // No content length to go by: the cap applies while reading.
    let server = RpcServer::start(Arc::new(move |_, _| {
        let mut chunks = vec![Bytes::from_static(br#"{"jsonrpc":"2.0","id":1,"result":""#)];
        chunks.extend((0..100).map(|_| Bytes::from(vec![b'x'; 1024])));
        chunks.push(Bytes::from_static(br#""}"#));
        Reply::Chunked(chunks)
    }))
    .await;
    let c = client(&server, vec![]);
    assert_eq!(c.version().await.unwrap_err(), CappedError::Oversized { limit: 64 * 1024 });
}

#[tokio::test]
async fn chunked_body_under_the_cap_is_read() {
    let server = RpcServer::start(Arc::new(move |_, _| {
        Reply::Chunked(vec![
            Bytes::from_static(br#"{"jsonrpc":"2.0","#),
            Bytes::from_static(br#""id":1,"result":"v1"}"#),
        ])
    }))
    .await;
    assert_eq!(client(&server, vec![]).version().await.unwrap(), "v1");
}

#[tokio::test]
async fn refused_connection_is_a_transport_error() {
    let mut server = RpcServer::start(Arc::new(|_, _| Reply::Result("v".into()))).await;
    let c = client(&server, vec![]);
    server.stop().await;
    assert_eq!(c.version().await.unwrap_err().kind(), "transport");
    // The error is logged: it must not carry the URL, which can hold an API key.
    let mut url = server.url();
    url.set_path("/v2/secret-api-key");
    let keyed = CappedClient::new(CappedConfig::new(url)).unwrap();
    let e = keyed.version().await.unwrap_err();
    assert_eq!(e.kind(), "transport");
    assert!(!e.to_string().contains("secret-api-key"), "{e}");
    assert!(!e.to_string().contains("127.0.0.1"), "{e}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    // The other host would answer; the request (and its headers) must not go there.
    let elsewhere = RpcServer::start(Arc::new(|_, _| {
        Reply::Result(serde_json::to_value(SyncStatus::default()).unwrap())
    }))
    .await;
    let to = elsewhere.url().to_string();
    let server = RpcServer::start(Arc::new(move |_, _| Reply::Redirect(to.clone()))).await;
    let c = client(&server, vec![("Authorization".into(), "Bearer secret".into())]);
    assert_eq!(c.sync_status().await, Err(CappedError::HttpStatus(307)));
    assert!(elsewhere.last_headers().is_empty(), "nothing reached the other host");
}
