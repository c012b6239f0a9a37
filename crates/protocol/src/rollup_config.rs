//! `RollupConfig`: op-node's `rollup.json`, also the answer of `optimism_rollupConfig`.

use crate::{BlockID, L2BlockRef};
use alloy_primitives::{Address, B256, B64};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Maximum sequencer drift from Fjord on, seconds (a constant, no longer a chain parameter).
pub const FJORD_MAX_SEQUENCER_DRIFT: u64 = 1800;

/// The rollup configuration of an OP Stack chain, in op-node's JSON shape.
///
/// Keys this type does not know are kept in `other` so that the document served again by
/// `optimism_rollupConfig` loses nothing; they play no part in the light CL's logic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollupConfig {
    /// The L1 and L2 blocks the chain starts from, and the initial system config.
    pub genesis: ChainGenesis,
    /// Seconds between L2 blocks.
    #[serde(with = "crate::quantity")]
    pub block_time: u64,
    /// Maximum sequencer drift before Fjord, seconds.
    #[serde(with = "crate::quantity")]
    pub max_sequencer_drift: u64,
    /// Sequencing window, in L1 blocks.
    #[serde(with = "crate::quantity")]
    pub seq_window_size: u64,
    /// Channel timeout, in L1 blocks.
    #[serde(default, with = "crate::quantity")]
    pub channel_timeout: u64,
    /// L1 chain id.
    #[serde(with = "crate::quantity")]
    pub l1_chain_id: u64,
    /// L2 chain id.
    #[serde(with = "crate::quantity")]
    pub l2_chain_id: u64,
    /// Fork activation times (L2 timestamps, seconds); `None` means not scheduled.
    #[serde(flatten)]
    pub forks: ForkTimes,
    /// Address batches are sent to on L1.
    pub batch_inbox_address: Address,
    /// OptimismPortal on L1 (emits user deposits).
    pub deposit_contract_address: Address,
    /// SystemConfig contract on L1 (emits config updates).
    pub l1_system_config_address: Address,
    /// ProtocolVersions contract on L1, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_versions_address: Option<Address>,
    /// Keys not modelled here, kept as they came.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The fork schedule of a rollup config, keyed as in op-node (`regolith_time`, …).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForkTimes {
    /// Regolith.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub regolith_time: Option<u64>,
    /// Canyon.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub canyon_time: Option<u64>,
    /// Delta.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub delta_time: Option<u64>,
    /// Ecotone.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub ecotone_time: Option<u64>,
    /// Fjord.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub fjord_time: Option<u64>,
    /// Granite.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub granite_time: Option<u64>,
    /// Holocene.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub holocene_time: Option<u64>,
    /// L1 Pectra blob schedule fix (a Sepolia quirk), an L2 timestamp.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub pectra_blob_schedule_time: Option<u64>,
    /// Isthmus.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub isthmus_time: Option<u64>,
    /// Jovian.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub jovian_time: Option<u64>,
    /// Interop.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub interop_time: Option<u64>,
}

/// An OP Stack hard fork, in activation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fork {
    /// Regolith.
    Regolith,
    /// Canyon.
    Canyon,
    /// Delta.
    Delta,
    /// Ecotone.
    Ecotone,
    /// Fjord.
    Fjord,
    /// Granite.
    Granite,
    /// Holocene.
    Holocene,
    /// Isthmus.
    Isthmus,
    /// Jovian.
    Jovian,
    /// Interop.
    Interop,
}

impl Fork {
    /// Every fork, oldest first.
    pub const ALL: [Fork; 10] = [
        Fork::Regolith,
        Fork::Canyon,
        Fork::Delta,
        Fork::Ecotone,
        Fork::Fjord,
        Fork::Granite,
        Fork::Holocene,
        Fork::Isthmus,
        Fork::Jovian,
        Fork::Interop,
    ];

    /// The rollup.json key of this fork's activation time.
    pub const fn key(self) -> &'static str {
        match self {
            Fork::Regolith => "regolith_time",
            Fork::Canyon => "canyon_time",
            Fork::Delta => "delta_time",
            Fork::Ecotone => "ecotone_time",
            Fork::Fjord => "fjord_time",
            Fork::Granite => "granite_time",
            Fork::Holocene => "holocene_time",
            Fork::Isthmus => "isthmus_time",
            Fork::Jovian => "jovian_time",
            Fork::Interop => "interop_time",
        }
    }
}

impl ForkTimes {
    /// Every fork from Regolith through `last` active at genesis (time 0), the later ones not
    /// scheduled.
    pub fn at_genesis_through(last: Fork) -> Self {
        let mut forks = Self::default();
        for fork in Fork::ALL.into_iter().filter(|f| *f <= last) {
            *forks.time_mut(fork) = Some(0);
        }
        forks
    }

