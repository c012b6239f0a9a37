//! Wiring the light CL into an op-reth node: its RPC namespace when the RPC server is built, its
//! tasks once the node has started.

use crate::{
    args::FollowArgs,
    chain::{ChainProvider, RethChain},
    config,
    engine::RethEngine,
    output::RethOutputs,
};
use eyre::WrapErr;
use futures::StreamExt;
use light_cl::{EngineOwner, FollowConfig, FollowTask, View};
use light_cl_protocol::RollupConfig;
use light_cl_rpc::{
    L1Client, L2Client, LateRpc, OptimismApiServer, OptimismRpc, SourceClient, SourceConfig,
    DEFAULT_L1_TIMEOUT,
};
use reth_node_api::{FullNodeComponents, NodeTypes};
use reth_node_builder::{rpc::RethRpcAddOns, FullNode, NodeConfig};
use reth_optimism_chainspec::OpChainSpec;
use reth_optimism_node::OpEngineTypes;
use reth_provider::{CanonStateSubscriptions, StateProviderFactory};
use reth_rpc_builder::TransportRpcModules;
use std::{future::Future, pin::Pin, sync::Arc};
use tracing::{error, info};
use url::Url;

/// Installs an optional [`LightCl`] on an op-reth node builder: its RPC namespace through
/// `extend_rpc_modules`, its tasks through `on_node_started`. `None` leaves the builder as it
/// is, so the node is plain op-reth. Returns early with an error (`?`) when the node's settings
/// start another driver of the engine. The binary and the e2e tests wire nodes with this.
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
                Some(rpc) => rpc.register(ctx.modules),
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
    source: SourceClient,
    l1: Url,
    config: Option<RollupConfig>,
    interval: Option<std::time::Duration>,
    follow_unsafe: bool,
    source_el: Option<L2Client>,
    rpc: LateRpc<O>,
}

impl<O> LightCl<O> {
    /// The light CL the arguments ask for, or `None` without `--rollup.follow-source` (plain
    /// op-reth). Reads and checks `--rollup.config` now, so a bad file stops the node at once.
    pub fn from_args(args: &FollowArgs) -> eyre::Result<Option<Self>> {
        let Some(url) = args.follow_source.clone() else { return Ok(None) };
        let l1 = args.l1_rpc.clone().ok_or_else(|| {
            eyre::eyre!(
                "--rollup.follow-source needs --rollup.l1-rpc: every update is checked against L1"
            )
        })?;
        let headers = args.headers().map_err(|e| eyre::eyre!(e))?;
        let mut source_config = SourceConfig::new(url);
        source_config.timeout = args.follow_source_timeout;
        source_config.headers = headers;
        let source = SourceClient::new(source_config).wrap_err("--rollup.follow-source")?;
        let config = args.rollup_config.as_deref().map(config::read_file).transpose()?;
        Ok(Some(Self {
            source,
            l1,
            config,
            interval: args.follow_interval,
            follow_unsafe: !args.follow_safe_only,
            source_el: args
                .follow_source_el
                .clone()
                .map(|url| L2Client::new(url, DEFAULT_L1_TIMEOUT))
                .transpose()
                .wrap_err("--rollup.follow-source-el")?,
            rpc: LateRpc::default(),
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
    /// The light CL's `optimism` namespace, to register while the node's RPC is built.
    pub fn rpc(&self) -> LightRpc<O> {
        LightRpc(self.rpc.clone())
    }
}

/// The `optimism` namespace of a [`LightCl`]; it answers "not ready" until the rollup config is
/// known.
#[derive(Debug)]
pub struct LightRpc<O>(LateRpc<O>);

impl<O: light_cl_rpc::OutputSource> LightRpc<O> {
    /// Registers the namespace on every configured transport (HTTP, WS, IPC).
    pub fn register(self, modules: &mut TransportRpcModules) -> eyre::Result<()> {
        modules
            .merge_configured(self.0.into_rpc())
            .wrap_err("registering the optimism_* RPC namespace")?;
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
    {
        let spec = node.chain_spec();
        if let Some(config) = &self.config {
            config::check_against_chain_spec(config, &spec)?;
        }
        let engine = RethEngine::new(
            node.add_ons_handle.beacon_engine_handle.clone(),
            node.payload_builder_handle.clone(),
        );
        let provider = node.provider.clone();
        let executor = node.task_executor.clone();
        let shutdown_executor = executor.clone();
        executor.spawn_critical_with_graceful_shutdown_signal("light-cl", move |shutdown| async move {
            let mut shutdown = Box::pin(shutdown);
            let config = match self.config {
                Some(config) => config,
                None => {
                    let fetched = tokio::select! {
                        config = config::fetch(&self.source) => config,
                        _ = &mut shutdown => return,
                    };
                    if let Err(e) = config::check_against_chain_spec(&fetched, &spec) {
                        error!(target: "light_cl::config", error = %e, "the follow source's rollup config does not describe this chain; stopping the node");
                        let _ = shutdown_executor.initiate_graceful_shutdown();
                        return;
                    }
                    fetched
                }
            };
            let config = Arc::new(config);
            let chain = RethChain::new(provider.clone(), config.genesis.clone());
            let view = View::new(&config);
            let outputs = RethOutputs::new(chain.clone(), provider.clone());
            self.rpc.set(OptimismRpc::new(view.subscribe(), config.clone(), VERSION, outputs));

            let (owner, handle) = EngineOwner::new(engine, chain.clone(), view.clone());
            let mut follow_config = FollowConfig::for_block_time(config.block_time);
            follow_config.follow_unsafe = self.follow_unsafe;
            if let Some(interval) = self.interval {
                follow_config.interval = interval;
            }
            let l1 = L1Client::new(self.l1, DEFAULT_L1_TIMEOUT);
            // Canonical-chain changes (a sync target reached between ticks) refresh the view.
            let mut canonical = provider.canonical_state_stream();
            let refresh = handle.clone();
            let refresh_view = async move {
                while canonical.next().await.is_some() {
                    if refresh.refresh().await.is_err() {
                        break;
                    }
                }
                std::future::pending::<()>().await
            };
            info!(target: "light_cl", source = %self.source.url(), l2_chain_id = config.l2_chain_id, "light CL started");
            let follow = FollowTask::new(self.source, l1, chain, handle, view, follow_config);
            let stop = async move {
                let _guard = shutdown.await;
            };
            let follow: Pin<Box<dyn Future<Output = ()> + Send>> = match self.source_el {
                Some(el) => Box::pin(follow.with_source_el(el).run(stop)),
                None => Box::pin(follow.run(stop)),
            };
            // The follow task ends on shutdown; the owner and the refresher end with it.
            tokio::select! {
                _ = follow => {}
                _ = owner.run() => {}
                _ = refresh_view => {}
            }
        });
        Ok(())
    }
}
