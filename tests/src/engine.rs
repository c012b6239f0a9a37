//! An in-memory execution layer that answers like reth v1.10.2's engine tree:
//! - a head it does not have: SYNCING (and it becomes the sync target);
//! - a head that is already a canonical ancestor: VALID, no rewind, labels unchanged; with payload
//!   attributes it builds on that ancestor (op-reth lets a sequencer reorg its own chain);
//! - otherwise the head is applied first; then a non-zero finalized, then safe, that is not
//!   canonical is an invalid-forkchoice-state error.
//!
//! Blocks arrive with [`MemEngine::deliver`] (what devp2p download does for reth); when they
//! connect the sync target, it becomes canonical, as reth does after a download. With payload
//! attributes it builds a block of exactly the attributes' transactions on the head.
//!
//! [`Fault`]s make it answer as reth does in states a test cannot reach otherwise (a backfill) or
//! fail as a shutting-down or faulty engine would.

use alloy_eips::Decodable2718;
use alloy_primitives::B256;
use alloy_rpc_types_engine::{
    ForkchoiceState, ForkchoiceUpdateError, ForkchoiceUpdated, PayloadId, PayloadStatus,
    PayloadStatusEnum,
};
use light_cl::{Chain, ChainError, Engine, EngineError, Heads};
use light_cl_protocol::{l2_block_ref, ChainGenesis, L2BlockRef};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::{OpExecutionData, OpPayloadAttributes};
use std::{
    collections::{HashMap, HashSet},
    ops::RangeInclusive,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// A way the engine answers forkchoice updates instead of its normal answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// reth during a backfill: every forkchoice update answers SYNCING and changes nothing.
    Backfill,
    /// The head is applied, then the update fails with an internal error (labels untouched).
    ErrorAfterHead,
    /// VALID, but nothing is applied.
    ValidButIgnored,
    /// Every call fails: the engine is shutting down.
    Unavailable,
}

#[derive(Debug, Default)]
struct State {
    fault: Option<Fault>,
    peers_silent: bool,
    script: std::collections::VecDeque<Option<Fault>>,
    known: HashMap<B256, L2BlockRef>,
    canonical: Vec<L2BlockRef>,
    safe: Option<L2BlockRef>,
    finalized: Option<L2BlockRef>,
    sync_target: Option<B256>,
    hidden: HashSet<u64>,
    fail_reads: bool,
    updates: Vec<ForkchoiceState>,
    built: HashMap<PayloadId, OpExecutionData>,
    headers: HashMap<B256, (alloy_consensus::Header, Option<OpTxEnvelope>)>,
    attributes: Vec<OpPayloadAttributes>,
    timeline: Vec<(PayloadId, BuildTimes)>,
}

/// When a payload build was started (forkchoice update with attributes) and resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildTimes {
    /// The block's timestamp.
    pub timestamp: u64,
    /// Wall clock (since the Unix epoch) at the forkchoice update with attributes.
    pub started: Duration,
    /// Wall clock when its payload was asked for, if it was.
    pub resolved: Option<Duration>,
}

/// The wall clock as time since the Unix epoch.
pub fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970")
}

/// The in-memory engine and chain; clones share state.
#[derive(Debug, Clone)]
pub struct MemEngine {
    state: Arc<Mutex<State>>,
    genesis: ChainGenesis,
}

impl MemEngine {
    /// A chain whose canonical blocks are `chain` (genesis first); no labels set.
    pub fn new(chain: &[L2BlockRef], genesis: ChainGenesis) -> Self {
        let mut state = State::default();
        for b in chain {
            state.known.insert(b.hash, *b);
        }
        state.canonical = chain.to_vec();
        Self { state: Arc::new(Mutex::new(state)), genesis }
    }

    /// Makes blocks known, as a devp2p download would; connects the sync target if it can.
    pub fn deliver(&self, blocks: &[L2BlockRef]) {
        let mut s = self.state.lock().unwrap();
        for b in blocks {
            s.known.insert(b.hash, *b);
        }
        if let Some(target) = s.sync_target {
            if s.make_canonical(target) {
                s.sync_target = None;
            }
        }
    }

