//! The e2e world: real in-process op-reth nodes on loopback, devp2p with discovery off.
//!
//! Node A is a reference chain the test builds block by block (every block opens with a real L1
//! info deposit pointing at the scripted L1). A loopback `optimism_syncStatus` server reports A's
//! heads (or scripted bad answers) and a loopback L1 JSON-RPC server holds the L1 blocks they
//! point at. Node B is op-reth-light, launched through the binary's own wiring
//! ([`LightCl::from_args`] and [`with_light_cl!`]).
#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod seq;

use alloy_primitives::{Address, B256};
use alloy_rpc_types_engine::ForkchoiceState;
use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use light_cl::Engine;
use light_cl_protocol::{BlockID, ChainGenesis, L2BlockRef, RollupConfig, SyncStatus};
use light_cl_tests::{
    forks_through_granite, next_block_attributes, rollup_config, source_status, ScriptedL1,
    ScriptedSource,
};
use op_reth_light::{
    args::FollowArgs, p2p::P2pArgs, with_light_cl, LightCl, RethChain, RethEngine,
};
use reth_db::{init_db, mdbx::DatabaseArguments};
use reth_network_api::{Peers, PeersInfo};
use reth_node_builder::{NodeBuilder, NodeConfig, NodeHandleFor};
use reth_node_core::{
    args::{DatadirArgs, DiscoveryArgs, NetworkArgs, PayloadBuilderArgs, RpcServerArgs},
    dirs::MaybePlatformPath,
};
use reth_optimism_chainspec::OpChainSpec;
use reth_optimism_node::{args::RollupArgs, OpNode};
use reth_tasks::TaskManager;
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

/// L2 blocks per L1 block (2 s against 12 s).
pub const L2_PER_L1: u64 = 6;
/// How long B may take to reach a state.
pub const PATIENCE: Duration = Duration::from_secs(90);

pub type Handle = NodeHandleFor<OpNode>;

/// An L2 chain of chain id 901 with every fork through Granite at genesis; its timestamp is the
/// scripted L1's genesis timestamp.
pub fn chain_spec(l2_time: u64) -> Arc<OpChainSpec> {
    Arc::new(OpChainSpec::from_genesis(serde_json::from_value(genesis_json(l2_time)).unwrap()))
}

/// The genesis document of [`chain_spec`].
pub fn genesis_json(l2_time: u64) -> serde_json::Value {
    genesis_json_of(l2_time, false)
}

/// The same chain with every fork through Jovian at genesis (the last fork op-reth v1.10.2
/// implements): its extra data carries Jovian's EIP-1559 parameters (denominator 250,
/// elasticity 6, minimum base fee 0), from which the first block's base fee is computed.
pub fn chain_spec_through_jovian(l2_time: u64) -> Arc<OpChainSpec> {
    let genesis = genesis_json_of(l2_time, true);
    Arc::new(OpChainSpec::from_genesis(serde_json::from_value(genesis).unwrap()))
}

fn genesis_json_of(l2_time: u64, through_jovian: bool) -> serde_json::Value {
    let mut genesis = granite_genesis(l2_time);
    if through_jovian {
        for fork in ["holoceneTime", "isthmusTime", "jovianTime", "pragueTime"] {
            genesis["config"][fork] = 0.into();
        }
        genesis["extraData"] = "0x01000000fa000000060000000000000000".into();
        genesis["baseFeePerGas"] = "0x3b9aca00".into();
    }
    genesis
}

fn granite_genesis(l2_time: u64) -> serde_json::Value {
    serde_json::json!({
        "config": {
            "chainId": 901, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
            "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0,
            "petersburgBlock": 0, "istanbulBlock": 0, "muirGlacierBlock": 0, "berlinBlock": 0,
            "londonBlock": 0, "arrowGlacierBlock": 0, "grayGlacierBlock": 0,
            "mergeNetsplitBlock": 0, "shanghaiTime": 0, "cancunTime": 0,
            "terminalTotalDifficulty": 0, "terminalTotalDifficultyPassed": true,
            "bedrockBlock": 0, "regolithTime": 0, "canyonTime": 0, "ecotoneTime": 0,
            "fjordTime": 0, "graniteTime": 0,
            "optimism": {"eip1559Elasticity": 6, "eip1559Denominator": 50, "eip1559DenominatorCanyon": 250}
        },
        "nonce": "0x0", "timestamp": format!("{l2_time:#x}"), "extraData": "0x",
        "gasLimit": "0x1c9c380", "difficulty": "0x0",
        "mixHash": B256::ZERO, "coinbase": Address::ZERO, "number": "0x0",
        "alloc": { LOAD.to_string(): { "balance": "0xd3c21bcecceda1000000" } }
    })
}

/// The second dev account of reth's test mnemonic, funded in L2 genesis: the sender of test
/// load on L2.
pub const LOAD: Address = alloy_primitives::address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");

/// How often reth's payload job rebuilds a block during its fill window in tests (reth's
/// default is 1 s, a whole block time here).
pub const BUILDER_INTERVAL: Duration = Duration::from_millis(100);

