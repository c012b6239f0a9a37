//! The system config over time: the genesis config, `ConfigUpdate` logs of the L1 SystemConfig
//! contract, the Ecotone scalar encoding, and rebuilding an L2 block's config from the block.

use crate::{l1_info::word_u64, Fork, L1BlockInfo, L1InfoLayout, RollupConfig, SystemConfig};
use alloy_consensus::{BlockHeader, TxReceipt};
use alloy_primitives::{b256, Address, Log, B256, B64};
use op_alloy_consensus::{decode_holocene_extra_data, decode_jovian_extra_data, EIP1559ParamError};

/// `keccak256("ConfigUpdate(uint256,uint8,bytes)")`.
pub const CONFIG_UPDATE_TOPIC: B256 =
    b256!("0x1d2b0bda21d56b8bd12d4f94ebacffdfb35f5e226f84b461103bb8beab6353be");

/// The DA footprint gas scalar used when the system config holds 0 (Jovian).
pub const DEFAULT_DA_FOOTPRINT_GAS_SCALAR: u16 = 400;

/// The base fee and blob base fee scalars of a post-Ecotone system config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EcotoneScalars {
    /// Base fee scalar.
    pub base_fee_scalar: u32,
    /// Blob base fee scalar.
    pub blob_base_fee_scalar: u32,
}

/// A system config scalar that is not a valid post-Ecotone encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScalarError {
    /// Version 0 or 1 with non-zero bytes in its padding (bytes 1..28 for version 0, 1..24 for
    /// version 1).
    #[error("version {0} scalar has non-zero padding")]
    DirtyPadding(u8),
    /// A version byte other than 0 and 1.
    #[error("unknown scalar version {0}")]
    UnknownVersion(u8),
}

impl EcotoneScalars {
    /// Checks that `scalar` is a valid post-Ecotone encoding: version 0 with bytes 1..28 zero, or
    /// version 1 with bytes 1..24 zero (op-node `CheckEcotoneL1SystemConfigScalar`, kona
    /// `check_ecotone_l1_system_config_scalar`). From Ecotone, a fee-scalars `ConfigUpdate` whose
    /// scalar fails this check is ignored ([`SystemConfig::apply`]).
    pub fn check_encoding(scalar: B256) -> Result<(), ScalarError> {
        match scalar[0] {
            0 if scalar[1..28].iter().any(|b| *b != 0) => Err(ScalarError::DirtyPadding(0)),
            1 if scalar[1..24].iter().any(|b| *b != 0) => Err(ScalarError::DirtyPadding(1)),
            0 | 1 => Ok(()),
            v => Err(ScalarError::UnknownVersion(v)),
        }
    }
}

/// Decodes a post-Ecotone scalar for the L1 attributes deposit (`system-config.md`
/// §Post-Ecotone Scalar Encoding; op-node `SystemConfig.EcotoneScalars`).
///
/// Version 0: blob scalar 0, base scalar in bytes 28..32; non-zero padding gives a base scalar of
/// `u32::MAX` (as the spec and op-node require when building L1 info). Version 1: blob scalar in
/// bytes 24..28, base scalar in bytes 28..32, bytes 1..24 zero. This lenient reading is only for
/// building L1 info; applying a `ConfigUpdate` uses the strict
/// [`EcotoneScalars::check_encoding`].
pub fn decode_ecotone_scalar(scalar: B256) -> Result<EcotoneScalars, ScalarError> {
    let word =
        |r: std::ops::Range<usize>| u32::from_be_bytes(scalar[r].try_into().expect("four bytes"));
    match EcotoneScalars::check_encoding(scalar) {
        Err(ScalarError::DirtyPadding(0)) => {
            Ok(EcotoneScalars { base_fee_scalar: u32::MAX, blob_base_fee_scalar: 0 })
        }
        Err(e) => Err(e),
        Ok(()) if scalar[0] == 0 => {
            Ok(EcotoneScalars { base_fee_scalar: word(28..32), blob_base_fee_scalar: 0 })
        }
        Ok(()) => {
            Ok(EcotoneScalars { base_fee_scalar: word(28..32), blob_base_fee_scalar: word(24..28) })
        }
    }
}

