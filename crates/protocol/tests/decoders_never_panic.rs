//! Property tests: the decoders of network input (L1 info calldata, deposit logs, config update
//! logs, header extraData, blob fee) return errors on any input and never panic; valid inputs
//! round-trip. `CASES` inputs run per property.

use alloy_primitives::{Address, Bytes, Log, LogData, TxKind, B256, U256};
use light_cl_protocol::{
    decode_deposit_log, encode_deposit_log, ConfigUpdate, L1BlobSchedule, L1BlockInfo,
    L1InfoLayout, RollupConfig, SystemConfig, CONFIG_UPDATE_TOPIC, DEPOSIT_EVENT_TOPIC,
};
use op_alloy_consensus::{TxDeposit, UserDepositSource};
use proptest::prelude::*;

const CASES: u32 = 10_000;

fn layouts() -> impl Strategy<Value = L1InfoLayout> {
    prop_oneof![
        Just(L1InfoLayout::Bedrock),
        Just(L1InfoLayout::Ecotone),
        Just(L1InfoLayout::Isthmus),
        Just(L1InfoLayout::Jovian),
    ]
}

fn b256() -> impl Strategy<Value = B256> {
    prop_oneof![
        Just(B256::ZERO),
        any::<[u8; 32]>().prop_map(B256::from),
        (0u8..10).prop_map(B256::with_last_byte),
    ]
}

fn log(topics: Vec<B256>, data: Vec<u8>) -> Log {
    Log { address: Address::ZERO, data: LogData::new_unchecked(topics, data.into()) }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn l1_info_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = L1BlockInfo::decode(&data);
    }

    /// A known selector with the exact length reaches every field; what decodes re-encodes to
    /// the same bytes.
    #[test]
    fn l1_info_exact_length_round_trips(layout in layouts(), body in proptest::collection::vec(any::<u8>(), 256)) {
        let mut data = layout.selector().to_vec();
        data.extend_from_slice(&body[..layout.calldata_len() - 4]);
        if let Ok(info) = L1BlockInfo::decode(&data) {
            prop_assert_eq!(info.encode(), data);
        }
    }

    #[test]
    fn deposit_log_any_input(
        topics in proptest::collection::vec(b256(), 0..6),
        data in proptest::collection::vec(any::<u8>(), 0..300),
        index in any::<u64>(),
    ) {
        let _ = decode_deposit_log(&log(topics, data), B256::ZERO, index);
    }

    /// Well-formed topics and an ABI header with arbitrary offset/length words and contents.
    #[test]
    fn deposit_log_structured(
        offset in prop_oneof![Just(32u64), any::<u64>()],
        len in prop_oneof![0u64..200, any::<u64>()],
        high in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..260),
    ) {
        let mut data = U256::from(offset).to_be_bytes::<32>().to_vec();
        let mut len_word = U256::from(len).to_be_bytes::<32>();
        if high { len_word[0] = 0xff; }
        data.extend_from_slice(&len_word);
        data.extend_from_slice(&body);
        let topics = vec![DEPOSIT_EVENT_TOPIC, B256::ZERO, B256::ZERO, B256::ZERO];
        let _ = decode_deposit_log(&log(topics, data), B256::ZERO, 0);
    }

    #[test]
    fn deposit_log_round_trips(
        mint in any::<u128>(),
        value in any::<[u8; 32]>(),
        gas in any::<u64>(),
        create in any::<bool>(),
        input in proptest::collection::vec(any::<u8>(), 0..200),
        hash in any::<[u8; 32]>(),
        index in any::<u64>(),
    ) {
        let tx = TxDeposit {
            source_hash: UserDepositSource::new(hash.into(), index).source_hash(),
            from: Address::repeat_byte(1),
            to: if create { TxKind::Create } else { TxKind::Call(Address::repeat_byte(2)) },
            mint,
            value: U256::from_be_bytes(value),
            gas_limit: gas,
            is_system_transaction: false,
            input: Bytes::from(input),
        };
        let decoded = decode_deposit_log(&encode_deposit_log(Address::ZERO, &tx), hash.into(), index);
        prop_assert_eq!(decoded, Ok(tx));
    }

    #[test]
    fn config_update_any_input(
        topics in proptest::collection::vec(b256(), 0..5),
        data in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let _ = ConfigUpdate::decode(&log(topics, data));
    }

    /// Valid topics for every type (and beyond), arbitrary data around the right lengths.
    #[test]
    fn config_update_structured(
        ty in 0u8..10,
        data in proptest::collection::vec(any::<u8>(), 60..165),
        pointer_ok in any::<bool>(),
    ) {
        let mut data = data;
        if pointer_ok {
            data[..32].copy_from_slice(&U256::from(32).to_be_bytes::<32>());
        }
        let topics = vec![CONFIG_UPDATE_TOPIC, B256::ZERO, B256::with_last_byte(ty)];
        if let Ok(update) = ConfigUpdate::decode(&log(topics, data)) {
            let mut sys = op_mainnet().genesis_system_config().unwrap();
            sys.apply(update, true);
            sys.apply(update, false);
        }
    }

    #[test]
    fn extra_data_and_blob_fee(
        extra in proptest::collection::vec(any::<u8>(), 0..40),
        timestamp in any::<u64>(),
        excess in proptest::option::of(any::<u64>()),
        l1_time in any::<u64>(),
    ) {
        let config = op_mainnet();
        let header = alloy_consensus::Header { timestamp, extra_data: extra.into(), ..Default::default() };
        let _ = SystemConfig::from_l2_block(&config, &header, &L1BlockInfo::empty(L1InfoLayout::Jovian));
        let _ = L1BlobSchedule::mainnet().blob_base_fee(&config, l1_time, excess);
    }
}

fn op_mainnet() -> RollupConfig {
    RollupConfig::from_json(include_str!("../testdata/rollup_op-mainnet_reconstructed.json"))
        .unwrap()
}
