//! User deposits: `TransactionDeposited` logs of the OptimismPortal decoded into deposit
//! transactions.

use alloy_consensus::TxReceipt;
use alloy_primitives::{b256, Address, Log, TxKind, B256, U256};
use op_alloy_consensus::{TxDeposit, UserDepositSource};

/// `keccak256("TransactionDeposited(address,address,uint256,bytes)")`.
pub const DEPOSIT_EVENT_TOPIC: B256 =
    b256!("0xb3813568d9991fc951961fcb4c784893574240a28925604d09fc577c55bb7c32");

/// A `TransactionDeposited` log that cannot be decoded. Deposits are never dropped, so this stops
/// building the block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositError {
    /// Not four topics.
    #[error("deposit log has {0} topics, expected 4")]
    Topics(usize),
    /// First topic is not `TransactionDeposited`.
    #[error("log is not a TransactionDeposited event")]
    NotDeposit,
    /// Deposit version other than 0.
    #[error("unsupported deposit version {0}")]
    Version(B256),
    /// The ABI `bytes opaqueData` wrapper is malformed.
    #[error("malformed deposit log data: {0}")]
    Data(&'static str),
    /// Version 0 opaque data shorter than 73 bytes.
    #[error("deposit opaque data is {0} bytes, expected at least 73")]
    OpaqueLength(usize),
    /// `mint` does not fit the 128 bits of a deposit transaction.
    #[error("deposit mint does not fit in 128 bits")]
    MintOverflow,
    /// A deposit at a position in the L1 block.
    #[error("deposit log {log_index} of L1 block {block_hash}: {source}")]
    At {
        /// Index of the log in the whole L1 block.
        log_index: u64,
        /// The L1 block.
        block_hash: B256,
        /// The error.
        #[source]
        source: Box<DepositError>,
    },
}

/// Decodes one `TransactionDeposited` log (version 0) into a deposit transaction whose source hash
/// is the user-deposit hash (domain 0) of `l1_block_hash` and `log_index`, the log's index in the
/// whole L1 block. The emitter is not checked here.
pub fn decode_deposit_log(
    log: &Log,
    l1_block_hash: B256,
    log_index: u64,
) -> Result<TxDeposit, DepositError> {
    let topics = log.topics();
    if topics.len() != 4 {
        return Err(DepositError::Topics(topics.len()));
    }
    if topics[0] != DEPOSIT_EVENT_TOPIC {
        return Err(DepositError::NotDeposit);
    }
    if !topics[3].is_zero() {
        return Err(DepositError::Version(topics[3]));
    }
    let from = Address::from_word(topics[1]);
    let to = Address::from_word(topics[2]);

    // ABI `bytes opaqueData`: offset (must be 32), length, content padded to 32 bytes.
    let data = log.data.data.as_ref();
    if data.len() < 64 {
        return Err(DepositError::Data("shorter than the bytes header"));
    }
    if data.len() % 32 != 0 {
        return Err(DepositError::Data("not a multiple of 32 bytes"));
    }
    let offset = U256::from_be_slice(&data[..32]);
    if offset != U256::from(32) {
        return Err(DepositError::Data("opaqueData offset is not 32"));
    }
    let len = U256::from_be_slice(&data[32..64]);
    let room = data.len() - 64;
    if len > U256::from(room) {
        return Err(DepositError::Data("opaqueData longer than the log data"));
    }
    let len = len.to::<usize>();
    if len + 32 <= room {
        return Err(DepositError::Data("opaqueData padded beyond 32 bytes"));
    }
    let opaque = &data[64..64 + len];

    // Version 0: mint u256, value u256, gas u64, isCreation u8, calldata.
    if opaque.len() < 73 {
        return Err(DepositError::OpaqueLength(opaque.len()));
    }
    let mint = U256::from_be_slice(&opaque[..32]);
    let mint = u128::try_from(mint).map_err(|_| DepositError::MintOverflow)?;
    let value = U256::from_be_slice(&opaque[32..64]);
    let gas_limit = u64::from_be_bytes(opaque[64..72].try_into().expect("eight bytes"));
    let is_creation = opaque[72] != 0;
    Ok(TxDeposit {
        source_hash: UserDepositSource::new(l1_block_hash, log_index).source_hash(),
        from,
        to: if is_creation { TxKind::Create } else { TxKind::Call(to) },
        mint,
        value,
        gas_limit,
        is_system_transaction: false,
        input: opaque[73..].to_vec().into(),
    })
}

