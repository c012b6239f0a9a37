//! The rollup config: read from a file or fetched from the follow source, and checked against the
//! chain spec.

use alloy_primitives::B256;
use light_cl_protocol::{Fork, L1BlobSchedule, RollupConfig, UnsupportedFork};
use light_cl_rpc::{CappedClient, L1Client};
use reth_chainspec::EthChainSpec;
use reth_optimism_chainspec::OpChainSpec;
use reth_optimism_forks::{OpHardfork, OpHardforks};
use std::{path::Path, time::Duration};
use tracing::{info, warn};

/// A rollup config that cannot be used with this node.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read rollup config {path}: {source}")]
    Read {
        /// The path given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The document is not a usable rollup config.
    #[error("rollup config {path}: {source}")]
    Invalid {
        /// Where it came from.
        path: String,
        /// Why.
        source: light_cl_protocol::ConfigError,
    },
    /// Sequencing on an L1 without a built-in blob schedule needs its chain config.
    #[error("L1 chain id {0} has no built-in blob schedule; give its chain config with --rollup.l1-chain-config")]
    NoBlobSchedule(u64),
    /// The L1 chain config cannot be used.
    #[error("L1 chain config {path}: {reason}")]
    L1ChainConfig {
        /// Where it came from.
        path: String,
        /// Why.
        reason: String,
    },
    /// The rollup config schedules a fork this node cannot execute, and it is active at the head.
    #[error("the rollup config activates {fork} at {time}, at or before the head ({head_timestamp}); this node's {OP_RETH_VERSION} cannot execute it: upgrade op-reth-light")]
    UnsupportedForkActive {
        /// The fork.
        fork: String,
        /// Its activation time.
        time: u64,
        /// The head's timestamp.
        head_timestamp: u64,
    },
    /// The rollup config and the chain spec disagree.
    #[error("rollup config does not match the chain spec: {0}")]
    Mismatch(String),
    /// A fetched rollup config's genesis L1 block is not on our L1.
    #[error(
        "the rollup config's genesis L1 block {number} ({expected}) is not on L1: L1 has {found}"
    )]
    GenesisL1 {
        /// Its number.
        number: u64,
        /// Its hash in the config.
        expected: B256,
        /// What L1 holds at that number.
        found: String,
    },
}

/// Reads and checks op-node's rollup.json.
pub fn read_file(path: &Path) -> Result<RollupConfig, ConfigError> {
    let shown = path.display().to_string();
    let doc = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
    RollupConfig::from_json(&doc).map_err(|source| ConfigError::Invalid { path: shown, source })
}

/// Waits between attempts at start: 1 s, doubling to 30 s.
struct Backoff(Duration);

impl Backoff {
    const fn new() -> Self {
        Self(Duration::from_secs(1))
    }

    /// The wait before the next attempt; the one after is twice as long.
    fn next(&mut self) -> Duration {
        let delay = self.0;
        self.0 = (delay * 2).min(Duration::from_secs(30));
        delay
    }
}

/// Fetches `optimism_rollupConfig` from the rollup-node sources (by index), retrying with
/// backoff (1 s doubling to 30 s) until `quorum` of them answer the same config. With an L1 RPC
/// the quorum is 1 (L1 then checks the config's anchor); without one, it is the follow quorum.
pub async fn fetch(sources: &[(usize, CappedClient)], quorum: usize) -> RollupConfig {
    let mut backoff = Backoff::new();
    loop {
        let answers =
            futures::future::join_all(sources.iter().map(|(_, s)| s.rollup_config())).await;
        let mut agreed: Vec<(RollupConfig, Vec<usize>)> = Vec::new();
        for ((index, _), answer) in sources.iter().zip(answers) {
            match answer {
                Ok(config) => match agreed.iter_mut().find(|(c, _)| *c == config) {
                    Some((_, by)) => by.push(*index),
                    None => agreed.push((config, vec![*index])),
                },
                Err(e) => {
                    warn!(target: "light_cl::config", source = index, error = %e, "no rollup config from the follow source")
                }
            }
        }
        if agreed.len() > 1 {
            warn!(target: "light_cl::config", configs = agreed.len(), "the follow sources serve different rollup configs");
        }
        if let Some((config, by)) = agreed.into_iter().find(|(_, by)| by.len() >= quorum.max(1)) {
            info!(target: "light_cl::config", sources = ?by, l2_chain_id = config.l2_chain_id, "rollup config fetched from the follow sources");
            return config;
        }
        let delay = backoff.next();
        warn!(target: "light_cl::config", quorum, retry_in = ?delay, "waiting for the rollup config from the follow sources; the light CL does not run until it has one");
        tokio::time::sleep(delay).await;
    }
}

