//! Wiring the light CL into an op-reth node: its RPC namespace when the RPC server is built, its
//! tasks once the node has started.

use crate::{
    args::{FollowArgs, SequencerArgs},
    chain::{ChainProvider, RethChain},
    config,
    engine::RethEngine,
    output::RethOutputs,
    p2p::P2pSetup,
    peers::PeerHeaders,
    sources::{self, SourceSet},
};
use alloy_consensus::Header;
use alloy_rpc_types_engine::JwtSecret;
use eyre::WrapErr;
use futures::StreamExt;
use light_cl::{
    follow::FollowExit,
    gossip::ProposalTarget,
    remind_fork_limit,
    sequencer::{Admin, Conductor, Publish, Sequencer, SequencerConfig, SequencerDeps},
    Chain, Endpoint, EngineOwner, FollowConfig, FollowTask, OwnerStopped, View,
    FORK_LIMIT_REMINDER_EVERY,
};
use light_cl_protocol::{L1BlobSchedule, RollupConfig};
use light_cl_rpc::{
    AdminApiServer, AdminRpc, ConductorClient, L1Client, L2Client, Late, OptimismApiServer,
    OptimismRpc, P2pApiServer, P2pRpc, PayloadPublisher, DEFAULT_L1_TIMEOUT, DEFAULT_L2_TIMEOUT,
};
use reth_network_api::BlockDownloaderProvider;
use reth_network_p2p::HeadersClient;
use reth_node_api::{FullNodeComponents, NodeTypes};
use reth_node_builder::{rpc::RethRpcAddOns, FullNode, NodeConfig};
use reth_optimism_chainspec::OpChainSpec;
use reth_optimism_node::OpEngineTypes;
use reth_provider::{CanonStateSubscriptions, StateProviderFactory};
use reth_rpc_builder::{auth::AuthRpcModule, TransportRpcModules};
use std::{future::Future, path::PathBuf, pin::Pin, sync::Arc};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Installs an optional [`LightCl`] on an op-reth node builder: its RPC namespace through
/// `extend_rpc_modules`, its tasks through `on_node_started`. `None` leaves the builder as it
/// is, so the node is plain op-reth. Returns early with an error (`?`) when the node's settings
/// start another driver of the engine. The binary and the e2e tests wire nodes with this.
///
/// A macro, not a function: `extend_rpc_modules` and `on_node_started` are methods of reth's
/// `WithLaunchContext<NodeBuilderWithComponents<T, CB, AO>>`, and a function would have to
/// restate their bounds over the node's component builder and add-ons (which the binary and the
/// tests spell differently) for every type involved. Everything the hooks run is typed code:
/// [`LightCl::rpc`], [`LightRpc::register`] and [`LightCl::start`].
#[macro_export]
macro_rules! with_light_cl {
    ($builder:expr, $light:expr) => {{
        let builder = $builder;
        let light: ::core::option::Option<_> = $light;
        if let Some(light) = &light {
            light.check_node_config(builder.config())?;
        }
        let rpc = light.as_ref().map($crate::LightCl::rpc);
        builder
            .extend_rpc_modules(move |ctx| match rpc {
                Some(rpc) => rpc.register(ctx.modules, ctx.auth_module),
                None => Ok(()),
            })
            .on_node_started(move |node| match light {
                Some(light) => light.start(node),
                None => Ok(()),
            })
    }};
}

/// The version string served by `optimism_version`.
pub const VERSION: &str = concat!("op-reth-light/v", env!("CARGO_PKG_VERSION"));

/// The light CL of one node: built from the arguments before launch, started once the node runs.
#[derive(Debug)]
pub struct LightCl<O> {
    sources: SourceSet,
    l1: Option<L1Client>,
    config: Option<RollupConfig>,
    interval: Option<std::time::Duration>,
    follow_info_interval: std::time::Duration,
    follow_unsafe: bool,
    source_el: Option<L2Client>,
    sequencer: Option<SequencerSetup>,
    p2p: Option<P2pSetup>,
    rpc: Late<OptimismRpc<O>>,
    admin: Late<AdminRpc<Admin>>,
    p2p_rpc: P2pRpc,
    admin_on_http: bool,
}

/// What `--rollup.sequencing` and its flags ask for.
#[derive(Debug)]
struct SequencerSetup {
    config: SequencerConfig,
    publishers: Vec<Box<dyn Publish>>,
    conductor: Option<ConductorClient>,
    l1_chain_config: Option<PathBuf>,
    /// Read before launch when the rollup config is known then.
    blob_schedule: Option<L1BlobSchedule>,
}

