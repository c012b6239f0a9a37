//! Light-CL sequencing end to end: an in-process reth Ethereum dev node is L1 (real JSON-RPC on
//! loopback, a block every second) with a deposit contract the test deploys; op-reth-light
//! sequences an OP chain on it and publishes every block to a second op-reth-light; a scripted
//! follow source gives safe and finalized.
//!
//! The drift rules (noTxPool past the drift, the origin forced forward) are tested against a
//! scripted L1 in the root workspace (`tests/tests/sequencer.rs`): a dev L1 cannot jump 1800 s.

mod common;

use alloy_primitives::{address, keccak256, Address, Bytes, TxKind, B256, U256};
use common::{launch, rpc, seq::*, wait};
use jsonrpsee::{core::client::ClientT, rpc_params};
use light_cl_protocol::{encode_deposit_log, SyncStatus};
use light_cl_tests::next_block_attributes_for;
use op_alloy_consensus::TxDeposit;
use op_reth_light::{args::SequencerArgs, RethEngine};
use serde_json::Value;

/// Where the deposit sends its value on L2.
const DEPOSIT_TO: Address = address!("0x000000000000000000000000000000000000beef");
const MINT: u128 = 1_000_000_000_000_000_000;
/// The sequencer's waits, by reason.
const WAITS: &str = "light_cl_sequencer_waits_total";

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

#[tokio::test(flavor = "multi_thread")]
async fn sequences_publishes_and_follows_reorgs() {
    sequences_publishes_and_follows_reorgs_on(false).await;
}

/// The same on a chain with every fork through Jovian at genesis: Holocene's EIP-1559
/// parameters, Isthmus's and Jovian's L1 info layouts, Jovian's minimum base fee.
#[tokio::test(flavor = "multi_thread")]
async fn sequences_publishes_and_follows_reorgs_through_jovian() {
    sequences_publishes_and_follows_reorgs_on(true).await;
}

async fn sequences_publishes_and_follows_reorgs_on(through_jovian: bool) {
    reth_tracing::init_test_tracing();
    let dir = tempfile::tempdir().unwrap();
    let t0 = unix_now() - 6;
    // L1 and its deposit contract (the first contract of DEV).
    let mut world = SeqWorld::with_forks(dir.path(), t0, DEV.create(0), through_jovian).await;
    let contract = world.rollup.deposit_contract_address;
    let (l1_rpc, rollup, spec) = (world.l1_rpc.clone(), world.rollup.clone(), world.spec.clone());
    let (l1_0, genesis_l2) = (world.l1_0, world.genesis_l2);
    let deployed = send(&l1_rpc, L1_CHAIN_ID, TxKind::Create, deposit_contract_init_code()).await;
    assert_eq!(receipt(&l1_rpc, deployed).await["status"], "0x1", "contract deployed");

    // B: a light node that takes the sequencer's blocks on its Engine API port (JWT).
    let (b, _b_tasks) = world.launch(&dir.path().join("b"), SequencerArgs::default()).await;
    let b_auth: url::Url = b.node.auth_server_handle().http_url().parse().unwrap();
    let b_jwt = b.node.data_dir.jwt();
    assert!(b_jwt.exists(), "reth wrote B's JWT secret");

    // A: the sequencer.
    let sequencer_args = SequencerArgs {
        publish_to: vec![b_auth],
        publish_jwt_secret: Some(b_jwt),
        ..world.sequencer_args()
    };
    let a_dir = dir.path().join("a");
    let (a, a_tasks) = world.launch(&a_dir, sequencer_args.clone()).await;
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
    assert_eq!(quantity(&r["l1BaseFeeScalar"]), u128::from(SCALARS.base_fee_scalar));
    assert_eq!(quantity(&r["l1BlobBaseFeeScalar"]), u128::from(SCALARS.blob_base_fee_scalar));
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
    let inactive = common::counter(WAITS, "reason=\"inactive\"");
    let stopped: B256 = a_rpc.request("admin_stopSequencer", rpc_params![]).await.unwrap();
    assert_eq!(stopped, head(&a, &rollup).hash, "stop returns the last sealed head");
    // The stopped sequencer waits (counted) until it is started again.
    common::counted(WAITS, "reason=\"inactive\"", inactive).await;
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
        let attributes =
            next_block_attributes_for(&rollup, a2, origin, a2.sequence_number + 1, 0xc3);
        let updated = c_engine.fork_choice_updated(fcu(a2.hash), Some(attributes)).await.unwrap();
        let payload = c_engine.get_payload(updated.payload_id.unwrap()).await.unwrap();
        let hash = payload.payload.block_hash();
        assert!(c_engine.new_payload(payload).await.unwrap().is_valid());
        assert!(c_engine.fork_choice_updated(fcu(hash), None).await.unwrap().is_valid());
    }
    let c3 = block(&c, &rollup, 3);
    assert_ne!(c3.hash, block(&a, &rollup, 3).hash);
    world.source.set(status(l1_0, c3));
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
    world.source.server.stop().await;
    common::stop(a, a_tasks).await;
    let gate = common::counter(WAITS, "reason=\"safe_head_not_applied\"");
    let (a, _a_tasks) = world.launch(&a_dir, sequencer_args).await;
    let before = head(&a, &rollup);
    // The sequencer found the gate closed and waits (counted) until the follow path opens it.
    common::counted(WAITS, "reason=\"safe_head_not_applied\"", gate).await;
    assert_eq!(head(&a, &rollup), before, "no block before the safe head is applied");
    world.source.server.restart().await;
    wait_head(&a, &rollup, "A sequences after the restart", |h| h.number > before.number).await;
}
