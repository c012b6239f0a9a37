//! Starting, watching and stopping the devnet. Every check that can fail on the user's input
//! (ports, datadir, flags) runs before anything starts; a node that fails later stops the rest.

use super::{
    args::{check_datadir, check_ports, DevnetArgs, Ports},
    banner::{Banner, BannerNode},
    chain::{dev_accounts, devnet_signer, ChainFiles, DevnetChains, DEVNET_P2P_KEY},
    l1::{start_l1, L1Handle},
    nodes::{node_args, NodeProcess, Role, Shared},
    progress::Progress,
};
use alloy_primitives::B256;
use jsonrpsee::{core::client::ClientT, rpc_params};
use light_cl::{
    dev_source::{DevChain, DevSource},
    ExecutionSource,
};
use light_cl_rpc::{
    serve, L1Client, L2Client, NoOutputs, OptimismRpc, DEFAULT_L1_TIMEOUT, DEFAULT_L2_TIMEOUT,
};
use reth_tasks::TaskManager;
use serde_json::Value;
use std::{
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// How long a node may take to answer its first RPC.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a node may take to stop after SIGINT before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Runs the devnet until Ctrl-C or SIGTERM; the process's exit code: 0 when every node stopped
/// cleanly, 1 when the devnet did not start or a node failed.
pub fn run(args: DevnetArgs) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start the runtime: {e}");
            return 1;
        }
    };
    let code = match runtime.block_on(devnet(args)) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("Error: {e:#}");
            1
        }
    };
    runtime.shutdown_timeout(Duration::from_secs(5));
    code
}

/// A cancellation token cancelled by the first Ctrl-C or SIGTERM.
fn stop_on_signal() -> eyre::Result<CancellationToken> {
    let stop = CancellationToken::new();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let token = stop.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => info!(target: "op_reth_light::devnet", "Ctrl-C: stopping"),
            _ = term.recv() => info!(target: "op_reth_light::devnet", "SIGTERM: stopping"),
        }
        token.cancel();
    });
    Ok(stop)
}

/// The chains of `dir`: read back when an earlier start wrote them, else created now.
fn chains_in(dir: &Path, args: &DevnetArgs) -> eyre::Result<(ChainFiles, DevnetChains)> {
    let files = ChainFiles::in_dir(dir);
    if files.exist() {
        let chains = DevnetChains::read(&files)?;
        let r = &chains.rollup;
        if (r.l1_chain_id, r.l2_chain_id, r.block_time)
            != (args.l1_chain_id, args.l2_chain_id, args.block_time)
        {
            warn!(target: "op_reth_light::devnet", l1_chain_id = r.l1_chain_id, l2_chain_id = r.l2_chain_id, block_time = r.block_time, "the datadir holds chains made with other flags: they continue as made");
        }
        info!(target: "op_reth_light::devnet", dir = %dir.display(), "continuing the chains of the datadir");
        return Ok((files, chains));
    }
    let t0 = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let chains = DevnetChains::new(args.l1_chain_id, args.l2_chain_id, args.block_time, t0);
    chains.write(&files)?;
    Ok((files, chains))
}

/// The JWT secret of `dir`, created on the first start.
fn jwt_in(dir: &Path) -> eyre::Result<PathBuf> {
    let path = dir.join("jwt.hex");
    if !path.exists() {
        std::fs::write(&path, alloy_primitives::hex::encode(B256::random()))?;
    }
    Ok(path)
}

