//! A scripted follow source: a rollup node's `optimism_syncStatus` over real HTTP.

use crate::http::{Reply, RpcServer};
use light_cl_protocol::{RollupConfig, SyncStatus};
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc, Mutex,
};

/// Answers `optimism_syncStatus` with whatever was last set, and `optimism_rollupConfig` once a
/// config is set.
pub struct ScriptedSource {
    /// The server; stop it to take the source down.
    pub server: RpcServer,
    reply: Arc<Mutex<Reply>>,
    config: Arc<Mutex<Option<RollupConfig>>>,
    polls: Arc<AtomicU64>,
}

impl ScriptedSource {
    /// Starts answering `status`.
    pub async fn start(status: SyncStatus) -> Self {
        let reply = Arc::new(Mutex::new(Reply::Result(serde_json::to_value(status).unwrap())));
        let config = Arc::new(Mutex::new(None::<RollupConfig>));
        let polls = Arc::new(AtomicU64::new(0));
        let (served, served_config, counted) = (reply.clone(), config.clone(), polls.clone());
        let server = RpcServer::start(Arc::new(move |method, _| match method {
            "optimism_syncStatus" => {
                counted.fetch_add(1, Ordering::SeqCst);
                served.lock().unwrap().clone()
            }
            "optimism_rollupConfig" => match &*served_config.lock().unwrap() {
                Some(c) => Reply::Result(serde_json::to_value(c).unwrap()),
                None => Reply::Error(-32000, "rollup config not available".into()),
            },
            other => Reply::Error(-32601, format!("method {other} not found")),
        }))
        .await;
        Self { server, reply, config, polls }
    }

    /// How many `optimism_syncStatus` requests arrived so far.
    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::SeqCst)
    }

    /// Waits until `n` more `optimism_syncStatus` requests arrived (the follower completed
    /// `n - 1` ticks after the one in flight), at most `patience`.
    pub async fn wait_polls(&self, n: u64, patience: std::time::Duration) {
        let target = self.polls() + n;
        let deadline = tokio::time::Instant::now() + patience;
        while self.polls() < target {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {n} polls");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Serves `config` as `optimism_rollupConfig` from now on.
    pub fn set_rollup_config(&self, config: RollupConfig) {
        *self.config.lock().unwrap() = Some(config);
    }

    /// Answers `status` from now on.
    pub fn set(&self, status: SyncStatus) {
        self.set_reply(Reply::Result(serde_json::to_value(status).unwrap()));
    }

    /// Answers `reply` from now on.
    pub fn set_reply(&self, reply: Reply) {
        *self.reply.lock().unwrap() = reply;
    }
}
