//! The node's own `optimism_*` server over real HTTP on loopback.

use jsonrpsee::{core::ClientError, http_client::HttpClientBuilder, server::ServerHandle};
use light_cl::L1Heads;
use light_cl_protocol::SyncStatus;
use light_cl_rpc::{
    Late, NoOutputs, OptimismApiClient, OptimismApiServer, OptimismRpc, NOT_READY_CODE,
    UNSUPPORTED_CODE,
};
use light_cl_tests::Rig;
use std::sync::Arc;

fn code(e: ClientError) -> i32 {
    match e {
        ClientError::Call(e) => e.code(),
        other => panic!("expected a JSON-RPC error, got {other}"),
    }
}

async fn start(
    module: impl Into<jsonrpsee::Methods>,
) -> (jsonrpsee::http_client::HttpClient, ServerHandle) {
    let server = jsonrpsee::server::Server::builder().build("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.start(module.into());
    (HttpClientBuilder::default().build(format!("http://{addr}")).unwrap(), handle)
}

#[tokio::test]
async fn late_rpc_is_not_ready_until_set() {
    let rig = Rig::new(3).await;
    let late = Late::<OptimismRpc<NoOutputs>>::default();
    let (client, _server) = start(late.clone().into_rpc()).await;
    assert_eq!(code(client.sync_status().await.unwrap_err()), NOT_READY_CODE);
    assert_eq!(code(client.rollup_config().await.unwrap_err()), NOT_READY_CODE);

    let rpc = OptimismRpc::new(
        rig.view.subscribe(),
        Arc::new((*rig.config).clone()),
        "v-test",
        NoOutputs,
    );
    assert!(late.set(rpc.clone()));
    assert!(!late.set(rpc), "set once");
    // Until L1 was polled once the status would carry zero L1 refs: still not ready.
    assert_eq!(code(client.sync_status().await.unwrap_err()), NOT_READY_CODE);
    assert_eq!(client.rollup_config().await.unwrap(), *rig.config, "the config is ready");
    rig.view.set_l1(&L1Heads { head: Some(rig.l1.block(10)), ..Default::default() });
    let status: SyncStatus = client.sync_status().await.unwrap();
    assert_eq!(status, rig.view.get());
    assert_eq!(client.version().await.unwrap(), "v-test");
    assert_eq!(code(client.output_at_block(1.into()).await.unwrap_err()), UNSUPPORTED_CODE);
}
