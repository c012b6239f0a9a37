//! Payload attributes of the next L2 block, and the Engine API checks op-reth would run on them.

use super::origin::SequencerL1;
use alloy_consensus::{proofs::calculate_receipt_root, Header, ReceiptEnvelope, Sealable, Sealed};
use alloy_eips::Encodable2718;
use alloy_primitives::{address, Address, Bytes, B256, B64};
use alloy_rpc_types_engine::PayloadAttributes;
use light_cl_protocol::{
    user_deposits, BlockID, ConfigUpdateError, DepositError, Fork, L1BlobSchedule, L1BlockInfo,
    L1BlockRef, L1InfoBuildError, L2BlockRef, RollupConfig, SystemConfig,
};
use op_alloy_rpc_types_engine::OpPayloadAttributes;

/// The SequencerFeeVault predeploy, fee recipient of every L2 block.
pub const SEQUENCER_FEE_VAULT: Address = address!("0x4200000000000000000000000000000000000011");

/// Forks whose activation block carries network-upgrade transactions, which this builder does not
/// have. (Interop is refused on every block, see [`AttributesError::InteropUnsupported`].)
const UPGRADE_TX_FORKS: [Fork; 4] = [Fork::Ecotone, Fork::Fjord, Fork::Isthmus, Fork::Jovian];

/// Payload attributes of the next L2 block and what they were built from.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltAttributes {
    /// The attributes to hand to the engine.
    pub attributes: OpPayloadAttributes,
    /// The system config of the new block (the parent's, with the origin's updates on a new
    /// epoch).
    pub system_config: SystemConfig,
    /// The new block's L1 info.
    pub l1_info: L1BlockInfo,
    /// Number of user deposits included.
    pub deposits: usize,
}