/// The user deposits of an L1 block, in log order, from its receipts: `TransactionDeposited`
/// logs emitted by `deposit_contract` in successful receipts. Log indexes count every log of the
/// block. Any malformed deposit log is an error ([`DepositError::At`]).
pub fn user_deposits<R: TxReceipt<Log = Log>>(
    receipts: &[R],
    deposit_contract: Address,
    l1_block_hash: B256,
) -> Result<Vec<TxDeposit>, DepositError> {
    let mut out = Vec::new();
    let mut log_index = 0u64;
    for receipt in receipts {
        let logs = receipt.logs();
        if receipt.status() {
            for (i, log) in logs.iter().enumerate() {
                if log.address != deposit_contract
                    || log.topics().first() != Some(&DEPOSIT_EVENT_TOPIC)
                {
                    continue;
                }
                let index = log_index + i as u64;
                let tx = decode_deposit_log(log, l1_block_hash, index).map_err(|e| {
                    DepositError::At {
                        log_index: index,
                        block_hash: l1_block_hash,
                        source: Box::new(e),
                    }
                })?;
                out.push(tx);
            }
        }
        log_index += logs.len() as u64;
    }
    Ok(out)
}

/// Encodes a deposit as a `TransactionDeposited` log of `deposit_contract` (the inverse of
/// [`decode_deposit_log`], for tests and tools).
pub fn encode_deposit_log(deposit_contract: Address, tx: &TxDeposit) -> Log {
    let mut opaque = Vec::with_capacity(73 + tx.input.len());
    opaque.extend_from_slice(&U256::from(tx.mint).to_be_bytes::<32>());
    opaque.extend_from_slice(&tx.value.to_be_bytes::<32>());
    opaque.extend_from_slice(&tx.gas_limit.to_be_bytes());
    opaque.push(u8::from(tx.to.is_create()));
    opaque.extend_from_slice(&tx.input);
    let mut data = Vec::with_capacity(64 + opaque.len() + 32);
    data.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(opaque.len()).to_be_bytes::<32>());
    data.extend_from_slice(&opaque);
    data.resize(data.len().div_ceil(32) * 32, 0);
    let to = tx.to.to().copied().unwrap_or_default();
    Log::new_unchecked(
        deposit_contract,
        vec![DEPOSIT_EVENT_TOPIC, tx.from.into_word(), to.into_word(), B256::ZERO],
        data.into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{Eip658Value, Receipt};
    use alloy_primitives::{address, hex, LogData};

    const PORTAL: Address = address!("0xbeb5fc579115071764c7423a4f12edde41f106ed");
    const L1_HASH: B256 = B256::repeat_byte(0xab);

    fn log_with_opaque(opaque: &[u8]) -> Log {
        let mut data = U256::from(32).to_be_bytes::<32>().to_vec();
        data.extend_from_slice(&U256::from(opaque.len()).to_be_bytes::<32>());
        data.extend_from_slice(opaque);
        data.resize(data.len().div_ceil(32) * 32, 0);
        Log::new_unchecked(
            PORTAL,
            vec![
                DEPOSIT_EVENT_TOPIC,
                Address::repeat_byte(0x11).into_word(),
                Address::repeat_byte(0x22).into_word(),
                B256::ZERO,
            ],
            data.into(),
        )
    }

    /// The opaque-data example of viem's `opaqueDataToDepositData` documentation: mint 420,
    /// value 69, gas 21100, creation, data 0xdeadbeef.
    #[test]
    fn decodes_viem_documented_opaque_data() {
        let opaque = hex!("00000000000000000000000000000000000000000000000000000000000001a40000000000000000000000000000000000000000000000000000000000000045000000000000526c01deadbeef");
        let tx = decode_deposit_log(&log_with_opaque(&opaque), L1_HASH, 7).unwrap();
        assert_eq!((tx.mint, tx.value, tx.gas_limit), (420, U256::from(69), 21100));
        assert_eq!(tx.to, TxKind::Create);
        assert_eq!(tx.input.as_ref(), &hex!("deadbeef"));
        assert_eq!(tx.from, Address::repeat_byte(0x11));
        assert!(!tx.is_system_transaction);
        assert_eq!(tx.source_hash, UserDepositSource::new(L1_HASH, 7).source_hash());
    }

    #[test]
    fn round_trips_and_counts_log_indexes_over_the_block() {
        let call = TxDeposit {
            source_hash: B256::ZERO,
            from: Address::repeat_byte(1),
            to: TxKind::Call(Address::repeat_byte(2)),
            mint: 10u128.pow(18),
            value: U256::from(5),
            gas_limit: 100_000,
            is_system_transaction: false,
            input: vec![7; 40].into(),
        };
        let create = TxDeposit { to: TxKind::Create, input: vec![].into(), ..call.clone() };
        let noise =
            Log::new_unchecked(Address::repeat_byte(9), vec![DEPOSIT_EVENT_TOPIC], vec![].into());
        let mut wrong_emitter = encode_deposit_log(PORTAL, &call);
        wrong_emitter.address = Address::repeat_byte(3);
        let receipts = vec![
            Receipt {
                status: Eip658Value::Eip658(true),
                cumulative_gas_used: 0,
                logs: vec![noise.clone(), encode_deposit_log(PORTAL, &call)],
            },
            // A failed receipt's logs are skipped (real ones have none, but they still count).
            Receipt {
                status: Eip658Value::Eip658(false),
                cumulative_gas_used: 0,
                logs: vec![encode_deposit_log(PORTAL, &call)],
            },
            Receipt {
                status: Eip658Value::Eip658(true),
                cumulative_gas_used: 0,
                logs: vec![wrong_emitter, encode_deposit_log(PORTAL, &create)],
            },
        ];
        let deposits = user_deposits(&receipts, PORTAL, L1_HASH).unwrap();
        assert_eq!(deposits.len(), 2);
        assert_eq!(
            deposits[0],
            TxDeposit { source_hash: UserDepositSource::new(L1_HASH, 1).source_hash(), ..call }
        );
        assert_eq!(
            deposits[1],
            TxDeposit { source_hash: UserDepositSource::new(L1_HASH, 4).source_hash(), ..create }
        );
    }

    #[test]
    fn malformed_deposits_are_errors() {
        let good = hex!("00000000000000000000000000000000000000000000000000000000000001a40000000000000000000000000000000000000000000000000000000000000045000000000000526c01deadbeef");
        let decode = |l: &Log| decode_deposit_log(l, L1_HASH, 0);
        assert_eq!(decode(&log_with_opaque(&good[..72])), Err(DepositError::OpaqueLength(72)));
        let mut big_mint = good;
        big_mint[0] = 1;
        assert_eq!(decode(&log_with_opaque(&big_mint)), Err(DepositError::MintOverflow));

        let base = log_with_opaque(&good);
        let with = |topics: Vec<B256>, data: Vec<u8>| Log {
            address: PORTAL,
            data: LogData::new_unchecked(topics, data.into()),
        };
        let topics = base.topics().to_vec();
        let data = base.data.data.to_vec();
        let mut v1 = topics.clone();
        v1[3] = B256::with_last_byte(1);
        assert!(matches!(decode(&with(v1, data.clone())), Err(DepositError::Version(_))));
        assert_eq!(decode(&with(topics[..3].to_vec(), data.clone())), Err(DepositError::Topics(3)));
        let mut bad_offset = data.clone();
        bad_offset[31] = 64;
        assert!(matches!(decode(&with(topics.clone(), bad_offset)), Err(DepositError::Data(_))));
        let mut too_long = data.clone();
        too_long[63] = 200;
        assert!(matches!(decode(&with(topics.clone(), too_long)), Err(DepositError::Data(_))));
        let mut over_padded = data.clone();
        over_padded.extend_from_slice(&[0; 32]);
        assert!(matches!(decode(&with(topics.clone(), over_padded)), Err(DepositError::Data(_))));
        assert!(matches!(
            decode(&with(topics.clone(), data[..70].to_vec())),
            Err(DepositError::Data(_))
        ));

        // In a block, the first bad deposit stops everything and names its log index.
        let bad = with(topics, data[..64].to_vec());
        let receipts = vec![Receipt {
            status: Eip658Value::Eip658(true),
            cumulative_gas_used: 0,
            logs: vec![base, bad],
        }];
        let err = user_deposits(&receipts, PORTAL, L1_HASH).unwrap_err();
        assert!(matches!(err, DepositError::At { log_index: 1, .. }), "{err}");
    }
}
