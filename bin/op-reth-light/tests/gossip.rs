//! CL gossip end to end: a light-CL sequencer on a reth dev L1 signs and gossips every block;
//! two followers with no devp2p peer and no source EL, only its gossip, follow every block; a
//! rogue libp2p peer's messages (wrong key, wrong chain, too old, too far ahead, malformed,
//! oversized) are rejected and counted by reason and move no head; a follower that knows only
//! the sequencer's ENR finds it by discovery on loopback.

mod common;

use alloy_primitives::Address;
use common::{launch, seq::*, wait, Handle};
use jsonrpsee::{core::client::ClientT, rpc_params};
use light_cl_p2p::{
    libp2p::{identity::Keypair, multiaddr::Protocol, Multiaddr, PeerId},
    test_blocks,
    validate::{MAX_AGE_SECS, MAX_AHEAD_SECS},
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

/// The kinds of message a rogue peer sends, by the reason they are rejected for.
const REJECTIONS: [(&str, &str); 6] = [
    ("signer", "wrong key"),
    ("signer", "signed for another chain"),
    ("too_old", "too old"),
    ("too_far_ahead", "too far ahead"),
    ("compression", "malformed"),
    ("too_large", "oversized"),
];

/// Messages rejected for `reason`, every version, in the process's recorder.
fn rejected_for(reason: &str) -> u64 {
    let all = common::series("light_cl_p2p_messages_total");
    let label = format!("reason=\"{reason}\"");
    all.iter().filter(|(l, _)| l.contains(&label)).map(|(_, v)| v).sum::<f64>() as u64
}

/// A block number no earlier message used.
fn next_number() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1_000_000);
    NEXT.fetch_add(1, Ordering::Relaxed)
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
    /// Each follower's datadir and arguments, to start it again.
    follower_args: Vec<(std::path::PathBuf, op_reth_light::args::FollowArgs)>,
    _a_tasks: TaskManager,
}

impl GossipWorld {
    /// The followers have A as their static peer, or with `discovery` only A's ENR as their
    /// bootnode (every node runs discovery then; otherwise none does).
    async fn start(dir: &Path, followers: usize, discovery: bool) -> Self {
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
            no_discovery: !discovery,
            ..P2pArgs::default()
        };
        // A starts stopped, so no block is sealed before the followers are on the network.
        let mut a_args = world.follow(SequencerArgs { stopped: true, ..world.sequencer_args() });
        // A, the followers' bootnode with discovery, dials no one: each follower dials it.
        a_args.p2p =
            P2pArgs { sequencer_key: Some(key_path), peers_lo: 0, ..p2p(a_port, Vec::new()) };
        let (a, a_tasks) = launch(world.spec.clone(), &a_dir, Some(a_args)).await.unwrap();
        // A's record, as opp2p_self shows it once its gossip node and discovery run.
        let enr_of_a = || async {
            let me: Result<serde_json::Value, _> =
                common::rpc(&a).request("opp2p_self", rpc_params![]).await;
            me.ok().and_then(|me| me["ENR"].as_str().filter(|e| !e.is_empty()).map(str::to_owned))
        };
        let a_enr = if discovery { Some(wait(enr_of_a, "A's ENR").await) } else { None };