/// The scripted L1, the scripted source, the chain and its rollup.json.
pub struct World {
    pub l1: ScriptedL1,
    pub source: ScriptedSource,
    pub spec: Arc<OpChainSpec>,
    pub rollup: RollupConfig,
    pub rollup_path: PathBuf,
    pub dir: tempfile::TempDir,
}

impl World {
    pub async fn new() -> Self {
        let l1 = ScriptedL1::start(64).await;
        let source = ScriptedSource::start(SyncStatus::default()).await;
        let spec = chain_spec(l1.block(0).timestamp);
        let rollup = rollup_config(
            ChainGenesis {
                l1: l1.block(0).id(),
                l2: BlockID { hash: spec.genesis_hash(), number: 0 },
                l2_time: l1.block(0).timestamp,
                system_config: None,
            },
            forks_through_granite(),
        );
        let dir = tempfile::tempdir().unwrap();
        let rollup_path = dir.path().join("rollup.json");
        std::fs::write(&rollup_path, serde_json::to_string_pretty(&rollup).unwrap()).unwrap();
        Self { l1, source, spec, rollup, rollup_path, dir }
    }

    /// The follow arguments of node B.
    pub fn follow_args(&self) -> FollowArgs {
        FollowArgs {
            follow_source: vec![self.source.server.url().into()],
            l1_rpc: Some(self.l1.server.url()),
            follow_interval: Some(Duration::from_millis(200)),
            rollup_config: Some(self.rollup_path.clone()),
            // CL gossip has its own tests (tests/gossip.rs).
            p2p: P2pArgs::disabled(),
            ..Default::default()
        }
    }

    /// Launches a node with its database in `datadir`; with `follow`, it is op-reth-light.
    pub async fn launch(
        &self,
        datadir: &Path,
        follow: Option<FollowArgs>,
    ) -> eyre::Result<(Handle, TaskManager)> {
        launch(self.spec.clone(), datadir, follow).await
    }

    /// The follow source reports these heads of A.
    pub fn report(&self, unsafe_l2: L2BlockRef, safe: L2BlockRef, finalized: L2BlockRef) {
        self.source.set(source_status(&self.l1, unsafe_l2, safe, finalized));
    }

    /// Block `number` of `node`, read through the binary's chain adapter.
    pub fn block(&self, node: &Handle, number: u64) -> L2BlockRef {
        RethChain::new(node.node.provider.clone(), self.rollup.genesis.clone())
            .block_ref(number)
            .unwrap()
            .unwrap_or_else(|| panic!("block {number} not found"))
    }

    /// Builds `count` blocks on A on top of block `parent`; `salt` tells branches apart.
    pub async fn build(&self, a: &Handle, parent: u64, count: u64, salt: u8) -> eyre::Result<()> {
        let engine = RethEngine::new(
            a.node.add_ons_handle.beacon_engine_handle.clone(),
            a.node.payload_builder_handle.clone(),
        );
        let mut parent = self.block(a, parent);
        for _ in 0..count {
            let number = parent.number + 1;
            let origin = self.l1.block(number / L2_PER_L1);
            let attributes = next_block_attributes(parent, origin, number % L2_PER_L1, 2, salt);
            // Through the binary's own engine adapter: the seam the light CL builds with.
            let state = |head| ForkchoiceState {
                head_block_hash: head,
                safe_block_hash: B256::ZERO,
                finalized_block_hash: B256::ZERO,
            };
            let updated = engine.fork_choice_updated(state(parent.hash), Some(attributes)).await?;
            let id = updated.payload_id.ok_or_else(|| eyre::eyre!("no payload id: {updated:?}"))?;
            let payload = engine.get_payload(id).await?;
            let hash = payload.payload.block_hash();
            let status = engine.new_payload(payload).await?;
            eyre::ensure!(status.is_valid(), "new payload: {status:?}");
            let updated = engine.fork_choice_updated(state(hash), None).await?;
            eyre::ensure!(updated.is_valid(), "forkchoice: {updated:?}");
            parent = self.block(a, number);
            assert_eq!(parent.hash, hash);
            assert_eq!(parent.l1_origin, origin.id(), "the L1 info deposit is read back");
        }
        Ok(())
    }
}

/// Launches a node of `spec` with its database in `datadir`; with `follow`, it is
/// op-reth-light, wired as the binary wires it.
pub async fn launch(
    spec: Arc<OpChainSpec>,
    datadir: &Path,
    follow: Option<FollowArgs>,
) -> eyre::Result<(Handle, TaskManager)> {
    launch_on(spec, datadir, follow, 0).await
}

