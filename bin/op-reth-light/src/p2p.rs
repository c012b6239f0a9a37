//! CL gossip in the binary: the `--p2p.*` flags ("Rollup P2P"), checked before launch, and the
//! gossip node, started once the rollup config is known. Received blocks go to the engine owner
//! (through the sequencer on a sequencing node); a sequencer with a key publishes every sealed
//! block. The book's "CL gossip" chapter documents all of it.

use alloy_primitives::Address;
use eyre::WrapErr;
use futures::future::BoxFuture;
use light_cl::{gossip::ProposalTarget, sequencer::Publish};
use light_cl_p2p::{
    libp2p::{multiaddr::Protocol, Multiaddr},
    BlockPublisher, BootNode, DiscoveryConfig, GossipConfig, GossipHandle, SequencerKey,
    SignerError, SignerSource,
};
use light_cl_protocol::RollupConfig;
use light_cl_rpc::L1Client;
use op_alloy_rpc_types_engine::OpExecutionData;
use std::{net::IpAddr, path::PathBuf, time::Duration};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// The environment variable that may hold the sequencer's P2P signing key (hex), instead of
/// `--p2p.sequencer.key`.
pub const SEQUENCER_KEY_ENV: &str = "OP_RETH_LIGHT_P2P_SEQUENCER_KEY";

/// The node key's file name in the datadir, as op-node names it.
pub const NODE_KEY_FILE: &str = "opnode_p2p_priv.txt";

/// How often the unsafe block signer is read again from the SystemConfig on L1.
const SIGNER_INTERVAL: Duration = Duration::from_secs(12);

/// How long to wait before reading the signer again when L1 did not answer at start.
const SIGNER_RETRY: Duration = Duration::from_secs(5);

/// The rollup-node P2P network (CL gossip of unsafe blocks), named like op-node's flags.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
#[command(next_help_heading = "Rollup P2P")]
pub struct P2pArgs {
    /// Do not join the rollup-node P2P network: no unsafe blocks by gossip, none published
    /// there.
    #[arg(long = "p2p.disable")]
    pub disable: bool,

    /// IP address to listen on for rollup-node peers.
    #[arg(long = "p2p.listen.ip", value_name = "IP", default_value = "0.0.0.0")]
    pub listen_ip: IpAddr,

    /// TCP port to listen on for rollup-node peers (0: any free port).
    #[arg(long = "p2p.listen.tcp", value_name = "PORT", default_value_t = 9222)]
    pub listen_tcp: u16,

