//! The devnet's op-reth-light nodes, each its own process of this binary: each has its own
//! Prometheus endpoint (reth's metrics recorder is global to a process) and its own log file,
//! and stops like any node on SIGINT.

use super::{args::NodePorts, chain::ChainFiles};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::{ExitStatus, Stdio},
    time::{Duration, Instant},
};
use tokio::process::{Child, Command};
use tracing::{info, warn};

/// What the devnet's nodes share: the chain files and the Engine API secret.
#[derive(Debug, Clone)]
pub(super) struct Shared {
    /// The chains' files.
    pub(super) files: ChainFiles,
    /// The JWT secret of every node's auth RPC (the sequencer pushes blocks with it).
    pub(super) jwt: PathBuf,
    /// L1's RPC URL.
    pub l1_url: String,
    /// The chain's unsafe block signer (the sequencer's P2P key's address), given with
    /// `--p2p.unsafe-block-signer`: a devnet created before its L1 genesis held the signer
    /// has nothing to read it from.
    pub(super) signer: String,
}

/// How a node of the devnet runs.
#[derive(Debug, Clone)]
pub(super) enum Role {
    /// The sequencer: follows the dev source, gossips its blocks and pushes them to the
    /// followers' auth RPCs.
    Sequencer {
        /// The dev source's URL.
        source: String,
        /// The followers' auth RPC URLs.
        publish_to: Vec<String>,
        /// The file of its P2P signing key.
        key: PathBuf,
    },
    /// A follower of the sequencer: its `optimism_syncStatus`, its gossip, its pushed blocks,
    /// its devp2p.
    Follower {
        /// The sequencer's HTTP RPC URL.
        sequencer: String,
        /// The sequencer's enode.
        enode: String,
        /// The sequencer's gossip address (multiaddr with its peer id).
        gossip: String,
    },
}

/// The command line of a devnet node (after `op-reth-light`).
pub(super) fn node_args(
    dir: &Path,
    ports: NodePorts,
    shared: &Shared,
    role: &Role,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |a: &str, v: &dyn AsRef<std::ffi::OsStr>| {
        args.push(a.into());
        args.push(v.as_ref().to_owned());
    };
    push("--chain", &shared.files.l2_genesis);
    push("--datadir", &dir);
    push("--http.addr", &"127.0.0.1");
    push("--http.port", &ports.http.to_string());
    push("--authrpc.addr", &"127.0.0.1");
    push("--authrpc.port", &ports.auth.to_string());
    push("--authrpc.jwtsecret", &shared.jwt);
    push("--addr", &"127.0.0.1");
    push("--port", &ports.p2p.to_string());
    push("--metrics", &format!("127.0.0.1:{}", ports.metrics));
    push("--log.file.max-files", &"0");
    push("--color", &"never");
    push("--rollup.l1-rpc", &shared.l1_url);
    push("--rollup.config", &shared.files.rollup);
    push("--p2p.listen.ip", &"127.0.0.1");
    push("--p2p.listen.tcp", &ports.gossip.to_string());
    push("--p2p.unsafe-block-signer", &shared.signer);
    match role {
        Role::Sequencer { source, publish_to, key } => {
            push("--p2p.sequencer.key", key);
            push("--http.api", &"eth,net,web3,admin,debug,txpool");
            push("--rollup.follow-source", source);
            push("--rollup.l1-chain-config", &shared.files.l1_genesis);
            for url in publish_to {
                push("--rollup.publish-to", url);
            }
            if !publish_to.is_empty() {
                push("--rollup.publish-jwt-secret", &shared.jwt);
            }
        }
        Role::Follower { sequencer, enode, gossip } => {
            push("--p2p.static", gossip);
            push("--http.api", &"eth,net,web3,txpool");
            push("--rollup.follow-source", sequencer);
            push("--rollup.sequencer-http", sequencer);
            push("--trusted-peers", enode);
        }
    }
    let mut args: Vec<OsString> = ["node", "--http", "--disable-discovery", "--ipcdisable"]
        .into_iter()
        .map(OsString::from)
        .chain(args)
        .collect();
    match role {
        // Other rollup nodes (kona-node, op-node, another op-reth-light) can start discovery
        // from the sequencer's ENR.
        Role::Sequencer { .. } => args.push("--rollup.sequencing".into()),
        // The followers know the sequencer (`--trusted-peers`, `--p2p.static`).
        Role::Follower { .. } => args.push("--p2p.no-discovery".into()),
    }
    args
}