impl SequencerSetup {
    fn from_args(args: &SequencerArgs) -> eyre::Result<Option<Self>> {
        if !args.sequencing {
            return Ok(None);
        }
        let jwt = args
            .publish_jwt_secret
            .as_deref()
            .map(JwtSecret::from_file)
            .transpose()
            .wrap_err("--rollup.publish-jwt-secret")?;
        let publishers = args
            .publish_to
            .iter()
            .map(|url| {
                PayloadPublisher::new(url.clone(), jwt, PUBLISH_TIMEOUT)
                    .map(|p| Box::new(p) as Box<dyn Publish>)
            })
            .collect::<Result<_, _>>()
            .wrap_err("--rollup.publish-to")?;
        let conductor = args
            .conductor_enabled
            .then(|| ConductorClient::new(args.conductor_rpc.clone(), args.conductor_rpc_timeout))
            .transpose()
            .wrap_err("--conductor.rpc")?;
        if conductor.is_some() && !args.stopped {
            info!(target: "light_cl::sequencer", conductor = %args.conductor_rpc, "behind op-conductor: starting stopped until the conductor starts this node");
        }
        let config = SequencerConfig {
            conf_depth: args.l1_confs,
            max_safe_lag: args.max_safe_lag,
            // op-node: a sequencer behind a conductor starts stopped.
            start_active: !args.stopped && conductor.is_none(),
            seal_margin: args.seal_margin,
            fill: !args.seal_at_once,
            ..SequencerConfig::new()
        };
        Ok(Some(Self {
            config,
            publishers,
            conductor,
            l1_chain_config: args.l1_chain_config.clone(),
            blob_schedule: None,
        }))
    }

    /// The L1 blob schedule: the one read before launch, else read now.
    fn blob_schedule(&self, l1_chain_id: u64) -> Result<L1BlobSchedule, config::ConfigError> {
        match &self.blob_schedule {
            Some(schedule) => Ok(schedule.clone()),
            None => config::l1_blob_schedule(self.l1_chain_config.as_deref(), l1_chain_id),
        }
    }
}

/// What the light CL takes from the launched node.
struct RethParts<P, Net> {
    engine: RethEngine,
    provider: P,
    network: Net,
    spec: Arc<OpChainSpec>,
    datadir: PathBuf,
}

/// Time allowed to hand a sealed block to one `--rollup.publish-to` target.
const PUBLISH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl<O> LightCl<O> {
    /// The light CL the arguments ask for, or `None` without `--rollup.follow-source` (plain
    /// op-reth). Reads and checks `--rollup.config` now, so a bad file stops the node at once.
    pub fn from_args(args: &FollowArgs) -> eyre::Result<Option<Self>> {
        if args.follow_source.is_empty() {
            return Ok(None);
        }
        args.check()?;
        let Some(sources) = SourceSet::from_args(args)? else { return Ok(None) };
        let l1 = args
            .l1_rpc
            .clone()
            .map(|url| L1Client::new(url, DEFAULT_L1_TIMEOUT))
            .transpose()
            .wrap_err("--rollup.l1-rpc")?;
        if sources.all_execution() && args.rollup_config.is_none() {
            eyre::bail!("every --rollup.follow-source is an execution RPC (el:), which has no optimism_rollupConfig: give --rollup.config");
        }
        let config = args.rollup_config.as_deref().map(config::read_file).transpose()?;
        let mut sequencer = SequencerSetup::from_args(&args.sequencer)?;
        if let (Some(seq), Some(config)) = (&mut sequencer, &config) {
            // Known now: a missing blob schedule stops the node before it starts.
            seq.blob_schedule = Some(seq.blob_schedule(config.l1_chain_id)?);
        }
        Ok(Some(Self {
            sources,
            l1,
            config,
            interval: args.follow_interval,
            follow_info_interval: args.follow_info_interval,
            // A sequencer makes its own unsafe blocks; it takes others' only when pushed.
            follow_unsafe: !args.follow_safe_only && !args.sequencer.sequencing,
            source_el: args
                .follow_source_el
                .clone()
                .map(|url| L2Client::new(url, DEFAULT_L2_TIMEOUT))
                .transpose()
                .wrap_err("--rollup.follow-source-el")?,
            sequencer,
            p2p: P2pSetup::from_args(&args.p2p, args.sequencer.sequencing, args.l1_rpc.is_some())?,
            rpc: Late::default(),
            admin: Late::default(),
            p2p_rpc: P2pRpc::default(),
            admin_on_http: args.sequencer.admin_on_http,
        }))
    }
}

