//! A scripted follow source: a rollup node's `optimism_syncStatus` over real HTTP.

use crate::http::{Reply, RpcServer};
use light_cl_protocol::{FollowInfo, L2BlockRef, OutputResponse, RollupConfig, SyncStatus};
use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

/// What the scripted source answers, shared with its server.
#[derive(Default)]
struct Script {
    /// Answers to `optimism_syncStatus`, taken in turn (a load balancer over replicas).
    replies: Vec<Reply>,
    config: Option<RollupConfig>,
    /// Its chain for `optimism_outputAtBlock`, by number.
    chain: BTreeMap<u64, L2BlockRef>,
    /// `optimism_followInfo`; `None`: "method not found" (a deriving node).
    follow_info: Option<FollowInfo>,
}

/// Answers `optimism_syncStatus` with whatever was last set, `optimism_rollupConfig` once a
/// config is set, `optimism_outputAtBlock` for the blocks of its chain, and
/// `optimism_followInfo` once one is set.
pub struct ScriptedSource {
    /// The server; stop it to take the source down.
    pub server: RpcServer,
    script: Arc<Mutex<Script>>,
    polls: Arc<AtomicU64>,
}

impl ScriptedSource {
    /// Starts answering `status`.
    pub async fn start(status: SyncStatus) -> Self {
        let script = Arc::new(Mutex::new(Script {
            replies: vec![Reply::Result(serde_json::to_value(status).unwrap())],
            ..Default::default()
        }));
        let polls = Arc::new(AtomicU64::new(0));
        let (served, counted) = (script.clone(), polls.clone());
        let server = RpcServer::start(Arc::new(move |method, params| {
            let script = served.lock().unwrap();
            match method {
                "optimism_syncStatus" => {
                    let n = counted.fetch_add(1, Ordering::SeqCst);
                    script.replies[n as usize % script.replies.len()].clone()
                }
                "optimism_rollupConfig" => match &script.config {
                    Some(c) => Reply::Result(serde_json::to_value(c).unwrap()),
                    None => Reply::Error(-32000, "rollup config not available".into()),
                },
                "optimism_outputAtBlock" => {
                    let number = params[0]
                        .as_str()
                        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok());
                    match number.and_then(|n| script.chain.get(&n)) {
                        Some(block) => Reply::Result(
                            serde_json::to_value(OutputResponse {
                                version: Default::default(),
                                output_root: Default::default(),
                                block_ref: *block,
                                withdrawal_storage_root: Default::default(),
                                state_root: Default::default(),
                                sync_status: Default::default(),
                            })
                            .unwrap(),
                        ),
                        None => Reply::Error(-32000, "block not found".into()),
                    }
                }
                "optimism_followInfo" => match &script.follow_info {
                    Some(info) => Reply::Result(serde_json::to_value(info).unwrap()),
                    None => Reply::Error(-32601, "method optimism_followInfo not found".into()),
                },
                other => Reply::Error(-32601, format!("method {other} not found")),
            }
        }))
        .await;
        Self { server, script, polls }
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
        self.script.lock().unwrap().config = Some(config);
    }

    /// Answers `status` from now on.
    pub fn set(&self, status: SyncStatus) {
        self.set_reply(Reply::Result(serde_json::to_value(status).unwrap()));
    }

    /// Answers `reply` from now on.
    pub fn set_reply(&self, reply: Reply) {
        self.script.lock().unwrap().replies = vec![reply];
    }

    /// Answers these statuses in turn, one per poll (replicas behind a load balancer).
    pub fn alternate(&self, statuses: &[SyncStatus]) {
        self.script.lock().unwrap().replies =
            statuses.iter().map(|s| Reply::Result(serde_json::to_value(s).unwrap())).collect();
    }

    /// Serves these blocks by number from `optimism_outputAtBlock` (added to those it has).
    pub fn hold(&self, blocks: &[L2BlockRef]) {
        let mut script = self.script.lock().unwrap();
        for b in blocks {
            script.chain.insert(b.number, *b);
        }
    }

    /// Answers `optimism_followInfo` with `info` (`None`: "method not found").
    pub fn set_follow_info(&self, info: Option<FollowInfo>) {
        self.script.lock().unwrap().follow_info = info;
    }
}

/// A source's execution RPC that knows only the headers of one chain (no whole blocks).
pub struct HeadersEl(pub Vec<L2BlockRef>);

impl light_cl::SourceEl for HeadersEl {
    async fn block_by_number(
        &self,
        _: u64,
    ) -> Result<Option<light_cl_rpc::L2Block>, light_cl_rpc::ElError> {
        Ok(None)
    }

    async fn block_by_hash(
        &self,
        _: alloy_primitives::B256,
    ) -> Result<Option<light_cl_rpc::L2Block>, light_cl_rpc::ElError> {
        Ok(None)
    }

    async fn header_by_number(
        &self,
        number: u64,
    ) -> Result<Option<L2BlockRef>, light_cl_rpc::ElError> {
        Ok(self.0.iter().find(|b| b.number == number).copied())
    }
}
