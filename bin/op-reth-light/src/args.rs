//! Command-line arguments of the light CL, beside op-reth's `RollupArgs`.

use crate::p2p::P2pArgs;
use light_cl::SourceSpec;
use reth_optimism_node::args::RollupArgs;
use std::{path::PathBuf, time::Duration};
use url::Url;

/// op-reth's rollup arguments plus the light CL's.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct LightArgs {
    /// op-reth's own rollup arguments.
    #[command(flatten)]
    pub rollup: RollupArgs,
    /// The light CL's arguments.
    #[command(flatten)]
    pub light: FollowArgs,
}

/// Following a rollup node ("light CL"). Without `--rollup.follow-source` the node is plain
/// op-reth.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
#[command(next_help_heading = "Rollup")]
pub struct FollowArgs {
    /// RPC URL of a rollup node (op-node, kona-node or another op-reth-light) whose
    /// `optimism_syncStatus` this node follows, or, with an `el:` prefix, of an OP execution RPC
    /// whose `safe` and `finalized` blocks it follows (a URL without the prefix that has no
    /// `optimism_syncStatus` is found to be one). Enables the light CL. May be repeated: see
    /// `--rollup.follow-quorum`. Sources are named by their index in logs and metrics.
    #[arg(long = "rollup.follow-source", value_name = "URL")]
    pub follow_source: Vec<SourceSpec>,

    /// How many follow sources must vouch for a safe or finalized head before it is applied.
    #[arg(long = "rollup.follow-quorum", value_name = "K", default_value_t = 1)]
    pub follow_quorum: usize,

    /// L1 execution RPC URL; every answer of the follow sources is checked against it. Without
    /// it the node starts only with two sources or more and a quorum of two or more, whose
    /// agreement then replaces the L1 checks.
    #[arg(long = "rollup.l1-rpc", value_name = "URL")]
    pub l1_rpc: Option<Url>,

    /// Time between asks of the follow sources' `optimism_followInfo` (which finds cycles in
    /// the follow graph and this node's depth to a deriving node).
    #[arg(long = "rollup.follow-info-interval", value_name = "DURATION", default_value = "2m", value_parser = humantime::parse_duration)]
    pub follow_info_interval: Duration,

    /// Time between polls of the follow source. Default: twice the L2 block time.
    #[arg(long = "rollup.follow-interval", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub follow_interval: Option<Duration>,

    /// op-node's rollup.json for this chain. Without it, the rollup config is fetched from the
    /// follow source (`optimism_rollupConfig`) at start, retrying while the source is down.
    #[arg(long = "rollup.config", value_name = "PATH")]
    pub rollup_config: Option<PathBuf>,

    /// Extra HTTP header sent to the follow source, as `Name: value` (e.g. an
    /// `Authorization` header). May be repeated.
    #[arg(long = "rollup.follow-source-header", value_name = "NAME: VALUE")]
    pub follow_source_headers: Vec<String>,

    /// Time allowed for one request to the follow source.
    #[arg(long = "rollup.follow-source-timeout", value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub follow_source_timeout: Duration,

    /// Do not move the head to the follow source's unsafe head; follow only safe and finalized.
    #[arg(long = "rollup.follow-safe-only")]
    pub follow_safe_only: bool,

    /// L2 execution RPC URL of the (first) follow source: its op-geth or op-reth. When set,
    /// blocks that no devp2p peer serves are fetched from it and inserted, the source's unsafe
    /// head is checked against it to descend from ours, and the source's safe head must be
    /// there. Without it, the first `el:` source serves that purpose.
    #[arg(long = "rollup.follow-source-el", value_name = "URL", requires = "follow_source")]
    pub follow_source_el: Option<Url>,
    /// Sequencing.
    #[command(flatten)]
    pub sequencer: SequencerArgs,
    /// CL gossip.
    #[command(flatten)]
    pub p2p: P2pArgs,
}