impl<O> LightCl<O> {
    /// Refuses node settings that start a second driver of the engine beside the light CL
    /// (`--dev`'s miner, `--debug.rpc-consensus-url`, `--debug.etherscan`): one task owns the
    /// forkchoice state.
    pub fn check_node_config<C>(&self, config: &NodeConfig<C>) -> eyre::Result<()> {
        let other = if config.dev.dev {
            Some("--dev")
        } else if config.debug.rpc_consensus_url.is_some() {
            Some("--debug.rpc-consensus-url")
        } else if config.debug.etherscan.is_some() {
            Some("--debug.etherscan")
        } else {
            None
        };
        match other {
            Some(flag) => Err(eyre::eyre!(
                "{flag} drives the engine too; it cannot be used with --rollup.follow-source"
            )),
            None => Ok(()),
        }
    }
}

impl<O: light_cl_rpc::OutputSource> LightCl<O> {
    /// The light CL's `optimism` and `admin` namespaces, to register while the node's RPC is
    /// built.
    pub fn rpc(&self) -> LightRpc<O> {
        LightRpc {
            optimism: self.rpc.clone(),
            admin: self.admin.clone(),
            p2p_rpc: self.p2p_rpc.clone(),
            admin_on_http: self.admin_on_http,
        }
    }
}

/// The namespaces of a [`LightCl`]; they answer "not ready" until the light CL has started.
#[derive(Debug)]
pub struct LightRpc<O> {
    optimism: Late<OptimismRpc<O>>,
    admin: Late<AdminRpc<Admin>>,
    p2p_rpc: P2pRpc,
    admin_on_http: bool,
}

impl<O: light_cl_rpc::OutputSource> LightRpc<O> {
    /// Registers `optimism_*` and `opp2p_peerStats` on every configured transport (HTTP, WS,
    /// IPC), and the `admin_*`
    /// sequencer methods on the authenticated Engine API port (and on HTTP/WS/IPC with
    /// `--rollup.admin-on-http`).
    pub fn register(
        self,
        modules: &mut TransportRpcModules,
        auth: &mut AuthRpcModule,
    ) -> eyre::Result<()> {
        modules
            .merge_configured(self.optimism.into_rpc())
            .wrap_err("registering the optimism_* RPC namespace")?;
        // op-node serves opp2p_* beside optimism_*; op-conductor's health check calls it.
        modules
            .merge_configured(self.p2p_rpc.into_rpc())
            .wrap_err("registering the opp2p_* RPC namespace")?;
        let admin = self.admin.into_rpc();
        if self.admin_on_http {
            warn!(target: "light_cl", "--rollup.admin-on-http: admin_startSequencer, admin_stopSequencer, admin_sequencerActive and admin_postUnsafePayload are served without authentication on every configured HTTP, WS and IPC transport");
            modules.merge_configured(admin.clone()).wrap_err("registering admin_* on HTTP/WS")?;
        }
        auth.merge_auth_methods(admin).wrap_err("registering admin_* on the Engine API port")?;
        Ok(())
    }
}

