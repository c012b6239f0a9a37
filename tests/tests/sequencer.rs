//! The sequencer task over the in-memory engine and a scripted L1 on loopback: the gate on the
//! follow path, slot timing, origin and drift rules, admin controls, publishing and pushed
//! blocks.

use alloy_primitives::B256;
use jsonrpsee::http_client::HttpClientBuilder;
use light_cl::sequencer::{Admin, SequencerHandle};
use light_cl_rpc::AdminApiClient;
use light_cl_tests::{
    sequencing::{
        admin_server, apply_genesis_safe, chain, recorder, settings, start_sequencer,
        wait_for_head, waited,
    },
    Rig,
};
use url::Url;

const MAX_DRIFT: u64 = 1800;

/// Starts a sequencer on `rig` (test settings), publishing to `publish_to`.
fn sequencer(rig: &Rig, active: bool, publish_to: Vec<Url>) -> SequencerHandle {
    start_sequencer(rig, settings(active), publish_to)
}

#[tokio::test]
async fn builds_only_after_the_safe_head_is_applied_then_back_to_back() {
    let mut rig = Rig::sequencing(64).await;
    let handle = sequencer(&rig, true, vec![]);
    waited(&handle, 0, "safe_head_not_applied").await;
    assert_eq!(rig.engine.labels().0.number, 0, "nothing is built before the gate opens");
    assert!(handle.is_active());

    apply_genesis_safe(&mut rig).await;
    // Genesis is in 2023: every slot is late, so blocks are built at once, back to back.
    wait_for_head(&rig, "block 20", |h| h.number >= 20).await;
    let stopped_at = handle.stop().await.unwrap();
    let head = rig.engine.labels().0;
    assert_eq!(stopped_at, head.hash, "stop returns the last sealed head");

    let blocks = chain(&rig, &head).await;
    let (l1_0, l1_last) = (rig.l1.block(0), rig.l1.block(rig.l1.len() - 1));
    for pair in blocks.windows(2) {
        let (parent, block) = (&pair[0], &pair[1]);
        assert_eq!(block.parent_hash, parent.hash);
        assert_eq!(block.timestamp, parent.timestamp + rig.config.block_time, "no slot skipped");
        // L2 every 2 s, L1 every 12 s, confirmation depth 0: epoch = ⌊(t − t₀) / 12⌋, until
        // L1 ends.
        let epoch = ((block.timestamp - l1_0.timestamp) / 12).min(l1_last.number);
        assert_eq!(block.l1_origin, rig.l1.block(epoch).id(), "block {}", block.number);
        let expected_seq =
            if block.l1_origin == parent.l1_origin { parent.sequence_number + 1 } else { 0 };
        assert_eq!(block.sequence_number, expected_seq);
    }
    for attributes in rig.engine.attributes() {
        let past_drift = attributes.payload_attributes.timestamp > l1_last.timestamp + MAX_DRIFT;
        assert_eq!(attributes.no_tx_pool, Some(past_drift));
    }
    assert!(
        head.timestamp <= l1_last.timestamp + MAX_DRIFT,
        "never past the drift of the last L1 block"
    );
    assert_eq!(rig.served().await.unsafe_l2, head, "the served view follows the sealed head");
}