    /// The activation time of `fork`, to set it.
    pub fn time_mut(&mut self, fork: Fork) -> &mut Option<u64> {
        match fork {
            Fork::Regolith => &mut self.regolith_time,
            Fork::Canyon => &mut self.canyon_time,
            Fork::Delta => &mut self.delta_time,
            Fork::Ecotone => &mut self.ecotone_time,
            Fork::Fjord => &mut self.fjord_time,
            Fork::Granite => &mut self.granite_time,
            Fork::Holocene => &mut self.holocene_time,
            Fork::Isthmus => &mut self.isthmus_time,
            Fork::Jovian => &mut self.jovian_time,
            Fork::Interop => &mut self.interop_time,
        }
    }

    /// Activation time of `fork`, if scheduled.
    pub const fn time(&self, fork: Fork) -> Option<u64> {
        match fork {
            Fork::Regolith => self.regolith_time,
            Fork::Canyon => self.canyon_time,
            Fork::Delta => self.delta_time,
            Fork::Ecotone => self.ecotone_time,
            Fork::Fjord => self.fjord_time,
            Fork::Granite => self.granite_time,
            Fork::Holocene => self.holocene_time,
            Fork::Isthmus => self.isthmus_time,
            Fork::Jovian => self.jovian_time,
            Fork::Interop => self.interop_time,
        }
    }
}

/// Where the chain starts (op-node `rollup.Genesis`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainGenesis {
    /// L1 block the L2 genesis derives from.
    pub l1: BlockID,
    /// L2 genesis block.
    pub l2: BlockID,
    /// L2 genesis timestamp.
    #[serde(with = "crate::quantity")]
    pub l2_time: u64,
    /// Initial system config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_config: Option<SystemConfig>,
}