    /// UDP port of discovery (discv5); 0: the port TCP listens on.
    #[arg(
        id = "p2p_listen_udp",
        long = "p2p.listen.udp",
        value_name = "PORT",
        default_value_t = 0
    )]
    pub listen_udp: u16,

    /// IP address put in this node's discovery record (ENR), where other nodes dial it.
    /// Default: `--p2p.listen.ip` unless it is 0.0.0.0; else none until discovery's peers
    /// agree on this node's address.
    #[arg(id = "p2p_advertise_ip", long = "p2p.advertise.ip", value_name = "IP")]
    pub advertise_ip: Option<IpAddr>,

    /// Nodes discovery starts from: ENRs (`enr:-…`) or enode URLs, comma-separated or
    /// repeated. Default: the list op-node ships, on OP Mainnet and OP Sepolia; none on other
    /// chains.
    #[arg(id = "p2p_bootnodes", long = "p2p.bootnodes", value_name = "ENR", value_delimiter = ',')]
    pub bootnodes: Vec<BootNode>,

    /// Do not run discovery (discv5): peers are only the `--p2p.static` ones and those that
    /// dial this node.
    #[arg(id = "p2p_no_discovery", long = "p2p.no-discovery")]
    pub no_discovery: bool,

    /// Dial nodes found by discovery while fewer than N peers are connected (op-node's
    /// low-water mark).
    #[arg(id = "p2p_peers_lo", long = "p2p.peers.lo", value_name = "N", default_value_t = light_cl_p2p::DEFAULT_PEERS_LO)]
    pub peers_lo: u32,

    /// Rollup-node peers to stay connected to, as multiaddrs ending in `/p2p/<peer id>`
    /// (e.g. `/ip4/10.0.0.2/tcp/9222/p2p/16Uiu2…`); dialled at start and again while not
    /// connected. Comma-separated or repeated.
    #[arg(long = "p2p.static", value_name = "MULTIADDR", value_delimiter = ',')]
    pub static_peers: Vec<Multiaddr>,

    /// At most this many inbound rollup-node connections (named like op-node's high-water
    /// mark, but a hard cap on inbound only): more are refused, and counted in
    /// `light_cl_p2p_refused_total`. The static peers this node dials do not count.
    #[arg(long = "p2p.peers.hi", value_name = "N", default_value_t = light_cl_p2p::DEFAULT_MAX_INBOUND)]
    pub peers_hi: u32,

    /// How peers are scored on gossip: `light` (op-node's parameters: an invalid block lowers
    /// its sender's score, and a low score stops gossip with it) or `none`.
    #[arg(id = "p2p_scoring", long = "p2p.scoring", value_name = "LEVEL", default_value = "light")]
    pub scoring: ScoringLevel,

    /// Ban peers whose score falls below -100 for an hour: disconnected, refused when they
    /// come back (static peers are never banned). Needs `--p2p.scoring light`.
    #[arg(id = "p2p_ban_peers", long = "p2p.ban.peers", value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub ban_peers: bool,

    /// File of this node's P2P key (secp256k1, hex), which gives its peer id. Created on first
    /// start, readable by its owner only. Default: `opnode_p2p_priv.txt` in the datadir.
    #[arg(long = "p2p.priv.path", value_name = "PATH")]
    pub priv_path: Option<PathBuf>,

    /// File holding the sequencer's P2P signing key (hex): every sealed block is signed with
    /// it and published. Its address must be the chain's unsafe block signer. The key may
    /// instead be given in the environment variable `OP_RETH_LIGHT_P2P_SEQUENCER_KEY`. Only
    /// with `--rollup.sequencing`.
    #[arg(long = "p2p.sequencer.key", value_name = "PATH")]
    pub sequencer_key: Option<PathBuf>,

    /// A sequencer without a signing key: receive gossip but publish nothing there (blocks
    /// still go to `--rollup.publish-to`).
    #[arg(long = "p2p.no-publish")]
    pub no_publish: bool,

    /// Trust blocks signed by this address, instead of reading the chain's unsafe block signer
    /// from its SystemConfig on L1 (and keeping it current). Needed without
    /// `--rollup.l1-rpc`.
    #[arg(long = "p2p.unsafe-block-signer", value_name = "ADDRESS")]
    pub unsafe_block_signer: Option<Address>,
}

/// The peer scoring levels of `--p2p.scoring`, op-node's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ScoringLevel {
    /// op-node's light peer scoring.
    #[default]
    Light,
    /// No peer scoring.
    None,
}

impl Default for P2pArgs {
    fn default() -> Self {
        Self {
            disable: false,
            listen_ip: IpAddr::from([0, 0, 0, 0]),
            listen_tcp: 9222,
            listen_udp: 0,
            advertise_ip: None,
            bootnodes: Vec::new(),
            no_discovery: false,
            peers_lo: light_cl_p2p::DEFAULT_PEERS_LO,
            static_peers: Vec::new(),
            peers_hi: light_cl_p2p::DEFAULT_MAX_INBOUND,
            scoring: ScoringLevel::Light,
            ban_peers: true,
            priv_path: None,
            sequencer_key: None,
            no_publish: false,
            unsafe_block_signer: None,
        }
    }
}

impl P2pArgs {
    /// P2P turned off, for nodes that must not listen (tests, a second node on one machine).
    pub fn disabled() -> Self {
        Self { disable: true, ..Self::default() }
    }

    /// Where the node listens.
    pub fn listen(&self) -> Multiaddr {
        Multiaddr::from(self.listen_ip).with(Protocol::Tcp(self.listen_tcp))
    }
}

