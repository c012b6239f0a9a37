//! A light CL wired to a scripted source, a scripted L1 and an in-memory engine, serving its
//! `optimism_syncStatus` on a real loopback RPC server.

use crate::{engine::MemEngine, l1::ScriptedL1, source::ScriptedSource};
use alloy_primitives::{keccak256, Address, B256};
use jsonrpsee::{
    http_client::{HttpClient, HttpClientBuilder},
    server::ServerHandle,
};
use light_cl::{EngineOwner, EngineOwnerHandle, FollowConfig, FollowTask, Sources, View};
use light_cl_protocol::{
    BlockID, ChainGenesis, FollowInfo, Fork, ForkTimes, InstanceId, L1BlockRef, L2BlockRef,
    RollupConfig, SyncStatus, SystemConfig,
};
use light_cl_rpc::{
    serve, CappedClient, CappedConfig, L1Client, NoOutputs, OptimismApiClient, OptimismRpc,
};
use std::{net::SocketAddr, sync::Arc, time::Duration};

/// L2 blocks per L1 block (2 s against 12 s).
pub const L2_PER_L1: u64 = 6;
/// L1 blocks in the scripted L1 chain.
pub const L1_LEN: u64 = 64;
/// The follow source's request timeout in tests.
pub const SOURCE_TIMEOUT: Duration = Duration::from_millis(500);

/// The light CL under test and everything around it.
pub struct Rig {
    /// Scripted L1.
    pub l1: ScriptedL1,
    /// Scripted follow source (source 0).
    pub source: ScriptedSource,
    /// Further scripted sources (sources 1, 2, …), with [`RigOptions::scripted_sources`].
    pub others: Vec<ScriptedSource>,
    /// The in-memory execution layer.
    pub engine: MemEngine,
    /// The follow task; tests call `tick()`.
    pub follow: FollowTask<CappedClient, Option<L1Client>, MemEngine>,
    /// The applied view.
    pub view: View,
    /// A handle to the engine owner.
    pub owner: EngineOwnerHandle,
    /// The rollup config.
    pub config: Arc<RollupConfig>,
    /// Where its `optimism_*` RPC listens.
    pub rpc_url: url::Url,
    client: HttpClient,
    _rpc: ServerHandle,
}

impl Rig {
    /// A light CL whose local chain is main-branch blocks `0..=local_head`, no labels set, and a
    /// source that answers zero refs until told otherwise.
    pub async fn new(local_head: u64) -> Self {
        Self::with_config(local_head, FollowConfig::for_block_time(2)).await
    }

    /// The same with follow settings of the test's choosing.
    pub async fn with_config(local_head: u64, follow_config: FollowConfig) -> Self {
        Self::build(local_head, follow_config, L1_LEN, ForkTimes::default(), None).await
    }

    /// A chain at genesis that can be sequenced: forks through Granite, a genesis system config,
    /// `l1_len` L1 blocks; unsafe following off.
    pub async fn sequencing(l1_len: u64) -> Self {
        Self::sequencing_from(l1_len, crate::L1_GENESIS_TIME).await
    }

    /// The same with L1 block 0 and L2 genesis at `genesis_time` (a chain near the wall clock
    /// is sequenced on time rather than caught up back to back).
    pub async fn sequencing_from(l1_len: u64, genesis_time: u64) -> Self {
        let mut follow = FollowConfig::for_block_time(2);
        follow.follow_unsafe = false;
        let options = RigOptions { follow, l1_genesis_time: genesis_time, ..RigOptions::default() };
        let system_config = system_config(B256::ZERO);
        Self::build_with(options, l1_len, forks_through_granite(), Some(system_config)).await
    }

    async fn build(
        local_head: u64,
        follow_config: FollowConfig,
        l1_len: u64,
        forks: ForkTimes,
        system_config: Option<SystemConfig>,
    ) -> Self {
        let options = RigOptions { local_head, follow: follow_config, ..RigOptions::default() };
        Self::build_with(options, l1_len, forks, system_config).await
    }

    /// A light CL built with `options` (forks and system config of [`Rig::new`]).
    pub async fn with_options(options: RigOptions) -> Self {
        let l1_len = options.l1_len;
        Self::build_with(options, l1_len, ForkTimes::default(), None).await
    }

