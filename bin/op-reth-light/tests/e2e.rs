//! End-to-end: real in-process op-reth nodes on loopback, devp2p with discovery off.
//!
//! Node A is a reference chain the test builds block by block (every block opens with a real L1
//! info deposit pointing at the scripted L1). A loopback `optimism_syncStatus` server reports A's
//! heads (or scripted bad answers) and a loopback L1 JSON-RPC server holds the L1 blocks they
//! point at. Node B is op-reth-light, launched through the binary's own wiring
//! ([`LightCl::from_args`] and [`with_light_cl!`]) and peered with A. Everything is asserted
//! through B's JSON-RPC.

use alloy_eips::Encodable2718;
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_engine::{ForkchoiceState, PayloadAttributes};
use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use light_cl_protocol::{
    output_root_v0, BlockID, ChainGenesis, ForkTimes, L1BlockInfo, L1InfoLayout, L2BlockRef,
    RollupConfig, SyncStatus,
};
use light_cl_rpc::OptimismApiClient;
use light_cl_tests::{rollup_config, ScriptedL1, ScriptedSource};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::OpPayloadAttributes;
use op_reth_light::{args::FollowArgs, with_light_cl, LightCl, RethChain};
use reth_db::{init_db, mdbx::DatabaseArguments};
use reth_network_api::{Peers, PeersInfo};
use reth_node_api::{EngineApiMessageVersion, PayloadKind, PayloadTypes};
use reth_node_builder::{NodeBuilder, NodeConfig, NodeHandleFor};
use reth_node_core::{
    args::{DatadirArgs, DiscoveryArgs, NetworkArgs, RpcServerArgs},
    dirs::MaybePlatformPath,
};
use reth_optimism_chainspec::OpChainSpec;
use reth_optimism_node::{args::RollupArgs, OpEngineTypes, OpNode};
use reth_provider::HeaderProvider;
use reth_tasks::TaskManager;
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

/// L2 blocks per L1 block (2 s against 12 s).
const L2_PER_L1: u64 = 6;
/// How long B may take to reach a state.
const PATIENCE: Duration = Duration::from_secs(90);

type Handle = NodeHandleFor<OpNode>;

/// An L2 chain of chain id 901 with every fork through Granite at genesis; its timestamp is the
/// scripted L1's genesis timestamp.
fn chain_spec(l2_time: u64) -> Arc<OpChainSpec> {
    let genesis = serde_json::json!({
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
        "mixHash": B256::ZERO, "coinbase": Address::ZERO, "alloc": {}, "number": "0x0"
    });
    Arc::new(OpChainSpec::from_genesis(serde_json::from_value(genesis).unwrap()))
}

/// The scripted L1, the scripted source, the chain and its rollup.json.
struct World {
    l1: ScriptedL1,
    source: ScriptedSource,
    spec: Arc<OpChainSpec>,
    rollup: RollupConfig,
    rollup_path: PathBuf,
    dir: tempfile::TempDir,
}

impl World {
    async fn new() -> Self {
        let l1 = ScriptedL1::start(64).await;
        let source = ScriptedSource::start(SyncStatus::default()).await;
        let spec = chain_spec(l1.block(0).timestamp);
        let zero = Some(0);
        let rollup = rollup_config(
            ChainGenesis {
                l1: l1.block(0).id(),
                l2: BlockID { hash: spec.genesis_hash(), number: 0 },
                l2_time: l1.block(0).timestamp,
                system_config: None,
            },
            ForkTimes {
                regolith_time: zero,
                canyon_time: zero,
                delta_time: zero,
                ecotone_time: zero,
                fjord_time: zero,
                granite_time: zero,
                ..Default::default()
            },
        );
        let dir = tempfile::tempdir().unwrap();
        let rollup_path = dir.path().join("rollup.json");
        std::fs::write(&rollup_path, serde_json::to_string_pretty(&rollup).unwrap()).unwrap();
        Self { l1, source, spec, rollup, rollup_path, dir }
    }

    /// The follow arguments of node B.
    fn follow_args(&self) -> FollowArgs {
        FollowArgs {
            follow_source: Some(self.source.server.url()),
            l1_rpc: Some(self.l1.server.url()),
            follow_interval: Some(Duration::from_millis(200)),
            rollup_config: Some(self.rollup_path.clone()),
            ..Default::default()
        }
    }