/// Why the `--p2p.*` flags cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum P2pArgsError {
    /// A sequencer on the P2P network with no key to sign its blocks.
    #[error("--rollup.sequencing with P2P on needs a signing key: give --p2p.sequencer.key <PATH> (or set OP_RETH_LIGHT_P2P_SEQUENCER_KEY), or --p2p.no-publish to publish nothing on P2P, or --p2p.disable")]
    SequencerWithoutKey,
    /// A signing key on a node that does not sequence.
    #[error("--p2p.sequencer.key is only for --rollup.sequencing")]
    KeyWithoutSequencing,
    /// Nowhere to read the unsafe block signer from.
    #[error("CL gossip needs the chain's unsafe block signer: give --rollup.l1-rpc (it is read from the SystemConfig) or --p2p.unsafe-block-signer, or turn P2P off with --p2p.disable")]
    NoSigner,
    /// A static peer without its peer id.
    #[error("--p2p.static {0} must end in /p2p/<peer id>")]
    StaticPeer(String),
}

/// What the `--p2p.*` flags ask for, checked before launch.
#[derive(Debug)]
pub(crate) struct P2pSetup {
    args: P2pArgs,
    key: Option<SequencerKey>,
}

impl P2pSetup {
    /// The setup, or `None` with `--p2p.disable`. Reads the sequencer key now, so a bad one
    /// stops the node before it starts.
    pub(crate) fn from_args(
        args: &P2pArgs,
        sequencing: bool,
        has_l1: bool,
    ) -> eyre::Result<Option<Self>> {
        if args.disable {
            return Ok(None);
        }
        if let Some(addr) =
            args.static_peers.iter().find(|a| light_cl_p2p::static_peer_id(a).is_none())
        {
            return Err(P2pArgsError::StaticPeer(addr.to_string()).into());
        }
        if !has_l1 && args.unsafe_block_signer.is_none() {
            return Err(P2pArgsError::NoSigner.into());
        }
        if !sequencing {
            if args.sequencer_key.is_some() {
                return Err(P2pArgsError::KeyWithoutSequencing.into());
            }
            return Ok(Some(Self { args: args.clone(), key: None }));
        }
        let key = match (&args.sequencer_key, std::env::var(SEQUENCER_KEY_ENV)) {
            (Some(path), _) => Some(SequencerKey::read(path).wrap_err("--p2p.sequencer.key")?),
            (None, Ok(hex)) => Some(SequencerKey::from_hex(&hex).wrap_err(SEQUENCER_KEY_ENV)?),
            (None, Err(_)) => None,
        };
        if key.is_none() && !args.no_publish {
            return Err(P2pArgsError::SequencerWithoutKey.into());
        }
        // --p2p.no-publish wins over a key.
        let key = key.filter(|_| !args.no_publish);
        Ok(Some(Self { args: args.clone(), key }))
    }

    /// Starts the gossip node for the chain of `config`: reads the unsafe block signer (from L1,
    /// retrying while L1 does not answer, or the override), then listens, dials the static
    /// peers and starts discovery. `None` when `stop` is cancelled first.
    pub(crate) async fn start(
        self,
        config: &RollupConfig,
        l1: Option<L1Client>,
        datadir: &std::path::Path,
        stop: &CancellationToken,
    ) -> eyre::Result<Option<Gossip>> {
        let source = match self.args.unsafe_block_signer {
            Some(signer) => SignerSource::Override(signer),
            None => SignerSource::SystemConfig(config.l1_system_config_address),
        };
        let signer = tokio::select! {
            signer = first_signer(source, l1.as_ref()) => signer?,
            () = stop.cancelled() => return Ok(None),
        };
        let key_path = self.args.priv_path.clone().unwrap_or_else(|| datadir.join(NODE_KEY_FILE));
        let keypair = light_cl_p2p::load_or_create(&key_path)?;
        let (handle, blocks) = light_cl_p2p::spawn(GossipConfig {
            chain_id: config.l2_chain_id,
            forks: config.forks,
            signer,
            listen: self.args.listen(),
            keypair: keypair.clone(),
            static_peers: self.args.static_peers.clone(),
            max_inbound: self.args.peers_hi,
            scoring: match self.args.scoring {
                ScoringLevel::Light => Some(light_cl_p2p::Scoring {
                    ban: self.args.ban_peers,
                    ..light_cl_p2p::Scoring::light(config.block_time)
                }),
                ScoringLevel::None => None,
            },
        })?;
        let enr = match self.discovery(config.l2_chain_id) {
            Some(discovery) => {
                let enr = light_cl_p2p::discovery::spawn(discovery, &keypair, handle.clone())
                    .await
                    .wrap_err("--p2p.listen.udp (or --p2p.no-discovery)");
                match enr {
                    Ok(enr) => Some(enr.to_base64()),
                    Err(e) => {
                        handle.shutdown().await;
                        return Err(e);
                    }
                }
            }
            None => None,
        };
        let publisher = self.key.map(|key| {
            if key.address() != signer {
                warn!(target: "light_cl::gossip", key = %key.address(), %signer, "the sequencer key is not the chain's unsafe block signer: peers will reject every block published");
            }
            BlockPublisher::new(handle.clone(), key, config.l2_chain_id, config.forks)
        });
        info!(target: "light_cl::gossip", peer_id = %handle.peer_id(), listen = %self.args.listen(), %signer, overridden = self.args.unsafe_block_signer.is_some(), static_peers = self.args.static_peers.len(), enr = enr.as_deref().unwrap_or("none (no discovery)"), publishing = publisher.is_some(), "CL gossip started");
        Ok(Some(Gossip { handle, blocks, publisher, source, l1 }))
    }