/// Sequencing with the light CL: building, sealing and publishing blocks in-process.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
#[command(next_help_heading = "Rollup")]
pub struct SequencerArgs {
    /// Build blocks: this node is the chain's sequencer. Safe and finalized still come from the
    /// follow source, and building starts only once its safe head is applied here. Needs
    /// `--rollup.config`: the L1 anchor, deposit contract and SystemConfig address must not come
    /// from the follow source, whose answers L1 is there to check.
    #[arg(long = "rollup.sequencing", requires_all = ["follow_source", "rollup_config", "l1_rpc"])]
    pub sequencing: bool,
    /// Start with sequencing stopped; `admin_startSequencer` starts it.
    #[arg(long = "rollup.sequencer-stopped", requires = "sequencing")]
    pub stopped: bool,
    /// L1 blocks the next L1 origin must be below the L1 head.
    #[arg(long = "rollup.sequencer-l1-confs", value_name = "BLOCKS", default_value_t = light_cl::sequencer::DEFAULT_SEQUENCER_CONF_DEPTH)]
    pub l1_confs: u64,
    /// Pause building while the unsafe head is this many blocks ahead of the safe head
    /// (0: no limit).
    #[arg(long = "rollup.max-safe-lag", value_name = "BLOCKS", default_value_t = 0)]
    pub max_safe_lag: u64,
    /// Seal each block this long before its timestamp. The block with timestamp `T` starts at
    /// `T - block time` and the payload builder fills it until then (reth rebuilds it every
    /// `--builder.interval`); the margin leaves time to insert and publish it by `T`.
    #[arg(long = "rollup.sequencer-seal-margin", value_name = "DURATION", default_value = "50ms", value_parser = humantime::parse_duration)]
    pub seal_margin: Duration,
    /// Start each block at its own timestamp and seal it at once, with what the pool holds
    /// then: no fill window. This is how blocks were built before the fill window; it is kept
    /// to compare the two, and blocks appear after their timestamp.
    #[arg(
        long = "rollup.sequencer-seal-at-once",
        requires = "sequencing",
        conflicts_with = "seal_margin"
    )]
    pub seal_at_once: bool,
    /// Rollup node RPC URL that receives every sealed block with `admin_postUnsafePayload`,
    /// before the next block is built. May be repeated.
    #[arg(long = "rollup.publish-to", value_name = "URL", requires = "sequencing")]
    pub publish_to: Vec<Url>,
    /// JWT secret file (hex) for `--rollup.publish-to` targets behind an authenticated
    /// transport (an Engine API port).
    #[arg(long = "rollup.publish-jwt-secret", value_name = "PATH", requires = "publish_to")]
    pub publish_jwt_secret: Option<PathBuf>,
    /// Also serve the `admin_*` sequencer methods (`admin_startSequencer`,
    /// `admin_stopSequencer`, `admin_sequencerActive`, `admin_postUnsafePayload`) on the HTTP,
    /// WS and IPC RPC, without authentication. They are always served on the authenticated
    /// Engine API port. op-batcher with several `--rollup-rpc` endpoints needs them on the port
    /// it calls. Only with `--rollup.sequencing`: on a follower anyone reaching HTTP could post
    /// blocks.
    #[arg(long = "rollup.admin-on-http", requires = "sequencing")]
    pub admin_on_http: bool,
    /// Sequence behind op-conductor (high availability): start stopped until the conductor
    /// starts this node, build only while the conductor says it leads, and commit every sealed
    /// block to it before making it the head or publishing it. op-conductor calls the `admin_*`
    /// methods on the node's HTTP RPC, so this needs `--rollup.admin-on-http`.
    #[arg(long = "conductor.enabled", requires_all = ["sequencing", "admin_on_http"])]
    pub conductor_enabled: bool,
    /// op-conductor's RPC URL.
    #[arg(long = "conductor.rpc", value_name = "URL", default_value = light_cl_rpc::DEFAULT_CONDUCTOR_RPC)]
    pub conductor_rpc: Url,
    /// Timeout of each call to op-conductor (each is tried twice).
    #[arg(long = "conductor.rpc-timeout", value_name = "DURATION", default_value = "1s", value_parser = humantime::parse_duration)]
    pub conductor_rpc_timeout: Duration,
    /// L1 chain config (an L1 genesis.json, or just its `config` object) for the blob fee
    /// schedule, when L1 is neither Ethereum mainnet nor Sepolia.
    #[arg(long = "rollup.l1-chain-config", value_name = "PATH")]
    pub l1_chain_config: Option<PathBuf>,
}