/// The attributes of the next L2 block cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributesError {
    /// Sequencing before Regolith is not supported.
    #[error("L2 block at {0} is before Regolith; sequencing it is not supported")]
    PreRegolith(u64),
    /// Interop is active at the block's timestamp: its activation block needs upgrade
    /// transactions and its blocks a different L1 info deposit, neither of which this builder
    /// has.
    #[error("L2 block at {0} has Interop active; sequencing Interop blocks is not supported")]
    InteropUnsupported(u64),
    /// The block activates a fork whose upgrade transactions the builder does not have.
    #[error("L2 block at {timestamp} activates {fork:?}, which needs network-upgrade transactions this builder does not have")]
    UpgradeBlock {
        /// The fork.
        fork: Fork,
        /// The block's timestamp.
        timestamp: u64,
    },
    /// The origin is neither the parent's origin nor its child.
    #[error("L1 origin {origin:?} (parent {origin_parent}) does not follow the parent's origin {parent_origin:?}")]
    OriginMismatch {
        /// The parent's L1 origin.
        parent_origin: BlockID,
        /// The chosen origin.
        origin: BlockID,
        /// The chosen origin's parent hash.
        origin_parent: B256,
    },
    /// The L2 block would be older than its L1 origin.
    #[error("L2 block at {l2_time} is older than its L1 origin at {origin_time}")]
    OriginAhead {
        /// The L2 timestamp.
        l2_time: u64,
        /// The origin's timestamp.
        origin_time: u64,
    },
    /// A timestamp or sequence number does not fit in 64 bits.
    #[error("{0} overflows")]
    Overflow(&'static str),
    /// A user deposit log cannot be decoded (deposits are never dropped).
    #[error(transparent)]
    Deposit(#[from] DepositError),
    /// A `ConfigUpdate` log cannot be parsed; building halts as in op-node and kona.
    #[error(transparent)]
    ConfigUpdate(#[from] ConfigUpdateError),
    /// The L1 info deposit cannot be built.
    #[error(transparent)]
    L1Info(#[from] L1InfoBuildError),
    /// Reading L1 failed.
    #[error("L1: {0}")]
    L1(#[from] light_cl_rpc::ElError),
    /// L1 does not have the origin's header or receipts.
    #[error("L1 has no {what} for block {hash}")]
    MissingL1Data {
        /// "header" or "receipts".
        what: &'static str,
        /// The block.
        hash: B256,
    },
    /// L1 answered with a header or receipts that do not belong to the block asked for.
    #[error("L1 answered {what} that do not match block {hash}")]
    L1DataMismatch {
        /// "header" or "receipts".
        what: &'static str,
        /// The block.
        hash: B256,
    },
}

/// Builds the payload attributes of the L2 block after `parent` with L1 origin `origin`.
///
/// `parent_system_config` is the system config of `parent` (from the rollup config at genesis,
/// else [`SystemConfig::from_l2_block`]); `receipts` are the origin's receipts, read only when
/// the origin starts a new epoch. The fields, as the book's "Sequencing protocol" lists them:
/// - `timestamp` = parent + block time; `prevRandao` = the origin's mix hash; fee recipient the
///   SequencerFeeVault; `withdrawals` `[]` from Canyon; `parentBeaconBlockRoot` the origin's
///   (zero when absent) from Ecotone;
/// - transactions: the L1 info deposit, then (new epoch only) the origin's user deposits;
/// - `noTxPool` when the block is past the maximum sequencer drift of its origin;
/// - `gasLimit` from the system config; `eip1559Params` from Holocene (8 zero bytes on the first
///   Holocene block); `minBaseFee` from Jovian.
///
/// A new epoch applies the origin's `ConfigUpdate` logs first; one that cannot be parsed is an
/// error, as in op-node and kona (the spec says to skip it). A block that activates Ecotone,
/// Fjord, Isthmus or Jovian is refused ([`AttributesError::UpgradeBlock`]), and so is every block
/// with Interop active, its activation block included ([`AttributesError::InteropUnsupported`]).
pub fn build_attributes(
    config: &RollupConfig,
    blob_schedule: &L1BlobSchedule,
    parent: &L2BlockRef,
    parent_system_config: &SystemConfig,
    origin: &Sealed<Header>,
    receipts: &[ReceiptEnvelope],
) -> Result<BuiltAttributes, AttributesError> {
    let t = parent
        .timestamp
        .checked_add(config.block_time)
        .ok_or(AttributesError::Overflow("L2 timestamp"))?;
    if !config.is_active(Fork::Regolith, t) {
        return Err(AttributesError::PreRegolith(t));
    }
    if config.is_active(Fork::Interop, t) {
        return Err(AttributesError::InteropUnsupported(t));
    }
    if let Some(fork) = UPGRADE_TX_FORKS.into_iter().find(|f| config.is_activation_block(*f, t)) {
        return Err(AttributesError::UpgradeBlock { fork, timestamp: t });
    }
    let header = origin.inner();
    let origin_id = BlockID { hash: origin.hash(), number: header.number };
    let mismatch = AttributesError::OriginMismatch {
        parent_origin: parent.l1_origin,
        origin: origin_id,
        origin_parent: header.parent_hash,
    };
    let mut system_config = parent_system_config.clone();
    let mut deposits = Vec::new();
    let sequence_number = if origin_id.number == parent.l1_origin.number {
        if origin_id.hash != parent.l1_origin.hash {
            return Err(mismatch);
        }
        parent.sequence_number.checked_add(1).ok_or(AttributesError::Overflow("sequence number"))?
    } else if parent.l1_origin.number.checked_add(1) == Some(origin_id.number)
        && header.parent_hash == parent.l1_origin.hash
    {
        system_config.update_with_receipts(
            receipts,
            config.l1_system_config_address,
            config.is_active(Fork::Ecotone, header.timestamp),
        )?;
        deposits = user_deposits(receipts, config.deposit_contract_address, origin_id.hash)?;
        0
    } else {
        return Err(mismatch);
    };
    if t < header.timestamp {
        return Err(AttributesError::OriginAhead { l2_time: t, origin_time: header.timestamp });
    }

    let l1_info = L1BlockInfo::from_l1_origin(
        config,
        blob_schedule,
        t,
        header,
        origin_id.hash,
        &system_config,
        sequence_number,
    )?;
    let mut transactions: Vec<Bytes> = Vec::with_capacity(1 + deposits.len());
    transactions.push(l1_info.deposit_tx().encoded_2718().into());
    transactions.extend(deposits.iter().map(|d| Bytes::from(d.encoded_2718())));

    let max_drift = config.max_sequencer_drift(header.timestamp);
    let no_tx_pool = t > header.timestamp.saturating_add(max_drift);
    let eip_1559_params = config.is_active(Fork::Holocene, t).then(|| {
        if config.is_activation_block(Fork::Holocene, t) {
            B64::ZERO
        } else {
            system_config.eip1559_params.unwrap_or_default()
        }
    });
    let min_base_fee =
        config.is_active(Fork::Jovian, t).then(|| system_config.min_base_fee.unwrap_or_default());
    let attributes = OpPayloadAttributes {
        payload_attributes: PayloadAttributes {
            timestamp: t,
            prev_randao: header.mix_hash,
            suggested_fee_recipient: SEQUENCER_FEE_VAULT,
            withdrawals: config.is_active(Fork::Canyon, t).then(Vec::new),
            parent_beacon_block_root: config
                .is_active(Fork::Ecotone, t)
                .then(|| header.parent_beacon_block_root.unwrap_or_default()),
        },
        transactions: Some(transactions),
        no_tx_pool: Some(no_tx_pool),
        gas_limit: Some(system_config.gas_limit),
        eip_1559_params,
        min_base_fee,
    };
    Ok(BuiltAttributes { attributes, system_config, l1_info, deposits: deposits.len() })
}

/// Reads the origin's header (and, on a new epoch, its receipts) from L1, checks that they belong
/// to `origin` (header hash, receipts root), and builds the attributes with
/// [`build_attributes`].
pub async fn prepare_attributes<S: SequencerL1>(
    l1: &S,
    config: &RollupConfig,
    blob_schedule: &L1BlobSchedule,
    parent: &L2BlockRef,
    parent_system_config: &SystemConfig,
    origin: &L1BlockRef,
) -> Result<BuiltAttributes, AttributesError> {
    let hash = origin.hash;
    let header = l1
        .header_by_hash(hash)
        .await?
        .ok_or(AttributesError::MissingL1Data { what: "header", hash })?
        .seal_slow();
    if header.hash() != hash {
        return Err(AttributesError::L1DataMismatch { what: "header", hash });
    }
    let receipts = if origin.number != parent.l1_origin.number {
        let receipts = l1
            .receipts_by_hash(hash)
            .await?
            .ok_or(AttributesError::MissingL1Data { what: "receipts", hash })?;
        if calculate_receipt_root(&receipts) != header.receipts_root {
            return Err(AttributesError::L1DataMismatch { what: "receipts", hash });
        }
        receipts
    } else {
        Vec::new()
    };
    build_attributes(config, blob_schedule, parent, parent_system_config, &header, &receipts)
}

/// Attributes op-reth's Engine API would refuse (`OpEngineValidator::ensure_well_formed_attributes`
/// in reth v1.10.2), with the Engine API version chosen by fork (V1 before Canyon, V2 from
/// Canyon, V3 from Ecotone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AttributesValidationError {
    /// Withdrawals present before Canyon.
    #[error("withdrawals before Canyon")]
    WithdrawalsBeforeCanyon,
    /// Withdrawals missing from Canyon.
    #[error("no withdrawals after Canyon")]
    NoWithdrawalsAfterCanyon,
    /// Parent beacon block root present before Ecotone.
    #[error("parent beacon block root before Ecotone")]
    ParentBeaconRootBeforeEcotone,
    /// Parent beacon block root missing from Ecotone.
    #[error("no parent beacon block root after Ecotone")]
    NoParentBeaconRootAfterEcotone,
    /// No gas limit.
    #[error("MissingGasLimitInPayloadAttributes")]
    MissingGasLimit,
    /// No EIP-1559 parameters from Holocene.
    #[error("MissingEip1559ParamsInPayloadAttributes")]
    MissingEip1559Params,
    /// Elasticity set with a zero denominator.
    #[error("Eip1559ParamsDenominatorZero")]
    Eip1559DenominatorZero,
    /// Denominator set with a zero elasticity.
    #[error("Eip1559ParamsElasticityZero")]
    Eip1559ElasticityZero,
    /// No minimum base fee from Jovian.
    #[error("MissingMinBaseFeeInPayloadAttributes")]
    MissingMinBaseFee,
    /// A minimum base fee before Jovian.
    #[error("MinBaseFeeNotAllowedBeforeJovian")]
    MinBaseFeeBeforeJovian,
}

/// Checks attributes as op-reth's Engine API does before they reach the engine: withdrawals
/// exactly from Canyon, parent beacon root exactly from Ecotone, a gas limit, EIP-1559 parameters
/// from Holocene (both zero or both non-zero), and a minimum base fee exactly from Jovian.
pub fn validate_attributes(
    config: &RollupConfig,
    attributes: &OpPayloadAttributes,
) -> Result<(), AttributesValidationError> {
    use AttributesValidationError as E;
    let t = attributes.payload_attributes.timestamp;
    let canyon = config.is_active(Fork::Canyon, t);
    match (canyon, attributes.payload_attributes.withdrawals.is_some()) {
        (false, true) => return Err(E::WithdrawalsBeforeCanyon),
        (true, false) => return Err(E::NoWithdrawalsAfterCanyon),
        _ => {}
    }
    let ecotone = config.is_active(Fork::Ecotone, t);
    match (ecotone, attributes.payload_attributes.parent_beacon_block_root.is_some()) {
        (false, true) => return Err(E::ParentBeaconRootBeforeEcotone),
        (true, false) => return Err(E::NoParentBeaconRootAfterEcotone),
        _ => {}
    }
    if attributes.gas_limit.is_none() {
        return Err(E::MissingGasLimit);
    }
    if config.is_active(Fork::Holocene, t) {
        let (elasticity, denominator) =
            attributes.decode_eip_1559_params().ok_or(E::MissingEip1559Params)?;
        if elasticity != 0 && denominator == 0 {
            return Err(E::Eip1559DenominatorZero);
        }
        if denominator != 0 && elasticity == 0 {
            return Err(E::Eip1559ElasticityZero);
        }
    }
    match (config.is_active(Fork::Jovian, t), attributes.min_base_fee.is_some()) {
        (true, false) => Err(E::MissingMinBaseFee),
        (false, true) => Err(E::MinBaseFeeBeforeJovian),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequencer::origin::tests::FakeL1;
    use alloy_consensus::{Eip658Value, Receipt, ReceiptWithBloom};
    use alloy_eips::Decodable2718;
    use alloy_primitives::{Log, LogData, TxKind, U256};
    use light_cl_protocol::{encode_deposit_log, CONFIG_UPDATE_TOPIC};
    use op_alloy_consensus::{OpTxEnvelope, TxDeposit};

    const L1_TIME: u64 = 1_770_000_000;

    fn config() -> RollupConfig {
        RollupConfig::from_json(include_str!(
            "../../../protocol/testdata/rollup_op-mainnet_reconstructed.json"
        ))
        .unwrap()
    }

    fn envelope(ok: bool, logs: Vec<Log>) -> ReceiptEnvelope {
        let r = Receipt { status: Eip658Value::Eip658(ok), cumulative_gas_used: 21000, logs };
        ReceiptEnvelope::Eip1559(ReceiptWithBloom::new(r, Default::default()))
    }

    fn gas_limit_update(c: &RollupConfig, gas: u64) -> Log {
        let mut data = vec![0u8; 96];
        data[31] = 32;
        data[63] = 32;
        data[88..96].copy_from_slice(&gas.to_be_bytes());
        Log {
            address: c.l1_system_config_address,
            data: LogData::new_unchecked(
                vec![CONFIG_UPDATE_TOPIC, B256::ZERO, B256::with_last_byte(2)],
                data.into(),
            ),
        }
    }

    fn user_deposit() -> TxDeposit {
        TxDeposit {
            source_hash: B256::ZERO,
            from: Address::repeat_byte(0x42),
            to: TxKind::Call(Address::repeat_byte(0x43)),
            mint: 1_000,
            value: U256::from(1_000),
            gas_limit: 90_000,
            is_system_transaction: false,
            input: Bytes::from_static(b"hi"),
        }
    }

    struct Fixture {
        config: RollupConfig,
        sys: SystemConfig,
        l1_parent: Sealed<Header>,
        origin: Sealed<Header>,
        receipts: Vec<ReceiptEnvelope>,
    }

    fn fixture() -> Fixture {
        let config = config();
        let mut sys = config.genesis_system_config().unwrap();
        sys.scalar = encode_scalar(5227, 1014213);
        sys.eip1559_params = Some(B64::from([0, 0, 0, 250, 0, 0, 0, 6]));
        sys.min_base_fee = Some(100);
        let l1_parent =
            Header { number: 24_000_000, timestamp: L1_TIME - 12, ..Default::default() }
                .seal_slow();
        let receipts = vec![
            envelope(
                true,
                vec![encode_deposit_log(config.deposit_contract_address, &user_deposit())],
            ),
            envelope(true, vec![gas_limit_update(&config, 45_000_000)]),
        ];
        let origin = Header {
            number: 24_000_001,
            parent_hash: l1_parent.hash(),
            timestamp: L1_TIME,
            base_fee_per_gas: Some(1_000_000_000),
            excess_blob_gas: Some(0),
            mix_hash: B256::repeat_byte(0x5a),
            parent_beacon_block_root: Some(B256::repeat_byte(0xbe)),
            receipts_root: calculate_receipt_root(&receipts),
            ..Default::default()
        }
        .seal_slow();
        Fixture { config, sys, l1_parent, origin, receipts }
    }

    fn encode_scalar(base: u32, blob: u32) -> B256 {
        light_cl_protocol::encode_ecotone_scalar(light_cl_protocol::EcotoneScalars {
            base_fee_scalar: base,
            blob_base_fee_scalar: blob,
        })
    }

    fn parent_on(origin: &Sealed<Header>, timestamp: u64, seq: u64) -> L2BlockRef {
        L2BlockRef {
            hash: B256::repeat_byte(0xaa),
            number: 150_000_000,
            parent_hash: B256::repeat_byte(0xab),
            timestamp,
            l1_origin: BlockID { hash: origin.hash(), number: origin.number },
            sequence_number: seq,
        }
    }

    fn decode_tx(b: &Bytes) -> TxDeposit {
        match OpTxEnvelope::decode_2718(&mut b.as_ref()).unwrap() {
            OpTxEnvelope::Deposit(d) => d.into_inner(),
            other => panic!("not a deposit: {other:?}"),
        }
    }

    /// Builds the attributes of the fixture's origin on top of `parent`.
    fn build(f: &Fixture, parent: &L2BlockRef) -> Result<BuiltAttributes, AttributesError> {
        build_attributes(
            &f.config,
            &L1BlobSchedule::mainnet(),
            parent,
            &f.sys,
            &f.origin,
            &f.receipts,
        )
    }

    #[test]
    fn new_epoch_has_every_field() {
        let f = fixture();
        let parent = parent_on(&f.l1_parent, L1_TIME + 11, 5);
        let built = build(&f, &parent).unwrap();
        let a = &built.attributes;
        let p = &a.payload_attributes;
        assert_eq!(p.timestamp, L1_TIME + 13);
        assert_eq!(p.prev_randao, B256::repeat_byte(0x5a));
        assert_eq!(p.suggested_fee_recipient, SEQUENCER_FEE_VAULT);
        assert_eq!(p.withdrawals, Some(vec![]));
        assert_eq!(p.parent_beacon_block_root, Some(B256::repeat_byte(0xbe)));
        assert_eq!(a.no_tx_pool, Some(false));
        assert_eq!(a.gas_limit, Some(45_000_000), "the origin's ConfigUpdate applies");
        assert_eq!(a.eip_1559_params, Some(B64::from([0, 0, 0, 250, 0, 0, 0, 6])));
        assert_eq!(a.min_base_fee, Some(100));
        let txs = a.transactions.as_ref().unwrap();
        assert_eq!(txs.len(), 2);
        let info_tx = decode_tx(&txs[0]);
        let info = L1BlockInfo::decode(&info_tx.input).unwrap();
        assert_eq!(info.layout, light_cl_protocol::L1InfoLayout::Jovian);
        assert_eq!((info.number, info.timestamp, info.sequence_number), (24_000_001, L1_TIME, 0));
        assert_eq!(info.block_hash, f.origin.hash());
        assert_eq!((info.base_fee_scalar, info.blob_base_fee_scalar), (5227, 1014213));
        assert_eq!(info_tx, built.l1_info.deposit_tx());
        let deposit = decode_tx(&txs[1]);
        assert_eq!(
            deposit,
            TxDeposit {
                source_hash: op_alloy_consensus::UserDepositSource::new(f.origin.hash(), 0)
                    .source_hash(),
                ..user_deposit()
            }
        );
        assert_eq!((built.deposits, built.system_config.gas_limit), (1, 45_000_000));
        validate_attributes(&f.config, a).unwrap();
    }

    #[test]
    fn same_epoch_increments_the_sequence_number_without_deposits() {
        let f = fixture();
        let parent = parent_on(&f.origin, L1_TIME + 11, 5);
        let built = build(&f, &parent).unwrap();
        let txs = built.attributes.transactions.as_ref().unwrap();
        assert_eq!(txs.len(), 1, "deposits only at epoch start");
        assert_eq!(built.l1_info.sequence_number, 6);
        assert_eq!(built.attributes.gas_limit, Some(f.sys.gas_limit), "no ConfigUpdate mid-epoch");
    }

    #[test]
    fn no_tx_pool_past_the_drift() {
        let f = fixture();
        let within = parent_on(&f.origin, L1_TIME + 1798, 0);
        let b = build_attributes(
            &f.config,
            &L1BlobSchedule::mainnet(),
            &within,
            &f.sys,
            &f.origin,
            &[],
        )
        .unwrap();
        assert_eq!(b.attributes.no_tx_pool, Some(false));
        let past = parent_on(&f.origin, L1_TIME + 1799, 0);
        let b =
            build_attributes(&f.config, &L1BlobSchedule::mainnet(), &past, &f.sys, &f.origin, &[])
                .unwrap();
        assert_eq!(b.attributes.no_tx_pool, Some(true));
    }

    #[test]
    fn fork_dependent_fields() {
        let f = fixture();
        let holocene = f.config.forks.holocene_time.unwrap();
        // First Holocene block (no upgrade transactions): eip1559Params are 8 zero bytes.
        let first = parent_on(&f.origin, holocene - 2, 0);
        let origin_early =
            Header { timestamp: holocene - 100, ..f.origin.inner().clone() }.seal_slow();
        let first = L2BlockRef {
            l1_origin: BlockID { hash: origin_early.hash(), number: origin_early.number },
            ..first
        };
        let b = build_attributes(
            &f.config,
            &L1BlobSchedule::mainnet(),
            &first,
            &f.sys,
            &origin_early,
            &[],
        )
        .unwrap();
        assert_eq!(b.attributes.eip_1559_params, Some(B64::ZERO));
        assert_eq!(b.attributes.min_base_fee, None, "before Jovian");
        validate_attributes(&f.config, &b.attributes).unwrap();
        // The next block uses the system config's parameters.
        let second = L2BlockRef { timestamp: holocene, ..first };
        let b = build_attributes(
            &f.config,
            &L1BlobSchedule::mainnet(),
            &second,
            &f.sys,
            &origin_early,
            &[],
        )
        .unwrap();
        assert_eq!(b.attributes.eip_1559_params, f.sys.eip1559_params);

        // Before Ecotone and Canyon (Regolith only): no beacon root, no withdrawals, no eip1559.
        let mut old = f.config.clone();
        old.forks = light_cl_protocol::ForkTimes { regolith_time: Some(0), ..Default::default() };
        let parent = parent_on(&f.origin, L1_TIME + 11, 0);
        let b = build_attributes(&old, &L1BlobSchedule::mainnet(), &parent, &f.sys, &f.origin, &[])
            .unwrap();
        let p = &b.attributes.payload_attributes;
        assert_eq!((p.withdrawals.as_ref(), p.parent_beacon_block_root), (None, None));
        assert_eq!((b.attributes.eip_1559_params, b.attributes.min_base_fee), (None, None));
        assert_eq!(b.l1_info.layout, light_cl_protocol::L1InfoLayout::Bedrock);
        validate_attributes(&old, &b.attributes).unwrap();

        // Ecotone without a beacon root on the L1 header: zero.
        let no_root =
            Header { parent_beacon_block_root: None, ..f.origin.inner().clone() }.seal_slow();
        let parent = L2BlockRef {
            l1_origin: BlockID { hash: no_root.hash(), number: no_root.number },
            ..parent
        };
        let b =
            build_attributes(&f.config, &L1BlobSchedule::mainnet(), &parent, &f.sys, &no_root, &[])
                .unwrap();
        assert_eq!(b.attributes.payload_attributes.parent_beacon_block_root, Some(B256::ZERO));
    }

    #[test]
    fn refusals() {
        let f = fixture();
        let s = L1BlobSchedule::mainnet();
        // Isthmus activation needs upgrade transactions.
        let isthmus = f.config.forks.isthmus_time.unwrap();
        let origin = Header { timestamp: isthmus - 50, ..f.origin.inner().clone() }.seal_slow();
        let parent = L2BlockRef {
            l1_origin: BlockID { hash: origin.hash(), number: origin.number },
            ..parent_on(&f.origin, isthmus - 2, 0)
        };
        let err = build_attributes(&f.config, &s, &parent, &f.sys, &origin, &[]).unwrap_err();
        assert_eq!(err, AttributesError::UpgradeBlock { fork: Fork::Isthmus, timestamp: isthmus });
        assert!(err.to_string().contains("Isthmus"));
        // Interop: refused on its activation block and on every block after it.
        let mut interop = f.config.clone();
        let interop_time = L1_TIME + 13;
        interop.forks.interop_time = Some(interop_time);
        for (parent_time, t) in [
            (interop_time - 2, interop_time),
            (interop_time, interop_time + 2),
            (interop_time + 998, interop_time + 1000),
        ] {
            let parent = parent_on(&f.origin, parent_time, 0);
            let err = build_attributes(&interop, &s, &parent, &f.sys, &f.origin, &[]).unwrap_err();
            assert_eq!(err, AttributesError::InteropUnsupported(t));
            assert!(err.to_string().contains("Interop"), "{err}");
        }
        // The block before Interop still builds.
        let parent = parent_on(&f.origin, interop_time - 4, 0);
        build_attributes(&interop, &s, &parent, &f.sys, &f.origin, &[]).unwrap();
        // Pre-Regolith.
        let mut bedrock = f.config.clone();
        bedrock.forks = Default::default();
        let parent = parent_on(&f.origin, L1_TIME + 11, 0);
        assert_eq!(
            build_attributes(&bedrock, &s, &parent, &f.sys, &f.origin, &[]),
            Err(AttributesError::PreRegolith(L1_TIME + 13))
        );
        // Origin not linked to the parent's origin: same number other hash, or a gap.
        let other = L2BlockRef {
            l1_origin: BlockID { hash: B256::repeat_byte(1), number: f.origin.number },
            ..parent
        };
        assert!(matches!(
            build_attributes(&f.config, &s, &other, &f.sys, &f.origin, &[]),
            Err(AttributesError::OriginMismatch { .. })
        ));
        let gap = L2BlockRef {
            l1_origin: BlockID { hash: f.l1_parent.hash(), number: f.origin.number - 2 },
            ..parent
        };
        assert!(matches!(
            build_attributes(&f.config, &s, &gap, &f.sys, &f.origin, &[]),
            Err(AttributesError::OriginMismatch { .. })
        ));
        // L2 block older than its origin.
        let early = parent_on(&f.origin, L1_TIME - 4, 0);
        assert_eq!(
            build_attributes(&f.config, &s, &early, &f.sys, &f.origin, &[]),
            Err(AttributesError::OriginAhead { l2_time: L1_TIME - 2, origin_time: L1_TIME })
        );
        // An unparsable ConfigUpdate at epoch start halts building.
        let mut bad = gas_limit_update(&f.config, 1);
        bad.data =
            LogData::new_unchecked(bad.data.topics().to_vec(), Bytes::from_static(&[1, 2, 3]));
        let receipts = vec![envelope(true, vec![bad])];
        let parent = parent_on(&f.l1_parent, L1_TIME + 11, 5);
        assert!(matches!(
            build_attributes(&f.config, &s, &parent, &f.sys, &f.origin, &receipts),
            Err(AttributesError::ConfigUpdate(_))
        ));
        // So does a malformed deposit.
        let mut dep = encode_deposit_log(f.config.deposit_contract_address, &user_deposit());
        dep.data = LogData::new_unchecked(dep.data.topics().to_vec(), Bytes::from_static(&[0; 32]));
        let receipts = vec![envelope(true, vec![dep])];
        assert!(matches!(
            build_attributes(&f.config, &s, &parent, &f.sys, &f.origin, &receipts),
            Err(AttributesError::Deposit(_))
        ));
    }

    #[test]
    fn validator_matches_op_reth_checks() {
        use AttributesValidationError as E;
        let f = fixture();
        let parent = parent_on(&f.l1_parent, L1_TIME + 11, 5);
        let good = build(&f, &parent).unwrap().attributes;
        let check = |change: &dyn Fn(&mut OpPayloadAttributes)| {
            let mut a = good.clone();
            change(&mut a);
            validate_attributes(&f.config, &a)
        };
        assert_eq!(check(&|_| {}), Ok(()));
        assert_eq!(check(&|a| a.gas_limit = None), Err(E::MissingGasLimit));
        assert_eq!(check(&|a| a.eip_1559_params = None), Err(E::MissingEip1559Params));
        assert_eq!(check(&|a| a.eip_1559_params = Some(B64::ZERO)), Ok(()));
        assert_eq!(
            check(&|a| a.eip_1559_params = Some(B64::from([0, 0, 0, 0, 0, 0, 0, 6]))),
            Err(E::Eip1559DenominatorZero)
        );
        assert_eq!(
            check(&|a| a.eip_1559_params = Some(B64::from([0, 0, 0, 250, 0, 0, 0, 0]))),
            Err(E::Eip1559ElasticityZero)
        );
        assert_eq!(check(&|a| a.min_base_fee = None), Err(E::MissingMinBaseFee));
        assert_eq!(
            check(&|a| a.payload_attributes.withdrawals = None),
            Err(E::NoWithdrawalsAfterCanyon)
        );
        assert_eq!(
            check(&|a| a.payload_attributes.parent_beacon_block_root = None),
            Err(E::NoParentBeaconRootAfterEcotone)
        );
        // Before the forks: the reverse.
        let mut pre = good.clone();
        pre.payload_attributes.timestamp = f.config.forks.canyon_time.unwrap() - 1;
        assert_eq!(validate_attributes(&f.config, &pre), Err(E::WithdrawalsBeforeCanyon));
        pre.payload_attributes.withdrawals = None;
        assert_eq!(validate_attributes(&f.config, &pre), Err(E::ParentBeaconRootBeforeEcotone));
        pre.payload_attributes.parent_beacon_block_root = None;
        assert_eq!(validate_attributes(&f.config, &pre), Err(E::MinBaseFeeBeforeJovian));
        pre.min_base_fee = None;
        assert_eq!(validate_attributes(&f.config, &pre), Ok(()));
    }

    #[tokio::test]
    async fn prepare_reads_and_checks_l1_data() {
        let f = fixture();
        let l1 = FakeL1::default();
        let s = L1BlobSchedule::mainnet();
        let origin_ref = L1BlockRef {
            hash: f.origin.hash(),
            number: f.origin.number,
            parent_hash: f.l1_parent.hash(),
            timestamp: L1_TIME,
        };
        let parent = parent_on(&f.l1_parent, L1_TIME + 11, 5);
        assert_eq!(
            prepare_attributes(&l1, &f.config, &s, &parent, &f.sys, &origin_ref).await,
            Err(AttributesError::MissingL1Data { what: "header", hash: f.origin.hash() })
        );
        l1.headers.lock().unwrap().push(f.origin.inner().clone());
        assert_eq!(
            prepare_attributes(&l1, &f.config, &s, &parent, &f.sys, &origin_ref).await,
            Err(AttributesError::MissingL1Data { what: "receipts", hash: f.origin.hash() })
        );
        // Receipts that do not match the header's receipts root (one dropped) are refused.
        l1.receipts.lock().unwrap().push((f.origin.hash(), f.receipts[1..].to_vec()));
        assert_eq!(
            prepare_attributes(&l1, &f.config, &s, &parent, &f.sys, &origin_ref).await,
            Err(AttributesError::L1DataMismatch { what: "receipts", hash: f.origin.hash() })
        );
        l1.receipts.lock().unwrap()[0].1 = f.receipts.clone();
        let built =
            prepare_attributes(&l1, &f.config, &s, &parent, &f.sys, &origin_ref).await.unwrap();
        let direct =
            build_attributes(&f.config, &s, &parent, &f.sys, &f.origin, &f.receipts).unwrap();
        assert_eq!(built, direct);
        assert_eq!(built.deposits, 1);
        *l1.fail.lock().unwrap() = true;
        assert!(matches!(
            prepare_attributes(&l1, &f.config, &s, &parent, &f.sys, &origin_ref).await,
            Err(AttributesError::L1(_))
        ));
    }
}
