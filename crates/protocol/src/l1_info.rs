//! The L1 attributes deposit: the first transaction of every L2 block, which records the block's
//! L1 origin and its sequence number in the epoch.

use crate::{BlobFeeError, Fork, L1BlobSchedule, RollupConfig, ScalarError, SystemConfig};
use alloy_consensus::BlockHeader;
use alloy_primitives::{address, Address, TxKind, B256, U256};
use op_alloy_consensus::{L1InfoDepositSource, TxDeposit};

/// Gas of the L1 attributes deposit from Regolith on.
pub const REGOLITH_L1_INFO_GAS: u64 = 1_000_000;

/// Sender of the L1 attributes deposit.
pub const L1_INFO_DEPOSITOR: Address = address!("0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001");
/// The L1Block predeploy, receiver of the L1 attributes deposit.
pub const L1_BLOCK_ADDRESS: Address = address!("0x4200000000000000000000000000000000000015");

/// The calldata layout of an L1 attributes deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L1InfoLayout {
    /// `setL1BlockValues`, ABI-encoded words.
    Bedrock,
    /// `setL1BlockValuesEcotone`, packed.
    Ecotone,
    /// `setL1BlockValuesIsthmus`: Ecotone plus operator fee parameters.
    Isthmus,
    /// `setL1BlockValuesJovian`: Isthmus plus the DA footprint gas scalar.
    Jovian,
}

impl L1InfoLayout {
    /// The function selector that opens the calldata.
    pub const fn selector(self) -> [u8; 4] {
        match self {
            Self::Bedrock => [0x01, 0x5d, 0x8e, 0xb9],
            Self::Ecotone => [0x44, 0x0a, 0x5e, 0x20],
            Self::Isthmus => [0x09, 0x89, 0x99, 0xbe],
            Self::Jovian => [0x3d, 0xb6, 0xbe, 0x2b],
        }
    }

    /// The exact calldata length, selector included.
    pub const fn calldata_len(self) -> usize {
        match self {
            Self::Bedrock => 4 + 8 * 32,
            Self::Ecotone => 164,
            Self::Isthmus => 176,
            Self::Jovian => 178,
        }
    }

    /// The layout of the L1 info deposit of the L2 block at `l2_timestamp`.
    ///
    /// A fork's activation block still uses the previous layout, because the L1Block contract is
    /// upgraded by that block's own upgrade transactions: the first Ecotone block is Bedrock, the
    /// first Isthmus block Ecotone, the first Jovian block Isthmus (when forks share an activation
    /// time, the layout of the last fork active before it). A fork active from genesis has no such
    /// block.
    ///
    /// Interop changes the L1 info deposit and is not supported: any block with Interop active
    /// (its activation block and every block after it) is an error
    /// ([`L1InfoBuildError::InteropUnsupported`]), never a guessed layout.
    pub fn for_block(config: &RollupConfig, l2_timestamp: u64) -> Result<Self, L1InfoBuildError> {
        if config.is_active(Fork::Interop, l2_timestamp) {
            return Err(L1InfoBuildError::InteropUnsupported(l2_timestamp));
        }
        Ok([
            (Fork::Jovian, Self::Jovian),
            (Fork::Isthmus, Self::Isthmus),
            (Fork::Ecotone, Self::Ecotone),
        ]
        .into_iter()
        .find(|(fork, _)| {
            config.is_active(*fork, l2_timestamp)
                && !config.is_activation_block(*fork, l2_timestamp)
        })
        .map_or(Self::Bedrock, |(_, layout)| layout))
    }

    fn from_selector(selector: &[u8]) -> Option<Self> {
        [Self::Bedrock, Self::Ecotone, Self::Isthmus, Self::Jovian]
            .into_iter()
            .find(|l| l.selector() == selector)
    }
}