    /// Launches a node with its database in `datadir`; with `follow`, it is op-reth-light.
    async fn launch(
        &self,
        datadir: &Path,
        follow: Option<FollowArgs>,
    ) -> eyre::Result<(Handle, TaskManager)> {
        let tasks = TaskManager::current();
        let config = NodeConfig::new(self.spec.clone())
            .with_network(NetworkArgs {
                discovery: DiscoveryArgs { disable_discovery: true, ..Default::default() },
                ..NetworkArgs::default()
            })
            .with_unused_ports()
            .with_rpc(RpcServerArgs::default().with_unused_ports().with_http())
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

    /// The follow source reports these heads of A.
    fn report(&self, unsafe_l2: L2BlockRef, safe: L2BlockRef, finalized: L2BlockRef) {
        self.source.set(SyncStatus {
            current_l1: self.l1.block(safe.l1_origin.number + 1),
            head_l1: self.l1.block(63),
            unsafe_l2,
            safe_l2: safe,
            finalized_l2: finalized,
            pending_safe_l2: safe,
            cross_unsafe_l2: unsafe_l2,
            local_safe_l2: safe,
            ..Default::default()
        });
    }

    /// Block `number` of `node`, read through the binary's chain adapter.
    fn block(&self, node: &Handle, number: u64) -> L2BlockRef {
        RethChain::new(node.node.provider.clone(), self.rollup.genesis.clone())
            .block_ref(number)
            .unwrap()
            .unwrap_or_else(|| panic!("block {number} not found"))
    }

    /// Builds `count` blocks on A on top of block `parent`; `salt` tells branches apart.
    async fn build(&self, a: &Handle, parent: u64, count: u64, salt: u8) -> eyre::Result<()> {
        let engine = a.node.add_ons_handle.beacon_engine_handle.clone();
        let mut parent = self.block(a, parent);
        for _ in 0..count {
            let number = parent.number + 1;
            let origin = self.l1.block(number / L2_PER_L1);
            let info = L1BlockInfo {
                number: origin.number,
                timestamp: origin.timestamp,
                base_fee: U256::from(1_000_000_000u64),
                block_hash: origin.hash,
                sequence_number: number % L2_PER_L1,
                batcher_hash: Address::repeat_byte(0xba).into_word(),
                base_fee_scalar: 1368,
                blob_base_fee_scalar: 810949,
                blob_base_fee: U256::from(1),
                ..L1BlockInfo::empty(L1InfoLayout::Ecotone)
            };
            let deposit = OpTxEnvelope::Deposit(alloy_primitives::Sealed::new(info.deposit_tx()));
            let attributes = OpPayloadAttributes {
                payload_attributes: PayloadAttributes {
                    timestamp: parent.timestamp + 2,
                    prev_randao: B256::repeat_byte(salt),
                    suggested_fee_recipient: Address::repeat_byte(0x11),
                    withdrawals: Some(vec![]),
                    parent_beacon_block_root: Some(B256::ZERO),
                },
                transactions: Some(vec![deposit.encoded_2718().into()]),
                no_tx_pool: Some(true),
                gas_limit: Some(30_000_000),
                eip_1559_params: None,
                min_base_fee: None,
            };
            let state = |head| ForkchoiceState {
                head_block_hash: head,
                safe_block_hash: B256::ZERO,
                finalized_block_hash: B256::ZERO,
            };
            let updated = engine
                .fork_choice_updated(
                    state(parent.hash),
                    Some(attributes),
                    EngineApiMessageVersion::V3,
                )
                .await?;
            let id = updated.payload_id.ok_or_else(|| eyre::eyre!("no payload id: {updated:?}"))?;
            let built = a
                .node
                .payload_builder_handle
                .resolve_kind(id, PayloadKind::WaitForPending)
                .await
                .ok_or_else(|| eyre::eyre!("payload {id} gone"))??;
            let block = built.block().clone();
            let status = engine
                .new_payload(<OpEngineTypes as PayloadTypes>::block_to_payload(block.clone()))
                .await?;
            eyre::ensure!(status.is_valid(), "new payload: {status:?}");
            let updated = engine
                .fork_choice_updated(state(block.hash()), None, EngineApiMessageVersion::V3)
                .await?;
            eyre::ensure!(updated.is_valid(), "forkchoice: {updated:?}");
            parent = self.block(a, number);
            assert_eq!(parent.hash, block.hash());
            assert_eq!(parent.l1_origin, origin.id(), "the L1 info deposit is read back");
        }
        Ok(())
    }
}

/// Peers `a` and `b` over devp2p on loopback and waits for the session.
async fn connect(a: &Handle, b: &Handle) {
    let record = a.node.network.local_node_record();
    b.node.network.add_peer(record.id, record.tcp_addr());
    wait(|| async { (b.node.network.num_connected_peers() > 0).then_some(()) }, "devp2p session")
        .await;
}

/// Polls `check` until it gives a value.
async fn wait<T, F, Fut>(check: F, what: &str) -> T
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

fn rpc(node: &Handle) -> HttpClient {
    let url = node.node.rpc_server_handle().http_url().expect("http rpc");
    HttpClientBuilder::default().build(url).unwrap()
}

/// The hash of `eth_getBlockByNumber(tag)` on `node`.
async fn label(client: &HttpClient, tag: &str) -> Option<B256> {
    let block: Option<Value> =
        client.request("eth_getBlockByNumber", rpc_params![tag, false]).await.ok()?;
    block.and_then(|b| b["hash"].as_str().and_then(|h| h.parse().ok()))
}

/// Waits until B's safe and finalized labels are these blocks.
async fn wait_labels(b: &HttpClient, safe: L2BlockRef, finalized: L2BlockRef) {
    wait(
        || async {
            let (s, f) = (label(b, "safe").await, label(b, "finalized").await);
            (s == Some(safe.hash) && f == Some(finalized.hash)).then_some(())
        },
        &format!("safe {} and finalized {}", safe.number, finalized.number),
    )
    .await;
}

/// Lets the follow task run a few ticks (interval 200 ms).
async fn a_few_ticks() {
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn follows_from_a_fresh_datadir_and_refuses_bad_updates() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 20, 1).await?;
    let (b, _b_tasks) =
        world.launch(&world.dir.path().join("b"), Some(world.follow_args())).await?;
    connect(&a, &b).await;
    let client = rpc(&b);