/// A running node of the devnet.
#[derive(Debug)]
pub(super) struct NodeProcess {
    /// "sequencer", "follower 1", …
    pub(super) name: String,
    /// Its HTTP RPC URL.
    pub(super) http: String,
    /// Its log file (stdout and stderr).
    pub(super) log: PathBuf,
    child: Child,
}

impl NodeProcess {
    /// Starts `exe` with `args` in its own process group (so a terminal's Ctrl-C reaches only
    /// the devnet, which stops its nodes in order), output appended to `dir/node.log`.
    pub(super) fn spawn(
        exe: &Path,
        name: String,
        dir: &Path,
        http_port: u16,
        args: Vec<OsString>,
    ) -> eyre::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let log = dir.join("node.log");
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        let mut command = Command::new(exe);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0)
            .kill_on_drop(true);
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to SIGKILL the node
        // when the devnet process dies without stopping it.
        #[cfg(target_os = "linux")]
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = command.spawn().map_err(|e| eyre::eyre!("starting {name}: {e}"))?;
        info!(target: "op_reth_light::devnet", %name, log = %log.display(), "started");
        Ok(Self { name, http: format!("http://127.0.0.1:{http_port}"), log, child })
    }

    /// An RPC client of the node.
    pub(super) fn client(&self) -> HttpClient {
        HttpClient::builder()
            .request_timeout(Duration::from_secs(5))
            .build(&self.http)
            .expect("a valid loopback URL")
    }

    /// Waits until the node answers `eth_chainId` with `chain_id`; fails when it exits first
    /// or `timeout` passes.
    pub(super) async fn ready(&mut self, chain_id: u64, timeout: Duration) -> eyre::Result<()> {
        let client = self.client();
        let start = Instant::now();
        loop {
            if let Some(status) = self.exited()? {
                eyre::bail!("{} exited ({status}) while starting{}", self.name, self.log_tail());
            }
            let id: Result<alloy_primitives::U64, _> =
                client.request("eth_chainId", rpc_params![]).await;
            match id {
                Ok(id) if id.to::<u64>() == chain_id => return Ok(()),
                Ok(id) => eyre::bail!("{} serves chain {id}, not {chain_id}", self.name),
                Err(_) if start.elapsed() < timeout => {
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                Err(e) => eyre::bail!(
                    "{} did not answer in {timeout:?}: {e}{}",
                    self.name,
                    self.log_tail()
                ),
            }
        }
    }

    /// Its exit status, if it exited.
    pub(super) fn exited(&mut self) -> eyre::Result<Option<ExitStatus>> {
        Ok(self.child.try_wait()?)
    }

    /// The last lines of its log, for an error.
    pub(super) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(10)..].join("\n  ");
        format!("; the end of {}:\n  {tail}", self.log.display())
    }

    /// Asks it to stop (SIGINT, as Ctrl-C would), waits up to `grace`, then kills it. Whether
    /// it stopped cleanly.
    pub(super) async fn stop(mut self, grace: Duration) -> bool {
        if let Ok(Some(status)) = self.child.try_wait() {
            warn!(target: "op_reth_light::devnet", name = %self.name, %status, "had already exited");
            return false;
        }
        if let Some(pid) = self.child.id() {
            // SAFETY: kill(2) with a pid we own and a valid signal.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
        }
        match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(Ok(status)) if status.success() => {
                info!(target: "op_reth_light::devnet", name = %self.name, "stopped");
                true
            }
            Ok(Ok(status)) => {
                warn!(target: "op_reth_light::devnet", name = %self.name, %status, "stopped with an error");
                false
            }
            Ok(Err(e)) => {
                warn!(target: "op_reth_light::devnet", name = %self.name, %e, "waiting for it failed");
                false
            }
            Err(_) => {
                warn!(target: "op_reth_light::devnet", name = %self.name, ?grace, "did not stop in time; killed");
                let _ = self.child.kill().await;
                false
            }
        }
    }
}