impl Default for SequencerArgs {
    fn default() -> Self {
        Self {
            sequencing: false,
            stopped: false,
            l1_confs: light_cl::sequencer::DEFAULT_SEQUENCER_CONF_DEPTH,
            max_safe_lag: 0,
            seal_margin: light_cl::sequencer::DEFAULT_SEAL_MARGIN,
            seal_at_once: false,
            publish_to: Vec::new(),
            publish_jwt_secret: None,
            admin_on_http: false,
            conductor_enabled: false,
            conductor_rpc: light_cl_rpc::DEFAULT_CONDUCTOR_RPC.parse().expect("a valid URL"),
            conductor_rpc_timeout: light_cl_rpc::DEFAULT_CONDUCTOR_TIMEOUT,
            l1_chain_config: None,
        }
    }
}

impl FollowArgs {
    /// Refuses settings clap cannot check: zero durations, and those an argument list built in
    /// code could carry past clap's `requires`.
    pub fn check(&self) -> Result<(), ArgsError> {
        if self.follow_interval.is_some_and(|d| d.is_zero()) {
            return Err(ArgsError::Zero("--rollup.follow-interval"));
        }
        if self.follow_source_timeout.is_zero() {
            return Err(ArgsError::Zero("--rollup.follow-source-timeout"));
        }
        if self.follow_info_interval.is_zero() {
            return Err(ArgsError::Zero("--rollup.follow-info-interval"));
        }
        let sources = self.follow_source.len();
        if self.follow_quorum == 0 || self.follow_quorum > sources {
            return Err(ArgsError::Quorum { quorum: self.follow_quorum, sources });
        }
        if self.l1_rpc.is_none() && (sources < 2 || self.follow_quorum < 2) {
            return Err(ArgsError::WithoutL1 { quorum: self.follow_quorum, sources });
        }
        let el = light_cl_protocol::SourceKind::Execution;
        let rollup_nodes = self.follow_source.iter().filter(|s| s.kind != Some(el)).count();
        // `current_l1` needs K rollup nodes: op-batcher reads it from a sequencer.
        if self.sequencer.sequencing && rollup_nodes < self.follow_quorum {
            return Err(ArgsError::SequencerNeedsRollupSource { quorum: self.follow_quorum });
        }
        // Without L1 a fetched rollup config needs K rollup nodes serving the same one.
        if self.l1_rpc.is_none()
            && self.rollup_config.is_none()
            && rollup_nodes < self.follow_quorum
        {
            return Err(ArgsError::ConfigNeedsRollupSources { quorum: self.follow_quorum });
        }
        if self.sequencer.sequencing && self.l1_rpc.is_none() {
            return Err(ArgsError::SequencerNeedsL1);
        }
        if self.sequencer.sequencing && self.rollup_config.is_none() {
            return Err(ArgsError::SequencerNeedsConfig);
        }
        if self.sequencer.admin_on_http && !self.sequencer.sequencing {
            return Err(ArgsError::AdminWithoutSequencing);
        }
        Ok(())
    }
}

/// Light CL arguments that cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    /// A duration that must be above zero is zero.
    #[error("{0} must be above zero")]
    Zero(&'static str),
    /// `--rollup.sequencing` without `--rollup.config`.
    #[error("--rollup.sequencing needs --rollup.config: a sequencer must not take its L1 anchor, deposit contract and SystemConfig address from the follow source")]
    SequencerNeedsConfig,
    /// A quorum of zero or above the number of sources.
    #[error(
        "--rollup.follow-quorum {quorum} cannot be reached with {sources} --rollup.follow-source"
    )]
    Quorum {
        /// The quorum.
        quorum: usize,
        /// The number of sources.
        sources: usize,
    },
    /// No L1 RPC, and too few sources or too small a quorum to stand in for it.
    #[error("without --rollup.l1-rpc the sources' agreement replaces the L1 checks: give at least two --rollup.follow-source and --rollup.follow-quorum 2 or more (got {sources} sources, quorum {quorum})")]
    WithoutL1 {
        /// The quorum.
        quorum: usize,
        /// The number of sources.
        sources: usize,
    },
    /// A sequencer with fewer than K rollup-node sources (`current_l1`, which op-batcher reads,
    /// needs K of them).
    #[error("--rollup.sequencing needs at least {quorum} rollup-node --rollup.follow-source (the quorum): op-batcher reads current_l1, which an execution RPC (el:) does not have")]
    SequencerNeedsRollupSource {
        /// The quorum.
        quorum: usize,
    },
    /// Without L1 and `--rollup.config`, fewer than K rollup-node sources to agree on the
    /// fetched config.
    #[error("without --rollup.l1-rpc and --rollup.config, {quorum} rollup-node --rollup.follow-source (the quorum) must serve the same rollup config; give --rollup.config")]
    ConfigNeedsRollupSources {
        /// The quorum.
        quorum: usize,
    },
    /// A sequencer without L1.
    #[error("--rollup.sequencing needs --rollup.l1-rpc: L1 origins and deposits come from L1")]
    SequencerNeedsL1,
    /// `--rollup.admin-on-http` on a follower.
    #[error("--rollup.admin-on-http needs --rollup.sequencing: on a follower anyone reaching HTTP could post blocks")]
    AdminWithoutSequencing,
}

