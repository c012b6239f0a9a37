//! A sequencer on a [`Rig`] and the waits its tests share.

use crate::Rig;
use crate::{Reply, RpcServer};
use jsonrpsee::server::Server;
use light_cl::sequencer::{
    Admin, Conductor, Publish, Sequencer, SequencerConfig, SequencerDeps, SequencerHandle,
};
use light_cl_protocol::{L1BlobSchedule, L2BlockRef};
use light_cl_rpc::{AdminApiServer, AdminRpc, ConductorClient, L1Client, PayloadPublisher};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};
use url::Url;

/// Test settings: confirmation depth 0, retry after 20 ms, active or not.
pub fn settings(active: bool) -> SequencerConfig {
    SequencerConfig {
        conf_depth: 0,
        start_active: active,
        retry_after: Duration::from_millis(20),
        ..SequencerConfig::new()
    }
}

/// Starts a sequencer on `rig` with `settings`, publishing to `publish_to`.
pub fn start_sequencer(
    rig: &Rig,
    settings: SequencerConfig,
    publish_to: Vec<Url>,
) -> SequencerHandle {
    start_sequencer_behind(rig, settings, publish_to, None)
}

/// The same behind the op-conductor at `conductor` (calls bounded by 200 ms).
pub fn start_sequencer_behind(
    rig: &Rig,
    settings: SequencerConfig,
    publish_to: Vec<Url>,
    conductor: Option<Url>,
) -> SequencerHandle {
    let conductor = conductor.map(|url| {
        let client = ConductorClient::new(url, Duration::from_millis(200)).expect("client");
        Box::new(client) as Box<dyn Conductor>
    });
    let l1 = L1Client::new(rig.l1.server.url(), Duration::from_secs(2)).expect("L1 client");
    let publishers = publish_to
        .into_iter()
        .map(|url| PayloadPublisher::new(url, None, Duration::from_millis(500)).expect("client"))
        .map(|p| Box::new(p) as Box<dyn Publish>)
        .collect();
    let (task, handle) = Sequencer::new(SequencerDeps {
        l1,
        chain: rig.engine.clone(),
        owner: rig.owner.clone(),
        config: rig.config.clone(),
        blob_schedule: L1BlobSchedule::mainnet(),
        settings,
        ready: rig.follow.ready(),
        publishers,
        conductor,
    });
    tokio::spawn(task.run(std::future::pending()));
    handle
}

/// Lets the follow path apply the source's safe head at genesis, which opens the gate.
pub async fn apply_genesis_safe(rig: &mut Rig) {
    let genesis = rig.main(0);
    rig.source.set(rig.status(genesis, genesis, genesis));
    rig.follow.tick().await;
    assert!(*rig.follow.ready().borrow(), "safe head applied");
}

/// Waits (bounded, 20 s) until `done` holds for the engine's head.
pub async fn wait_for_head(
    rig: &Rig,
    what: &str,
    done: impl Fn(&L2BlockRef) -> bool,
) -> L2BlockRef {
    for _ in 0..2_000 {
        let head = rig.engine.labels().0;
        if done(&head) {
            return head;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}; head {:?}", rig.engine.labels().0);
}

/// Waits (bounded) until the sequencer has waited more than `after` times (an earlier
/// `Idle::count`), its last wait for `reason`.
pub async fn waited(handle: &SequencerHandle, after: u64, reason: &str) {
    let mut idle = handle.idle();
    let wait = idle.wait_for(|i| i.count > after && i.reason == reason);
    let waited = tokio::time::timeout(Duration::from_secs(20), wait).await.is_ok();
    assert!(waited, "no wait for {reason}: {:?}", *handle.idle().borrow());
}

/// The canonical chain from genesis to `head`, through the engine's chain reads.
pub async fn chain(rig: &Rig, head: &L2BlockRef) -> Vec<L2BlockRef> {
    use light_cl::Chain;
    let mut blocks = Vec::new();
    for n in 0..=head.number {
        blocks.push(rig.engine.block_ref_by_number(n).await.unwrap().unwrap());
    }
    blocks
}

/// Serves `admin` (the `admin_*` RPC) on a free loopback port.
pub async fn admin_server(admin: Admin) -> (Url, jsonrpsee::server::ServerHandle) {
    admin_server_on("127.0.0.1:0".parse().expect("addr"), admin).await
}

/// Serves `admin` on `addr` (for nodes that must be named before they start).
pub async fn admin_server_on(
    addr: std::net::SocketAddr,
    admin: Admin,
) -> (Url, jsonrpsee::server::ServerHandle) {
    let server = Server::builder().build(addr).await.expect("bind loopback");
    let url = format!("http://{}", server.local_addr().expect("addr")).parse().expect("url");
    (url, server.start(AdminRpc::new(admin).into_rpc()))
}

/// A rollup node that records every `admin_postUnsafePayload` it receives.
pub async fn recorder() -> (RpcServer, Arc<Mutex<Vec<serde_json::Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = RpcServer::start(Arc::new(move |method, params| {
        if method == "admin_postUnsafePayload" {
            log.lock().unwrap().push(params[0].clone());
            Reply::Result(serde_json::Value::Null)
        } else {
            Reply::Error(-32601, format!("method {method} not found"))
        }
    }))
    .await;
    (server, seen)
}