    // From a fresh datadir: the labels follow A (no initial-sync deadlock).
    world.report(world.block(&a, 20), world.block(&a, 15), world.block(&a, 10));
    wait_labels(&client, world.block(&a, 15), world.block(&a, 10)).await;
    assert_eq!(label(&client, "latest").await, Some(world.block(&a, 15).hash));
    let status = client.sync_status().await?;
    assert_eq!(status.safe_l2, world.block(&a, 15));
    assert_eq!(status.finalized_l2, world.block(&a, 10));
    assert_eq!(status.local_safe_l2, status.safe_l2);
    assert_eq!(status.unsafe_l2, world.block(&b, 15), "the applied head, read from B");
    assert_eq!(status.current_l1, world.l1.block(15 / L2_PER_L1 + 1));
    assert_eq!(status.head_l1, world.l1.block(63), "head_l1 from B's own L1 polling");
    assert_eq!(client.rollup_config().await?, world.rollup);
    assert!(client.version().await?.starts_with("op-reth-light/"));

    // optimism_outputAtBlock, against A's state read independently.
    let output = client.output_at_block(12.into()).await?;
    let a_header = a.node.provider.sealed_header(12)?.unwrap();
    assert_eq!(output.block_ref, world.block(&a, 12));
    assert_eq!(output.state_root, a_header.state_root);
    assert_eq!(
        output.output_root,
        output_root_v0(a_header.state_root, output.withdrawal_storage_root, a_header.hash())
    );
    assert_eq!(output.sync_status.safe_l2, status.safe_l2);
    assert!(client.output_at_block(500.into()).await.is_err(), "unknown block");

    // An update whose safe head's L1 origin is not canonical is not applied.
    let mut forged = world.block(&a, 18);
    forged.l1_origin.hash = B256::repeat_byte(0xee);
    world.report(world.block(&a, 20), forged, world.block(&a, 12));
    a_few_ticks().await;
    assert_eq!(label(&client, "safe").await, Some(world.block(&a, 15).hash));
    assert_eq!(label(&client, "finalized").await, Some(world.block(&a, 10).hash));