#[tokio::test]
async fn past_the_drift_no_tx_pool_then_the_origin_moves_forward() {
    // Four L1 blocks, 12 s apart; the next one arrives later, 2,000 s after the last.
    let mut rig = Rig::sequencing(4).await;
    let handle = sequencer(&rig, true, vec![]);
    apply_genesis_safe(&mut rig).await;
    let last_l1 = rig.l1.block(3);

    // Without a next L1 block the sequencer builds up to the drift and stops there.
    let edge = last_l1.timestamp + MAX_DRIFT;
    let head = wait_for_head(&rig, "the drift edge", |h| h.timestamp >= edge).await;
    let seen = handle.idle().borrow().count;
    waited(&handle, seen + 2, "drift_exceeded").await;
    assert_eq!(rig.engine.labels().0, head, "no block past the drift without a next origin");
    assert_eq!(head.timestamp, edge);
    assert_eq!(head.l1_origin, last_l1.id());
    assert!(rig.engine.attributes().iter().all(|a| a.no_tx_pool == Some(false)));

    let next = rig.l1.push_after(2_000);
    wait_for_head(&rig, "the new origin", |h| h.l1_origin.number == 4).await;
    handle.stop().await.unwrap();
    let blocks = chain(&rig, &rig.engine.labels().0).await;
    let first = blocks.iter().find(|b| b.l1_origin.number == 4).unwrap();
    assert_eq!(first.timestamp, next.timestamp, "the first block at the new origin's time");
    assert_eq!(first.sequence_number, 0);
    assert_eq!(blocks[first.number as usize - 1].l1_origin, last_l1.id());
    let attributes = rig.engine.attributes();
    let past_drift: Vec<_> = attributes
        .iter()
        .filter(|a| {
            let t = a.payload_attributes.timestamp;
            t > edge && t < next.timestamp
        })
        .collect();
    assert_eq!(past_drift.len() as u64, (next.timestamp - edge) / 2 - 1);
    assert!(past_drift.iter().all(|a| a.no_tx_pool == Some(true)), "past the drift: no tx pool");
    let at_next =
        attributes.iter().find(|a| a.payload_attributes.timestamp == next.timestamp).unwrap();
    assert_eq!(at_next.no_tx_pool, Some(false), "back within the drift of the new origin");
}

#[tokio::test]
async fn admin_controls_and_errors() {
    let mut rig = Rig::sequencing(64).await;
    let handle = sequencer(&rig, false, vec![]);
    apply_genesis_safe(&mut rig).await;
    let (url, _server) = admin_server(Admin::new(Some(handle.clone()), rig.owner.clone())).await;
    let client = HttpClientBuilder::default().build(url).unwrap();

    assert!(!client.sequencer_active().await.unwrap(), "started stopped");
    waited(&handle, 0, "inactive").await;
    assert_eq!(rig.engine.labels().0.number, 0, "a stopped sequencer builds nothing");
    let err = client.stop_sequencer().await.unwrap_err().to_string();
    assert!(err.contains("sequencer not running"), "{err}");
    let err = client.start_sequencer(B256::repeat_byte(1)).await.unwrap_err().to_string();
    assert!(err.contains("block hash does not match"), "{err}");

    client.start_sequencer(rig.main(0).hash).await.unwrap();
    assert!(client.sequencer_active().await.unwrap());
    let err = client.start_sequencer(rig.main(0).hash).await.unwrap_err().to_string();
    assert!(err.contains("sequencer already running"), "{err}");
    wait_for_head(&rig, "block 3", |h| h.number >= 3).await;
    let before_stop = handle.idle().borrow().count;
    let last = client.stop_sequencer().await.unwrap();
    let head = rig.engine.labels().0;
    assert_eq!(last, head.hash);
    // Every slot is late (genesis is in 2023), so blocks come back to back; the stop is served
    // between two of them, long before the drift edge (block ~1,278) would pause building.
    assert!(head.number < 600, "stop waited for the catch-up to end: head {}", head.number);
    waited(&handle, before_stop, "inactive").await;
    assert_eq!(rig.engine.labels().0.hash, last, "nothing built after stop");

    // A node that does not sequence says so.
    let (url, _plain) = admin_server(Admin::new(None, rig.owner.clone())).await;
    let plain = HttpClientBuilder::default().build(url).unwrap();
    assert!(!plain.sequencer_active().await.unwrap());
    let err = plain.start_sequencer(last).await.unwrap_err().to_string();
    assert!(err.contains("sequencer is not enabled"), "{err}");
}

