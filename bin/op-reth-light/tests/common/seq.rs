//! The sequencing world: an in-process reth Ethereum dev node as L1 (a block every second, real
//! JSON-RPC on loopback), an OP chain on it with 1 s blocks, and a scripted follow source.

use super::{launch, wait, Handle};
use alloy_eips::Encodable2718;
use alloy_primitives::{address, Address, Bytes, TxKind, B256, U256};
use alloy_rpc_types_eth::{TransactionInput, TransactionRequest};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use light_cl_protocol::{
    encode_ecotone_scalar, BlockID, ChainGenesis, EcotoneScalars, L1BlockRef, L2BlockRef,
    RollupConfig, SyncStatus,
};
use light_cl_tests::{forks_through_granite, rollup_config, system_config, ScriptedSource};
use op_reth_light::{
    args::{FollowArgs, SequencerArgs},
    devnet::L1Handle,
    p2p::P2pArgs,
    RethChain,
};
use reth_chainspec::ChainSpec;
use reth_e2e_test_utils::{transaction::TransactionTestContext, wallet::Wallet};
use reth_optimism_chainspec::OpChainSpec;
use reth_provider::BlockNumReader;
use reth_tasks::TaskManager;
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

pub const L1_CHAIN_ID: u64 = 1337;
pub const L2_CHAIN_ID: u64 = 901;
pub const CONFS: u64 = 2;
/// The first dev account of reth's test mnemonic; funded on L1, minted on L2 by its deposit.
pub const DEV: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

pub fn l1_genesis(t0: u64) -> Value {
    let alloc = [(DEV.to_string(), serde_json::json!({ "balance": "0xd3c21bcecceda1000000" }))];
    op_reth_light::devnet::chain::l1_genesis(L1_CHAIN_ID, t0, alloc.into_iter().collect())
}

/// An L1 dev node mining a block every second, RPC over HTTP on loopback.
pub async fn start_l1(dir: &Path, genesis: &Value) -> (L1Handle, TaskManager) {
    let tasks = TaskManager::current();
    let spec = ChainSpec::from_genesis(serde_json::from_value(genesis.clone()).unwrap());
    let handle = op_reth_light::devnet::start_l1(dir, spec, Duration::from_secs(1), None, &tasks)
        .await
        .unwrap();
    (handle, tasks)
}