    /// Sets the safe and finalized labels directly (a restarted node's database).
    pub fn set_labels(&self, safe: Option<L2BlockRef>, finalized: Option<L2BlockRef>) {
        let mut s = self.state.lock().unwrap();
        s.safe = safe;
        s.finalized = finalized;
    }

    /// Canonical blocks at these numbers read as missing (a gap while the EL backfills).
    pub fn hide(&self, numbers: RangeInclusive<u64>) {
        self.state.lock().unwrap().hidden.extend(numbers);
    }

    /// Ends [`hide`](Self::hide).
    pub fn unhide(&self) {
        self.state.lock().unwrap().hidden.clear();
    }

    /// Answers forkchoice updates with `fault` until set to `None`.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.state.lock().unwrap().fault = fault;
    }

    /// Answers the next forkchoice updates, one each, as `script` says (`None`: normally).
    pub fn script(&self, script: impl IntoIterator<Item = Option<Fault>>) {
        self.state.lock().unwrap().script.extend(script);
    }

    /// Peers answer no header requests (none connected, or none has the blocks).
    pub fn silence_peers(&self, silent: bool) {
        self.state.lock().unwrap().peers_silent = silent;
    }

    /// Makes every chain read fail.
    pub fn fail_reads(&self, fail: bool) {
        self.state.lock().unwrap().fail_reads = fail;
    }

    /// Canonical head, safe and finalized, as stored.
    pub fn labels(&self) -> (L2BlockRef, Option<L2BlockRef>, Option<L2BlockRef>) {
        let s = self.state.lock().unwrap();
        (*s.canonical.last().expect("genesis"), s.safe, s.finalized)
    }

    /// Every set of payload attributes built with, in order.
    pub fn attributes(&self) -> Vec<OpPayloadAttributes> {
        self.state.lock().unwrap().attributes.clone()
    }

    /// Every payload build started, in order, with when it started and was resolved.
    pub fn build_times(&self) -> Vec<BuildTimes> {
        self.state.lock().unwrap().timeline.iter().map(|(_, t)| *t).collect()
    }

    /// Every forkchoice state received, in order.
    pub fn updates(&self) -> Vec<ForkchoiceState> {
        self.state.lock().unwrap().updates.clone()
    }
}

impl State {
    fn is_canonical(&self, hash: B256) -> bool {
        self.known.get(&hash).is_some_and(|b| self.canonical.get(b.number as usize) == Some(b))
    }

    /// Block `hash` if it is canonical and readable, as reth's provider answers by hash.
    fn canonical_ref(&self, hash: B256) -> Option<L2BlockRef> {
        let b = self.known.get(&hash)?;
        (self.is_canonical(hash) && !self.hidden.contains(&b.number)).then_some(*b)
    }

    /// Makes `head` the canonical tip if its ancestry is known; false otherwise.
    fn make_canonical(&mut self, head: B256) -> bool {
        let mut path = Vec::new();
        let mut cursor = head;
        loop {
            let Some(b) = self.known.get(&cursor).copied() else { return false };
            if self.is_canonical(b.hash) {
                break;
            }
            path.push(b);
            if b.number == 0 {
                return false;
            }
            cursor = b.parent_hash;
        }
        let fork = path.last().map_or(self.canonical.len(), |b| b.number as usize);
        self.canonical.truncate(fork);
        self.canonical.extend(path.into_iter().rev());
        true
    }