/// Checks a fetched rollup config's genesis L1 block against our L1, before anything else uses
/// the config: every L1 check starts from that anchor, so the source must not choose it. Retries
/// with the same backoff as [`fetch`] while L1 cannot answer.
pub async fn check_genesis_l1(config: &RollupConfig, l1: &L1Client) -> Result<(), ConfigError> {
    let genesis = config.genesis.l1;
    let mut backoff = Backoff::new();
    loop {
        let found = match l1.block_ref_by_number(genesis.number).await {
            Ok(Some(block)) if block.hash == genesis.hash => {
                info!(target: "light_cl::config", number = genesis.number, hash = %genesis.hash, "the fetched rollup config's genesis L1 block is on L1");
                return Ok(());
            }
            Ok(Some(block)) => block.hash.to_string(),
            Ok(None) => "no block".to_string(),
            Err(e) => {
                let delay = backoff.next();
                warn!(target: "light_cl::config", error = %e, retry_in = ?delay, "waiting for L1 to check the fetched rollup config's genesis L1 block");
                tokio::time::sleep(delay).await;
                continue;
            }
        };
        let (number, expected) = (genesis.number, genesis.hash);
        return Err(ConfigError::GenesisL1 { number, expected, found });
    }
}

/// The OP hard fork of the execution layer for each rollup config fork that has one.
fn el_fork(fork: Fork) -> Option<OpHardfork> {
    Some(match fork {
        Fork::Regolith => OpHardfork::Regolith,
        Fork::Canyon => OpHardfork::Canyon,
        Fork::Delta => return None,
        Fork::Ecotone => OpHardfork::Ecotone,
        Fork::Fjord => OpHardfork::Fjord,
        Fork::Granite => OpHardfork::Granite,
        Fork::Holocene => OpHardfork::Holocene,
        Fork::Isthmus => OpHardfork::Isthmus,
        Fork::Jovian => OpHardfork::Jovian,
        Fork::Interop => OpHardfork::Interop,
    })
}

/// Checks that the rollup config describes the chain this node runs: the L2 chain id, the genesis
/// block, and every fork time it schedules (the chain spec must schedule it at the same time).
/// Forks the built-in op-reth cannot execute are [`fork_limit`]'s concern.
pub fn check_against_chain_spec(
    config: &RollupConfig,
    spec: &OpChainSpec,
) -> Result<(), ConfigError> {
    let mut problems = Vec::new();
    let chain_id = spec.chain().id();
    if config.l2_chain_id != chain_id {
        problems.push(format!(
            "l2_chain_id is {} but the chain spec's chain id is {chain_id}",
            config.l2_chain_id
        ));
    }
    let genesis_number = spec.genesis_header().number;
    if config.genesis.l2.number != genesis_number || config.genesis.l2.hash != spec.genesis_hash() {
        problems.push(format!(
            "genesis.l2 is {} at {} but the chain spec's genesis is {} at {genesis_number}",
            config.genesis.l2.hash,
            config.genesis.l2.number,
            spec.genesis_hash()
        ));
    }
    for fork in Fork::ALL {
        let (Some(rollup), Some(el)) = (config.forks.time(fork), el_fork(fork)) else { continue };
        if fork == Fork::Interop {
            continue;
        }
        match spec.op_fork_activation(el).as_timestamp() {
            Some(spec_time) if spec_time != rollup => problems.push(format!(
                "{} is {rollup} but the chain spec activates {el:?} at {spec_time}",
                fork.key()
            )),
            Some(_) => {}
            None => problems.push(format!(
                "{} is {rollup} but the chain spec does not schedule {el:?}",
                fork.key()
            )),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::Mismatch(problems.join("; ")))
    }
}