/// Encodes scalars as a version 1 post-Ecotone scalar.
pub fn encode_ecotone_scalar(scalars: EcotoneScalars) -> B256 {
    let mut out = B256::ZERO;
    out[0] = 1;
    out[24..28].copy_from_slice(&scalars.blob_base_fee_scalar.to_be_bytes());
    out[28..32].copy_from_slice(&scalars.base_fee_scalar.to_be_bytes());
    out
}

/// One `ConfigUpdate` of the L1 SystemConfig contract (version 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigUpdate {
    /// Type 0: the batcher address.
    Batcher(Address),
    /// Type 1: L1 fee overhead and scalar (versioned from Ecotone).
    FeeScalars {
        /// Overhead word.
        overhead: B256,
        /// Scalar word.
        scalar: B256,
    },
    /// Type 2: L2 gas limit.
    GasLimit(u64),
    /// Type 3: unsafe block signer (P2P only, no effect on blocks).
    UnsafeBlockSigner(Address),
    /// Type 4: EIP-1559 denominator and elasticity (`denominator ++ elasticity`, big-endian).
    Eip1559Params(B64),
    /// Type 5: operator fee word (`scalar << 64 | constant`).
    OperatorFeeParams(B256),
    /// Type 6: minimum base fee.
    MinBaseFee(u64),
    /// Type 7: DA footprint gas scalar.
    DaFootprintGasScalar(u16),
}

/// A `ConfigUpdate` log that cannot be parsed. Building stops on it (see
/// [`SystemConfig::update_with_receipts`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigUpdateError {
    /// Not three topics.
    #[error("ConfigUpdate log has {0} topics, expected 3")]
    Topics(usize),
    /// First topic is not the `ConfigUpdate` event.
    #[error("log is not a ConfigUpdate event")]
    NotConfigUpdate,
    /// Event version other than 0.
    #[error("unknown ConfigUpdate version {0}")]
    Version(B256),
    /// Update type outside 0–7.
    #[error("unknown ConfigUpdate type {0}")]
    UpdateType(B256),
    /// The ABI `bytes` wrapper or the payload has the wrong shape.
    #[error("malformed ConfigUpdate type {update_type} data: {reason}")]
    Data {
        /// The update type.
        update_type: u8,
        /// What is wrong.
        reason: &'static str,
    },
    /// An update in a receipt's log, with its position.
    #[error("ConfigUpdate in receipt {receipt}, log {log}: {source}")]
    At {
        /// Receipt index in the block.
        receipt: usize,
        /// Log index in the receipt.
        log: usize,
        /// The error.
        #[source]
        source: Box<ConfigUpdateError>,
    },
}