/// The values of an L1 attributes deposit. Fields a layout does not carry are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct L1BlockInfo {
    /// The layout the values were decoded from.
    pub layout: L1InfoLayout,
    /// L1 origin number.
    pub number: u64,
    /// L1 origin timestamp.
    pub timestamp: u64,
    /// L1 origin base fee.
    pub base_fee: U256,
    /// L1 origin hash.
    pub block_hash: B256,
    /// Position of the L2 block in its epoch.
    pub sequence_number: u64,
    /// Batcher address, left-padded to 32 bytes.
    pub batcher_hash: B256,
    /// L1 fee overhead (Bedrock layout only).
    pub l1_fee_overhead: U256,
    /// L1 fee scalar (Bedrock layout only).
    pub l1_fee_scalar: U256,
    /// Base fee scalar (Ecotone layout on).
    pub base_fee_scalar: u32,
    /// Blob base fee scalar (Ecotone layout on).
    pub blob_base_fee_scalar: u32,
    /// L1 blob base fee (Ecotone layout on).
    pub blob_base_fee: U256,
    /// Operator fee scalar (Isthmus layout on).
    pub operator_fee_scalar: u32,
    /// Operator fee constant (Isthmus layout on).
    pub operator_fee_constant: u64,
    /// DA footprint gas scalar (Jovian layout).
    pub da_footprint_gas_scalar: u16,
}

/// Calldata that is not an L1 attributes deposit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum L1InfoError {
    /// Shorter than a selector, or a selector of no known layout.
    #[error("unknown L1 info selector {0}")]
    UnknownSelector(String),
    /// The length does not match the layout.
    #[error("{layout:?} L1 info calldata must be {expected} bytes, got {got}")]
    Length {
        /// The layout named by the selector.
        layout: L1InfoLayout,
        /// Its length.
        expected: usize,
        /// The calldata's length.
        got: usize,
    },
    /// An ABI word holding a `uint64` has high bits set.
    #[error("Bedrock L1 info field `{0}` does not fit in 64 bits")]
    Overflow(&'static str),
}

impl L1BlockInfo {
    /// Decodes the calldata of an L1 attributes deposit in any of the four layouts.
    pub fn decode(calldata: &[u8]) -> Result<Self, L1InfoError> {
        let layout = calldata.get(..4).and_then(L1InfoLayout::from_selector).ok_or_else(|| {
            L1InfoError::UnknownSelector(alloy_primitives::hex::encode_prefixed(
                &calldata[..calldata.len().min(4)],
            ))
        })?;
        if calldata.len() != layout.calldata_len() {
            return Err(L1InfoError::Length {
                layout,
                expected: layout.calldata_len(),
                got: calldata.len(),
            });
        }
        let mut r = Reader(&calldata[4..]);
        if layout == L1InfoLayout::Bedrock {
            let number = r.word_u64("number")?;
            let timestamp = r.word_u64("timestamp")?;
            let base_fee = U256::from_be_bytes(r.word());
            let block_hash = B256::from(r.word());
            let sequence_number = r.word_u64("sequenceNumber")?;
            return Ok(Self {
                layout,
                number,
                timestamp,
                base_fee,
                block_hash,
                sequence_number,
                batcher_hash: B256::from(r.word()),
                l1_fee_overhead: U256::from_be_bytes(r.word()),
                l1_fee_scalar: U256::from_be_bytes(r.word()),
                ..Self::empty(layout)
            });
        }
        let mut info = Self::empty(layout);
        info.base_fee_scalar = r.u32();
        info.blob_base_fee_scalar = r.u32();
        info.sequence_number = r.u64();
        info.timestamp = r.u64();
        info.number = r.u64();
        info.base_fee = U256::from_be_bytes(r.word());
        info.blob_base_fee = U256::from_be_bytes(r.word());
        info.block_hash = B256::from(r.word());
        info.batcher_hash = B256::from(r.word());
        if matches!(layout, L1InfoLayout::Isthmus | L1InfoLayout::Jovian) {
            info.operator_fee_scalar = r.u32();
            info.operator_fee_constant = r.u64();
        }
        if layout == L1InfoLayout::Jovian {
            info.da_footprint_gas_scalar = u16::from_be_bytes(r.take());
        }
        Ok(info)
    }