    async fn build_with(
        options: RigOptions,
        l1_len: u64,
        forks: ForkTimes,
        system_config: Option<SystemConfig>,
    ) -> Self {
        let RigOptions { local_head, follow: follow_config, .. } = options;
        let l1 = ScriptedL1::start_at(l1_len, options.l1_genesis_time).await;
        let source = ScriptedSource::start(SyncStatus::default()).await;
        let mut others = Vec::new();
        for _ in 1..options.scripted_sources.max(1) {
            others.push(ScriptedSource::start(SyncStatus::default()).await);
        }
        let genesis = ChainGenesis {
            l1: l1.block(0).id(),
            l2: BlockID { hash: l2_hash(0, 0), number: 0 },
            l2_time: l1.block(0).timestamp,
            system_config,
        };
        let config = Arc::new(rollup_config(genesis.clone(), forks));
        let mut rig_chain = Vec::new();
        for n in 0..=local_head {
            rig_chain.push(l2_block(&l1, 0, 0, n));
        }
        let engine = MemEngine::new(&rig_chain, genesis);
        let view = View::new(&config);
        let (owner, handle) = EngineOwner::new(engine.clone(), engine.clone(), view.clone());
        tokio::spawn(owner.run());

        let client_of = |url: url::Url| {
            let mut source_config = CappedConfig::new(url);
            source_config.timeout = SOURCE_TIMEOUT;
            CappedClient::new(source_config).expect("source client")
        };
        let urls: Vec<url::Url> = if options.source_urls.is_empty() {
            std::iter::once(&source).chain(&others).map(|s| s.server.url()).collect()
        } else {
            options.source_urls.clone()
        };
        let clients: Vec<CappedClient> = urls.into_iter().map(client_of).collect();
        let sources = Sources::new(clients, options.quorum).expect("sources");
        let l1_client = options
            .l1
            .then(|| L1Client::new(l1.server.url(), Duration::from_secs(2)).expect("L1 client"));
        let mut follow = FollowTask::new(
            sources,
            l1_client,
            engine.clone(),
            handle.clone(),
            view.clone(),
            follow_config,
        );
        if let Some(id) = options.identity {
            follow = follow.with_identity(id);
        }

        let rpc = OptimismRpc::new(view.subscribe(), config.clone(), "test", NoOutputs)
            .with_follow_info(follow.follow_info());
        let addr = options.rpc_addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap());
        let (addr, rpc_handle) = serve(addr, rpc).await.expect("serve");
        let rpc_url: url::Url = format!("http://{addr}").parse().expect("url");
        let client = HttpClientBuilder::default().build(rpc_url.as_str()).expect("client");
        Self {
            l1,
            source,
            others,
            engine,
            follow,
            view,
            owner: handle,
            config,
            rpc_url,
            client,
            _rpc: rpc_handle,
        }
    }

    /// Block `n` of the L2 chain that leaves the main branch at `fork_at` for `branch`
    /// (`branch` 0 is the main chain).
    pub fn l2(&self, branch: u8, fork_at: u64, n: u64) -> L2BlockRef {
        l2_block(&self.l1, branch, fork_at, n)
    }

    /// Main-chain block `n`.
    pub fn main(&self, n: u64) -> L2BlockRef {
        self.l2(0, 0, n)
    }

    /// Main-chain blocks `from..=to`.
    pub fn main_range(&self, from: u64, to: u64) -> Vec<L2BlockRef> {
        (from..=to).map(|n| self.main(n)).collect()
    }

    /// A source status of these heads (see [`source_status`]).
    pub fn status(
        &self,
        unsafe_l2: L2BlockRef,
        safe: L2BlockRef,
        finalized: L2BlockRef,
    ) -> SyncStatus {
        source_status(&self.l1, unsafe_l2, safe, finalized)
    }

    /// The node's own `optimism_syncStatus`, over its RPC server.
    pub async fn served(&self) -> SyncStatus {
        self.client.sync_status().await.expect("optimism_syncStatus")
    }

    /// The node's own `optimism_followInfo`, over its RPC server.
    pub async fn served_follow_info(&self) -> FollowInfo {
        self.client.follow_info().await.expect("optimism_followInfo")
    }

    /// Source `i` (0 is [`Rig::source`]).
    pub fn scripted(&self, i: usize) -> &ScriptedSource {
        if i == 0 {
            &self.source
        } else {
            &self.others[i - 1]
        }
    }

    /// The node's own `optimism_rollupConfig`, over its RPC server.
    pub async fn served_config(&self) -> RollupConfig {
        self.client.rollup_config().await.expect("optimism_rollupConfig")
    }
}