impl Default for FollowArgs {
    fn default() -> Self {
        Self {
            follow_source: Vec::new(),
            follow_quorum: 1,
            l1_rpc: None,
            follow_info_interval: light_cl::follow::DEFAULT_FOLLOW_INFO_INTERVAL,
            follow_interval: None,
            rollup_config: None,
            follow_source_headers: Vec::new(),
            follow_source_timeout: light_cl_rpc::DEFAULT_TIMEOUT,
            follow_safe_only: false,
            follow_source_el: None,
            sequencer: SequencerArgs::default(),
            p2p: P2pArgs::default(),
        }
    }
}

impl FollowArgs {
    /// The extra headers as name/value pairs; an entry without `:` is an error.
    pub fn headers(&self) -> Result<Vec<(String, String)>, String> {
        self.follow_source_headers
            .iter()
            .map(|h| {
                let (name, value) = h.split_once(':').ok_or_else(|| {
                    format!("--rollup.follow-source-header {h:?} is not `Name: value`")
                })?;
                Ok((name.trim().to_owned(), value.trim().to_owned()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        args: LightArgs,
    }

    #[test]
    fn parses_every_flag_beside_rollup_args() {
        let cmd = Cmd::try_parse_from([
            "op-reth-light",
            "--rollup.follow-source",
            "http://op-node:9545",
            "--rollup.follow-source",
            "el:https://mainnet.optimism.io",
            "--rollup.follow-quorum",
            "2",
            "--rollup.follow-info-interval",
            "30s",
            "--rollup.l1-rpc",
            "https://l1.example:8545",
            "--rollup.follow-interval",
            "250ms",
            "--rollup.config",
            "/etc/rollup.json",
            "--rollup.follow-source-header",
            "Authorization: Bearer x",
            "--rollup.follow-source-timeout",
            "2s",
            "--rollup.sequencer",
            "http://seq:8545",
            "--rollup.follow-source-el",
            "http://op-geth:8545",
            "--rollup.sequencing",
            "--rollup.sequencer-stopped",
            "--rollup.sequencer-l1-confs",
            "2",
            "--rollup.max-safe-lag",
            "1800",
            "--rollup.sequencer-seal-margin",
            "80ms",
            "--conductor.enabled",
            "--conductor.rpc",
            "http://conductor:8547",
            "--conductor.rpc-timeout",
            "2s",
            "--rollup.publish-to",
            "http://replica-1:9545",
            "--rollup.publish-to",
            "http://replica-2:8551",
            "--rollup.publish-jwt-secret",
            "/etc/jwt.hex",
            "--rollup.admin-on-http",
            "--rollup.l1-chain-config",
            "/etc/l1-genesis.json",
        ])
        .unwrap();
        let light = &cmd.args.light;
        assert_eq!(light.follow_source[0].url.as_str(), "http://op-node:9545/");
        assert_eq!(light.follow_source[1].kind, Some(light_cl_protocol::SourceKind::Execution));
        assert_eq!(light.follow_quorum, 2);
        assert_eq!(light.follow_info_interval, Duration::from_secs(30));
        assert_eq!(light.l1_rpc.as_ref().unwrap().host_str(), Some("l1.example"));
        assert_eq!(light.follow_interval, Some(Duration::from_millis(250)));
        assert_eq!(light.rollup_config, Some(PathBuf::from("/etc/rollup.json")));
        assert_eq!(light.headers().unwrap(), vec![("Authorization".into(), "Bearer x".into())]);
        assert_eq!(light.follow_source_timeout, Duration::from_secs(2));
        assert!(!light.follow_safe_only);
        assert_eq!(light.follow_source_el.as_ref().unwrap().host_str(), Some("op-geth"));
        assert_eq!(cmd.args.rollup.sequencer.as_deref(), Some("http://seq:8545"));
        let seq = &light.sequencer;
        assert!(seq.sequencing && seq.stopped && seq.admin_on_http);
        assert_eq!((seq.l1_confs, seq.max_safe_lag), (2, 1800));
        assert_eq!(seq.seal_margin, Duration::from_millis(80));
        assert!(seq.conductor_enabled);
        assert_eq!(seq.conductor_rpc.as_str(), "http://conductor:8547/");
        assert_eq!(seq.conductor_rpc_timeout, Duration::from_secs(2));
        assert_eq!(seq.publish_to.len(), 2);
        assert_eq!(seq.publish_to[1].port(), Some(8551));
        assert_eq!(seq.publish_jwt_secret, Some(PathBuf::from("/etc/jwt.hex")));
        assert_eq!(seq.l1_chain_config, Some(PathBuf::from("/etc/l1-genesis.json")));
    }

    #[test]
    fn sequencing_defaults_and_requirements() {
        let cmd = Cmd::try_parse_from(["op-reth-light"]).unwrap();
        assert_eq!(cmd.args.light.sequencer, SequencerArgs::default());
        assert_eq!(cmd.args.light.sequencer.l1_confs, 4);
        let err = Cmd::try_parse_from(["op-reth-light", "--rollup.sequencing"]).err().unwrap();
        assert!(err.to_string().contains("--rollup.follow-source"), "{err}");
        let err = Cmd::try_parse_from([
            "op-reth-light",
            "--rollup.follow-source",
            "http://x",
            "--rollup.l1-rpc",
            "http://l1",
            "--rollup.publish-to",
            "http://y",
        ])
        .err()
        .unwrap();
        assert!(err.to_string().contains("--rollup.sequencing"), "{err}");
        // A conductor needs sequencing and the admin methods where op-conductor calls them.
        let base = [
            "op-reth-light",
            "--rollup.follow-source",
            "http://x",
            "--rollup.l1-rpc",
            "http://l1",
            "--rollup.config",
            "rollup.json",
            "--rollup.sequencing",
            "--conductor.enabled",
        ];
        let err = Cmd::try_parse_from(base).err().unwrap();
        assert!(err.to_string().contains("--rollup.admin-on-http"), "{err}");
        let cmd = Cmd::try_parse_from(base.iter().chain(&["--rollup.admin-on-http"])).unwrap();
        let seq = &cmd.args.light.sequencer;
        assert!(seq.conductor_enabled);
        assert_eq!(seq.conductor_rpc.as_str(), "http://127.0.0.1:8547/", "op-node's default");
        assert_eq!(seq.conductor_rpc_timeout, Duration::from_secs(1), "op-node's default");
        // Sealing at once has no margin to set.
        let at_once = ["--rollup.sequencer-seal-at-once"];
        let cmd = Cmd::try_parse_from(base[..8].iter().chain(&at_once)).unwrap();
        assert!(cmd.args.light.sequencer.seal_at_once);
        let margin = ["--rollup.sequencer-seal-at-once", "--rollup.sequencer-seal-margin", "1ms"];
        let err = Cmd::try_parse_from(base[..8].iter().chain(&margin)).err().unwrap();
        assert!(err.to_string().contains("cannot be used with"), "{err}");
    }

    #[test]
    fn no_arguments_parse_to_the_default() {
        let cmd = Cmd::try_parse_from(["op-reth-light"]).unwrap();
        assert_eq!(cmd.args, LightArgs::default(), "clap defaults and Default agree");
    }

    #[test]
    fn settings_that_cannot_run_are_refused() {
        let base = || {
            Cmd::try_parse_from([
                "op-reth-light",
                "--rollup.follow-source",
                "http://x",
                "--rollup.l1-rpc",
                "http://l1",
            ])
            .unwrap()
            .args
            .light
        };
        for (flag, value) in [
            ("--rollup.follow-interval", "0s"),
            ("--rollup.follow-source-timeout", "0ms"),
            ("--rollup.follow-info-interval", "0s"),
        ] {
            let cmd = Cmd::try_parse_from([
                "op-reth-light",
                "--rollup.follow-source",
                "http://x",
                "--rollup.l1-rpc",
                "http://l1",
                flag,
                value,
            ])
            .unwrap();
            assert_eq!(cmd.args.light.check(), Err(ArgsError::Zero(flag)));
        }
        assert_eq!(base().check(), Ok(()));
        let mut args = base();
        args.sequencer.sequencing = true;
        assert_eq!(args.check(), Err(ArgsError::SequencerNeedsConfig));
        let mut args = base();
        args.sequencer.admin_on_http = true;
        assert_eq!(args.check(), Err(ArgsError::AdminWithoutSequencing));
        // clap says the same before any of it runs.
        for extra in [["--rollup.sequencing"], ["--rollup.admin-on-http"]] {
            let mut argv =
                vec!["op-reth-light", "--rollup.follow-source", "http://x", "--rollup.l1-rpc", "x"];
            argv.extend(extra);
            assert!(Cmd::try_parse_from(argv).is_err(), "{extra:?}");
        }
    }

    #[test]
    fn defaults_are_plain_op_reth() {
        let cmd = Cmd::try_parse_from(["op-reth-light"]).unwrap();
        assert!(cmd.args.light.follow_source.is_empty());
        assert_eq!(cmd.args.light.follow_source_timeout, Duration::from_secs(5));
        assert_eq!(cmd.args.rollup, RollupArgs::default());
    }

    #[test]
    fn without_l1_two_sources_and_a_quorum_of_two() {
        let parse = |argv: &[&str]| {
            let mut all = vec!["op-reth-light"];
            all.extend(argv);
            Cmd::try_parse_from(all).unwrap().args.light.check()
        };
        let one = ["--rollup.follow-source", "http://x"];
        assert_eq!(parse(&one), Err(ArgsError::WithoutL1 { quorum: 1, sources: 1 }));
        let two = ["--rollup.follow-source", "http://x", "--rollup.follow-source", "http://y"];
        assert_eq!(parse(&two), Err(ArgsError::WithoutL1 { quorum: 1, sources: 2 }));
        let mut k2 = two.to_vec();
        k2.extend(["--rollup.follow-quorum", "2"]);
        assert_eq!(parse(&k2), Ok(()));
        let mut k3 = two.to_vec();
        k3.extend(["--rollup.follow-quorum", "3"]);
        assert_eq!(parse(&k3), Err(ArgsError::Quorum { quorum: 3, sources: 2 }));
        let mut k0 = one.to_vec();
        k0.extend(["--rollup.l1-rpc", "http://l1", "--rollup.follow-quorum", "0"]);
        assert_eq!(parse(&k0), Err(ArgsError::Quorum { quorum: 0, sources: 1 }));
        // A sequencer needs L1 and a rollup-node source.
        let err = Cmd::try_parse_from([
            "op-reth-light",
            "--rollup.follow-source",
            "http://x",
            "--rollup.config",
            "r.json",
            "--rollup.sequencing",
        ])
        .err()
        .unwrap();
        assert!(err.to_string().contains("--rollup.l1-rpc"), "{err}");
        let mut el_only = FollowArgs {
            follow_source: vec!["el:http://y".parse().unwrap()],
            l1_rpc: Some("http://l1".parse().unwrap()),
            rollup_config: Some("r.json".into()),
            ..Default::default()
        };
        el_only.sequencer.sequencing = true;
        assert_eq!(el_only.check(), Err(ArgsError::SequencerNeedsRollupSource { quorum: 1 }));
        // Without L1 or a config file, K rollup nodes must serve the config.
        let mut mixed = FollowArgs {
            follow_source: vec!["http://x".parse().unwrap(), "el:http://y".parse().unwrap()],
            follow_quorum: 2,
            ..Default::default()
        };
        assert_eq!(mixed.check(), Err(ArgsError::ConfigNeedsRollupSources { quorum: 2 }));
        mixed.rollup_config = Some("r.json".into());
        assert_eq!(mixed.check(), Ok(()));
        assert!(
            Cmd::try_parse_from(["op-reth-light", "--rollup.follow-source", "not a url"]).is_err()
        );
    }

    #[test]
    fn bad_header_is_reported() {
        let mut args = FollowArgs::default();
        args.follow_source_headers.push("no colon".into());
        assert!(args.headers().unwrap_err().contains("no colon"));
    }
}
