//! Sequencers behind a scripted op-conductor on loopback: a block is built only while the node
//! leads, published only once committed, and a leadership change leaves no gap and one block per
//! height.

use alloy_primitives::B256;
use jsonrpsee::http_client::HttpClientBuilder;
use light_cl::sequencer::{Admin, SequencerHandle};
use light_cl_protocol::L2BlockRef;
use light_cl_rpc::AdminApiClient;
use light_cl_tests::{
    free_addr,
    sequencing::{
        admin_server, admin_server_on, apply_genesis_safe, chain, recorder, settings,
        start_sequencer_behind, wait_for_head, waited,
    },
    CommitFault, Rig, ScriptedConductor,
};

/// The hashes of blocks 1..=head.
async fn hashes(rig: &Rig, head: &L2BlockRef) -> Vec<B256> {
    chain(rig, head).await.iter().skip(1).map(|b| b.hash).collect()
}

fn posted_hashes(posts: &[serde_json::Value]) -> Vec<B256> {
    posts
        .iter()
        .map(|p| serde_json::from_value(p["executionPayload"]["blockHash"].clone()).unwrap())
        .collect()
}

#[tokio::test]
async fn builds_only_while_leading_and_publishes_only_committed_blocks() {
    let conductor = ScriptedConductor::start(1).await;
    let (recording, posts) = recorder().await;
    let mut rig = Rig::sequencing(64).await;
    let handle: SequencerHandle = start_sequencer_behind(
        &rig,
        settings(false),
        vec![recording.url()],
        Some(conductor.url(0)),
    );
    apply_genesis_safe(&mut rig).await;
    let (url, _server) = admin_server(Admin::new(Some(handle.clone()), rig.owner.clone())).await;
    let admin = HttpClientBuilder::default().build(url).unwrap();
    assert!(admin.conductor_enabled().await.unwrap());

    // Not the leader: refused with op-node's message.
    let genesis = rig.main(0).hash;
    let err = admin.start_sequencer(genesis).await.unwrap_err().to_string();
    assert!(err.contains("sequencer is not the leader, aborting"), "{err}");

    // Leading, with commits that fail and hang: each block is retried, and after too many
    // failures dropped and built again; nothing uncommitted is ever published.
    conductor.set_leader(Some(0));
    conductor.fault_next([CommitFault::Fail, CommitFault::Hang, CommitFault::Fail]);
    conductor.fault_next(std::iter::repeat_n(CommitFault::Fail, 60));
    admin.start_sequencer(genesis).await.unwrap();
    wait_for_head(&rig, "block 12", |h| h.number >= 12).await;
    assert_eq!(conductor.faults_left(), 0);

    // Leadership moves away: building stops at the next block.
    conductor.set_leader(None);
    let seen = handle.idle().borrow().count;
    waited(&handle, seen, "not_leader").await;
    let head = rig.engine.labels().0;
    let seen = handle.idle().borrow().count;
    waited(&handle, seen + 2, "not_leader").await;
    assert_eq!(rig.engine.labels().0, head, "no block while another node leads");

    let commits = conductor.commits();
    let committed: Vec<B256> = commits.iter().map(|c| c.hash).collect();
    assert_eq!(committed, hashes(&rig, &head).await, "every head block committed, once, in order");
    assert_eq!(posted_hashes(&posts.lock().unwrap()), committed, "published only once committed");
    assert!(
        rig.engine.build_times().len() as u64 > head.number,
        "a block whose commits kept failing was dropped and built again"
    );

    // admin_overrideLeader: builds without the conductor and commits nothing.
    admin.override_leader().await.unwrap();
    wait_for_head(&rig, "blocks past the override", |h| h.number >= head.number + 3).await;
    handle.stop().await.unwrap();
    assert_eq!(conductor.commits().len(), commits.len(), "nothing committed under the override");
}

#[tokio::test]
async fn a_leadership_change_leaves_no_gap_and_one_block_per_height() {
    let conductor = ScriptedConductor::start(2).await;
    let mut rigs = vec![Rig::sequencing(64).await, Rig::sequencing(64).await];
    let mut admins = Vec::new();
    let mut servers = Vec::new();
    for rig in &mut rigs {
        apply_genesis_safe(rig).await;
    }
    // Each node's admin RPC, and each sequencer publishing to the other's.
    let mut handles = Vec::new();
    let addrs = [free_addr(), free_addr()];
    for (i, rig) in rigs.iter().enumerate() {
        let other = format!("http://{}", addrs[1 - i]).parse().unwrap();
        handles.push(start_sequencer_behind(
            rig,
            settings(false),
            vec![other],
            Some(conductor.url(i)),
        ));
    }
    for (i, rig) in rigs.iter().enumerate() {
        let admin = Admin::new(Some(handles[i].clone()), rig.owner.clone());
        let (url, server) = admin_server_on(addrs[i], admin).await;
        admins.push(HttpClientBuilder::default().build(url).unwrap());
        servers.push(server);
    }

    // A leads (op-conductor starts it on its head).
    conductor.set_leader(Some(0));
    admins[0].start_sequencer(rigs[0].main(0).hash).await.unwrap();
    wait_for_head(&rigs[0], "A's block 10", |h| h.number >= 10).await;

    // Leadership moves to B: op-conductor stops A, then starts B on A's last block.
    conductor.set_leader(Some(1));
    let last = admins[0].stop_sequencer().await.unwrap();
    let b_head = wait_for_head(&rigs[1], "B has A's last block", |h| h.hash == last).await;
    admins[1].start_sequencer(last).await.unwrap();
    let end = wait_for_head(&rigs[1], "B's blocks", |h| h.number >= b_head.number + 10).await;
    let stopped = admins[1].stop_sequencer().await.unwrap();
    let end = if stopped == end.hash { end } else { rigs[1].engine.labels().0 };
    wait_for_head(&rigs[0], "A has B's blocks", |h| h.hash == end.hash).await;

    let commits = conductor.commits();
    let numbers: Vec<u64> = commits.iter().map(|c| c.number).collect();
    assert_eq!(numbers, (1..=end.number).collect::<Vec<_>>(), "no gap, one block per height");
    assert!(commits.iter().any(|c| c.node == 0) && commits.iter().any(|c| c.node == 1));
    let committed: Vec<B256> = commits.iter().map(|c| c.hash).collect();
    assert_eq!(hashes(&rigs[0], &end).await, committed, "A's chain is the committed chain");
    assert_eq!(hashes(&rigs[1], &end).await, committed, "B's chain is the committed chain");
}
