//! A scripted L1 execution node: a chain of real headers served over `eth_getBlockBy*`.

use crate::http::{Reply, RpcServer};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::{Block, BlockTransactions};
use light_cl_protocol::L1BlockRef;
use serde_json::Value;
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc, Mutex,
};

/// L1 seconds per block.
pub const L1_BLOCK_TIME: u64 = 12;

/// The timestamp of L1 block 0 unless a test chooses one (November 2023).
pub const L1_GENESIS_TIME: u64 = 1_700_000_000;

/// A scripted L1 with `latest`, `safe` (latest − 4) and `finalized` (latest − 8).
pub struct ScriptedL1 {
    /// The server; stop it to take L1 down.
    pub server: RpcServer,
    chain: Arc<Mutex<Vec<Header>>>,
    storage: Arc<Mutex<Vec<Write>>>,
    head_polls: Arc<AtomicU64>,
}

/// A storage write: from block `from` on, `slot` of `address` holds `value`.
#[derive(Debug, Clone, Copy)]
struct Write {
    from: u64,
    address: Address,
    slot: B256,
    value: B256,
}

impl ScriptedL1 {
    /// An L1 chain of `len` blocks (numbers `0..len`) from [`L1_GENESIS_TIME`].
    pub async fn start(len: u64) -> Self {
        Self::start_at(len, L1_GENESIS_TIME).await
    }

    /// An L1 chain of `len` blocks whose block 0 has timestamp `genesis_time`.
    pub async fn start_at(len: u64, genesis_time: u64) -> Self {
        let chain = Arc::new(Mutex::new(Vec::new()));
        extend(&mut chain.lock().unwrap(), len, 0, genesis_time);
        let (served, head_polls) = (chain.clone(), Arc::new(AtomicU64::new(0)));
        let storage = Arc::new(Mutex::new(Vec::new()));
        let (counted, words) = (head_polls.clone(), storage.clone());
        let server = RpcServer::start(Arc::new(move |method, params| {
            if params.get(0).and_then(Value::as_str) == Some("latest") {
                counted.fetch_add(1, Ordering::SeqCst);
            }
            let chain = served.lock().unwrap();
            if method == "eth_getStorageAt" {
                return storage_at(&chain, &words.lock().unwrap(), params);
            }
            answer(&chain, method, params)
        }))
        .await;
        Self { server, chain, storage, head_polls }
    }

    /// From block `from` on, `slot` of `address` holds `value` (`eth_getStorageAt` by block
    /// hash; zero before any write, as for any account).
    pub fn set_storage(&self, from: u64, address: Address, slot: B256, value: B256) {
        self.storage.lock().unwrap().push(Write { from, address, slot, value });
    }

    /// Requests for the `latest` block so far: a light CL asks once per follow tick.
    pub fn head_polls(&self) -> u64 {
        self.head_polls.load(Ordering::SeqCst)
    }