impl ConfigUpdate {
    /// Decodes a `ConfigUpdate` log (emitter not checked).
    pub fn decode(log: &Log) -> Result<Self, ConfigUpdateError> {
        let topics = log.topics();
        if topics.len() != 3 {
            return Err(ConfigUpdateError::Topics(topics.len()));
        }
        if topics[0] != CONFIG_UPDATE_TOPIC {
            return Err(ConfigUpdateError::NotConfigUpdate);
        }
        if !topics[1].is_zero() {
            return Err(ConfigUpdateError::Version(topics[1]));
        }
        let ty = topics[2];
        if ty[..31].iter().any(|b| *b != 0) || ty[31] > 7 {
            return Err(ConfigUpdateError::UpdateType(ty));
        }
        let update_type = ty[31];
        let bad = |reason| ConfigUpdateError::Data { update_type, reason };
        let data = log.data.data.as_ref();
        // ABI `bytes`: pointer 32, length, content; every type has an exact length.
        let expected_len = if update_type == 1 { 64 } else { 32 };
        if data.len() != 64 + expected_len {
            return Err(bad("wrong data length"));
        }
        if word_u64(&B256::from_slice(&data[..32])) != Some(32) {
            return Err(bad("invalid pointer field"));
        }
        if word_u64(&B256::from_slice(&data[32..64])) != Some(expected_len as u64) {
            return Err(bad("invalid length field"));
        }
        let payload = &data[64..];
        let word = B256::from_slice(&payload[..32]);
        let address = || {
            if word[..12].iter().any(|b| *b != 0) {
                return Err(bad("address has non-zero padding"));
            }
            Ok(Address::from_word(word))
        };
        Ok(match update_type {
            0 => Self::Batcher(address()?),
            1 => Self::FeeScalars { overhead: word, scalar: B256::from_slice(&payload[32..64]) },
            2 => Self::GasLimit(word_u64(&word).ok_or_else(|| bad("gas limit over 64 bits"))?),
            3 => Self::UnsafeBlockSigner(address()?),
            4 => {
                // `(denominator << 32) | elasticity`, as op-node parses it.
                if word[..24].iter().any(|b| *b != 0) {
                    return Err(bad("EIP-1559 params over 64 bits"));
                }
                let denominator = u32::from_be_bytes(word[24..28].try_into().expect("4 bytes"));
                let elasticity = u32::from_be_bytes(word[28..32].try_into().expect("4 bytes"));
                if denominator == 0 && elasticity != 0 {
                    return Err(bad("EIP-1559 denominator 0 with a non-zero elasticity"));
                }
                Self::Eip1559Params(B64::from_slice(&word[24..]))
            }
            5 => {
                // `(scalar << 64) | constant`: a u32 and a u64.
                if word[..20].iter().any(|b| *b != 0) {
                    return Err(bad("operator fee params over 96 bits"));
                }
                Self::OperatorFeeParams(word)
            }
            6 => Self::MinBaseFee(word_u64(&word).ok_or_else(|| bad("min base fee over 64 bits"))?),
            _ => {
                if word[..30].iter().any(|b| *b != 0) {
                    return Err(bad("DA footprint gas scalar over 16 bits"));
                }
                Self::DaFootprintGasScalar(u16::from_be_bytes([word[30], word[31]]))
            }
        })
    }
}

/// Why an L2 block's system config cannot be rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SystemConfigError {
    /// The rollup config has no `genesis.system_config`.
    #[error("rollup config has no genesis system config")]
    NoGenesisConfig,
    /// A Holocene/Jovian header's extraData does not decode.
    #[error("extraData of L2 block {number} does not decode: {source}")]
    ExtraData {
        /// L2 block number.
        number: u64,
        /// The decoding error.
        source: EIP1559ParamError,
    },
}

impl RollupConfig {
    /// The system config at the L2 genesis block.
    pub fn genesis_system_config(&self) -> Result<SystemConfig, SystemConfigError> {
        self.genesis.system_config.clone().ok_or(SystemConfigError::NoGenesisConfig)
    }
}

impl SystemConfig {
    /// The post-Ecotone scalars of this config.
    pub fn ecotone_scalars(&self) -> Result<EcotoneScalars, ScalarError> {
        decode_ecotone_scalar(self.scalar)
    }

    /// Isthmus operator fee `(scalar, constant)`; zero when unset.
    pub fn operator_fee(&self) -> (u32, u64) {
        let w = self.operator_fee_params.unwrap_or_default();
        (
            u32::from_be_bytes(w[20..24].try_into().expect("four bytes")),
            u64::from_be_bytes(w[24..32].try_into().expect("eight bytes")),
        )
    }

    /// The DA footprint gas scalar written into Jovian L1 info: the stored value, with 0 or unset
    /// read as 400 (op-node `DAFootprintGasScalarDefault`; the config itself keeps the 0).
    pub fn da_footprint_gas_scalar_or_default(&self) -> u16 {
        match self.da_footprint_gas_scalar {
            Some(0) | None => DEFAULT_DA_FOOTPRINT_GAS_SCALAR,
            Some(v) => v,
        }
    }

