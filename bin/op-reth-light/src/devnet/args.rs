//! `op-reth-light devnet`'s arguments, the port layout they give, and the checks made before
//! anything starts.

use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::{Path, PathBuf},
    time::Duration,
};

/// The most followers a devnet runs (each is a whole op-reth).
pub const MAX_FOLLOWERS: usize = 8;

/// `op-reth-light devnet`: a whole local OP chain (a reth dev L1, a light-CL sequencer, light-CL
/// followers) in one command. Its dev source does not derive: see the book's "Devnet".
#[derive(Debug, Clone, PartialEq, Eq, clap::Parser)]
#[command(name = "op-reth-light devnet", version = crate::VERSION)]
pub struct DevnetArgs {
    /// Where the chains and every node's data live; a later start with the same directory
    /// continues the same chains. Without it, a temporary directory is used and removed on exit.
    #[arg(long, value_name = "DIR")]
    pub datadir: Option<PathBuf>,

    /// Time between L1 blocks.
    #[arg(long = "devnet.l1-block-time", value_name = "DURATION", default_value = "2s", value_parser = parse_block_time)]
    pub l1_block_time: Duration,

    /// Seconds between L2 blocks (the rollup config's block time).
    #[arg(long = "devnet.block-time", value_name = "SECONDS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub block_time: u64,

    /// How many light-CL followers run beside the sequencer.
    #[arg(long = "devnet.followers", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=MAX_FOLLOWERS as u64))]
    pub followers: u64,

    /// The first of the devnet's ports; see [`Ports`] (the book lists them). The default keeps
    /// clear of a normal node's 8545, 8551, 30303 and 9001.
    #[arg(long = "devnet.ports", value_name = "PORT", default_value_t = 18545, value_parser = clap::value_parser!(u16).range(1024..=65000))]
    pub ports: u16,

    /// L1's chain id (only read when the chains are created).
    #[arg(long = "devnet.l1-chain-id", value_name = "ID", default_value_t = 900)]
    pub l1_chain_id: u64,

    /// L2's chain id (only read when the chains are created).
    #[arg(long = "devnet.l2-chain-id", value_name = "ID", default_value_t = 901)]
    pub l2_chain_id: u64,
}

fn parse_block_time(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| e.to_string())?;
    if d < Duration::from_millis(100) {
        return Err("the L1 block time must be at least 100ms".into());
    }
    Ok(d)
}

/// The ports of one op-reth node of the devnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodePorts {
    /// HTTP JSON-RPC (eth, optimism, …).
    pub http: u16,
    /// Engine API (authenticated; the sequencer pushes blocks to followers there).
    pub auth: u16,
    /// devp2p (TCP; discovery is off).
    pub p2p: u16,
    /// Prometheus metrics.
    pub metrics: u16,
    /// CL gossip (libp2p TCP, the `--p2p.*` network).
    pub gossip: u16,
}

/// Every port of the devnet, from a base `B`: L1's RPC at `B`, the dev source at `B + 1`, the
/// sequencer's HTTP, auth, p2p, metrics and gossip ports at `B + 10` to `B + 14`, follower `i`'s (from 1)
/// at `B + 10 + 10 i` onwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ports {
    /// L1's HTTP JSON-RPC.
    pub l1: u16,
    /// The dev source's rollup-node RPC.
    pub dev_source: u16,
    /// The sequencer's.
    pub sequencer: NodePorts,
    /// Each follower's.
    pub followers: Vec<NodePorts>,
}

impl Ports {
    /// The layout from `base` for `followers` followers.
    pub fn new(base: u16, followers: usize) -> Self {
        let node = |i: u16| {
            let b = base + 10 + 10 * i;
            NodePorts { http: b, auth: b + 1, p2p: b + 2, metrics: b + 3, gossip: b + 4 }
        };
        Self {
            l1: base,
            dev_source: base + 1,
            sequencer: node(0),
            followers: (1..=followers as u16).map(node).collect(),
        }
    }

    /// Every port with what it is for.
    pub fn all(&self) -> Vec<(u16, String)> {
        let mut all = vec![(self.l1, "L1 RPC".to_string()), (self.dev_source, "dev source".into())];
        let nodes = std::iter::once(("sequencer".to_string(), self.sequencer)).chain(
            self.followers.iter().enumerate().map(|(i, p)| (format!("follower {}", i + 1), *p)),
        );
        for (name, p) in nodes {
            all.push((p.http, format!("{name} HTTP RPC")));
            all.push((p.auth, format!("{name} auth RPC")));
            all.push((p.p2p, format!("{name} p2p")));
            all.push((p.metrics, format!("{name} metrics")));
            all.push((p.gossip, format!("{name} gossip")));
        }
        all
    }
}

/// Why the devnet did not start.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// A port of the layout cannot be bound on loopback.
    #[error("port {port} ({what}) is not free on 127.0.0.1: {source}; pick other ports with --devnet.ports")]
    PortInUse {
        /// The port.
        port: u16,
        /// What the devnet wanted it for.
        what: String,
        /// The bind error.
        source: std::io::Error,
    },
    /// The datadir cannot be created or written.
    #[error("the datadir {path} is not writable: {source}")]
    Datadir {
        /// The directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Checks that every port is free, by binding each on loopback.
pub(super) fn check_ports(ports: &Ports) -> Result<(), PreflightError> {
    for (port, what) in ports.all() {
        TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .map_err(|source| PreflightError::PortInUse { port, what, source })?;
    }
    Ok(())
}

/// Creates `dir` if needed and checks that a file can be written in it.
pub(super) fn check_datadir(dir: &Path) -> Result<(), PreflightError> {
    let err = |source| PreflightError::Datadir { path: dir.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(err)?;
    let probe = dir.join(".write-probe");
    std::fs::write(&probe, b"").map_err(err)?;
    std::fs::remove_file(&probe).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn defaults_and_layout() {
        let args = DevnetArgs::parse_from(["devnet"]);
        assert_eq!((args.block_time, args.followers, args.ports), (2, 1, 18545));
        assert_eq!(args.l1_block_time, Duration::from_secs(2));
        let ports = Ports::new(args.ports, 2);
        assert_eq!((ports.l1, ports.dev_source), (18545, 18546));
        assert_eq!(
            ports.sequencer,
            NodePorts { http: 18555, auth: 18556, p2p: 18557, metrics: 18558, gossip: 18559 }
        );
        assert_eq!(ports.followers[1].http, 18575);
        let all = ports.all();
        let mut unique: Vec<u16> = all.iter().map(|(p, _)| *p).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "no port is used twice");
    }

    #[test]
    fn wrong_values_are_refused() {
        for bad in [
            vec!["devnet", "--devnet.block-time", "0"],
            vec!["devnet", "--devnet.l1-block-time", "0s"],
            vec!["devnet", "--devnet.followers", "9"],
            vec!["devnet", "--devnet.ports", "80"],
        ] {
            assert!(DevnetArgs::try_parse_from(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_taken_port_is_named() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let mut ports = Ports::new(20000, 0);
        ports.sequencer.p2p = port;
        let err = check_ports(&ports).unwrap_err().to_string();
        assert!(err.contains(&format!("port {port} (sequencer p2p)")), "{err}");
    }

    #[test]
    fn a_datadir_under_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let err = check_datadir(&file.join("devnet")).unwrap_err().to_string();
        assert!(err.contains("is not writable"), "{err}");
        check_datadir(&dir.path().join("fresh")).unwrap();
    }
}