        let mut nodes = Vec::new();
        let mut ports = Vec::new();
        let mut follower_args = Vec::new();
        for i in 0..followers {
            let mut args = world.follow(SequencerArgs::default());
            let port = free_port();
            let fdir = dir.join(format!("f{i}"));
            ports.push((port, peer_id_of(&fdir)));
            args.p2p = match &a_enr {
                Some(enr) => {
                    P2pArgs { bootnodes: vec![enr.parse().unwrap()], ..p2p(port, Vec::new()) }
                }
                None => p2p(port, vec![addr(a_port, a_peer)]),
            };
            nodes.push(launch(world.spec.clone(), &fdir, Some(args.clone())).await.unwrap());
            follower_args.push((fdir, args));
        }
        // A's own count (the peers gauge is the process's, shared by every node of the test
        // binary); an error until A's gossip node runs.
        let connected = || async {
            let stats: Result<serde_json::Value, _> =
                common::rpc(&a).request("opp2p_peerStats", rpc_params![]).await;
            stats.ok().and_then(|s| s["connected"].as_u64())
        };
        wait(
            || async { (connected().await == Some(followers as u64)).then_some(()) },
            "A is connected to all",
        )
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
        // opp2p_self and opp2p_peers, in op-node's shape: the followers dialled A.
        let me: serde_json::Value =
            common::rpc(&a).request("opp2p_self", rpc_params![]).await.unwrap();
        assert_eq!(me["peerID"], serde_json::json!(a_peer.to_string()), "{me}");
        let listen = format!("/ip4/127.0.0.1/tcp/{a_port}/p2p/{a_peer}");
        assert_eq!(me["addresses"], serde_json::json!([listen]), "{me}");
        let dump: serde_json::Value =
            common::rpc(&a).request("opp2p_peers", rpc_params![true]).await.unwrap();
        assert_eq!(dump["totalConnected"], serde_json::json!(followers), "{dump}");
        for (_, peer) in &ports {
            let info = &dump["peers"][peer.to_string()];
            assert_eq!(info["direction"], serde_json::json!(1), "inbound: {dump}");
            assert_eq!(info["connectedness"], serde_json::json!(1), "{dump}");
            assert_eq!(info["gossipBlocks"], serde_json::json!(true), "{dump}");
        }
        let on_f0: serde_json::Value =
            common::rpc(&nodes[0].0).request("opp2p_peers", rpc_params![true]).await.unwrap();
        let a_info = &on_f0["peers"][a_peer.to_string()];
        assert_eq!(
            (&a_info["direction"], &a_info["protected"]),
            (&2.into(), &(!discovery).into()),
            "F0 dialled A, its static peer unless found by discovery: {on_f0}"
        );
        if let Some(enr) = &a_enr {
            assert_eq!(a_info["ENR"], serde_json::json!(enr), "found by discovery: {on_f0}");
            assert_eq!(a_info["chainID"], serde_json::json!(rollup.l2_chain_id), "{on_f0}");
        }
        let genesis = head(&a, &rollup).hash;
        common::rpc(&a)
            .request::<(), _>("admin_startSequencer", rpc_params![genesis])
            .await
            .unwrap();
        Self { world, key, a, followers: nodes, ports, follower_args, _a_tasks: a_tasks }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn followers_take_every_block_from_the_sequencers_gossip() {
    reth_tracing::init_test_tracing();
    let dir = tempfile::tempdir().unwrap();
    // `_tasks` keeps A running (an unbound field would be dropped here).
    let GossipWorld { world, key, a, followers, ports, _a_tasks: _tasks, .. } =
        GossipWorld::start(dir.path(), 2, false).await;
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

    // Rogue peers send B a message of each kind the spec rejects, some signed with the real
    // key: each is rejected and counted by its reason, and no head moves. One rogue per kind:
    // after its first invalid message a rogue is graylisted (B ignores it).
    let rogue = || {
        light_cl_p2p::spawn(GossipConfig {
            chain_id: rollup.l2_chain_id,
            forks: rollup.forks,
            signer: key.address(),
            listen: "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
            keypair: Keypair::generate_secp256k1(),
            static_peers: vec![addr(ports[0].0, ports[0].1)],
            max_inbound: light_cl_p2p::DEFAULT_MAX_INBOUND,
            scoring: Some(light_cl_p2p::Scoring::light(rollup.block_time)),
        })
        .unwrap()
    };
    let real =
        k256::ecdsa::SigningKey::from_slice(&alloy_primitives::hex::decode(SEQUENCER_KEY).unwrap())
            .unwrap();
    let other = k256::ecdsa::SigningKey::from_slice(&[0x22; 32]).unwrap();
    let chain = rollup.l2_chain_id;
    let mut rogues = Vec::new();
    for (reason, what) in REJECTIONS {
        let before = rejected_for(reason);
        let (rogue, rogue_rx) = rogue();
        wait(
            || async {
                // Until the mesh has formed a message may reach no one: send fresh ones (a new
                // block number each time, so none is a duplicate) until one is counted.
                let n = next_number();
                let now = unix_now();
                let signed = |ts: u64, key: &k256::ecdsa::SigningKey, chain: u64| {
                    let version = BlockVersion::at(&rollup.forks, ts);
                    let mut b = test_blocks::block(version, ts);
                    b.header.number = n;
                    let envelope = test_blocks::envelope_of(&b, key, chain);
                    (version, light_cl_p2p::encode(version, &envelope).unwrap())
                };
                let (version, data) = match reason {
                    "signer" if what == "wrong key" => signed(now, &other, chain),
                    "signer" => signed(now, &real, chain + 1),
                    "too_old" => signed(now - MAX_AGE_SECS - 30, &real, chain),
                    "too_far_ahead" => signed(now + MAX_AHEAD_SECS + 30, &real, chain),
                    "compression" => (
                        BlockVersion::at(&rollup.forks, now),
                        format!("not a block {n}").into_bytes(),
                    ),
                    _ => {
                        let mut big = vec![0u8; light_cl_p2p::MAX_GOSSIP_SIZE + 1];
                        big[..8].copy_from_slice(&n.to_be_bytes());
                        (BlockVersion::at(&rollup.forks, now), big)
                    }
                };
                let _ = rogue.publish(version, data).await;
                tokio::time::sleep(Duration::from_millis(200)).await;
                (rejected_for(reason) > before).then_some(())
            },
            what,
        )
        .await;
        rogues.push((rogue, rogue_rx));
    }
    let (b, _) = &followers[0];
    // Peer scoring is on: the last rogue's invalid block took its score on B below the
    // graylist threshold (-40), so B ignores it now; or B has banned it already (it looks at
    // scores every 15 s).
    let (last, _) = rogues.last().unwrap();
    let on_b: serde_json::Value =
        common::rpc(b).request("opp2p_peers", rpc_params![true]).await.unwrap();
    let id = last.peer_id().to_string();
    let score = on_b["peers"][&id]["scores"]["gossip"]["total"].as_f64();
    let banned = on_b["bannedPeers"].as_array().is_some_and(|b| b.contains(&id.clone().into()));
    assert!(banned || score.is_some_and(|s| s < -40.0), "{on_b}");
    let b_head = head(b, &rollup);
    assert_eq!(block(&a, &rollup, b_head.number), b_head, "B is still on A's chain");
}

/// A follower stopped while the sequencer goes on: started again, it has a gap below the first
/// block gossip brings it; reth fills the gap over devp2p (a follower of a real network has
/// devp2p peers) and the follower follows the gossip again.
#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_follower_catches_up_and_follows_the_gossip_again() {
    reth_tracing::init_test_tracing();
    let dir = tempfile::tempdir().unwrap();
    let GossipWorld { world, a, mut followers, follower_args, _a_tasks: _tasks, .. } =
        GossipWorld::start(dir.path(), 1, false).await;
    let rollup = world.rollup.clone();
    let (b, b_tasks) = followers.remove(0);
    let seen = wait_head(&a, &rollup, "A sequences 4 blocks", |h| h.number >= 4).await.number;
    wait_head(&b, &rollup, "B follows by gossip", |h| h.number >= seen).await;
    common::stop(b, b_tasks).await;
    let stopped_at = head(&a, &rollup).number;
    wait_head(&a, &rollup, "A goes on while B is down", |h| h.number >= stopped_at + 3).await;

