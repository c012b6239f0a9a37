//! Property tests: the decoders of network input (L1 info calldata, deposit logs, config update
//! logs, header extraData, blob fee) return errors on any input and never panic; valid inputs
//! round-trip. `CASES` inputs run per property.
//!
//! The structured properties count how many of their inputs got past decoding (L1 info calldata
//! that round-trips, `ConfigUpdate` logs that decode and are applied), print the counts (`cargo
//! test -- --nocapture`) and fail when that share drops below a floor, so a generator that stops
//! producing valid inputs is caught.

use alloy_primitives::{Address, Bytes, Log, LogData, TxKind, B256, U256};
use light_cl_protocol::{
    decode_deposit_log, encode_deposit_log, ConfigUpdate, EcotoneScalars, L1BlobSchedule,
    L1BlockInfo, L1InfoLayout, RollupConfig, SystemConfig, CONFIG_UPDATE_TOPIC,
    DEPOSIT_EVENT_TOPIC,
};
use op_alloy_consensus::{TxDeposit, UserDepositSource};
use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use std::cell::Cell;

const CASES: u32 = 10_000;

/// Runs `test` on `CASES` inputs of `strategy`, counting the inputs for which it returns
/// `Ok(true)` (it reached the check past decoding). Prints and returns the count.
fn run_counting<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) -> u32 {
    let mut runner =
        TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() });
    let reached = Cell::new(0u32);
    let ran = Cell::new(0u32);
    let result = runner.run(&strategy, |value| {
        ran.set(ran.get() + 1);
        if test(value)? {
            reached.set(reached.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    println!("{name}: {} of {} inputs got past decoding", reached.get(), ran.get());
    reached.get()
}

/// A 32-byte word whose first `32 - tail` bytes are zero (a value of `tail` bytes).
fn word_with_tail(tail: usize) -> impl Strategy<Value = [u8; 32]> {
    any::<[u8; 32]>().prop_map(move |mut w| {
        w[..32 - tail].fill(0);
        w
    })
}

/// ABI words as `ConfigUpdate` payloads carry them: random, an address, a `uint64`, a `uint16`,
/// or a versioned Ecotone scalar (version 0–2, padding clean or not).
fn payload_word() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![
        any::<[u8; 32]>(),
        word_with_tail(20),
        word_with_tail(8),
        word_with_tail(2),
        (0u8..3, word_with_tail(8), any::<bool>(), 1usize..28).prop_map(
            |(version, mut w, dirty, at)| {
                w[0] = version;
                if dirty {
                    w[at] |= 1;
                }
                w
            }
        ),
    ]
}

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

/// A known selector with the exact length reaches every field; what decodes re-encodes to the same
/// bytes. In most Bedrock inputs the high 24 bytes of the `uint64` words (number, timestamp,
/// sequence number) are zeroed so that they decode; the rest keep random high bytes and must be
/// refused.
#[test]
fn l1_info_exact_length_round_trips() {
    let bedrock = Cell::new(0u32);
    let strategy =
        (layouts(), proptest::collection::vec(any::<u8>(), 256), prop::bool::weighted(0.9));
    let round_trips = run_counting("L1 info round trip", strategy, |(layout, body, clean)| {
        let mut data = layout.selector().to_vec();
        data.extend_from_slice(&body[..layout.calldata_len() - 4]);
        if layout == L1InfoLayout::Bedrock && clean {
            // Words 0 (number), 1 (timestamp) and 4 (sequence number), after the selector.
            for word in [0, 1, 4] {
                let start = 4 + 32 * word;
                data[start..start + 24].fill(0);
            }
        }
        match L1BlockInfo::decode(&data) {
            Ok(info) => {
                prop_assert_eq!(info.layout, layout);
                prop_assert_eq!(info.encode(), data);
                if layout == L1InfoLayout::Bedrock {
                    bedrock.set(bedrock.get() + 1);
                }
                Ok(true)
            }
            Err(e) => {
                prop_assert_eq!(layout, L1InfoLayout::Bedrock, "{}", e);
                Ok(false)
            }
        }
    });
    println!("L1 info round trip: {} of them Bedrock", bedrock.get());
    // Expected: 3/4 of the inputs (non-Bedrock) plus ~90% of the Bedrock quarter.
    assert!(round_trips >= CASES * 8 / 10, "only {round_trips} L1 info inputs round-tripped");
    assert!(bedrock.get() >= CASES / 10, "only {} Bedrock inputs round-tripped", bedrock.get());
}

/// `ConfigUpdate` logs of every type (and beyond): mostly well-formed ABI `bytes` (pointer 32,
/// length 32 or 64 by type, exact total length) around payload words of the shapes the types
/// take, sometimes with a random pointer, length word or total length. What decodes is applied
/// before and after Ecotone and must land in the config as the spec says.
#[test]
fn config_update_structured() {
    let base = op_mainnet().genesis_system_config().unwrap();
    let shape = prop_oneof![
        8 => Just(None::<([u8; 32], [u8; 32], usize)>),
        2 => (any::<[u8; 32]>(), any::<[u8; 32]>(), 0usize..40).prop_map(Some),
    ];
    let strategy = (0u8..10, payload_word(), payload_word(), shape, 0u8..4);
    let applied =
        run_counting("ConfigUpdate decode+apply", strategy, |(ty, w0, w1, shape, mess)| {
            let expected_len: u8 = if ty == 1 { 64 } else { 32 };
            let mut pointer = [0u8; 32];
            pointer[31] = 32;
            let mut length = [0u8; 32];
            length[31] = expected_len;
            let mut payload = [w0, w1].concat();
            payload.truncate(expected_len.into());
            if let Some((random_pointer, random_length, cut)) = shape {
                match mess {
                    0 => pointer = random_pointer,
                    1 => length = random_length,
                    2 => payload.truncate(payload.len().saturating_sub(cut)),
                    _ => payload.resize(payload.len() + cut, 0),
                }
            }
            let data = [&pointer[..], &length[..], &payload[..]].concat();
            let topics = vec![CONFIG_UPDATE_TOPIC, B256::ZERO, B256::with_last_byte(ty)];
            let Ok(update) = ConfigUpdate::decode(&log(topics, data)) else { return Ok(false) };
            prop_assert!(ty <= 7);
            for ecotone in [true, false] {
                let mut sys = base.clone();
                sys.apply(update, ecotone);
                match update {
                    ConfigUpdate::Batcher(a) => prop_assert_eq!(sys.batcher_addr, a),
                    ConfigUpdate::FeeScalars { overhead, scalar } => {
                        if !ecotone {
                            prop_assert_eq!((sys.overhead, sys.scalar), (overhead, scalar));
                        } else if EcotoneScalars::check_encoding(scalar).is_ok() {
                            prop_assert_eq!((sys.overhead, sys.scalar), (B256::ZERO, scalar));
                        } else {
                            prop_assert_eq!(
                                (sys.overhead, sys.scalar),
                                (base.overhead, base.scalar)
                            );
                        }
                    }
                    ConfigUpdate::GasLimit(g) => prop_assert_eq!(sys.gas_limit, g),
                    ConfigUpdate::UnsafeBlockSigner(_) => prop_assert_eq!(&sys, &base),
                    ConfigUpdate::Eip1559Params(p) => prop_assert_eq!(sys.eip1559_params, Some(p)),
                    ConfigUpdate::OperatorFeeParams(p) => {
                        prop_assert_eq!(sys.operator_fee_params, Some(p))
                    }
                    ConfigUpdate::MinBaseFee(f) => prop_assert_eq!(sys.min_base_fee, Some(f)),
                    ConfigUpdate::DaFootprintGasScalar(v) => {
                        prop_assert_eq!(sys.da_footprint_gas_scalar, Some(v))
                    }
                }
            }
            Ok(true)
        });
    // Expected: 80% well-formed x 80% known types x the share of payload words valid for the
    // type (all for types 1, 4, 5; about 3/5 for the others): about 45%.
    assert!(applied >= CASES / 4, "only {applied} ConfigUpdate inputs decoded and were applied");
}