pub async fn send(client: &HttpClient, chain_id: u64, to: TxKind, input: Bytes) -> B256 {
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

pub async fn receipt(client: &HttpClient, hash: B256) -> Value {
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

pub fn quantity(v: &Value) -> u128 {
    u128::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

pub async fn l1_block(client: &HttpClient, number: u64) -> Value {
    client
        .request("eth_getBlockByNumber", rpc_params![format!("{number:#x}"), false])
        .await
        .unwrap()
}

pub fn l1_ref(block: &Value) -> L1BlockRef {
    L1BlockRef {
        hash: block["hash"].as_str().unwrap().parse().unwrap(),
        number: quantity(&block["number"]) as u64,
        parent_hash: block["parentHash"].as_str().unwrap().parse().unwrap(),
        timestamp: quantity(&block["timestamp"]) as u64,
    }
}

/// A deriving node's status: every L2 head `l2`, every L1 field the L1 block `l1`.
pub fn status(l1: L1BlockRef, l2: L2BlockRef) -> SyncStatus {
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

pub fn head(node: &Handle, rollup: &RollupConfig) -> L2BlockRef {
    let chain = RethChain::new(node.node.provider.clone(), rollup.genesis.clone());
    let number = node.node.provider.best_block_number().unwrap();
    chain.block_ref(number).unwrap().unwrap()
}

pub fn block(node: &Handle, rollup: &RollupConfig, number: u64) -> L2BlockRef {
    RethChain::new(node.node.provider.clone(), rollup.genesis.clone())
        .block_ref(number)
        .unwrap()
        .unwrap_or_else(|| panic!("block {number}"))
}

pub async fn wait_head(
    node: &Handle,
    rollup: &RollupConfig,
    what: &str,
    done: impl Fn(&L2BlockRef) -> bool,
) -> L2BlockRef {
    wait(|| async { Some(head(node, rollup)).filter(|h| done(h)) }, what).await
}

pub fn rpc_of(node: &L1Handle) -> HttpClient {
    let url = node.node.rpc_server_handle().http_url().unwrap();
    jsonrpsee::http_client::HttpClientBuilder::default().build(url).unwrap()
}

/// Ecotone scalars of the chain's genesis system config.
pub const SCALARS: EcotoneScalars =
    EcotoneScalars { base_fee_scalar: 1368, blob_base_fee_scalar: 810_949 };

/// L1, the OP chain's config files and the follow source.
pub struct SeqWorld {
    pub l1: L1Handle,
    pub l1_tasks: TaskManager,
    pub l1_rpc: HttpClient,
    pub l1_url: url::Url,
    pub l1_0: L1BlockRef,
    pub spec: Arc<OpChainSpec>,
    pub rollup: RollupConfig,
    pub rollup_path: PathBuf,
    pub l1_genesis_path: PathBuf,
    pub genesis_l2: L2BlockRef,
    pub source: ScriptedSource,
}

impl SeqWorld {
    /// L1 from `t0`, the OP chain from `t0` with 1 s blocks and deposits from
    /// `deposit_contract`; the source reports genesis as safe and finalized.
    pub async fn new(dir: &Path, t0: u64, deposit_contract: Address) -> Self {
        Self::with_forks(dir, t0, deposit_contract, false).await
    }

    /// The same with every fork through Jovian active at genesis (else through Granite).
    pub async fn with_forks(
        dir: &Path,
        t0: u64,
        deposit_contract: Address,
        through_jovian: bool,
    ) -> Self {
        let genesis = l1_genesis(t0);
        let (l1, l1_tasks) = start_l1(&dir.join("l1"), &genesis).await;
        let l1_url = l1.node.rpc_server_handle().http_url().unwrap().parse().unwrap();
        let l1_rpc = rpc_of(&l1);
        let l1_genesis_path = dir.join("l1-genesis.json");
        std::fs::write(&l1_genesis_path, genesis.to_string()).unwrap();
        let l1_0 = l1_ref(&l1_block(&l1_rpc, 0).await);
        let (spec, mut forks, mut sys) = (
            super::chain_spec(t0),
            forks_through_granite(),
            system_config(encode_ecotone_scalar(SCALARS)),
        );
        let spec = if through_jovian {
            (forks.holocene_time, forks.isthmus_time, forks.jovian_time) =
                (Some(0), Some(0), Some(0));
            // Zero EIP-1559 parameters: the chain spec's own; no minimum base fee.
            (sys.eip1559_params, sys.min_base_fee) = (Some(Default::default()), Some(0));
            super::chain_spec_through_jovian(t0)
        } else {
            spec
        };
        let mut rollup = rollup_config(
            ChainGenesis {
                l1: l1_0.id(),
                l2: BlockID { hash: spec.genesis_hash(), number: 0 },
                l2_time: t0,
                system_config: Some(sys),
            },
            forks,
        );
        rollup.block_time = 1;
        rollup.l1_chain_id = L1_CHAIN_ID;
        rollup.l2_chain_id = L2_CHAIN_ID;
        rollup.deposit_contract_address = deposit_contract;
        let rollup_path = dir.join("rollup.json");
        std::fs::write(&rollup_path, serde_json::to_string(&rollup).unwrap()).unwrap();
        let genesis_l2 = L2BlockRef {
            hash: spec.genesis_hash(),
            number: 0,
            parent_hash: B256::ZERO,
            timestamp: t0,
            l1_origin: l1_0.id(),
            sequence_number: 0,
        };
        let source = ScriptedSource::start(status(l1_0, genesis_l2)).await;
        Self {
            l1,
            l1_tasks,
            l1_rpc,
            l1_url,
            l1_0,
            spec,
            rollup,
            rollup_path,
            l1_genesis_path,
            genesis_l2,
            source,
        }
    }

    /// Follow arguments of a light node on this chain, with `sequencer`.
    pub fn follow(&self, sequencer: SequencerArgs) -> FollowArgs {
        FollowArgs {
            follow_source: vec![self.source.server.url().into()],
            l1_rpc: Some(self.l1_url.clone()),
            follow_interval: Some(Duration::from_millis(200)),
            rollup_config: Some(self.rollup_path.clone()),
            sequencer,
            // CL gossip has its own tests (tests/gossip.rs).
            p2p: P2pArgs::disabled(),
            ..Default::default()
        }
    }

    /// Sequencer arguments: confirmation depth [`CONFS`], the L1 chain config, admin on HTTP.
    pub fn sequencer_args(&self) -> SequencerArgs {
        SequencerArgs {
            sequencing: true,
            l1_confs: CONFS,
            admin_on_http: true,
            l1_chain_config: Some(self.l1_genesis_path.clone()),
            ..Default::default()
        }
    }

    /// Launches a light node of this chain in `datadir`.
    pub async fn launch(&self, datadir: &Path, sequencer: SequencerArgs) -> (Handle, TaskManager) {
        launch(self.spec.clone(), datadir, Some(self.follow(sequencer))).await.unwrap()
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A signed transfer of 1 wei from [`super::LOAD`] with `nonce`.
pub async fn transfer(nonce: u64) -> Bytes {
    let signer = Wallet::new(2).with_chain_id(L2_CHAIN_ID).wallet_gen().remove(1);
    assert_eq!(signer.address(), super::LOAD);
    let request = TransactionRequest {
        nonce: Some(nonce),
        to: Some(TxKind::Call(Address::repeat_byte(0x42))),
        value: Some(U256::from(1)),
        gas: Some(21_000),
        max_fee_per_gas: Some(20_000_000_000),
        max_priority_fee_per_gas: Some(1_000_000_000),
        chain_id: Some(L2_CHAIN_ID),
        input: TransactionInput::new(Bytes::new()),
        ..Default::default()
    };
    TransactionTestContext::sign_tx(signer, request).await.encoded_2718().into()
}
