//! The L1 blob base fee written into the L1 attributes deposit (Ecotone layout on).

use crate::RollupConfig;
use alloy_eips::eip7840::BlobParams;
use alloy_primitives::U256;

/// Ethereum mainnet chain id.
pub const MAINNET_CHAIN_ID: u64 = 1;
/// Sepolia chain id.
pub const SEPOLIA_CHAIN_ID: u64 = 11_155_111;

/// The blob parameters of an L1 chain over time: each entry takes effect at its L1 timestamp.
///
/// Built in for mainnet and Sepolia (Cancun, Prague, Osaka, BPO1, BPO2); other L1 chains give
/// their own entries to [`L1BlobSchedule::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1BlobSchedule {
    entries: Vec<(u64, BlobParams)>,
}

/// The blob base fee cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BlobFeeError {
    /// The L1 header has blob fields but the schedule has no blob parameters at its time.
    #[error("L1 block at timestamp {0} has excess blob gas, but no blob parameters are scheduled")]
    NoParams(u64),
    /// A schedule entry has a blob base fee update fraction of 0 (the fee formula divides by it).
    #[error("blob parameters activating at L1 timestamp {0} have an update fraction of 0")]
    ZeroUpdateFraction(u64),
}

impl L1BlobSchedule {
    /// A schedule from `(activation L1 timestamp, parameters)` entries, in any order. An entry
    /// with an update fraction of 0 is refused ([`BlobFeeError::ZeroUpdateFraction`]): the blob
    /// base fee divides by it.
    pub fn new(entries: Vec<(u64, BlobParams)>) -> Result<Self, BlobFeeError> {
        if let Some((t, _)) = entries.iter().find(|(_, p)| p.update_fraction == 0) {
            return Err(BlobFeeError::ZeroUpdateFraction(*t));
        }
        Ok(Self::sorted(entries))
    }

    /// Sorts entries already known to be valid.
    fn sorted(mut entries: Vec<(u64, BlobParams)>) -> Self {
        entries.sort_by_key(|(t, _)| *t);
        Self { entries }
    }

    /// Ethereum mainnet: Cancun, Prague, Osaka and the BPO1/BPO2 steps (timestamps as in
    /// alloy-hardforks 0.4.7, `ethereum/mainnet.rs`).
    pub fn mainnet() -> Self {
        Self::sorted(vec![
            (1_710_338_135, BlobParams::cancun()),
            (1_746_612_311, BlobParams::prague()),
            (1_764_798_551, BlobParams::osaka()),
            (1_765_290_071, BlobParams::bpo1()),
            (1_767_747_671, BlobParams::bpo2()),
        ])
    }

    /// Sepolia: Cancun, Prague, Osaka and the BPO1/BPO2 steps (timestamps as in
    /// alloy-hardforks 0.4.7, `ethereum/sepolia.rs`).
    pub fn sepolia() -> Self {
        Self::sorted(vec![
            (1_706_655_072, BlobParams::cancun()),
            (1_741_159_776, BlobParams::prague()),
            (1_760_427_360, BlobParams::osaka()),
            (1_761_017_184, BlobParams::bpo1()),
            (1_761_607_008, BlobParams::bpo2()),
        ])
    }