async fn devnet(args: DevnetArgs) -> eyre::Result<bool> {
    let ports = Ports::new(args.ports, args.followers as usize);
    check_ports(&ports)?;
    let temp = match &args.datadir {
        Some(_) => None,
        None => Some(tempfile::Builder::new().prefix("op-reth-light-devnet-").tempdir()?),
    };
    let dir = args.datadir.clone().unwrap_or_else(|| temp.as_ref().unwrap().path().to_path_buf());
    check_datadir(&dir)?;
    let (files, chains) = chains_in(&dir, &args)?;
    let jwt = jwt_in(&dir)?;
    let stop = stop_on_signal()?;

    let tasks = TaskManager::current();
    let mut nodes: Vec<NodeProcess> = Vec::new();
    let started = tokio::select! {
        r = start(&args, &ports, &dir, &files, &chains, jwt, &tasks, &mut nodes, &stop) => r,
        _ = stop.cancelled() => Ok(None),
    };
    let mut clean = true;
    match started {
        Ok(Some(mut started)) => {
            println!("{}", started.banner.render());
            clean = watch(&mut nodes, &mut started.progress, &stop, chains.rollup.block_time).await;
        }
        Ok(None) => {}
        Err(e) => {
            error!(target: "op_reth_light::devnet", "{e:#}");
            clean = false;
        }
    }
    stop.cancel();
    // Followers first, then the sequencer, then L1.
    let stops = nodes.into_iter().rev().map(|n| n.stop(STOP_GRACE));
    clean &= futures::future::join_all(stops).await.into_iter().all(|ok| ok);
    tasks.graceful_shutdown_with_timeout(Duration::from_secs(5));
    if let Some(temp) = temp {
        let path = temp.path().display().to_string();
        temp.close()?;
        info!(target: "op_reth_light::devnet", %path, "removed the temporary datadir");
    }
    info!(target: "op_reth_light::devnet", clean, "devnet stopped");
    Ok(clean)
}