    /// Encodes the calldata in this value's layout; [`decode`](Self::decode) reads it back.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.layout.calldata_len());
        out.extend_from_slice(&self.layout.selector());
        if self.layout == L1InfoLayout::Bedrock {
            let word = |v: u64| U256::from(v).to_be_bytes::<32>();
            out.extend_from_slice(&word(self.number));
            out.extend_from_slice(&word(self.timestamp));
            out.extend_from_slice(&self.base_fee.to_be_bytes::<32>());
            out.extend_from_slice(self.block_hash.as_slice());
            out.extend_from_slice(&word(self.sequence_number));
            out.extend_from_slice(self.batcher_hash.as_slice());
            out.extend_from_slice(&self.l1_fee_overhead.to_be_bytes::<32>());
            out.extend_from_slice(&self.l1_fee_scalar.to_be_bytes::<32>());
            return out;
        }
        out.extend_from_slice(&self.base_fee_scalar.to_be_bytes());
        out.extend_from_slice(&self.blob_base_fee_scalar.to_be_bytes());
        out.extend_from_slice(&self.sequence_number.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&self.base_fee.to_be_bytes::<32>());
        out.extend_from_slice(&self.blob_base_fee.to_be_bytes::<32>());
        out.extend_from_slice(self.block_hash.as_slice());
        out.extend_from_slice(self.batcher_hash.as_slice());
        if matches!(self.layout, L1InfoLayout::Isthmus | L1InfoLayout::Jovian) {
            out.extend_from_slice(&self.operator_fee_scalar.to_be_bytes());
            out.extend_from_slice(&self.operator_fee_constant.to_be_bytes());
        }
        if self.layout == L1InfoLayout::Jovian {
            out.extend_from_slice(&self.da_footprint_gas_scalar.to_be_bytes());
        }
        out
    }

    /// The L1 attributes deposit transaction carrying this value (gas and system flag as from
    /// Regolith).
    pub fn deposit_tx(&self) -> TxDeposit {
        TxDeposit {
            source_hash: L1InfoDepositSource::new(self.block_hash, self.sequence_number)
                .source_hash(),
            from: L1_INFO_DEPOSITOR,
            to: TxKind::Call(L1_BLOCK_ADDRESS),
            mint: 0,
            value: U256::ZERO,
            gas_limit: REGOLITH_L1_INFO_GAS,
            is_system_transaction: false,
            input: self.encode().into(),
        }
    }

    /// A value of `layout` with every field zero.
    pub const fn empty(layout: L1InfoLayout) -> Self {
        Self {
            layout,
            number: 0,
            timestamp: 0,
            base_fee: U256::ZERO,
            block_hash: B256::ZERO,
            sequence_number: 0,
            batcher_hash: B256::ZERO,
            l1_fee_overhead: U256::ZERO,
            l1_fee_scalar: U256::ZERO,
            base_fee_scalar: 0,
            blob_base_fee_scalar: 0,
            blob_base_fee: U256::ZERO,
            operator_fee_scalar: 0,
            operator_fee_constant: 0,
            da_footprint_gas_scalar: 0,
        }
    }
}