    /// The built-in schedule of an L1 chain id, if there is one.
    pub fn for_chain_id(chain_id: u64) -> Option<Self> {
        match chain_id {
            MAINNET_CHAIN_ID => Some(Self::mainnet()),
            SEPOLIA_CHAIN_ID => Some(Self::sepolia()),
            _ => None,
        }
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[(u64, BlobParams)] {
        &self.entries
    }

    /// The blob parameters in force at L1 timestamp `l1_timestamp` (`None` before the first).
    pub fn params_at(&self, l1_timestamp: u64) -> Option<BlobParams> {
        self.entries.iter().rev().find(|(t, _)| l1_timestamp >= *t).map(|(_, p)| *p)
    }

    /// The blob base fee of an L1 block, for the L1 attributes deposit.
    ///
    /// An L1 block without blob fields gives 1. When the rollup config schedules
    /// `pectra_blob_schedule_time`, an L1 block older than that time uses Cancun's update
    /// fraction even where L1 has moved on (the Sepolia/Holesky op-node bug kept by the optional
    /// "Pectra blob schedule" fork, activated by L1 origin time).
    pub fn blob_base_fee(
        &self,
        config: &RollupConfig,
        l1_timestamp: u64,
        excess_blob_gas: Option<u64>,
    ) -> Result<U256, BlobFeeError> {
        let Some(excess) = excess_blob_gas else { return Ok(U256::from(1)) };
        let mut params =
            self.params_at(l1_timestamp).ok_or(BlobFeeError::NoParams(l1_timestamp))?;
        if config.forks.pectra_blob_schedule_time.is_some_and(|t| l1_timestamp < t) {
            params.update_fraction = BlobParams::cancun().update_fraction;
        }
        Ok(U256::from(params.calc_blob_fee(excess)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pectra_blob_schedule_time: Option<u64>) -> RollupConfig {
        let mut c = RollupConfig::from_json(include_str!(
            "../testdata/rollup_op-mainnet_reconstructed.json"
        ))
        .unwrap();
        c.forks.pectra_blob_schedule_time = pectra_blob_schedule_time;
        c
    }

    /// Vectors of go-ethereum's `TestCalcBlobFee` (Cancun fraction 3338477).
    #[test]
    fn cancun_fee_matches_geth_vectors() {
        let s = L1BlobSchedule::mainnet();
        let cancun_block = 1_710_338_135 + 12;
        for (excess, fee) in [(0u64, 1u64), (2314057, 1), (2314058, 2), (10 * 1024 * 1024, 23)] {
            assert_eq!(
                s.blob_base_fee(&config(None), cancun_block, Some(excess)).unwrap(),
                U256::from(fee),
                "excess {excess}"
            );
            assert_eq!(alloy_eips::eip4844::calc_blob_gasprice(excess), u128::from(fee));
        }
    }

    #[test]
    fn params_follow_the_l1_schedule() {
        let s = L1BlobSchedule::mainnet();
        assert_eq!(s.params_at(1_710_338_134), None);
        assert_eq!(s.params_at(1_710_338_135), Some(BlobParams::cancun()));
        assert_eq!(s.params_at(1_746_612_310), Some(BlobParams::cancun()));
        assert_eq!(s.params_at(1_746_612_311), Some(BlobParams::prague()));
        assert_eq!(s.params_at(1_765_290_071), Some(BlobParams::bpo1()));
        assert_eq!(s.params_at(u64::MAX), Some(BlobParams::bpo2()));
        let sep = L1BlobSchedule::for_chain_id(SEPOLIA_CHAIN_ID).unwrap();
        assert_eq!(sep.params_at(1_741_159_776), Some(BlobParams::prague()));
        assert_eq!(L1BlobSchedule::for_chain_id(17000), None);
        let custom =
            L1BlobSchedule::new(vec![(50, BlobParams::prague()), (10, BlobParams::cancun())])
                .unwrap();
        assert_eq!(custom.entries()[0].0, 10);
        assert_eq!(custom.params_at(49), Some(BlobParams::cancun()));
    }

    #[test]
    fn zero_update_fraction_is_refused() {
        let zero = BlobParams { update_fraction: 0, ..BlobParams::prague() };
        assert_eq!(
            L1BlobSchedule::new(vec![(10, BlobParams::cancun()), (50, zero)]),
            Err(BlobFeeError::ZeroUpdateFraction(50))
        );
        // The built-in schedules have none.
        for s in [L1BlobSchedule::mainnet(), L1BlobSchedule::sepolia()] {
            assert!(s.entries().iter().all(|(_, p)| p.update_fraction != 0));
        }
    }

    #[test]
    fn prague_fee_differs_and_pectra_blob_schedule_restores_cancun() {
        let s = L1BlobSchedule::mainnet();
        let prague_block = 1_746_612_311 + 12;
        let excess = 10 * 1024 * 1024;
        let prague_fee = s.blob_base_fee(&config(None), prague_block, Some(excess)).unwrap();
        assert_eq!(prague_fee, U256::from(BlobParams::prague().calc_blob_fee(excess)));
        assert_ne!(prague_fee, U256::from(23));
        // Fix scheduled after this L1 block: Cancun fraction.
        let fixed_later = config(Some(prague_block + 1));
        assert_eq!(
            s.blob_base_fee(&fixed_later, prague_block, Some(excess)).unwrap(),
            U256::from(23)
        );
        // Fix already active at this L1 block: Prague fraction.
        let fixed = config(Some(prague_block));
        assert_eq!(s.blob_base_fee(&fixed, prague_block, Some(excess)).unwrap(), prague_fee);
    }

    #[test]
    fn missing_blob_fields_and_missing_params() {
        let s = L1BlobSchedule::mainnet();
        assert_eq!(s.blob_base_fee(&config(None), 1_600_000_000, None).unwrap(), U256::from(1));
        assert_eq!(
            s.blob_base_fee(&config(None), 1_600_000_000, Some(0)),
            Err(BlobFeeError::NoParams(1_600_000_000))
        );
    }
}