    let (datadir, args) = &follower_args[0];
    let (b, _b_tasks) = launch(world.spec.clone(), datadir, Some(args.clone())).await.unwrap();
    assert!(head(&b, &rollup).number < head(&a, &rollup).number, "B restarted behind A");
    common::connect(&a, &b).await;
    let target = head(&a, &rollup).number + 3;
    wait_head(&b, &rollup, "B catches up and follows again", |h| h.number >= target).await;
    for n in 1..=target {
        assert_eq!(block(&b, &rollup, n), block(&a, &rollup, n), "block {n}");
    }
}

/// Discovery on loopback: the follower knows only A's ENR (from A's opp2p_self) as its
/// bootnode, has no static peer, finds A and follows its gossip.
#[tokio::test(flavor = "multi_thread")]
async fn a_follower_finds_the_sequencer_from_its_bootnode_enr() {
    reth_tracing::init_test_tracing();
    let dir = tempfile::tempdir().unwrap();
    let GossipWorld { world, a, followers, _a_tasks: _tasks, .. } =
        GossipWorld::start(dir.path(), 1, true).await;
    let rollup = world.rollup.clone();
    let (b, _) = &followers[0];
    let target = wait_head(&a, &rollup, "A sequences 3 blocks", |h| h.number >= 3).await.number + 2;
    wait_head(b, &rollup, "B follows A's gossip", |h| h.number >= target).await;
    for n in 1..=target {
        assert_eq!(block(b, &rollup, n), block(&a, &rollup, n), "block {n}");
    }
    let on_b: serde_json::Value =
        common::rpc(b).request("opp2p_peerStats", rpc_params![]).await.unwrap();
    assert!(on_b["table"].as_u64() >= Some(1), "A is in B's discovery table: {on_b}");
}