    /// Waits until `n` more `latest` requests arrived (a follower's ticks), at most `patience`.
    pub async fn wait_head_polls(&self, n: u64, patience: std::time::Duration) {
        let target = self.head_polls() + n;
        let deadline = tokio::time::Instant::now() + patience;
        while self.head_polls() < target {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {n} L1 polls");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// The canonical block at `number`.
    pub fn block(&self, number: u64) -> L1BlockRef {
        to_ref(&self.chain.lock().unwrap()[number as usize])
    }

    /// Number of blocks.
    pub fn len(&self) -> u64 {
        self.chain.lock().unwrap().len() as u64
    }

    /// Whether the chain is empty (never: it starts with genesis).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a block `gap` seconds after the current head.
    pub fn push_after(&self, gap: u64) -> L1BlockRef {
        let mut chain = self.chain.lock().unwrap();
        let last = chain.last().expect("genesis").clone();
        chain.push(Header {
            number: last.number + 1,
            parent_hash: last.hash_slow(),
            timestamp: last.timestamp + gap,
            ..last
        });
        to_ref(chain.last().expect("pushed"))
    }

    /// Replaces every block from `number` on with a different branch of the same length.
    pub fn reorg_from(&self, number: u64) {
        let mut chain = self.chain.lock().unwrap();
        let len = chain.len() as u64;
        let genesis_time = chain[0].timestamp;
        chain.truncate(number as usize);
        extend(&mut chain, len - number, 1, genesis_time);
    }
}

fn extend(chain: &mut Vec<Header>, count: u64, salt: u64, genesis_time: u64) {
    for _ in 0..count {
        let number = chain.len() as u64;
        let parent_hash = chain.last().map_or(B256::ZERO, |h| h.hash_slow());
        chain.push(Header {
            number,
            parent_hash,
            timestamp: genesis_time + L1_BLOCK_TIME * number,
            gas_limit: 30_000_000,
            base_fee_per_gas: Some(1_000_000_000),
            extra_data: salt.to_be_bytes().to_vec().into(),
            ..Default::default()
        });
    }
}

fn to_ref(h: &Header) -> L1BlockRef {
    L1BlockRef {
        hash: h.hash_slow(),
        number: h.number,
        parent_hash: h.parent_hash,
        timestamp: h.timestamp,
    }
}

/// `eth_getStorageAt(address, slot, {"blockHash": …})`: the last write at or below the block.
fn storage_at(chain: &[Header], writes: &[Write], params: &Value) -> Reply {
    let parse = |i: usize| params.get(i).and_then(Value::as_str).map(str::to_owned);
    let (Some(address), Some(slot)) = (parse(0), parse(1)) else {
        return Reply::Error(-32602, "invalid params".into());
    };
    let (Ok(address), Ok(slot)) = (address.parse::<Address>(), slot.parse::<B256>()) else {
        return Reply::Error(-32602, "invalid params".into());
    };
    let hash = params.get(2).and_then(|b| b.get("blockHash")).and_then(Value::as_str);
    let Some(number) = hash
        .and_then(|h| h.parse::<B256>().ok())
        .and_then(|h| chain.iter().find(|b| b.hash_slow() == h))
        .map(|b| b.number)
    else {
        return Reply::Error(-32000, "header not found".into());
    };
    let value = writes
        .iter()
        .filter(|w| w.address == address && w.slot == slot && w.from <= number)
        .max_by_key(|w| w.from)
        .map_or(B256::ZERO, |w| w.value);
    Reply::Result(Value::String(value.to_string()))
}

fn answer(chain: &[Header], method: &str, params: &Value) -> Reply {
    let first = params.get(0).and_then(Value::as_str).unwrap_or_default();
    let header = match method {
        "eth_getBlockByNumber" => {
            let latest = chain.len() as u64 - 1;
            let number = match first {
                "latest" => Some(latest),
                "safe" => Some(latest.saturating_sub(4)),
                "finalized" => Some(latest.saturating_sub(8)),
                hex => u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok(),
            };
            number.and_then(|n| chain.get(n as usize))
        }
        "eth_getBlockByHash" => {
            let hash: Option<B256> = first.parse().ok();
            chain.iter().find(|h| Some(h.hash_slow()) == hash)
        }
        "eth_getBlockReceipts" => {
            // Blocks of the scripted L1 carry no transactions.
            // A block hash, as a string or as `{"blockHash": …}`.
            let id = params.get(0).map(|p| p.get("blockHash").unwrap_or(p));
            let hash: Option<B256> = id.and_then(Value::as_str).and_then(|h| h.parse().ok());
            let known = chain.iter().any(|h| Some(h.hash_slow()) == hash);
            return Reply::Result(if known { Value::Array(vec![]) } else { Value::Null });
        }
        other => return Reply::Error(-32601, format!("method {other} not found")),
    };
    Reply::Result(header.map_or(Value::Null, |h| {
        let block: Block = Block {
            header: alloy_rpc_types_eth::Header {
                hash: h.hash_slow(),
                inner: h.clone(),
                total_difficulty: Some(U256::ZERO),
                size: None,
            },
            uncles: vec![],
            transactions: BlockTransactions::Hashes(vec![]),
            withdrawals: None,
        };
        serde_json::to_value(block).expect("serializable block")
    }))
}