#[tokio::test]
async fn publishes_each_block_and_a_follower_takes_them() {
    // The follower: same chain, not sequencing, takes pushed blocks through its engine owner.
    let mut follower = Rig::sequencing(64).await;
    apply_genesis_safe(&mut follower).await;
    let (follower_url, _server) = admin_server(Admin::new(None, follower.owner.clone())).await;
    let (recording, seen) = recorder().await;
    let dead: Url = "http://127.0.0.1:9".parse().unwrap();

    let mut rig = Rig::sequencing(64).await;
    let handle = sequencer(&rig, true, vec![follower_url.clone(), recording.url(), dead.clone()]);
    apply_genesis_safe(&mut rig).await;
    wait_for_head(&rig, "block 10", |h| h.number >= 10).await;
    let last = handle.stop().await.unwrap();
    let head = rig.engine.labels().0;
    assert_eq!(head.hash, last);

    // A dead target never stopped sequencing, and the follower has every block.
    assert_eq!(follower.engine.labels().0, head, "the follower's head is the sequencer's");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len() as u64, head.number, "one post per sealed block");
    let last_post = seen.last().unwrap();
    assert_eq!(last_post["executionPayload"]["blockHash"], serde_json::json!(head.hash));
    assert_eq!(
        last_post["executionPayload"]["blockNumber"],
        serde_json::json!(format!("{:#x}", head.number))
    );
    assert!(last_post.get("parentBeaconBlockRoot").is_some(), "Ecotone: the envelope has the root");

    // The same block again does not extend the follower's head: refused with a reason.
    let client = HttpClientBuilder::default().build(follower_url).unwrap();
    let envelope = serde_json::from_value(last_post.clone()).unwrap();
    let err = client.post_unsafe_payload(envelope).await.unwrap_err().to_string();
    assert!(err.contains("does not extend the unsafe head"), "{err}");

    // While sequencing, pushed blocks are refused.
    handle.start(head.hash).await.unwrap();
    let (url, _own) = admin_server(Admin::new(Some(handle.clone()), rig.owner.clone())).await;
    let own = HttpClientBuilder::default().build(url).unwrap();
    let envelope = serde_json::from_value(last_post.clone()).unwrap();
    let err = own.post_unsafe_payload(envelope).await.unwrap_err().to_string();
    assert!(err.contains("sequencing"), "{err}");
    // So are gossiped ones: its own chain tip is its own.
    let data = light_cl_rpc::envelope_to_data(serde_json::from_value(last_post.clone()).unwrap());
    let data = data.unwrap();
    let err = handle.propose(data.clone()).await.unwrap_err().to_string();
    assert!(err.contains("sequencing"), "{err}");
    handle.stop().await.unwrap();
    let proposed = handle.propose(data).await.unwrap();
    assert_eq!(proposed, light_cl::Proposed::Known, "stopped: proposals reach the engine owner");
}

#[tokio::test]
async fn a_push_extending_the_head_is_taken_while_a_head_target_is_pending() {
    // A sequencer makes one block; its post is recorded.
    let mut rig = Rig::sequencing(64).await;
    let (recording, seen) = recorder().await;
    let handle = sequencer(&rig, true, vec![recording.url()]);
    apply_genesis_safe(&mut rig).await;
    wait_for_head(&rig, "block 1", |h| h.number >= 1).await;
    handle.stop().await.unwrap();
    let block_1 = chain(&rig, &rig.engine.labels().0).await[1];
    let first_post = seen.lock().unwrap()[0].clone();

    // A follower whose follow path waits for a block it cannot get (the engine syncs to it).
    let mut follower = Rig::sequencing(64).await;
    let genesis = follower.main(0);
    follower.source.set(follower.status(follower.main(5), follower.main(5), genesis));
    follower.follow.tick().await;
    assert!(!*follower.follow.ready().borrow(), "behind the source: syncing");
    let (url, _server) = admin_server(Admin::new(None, follower.owner.clone())).await;
    let client = HttpClientBuilder::default().build(url).unwrap();
    client.post_unsafe_payload(serde_json::from_value(first_post).unwrap()).await.unwrap();
    assert_eq!(follower.engine.labels().0, block_1, "the pushed child of the head is the head");
}