    /// What discovery runs with, unless `--p2p.no-discovery`: the bootnodes given, else the
    /// chain's built-in ones.
    fn discovery(&self, chain_id: u64) -> Option<DiscoveryConfig> {
        let args = &self.args;
        if args.no_discovery {
            return None;
        }
        let bootnodes = if args.bootnodes.is_empty() {
            light_cl_p2p::discovery::built_in(chain_id)
        } else {
            args.bootnodes.clone()
        };
        Some(DiscoveryConfig {
            chain_id,
            listen_ip: args.listen_ip,
            udp_port: args.listen_udp,
            advertise_ip: args.advertise_ip,
            bootnodes,
            peers_lo: args.peers_lo,
            interval: light_cl_p2p::discovery::FAST_INTERVAL,
        })
    }
}

/// The signer in force at L1's head, retried while L1 does not answer; a SystemConfig that
/// holds no signer is an error.
async fn first_signer(source: SignerSource, l1: Option<&L1Client>) -> eyre::Result<Address> {
    let l1 = match (source, l1) {
        (SignerSource::Override(signer), _) => return Ok(signer),
        (SignerSource::SystemConfig(_), Some(l1)) => l1,
        (SignerSource::SystemConfig(_), None) => return Err(P2pArgsError::NoSigner.into()),
    };
    loop {
        match source.signer_at_head(l1).await {
            Ok(Some((signer, _))) => return Ok(signer),
            Ok(None) => eyre::bail!("L1 has no latest block"),
            Err(SignerError::L1(e)) => {
                warn!(target: "light_cl::gossip", %e, "cannot read the unsafe block signer from L1; retrying");
                tokio::time::sleep(SIGNER_RETRY).await;
            }
            Err(e) => return Err(e).wrap_err("give --p2p.unsafe-block-signer, or --p2p.disable"),
        }
    }
}

/// A running gossip node and what the light CL takes from it.
#[derive(Debug)]
pub(crate) struct Gossip {
    handle: GossipHandle,
    blocks: mpsc::Receiver<OpExecutionData>,
    publisher: Option<BlockPublisher>,
    source: SignerSource,
    l1: Option<L1Client>,
}

impl Gossip {
    /// What the `opp2p_*` methods answer from.
    pub(crate) fn handle(&self) -> GossipHandle {
        self.handle.clone()
    }

    /// The sequencer's gossip publisher, when it has a key (taken once).
    pub(crate) fn take_publisher(&mut self) -> Option<Box<dyn Publish>> {
        self.publisher.take().map(|p| Box::new(GossipPublish(p)) as Box<dyn Publish>)
    }

