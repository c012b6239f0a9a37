//! CL gossip end to end: a light-CL sequencer on a reth dev L1 signs and gossips every block;
//! two followers with no devp2p peer and no source EL, only its gossip, follow every block; a
//! rogue libp2p peer's malformed messages are rejected and counted and move no head.

mod common;

use alloy_primitives::Address;
use common::{launch, seq::*, wait, Handle};
use jsonrpsee::{core::client::ClientT, rpc_params};
use light_cl_p2p::{
    libp2p::{identity::Keypair, multiaddr::Protocol, Multiaddr, PeerId},
    BlockVersion, GossipConfig,
};
use op_reth_light::{
    args::SequencerArgs,
    p2p::{P2pArgs, NODE_KEY_FILE},
};
use reth_network_api::PeersInfo;
use reth_tasks::TaskManager;
use std::{
    net::TcpListener,
    path::Path,
    time::{Duration, Instant},
};

/// The sequencer's P2P signing key (a test key, the chain's unsafe block signer here).
const SEQUENCER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/// A free TCP port on loopback.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Creates `datadir`'s node key now, so the peer id is known before the node starts.
fn peer_id_of(datadir: &Path) -> PeerId {
    light_cl_p2p::load_or_create(&datadir.join(NODE_KEY_FILE)).unwrap().public().to_peer_id()
}

fn addr(port: u16, peer: PeerId) -> Multiaddr {
    format!("/ip4/127.0.0.1/tcp/{port}").parse::<Multiaddr>().unwrap().with(Protocol::P2p(peer))
}

/// Rejected gossip messages, every version and reason, in the process's recorder.
fn rejected() -> u64 {
    let all = common::series("light_cl_p2p_messages_total");
    all.iter().filter(|(l, _)| l.contains("verdict=\"rejected\"")).map(|(_, v)| v).sum::<f64>()
        as u64
}

/// The last value any node set on the connected-peers gauge.
fn peers_gauge() -> Option<f64> {
    common::series("light_cl_p2p_peers").first().map(|(_, v)| *v)
}

/// A sequencer A that gossips and followers that get its blocks only by gossip, on a reth dev
/// L1; A starts building once the followers are connected.
struct GossipWorld {
    world: SeqWorld,
    key: light_cl_p2p::SequencerKey,
    a: Handle,
    followers: Vec<(Handle, TaskManager)>,
    /// Each follower's P2P port and peer id.
    ports: Vec<(u16, PeerId)>,
    _a_tasks: TaskManager,
}

