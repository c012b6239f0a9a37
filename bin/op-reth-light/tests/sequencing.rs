//! Light-CL sequencing end to end: an in-process reth Ethereum dev node is L1 (real JSON-RPC on
//! loopback, a block every second) with a deposit contract the test deploys; op-reth-light
//! sequences an OP chain on it and publishes every block to a second op-reth-light; a scripted
//! follow source gives safe and finalized.
//!
//! The drift rules (noTxPool past the drift, the origin forced forward) are tested against a
//! scripted L1 in the root workspace (`tests/tests/sequencer.rs`): a dev L1 cannot jump 1800 s.

mod common;

use alloy_eips::Encodable2718;
use alloy_primitives::{address, keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_rpc_types_eth::{TransactionInput, TransactionRequest};
use common::{launch, rpc, wait, Handle};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use light_cl_protocol::{
    encode_deposit_log, encode_ecotone_scalar, BlockID, ChainGenesis, EcotoneScalars, L1BlockRef,
    L2BlockRef, RollupConfig, SyncStatus, SystemConfig,
};
use light_cl_tests::{forks_through_granite, next_block_attributes, rollup_config, ScriptedSource};
use op_alloy_consensus::TxDeposit;
use op_reth_light::{
    args::{FollowArgs, SequencerArgs},
    RethChain, RethEngine,
};
use reth_chainspec::ChainSpec;
use reth_db::{init_db, mdbx::DatabaseArguments};
use reth_e2e_test_utils::{transaction::TransactionTestContext, wallet::Wallet};
use reth_node_builder::{NodeBuilder, NodeConfig, NodeHandleFor};
use reth_node_core::{
    args::{DatadirArgs, DevArgs, DiscoveryArgs, NetworkArgs, RpcServerArgs},
    dirs::MaybePlatformPath,
};
use reth_node_ethereum::EthereumNode;
use reth_provider::BlockNumReader;
use reth_tasks::TaskManager;
use serde_json::Value;
use std::{path::Path, sync::Arc, time::Duration};

const L1_CHAIN_ID: u64 = 1337;
const L2_CHAIN_ID: u64 = 901;
const CONFS: u64 = 2;
/// The first dev account of reth's test mnemonic; funded on L1, minted on L2 by its deposit.
const DEV: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
/// Where the deposit sends its value on L2.
const DEPOSIT_TO: Address = address!("0x000000000000000000000000000000000000beef");
const MINT: u128 = 1_000_000_000_000_000_000;

type L1Handle = NodeHandleFor<EthereumNode>;

fn l1_genesis(t0: u64) -> Value {
    serde_json::json!({
        "config": {
            "chainId": L1_CHAIN_ID, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
            "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0,
            "petersburgBlock": 0, "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0,
            "mergeNetsplitBlock": 0, "terminalTotalDifficulty": 0,
            "terminalTotalDifficultyPassed": true, "shanghaiTime": 0, "cancunTime": 0,
            "pragueTime": 0
        },
        "nonce": "0x0", "timestamp": format!("{t0:#x}"), "extraData": "0x",
        "gasLimit": "0x1c9c380", "difficulty": "0x0", "baseFeePerGas": "0x3b9aca00",
        "mixHash": B256::ZERO, "coinbase": Address::ZERO,
        "alloc": { DEV.to_string(): { "balance": "0xd3c21bcecceda1000000" } }
    })
}

/// An L1 dev node mining a block every second, RPC over HTTP on loopback.
async fn start_l1(dir: &Path, genesis: &Value) -> (L1Handle, TaskManager) {
    let tasks = TaskManager::current();
    let spec = Arc::new(ChainSpec::from_genesis(serde_json::from_value(genesis.clone()).unwrap()));
    let config = NodeConfig::new(spec)
        .with_dev(DevArgs {
            dev: true,
            block_time: Some(Duration::from_secs(1)),
            ..Default::default()
        })
        .with_network(NetworkArgs {
            discovery: DiscoveryArgs { disable_discovery: true, ..Default::default() },
            ..Default::default()
        })
        .with_unused_ports()
        .with_rpc(RpcServerArgs::default().with_unused_ports().with_http())
        .with_datadir_args(DatadirArgs {
            datadir: MaybePlatformPath::from(dir.to_path_buf()),
            ..Default::default()
        });
    let db = Arc::new(init_db(dir.join("db"), DatabaseArguments::default()).unwrap());
    let handle = NodeBuilder::new(config)
        .with_database(db)
        .with_launch_context(tasks.executor())
        .node(EthereumNode::default())
        .launch_with_debug_capabilities()
        .await
        .unwrap();
    (handle, tasks)
}

/// A contract that emits `TransactionDeposited(caller, DEPOSIT_TO, 0, calldata-as-bytes)` on any
/// call: the log OptimismPortal emits, with the calldata as the ABI-encoded opaque data.
fn deposit_contract_init_code() -> Bytes {
    let mut runtime = vec![0x36, 0x60, 0x00, 0x60, 0x00, 0x37]; // CALLDATACOPY(0, 0, size)
    runtime.extend([0x60, 0x00]); // topic3: version 0
    runtime.push(0x73); // topic2: to
    runtime.extend(DEPOSIT_TO.as_slice());
    runtime.push(0x33); // topic1: CALLER
    runtime.push(0x7f); // topic0
    runtime.extend(keccak256("TransactionDeposited(address,address,uint256,bytes)").as_slice());
    runtime.extend([0x36, 0x60, 0x00, 0xa4, 0x00]); // LOG4(0, size, ...); STOP
    let len = runtime.len() as u8;
    // CODECOPY(0, 12, len); RETURN(0, len)
    let mut init = vec![0x60, len, 0x60, 12, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3];
    assert_eq!(init.len(), 12);
    init.extend(runtime);
    init.into()
}

/// The calldata that makes the contract emit a deposit minting [`MINT`] to [`DEV`] on L2.
fn deposit_calldata(contract: Address) -> Bytes {
    let deposit = TxDeposit {
        from: DEV,
        to: TxKind::Call(DEPOSIT_TO),
        mint: MINT,
        value: U256::ZERO,
        gas_limit: 100_000,
        ..Default::default()
    };
    encode_deposit_log(contract, &deposit).data.data
}

async fn send(client: &HttpClient, chain_id: u64, to: TxKind, input: Bytes) -> B256 {
    // On L2 the deposit from DEV took a nonce too.
    let nonce: U256 =
        client.request("eth_getTransactionCount", rpc_params![DEV, "pending"]).await.unwrap();
    let nonce = nonce.to::<u64>();
    let signer = Wallet::new(1).with_chain_id(chain_id).wallet_gen().remove(0);
    let request = TransactionRequest {
        nonce: Some(nonce),
        to: Some(to),
        value: Some(U256::ZERO),
        gas: Some(300_000),
        max_fee_per_gas: Some(20_000_000_000),
        max_priority_fee_per_gas: Some(1_000_000_000),
        chain_id: Some(chain_id),
        input: TransactionInput::new(input),
        ..Default::default()
    };
    let raw: Bytes = TransactionTestContext::sign_tx(signer, request).await.encoded_2718().into();
    client.request("eth_sendRawTransaction", rpc_params![raw]).await.unwrap()
}

async fn receipt(client: &HttpClient, hash: B256) -> Value {
    wait(
        || async {
            let r: Option<Value> =
                client.request("eth_getTransactionReceipt", rpc_params![hash]).await.ok()?;
            r.filter(|r| !r.is_null())
        },
        &format!("receipt of {hash}"),
    )
    .await
}

fn quantity(v: &Value) -> u128 {
    u128::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

async fn l1_block(client: &HttpClient, number: u64) -> Value {
    client
        .request("eth_getBlockByNumber", rpc_params![format!("{number:#x}"), false])
        .await
        .unwrap()
}

fn l1_ref(block: &Value) -> L1BlockRef {
    L1BlockRef {
        hash: block["hash"].as_str().unwrap().parse().unwrap(),
        number: quantity(&block["number"]) as u64,
        parent_hash: block["parentHash"].as_str().unwrap().parse().unwrap(),
        timestamp: quantity(&block["timestamp"]) as u64,
    }
}

/// A deriving node's status: every L2 head `l2`, every L1 field the L1 block `l1`.
fn status(l1: L1BlockRef, l2: L2BlockRef) -> SyncStatus {
    SyncStatus {
        current_l1: l1,
        current_l1_finalized: l1,
        head_l1: l1,
        safe_l1: l1,
        finalized_l1: l1,
        unsafe_l2: l2,
        safe_l2: l2,
        finalized_l2: l2,
        pending_safe_l2: l2,
        cross_unsafe_l2: l2,
        local_safe_l2: l2,
    }
}

fn head(node: &Handle, rollup: &RollupConfig) -> L2BlockRef {
    let chain = RethChain::new(node.node.provider.clone(), rollup.genesis.clone());
    let number = node.node.provider.best_block_number().unwrap();
    chain.block_ref(number).unwrap().unwrap()
}

fn block(node: &Handle, rollup: &RollupConfig, number: u64) -> L2BlockRef {
    RethChain::new(node.node.provider.clone(), rollup.genesis.clone())
        .block_ref(number)
        .unwrap()
        .unwrap_or_else(|| panic!("block {number}"))
}

async fn wait_head(
    node: &Handle,
    rollup: &RollupConfig,
    what: &str,
    done: impl Fn(&L2BlockRef) -> bool,
) -> L2BlockRef {
    wait(|| async { Some(head(node, rollup)).filter(|h| done(h)) }, what).await
}

#[tokio::test(flavor = "multi_thread")]
async fn sequences_publishes_and_follows_reorgs() {
    reth_tracing::init_test_tracing();
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let t0 = now - 6;

    // L1 and its deposit contract (the first contract of DEV).
    let genesis = l1_genesis(t0);
    let (l1, _l1_tasks) = start_l1(&dir.path().join("l1"), &genesis).await;
    let l1_url: url::Url = l1.node.rpc_server_handle().http_url().unwrap().parse().unwrap();
    let l1_rpc = rpc_of(&l1);
    let contract = DEV.create(0);
    let deployed = send(&l1_rpc, L1_CHAIN_ID, TxKind::Create, deposit_contract_init_code()).await;
    assert_eq!(receipt(&l1_rpc, deployed).await["status"], "0x1", "contract deployed");
    let l1_genesis_path = dir.path().join("l1-genesis.json");
    std::fs::write(&l1_genesis_path, genesis.to_string()).unwrap();

    // The OP chain on that L1: 1 s blocks, Ecotone scalars, deposits from the contract.
    let l1_0 = l1_ref(&l1_block(&l1_rpc, 0).await);
    let spec = common::chain_spec(t0);
    let scalars = EcotoneScalars { base_fee_scalar: 1368, blob_base_fee_scalar: 810_949 };
    let mut rollup = rollup_config(
        ChainGenesis {
            l1: l1_0.id(),
            l2: BlockID { hash: spec.genesis_hash(), number: 0 },
            l2_time: t0,
            system_config: Some(SystemConfig {
                batcher_addr: Address::repeat_byte(0xba),
                overhead: B256::ZERO,
                scalar: encode_ecotone_scalar(scalars),
                gas_limit: 30_000_000,
                eip1559_params: None,
                operator_fee_params: None,
                min_base_fee: None,
                da_footprint_gas_scalar: None,
                other: Default::default(),
            }),
        },
        forks_through_granite(),
    );
    rollup.block_time = 1;
    rollup.l1_chain_id = L1_CHAIN_ID;
    rollup.l2_chain_id = L2_CHAIN_ID;
    rollup.deposit_contract_address = contract;
    let rollup_path = dir.path().join("rollup.json");
    std::fs::write(&rollup_path, serde_json::to_string(&rollup).unwrap()).unwrap();

    // The follow source: safe and finalized at genesis.
    let genesis_l2 = L2BlockRef {
        hash: spec.genesis_hash(),
        number: 0,
        parent_hash: B256::ZERO,
        timestamp: t0,
        l1_origin: l1_0.id(),
        sequence_number: 0,
    };
    let mut source = ScriptedSource::start(status(l1_0, genesis_l2)).await;
    let source_url = source.server.url();
    let follow = |sequencer: SequencerArgs| FollowArgs {
        follow_source: Some(source_url.clone()),
        l1_rpc: Some(l1_url.clone()),
        follow_interval: Some(Duration::from_millis(200)),
        rollup_config: Some(rollup_path.clone()),
        sequencer,
        ..Default::default()
    };

    // B: a light node that takes the sequencer's blocks on its Engine API port (JWT).
    let (b, _b_tasks) =
        launch(spec.clone(), &dir.path().join("b"), Some(follow(SequencerArgs::default())))
            .await
            .unwrap();
    let b_auth: url::Url = b.node.auth_server_handle().http_url().parse().unwrap();
    let b_jwt = b.node.data_dir.jwt();
    assert!(b_jwt.exists(), "reth wrote B's JWT secret");

    // A: the sequencer.
    let sequencer_args = SequencerArgs {
        sequencing: true,
        l1_confs: CONFS,
        publish_to: vec![b_auth],
        publish_jwt_secret: Some(b_jwt),
        admin_on_http: true,
        l1_chain_config: Some(l1_genesis_path.clone()),
        ..Default::default()
    };
    let a_dir = dir.path().join("a");
    let (a, a_tasks) =
        launch(spec.clone(), &a_dir, Some(follow(sequencer_args.clone()))).await.unwrap();
    let a_rpc = rpc(&a);

    // Blocks come, each one slot after its parent, origins never newer than the block and at
    // least CONFS below the L1 head.
    let first = wait_head(&a, &rollup, "A sequences 8 blocks", |h| h.number >= 8).await;
    let deposit_tx =
        send(&l1_rpc, L1_CHAIN_ID, TxKind::Call(contract), deposit_calldata(contract)).await;
    let deposit_receipt = receipt(&l1_rpc, deposit_tx).await;
    assert_eq!(deposit_receipt["status"], "0x1");
    assert_eq!(
        deposit_receipt["logs"].as_array().unwrap().len(),
        1,
        "the contract emitted the deposit"
    );
    let deposit_l1 = quantity(&deposit_receipt["blockNumber"]) as u64;
    let epoch_start = wait(
        || async {
            let head = head(&a, &rollup);
            (1..=head.number)
                .map(|n| block(&a, &rollup, n))
                .find(|b| b.l1_origin.number == deposit_l1)
        },
        "the deposit's L1 block becomes an origin",
    )
    .await;
    assert_eq!(epoch_start.sequence_number, 0, "the first block of the epoch");

    // The deposit is in that block, right after the L1 info deposit.
    let full: Value = a_rpc
        .request("eth_getBlockByNumber", rpc_params![format!("{:#x}", epoch_start.number), true])
        .await
        .unwrap();
    let txs = full["transactions"].as_array().unwrap();
    assert!(txs.len() >= 2, "L1 info deposit and the user deposit: {txs:?}");
    assert_eq!(txs[1]["type"], "0x7e");
    assert_eq!(txs[1]["from"].as_str().unwrap().parse::<Address>().unwrap(), DEV);
    assert_eq!(quantity(&txs[1]["mint"]), MINT);
    let balance: U256 = a_rpc.request("eth_getBalance", rpc_params![DEV, "latest"]).await.unwrap();
    assert_eq!(balance, U256::from(MINT), "the deposit minted on L2");

    // A user transaction: op-reth's receipt carries the L1 fee fields of the block's origin.
    let user_tx = send(&a_rpc, L2_CHAIN_ID, TxKind::Call(DEPOSIT_TO), Bytes::new()).await;
    let r = receipt(&a_rpc, user_tx).await;
    assert_eq!(r["status"], "0x1");
    let in_block = block(&a, &rollup, quantity(&r["blockNumber"]) as u64);
    let origin = l1_block(&l1_rpc, in_block.l1_origin.number).await;
    assert_eq!(l1_ref(&origin).hash, in_block.l1_origin.hash);
    assert_eq!(quantity(&r["l1GasPrice"]), quantity(&origin["baseFeePerGas"]), "{r}");
    let excess = quantity(&origin["excessBlobGas"]) as u64;
    let blob_fee = alloy_eips::eip7840::BlobParams::prague().calc_blob_fee(excess);
    assert_eq!(quantity(&r["l1BlobBaseFee"]), blob_fee);
    assert_eq!(quantity(&r["l1BaseFeeScalar"]), u128::from(scalars.base_fee_scalar));
    assert_eq!(quantity(&r["l1BlobBaseFeeScalar"]), u128::from(scalars.blob_base_fee_scalar));
    assert!(quantity(&r["l1Fee"]) > 0);

    // The chain so far: timestamps, origins, sequence numbers, confirmation depth.
    let top = head(&a, &rollup);
    let l1_top = l1_ref(
        &l1_rpc
            .request::<Value, _>("eth_getBlockByNumber", rpc_params!["latest", false])
            .await
            .unwrap(),
    );
    assert!(
        top.l1_origin.number + CONFS <= l1_top.number,
        "origin {} vs L1 head {}",
        top.l1_origin.number,
        l1_top.number
    );
    let mut parent = genesis_l2;
    for n in 1..=top.number {
        let b = block(&a, &rollup, n);
        assert_eq!(b.parent_hash, parent.hash);
        assert_eq!(b.timestamp, parent.timestamp + 1, "block {n}: parent + block time");
        let o = l1_ref(&l1_block(&l1_rpc, b.l1_origin.number).await);
        assert_eq!(o.hash, b.l1_origin.hash);
        assert!(o.timestamp <= b.timestamp, "block {n} is not older than its origin");
        if b.l1_origin == parent.l1_origin {
            assert_eq!(b.sequence_number, parent.sequence_number + 1);
        } else {
            assert_eq!(
                b.l1_origin.number,
                parent.l1_origin.number + 1,
                "origins advance one by one"
            );
            assert_eq!(b.sequence_number, 0);
        }
        let raw: Value = a_rpc
            .request("eth_getBlockByNumber", rpc_params![format!("{n:#x}"), true])
            .await
            .unwrap();
        assert_eq!(
            raw["transactions"][0]["type"], "0x7e",
            "block {n} opens with the L1 info deposit"
        );
        parent = b;
    }
    assert!(top.l1_origin.number > first.l1_origin.number, "the origin advanced");

    // B received every block over its authenticated port.
    wait_head(&b, &rollup, "B has A's blocks", |h| h.number >= top.number).await;
    assert_eq!(block(&b, &rollup, top.number), top);
    let b_rpc = rpc(&b);
    let err = b_rpc.request::<bool, _>("admin_sequencerActive", rpc_params![]).await.unwrap_err();
    assert!(err.to_string().contains("not found"), "admin_* is not on B's HTTP: {err}");

    // Stop and start over the admin RPC (enabled on A's HTTP).
    assert!(a_rpc.request::<bool, _>("admin_sequencerActive", rpc_params![]).await.unwrap());
    let stopped: B256 = a_rpc.request("admin_stopSequencer", rpc_params![]).await.unwrap();
    assert_eq!(stopped, head(&a, &rollup).hash, "stop returns the last sealed head");
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(head(&a, &rollup).hash, stopped, "nothing built while stopped");
    assert!(!a_rpc.request::<bool, _>("admin_sequencerActive", rpc_params![]).await.unwrap());
    let err = a_rpc
        .request::<(), _>("admin_startSequencer", rpc_params![B256::repeat_byte(7)])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("block hash does not match"), "{err}");
    a_rpc.request::<(), _>("admin_startSequencer", rpc_params![stopped]).await.unwrap();
    wait_head(&a, &rollup, "A builds again", |h| h.number > top.number + 2).await;

    // A reorg from the follow source: C builds another block 3 on A's block 2; the source
    // calls it safe; A follows (block from C over devp2p) and sequences on top of it.
    let (c, _c_tasks) = launch(spec.clone(), &dir.path().join("c"), None).await.unwrap();
    common::connect(&a, &c).await;
    let a2 = block(&a, &rollup, 2);
    let c_engine = RethEngine::new(
        c.node.add_ons_handle.beacon_engine_handle.clone(),
        c.node.payload_builder_handle.clone(),
    );
    let fcu = |head| alloy_rpc_types_engine::ForkchoiceState {
        head_block_hash: head,
        safe_block_hash: B256::ZERO,
        finalized_block_hash: B256::ZERO,
    };
    {
        use light_cl::Engine;
        // C downloads A's first two blocks over devp2p.
        wait(
            || async {
                c_engine.fork_choice_updated(fcu(a2.hash), None).await.ok().filter(|u| u.is_valid())
            },
            "C syncs A's block 2",
        )
        .await;
        let origin = l1_ref(&l1_block(&l1_rpc, a2.l1_origin.number).await);
        let attributes = next_block_attributes(a2, origin, a2.sequence_number + 1, 1, 0xc3);
        let updated = c_engine.fork_choice_updated(fcu(a2.hash), Some(attributes)).await.unwrap();
        let payload = c_engine.get_payload(updated.payload_id.unwrap()).await.unwrap();
        let hash = payload.payload.block_hash();
        assert!(c_engine.new_payload(payload).await.unwrap().is_valid());
        assert!(c_engine.fork_choice_updated(fcu(hash), None).await.unwrap().is_valid());
    }
    let c3 = block(&c, &rollup, 3);
    assert_ne!(c3.hash, block(&a, &rollup, 3).hash);
    source.set(status(l1_0, c3));
    let reorged = wait(
        || async {
            let b3 = block(&a, &rollup, 3);
            (b3.hash == c3.hash && head(&a, &rollup).number > 5).then(|| head(&a, &rollup))
        },
        "A reorgs to C's block 3 and sequences on it",
    )
    .await;
    assert_eq!(block(&a, &rollup, 4).parent_hash, c3.hash, "sequencing resumed on the new head");
    let safe: Value =
        a_rpc.request("eth_getBlockByNumber", rpc_params!["safe", false]).await.unwrap();
    assert_eq!(safe["hash"].as_str().unwrap().parse::<B256>().unwrap(), c3.hash);
    let served: SyncStatus = a_rpc.request("optimism_syncStatus", rpc_params![]).await.unwrap();
    assert_eq!(served.safe_l2, c3, "the served status has the applied safe head");
    assert!(served.unsafe_l2.number >= reorged.number);

    // A restart does not build before the follow path applied a safe head: the source is down.
    source.server.stop().await;
    if let Some(flushed) = a.node.add_ons_handle.engine_shutdown.shutdown() {
        let _ = flushed.await;
    }
    drop(a);
    assert!(a_tasks.graceful_shutdown_with_timeout(Duration::from_secs(30)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (a, _a_tasks) = launch(spec.clone(), &a_dir, Some(follow(sequencer_args))).await.unwrap();
    let before = head(&a, &rollup);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(head(&a, &rollup), before, "no block before the safe head is applied");
    source.server.restart().await;
    wait_head(&a, &rollup, "A sequences after the restart", |h| h.number > before.number).await;
}

fn rpc_of(node: &L1Handle) -> HttpClient {
    let url = node.node.rpc_server_handle().http_url().unwrap();
    jsonrpsee::http_client::HttpClientBuilder::default().build(url).unwrap()
}