/// A measurement, not a test: for 300 blocks at 1 s, the time from the sequencer's head becoming
/// a block to a follower's head becoming it, over gossip (B) and side by side with today's
/// unsafe following from the follow source (C: A itself is C's source, polled at the default
/// interval, blocks fetched over devp2p from A), sampled every 2 ms. Run it with
/// `cargo test --release --test gossip -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run explicitly (about 6 minutes)"]
async fn gossip_latency() {
    let blocks: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let g = GossipWorld::start(dir.path(), 1, false).await;
    let rollup = g.world.rollup.clone();
    let b = &g.followers[0].0;
    let a_url = g.a.node.rpc_server_handle().http_url().unwrap();
    let c_args = op_reth_light::args::FollowArgs {
        follow_source: vec![url::Url::parse(&a_url).unwrap().into()],
        follow_interval: None,
        ..g.world.follow(SequencerArgs::default())
    };
    let (c, _c_tasks) =
        launch(g.world.spec.clone(), &dir.path().join("c"), Some(c_args)).await.unwrap();
    common::connect(&g.a, &c).await;
    // Blocks built back to back while A catches up to the wall clock are not measured.
    wait_head(&g.a, &rollup, "A on time", |h| h.timestamp + 1 >= unix_now()).await;
    wait_head(&c, &rollup, "C follows A's unsafe head", |h| h.number >= head(&g.a, &rollup).number)
        .await;
    let first = head(&g.a, &rollup).number + 1;
    let mut seen: [Vec<Instant>; 3] = Default::default();
    let deadline = Instant::now() + Duration::from_secs(blocks as u64 + 120);
    while seen[1..].iter().any(|s| s.len() < blocks) && Instant::now() < deadline {
        let now = Instant::now();
        for (node, at) in [&g.a, b, &c].into_iter().zip(seen.iter_mut()) {
            let h = head(node, &rollup).number;
            while h >= first + at.len() as u64 {
                at.push(now);
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    println!("sequencer head -> follower head ({profile}, {blocks} blocks at 1 s, 2 ms sampling):");
    for (what, at) in [("gossip", &seen[1]), ("follow source (2 s poll, devp2p)", &seen[2])] {
        let mut samples: Vec<Duration> =
            seen[0].iter().zip(at).map(|(a, f)| f.saturating_duration_since(*a)).collect();
        samples.sort();
        assert!(
            samples.len() >= blocks,
            "only {} blocks reached the follower ({what})",
            samples.len()
        );
        let q = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        println!(
            "  {what}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            q(0.5).as_secs_f64() * 1e3,
            q(0.99).as_secs_f64() * 1e3,
            samples[samples.len() - 1].as_secs_f64() * 1e3
        );
    }
}