/// Why the L1 info of an L2 block cannot be built from its L1 origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum L1InfoBuildError {
    /// The L1 header has no base fee (pre-London).
    #[error("L1 block {0} has no base fee")]
    NoBaseFee(u64),
    /// The blob base fee cannot be computed.
    #[error(transparent)]
    BlobFee(#[from] BlobFeeError),
    /// The system config's scalar is not a valid post-Ecotone scalar.
    #[error("system config scalar: {0}")]
    Scalar(#[from] ScalarError),
    /// Interop is active at the L2 block's timestamp; its L1 info deposit is not supported.
    #[error("L2 block at {0} has Interop active; its L1 info deposit is not supported")]
    InteropUnsupported(u64),
}

impl L1BlockInfo {
    /// The L1 info of the L2 block at `l2_timestamp` with sequence number `sequence_number`,
    /// from its L1 origin (`l1_header`, whose hash is `l1_hash`) and the system config in force:
    /// layout by [`L1InfoLayout::for_block`] (an error under Interop), blob base fee by
    /// `blob_schedule`.
    pub fn from_l1_origin<H: BlockHeader>(
        config: &RollupConfig,
        blob_schedule: &L1BlobSchedule,
        l2_timestamp: u64,
        l1_header: &H,
        l1_hash: B256,
        system_config: &SystemConfig,
        sequence_number: u64,
    ) -> Result<Self, L1InfoBuildError> {
        let layout = L1InfoLayout::for_block(config, l2_timestamp)?;
        let base_fee =
            l1_header.base_fee_per_gas().ok_or(L1InfoBuildError::NoBaseFee(l1_header.number()))?;
        let mut info = Self {
            number: l1_header.number(),
            timestamp: l1_header.timestamp(),
            base_fee: U256::from(base_fee),
            block_hash: l1_hash,
            sequence_number,
            batcher_hash: system_config.batcher_addr.into_word(),
            ..Self::empty(layout)
        };
        if layout == L1InfoLayout::Bedrock {
            info.l1_fee_overhead = system_config.overhead.into();
            info.l1_fee_scalar = system_config.scalar.into();
            return Ok(info);
        }
        let scalars = system_config.ecotone_scalars()?;
        info.base_fee_scalar = scalars.base_fee_scalar;
        info.blob_base_fee_scalar = scalars.blob_base_fee_scalar;
        info.blob_base_fee = blob_schedule.blob_base_fee(
            config,
            l1_header.timestamp(),
            l1_header.excess_blob_gas(),
        )?;
        if matches!(layout, L1InfoLayout::Isthmus | L1InfoLayout::Jovian) {
            (info.operator_fee_scalar, info.operator_fee_constant) = system_config.operator_fee();
        }
        if layout == L1InfoLayout::Jovian {
            info.da_footprint_gas_scalar = system_config.da_footprint_gas_scalar_or_default();
        }
        Ok(info)
    }
}

/// An ABI word (32 bytes) holding a `uint64`, or `None` when any of its high 24 bytes is set.
pub(crate) fn word_u64(word: &[u8; 32]) -> Option<u64> {
    if word[..24].iter().any(|b| *b != 0) {
        return None;
    }
    Some(u64::from_be_bytes(word[24..].try_into().expect("eight bytes")))
}

/// Reads fixed-size big-endian fields; lengths are checked before use.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        head.try_into().expect("length checked against the layout")
    }
    fn word(&mut self) -> [u8; 32] {
        self.take()
    }
    /// An ABI word that must hold a `uint64`.
    fn word_u64(&mut self, name: &'static str) -> Result<u64, L1InfoError> {
        word_u64(&self.word()).ok_or(L1InfoError::Overflow(name))
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256, hex};

    fn calldata(hex_text: &str) -> Vec<u8> {
        hex::decode(hex_text.trim()).unwrap()
    }

    fn batcher(a: Address) -> B256 {
        a.into_word()
    }

    /// OP Mainnet L2 block 105849734 (Bedrock).
    #[test]
    fn bedrock_op_mainnet_105849734() {
        let info =
            L1BlockInfo::decode(&calldata(include_str!("../testdata/l1info_bedrock.hex"))).unwrap();
        assert_eq!(info.layout, L1InfoLayout::Bedrock);
        assert_eq!(info.number, 17523714);
        assert_eq!(info.timestamp, 1687298171);
        assert_eq!(info.base_fee, U256::from(13790994397u64));
        assert_eq!(
            info.block_hash,
            b256!("0x1eca1cc72d59c84864665457586b5e8910fb78a19fbffd1a23190862dc7f9dd9")
        );
        assert_eq!(info.sequence_number, 0);
        assert_eq!(
            info.batcher_hash,
            batcher(address!("0x6887246668a3b87f54deb3b94ba47a6f63f32985"))
        );
        assert_eq!(info.l1_fee_overhead, U256::from(188));
        assert_eq!(info.l1_fee_scalar, U256::from(684000));
    }

    /// OP Mainnet L2 block 124665056 (Ecotone), tx 0x312e290c….
    #[test]
    fn ecotone_op_mainnet_124665056() {
        let info =
            L1BlockInfo::decode(&calldata(include_str!("../testdata/l1info_ecotone.hex"))).unwrap();
        assert_eq!(info.layout, L1InfoLayout::Ecotone);
        assert_eq!((info.base_fee_scalar, info.blob_base_fee_scalar), (5227, 1014213));
        assert_eq!(info.sequence_number, 4);
        assert_eq!(info.timestamp, 1724928743);
        assert_eq!(info.number, 20633763);
        assert_eq!(info.base_fee, U256::from(1055991687u64));
        assert_eq!(info.blob_base_fee, U256::from(1));
        assert_eq!(
            info.block_hash,
            b256!("0x2fdf87b89884a61e74b322bbcf60386f543bfae7827725efaaf0ab1de2294a59")
        );
        assert_eq!(
            info.batcher_hash,
            batcher(address!("0x6887246668a3b87f54deb3b94ba47a6f63f32985"))
        );
        assert_eq!(info.l1_fee_scalar, U256::ZERO);
    }

    /// Base Sepolia L2 block 26600873 (Isthmus).
    #[test]
    fn isthmus_base_sepolia_26600873() {
        let info =
            L1BlockInfo::decode(&calldata(include_str!("../testdata/l1info_isthmus.hex"))).unwrap();
        assert_eq!(info.layout, L1InfoLayout::Isthmus);
        assert_eq!((info.base_fee_scalar, info.blob_base_fee_scalar), (1101, 659851));
        assert_eq!((info.sequence_number, info.number, info.timestamp), (0, 8469226, 1748969724));
        assert_eq!(info.base_fee, U256::from(2378));
        assert_eq!(
            info.block_hash,
            b256!("0xf10c9d7f8fab954891476f8daa9189f45ee736b02bc43cb190e4f891c82e7edf")
        );
        assert_eq!(
            info.batcher_hash,
            batcher(address!("0xfc56e7272eebbba5bc6c544e159483c4a38f8ba3"))
        );
        assert_eq!((info.operator_fee_scalar, info.operator_fee_constant), (0, 0));
    }

    /// A devnet block with a non-zero operator fee (Isthmus), L1 block 41.
    #[test]
    fn isthmus_operator_fee() {
        let info =
            L1BlockInfo::decode(&calldata(include_str!("../testdata/l1info_isthmus_devnet.hex")))
                .unwrap();
        assert_eq!((info.number, info.sequence_number), (41, 3));
        assert_eq!((info.operator_fee_scalar, info.operator_fee_constant), (20000, 500));
    }

    /// OP Mainnet L2 block 154497269 (Jovian).
    #[test]
    fn jovian_op_mainnet_154497269() {
        let info =
            L1BlockInfo::decode(&calldata(include_str!("../testdata/l1info_jovian.hex"))).unwrap();
        assert_eq!(info.layout, L1InfoLayout::Jovian);
        assert_eq!((info.sequence_number, info.number, info.timestamp), (3, 25577472, 1784593235));
        assert_eq!(info.base_fee, U256::from(72648950));
        assert_eq!(info.blob_base_fee, U256::from(3796822));
        assert_eq!(
            info.block_hash,
            b256!("0x1076949313403c81113fe7b7de83f0e1686e0df1afbfd2112469530562d0bb8e")
        );
        assert_eq!(info.da_footprint_gas_scalar, 400);
    }

    #[test]
    fn encoding_round_trips_real_calldata_byte_for_byte() {
        for text in [
            include_str!("../testdata/l1info_bedrock.hex"),
            include_str!("../testdata/l1info_ecotone.hex"),
            include_str!("../testdata/l1info_isthmus.hex"),
            include_str!("../testdata/l1info_isthmus_devnet.hex"),
            include_str!("../testdata/l1info_jovian.hex"),
        ] {
            let data = calldata(text);
            assert_eq!(L1BlockInfo::decode(&data).unwrap().encode(), data);
        }
    }

    /// The whole deposit of OP Mainnet L2 block 124665056, rebuilt from its L1 values.
    #[test]
    fn deposit_tx_matches_op_mainnet_124665056() {
        use alloy_eips::Encodable2718;
        let raw = calldata(include_str!("../testdata/rawtx_ecotone_op-mainnet_124665056.hex"));
        let info =
            L1BlockInfo::decode(&calldata(include_str!("../testdata/l1info_ecotone.hex"))).unwrap();
        let tx = op_alloy_consensus::OpTxEnvelope::Deposit(alloy_primitives::Sealed::new(
            info.deposit_tx(),
        ));
        assert_eq!(tx.encoded_2718(), raw);
    }

    #[test]
    fn rejects_bad_calldata() {
        let ecotone = calldata(include_str!("../testdata/l1info_ecotone.hex"));
        assert!(matches!(
            L1BlockInfo::decode(&ecotone[..163]),
            Err(L1InfoError::Length { layout: L1InfoLayout::Ecotone, expected: 164, got: 163 })
        ));
        assert!(matches!(L1BlockInfo::decode(&[]), Err(L1InfoError::UnknownSelector(_))));
        assert!(matches!(L1BlockInfo::decode(&[0xa9, 0x05]), Err(L1InfoError::UnknownSelector(_))));
        let mut transfer = ecotone.clone();
        transfer[..4].copy_from_slice(&[0xa9, 0x05, 0x9c, 0xbb]);
        assert!(
            matches!(L1BlockInfo::decode(&transfer), Err(L1InfoError::UnknownSelector(s)) if s == "0xa9059cbb")
        );
        let mut bedrock = calldata(include_str!("../testdata/l1info_bedrock.hex"));
        bedrock[4] = 1; // high byte of the `number` word
        assert_eq!(L1BlockInfo::decode(&bedrock), Err(L1InfoError::Overflow("number")));
    }

    fn op_mainnet() -> RollupConfig {
        RollupConfig::from_json(include_str!("../testdata/rollup_op-mainnet_reconstructed.json"))
            .unwrap()
    }

    fn layout(c: &RollupConfig, t: u64) -> L1InfoLayout {
        L1InfoLayout::for_block(c, t).unwrap()
    }

    #[test]
    fn activation_blocks_use_the_previous_layout() {
        let c = op_mainnet();
        let (ecotone, isthmus, jovian) = (1710374401, 1746806401, 1764691201);
        assert_eq!(layout(&c, ecotone - 2), L1InfoLayout::Bedrock);
        assert_eq!(layout(&c, ecotone), L1InfoLayout::Bedrock);
        assert_eq!(layout(&c, ecotone + 2), L1InfoLayout::Ecotone);
        assert_eq!(layout(&c, isthmus), L1InfoLayout::Ecotone);
        assert_eq!(layout(&c, isthmus + 2), L1InfoLayout::Isthmus);
        assert_eq!(layout(&c, jovian), L1InfoLayout::Isthmus);
        assert_eq!(layout(&c, jovian + 2), L1InfoLayout::Jovian);
        // The real blocks of the decoding tests.
        assert_eq!(layout(&c, 1724928889), L1InfoLayout::Ecotone); // 124665056

        // Isthmus and Jovian at the same time: the activation block is Ecotone.
        let mut both = c.clone();
        both.forks.jovian_time = Some(isthmus);
        assert_eq!(layout(&both, isthmus), L1InfoLayout::Ecotone);
        assert_eq!(layout(&both, isthmus + 2), L1InfoLayout::Jovian);

        // Forks active at genesis have no activation block.
        let mut genesis = c;
        genesis.genesis.l2_time = 1000;
        for fork in [Fork::Ecotone, Fork::Isthmus, Fork::Jovian] {
            let mut f = genesis.forks;
            match fork {
                Fork::Ecotone => f.ecotone_time = Some(0),
                Fork::Isthmus => f.isthmus_time = Some(0),
                _ => f.jovian_time = Some(0),
            }
            genesis.forks = f;
        }
        genesis.forks.regolith_time = Some(0);
        assert_eq!(layout(&genesis, 1002), L1InfoLayout::Jovian);
    }

    /// Interop is refused on its activation block and on every block after it, never given a
    /// layout.
    #[test]
    fn interop_is_refused_from_activation_on() {
        let mut c = op_mainnet();
        let interop = 1_800_000_001;
        c.forks.interop_time = Some(interop);
        assert_eq!(layout(&c, interop - 2), L1InfoLayout::Jovian);
        for t in [interop, interop + 2, interop + 1_000_000] {
            let err = L1InfoLayout::for_block(&c, t).unwrap_err();
            assert_eq!(err, L1InfoBuildError::InteropUnsupported(t));
            assert!(err.to_string().contains("Interop"), "{err}");
        }
        let header = alloy_consensus::Header {
            base_fee_per_gas: Some(7),
            excess_blob_gas: Some(0),
            timestamp: interop,
            ..Default::default()
        };
        let sys = c.genesis_system_config().unwrap();
        assert_eq!(
            L1BlockInfo::from_l1_origin(
                &c,
                &crate::L1BlobSchedule::mainnet(),
                interop + 20,
                &header,
                B256::ZERO,
                &sys,
                0
            ),
            Err(L1InfoBuildError::InteropUnsupported(interop + 20))
        );
    }

    /// OP Mainnet L2 block 124665056 (tx 0x312e290c…): its L1 info deposit rebuilt from its L1
    /// origin (L1 block 20633763) and OP Mainnet's system config, byte for byte. The header holds
    /// the L1 block's number, timestamp and base fee; its excess blob gas is not in our test data,
    /// and any value up to 2314057 gives the recorded blob base fee of 1.
    #[test]
    fn builds_op_mainnet_124665056_from_its_l1_origin() {
        use alloy_eips::Encodable2718;
        let config = op_mainnet();
        let mut sys = config.genesis_system_config().unwrap();
        sys.batcher_addr = address!("0x6887246668a3b87f54deb3b94ba47a6f63f32985");
        sys.scalar = b256!("0x010000000000000000000000000000000000000000000000000f79c50000146b");
        sys.overhead = B256::ZERO;
        let header = alloy_consensus::Header {
            number: 20633763,
            timestamp: 1724928743,
            base_fee_per_gas: Some(1055991687),
            excess_blob_gas: Some(0),
            ..Default::default()
        };
        let hash = b256!("0x2fdf87b89884a61e74b322bbcf60386f543bfae7827725efaaf0ab1de2294a59");
        let info = L1BlockInfo::from_l1_origin(
            &config,
            &crate::L1BlobSchedule::mainnet(),
            1724928889,
            &header,
            hash,
            &sys,
            4,
        )
        .unwrap();
        assert_eq!(info.encode(), calldata(include_str!("../testdata/l1info_ecotone.hex")));
        let raw = calldata(include_str!("../testdata/rawtx_ecotone_op-mainnet_124665056.hex"));
        let tx = op_alloy_consensus::OpTxEnvelope::Deposit(alloy_primitives::Sealed::new(
            info.deposit_tx(),
        ));
        assert_eq!(tx.encoded_2718(), raw);
    }

    #[test]
    fn builds_each_layout_from_the_system_config() {
        let config = op_mainnet();
        let mut sys = config.genesis_system_config().unwrap();
        sys.overhead = B256::with_last_byte(188);
        sys.scalar = B256::from(U256::from(684000));
        sys.operator_fee_params = Some(B256::from(U256::from((20000u128 << 64) | 500)));
        sys.da_footprint_gas_scalar = Some(0);
        let header = alloy_consensus::Header {
            number: 22_000_000,
            timestamp: 1_760_000_000,
            base_fee_per_gas: Some(7),
            excess_blob_gas: Some(10 * 1024 * 1024),
            ..Default::default()
        };
        let build = |t: u64, sys: &SystemConfig| {
            L1BlockInfo::from_l1_origin(
                &config,
                &crate::L1BlobSchedule::mainnet(),
                t,
                &header,
                B256::ZERO,
                sys,
                1,
            )
        };
        let bedrock = build(1710374401, &sys).unwrap();
        assert_eq!(bedrock.layout, L1InfoLayout::Bedrock);
        assert_eq!(
            (bedrock.l1_fee_overhead, bedrock.l1_fee_scalar),
            (U256::from(188), U256::from(684000))
        );
        let ecotone = build(1710374403, &sys).unwrap();
        assert_eq!((ecotone.base_fee_scalar, ecotone.blob_base_fee_scalar), (684000, 0));
        assert_eq!(
            ecotone.blob_base_fee,
            U256::from(alloy_eips::eip7840::BlobParams::prague().calc_blob_fee(10 * 1024 * 1024))
        );
        assert_eq!(ecotone.operator_fee_scalar, 0, "Ecotone layout carries no operator fee");
        let jovian = build(1764691203, &sys).unwrap();
        assert_eq!(jovian.layout, L1InfoLayout::Jovian);
        assert_eq!((jovian.operator_fee_scalar, jovian.operator_fee_constant), (20000, 500));
        assert_eq!(jovian.da_footprint_gas_scalar, 400, "0 means the default");
        assert_eq!(L1BlockInfo::decode(&jovian.encode()).unwrap(), jovian);

        let no_base_fee = alloy_consensus::Header { number: 5, ..Default::default() };
        assert_eq!(
            L1BlockInfo::from_l1_origin(
                &config,
                &crate::L1BlobSchedule::mainnet(),
                1710374403,
                &no_base_fee,
                B256::ZERO,
                &sys,
                0
            ),
            Err(L1InfoBuildError::NoBaseFee(5))
        );
        let mut bad = sys.clone();
        bad.scalar = B256::repeat_byte(9);
        assert_eq!(
            build(1710374403, &bad),
            Err(L1InfoBuildError::Scalar(ScalarError::UnknownVersion(9)))
        );
    }
}
