//! The devnet's L1: reth's Ethereum node in dev mode, in this process, mining a block every
//! block time. Its miner reports the block 32 below the head as safe and 64 below as finalized.

use reth_chainspec::ChainSpec;
use reth_db::{init_db, mdbx::DatabaseArguments};
use reth_node_builder::{NodeBuilder, NodeConfig, NodeHandleFor};
use reth_node_core::{
    args::{DatadirArgs, DevArgs, DiscoveryArgs, NetworkArgs, RpcServerArgs},
    dirs::MaybePlatformPath,
};
use reth_node_ethereum::EthereumNode;
use reth_tasks::TaskManager;
use std::{net::Ipv4Addr, path::Path, sync::Arc, time::Duration};

/// A running dev L1.
pub type L1Handle = NodeHandleFor<EthereumNode>;

/// Starts a dev L1 of `spec` in `dir`, a block every `block_time`, with HTTP JSON-RPC on
/// loopback at `http_port` (any free port when `None`); every other port is picked free and
/// discovery is off. Its tasks run on `tasks`.
pub async fn start_l1(
    dir: &Path,
    spec: ChainSpec,
    block_time: Duration,
    http_port: Option<u16>,
    tasks: &TaskManager,
) -> eyre::Result<L1Handle> {
    let mut rpc = RpcServerArgs::default().with_unused_ports().with_http();
    rpc.http_addr = Ipv4Addr::LOCALHOST.into();
    if let Some(port) = http_port {
        rpc.http_port = port;
    }
    let config = NodeConfig::new(Arc::new(spec))
        .with_dev(DevArgs { dev: true, block_time: Some(block_time), ..Default::default() })
        .with_network(NetworkArgs {
            discovery: DiscoveryArgs { disable_discovery: true, ..Default::default() },
            addr: Ipv4Addr::LOCALHOST.into(),
            ..Default::default()
        })
        .with_unused_ports()
        .with_rpc(rpc)
        .with_datadir_args(DatadirArgs {
            datadir: MaybePlatformPath::from(dir.to_path_buf()),
            ..Default::default()
        });
    let db = Arc::new(init_db(dir.join("db"), DatabaseArguments::default())?);
    let handle = NodeBuilder::new(config)
        .with_database(db)
        .with_launch_context(tasks.executor())
        .node(EthereumNode::default())
        .launch_with_debug_capabilities()
        .await?;
    Ok(handle)
}
