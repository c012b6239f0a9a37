//! The sequencer on real reth, with load and with a stalled source. Fill window: a loopback load generator sends a transfer every
//! 50 ms to a light-CL sequencer at 1 s blocks on a reth dev L1. Each transaction sent well
//! inside a block's window (from `T - 1 s` to `T` minus the seal margin) is in that block, and
//! blocks become the head before their timestamp `T`, not after it.

mod common;

use alloy_primitives::{Address, B256};
use common::{rpc, seq::*, wait, BUILDER_INTERVAL};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use light_cl::sequencer::DEFAULT_SEAL_MARGIN;
use light_cl_tests::Reply;
use serde_json::Value;
use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Transactions sent.
const TXS: u64 = 120;
/// Between two transactions.
const EVERY: Duration = Duration::from_millis(50);

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

async fn included_in(client: &HttpClient, hash: B256) -> u64 {
    let receipt = wait(
        || async {
            let r: Option<Value> =
                client.request("eth_getTransactionReceipt", rpc_params![hash]).await.ok()?;
            r.filter(|r| !r.is_null())
        },
        "the transaction's receipt",
    )
    .await;
    quantity(&receipt["blockNumber"]) as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_sent_during_the_window_land_in_the_block_being_filled() {
    reth_tracing::init_test_tracing();
    let dir = tempfile::tempdir().unwrap();
    let world = SeqWorld::new(dir.path(), unix_now(), Address::ZERO).await;
    let (a, _a_tasks) = world.launch(&dir.path().join("a"), world.sequencer_args()).await;
    let client = rpc(&a);
    wait_head(&a, &world.rollup, "blocks on time", |h| h.number >= 3).await;

    // Pre-sign, then send on a fixed beat, recording when each left.
    let mut raw = Vec::new();
    for nonce in 0..TXS {
        raw.push(transfer(nonce).await);
    }
    // Meanwhile, when each block first shows as the head (sampled every 5 ms).
    let done = AtomicBool::new(false);
    let send = async {
        let mut sent = Vec::new();
        let mut beat = tokio::time::interval(EVERY);
        for tx in raw {
            beat.tick().await;
            let at = now();
            let hash: B256 =
                client.request("eth_sendRawTransaction", rpc_params![tx]).await.unwrap();
            sent.push((hash, at));
        }
        done.store(true, Ordering::SeqCst);
        sent
    };
    let watch = async {
        let mut seen = BTreeMap::new();
        while !done.load(Ordering::SeqCst) {
            let head = head(&a, &world.rollup);
            seen.entry(head.number).or_insert((head.timestamp, now()));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seen
    };
    let (sent, seen) = tokio::join!(send, watch);

    // Every transaction lands; those sent well inside a window land in that window's block.
    let mut per_block = BTreeMap::<u64, u64>::new();
    let (mut checked, mut in_window) = (0, 0);
    // A transaction reaches the block at reth's next rebuild (every BUILDER_INTERVAL), which
    // must finish before the seal; this much of each window's end is not checked.
    let tail = DEFAULT_SEAL_MARGIN + 2 * BUILDER_INTERVAL + Duration::from_millis(150);
    for (hash, at) in &sent {
        let number = included_in(&client, *hash).await;
        *per_block.entry(number).or_default() += 1;
        let t = Duration::from_secs(block(&a, &world.rollup, number).timestamp);
        assert!(*at < t, "a transaction is never in a block sealed before it was sent");
        // The window of the block at T: from T - 1 s (its start) to T - margin (its seal).
        let window_of_next = Duration::from_secs(at.as_secs() + 1);
        if *at + tail < window_of_next - DEFAULT_SEAL_MARGIN && at.subsec_millis() > 100 {
            checked += 1;
            if t == window_of_next {
                in_window += 1;
            }
        }
    }
    println!("transactions per block: {per_block:?}; {in_window} of {checked} checked sent inside a window landed in its block");
    assert!(checked >= TXS / 3, "{checked} of {TXS} sent inside a window");
    assert_eq!(in_window, checked, "every transaction sent inside a window is in its block");
    assert!(per_block.values().filter(|&&n| n >= 10).count() >= 4, "{per_block:?}");

    // Blocks are sealed before their timestamp (the margin before it), not after.
    let offsets: Vec<f64> =
        seen.values().skip(1).map(|(t, at)| at.as_secs_f64() - *t as f64).collect();
    println!("head seen at, relative to the block's timestamp (s): {offsets:.3?}");
    let before = offsets.iter().filter(|&&o| o < 0.0).count();
    assert!(
        before * 5 >= offsets.len() * 4,
        "most blocks are sealed before their timestamp: {offsets:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_keep_coming_while_the_follow_source_stalls_for_30_seconds() {
    reth_tracing::init_test_tracing();
    let dir = tempfile::tempdir().unwrap();
    let world = SeqWorld::new(dir.path(), unix_now(), Address::ZERO).await;
    let (a, _a_tasks) = world.launch(&dir.path().join("a"), world.sequencer_args()).await;
    let started = wait_head(&a, &world.rollup, "blocks on time", |h| h.number >= 3).await;

    // The source takes requests and answers none for an hour.
    let never = Reply::Result(serde_json::to_value(status(world.l1_0, world.genesis_l2)).unwrap());
    world.source.set_reply(Reply::Delayed(Duration::from_secs(3_600), Box::new(never)));
    let polls = world.source.polls();
    let mut last = started;
    let stalled_from = now();
    while now() - stalled_from < Duration::from_secs(30) {
        let head = head(&a, &world.rollup);
        assert!(head.timestamp + 3 >= now().as_secs(), "the head fell behind the clock: {head:?}");
        last = head;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let asked = world.source.polls() - polls;
    println!(
        "{} blocks while the source stalled for 30 s; the follow task asked it {asked} times",
        last.number - started.number
    );
    assert!(last.number >= started.number + 28, "a block per second: {started:?} → {last:?}");
    assert!(asked >= 2, "the follow task kept asking ({asked})");
    assert_eq!(world.source.server.max_open_connections(), 1, "one request in flight at a time");
}