impl<P> LightCl<RethOutputs<P>>
where
    P: ChainProvider + StateProviderFactory + CanonStateSubscriptions,
{
    /// Starts the light CL on a launched node: the engine owner and the follow task, as one
    /// critical task that ends on graceful shutdown. A rollup config given on the command line
    /// that does not match the chain spec is an error here, which stops the node.
    pub fn start<N, AO>(self, node: FullNode<N, AO>) -> eyre::Result<()>
    where
        N: FullNodeComponents<
            Provider = P,
            Types: NodeTypes<Payload = OpEngineTypes, ChainSpec = OpChainSpec>,
        >,
        AO: RethRpcAddOns<N>,
        <N::Network as BlockDownloaderProvider>::Client: HeadersClient<Header = Header>,
    {
        light_cl::describe_metrics();
        light_cl_p2p::describe_metrics();
        let spec = node.chain_spec();
        if let Some(config) = &self.config {
            config::check_against_chain_spec(config, &spec)?;
        }
        let engine = RethEngine::new(
            node.add_ons_handle.beacon_engine_handle.clone(),
            node.payload_builder_handle.clone(),
        );
        let parts = RethParts {
            engine,
            provider: node.provider.clone(),
            network: node.network.clone(),
            spec,
            datadir: node.data_dir.data_dir().to_path_buf(),
        };
        let executor = node.task_executor.clone();
        let shutdown_executor = executor.clone();
        executor.spawn_critical_with_graceful_shutdown_signal("light-cl", move |shutdown| async move {
            // One token stops every task; reth's shutdown signal cancels it.
            let stop = CancellationToken::new();
            let run = self.run(parts, stop.clone());
            tokio::pin!(run);
            let outcome = tokio::select! {
                outcome = &mut run => outcome,
                guard = shutdown => {
                    stop.cancel();
                    let outcome = run.await;
                    drop(guard);
                    outcome
                }
            };
            // A light CL that ends before shutdown would leave reth serving heads nobody moves.
            if let Err(e) = outcome {
                error!(target: "light_cl", error = %format!("{e:#}"), "the light CL stopped; stopping the node");
                let _ = shutdown_executor.initiate_graceful_shutdown();
            }
        });
        Ok(())
    }

    /// Runs the light CL until `stop` is cancelled (then `Ok`), or until it cannot go on: a
    /// fetched rollup config that does not describe this chain, a fork this node cannot execute
    /// already active, or a task that ended.
    async fn run<Net>(self, reth: RethParts<P, Net>, stop: CancellationToken) -> eyre::Result<()>
    where
        Net: BlockDownloaderProvider<Client: HeadersClient<Header = Header>> + Send + Sync,
    {
        let RethParts { engine, provider, network, spec, datadir } = reth;
        let identity = sources::instance_id(&datadir)?;
        let config = match self.config {
            Some(config) => config,
            None => {
                let rollup_nodes = self.sources.rollup_nodes()?;
                // With L1 one source's config is enough: L1 checks its anchor next.
                let quorum = if self.l1.is_some() { 1 } else { self.sources.quorum() };
                let fetch_and_anchor = async {
                    let fetched = config::fetch(&rollup_nodes, quorum).await;
                    match &self.l1 {
                        Some(l1) => config::check_genesis_l1(&fetched, l1).await.map(|()| fetched),
                        None => Ok(fetched),
                    }
                };
                let fetched = tokio::select! {
                    anchored = fetch_and_anchor => anchored
                        .wrap_err("the follow source's rollup config is not anchored on our L1")?,
                    () = stop.cancelled() => return Ok(()),
                };
                config::check_against_chain_spec(&fetched, &spec)
                    .wrap_err("the follow source's rollup config does not describe this chain")?;
                fetched
            }
        };
        let config = Arc::new(config);
        let mut chain = RethChain::new(provider.clone(), config.genesis.clone());
        match network.fetch_client().await {
            Ok(client) => chain = chain.with_peers(PeerHeaders::new(client)),
            Err(_) => {
                warn!(target: "light_cl", "no devp2p fetch client: head targets are checked to hold our finalized block only through the source")
            }
        }
        let view = View::new(&config);
        let outputs = RethOutputs::new(chain.clone(), provider.clone(), config.forks.isthmus_time);

        let head = chain.heads().await.wrap_err("reading the local head")?.unsafe_head;
        let fork_limit = config::fork_limit(&config, head.timestamp)?;
        if let Some(fork) = &fork_limit {
            info!(target: "light_cl::config", fork = fork.name(), activation = fork.time, op_reth = config::OP_RETH_VERSION, "the rollup config schedules a fork this node cannot execute");
        }
        // Warns at start and every few minutes until the node is upgraded.
        let reminder = {
            let fork = fork_limit.clone();
            async move {
                match fork {
                    Some(fork) => remind_fork_limit(fork, FORK_LIMIT_REMINDER_EVERY).await,
                    None => std::future::pending().await,
                }
            }
        };
        let (owner, handle) = EngineOwner::new(engine, chain.clone(), view.clone());
        let owner = owner.with_fork_limit(fork_limit);
        let blob_schedule = match &self.sequencer {
            Some(seq) => Some(seq.blob_schedule(config.l1_chain_id).wrap_err("cannot sequence")?),
            None => None,
        };
        let mut follow_config = FollowConfig::for_block_time(config.block_time);
        follow_config.follow_unsafe = self.follow_unsafe;
        if let Some(interval) = self.interval {
            follow_config.interval = interval;
        }
        follow_config.source_deadline = self.sources.timeout();
        follow_config.follow_info_interval = self.follow_info_interval;
        // Canonical-chain changes (a sync target reached between ticks) refresh the view.
        let mut canonical = provider.canonical_state_stream();
        let refresh = handle.clone();
        let refresh_view = async move {
            while canonical.next().await.is_some() {
                refresh.refresh().await?;
            }
            Ok::<(), OwnerStopped>(())
        };
        let sources = self.sources.endpoints(&config.genesis)?;
        // `FollowArgs::check` refused too few sources or too small a quorum for this.
        if self.l1.is_none() {
            warn!(target: "light_cl", sources = sources.len(), quorum = sources.quorum(), "no --rollup.l1-rpc: the agreement of the follow sources replaces every L1 check, and the served L1 heads are theirs");
        }
        if self.sources.all_execution() {
            warn!(target: "light_cl", "every follow source is an execution RPC: current_l1 is not known, so do not point op-batcher at this node");
        }
        info!(target: "light_cl", sources = sources.len(), quorum = sources.quorum(), l1 = self.l1.is_some(), %identity, l2_chain_id = config.l2_chain_id, "light CL started");
        // The source EL: the one given, paired with source 0, else the first `el:` source.
        let source_el = self.sources.source_el(self.source_el)?;
        let follow = FollowTask::<Endpoint, _, _>::new(
            sources,
            self.l1.clone(),
            chain.clone(),
            handle.clone(),
            view.clone(),
            follow_config,
        )
        .with_identity(identity);
        self.rpc.set(
            OptimismRpc::new(view.subscribe(), config.clone(), VERSION, outputs)
                .with_follow_info(follow.follow_info()),
        );
        // The gossip node needs the chain's signer first (from L1, retried while L1 is down).
        let mut gossip = match self.p2p {
            Some(p2p) => match p2p.start(&config, self.l1.clone(), &datadir, &stop).await? {
                Some(gossip) => {
                    self.p2p_rpc.set(gossip.handle());
                    Some(gossip)
                }
                None => return Ok(()),
            },
            None => None,
        };
        let (sequencer, sequencer_handle) = match (self.sequencer, blob_schedule, self.l1) {
            (Some(seq), Some(blob_schedule), Some(l1)) => {
                let mut publishers = seq.publishers;
                // Gossip first: it reaches every node, the RPC targets only themselves.
                if let Some(publisher) = gossip.as_mut().and_then(|g| g.take_publisher()) {
                    publishers.insert(0, publisher);
                }
                let (task, seq_handle) = Sequencer::new(SequencerDeps {
                    l1,
                    chain,
                    owner: handle.clone(),
                    config: config.clone(),
                    blob_schedule,
                    settings: seq.config,
                    ready: follow.ready(),
                    publishers,
                    conductor: seq.conductor.map(|c| Box::new(c) as Box<dyn Conductor>),
                });
                (Some(task), Some(seq_handle))
            }
            _ => (None, None),
        };
        // An active sequencer refuses gossip for its own chain tip; a follower takes it all.
        let target = match &sequencer_handle {
            Some(seq) => ProposalTarget::Sequencer(seq.clone()),
            None => ProposalTarget::Owner(handle.clone()),
        };
        self.admin.set(AdminRpc::new(Admin::new(sequencer_handle, handle)));
        let gossip_node = gossip.as_ref().map(|g| g.handle());
        let gossip = async {
            match gossip {
                Some(gossip) => gossip.run(target, stop.clone()).await,
                None => std::future::pending().await,
            }
        };
        let sequencer = async {
            match sequencer {
                Some(task) => task.run(stop.cancelled()).await,
                None => std::future::pending().await,
            }
        };
        let follow: Pin<Box<dyn Future<Output = Result<(), FollowExit>> + Send + '_>> =
            match source_el {
                Some((el, index)) => {
                    Box::pin(follow.with_source_el(el).source_el_of(index).run(stop.cancelled()))
                }
                None => Box::pin(follow.run(stop.cancelled())),
            };
        // Every task runs until the token is cancelled; one that ends before that is an error.
        let ended = tokio::select! {
            result = follow => match result {
                Ok(()) => "the follow task stopped".to_owned(),
                Err(e) => format!("the follow task failed: {e}"),
            },
            () = owner.run() => "the engine owner stopped".to_owned(),
            result = refresh_view => match result {
                Ok(()) => "the canonical state stream ended".to_owned(),
                Err(e) => format!("refreshing the view failed: {e}"),
            },
            () = sequencer => "the sequencer stopped".to_owned(),
            () = reminder => "the fork limit reminder stopped".to_owned(),
            () = gossip => "the gossip node stopped".to_owned(),
        };
        // The gossip node's connections and port are released now, not when reth drops the
        // last handle (the opp2p RPC holds one).
        if let Some(node) = gossip_node {
            node.shutdown().await;
        }
        if stop.is_cancelled() {
            return Ok(());
        }
        Err(eyre::eyre!("{ended} before shutdown"))
    }
}