    /// Applies one update. `ecotone_active` is whether Ecotone is active at the L1 block's
    /// timestamp (as op-node and kona compare it): from then on a fee-scalar update whose scalar
    /// fails [`EcotoneScalars::check_encoding`] (unknown version, or non-zero padding in version 0
    /// or 1) is ignored and the old scalar kept; a valid one zeroes the overhead. Values are
    /// stored as the log carries them (a DA footprint gas scalar of 0 stays 0).
    pub fn apply(&mut self, update: ConfigUpdate, ecotone_active: bool) {
        match update {
            ConfigUpdate::Batcher(a) => self.batcher_addr = a,
            ConfigUpdate::FeeScalars { overhead, scalar } => {
                if ecotone_active {
                    if EcotoneScalars::check_encoding(scalar).is_err() {
                        return;
                    }
                    self.overhead = B256::ZERO;
                } else {
                    self.overhead = overhead;
                }
                self.scalar = scalar;
            }
            ConfigUpdate::GasLimit(g) => self.gas_limit = g,
            ConfigUpdate::UnsafeBlockSigner(_) => {}
            ConfigUpdate::Eip1559Params(p) => self.eip1559_params = Some(p),
            ConfigUpdate::OperatorFeeParams(p) => self.operator_fee_params = Some(p),
            ConfigUpdate::MinBaseFee(f) => self.min_base_fee = Some(f),
            ConfigUpdate::DaFootprintGasScalar(s) => self.da_footprint_gas_scalar = Some(s),
        }
    }

    /// Applies the `ConfigUpdate` logs of one L1 block's receipts, in order: logs emitted by
    /// `system_config_address` with the `ConfigUpdate` topic, in successful receipts only.
    ///
    /// A log that cannot be parsed is an error and stops building the L2 block, as op-node and
    /// kona do; the spec says to skip such a log, but the deriving node this light CL follows does
    /// not, and a sequencer that skipped it would build a chain that node rejects. On error `self`
    /// may hold the updates before the bad log; callers discard it.
    pub fn update_with_receipts<R: TxReceipt<Log = Log>>(
        &mut self,
        receipts: &[R],
        system_config_address: Address,
        ecotone_active: bool,
    ) -> Result<(), ConfigUpdateError> {
        for (receipt, r) in receipts.iter().enumerate() {
            if !r.status() {
                continue;
            }
            for (log, l) in r.logs().iter().enumerate() {
                if l.address != system_config_address
                    || l.topics().first() != Some(&CONFIG_UPDATE_TOPIC)
                {
                    continue;
                }
                let update = ConfigUpdate::decode(l).map_err(|e| ConfigUpdateError::At {
                    receipt,
                    log,
                    source: Box::new(e),
                })?;
                self.apply(update, ecotone_active);
            }
        }
        Ok(())
    }