/// Starts L1, the dev source, the sequencer and the followers (pushed onto `nodes` as they
/// start, so that whatever started is stopped).
#[allow(clippy::too_many_arguments)]
async fn start(
    args: &DevnetArgs,
    ports: &Ports,
    dir: &Path,
    files: &ChainFiles,
    chains: &DevnetChains,
    jwt: PathBuf,
    tasks: &TaskManager,
    nodes: &mut Vec<NodeProcess>,
    stop: &CancellationToken,
) -> eyre::Result<Option<Started>> {
    let exe = std::env::current_exe()?;
    let rollup = &chains.rollup;
    let l1 = start_l1(&dir.join("l1"), chains.l1_spec(), args.l1_block_time, Some(ports.l1), tasks)
        .await?;
    let l1_url =
        l1.node.rpc_server_handle().http_url().ok_or_else(|| eyre::eyre!("L1 has no HTTP RPC"))?;
    info!(target: "op_reth_light::devnet", %l1_url, "L1 started");

    // The dev source reads the sequencer over its RPC and L1; it serves "not ready" until then.
    let seq_url = format!("http://127.0.0.1:{}", ports.sequencer.http);
    let seq_chain = || -> eyre::Result<ExecutionSource> {
        Ok(ExecutionSource::new(
            L2Client::new(seq_url.parse()?, DEFAULT_L2_TIMEOUT)?,
            rollup.genesis.clone(),
        ))
    };
    let interval = args.l1_block_time.min(Duration::from_secs(1));
    let source = DevSource::new(
        seq_chain()?,
        L1Client::new(l1_url.parse()?, DEFAULT_L1_TIMEOUT)?,
        rollup.genesis_l2_ref(),
        interval,
    );
    let rpc = OptimismRpc::new(
        source.subscribe(),
        Arc::new(rollup.clone()),
        light_cl::dev_source::DEV_SOURCE_VERSION,
        NoOutputs,
    );
    let (source_addr, server) =
        serve(SocketAddr::from((Ipv4Addr::LOCALHOST, ports.dev_source)), rpc).await?;
    let source_url = format!("http://{source_addr}");
    let token = stop.clone();
    tokio::spawn(async move {
        token.cancelled().await;
        let _ = server.stop();
    });

    // CL gossip: the sequencer signs with the devnet's P2P key; its peer id is known before it
    // starts (its node key is made now), so the followers can name it as their static peer.
    let seq_dir = dir.join("sequencer");
    let key = dir.join("p2p-sequencer.key");
    if !key.exists() {
        light_cl_p2p::write_private(&key, DEVNET_P2P_KEY)?;
    }
    let signer = devnet_signer().to_string();
    let seq_peer = light_cl_p2p::load_or_create(&seq_dir.join(crate::p2p::NODE_KEY_FILE))?
        .public()
        .to_peer_id();
    let gossip = format!("/ip4/127.0.0.1/tcp/{}/p2p/{seq_peer}", ports.sequencer.gossip);
    let shared =
        Shared { files: files.clone(), jwt, l1_url: l1_url.clone(), signer: signer.clone() };
    let publish_to =
        ports.followers.iter().map(|p| format!("http://127.0.0.1:{}", p.auth)).collect();
    let role = Role::Sequencer { source: source_url.clone(), publish_to, key };
    let args_of = node_args(&seq_dir, ports.sequencer, &shared, &role);
    nodes.push(NodeProcess::spawn(
        &exe,
        "sequencer".into(),
        &seq_dir,
        ports.sequencer.http,
        args_of,
    )?);
    nodes[0].ready(rollup.l2_chain_id, START_TIMEOUT).await?;
    let start_head = seq_chain()?.head().await?;
    info!(target: "op_reth_light::devnet", number = start_head.number, hash = %start_head.hash, "sequencer started");
    tokio::spawn(source.run(stop.clone().cancelled_owned()));

    let info: Value = nodes[0].client().request("admin_nodeInfo", rpc_params![]).await?;
    let enode = info["enode"].as_str().ok_or_else(|| eyre::eyre!("the sequencer has no enode"))?;
    // The node reports its listen address; the followers reach it on loopback.
    let id = enode.split('@').next().unwrap_or(enode);
    let enode = format!("{id}@127.0.0.1:{}", ports.sequencer.p2p);
    for (i, p) in ports.followers.iter().enumerate() {
        let name = format!("follower {}", i + 1);
        let fdir = dir.join(format!("follower-{}", i + 1));
        let role = Role::Follower {
            sequencer: seq_url.clone(),
            enode: enode.clone(),
            gossip: gossip.clone(),
        };
        let args_of = node_args(&fdir, *p, &shared, &role);
        nodes.push(NodeProcess::spawn(&exe, name, &fdir, p.http, args_of)?);
    }
    for node in nodes.iter_mut().skip(1) {
        node.ready(rollup.l2_chain_id, START_TIMEOUT).await?;
    }

    let node_ports = std::iter::once(&ports.sequencer).chain(&ports.followers);
    let banner = Banner {
        l1_url,
        source_url,
        l1_chain_id: rollup.l1_chain_id,
        l2_chain_id: rollup.l2_chain_id,
        block_time: rollup.block_time,
        nodes: nodes
            .iter()
            .zip(node_ports)
            .map(|(n, p)| BannerNode {
                name: n.name.clone(),
                http: n.http.clone(),
                metrics: format!("http://127.0.0.1:{}/metrics", p.metrics),
                log: n.log.display().to_string(),
            })
            .collect(),
        gossip: gossip.clone(),
        signer,
        accounts: dev_accounts(),
        datadir: dir.display().to_string(),
        temporary: args.datadir.is_none(),
    };
    let followers = nodes.iter().skip(1).map(|n| n.client()).collect();
    let progress = Progress::new(nodes[0].client(), seq_chain()?, followers, start_head.number);
    Ok(Some(Started { banner, progress, _l1: l1 }))
}

/// A started devnet: what to show and watch, and L1's handle, kept until the end.
struct Started {
    banner: Banner,
    progress: Progress,
    _l1: L1Handle,
}

/// Logs progress until `stop` or a node exits; whether every node was still running.
async fn watch(
    nodes: &mut [NodeProcess],
    progress: &mut Progress,
    stop: &CancellationToken,
    block_time: u64,
) -> bool {
    let mut tick =
        tokio::time::interval(Duration::from_millis(250).min(Duration::from_secs(block_time) / 4));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return true,
            _ = tick.tick() => {}
        }
        for node in nodes.iter_mut() {
            if let Ok(Some(status)) = node.exited() {
                error!(target: "op_reth_light::devnet", name = %node.name, %status, "a node exited; stopping the devnet{}", node.log_tail());
                return false;
            }
        }
        progress.poll().await;
    }
}