/// The L1 system config at genesis (op-node `eth.SystemConfig`, camelCase keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemConfig {
    /// Batcher address.
    pub batcher_addr: Address,
    /// L1 fee overhead (pre-Ecotone).
    #[serde(default)]
    pub overhead: B256,
    /// L1 fee scalar; versioned from Ecotone.
    #[serde(default)]
    pub scalar: B256,
    /// L2 block gas limit.
    #[serde(with = "crate::quantity")]
    pub gas_limit: u64,
    /// Holocene EIP-1559 denominator and elasticity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip1559_params: Option<B64>,
    /// Isthmus operator fee scalar and constant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_fee_params: Option<B256>,
    /// Jovian minimum base fee.
    #[serde(default, with = "crate::quantity::opt", skip_serializing_if = "Option::is_none")]
    pub min_base_fee: Option<u64>,
    /// Jovian DA footprint gas scalar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub da_footprint_gas_scalar: Option<u16>,
    /// Keys not modelled here, kept as they came.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A rollup config that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The document is not a rollup config.
    #[error("rollup config is not valid JSON of op-node's shape: {0}")]
    Parse(String),
    /// A field has a value the chain cannot run with.
    #[error("rollup config field `{field}` is invalid: {reason}")]
    Invalid {
        /// The rollup.json key.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

impl RollupConfig {
    /// Parses and checks a rollup.json document.
    pub fn from_json(doc: &str) -> Result<Self, ConfigError> {
        let config: Self =
            serde_json::from_str(doc).map_err(|e| ConfigError::Parse(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// Checks the values the light CL relies on.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |field, reason| Err(ConfigError::Invalid { field, reason });
        if self.block_time == 0 {
            return invalid("block_time", "must be above zero");
        }
        if self.l2_chain_id == 0 {
            return invalid("l2_chain_id", "must be above zero");
        }
        if self.l1_chain_id == 0 {
            return invalid("l1_chain_id", "must be above zero");
        }
        if self.genesis.l2.hash.is_zero() {
            return invalid("genesis.l2.hash", "must not be zero");
        }
        if self.genesis.l1.hash.is_zero() {
            return invalid("genesis.l1.hash", "must not be zero");
        }
        let mut last = None;
        for fork in Fork::ALL {
            if fork == Fork::Interop {
                continue;
            }
            if let Some(t) = self.forks.time(fork) {
                if last.is_some_and(|l| t < l) {
                    return invalid(fork.key(), "activates before an earlier fork");
                }
                last = Some(t);
            }
        }
        Ok(())
    }

    /// Whether `fork` is active at L2 timestamp `timestamp`.
    pub fn is_active(&self, fork: Fork, timestamp: u64) -> bool {
        self.forks.time(fork).is_some_and(|t| timestamp >= t)
    }

    /// Whether the block at `timestamp` is the first one with `fork` active.
    pub fn is_activation_block(&self, fork: Fork, timestamp: u64) -> bool {
        self.is_active(fork, timestamp)
            && timestamp >= self.block_time
            && !self.is_active(fork, timestamp - self.block_time)
    }

    /// Maximum sequencer drift in force at L1 origin timestamp `timestamp`, seconds.
    pub fn max_sequencer_drift(&self, timestamp: u64) -> u64 {
        if self.is_active(Fork::Fjord, timestamp) {
            FJORD_MAX_SEQUENCER_DRIFT
        } else {
            self.max_sequencer_drift
        }
    }

    /// The L2 genesis block as a ref, from the config alone (its parent hash is not in the
    /// config and reads as zero).
    pub fn genesis_l2_ref(&self) -> L2BlockRef {
        L2BlockRef {
            hash: self.genesis.l2.hash,
            number: self.genesis.l2.number,
            parent_hash: B256::ZERO,
            timestamp: self.genesis.l2_time,
            l1_origin: self.genesis.l1,
            sequence_number: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forks_at_genesis_through_a_fork() {
        let forks = ForkTimes::at_genesis_through(Fork::Granite);
        for fork in Fork::ALL {
            let want = (fork <= Fork::Granite).then_some(0);
            assert_eq!(forks.time(fork), want, "{fork:?}");
        }
    }
    use alloy_primitives::{address, b256};

    /// Verbatim op-node output of a devnet with Isthmus (`eip1559Params`, `operatorFeeParams`,
    /// `interop_time`, `chain_op_config`).
    const DEVNET: &str = include_str!("../testdata/rollup_devnet-2151908_isthmus.json");
    /// Base Mainnet's rollup.json as published (2023: regolith only).
    const BASE: &str = include_str!("../testdata/rollup_base-mainnet.json");
    /// OP Mainnet values from the superchain registry in op-node's shape (assembled, not a
    /// verbatim document).
    const OP_MAINNET: &str = include_str!("../testdata/rollup_op-mainnet_reconstructed.json");

    #[test]
    fn op_mainnet() {
        let c = RollupConfig::from_json(OP_MAINNET).unwrap();
        assert_eq!((c.l1_chain_id, c.l2_chain_id, c.block_time), (1, 10, 2));
        assert_eq!(c.genesis.l2.number, 105235063);
        assert_eq!(
            c.genesis.l1.hash,
            b256!("0x438335a20d98863a4c0c97999eb2481921ccd28553eac6f913af7c12aec04108")
        );
        assert_eq!(c.forks.ecotone_time, Some(1710374401));
        assert_eq!(c.forks.jovian_time, Some(1764691201));
        assert_eq!(c.forks.interop_time, None);
        let sys = c.genesis.system_config.as_ref().unwrap();
        assert_eq!(sys.batcher_addr, address!("0x6887246668a3b87f54deb3b94ba47a6f63f32985"));
        assert_eq!(
            (sys.gas_limit, sys.min_base_fee, sys.da_footprint_gas_scalar),
            (30_000_000, Some(0), Some(0))
        );
        assert!(c.is_active(Fork::Fjord, 1720627201));
        assert!(!c.is_active(Fork::Fjord, 1720627200));
        assert!(c.is_activation_block(Fork::Fjord, 1720627201));
        assert!(!c.is_activation_block(Fork::Fjord, 1720627203));
        assert_eq!(c.max_sequencer_drift(1720627200), 600);
        assert_eq!(c.max_sequencer_drift(1720627201), FJORD_MAX_SEQUENCER_DRIFT);
        let g = c.genesis_l2_ref();
        assert_eq!((g.number, g.timestamp, g.l1_origin), (105235063, 1686068903, c.genesis.l1));
    }

    #[test]
    fn devnet_round_trips_unknown_keys() {
        let c = RollupConfig::from_json(DEVNET).unwrap();
        assert_eq!(c.forks.interop_time, Some(0));
        assert!(c.other.contains_key("chain_op_config"));
        let sys = c.genesis.system_config.as_ref().unwrap();
        assert_eq!(sys.eip1559_params, Some(alloy_primitives::B64::ZERO));
        assert_eq!(sys.operator_fee_params, Some(B256::ZERO));
        let again = serde_json::to_value(&c).unwrap();
        let orig: Value = serde_json::from_str(DEVNET).unwrap();
        assert_eq!(again, orig, "served document must equal the one read");
    }

    #[test]
    fn base_mainnet_pre_holocene_shape() {
        let c = RollupConfig::from_json(BASE).unwrap();
        assert_eq!(c.l2_chain_id, 8453);
        assert_eq!(c.forks.regolith_time, Some(0));
        assert_eq!(c.forks.canyon_time, None);
        assert!(!c.is_active(Fork::Canyon, u64::MAX));
        assert_eq!(c.protocol_versions_address, None);
        assert_eq!(c.genesis.system_config.as_ref().unwrap().eip1559_params, None);
    }

    #[test]
    fn rejects_unusable_configs() {
        let mut v: Value = serde_json::from_str(OP_MAINNET).unwrap();
        v["block_time"] = 0.into();
        assert_eq!(
            RollupConfig::from_json(&v.to_string()).unwrap_err(),
            ConfigError::Invalid { field: "block_time", reason: "must be above zero" }
        );
        let mut v: Value = serde_json::from_str(OP_MAINNET).unwrap();
        v["ecotone_time"] = 1.into();
        assert!(matches!(
            RollupConfig::from_json(&v.to_string()),
            Err(ConfigError::Invalid { field: "ecotone_time", .. })
        ));
        let mut v: Value = serde_json::from_str(OP_MAINNET).unwrap();
        v.as_object_mut().unwrap().remove("l2_chain_id");
        assert!(
            matches!(RollupConfig::from_json(&v.to_string()), Err(ConfigError::Parse(m)) if m.contains("l2_chain_id"))
        );
        assert!(matches!(RollupConfig::from_json("<html>"), Err(ConfigError::Parse(_))));
    }
}