    // Finalized never rewinds; the rest of the update applies.
    world.report(world.block(&a, 20), world.block(&a, 18), world.block(&a, 5));
    wait_labels(&client, world.block(&a, 18), world.block(&a, 10)).await;
    a_few_ticks().await;
    assert_eq!(label(&client, "finalized").await, Some(world.block(&a, 10).hash));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn follows_a_reorg_above_finalized() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 16, 1).await?;
    let (b, _b_tasks) =
        world.launch(&world.dir.path().join("b"), Some(world.follow_args())).await?;
    connect(&a, &b).await;
    let client = rpc(&b);
    world.report(world.block(&a, 16), world.block(&a, 14), world.block(&a, 8));
    wait_labels(&client, world.block(&a, 14), world.block(&a, 8)).await;
    let old_12 = world.block(&a, 12);

    // A reorgs from block 11 on: a new branch, 11'..18'.
    world.build(&a, 10, 8, 2).await?;
    let new_12 = world.block(&a, 12);
    assert_ne!(new_12.hash, old_12.hash);
    // The source's safe head is on the new branch, below B's safe head: a reorg.
    world.report(world.block(&a, 18), new_12, world.block(&a, 8));
    wait_labels(&client, new_12, world.block(&a, 8)).await;
    assert_eq!(label(&client, "latest").await, Some(new_12.hash));
    // And on up the new branch.
    world.report(world.block(&a, 18), world.block(&a, 17), world.block(&a, 11));
    wait_labels(&client, world.block(&a, 17), world.block(&a, 11)).await;
    assert_eq!(client.sync_status().await?.safe_l2, world.block(&a, 17));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restarted_node_keeps_safe_and_finalized() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let mut world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 12, 1).await?;
    let b_dir = world.dir.path().join("b");
    let (b, b_tasks) = world.launch(&b_dir, Some(world.follow_args())).await?;
    connect(&a, &b).await;
    world.report(world.block(&a, 12), world.block(&a, 11), world.block(&a, 7));
    wait_labels(&rpc(&b), world.block(&a, 11), world.block(&a, 7)).await;

    // Stop B cleanly (the engine flushes its in-memory blocks), with the source down so that
    // nothing but B's own database can give it labels after the restart.
    world.source.server.stop().await;
    if let Some(flushed) = b.node.add_ons_handle.engine_shutdown.shutdown() {
        let _ = flushed.await;
    }
    drop(b);
    assert!(b_tasks.graceful_shutdown_with_timeout(Duration::from_secs(30)));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (b, _b_tasks) = world.launch(&b_dir, Some(world.follow_args())).await?;
    let client = rpc(&b);
    assert_eq!(label(&client, "safe").await, Some(world.block(&a, 11).hash));
    assert_eq!(label(&client, "finalized").await, Some(world.block(&a, 7).hash));
    let status = wait(
        || async { client.sync_status().await.ok().filter(|s| s.safe_l2.number == 11) },
        "served status after restart",
    )
    .await;
    assert_eq!(status.finalized_l2, world.block(&a, 7));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rollup_config_not_matching_the_chain_stops_the_node() {
    let world = World::new().await;
    let mut wrong = world.rollup.clone();
    wrong.l2_chain_id = 10;
    wrong.forks.granite_time = Some(1_800_000_000);
    let path = world.dir.path().join("wrong.json");
    std::fs::write(&path, serde_json::to_string(&wrong).unwrap()).unwrap();
    let args = FollowArgs { rollup_config: Some(path), ..world.follow_args() };
    let Err(err) = world.launch(&world.dir.path().join("b"), Some(args)).await else {
        panic!("a node whose rollup config does not match its chain must not start");
    };
    let message = format!("{err:#}");
    assert!(
        message.contains("l2_chain_id is 10 but the chain spec's chain id is 901"),
        "{message}"
    );
    assert!(message.contains("granite_time is 1800000000"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fetches_the_rollup_config_from_the_source_when_not_given() -> eyre::Result<()> {
    let world = World::new().await;
    let args = FollowArgs { rollup_config: None, ..world.follow_args() };
    let (b, _tasks) = world.launch(&world.dir.path().join("b"), Some(args)).await?;
    let client = rpc(&b);
    // Until the source serves its config, the namespace says it is not ready.
    let err = client.sync_status().await.unwrap_err();
    assert!(err.to_string().contains("not ready"), "{err}");
    world.source.set_rollup_config(world.rollup.clone());
    let status = wait(|| async { client.sync_status().await.ok() }, "the fetched config").await;
    assert_eq!(status.safe_l2.hash, world.spec.genesis_hash(), "genesis, not zero refs");
    assert_eq!(client.rollup_config().await?, world.rollup);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_follow_source_it_is_plain_op_reth() -> eyre::Result<()> {
    let world = World::new().await;
    let (a, _tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 3, 1).await?;
    let client = rpc(&a);
    assert_eq!(label(&client, "latest").await, Some(world.block(&a, 3).hash));
    let err = client.sync_status().await.unwrap_err();
    assert!(err.to_string().contains("Method not found"), "{err}");
    Ok(())
}
