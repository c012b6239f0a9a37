//! CL gossip end to end: a light-CL sequencer on a reth dev L1 signs and gossips every block;
//! two followers with no devp2p peer and no source EL, only its gossip, follow every block; a
//! rogue libp2p peer's malformed messages are rejected and counted and move no head.

mod common;

use alloy_primitives::Address;
use common::{launch, seq::*, wait};
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
use std::{net::TcpListener, path::Path};

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
    let rendered = reth_node_metrics::recorder::install_prometheus_recorder().handle().render();
    rendered
        .lines()
        .filter(|l| l.starts_with("reth_light_cl_p2p_messages_total{"))
        .filter(|l| l.contains("verdict=\"rejected\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// The last value any node set on the connected-peers gauge.
fn peers_gauge() -> Option<f64> {
    let rendered = reth_node_metrics::recorder::install_prometheus_recorder().handle().render();
    rendered.lines().find_map(|l| l.strip_prefix("reth_light_cl_p2p_peers ")?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn followers_take_every_block_from_the_sequencers_gossip() {
    reth_tracing::init_test_tracing();
    let dir = tempfile::tempdir().unwrap();
    let world = SeqWorld::new(dir.path(), unix_now() - 6, Address::ZERO).await;
    let rollup = world.rollup.clone();
    let key = light_cl_p2p::SequencerKey::from_hex(SEQUENCER_KEY).unwrap();
    let key_path = dir.path().join("sequencer.key");
    std::fs::write(&key_path, SEQUENCER_KEY).unwrap();

    // The sequencer A listens on a known port with a known peer id; B and C dial it.
    let (a_dir, a_port) = (dir.path().join("a"), free_port());
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
    let (a, _a_tasks) = launch(world.spec.clone(), &a_dir, Some(a_args)).await.unwrap();

    let mut followers = Vec::new();
    let mut ports = Vec::new();
    for name in ["b", "c"] {
        let mut args = world.follow(SequencerArgs::default());
        let port = free_port();
        let fdir = dir.path().join(name);
        ports.push((port, peer_id_of(&fdir)));
        args.p2p = p2p(port, vec![addr(a_port, a_peer)]);
        followers.push(launch(world.spec.clone(), &fdir, Some(args)).await.unwrap());
    }
    // The peers gauge is the process's: only A can have two peers.
    wait(|| async { (peers_gauge() == Some(2.0)).then_some(()) }, "A is connected to B and C")
        .await;
    // An L1 block passes (1 s) while the peers exchange their subscriptions.
    let l1_number = || async {
        let n: alloy_primitives::U64 =
            world.l1_rpc.request("eth_blockNumber", rpc_params![]).await.unwrap();
        n.to::<u64>()
    };
    let now = l1_number().await;
    wait(|| async { (l1_number().await > now).then_some(()) }, "an L1 block").await;
    let a_rpc = common::rpc(&a);
    let genesis = head(&a, &rollup).hash;
    a_rpc.request::<(), _>("admin_startSequencer", rpc_params![genesis]).await.unwrap();

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
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            (rejected() > rejected_before).then_some(())
        },
        "B rejects the rogue's message",
    )
    .await;
    let (b, _) = &followers[0];
    let b_head = head(b, &rollup);
    assert_eq!(block(&a, &rollup, b_head.number), b_head, "B is still on A's chain");
}