    /// Hands received blocks to `target` and keeps the signer current, until `stop` is
    /// cancelled or the gossip node stops.
    pub(crate) async fn run(self, target: ProposalTarget, stop: CancellationToken) {
        let take = light_cl::gossip::take_gossip(self.blocks, target, stop.cancelled());
        let track = async {
            if let (SignerSource::SystemConfig(_), Some(l1)) = (self.source, self.l1) {
                light_cl_p2p::track_signer(
                    self.source,
                    l1,
                    self.handle.clone(),
                    SIGNER_INTERVAL,
                    stop.cancelled(),
                )
                .await;
            }
        };
        // The tracker ends only on stop (or with the node); the taker decides.
        tokio::join!(take, track);
    }
}

/// Gossip as one of the sequencer's publish targets.
#[derive(Debug)]
struct GossipPublish(BlockPublisher);

impl Publish for GossipPublish {
    fn kind(&self) -> &'static str {
        "gossip"
    }

    fn target(&self) -> String {
        format!("p2p as {}", self.0.signer())
    }

    fn publish<'a>(&'a self, payload: &'a OpExecutionData) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move { self.0.publish(payload).await.map_err(|e| e.to_string()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::LightArgs;
    use clap::{CommandFactory, Parser};
    use light_cl_p2p::discovery::OP_NODE_BOOTNODES;
    use reth_optimism_cli::{chainspec::OpChainSpecParser, Cli};

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        args: P2pArgs,
    }

    fn parse(argv: &[&str]) -> P2pArgs {
        let mut all = vec!["op-reth-light"];
        all.extend(argv);
        Cmd::try_parse_from(all).unwrap().args
    }

    fn peer() -> String {
        let id =
            light_cl_p2p::libp2p::identity::Keypair::generate_secp256k1().public().to_peer_id();
        format!("/ip4/127.0.0.1/tcp/9222/p2p/{id}")
    }

    #[test]
    fn every_flag_parses_and_the_defaults_are_op_nodes() {
        assert_eq!(parse(&[]), P2pArgs::default());
        assert_eq!(parse(&[]).listen().to_string(), "/ip4/0.0.0.0/tcp/9222");
        assert_eq!(parse(&[]).peers_hi, 30, "op-node's --p2p.peers.hi");
        assert_eq!(parse(&[]).peers_lo, 20, "op-node's --p2p.peers.lo");
        let bad = Cmd::try_parse_from(["op-reth-light", "--p2p.bootnodes", "enode://nope"]);
        assert!(bad.err().unwrap().to_string().contains("enode://nope"));
        let peer = peer();
        let args = parse(&[
            "--p2p.listen.ip",
            "127.0.0.1",
            "--p2p.listen.tcp",
            "0",
            "--p2p.static",
            &peer,
            "--p2p.priv.path",
            "/keys/node.txt",
            "--p2p.sequencer.key",
            "/keys/seq.txt",
            "--p2p.no-publish",
            "--p2p.unsafe-block-signer",
            "0xaaaa45d9549eda09e70937013520214382ffc4a2",
            "--p2p.peers.hi",
            "5",
            "--p2p.peers.lo",
            "3",
            "--p2p.listen.udp",
            "9333",
            "--p2p.advertise.ip",
            "203.0.113.7",
            "--p2p.bootnodes",
            &format!("{},{}", OP_NODE_BOOTNODES[0], OP_NODE_BOOTNODES[3]),
            "--p2p.no-discovery",
            "--p2p.scoring",
            "none",
            "--p2p.ban.peers",
            "false",
            "--p2p.disable",
        ]);
        assert_eq!((args.scoring, args.ban_peers), (ScoringLevel::None, false));
        assert_eq!((args.peers_hi, args.peers_lo, args.listen_udp), (5, 3, 9333));
        assert_eq!(args.advertise_ip, Some([203, 0, 113, 7].into()));
        assert_eq!(args.bootnodes.len(), 2);
        assert_eq!(args.bootnodes[1].to_string(), OP_NODE_BOOTNODES[3]);
        assert!(args.no_discovery);
        assert_eq!(args.listen().to_string(), "/ip4/127.0.0.1/tcp/0");
        assert_eq!(args.static_peers[0].to_string(), peer);
        assert_eq!(args.priv_path, Some("/keys/node.txt".into()));
        assert_eq!(args.sequencer_key, Some("/keys/seq.txt".into()));
        assert!(args.no_publish && args.disable);
        assert!(args.unsafe_block_signer.is_some());
    }

    #[test]
    fn settings_that_cannot_run_are_refused() {
        let refused = |args: &P2pArgs, sequencing, l1| {
            P2pSetup::from_args(args, sequencing, l1)
                .unwrap_err()
                .downcast::<P2pArgsError>()
                .unwrap()
        };
        let on = P2pArgs::default();
        assert!(P2pSetup::from_args(&P2pArgs::disabled(), true, false).unwrap().is_none());
        assert_eq!(refused(&on, false, false), P2pArgsError::NoSigner);
        assert!(P2pSetup::from_args(&on, false, true).unwrap().is_some());
        let pinned = P2pArgs { unsafe_block_signer: Some(Address::repeat_byte(1)), ..on.clone() };
        assert!(P2pSetup::from_args(&pinned, false, false).unwrap().is_some());
        let keyed = P2pArgs { sequencer_key: Some("/k".into()), ..on.clone() };
        assert_eq!(refused(&keyed, false, true), P2pArgsError::KeyWithoutSequencing);
        let no_id = P2pArgs { static_peers: vec!["/ip4/1.2.3.4/tcp/1".parse().unwrap()], ..on };
        assert!(matches!(refused(&no_id, false, true), P2pArgsError::StaticPeer(_)));
    }

    #[test]
    fn a_sequencer_needs_a_key_or_no_publish_and_a_bad_key_is_not_shown() {
        // The environment variable is not set in tests (checked: a set one would make this
        // test meaningless rather than wrong).
        if std::env::var(SEQUENCER_KEY_ENV).is_ok() {
            return;
        }
        let on = P2pArgs::default();
        let err = P2pSetup::from_args(&on, true, true).unwrap_err();
        assert_eq!(err.downcast::<P2pArgsError>().unwrap(), P2pArgsError::SequencerWithoutKey);
        let quiet = P2pArgs { no_publish: true, ..on.clone() };
        assert!(P2pSetup::from_args(&quiet, true, true).unwrap().unwrap().key.is_none());

        let dir = std::env::temp_dir().join(format!("p2p-args-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("seq.txt");
        let secret = "ab".repeat(31) + "zz";
        std::fs::write(&path, &secret).unwrap();
        let bad = P2pArgs { sequencer_key: Some(path.clone()), ..on.clone() };
        let err = format!("{:#}", P2pSetup::from_args(&bad, true, true).unwrap_err());
        assert!(err.contains("--p2p.sequencer.key") && !err.contains(&secret), "{err}");
        std::fs::write(&path, "11".repeat(32)).unwrap();
        let good = P2pArgs { sequencer_key: Some(path), ..on };
        let setup = P2pSetup::from_args(&good, true, true).unwrap().unwrap();
        assert!(!format!("{setup:?}").contains(&"11".repeat(32)), "Debug shows no key");
        assert!(setup.key.is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The `--p2p.*` flags live beside every reth flag of `op-reth-light node` without a
    /// clash (clap's own checks panic on a duplicate name or id: reth's discovery has a
    /// `bootnodes` too).
    #[test]
    fn no_flag_collides_with_reths() {
        let mut cmd = Cli::<OpChainSpecParser, LightArgs>::command();
        cmd.build();
        let node = cmd.find_subcommand_mut("node").expect("a node subcommand");
        node.clone().debug_assert();
        let longs: Vec<_> = node.get_arguments().filter_map(|a| a.get_long()).collect();
        for flag in [
            "p2p.disable",
            "p2p.static",
            "p2p.sequencer.key",
            "p2p.unsafe-block-signer",
            "p2p.bootnodes",
            "p2p.no-discovery",
            "p2p.listen.udp",
            "p2p.advertise.ip",
            "p2p.peers.lo",
            "p2p.scoring",
            "p2p.ban.peers",
        ] {
            assert_eq!(longs.iter().filter(|l| **l == flag).count(), 1, "{flag}");
        }
        let heading = node
            .get_arguments()
            .find(|a| a.get_long() == Some("p2p.listen.tcp"))
            .and_then(|a| a.get_help_heading());
        assert_eq!(heading, Some("Rollup P2P"));
    }
}
