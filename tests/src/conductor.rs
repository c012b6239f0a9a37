//! A scripted op-conductor cluster: one RPC server per sequencer on loopback, answering
//! `conductor_leader` for the node the test makes leader and recording every
//! `conductor_commitUnsafePayload` in order, with commits that fail or hang on purpose.

use crate::http::{Reply, RpcServer};
use alloy_primitives::B256;
use serde_json::{json, Value};
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

/// How a scripted commit goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitFault {
    /// An error answer (raft did not apply it).
    Fail,
    /// No answer for a minute (the client's timeout gives up first); nothing is committed.
    Hang,
}

#[derive(Debug, Default)]
struct Cluster {
    leader: Option<usize>,
    commits: Vec<Commit>,
    faults: VecDeque<CommitFault>,
}

/// A block committed to the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commit {
    /// The node that committed it.
    pub node: usize,
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
}

/// The cluster and one conductor server per node.
pub struct ScriptedConductor {
    cluster: Arc<Mutex<Cluster>>,
    /// Node `i`'s conductor.
    pub servers: Vec<RpcServer>,
}

impl ScriptedConductor {
    /// A cluster of `nodes` conductors with no leader.
    pub async fn start(nodes: usize) -> Self {
        let cluster = Arc::new(Mutex::new(Cluster::default()));
        let mut servers = Vec::new();
        for node in 0..nodes {
            let cluster = cluster.clone();
            servers.push(
                RpcServer::start(Arc::new(move |method, params| {
                    answer(&mut cluster.lock().unwrap(), node, method, params)
                }))
                .await,
            );
        }
        Self { cluster, servers }
    }

    /// Node `node`'s conductor URL.
    pub fn url(&self, node: usize) -> url::Url {
        self.servers[node].url()
    }

    /// Makes `leader` the leader (`None`: no leader).
    pub fn set_leader(&self, leader: Option<usize>) {
        self.cluster.lock().unwrap().leader = leader;
    }

    /// The next commits go wrong as `faults` say, one each.
    pub fn fault_next(&self, faults: impl IntoIterator<Item = CommitFault>) {
        self.cluster.lock().unwrap().faults.extend(faults);
    }

    /// Scripted faults not used yet.
    pub fn faults_left(&self) -> usize {
        self.cluster.lock().unwrap().faults.len()
    }

    /// Every block committed, in order.
    pub fn commits(&self) -> Vec<Commit> {
        self.cluster.lock().unwrap().commits.clone()
    }
}

fn answer(cluster: &mut Cluster, node: usize, method: &str, params: &Value) -> Reply {
    match method {
        "conductor_leader" => Reply::Result(json!(cluster.leader == Some(node))),
        "conductor_commitUnsafePayload" => {
            if cluster.leader != Some(node) {
                return Reply::Error(-32000, "node is not the leader".into());
            }
            match cluster.faults.pop_front() {
                Some(CommitFault::Fail) => {
                    return Reply::Error(-32000, "failed to apply the payload".into())
                }
                Some(CommitFault::Hang) => {
                    let never = Reply::Error(-32000, "too late".into());
                    return Reply::Delayed(Duration::from_secs(60), Box::new(never));
                }
                None => {}
            }
            let payload = &params[0]["executionPayload"];
            let number = payload["blockNumber"]
                .as_str()
                .and_then(|n| u64::from_str_radix(n.trim_start_matches("0x"), 16).ok());
            let hash = payload["blockHash"].as_str().and_then(|h| h.parse().ok());
            match (number, hash) {
                (Some(number), Some(hash)) => {
                    cluster.commits.push(Commit { node, number, hash });
                    Reply::Result(Value::Null)
                }
                _ => Reply::Error(-32602, "not an execution payload envelope".into()),
            }
        }
        _ => Reply::Error(-32601, format!("the method {method} does not exist")),
    }
}