/// [`launch`] with the HTTP RPC on `http_port` (0: a free one), for nodes that must be named
/// before they start.
pub async fn launch_on(
    spec: Arc<OpChainSpec>,
    datadir: &Path,
    follow: Option<FollowArgs>,
    http_port: u16,
) -> eyre::Result<(Handle, TaskManager)> {
    let tasks = TaskManager::current();
    let mut rpc_args = RpcServerArgs::default().with_unused_ports().with_http();
    if http_port != 0 {
        rpc_args.http_port = http_port;
    }
    let config = NodeConfig::new(spec)
        .with_network(NetworkArgs {
            discovery: DiscoveryArgs { disable_discovery: true, ..Default::default() },
            ..NetworkArgs::default()
        })
        .with_unused_ports()
        .with_rpc(rpc_args)
        .with_payload_builder(PayloadBuilderArgs {
            interval: BUILDER_INTERVAL,
            ..PayloadBuilderArgs::default()
        })
        .with_datadir_args(DatadirArgs {
            datadir: MaybePlatformPath::from(datadir.to_path_buf()),
            ..Default::default()
        });
    let db = Arc::new(init_db(datadir.join("db"), DatabaseArguments::default())?);
    let light = match follow {
        Some(args) => LightCl::from_args(&args)?,
        None => None,
    };
    // The binary's own wiring (src/main.rs).
    let builder = NodeBuilder::new(config)
        .with_database(db)
        .with_launch_context(tasks.executor())
        .node(OpNode::new(RollupArgs::default()));
    let handle = with_light_cl!(builder, light).launch().await?;
    Ok((handle, tasks))
}

/// Stops a node cleanly (the engine flushes its in-memory blocks to the database) so that its
/// datadir can be opened again.
pub async fn stop(node: Handle, tasks: TaskManager) {
    if let Some(flushed) = node.node.add_ons_handle.engine_shutdown.shutdown() {
        let _ = flushed.await;
    }
    drop(node);
    assert!(tasks.graceful_shutdown_with_timeout(Duration::from_secs(30)));
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Peers `a` and `b` over devp2p on loopback and waits for the session.
pub async fn connect(a: &Handle, b: &Handle) {
    let record = a.node.network.local_node_record();
    b.node.network.add_peer(record.id, record.tcp_addr());
    wait(|| async { (b.node.network.num_connected_peers() > 0).then_some(()) }, "devp2p session")
        .await;
}

/// Polls `check` until it gives a value.
pub async fn wait<T, F, Fut>(check: F, what: &str) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn rpc(node: &Handle) -> HttpClient {
    let url = node.node.rpc_server_handle().http_url().expect("http rpc");
    HttpClientBuilder::default().build(url).unwrap()
}

/// The hash of `eth_getBlockByNumber(tag)` on `node`.
pub async fn label(client: &HttpClient, tag: &str) -> Option<B256> {
    let block: Option<Value> =
        client.request("eth_getBlockByNumber", rpc_params![tag, false]).await.ok()?;
    block.and_then(|b| b["hash"].as_str().and_then(|h| h.parse().ok()))
}

/// Waits until B's safe and finalized labels are these blocks.
pub async fn wait_labels(b: &HttpClient, safe: L2BlockRef, finalized: L2BlockRef) {
    wait(
        || async {
            let (s, f) = (label(b, "safe").await, label(b, "finalized").await);
            (s == Some(safe.hash) && f == Some(finalized.hash)).then_some(())
        },
        &format!("safe {} and finalized {}", safe.number, finalized.number),
    )
    .await;
}

/// Waits until the follower polled L1 three more times: its follow task completed at least two
/// more ticks (it polls L1 first, once per tick).
pub async fn a_few_ticks(world: &World) {
    world.l1.wait_head_polls(3, PATIENCE).await;
}

/// The value of counter `name` with `labels` (as Prometheus renders them, e.g.
/// `reason="inactive"`) in reth's recorder, which every node of this test process shares; reth
/// exports it with the prefix `reth_`.
pub fn counter(name: &str, labels: &str) -> u64 {
    counter_value(name, labels) as u64
}

/// The value of gauge or counter `name` with `labels` in reth's recorder (see [`counter`]).
pub fn counter_value(name: &str, labels: &str) -> f64 {
    series(name).into_iter().find(|(l, _)| l == labels).map_or(0.0, |(_, v)| v)
}

/// Every series of metric `name` in reth's recorder (see [`counter`]): its labels as rendered
/// (empty for a metric without labels) and its value.
pub fn series(name: &str) -> Vec<(String, f64)> {
    let rendered = reth_node_metrics::recorder::install_prometheus_recorder().handle().render();
    let prefix = format!("reth_{name}");
    rendered
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(&prefix)?;
            let (labels, value) = match rest.strip_prefix('{') {
                Some(labelled) => labelled.split_once("} ")?,
                None => ("", rest.strip_prefix(' ')?),
            };
            Some((labels.to_owned(), value.trim().parse::<f64>().expect("a metric value")))
        })
        .collect()
}

/// Waits until counter `name{labels}` is above `after`.
pub async fn counted(name: &str, labels: &str, after: u64) {
    wait(
        || async { (counter(name, labels) > after).then_some(()) },
        &format!("{name}{{{labels}}}"),
    )
    .await;
}
