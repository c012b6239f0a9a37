//! A scripted follow source: a rollup node's `optimism_syncStatus` over real HTTP.

use crate::http::{Reply, RpcServer};
use light_cl_protocol::{RollupConfig, SyncStatus};
use std::sync::{Arc, Mutex};

/// Answers `optimism_syncStatus` with whatever was last set, and `optimism_rollupConfig` once a
/// config is set.
pub struct ScriptedSource {
    /// The server; stop it to take the source down.
    pub server: RpcServer,
    reply: Arc<Mutex<Reply>>,
    config: Arc<Mutex<Option<RollupConfig>>>,
}

impl ScriptedSource {
    /// Starts answering `status`.
    pub async fn start(status: SyncStatus) -> Self {
        let reply = Arc::new(Mutex::new(Reply::Result(serde_json::to_value(status).unwrap())));
        let config = Arc::new(Mutex::new(None::<RollupConfig>));
        let (served, served_config) = (reply.clone(), config.clone());
        let server = RpcServer::start(Arc::new(move |method, _| match method {
            "optimism_syncStatus" => served.lock().unwrap().clone(),
            "optimism_rollupConfig" => match &*served_config.lock().unwrap() {
                Some(c) => Reply::Result(serde_json::to_value(c).unwrap()),
                None => Reply::Error(-32000, "rollup config not available".into()),
            },
            other => Reply::Error(-32601, format!("method {other} not found")),
        }))
        .await;
        Self { server, reply, config }
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