    /// Builds on `head` a block of exactly the attributes' transactions.
    fn build(
        &mut self,
        head: B256,
        attributes: OpPayloadAttributes,
    ) -> Result<ForkchoiceUpdated, EngineError> {
        self.attributes.push(attributes.clone());
        let parent = self.known[&head];
        if attributes.payload_attributes.timestamp <= parent.timestamp {
            return Err(EngineError::Forkchoice(
                ForkchoiceUpdateError::UpdatedInvalidPayloadAttributes,
            ));
        }
        let txs = attributes
            .transactions
            .unwrap_or_default()
            .iter()
            .map(|raw| OpTxEnvelope::decode_2718(&mut raw.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let a = &attributes.payload_attributes;
        let ecotone = a.parent_beacon_block_root.is_some();
        let withdrawals = a.withdrawals.clone().map(alloy_eips::eip4895::Withdrawals::new);
        let header = alloy_consensus::Header {
            number: parent.number + 1,
            parent_hash: parent.hash,
            timestamp: a.timestamp,
            mix_hash: a.prev_randao,
            beneficiary: a.suggested_fee_recipient,
            gas_limit: attributes.gas_limit.unwrap_or(30_000_000),
            parent_beacon_block_root: a.parent_beacon_block_root,
            withdrawals_root: withdrawals.as_ref().map(|_| alloy_consensus::EMPTY_ROOT_HASH),
            blob_gas_used: ecotone.then_some(0),
            excess_blob_gas: ecotone.then_some(0),
            base_fee_per_gas: Some(1),
            transactions_root: alloy_consensus::proofs::calculate_transaction_root(&txs),
            ..Default::default()
        };
        let block = alloy_consensus::Block {
            header,
            body: alloy_consensus::BlockBody { transactions: txs, ommers: vec![], withdrawals },
        };
        let hash = block.header.hash_slow();
        let id = PayloadId::new((self.timeline.len() as u64 + 1).to_be_bytes());
        self.built.insert(id, OpExecutionData::from_block_unchecked(hash, &block));
        let times = BuildTimes { timestamp: a.timestamp, started: unix_now(), resolved: None };
        self.timeline.push((id, times));
        Ok(ForkchoiceUpdated::from_status(PayloadStatusEnum::Valid).with_payload_id(id))
    }
}

impl Engine for MemEngine {
    async fn fork_choice_updated(
        &self,
        state: ForkchoiceState,
        attributes: Option<OpPayloadAttributes>,
    ) -> Result<ForkchoiceUpdated, EngineError> {
        let mut s = self.state.lock().unwrap();
        s.updates.push(state);
        let head = state.head_block_hash;
        let syncing = || Ok(ForkchoiceUpdated::from_status(PayloadStatusEnum::Syncing));
        let valid = || Ok(ForkchoiceUpdated::from_status(PayloadStatusEnum::Valid));
        let fault = s.script.pop_front().unwrap_or(s.fault);
        match fault {
            Some(Fault::Backfill) => return syncing(),
            Some(Fault::ValidButIgnored) => return valid(),
            Some(Fault::Unavailable) => return Err(EngineError::Unavailable),
            Some(Fault::ErrorAfterHead) => {
                if s.known.contains_key(&head) && !s.make_canonical(head) {
                    return syncing();
                }
                return Err(EngineError::Internal("scripted failure after the head".into()));
            }
            None => {}
        }
        if !s.known.contains_key(&head) {
            s.sync_target = Some(head);
            return syncing();
        }
        let tip = s.canonical.last().expect("genesis").hash;
        if head != tip && s.is_canonical(head) {
            // op-reth builds on a canonical ancestor (a sibling of its child); labels stay.
            return match attributes {
                Some(attributes) => s.build(head, attributes),
                None => valid(),
            };
        }
        if head != tip && !s.make_canonical(head) {
            s.sync_target = Some(head);
            return syncing();
        }
        s.sync_target = None;
        for (hash, is_finalized) in
            [(state.finalized_block_hash, true), (state.safe_block_hash, false)]
        {
            if hash.is_zero() {
                continue;
            }
            if !s.is_canonical(hash) {
                return Err(EngineError::Forkchoice(ForkchoiceUpdateError::InvalidState));
            }
            let block = s.known[&hash];
            if is_finalized {
                s.finalized = Some(block);
            } else {
                s.safe = Some(block);
            }
        }
        match attributes {
            Some(attributes) => s.build(head, attributes),
            None => valid(),
        }
    }

    async fn get_payload(&self, id: PayloadId) -> Result<OpExecutionData, EngineError> {
        let mut s = self.state.lock().unwrap();
        if let Some((_, times)) = s.timeline.iter_mut().find(|(i, _)| *i == id) {
            times.resolved = Some(unix_now());
        }
        s.built.remove(&id).ok_or_else(|| EngineError::Internal(format!("no payload {id}")))
    }

    async fn new_payload(&self, payload: OpExecutionData) -> Result<PayloadStatus, EngineError> {
        if self.state.lock().unwrap().fault == Some(Fault::Unavailable) {
            return Err(EngineError::Unavailable);
        }
        let v1 = payload.payload.as_v1();
        let first = v1
            .transactions
            .first()
            .map(|raw| OpTxEnvelope::decode_2718(&mut raw.as_ref()))
            .transpose()
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let header = alloy_consensus::Header {
            number: v1.block_number,
            parent_hash: v1.parent_hash,
            timestamp: v1.timestamp,
            gas_limit: v1.gas_limit,
            extra_data: v1.extra_data.clone(),
            mix_hash: v1.prev_randao,
            beneficiary: v1.fee_recipient,
            ..Default::default()
        };
        let block = l2_block_ref(v1.block_hash, &header, first.as_ref(), &self.genesis)
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let mut s = self.state.lock().unwrap();
        s.headers.insert(block.hash, (header, first));
        let parent_known = s.known.contains_key(&block.parent_hash);
        s.known.insert(block.hash, block);
        let status =
            if parent_known { PayloadStatusEnum::Valid } else { PayloadStatusEnum::Syncing };
        Ok(PayloadStatus::from_status(status).with_latest_valid_hash(block.hash))
    }
}

impl Chain for MemEngine {
    async fn block_ref_by_number(&self, number: u64) -> Result<Option<L2BlockRef>, ChainError> {
        let s = self.state.lock().unwrap();
        if s.fail_reads {
            return Err(ChainError::Provider("scripted read failure".into()));
        }
        if s.hidden.contains(&number) {
            return Ok(None);
        }
        Ok(s.canonical.get(number as usize).copied())
    }

    async fn block_ref_by_hash(&self, hash: B256) -> Result<Option<L2BlockRef>, ChainError> {
        let s = self.state.lock().unwrap();
        if s.fail_reads {
            return Err(ChainError::Provider("scripted read failure".into()));
        }
        Ok(s.canonical_ref(hash))
    }

    /// Only canonical blocks, as [`Chain::block_ref_by_hash`].
    async fn header_and_first_tx(
        &self,
        hash: B256,
    ) -> Result<Option<(alloy_consensus::Header, Option<OpTxEnvelope>)>, ChainError> {
        let s = self.state.lock().unwrap();
        if s.canonical_ref(hash).is_none() {
            return Ok(None);
        }
        Ok(s.headers.get(&hash).cloned())
    }

    /// Peers serve every block this engine knows (what devp2p delivered), walking parents.
    async fn peer_headers(&self, hash: B256, limit: u64) -> Result<Vec<L2BlockRef>, ChainError> {
        let s = self.state.lock().unwrap();
        let mut headers = Vec::new();
        if s.peers_silent {
            return Ok(headers);
        }
        let mut cursor = hash;
        while (headers.len() as u64) < limit {
            let Some(b) = s.known.get(&cursor) else { break };
            headers.push(*b);
            if b.number == 0 {
                break;
            }
            cursor = b.parent_hash;
        }
        Ok(headers)
    }

    async fn heads(&self) -> Result<Heads, ChainError> {
        let s = self.state.lock().unwrap();
        if s.fail_reads {
            return Err(ChainError::Provider("scripted read failure".into()));
        }
        Ok(Heads {
            unsafe_head: *s.canonical.last().expect("genesis"),
            safe: s.safe,
            finalized: s.finalized,
        })
    }
}