    /// Rebuilds the system config an L2 block was built with, from its header and its L1 info
    /// deposit: batcher, scalars and operator fee from the deposit (scalars re-encoded as version
    /// 1 from the Ecotone layout on), gas limit from the header, EIP-1559 parameters (Holocene) and
    /// minimum base fee (Jovian) from the header's extraData.
    pub fn from_l2_block<H: BlockHeader>(
        config: &RollupConfig,
        header: &H,
        info: &L1BlockInfo,
    ) -> Result<Self, SystemConfigError> {
        let mut sys = Self {
            batcher_addr: Address::from_word(info.batcher_hash),
            overhead: B256::ZERO,
            scalar: B256::ZERO,
            gas_limit: header.gas_limit(),
            eip1559_params: None,
            operator_fee_params: None,
            min_base_fee: None,
            da_footprint_gas_scalar: None,
            other: Default::default(),
        };
        if info.layout == L1InfoLayout::Bedrock {
            sys.overhead = info.l1_fee_overhead.into();
            sys.scalar = info.l1_fee_scalar.into();
        } else {
            sys.scalar = encode_ecotone_scalar(EcotoneScalars {
                base_fee_scalar: info.base_fee_scalar,
                blob_base_fee_scalar: info.blob_base_fee_scalar,
            });
        }
        if matches!(info.layout, L1InfoLayout::Isthmus | L1InfoLayout::Jovian) {
            let mut w = [0u8; 32];
            w[20..24].copy_from_slice(&info.operator_fee_scalar.to_be_bytes());
            w[24..32].copy_from_slice(&info.operator_fee_constant.to_be_bytes());
            sys.operator_fee_params = Some(B256::from(w));
        }
        if info.layout == L1InfoLayout::Jovian {
            sys.da_footprint_gas_scalar = Some(info.da_footprint_gas_scalar);
        }
        let t = header.timestamp();
        let number = header.number();
        let extra = header.extra_data();
        let err = |source| SystemConfigError::ExtraData { number, source };
        let params =
            |d: u32, e: u32| B64::from(((u64::from(d) << 32) | u64::from(e)).to_be_bytes());
        if config.is_active(Fork::Jovian, t) {
            let (elasticity, denominator, min_base_fee) =
                decode_jovian_extra_data(extra).map_err(err)?;
            sys.eip1559_params = Some(params(denominator, elasticity));
            sys.min_base_fee = Some(min_base_fee);
        } else if config.is_active(Fork::Holocene, t) {
            let (elasticity, denominator) = decode_holocene_extra_data(extra).map_err(err)?;
            sys.eip1559_params = Some(params(denominator, elasticity));
        }
        Ok(sys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{Eip658Value, Header, Receipt};
    use alloy_primitives::{address, hex, Bytes, LogData};

    const SYSCFG: Address = address!("0x229047fed2591dbec1ef1118d64f7af3db9eb290");

    /// A ConfigUpdate log as the SystemConfig contract emits it: `bytes` wrapper around `payload`.
    fn update_log(update_type: u8, payload: &[u8]) -> Log {
        let mut data = vec![0u8; 64];
        data[31] = 32;
        data[56..64].copy_from_slice(&(payload.len() as u64).to_be_bytes());
        data.extend_from_slice(payload);
        let mut ty = B256::ZERO;
        ty[31] = update_type;
        Log {
            address: SYSCFG,
            data: LogData::new_unchecked(vec![CONFIG_UPDATE_TOPIC, B256::ZERO, ty], data.into()),
        }
    }

    fn word(tail: &[u8]) -> [u8; 32] {
        let mut w = [0u8; 32];
        w[32 - tail.len()..].copy_from_slice(tail);
        w
    }

    fn base_config() -> SystemConfig {
        RollupConfig::from_json(include_str!("../testdata/rollup_op-mainnet_reconstructed.json"))
            .unwrap()
            .genesis_system_config()
            .unwrap()
    }

    fn receipt(ok: bool, logs: Vec<Log>) -> Receipt<Log> {
        Receipt { status: Eip658Value::Eip658(ok), cumulative_gas_used: 0, logs }
    }

    /// OP Mainnet's post-Ecotone scalar (base 5227, blob 1014213), as carried by the L1 info of
    /// L2 block 124665056.
    const OP_MAINNET_SCALAR: B256 =
        b256!("0x010000000000000000000000000000000000000000000000000f79c50000146b");

    #[test]
    fn ecotone_scalar_versions() {
        let s = decode_ecotone_scalar(OP_MAINNET_SCALAR).unwrap();
        assert_eq!((s.base_fee_scalar, s.blob_base_fee_scalar), (5227, 1014213));
        assert_eq!(encode_ecotone_scalar(s), OP_MAINNET_SCALAR);
        // Version 0: Bedrock scalar 684000 (OP Mainnet before Ecotone).
        let v0 = B256::from(word(&684000u32.to_be_bytes()));
        assert_eq!(
            decode_ecotone_scalar(v0).unwrap(),
            EcotoneScalars { base_fee_scalar: 684000, blob_base_fee_scalar: 0 }
        );
        assert_eq!(EcotoneScalars::check_encoding(v0), Ok(()));
        assert_eq!(EcotoneScalars::check_encoding(OP_MAINNET_SCALAR), Ok(()));
        // Version 0 with dirty padding: u32::MAX when building L1 info, invalid for an update.
        let mut dirty = v0;
        dirty[5] = 1;
        assert_eq!(decode_ecotone_scalar(dirty).unwrap().base_fee_scalar, u32::MAX);
        assert_eq!(EcotoneScalars::check_encoding(dirty), Err(ScalarError::DirtyPadding(0)));
        let mut dirty_last = v0;
        dirty_last[27] = 1; // last padding byte of version 0
        assert_eq!(EcotoneScalars::check_encoding(dirty_last), Err(ScalarError::DirtyPadding(0)));
        let mut dirty1 = OP_MAINNET_SCALAR;
        dirty1[3] = 1;
        assert_eq!(decode_ecotone_scalar(dirty1), Err(ScalarError::DirtyPadding(1)));
        assert_eq!(EcotoneScalars::check_encoding(dirty1), Err(ScalarError::DirtyPadding(1)));
        let mut v2 = OP_MAINNET_SCALAR;
        v2[0] = 2;
        assert_eq!(decode_ecotone_scalar(v2), Err(ScalarError::UnknownVersion(2)));
        assert_eq!(EcotoneScalars::check_encoding(v2), Err(ScalarError::UnknownVersion(2)));
    }

    #[test]
    fn refuses_eip1559_and_operator_fee_params_out_of_range() {
        let data = |r: Result<ConfigUpdate, ConfigUpdateError>| match r {
            Err(ConfigUpdateError::Data { reason, .. }) => reason,
            other => panic!("expected a data error, got {other:?}"),
        };
        let mut wide = [0u8; 32];
        wide[23] = 1;
        wide[31] = 6;
        assert_eq!(
            data(ConfigUpdate::decode(&update_log(4, &wide))),
            "EIP-1559 params over 64 bits"
        );
        let zero_denominator = word(&[0, 0, 0, 0, 0, 0, 0, 6]);
        assert_eq!(
            data(ConfigUpdate::decode(&update_log(4, &zero_denominator))),
            "EIP-1559 denominator 0 with a non-zero elasticity"
        );
        let both_zero = word(&[0u8; 8]);
        assert_eq!(
            ConfigUpdate::decode(&update_log(4, &both_zero)).unwrap(),
            ConfigUpdate::Eip1559Params(B64::ZERO)
        );
        let mut operator = [0u8; 32];
        operator[19] = 1;
        assert_eq!(
            data(ConfigUpdate::decode(&update_log(5, &operator))),
            "operator fee params over 96 bits"
        );
    }

    #[test]
    fn decodes_all_update_types() {
        let batcher = address!("0x6887246668a3b87f54deb3b94ba47a6f63f32985");
        let cases: Vec<(u8, Vec<u8>, ConfigUpdate)> = vec![
            (0, word(batcher.as_slice()).to_vec(), ConfigUpdate::Batcher(batcher)),
            (
                1,
                [[0u8; 32], OP_MAINNET_SCALAR.0].concat(),
                ConfigUpdate::FeeScalars { overhead: B256::ZERO, scalar: OP_MAINNET_SCALAR },
            ),
            (2, word(&60_000_000u64.to_be_bytes()).to_vec(), ConfigUpdate::GasLimit(60_000_000)),
            (3, word(batcher.as_slice()).to_vec(), ConfigUpdate::UnsafeBlockSigner(batcher)),
            (
                4,
                word(&hex!("000000fa00000006")).to_vec(),
                ConfigUpdate::Eip1559Params(B64::from(hex!("000000fa00000006"))),
            ),
            (
                5,
                word(&hex!("00004e2000000000000001f4")).to_vec(),
                ConfigUpdate::OperatorFeeParams(B256::from(word(&hex!(
                    "00004e2000000000000001f4"
                )))),
            ),
            (6, word(&1_000_000u64.to_be_bytes()).to_vec(), ConfigUpdate::MinBaseFee(1_000_000)),
            (7, word(&139u16.to_be_bytes()).to_vec(), ConfigUpdate::DaFootprintGasScalar(139)),
        ];
        for (ty, payload, want) in cases {
            assert_eq!(ConfigUpdate::decode(&update_log(ty, &payload)), Ok(want), "type {ty}");
        }
    }

    #[test]
    fn rejects_malformed_updates() {
        let gas = word(&30_000_000u64.to_be_bytes());
        let bad =
            |ty: u8, reason: &'static str| Err(ConfigUpdateError::Data { update_type: ty, reason });
        // Short payload.
        assert_eq!(ConfigUpdate::decode(&update_log(2, &gas[..31])), bad(2, "wrong data length"));
        // Gas limit over 64 bits.
        let mut big = gas;
        big[0] = 1;
        assert_eq!(ConfigUpdate::decode(&update_log(2, &big)), bad(2, "gas limit over 64 bits"));
        // Dirty address padding.
        let mut addr = word(&[1; 20]);
        addr[0] = 9;
        assert_eq!(
            ConfigUpdate::decode(&update_log(0, &addr)),
            bad(0, "address has non-zero padding")
        );
        // Wrong pointer.
        let mut l = update_log(2, &gas);
        let mut data = l.data.data.to_vec();
        data[31] = 64;
        l.data = LogData::new_unchecked(l.data.topics().to_vec(), data.into());
        assert_eq!(ConfigUpdate::decode(&l), bad(2, "invalid pointer field"));
        // Unknown type, version, topics.
        let l = update_log(8, &gas);
        assert!(matches!(ConfigUpdate::decode(&l), Err(ConfigUpdateError::UpdateType(_))));
        let mut l = update_log(2, &gas);
        let mut topics = l.data.topics().to_vec();
        topics[1] = B256::with_last_byte(1);
        l.data = LogData::new_unchecked(topics.clone(), l.data.data.clone());
        assert!(matches!(ConfigUpdate::decode(&l), Err(ConfigUpdateError::Version(_))));
        topics.pop();
        l.data = LogData::new_unchecked(topics, l.data.data.clone());
        assert_eq!(ConfigUpdate::decode(&l), Err(ConfigUpdateError::Topics(2)));
        let da = word(&[1, 0, 0]);
        assert_eq!(
            ConfigUpdate::decode(&update_log(7, &da)),
            bad(7, "DA footprint gas scalar over 16 bits")
        );
    }

    #[test]
    fn applies_receipts_in_order_and_halts_on_a_bad_update() {
        let gas = |g: u64| update_log(2, &word(&g.to_be_bytes()));
        let mut other_emitter = gas(1);
        other_emitter.address = Address::repeat_byte(1);
        let receipts = vec![
            receipt(true, vec![gas(40_000_000), other_emitter]),
            receipt(false, vec![gas(2)]), // failed: skipped
            receipt(true, vec![update_log(7, &word(&[0, 0])), gas(50_000_000)]),
        ];
        let mut sys = base_config();
        sys.update_with_receipts(&receipts, SYSCFG, true).unwrap();
        assert_eq!(sys.gas_limit, 50_000_000);
        // A DA footprint gas scalar of 0 is stored as 0 (as op-node does); only L1 info reads it
        // as the default.
        assert_eq!(sys.da_footprint_gas_scalar, Some(0));
        assert_eq!(sys.da_footprint_gas_scalar_or_default(), DEFAULT_DA_FOOTPRINT_GAS_SCALAR);
        sys.apply(ConfigUpdate::DaFootprintGasScalar(139), true);
        assert_eq!(sys.da_footprint_gas_scalar_or_default(), 139);

        // A malformed update in a successful receipt halts, naming its position.
        let mut broken = gas(60_000_000);
        broken.data =
            LogData::new_unchecked(broken.data.topics().to_vec(), Bytes::from_static(&[0; 10]));
        let receipts =
            vec![receipt(true, vec![gas(40_000_000)]), receipt(true, vec![broken.clone()])];
        let err = base_config().update_with_receipts(&receipts, SYSCFG, true).unwrap_err();
        assert!(matches!(err, ConfigUpdateError::At { receipt: 1, log: 0, .. }), "{err}");
        // The same log in a failed receipt is ignored.
        let receipts = vec![receipt(false, vec![broken])];
        base_config().update_with_receipts(&receipts, SYSCFG, true).unwrap();
    }

    #[test]
    fn fee_scalars_before_and_after_ecotone() {
        let overhead = B256::from(word(&[188]));
        let mut invalid = OP_MAINNET_SCALAR;
        invalid[0] = 7;
        let mut sys = base_config();
        sys.apply(ConfigUpdate::FeeScalars { overhead, scalar: invalid }, false);
        assert_eq!((sys.overhead, sys.scalar), (overhead, invalid), "pre-Ecotone: taken as is");
        sys.apply(ConfigUpdate::FeeScalars { overhead, scalar: OP_MAINNET_SCALAR }, true);
        assert_eq!((sys.overhead, sys.scalar), (B256::ZERO, OP_MAINNET_SCALAR));
        sys.apply(ConfigUpdate::FeeScalars { overhead, scalar: invalid }, true);
        assert_eq!(sys.scalar, OP_MAINNET_SCALAR, "invalid post-Ecotone scalar is ignored");
        // Version 0 with non-zero padding: ignored after Ecotone, as op-node's
        // `CheckEcotoneL1SystemConfigScalar` and kona's `check_ecotone_l1_system_config_scalar`
        // reject it (decoding it for L1 info would give a base fee scalar of u32::MAX).
        let mut dirty_v0 = B256::from(word(&684000u32.to_be_bytes()));
        dirty_v0[10] = 0x80;
        sys.apply(ConfigUpdate::FeeScalars { overhead, scalar: dirty_v0 }, true);
        assert_eq!((sys.overhead, sys.scalar), (B256::ZERO, OP_MAINNET_SCALAR), "dirty v0 ignored");
        // The same update through a receipt, as the sequencer sees it.
        let log = update_log(1, &[overhead.0, dirty_v0.0].concat());
        sys.update_with_receipts(&[receipt(true, vec![log])], SYSCFG, true).unwrap();
        assert_eq!(sys.scalar, OP_MAINNET_SCALAR);
        // Before Ecotone it is taken as is.
        sys.apply(ConfigUpdate::FeeScalars { overhead, scalar: dirty_v0 }, false);
        assert_eq!((sys.overhead, sys.scalar), (overhead, dirty_v0));
        // A clean version 0 scalar is accepted after Ecotone.
        let v0 = B256::from(word(&684000u32.to_be_bytes()));
        sys.apply(ConfigUpdate::FeeScalars { overhead, scalar: v0 }, true);
        assert_eq!((sys.overhead, sys.scalar), (B256::ZERO, v0));
    }

    /// OP Mainnet L2 block 124665056: its system config rebuilt from its L1 info deposit.
    #[test]
    fn rebuilds_from_op_mainnet_124665056() {
        let config = RollupConfig::from_json(include_str!(
            "../testdata/rollup_op-mainnet_reconstructed.json"
        ))
        .unwrap();
        let info = L1BlockInfo::decode(
            &hex::decode(include_str!("../testdata/l1info_ecotone.hex").trim()).unwrap(),
        )
        .unwrap();
        let header = Header {
            number: 124665056,
            timestamp: 1724928889,
            gas_limit: 30_000_000,
            ..Default::default()
        };
        let sys = SystemConfig::from_l2_block(&config, &header, &info).unwrap();
        assert_eq!(sys.batcher_addr, address!("0x6887246668a3b87f54deb3b94ba47a6f63f32985"));
        assert_eq!(sys.scalar, OP_MAINNET_SCALAR);
        assert_eq!((sys.overhead, sys.gas_limit), (B256::ZERO, 30_000_000));
        assert_eq!((sys.eip1559_params, sys.min_base_fee), (None, None), "pre-Holocene");
    }

    #[test]
    fn rebuilds_extra_data_fields_by_fork() {
        let config = RollupConfig::from_json(include_str!(
            "../testdata/rollup_op-mainnet_reconstructed.json"
        ))
        .unwrap();
        let holocene = config.forks.holocene_time.unwrap();
        let jovian = config.forks.jovian_time.unwrap();
        let mut info = L1BlockInfo::empty(L1InfoLayout::Isthmus);
        info.operator_fee_scalar = 20000;
        info.operator_fee_constant = 500;
        let mut header = Header {
            timestamp: holocene + 10,
            extra_data: Bytes::from_static(&hex!("00000000fa00000006")),
            ..Default::default()
        };
        let sys = SystemConfig::from_l2_block(&config, &header, &info).unwrap();
        assert_eq!(sys.eip1559_params, Some(B64::from(hex!("000000fa00000006"))));
        assert_eq!(sys.operator_fee(), (20000, 500));
        assert_eq!(sys.min_base_fee, None);

        header.timestamp = jovian + 2;
        header.extra_data = Bytes::from_static(&hex!("01000000fa000000060000000000000064"));
        let mut info = L1BlockInfo::empty(L1InfoLayout::Jovian);
        info.da_footprint_gas_scalar = 400;
        let sys = SystemConfig::from_l2_block(&config, &header, &info).unwrap();
        assert_eq!(sys.eip1559_params, Some(B64::from(hex!("000000fa00000006"))));
        assert_eq!((sys.min_base_fee, sys.da_footprint_gas_scalar), (Some(100), Some(400)));

        // A Holocene-format extraData on a Jovian block does not decode.
        header.extra_data = Bytes::from_static(&hex!("00000000fa00000006"));
        assert!(matches!(
            SystemConfig::from_l2_block(&config, &header, &info),
            Err(SystemConfigError::ExtraData { .. })
        ));
    }
}