impl GossipWorld {
    async fn start(dir: &Path, followers: usize) -> Self {
        let world = SeqWorld::new(dir, unix_now() - 6, Address::ZERO).await;
        let rollup = world.rollup.clone();
        let key = light_cl_p2p::SequencerKey::from_hex(SEQUENCER_KEY).unwrap();
        let key_path = dir.join("sequencer.key");
        std::fs::write(&key_path, SEQUENCER_KEY).unwrap();

        // The sequencer A listens on a known port with a known peer id; the followers dial it.
        let (a_dir, a_port) = (dir.join("a"), free_port());
        let a_peer = peer_id_of(&a_dir);
        let p2p = |port: u16, static_peers: Vec<Multiaddr>| P2pArgs {
            listen_ip: [127, 0, 0, 1].into(),
            listen_tcp: port,
            static_peers,
            unsafe_block_signer: Some(key.address()),
            ..P2pArgs::default()
        };
        // A starts stopped, so no block is sealed before the followers are on the network.
        let mut a_args = world.follow(SequencerArgs { stopped: true, ..world.sequencer_args() });
        a_args.p2p = P2pArgs { sequencer_key: Some(key_path), ..p2p(a_port, Vec::new()) };
        let (a, a_tasks) = launch(world.spec.clone(), &a_dir, Some(a_args)).await.unwrap();

        let mut nodes = Vec::new();
        let mut ports = Vec::new();
        for i in 0..followers {
            let mut args = world.follow(SequencerArgs::default());
            let port = free_port();
            let fdir = dir.join(format!("f{i}"));
            ports.push((port, peer_id_of(&fdir)));
            args.p2p = p2p(port, vec![addr(a_port, a_peer)]);
            nodes.push(launch(world.spec.clone(), &fdir, Some(args)).await.unwrap());
        }
        // The peers gauge is the process's: only A can have that many peers.
        let all = followers as f64;
        wait(|| async { (peers_gauge() == Some(all)).then_some(()) }, "A is connected to all")
            .await;
        // An L1 block passes (1 s) while the peers exchange their subscriptions.
        let l1_number = || async {
            let n: alloy_primitives::U64 =
                world.l1_rpc.request("eth_blockNumber", rpc_params![]).await.unwrap();
            n.to::<u64>()
        };
        let now = l1_number().await;
        wait(|| async { (l1_number().await > now).then_some(()) }, "an L1 block").await;
        // op-conductor's health check reads the same count over opp2p_peerStats.
        let stats: serde_json::Value =
            common::rpc(&a).request("opp2p_peerStats", rpc_params![]).await.unwrap();
        assert_eq!(stats["connected"], serde_json::json!(followers), "{stats}");
        assert_eq!(stats["blocksTopicV3"], serde_json::json!(followers), "{stats}");
        let genesis = head(&a, &rollup).hash;
        common::rpc(&a)
            .request::<(), _>("admin_startSequencer", rpc_params![genesis])
            .await
            .unwrap();
        Self { world, key, a, followers: nodes, ports, _a_tasks: a_tasks }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn followers_take_every_block_from_the_sequencers_gossip() {
    reth_tracing::init_test_tracing();
    let dir = tempfile::tempdir().unwrap();
    // `_tasks` keeps A running (an unbound field would be dropped here).
    let GossipWorld { world, key, a, followers, ports, _a_tasks: _tasks } =
        GossipWorld::start(dir.path(), 2).await;
    let rollup = world.rollup.clone();

    // Every block A seals reaches both followers, which have no other way to get it: no devp2p
    // peer, no source EL, and the scripted source reports genesis as its unsafe head.
    let target = wait_head(&a, &rollup, "A sequences 6 blocks", |h| h.number >= 6).await.number + 4;
    for (node, _) in &followers {
        assert_eq!(node.node.network.num_connected_peers(), 0, "no devp2p peer");
        wait_head(node, &rollup, "a follower has A's blocks by gossip", |h| h.number >= target)
            .await;
        for n in 1..=target {
            assert_eq!(block(node, &rollup, n), block(&a, &rollup, n), "block {n}");
        }
    }

    // A rogue peer sends B garbage on a block topic: rejected, counted, no head moves.
    let rejected_before = rejected();
    let (rogue, _rogue_rx) = light_cl_p2p::spawn(GossipConfig {
        chain_id: rollup.l2_chain_id,
        forks: rollup.forks,
        signer: key.address(),
        listen: "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        keypair: Keypair::generate_secp256k1(),
        static_peers: vec![addr(ports[0].0, ports[0].1)],
    })
    .unwrap();
    let version = BlockVersion::at(&rollup.forks, unix_now());
    wait(
        || async {
            // Until the mesh has formed a message may reach no one: send until one is counted.
            let _ = rogue.publish(version, b"not a block".repeat(8)).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            (rejected() > rejected_before).then_some(())
        },
        "B rejects the rogue's message",
    )
    .await;
    let (b, _) = &followers[0];
    let b_head = head(b, &rollup);
    assert_eq!(block(&a, &rollup, b_head.number), b_head, "B is still on A's chain");
}

/// A measurement, not a test: the time from the sequencer's head becoming a block to the
/// follower's head becoming it, over gossip, sampled every 2 ms. Run it with
/// `cargo test --test gossip -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run explicitly"]
async fn gossip_latency() {
    let blocks = 60;
    let dir = tempfile::tempdir().unwrap();
    let g = GossipWorld::start(dir.path(), 1).await;
    let rollup = g.world.rollup.clone();
    let b = &g.followers[0].0;
    let first = head(&g.a, &rollup).number + 1;
    let (mut on_a, mut on_b) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(blocks + 60);
    while on_b.len() < blocks as usize && Instant::now() < deadline {
        let now = Instant::now();
        let (ha, hb) = (head(&g.a, &rollup).number, head(b, &rollup).number);
        while ha >= first + on_a.len() as u64 {
            on_a.push(now);
        }
        while hb >= first + on_b.len() as u64 {
            on_b.push(now);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Blocks built back to back while A caught up to the wall clock come first; skip them.
    let late = on_a.iter().zip(&on_b).skip(10).map(|(a, b)| b.saturating_duration_since(*a));
    let mut samples: Vec<Duration> = late.collect();
    samples.sort();
    assert!(!samples.is_empty(), "no block reached B");
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    println!(
        "gossip, sequencer head -> follower head ({profile}, {} blocks at 1 s, 2 ms sampling): p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.5),
        at(0.99),
        samples[samples.len() - 1]
    );
}