/// The op-reth this node is built on, named in messages about forks it cannot execute.
pub const OP_RETH_VERSION: &str = "op-reth v1.10.2 (OP forks through Jovian)";

/// The earliest fork of `config` this node cannot execute, when it is not active yet at the head
/// (`head_timestamp`): the node runs and stops before it. Active already: an error naming it.
pub fn fork_limit(
    config: &RollupConfig,
    head_timestamp: u64,
) -> Result<Option<UnsupportedFork>, ConfigError> {
    match config.fork_limit() {
        Some(fork) if fork.is_active(head_timestamp) => Err(ConfigError::UnsupportedForkActive {
            fork: fork.name().to_owned(),
            time: fork.time,
            head_timestamp,
        }),
        other => Ok(other),
    }
}

/// The L1 blob fee schedule for the sequencer's L1 info deposits: from `--rollup.l1-chain-config`
/// when given (an L1 genesis.json or its `config` object), else built in for Ethereum mainnet
/// and Sepolia by the rollup config's L1 chain id.
pub fn l1_blob_schedule(
    l1_chain_config: Option<&Path>,
    l1_chain_id: u64,
) -> Result<L1BlobSchedule, ConfigError> {
    let Some(path) = l1_chain_config else {
        return L1BlobSchedule::for_chain_id(l1_chain_id)
            .ok_or(ConfigError::NoBlobSchedule(l1_chain_id));
    };
    let shown = path.display().to_string();
    let doc = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
    let invalid = |e: String| ConfigError::L1ChainConfig { path: shown.clone(), reason: e };
    let mut value: serde_json::Value =
        serde_json::from_str(&doc).map_err(|e| invalid(e.to_string()))?;
    if let Some(config) = value.get_mut("config") {
        value = config.take();
    }
    let config: alloy_genesis::ChainConfig =
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
    if config.chain_id != l1_chain_id {
        return Err(invalid(format!(
            "chain id {} is not the rollup config's L1 chain id {l1_chain_id}",
            config.chain_id
        )));
    }
    let params = config.blob_schedule_blob_params();
    let mut entries: Vec<_> = [
        (config.cancun_time, params.cancun),
        (config.prague_time, params.prague),
        (config.osaka_time, params.osaka),
    ]
    .into_iter()
    .filter_map(|(time, p)| time.map(|t| (t, p)))
    .collect();
    entries.extend(params.scheduled);
    L1BlobSchedule::new(entries).map_err(|e| invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;
    use light_cl_protocol::{BlockID, ChainGenesis, ForkTimes};

    fn spec() -> OpChainSpec {
        let genesis = serde_json::json!({
            "config": {
                "chainId": 901, "londonBlock": 0, "shanghaiTime": 0, "cancunTime": 0,
                "terminalTotalDifficulty": 0, "terminalTotalDifficultyPassed": true,
                "bedrockBlock": 0, "regolithTime": 0, "canyonTime": 0, "ecotoneTime": 100,
                "optimism": {"eip1559Elasticity": 6, "eip1559Denominator": 50}
            },
            "timestamp": "0x0", "gasLimit": "0x1c9c380", "difficulty": "0x0", "alloc": {}
        });
        OpChainSpec::from_genesis(serde_json::from_value(genesis).unwrap())
    }

    fn config(spec: &OpChainSpec) -> RollupConfig {
        light_cl_tests::rollup_config(
            ChainGenesis {
                l1: BlockID { hash: B256::repeat_byte(1), number: 5 },
                l2: BlockID { hash: spec.genesis_hash(), number: 0 },
                l2_time: 0,
                system_config: None,
            },
            ForkTimes {
                regolith_time: Some(0),
                canyon_time: Some(0),
                delta_time: Some(50),
                ecotone_time: Some(100),
                holocene_time: Some(500),
                ..Default::default()
            },
        )
    }

    #[test]
    fn agrees_on_what_both_know() {
        // Delta has no EL fork: not compared.
        let spec = spec();
        let mut c = config(&spec);
        c.forks.holocene_time = None;
        check_against_chain_spec(&c, &spec).unwrap();
    }

    #[test]
    fn a_fork_the_chain_spec_does_not_schedule_is_a_mismatch() {
        let spec = spec();
        let message = check_against_chain_spec(&config(&spec), &spec).unwrap_err().to_string();
        assert!(
            message.contains("holocene_time is 500 but the chain spec does not schedule Holocene"),
            "{message}"
        );
    }

    #[test]
    fn an_unsupported_fork_is_refused_once_active_and_a_limit_before() {
        let spec = spec();
        let mut c = config(&spec);
        assert_eq!(fork_limit(&c, 1_000).unwrap(), None);
        c.other.insert("karst_time".into(), 1783526401u64.into());
        let limit = fork_limit(&c, 1783526399).unwrap().unwrap();
        assert_eq!((limit.name(), limit.time), ("karst", 1783526401));
        let message = fork_limit(&c, 1783526401).unwrap_err().to_string();
        assert!(
            message.contains("activates karst at 1783526401")
                && message.contains("op-reth v1.10.2"),
            "{message}"
        );
    }

    #[test]
    fn names_every_mismatch() {
        let spec = spec();
        let mut c = config(&spec);
        c.l2_chain_id = 10;
        c.genesis.l2.hash = B256::repeat_byte(9);
        c.forks.ecotone_time = Some(101);
        let message = check_against_chain_spec(&c, &spec).unwrap_err().to_string();
        assert!(
            message.contains("l2_chain_id is 10 but the chain spec's chain id is 901"),
            "{message}"
        );
        assert!(message.contains("genesis.l2 is 0x0909"), "{message}");
        assert!(
            message.contains("ecotone_time is 101 but the chain spec activates Ecotone at 100"),
            "{message}"
        );
    }

    #[test]
    fn reads_files_with_clear_errors() {
        let dir = std::env::temp_dir().join(format!("op-reth-light-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = read_file(&dir.join("missing.json")).unwrap_err().to_string();
        assert!(
            missing.contains("cannot read rollup config") && missing.contains("missing.json"),
            "{missing}"
        );
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "{\"block_time\": 2}").unwrap();
        let invalid = read_file(&bad).unwrap_err().to_string();
        assert!(invalid.contains("bad.json") && invalid.contains("genesis"), "{invalid}");
        let good = dir.join("good.json");
        std::fs::write(&good, serde_json::to_string(&config(&spec())).unwrap()).unwrap();
        assert_eq!(read_file(&good).unwrap().l2_chain_id, 901);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn l1_blob_schedule_from_file_or_built_in() {
        use alloy_eips::eip7840::BlobParams;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l1.json");
        let genesis = serde_json::json!({
            "config": {"chainId": 1337, "cancunTime": 100, "pragueTime": 200},
            "alloc": {}
        });
        std::fs::write(&path, genesis.to_string()).unwrap();
        let schedule = l1_blob_schedule(Some(&path), 1337).unwrap();
        assert_eq!(schedule.params_at(99), None);
        assert_eq!(schedule.params_at(150), Some(BlobParams::cancun()));
        assert_eq!(schedule.params_at(200), Some(BlobParams::prague()));

        let err = l1_blob_schedule(Some(&path), 900).unwrap_err().to_string();
        assert!(err.contains("not the rollup config's L1 chain id 900"), "{err}");
        let err = l1_blob_schedule(None, 900).unwrap_err().to_string();
        assert!(err.contains("--rollup.l1-chain-config"), "{err}");
        assert!(l1_blob_schedule(Some(&dir.path().join("missing.json")), 1337).is_err());
        std::fs::write(&path, "not json").unwrap();
        assert!(l1_blob_schedule(Some(&path), 1337).is_err());
        assert_eq!(l1_blob_schedule(None, 1).unwrap(), L1BlobSchedule::mainnet());
    }
}