/// How to build a [`Rig`].
#[derive(Debug, Clone)]
pub struct RigOptions {
    /// The local chain is main-branch blocks `0..=local_head`.
    pub local_head: u64,
    /// Follow settings.
    pub follow: FollowConfig,
    /// Scripted sources to start (at least one: [`Rig::source`]).
    pub scripted_sources: usize,
    /// Follow these URLs instead of the scripted sources (which still start).
    pub source_urls: Vec<url::Url>,
    /// The quorum.
    pub quorum: usize,
    /// Whether the follow task has an L1 RPC (the scripted L1 runs either way).
    pub l1: bool,
    /// The node's instance id.
    pub identity: Option<InstanceId>,
    /// Where the node's RPC listens (default: a free loopback port).
    pub rpc_addr: Option<SocketAddr>,
    /// Blocks of the scripted L1.
    pub l1_len: u64,
    /// The timestamp of L1 block 0 (and of L2 genesis).
    pub l1_genesis_time: u64,
}

impl Default for RigOptions {
    fn default() -> Self {
        Self {
            local_head: 0,
            follow: FollowConfig::for_block_time(2),
            scripted_sources: 1,
            source_urls: Vec::new(),
            quorum: 1,
            l1: true,
            identity: None,
            rpc_addr: None,
            l1_len: L1_LEN,
            l1_genesis_time: crate::L1_GENESIS_TIME,
        }
    }
}

/// A free loopback address, for a server that must be named before it starts.
pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local addr")
}

/// A deriving node's status over `l1`: unsafe, safe and finalized of the given blocks,
/// `current_l1` the L1 origin of the safe head plus one, L1 heads from the scripted L1.
pub fn source_status(
    l1: &ScriptedL1,
    unsafe_l2: L2BlockRef,
    safe: L2BlockRef,
    finalized: L2BlockRef,
) -> SyncStatus {
    SyncStatus {
        current_l1: l1.block((safe.l1_origin.number + 1).min(l1.len() - 1)),
        current_l1_finalized: l1.block(8.min(l1.len() - 1)),
        head_l1: l1.block(l1.len() - 1),
        safe_l1: l1.block(l1.len().saturating_sub(5)),
        finalized_l1: l1.block(8.min(l1.len() - 1)),
        unsafe_l2,
        safe_l2: safe,
        finalized_l2: finalized,
        pending_safe_l2: safe,
        cross_unsafe_l2: unsafe_l2,
        local_safe_l2: safe,
    }
}

/// A system config of test chains: batcher `0xbaba…`, gas limit 30M, the given `scalar`.
pub fn system_config(scalar: B256) -> SystemConfig {
    SystemConfig {
        batcher_addr: Address::repeat_byte(0xba),
        overhead: B256::ZERO,
        scalar,
        gas_limit: 30_000_000,
        eip1559_params: None,
        operator_fee_params: None,
        min_base_fee: None,
        da_footprint_gas_scalar: None,
        other: Default::default(),
    }
}

/// Every fork through Granite active at genesis (the last fork an op-reth v1.10.2 dev chain
/// builds with without Holocene/Jovian fields).
pub fn forks_through_granite() -> ForkTimes {
    ForkTimes::at_genesis_through(Fork::Granite)
}

/// A rollup config for test chain 901 on L1 900 with 2 s blocks, starting at `genesis`.
pub fn rollup_config(genesis: ChainGenesis, forks: ForkTimes) -> RollupConfig {
    RollupConfig {
        genesis,
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: 3600,
        channel_timeout: 300,
        l1_chain_id: 900,
        l2_chain_id: 901,
        forks,
        batch_inbox_address: Address::repeat_byte(0xff),
        deposit_contract_address: Address::repeat_byte(0xde),
        l1_system_config_address: Address::repeat_byte(0x5c),
        protocol_versions_address: None,
        other: Default::default(),
    }
}

fn l2_hash(branch: u8, n: u64) -> B256 {
    let mut seed = [0u8; 9];
    seed[0] = if n == 0 { 0 } else { branch };
    seed[1..].copy_from_slice(&n.to_be_bytes());
    keccak256(seed)
}

fn l2_block(l1: &ScriptedL1, branch: u8, fork_at: u64, n: u64) -> L2BlockRef {
    let branch_of = |n: u64| if n >= fork_at { branch } else { 0 };
    let origin: L1BlockRef = l1.block(n / L2_PER_L1);
    L2BlockRef {
        hash: l2_hash(branch_of(n), n),
        number: n,
        parent_hash: if n == 0 { B256::ZERO } else { l2_hash(branch_of(n - 1), n - 1) },
        timestamp: l1.block(0).timestamp + 2 * n,
        l1_origin: origin.id(),
        sequence_number: n % L2_PER_L1,
    }
}
