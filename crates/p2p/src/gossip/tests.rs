//! The gossip node with real libp2p peers on loopback.

use super::*;
use crate::{message::encode, test_blocks::*};
use k256::ecdsa::SigningKey;
use light_cl_protocol::PeerDump;
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn node() -> (GossipHandle, mpsc::Receiver<OpExecutionData>) {
    node_with(DEFAULT_MAX_INBOUND)
}

fn node_with(max_inbound: u32) -> (GossipHandle, mpsc::Receiver<OpExecutionData>) {
    spawn_node(max_inbound, Scoring::light(2), Vec::new())
}

fn spawn_node(
    max_inbound: u32,
    scoring: Scoring,
    static_peers: Vec<Multiaddr>,
) -> (GossipHandle, mpsc::Receiver<OpExecutionData>) {
    spawn(GossipConfig {
        chain_id: CHAIN,
        forks: ForkTimes::at_genesis_through(light_cl_protocol::Fork::Isthmus),
        signer: signer_of(&key()),
        listen: "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        keypair: Keypair::generate_secp256k1(),
        static_peers,
        max_inbound,
        scoring: Some(scoring),
    })
    .unwrap()
}

/// A V4 block message numbered `number`, signed by `key`.
fn message(number: u64, key: &SigningKey) -> Vec<u8> {
    let mut b = block(BlockVersion::V4, now());
    b.header.number = number;
    encode(BlockVersion::V4, &envelope_of(&b, key, CHAIN)).unwrap()
}

/// Publishes fresh messages made by `make` from `from` (a new number each time: until the mesh
/// has formed a message may reach no one) until `arrived` says one did.
async fn publish_until(
    from: &GossipHandle,
    number: &mut u64,
    make: impl Fn(u64) -> Vec<u8>,
    arrived: impl Fn() -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !arrived() {
        assert!(tokio::time::Instant::now() < deadline, "no message arrived");
        *number += 1;
        let _ = from.publish(BlockVersion::V4, make(*number)).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Publishes fresh valid blocks from `from`, numbered after `start`, until one arrives on
/// `rx` (until the mesh has formed a block may reach no one); the block that arrived.
async fn first_block_through(
    from: &GossipHandle,
    start: u64,
    rx: &mut mpsc::Receiver<OpExecutionData>,
) -> OpExecutionData {
    for number in start + 1..start + 200 {
        let _ = from.publish(BlockVersion::V4, message(number, &key())).await;
        if let Ok(Some(block)) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
            return block;
        }
    }
    panic!("no block arrived");
}

/// A publishes, B validates and relays, C receives only through B. An invalid block from A is
/// not relayed, and takes A below the graylist threshold on B; D's blocks still pass.
#[tokio::test(flavor = "multi_thread")]
async fn a_line_of_three_nodes_relays_valid_blocks_only() {
    let (a, _a_rx) = node();
    let (b, mut b_rx) = node();
    let (c, mut c_rx) = node();
    b.dial(a.listening().await.unwrap()[0].clone()).await.unwrap();
    c.dial(b.listening().await.unwrap()[0].clone()).await.unwrap();

    let first = first_block_through(&a, 100, &mut c_rx).await;
    assert!(first.payload.block_number() > 100);
    // B relayed it: A and C are connected to B and on the topics (opp2p_peerStats).
    let stats = b.counts().peer_stats();
    assert_eq!((stats.connected, stats.known), (2, 2), "{stats:?}");
    assert_eq!(stats.blocks_topic_v4, 2, "{stats:?}");
    assert_eq!(stats.blocks_topic, 2, "every version's topic is joined: {stats:?}");
    while b_rx.try_recv().is_ok() {}
    while c_rx.try_recv().is_ok() {}
    let rejected_before = b.counts().rejected.load(Ordering::Relaxed);

    // A block signed by another key: B rejects it, and A's score on B falls below the
    // graylist threshold (B ignores A from now on).
    let other = SigningKey::from_slice(&[0x22; 32]).unwrap();
    a.publish(BlockVersion::V4, message(500, &other)).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while b.counts().rejected.load(Ordering::Relaxed) == rejected_before {
        assert!(tokio::time::Instant::now() < deadline, "B never saw the invalid block");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let on_b = b.peers().await.unwrap();
    let a_score = on_b.peers[&a.peer_id().to_string()].scores.gossip.total;
    assert!(a_score < score::thresholds().graylist_threshold, "{a_score}");

    // D's valid blocks reach C through B after it; had B relayed the invalid block, C would
    // have seen (and rejected) it first.
    let (d, _d_rx) = node();
    d.dial(b.listening().await.unwrap()[0].clone()).await.unwrap();
    let next = first_block_through(&d, 1000, &mut c_rx).await;
    assert!(next.payload.block_number() > 1000);
    assert_eq!(b.counts().rejected.load(Ordering::Relaxed), rejected_before + 1);
    assert_eq!(c.counts().rejected.load(Ordering::Relaxed), 0, "B relayed no invalid block");
}

/// A peer whose invalid block takes its score below the ban threshold (one is enough; its
/// later messages are ignored, as it is graylisted) is disconnected, refused when it comes
/// back, and listed as banned; a static peer is never banned.
#[tokio::test(flavor = "multi_thread")]
async fn a_peer_that_sends_invalid_blocks_is_banned_unless_static() {
    let fast = Scoring { inspect_interval: Duration::from_millis(100), ..Scoring::light(2) };
    let (rogue, _rogue_rx) = node();
    let rogue_addr = rogue.listening().await.unwrap()[0]
        .clone()
        .with(libp2p::multiaddr::Protocol::P2p(rogue.peer_id()));
    // B keeps the rogue as a static peer; A does not.
    let (a, _a_rx) = spawn_node(DEFAULT_MAX_INBOUND, fast, Vec::new());
    // B's slot is a minute, so the rogue's score barely decays while the test looks at it.
    let slow_decay = Scoring { block_time: 60, ..fast };
    let (b, _b_rx) = spawn_node(DEFAULT_MAX_INBOUND, slow_decay, vec![rogue_addr]);
    rogue.dial(a.listening().await.unwrap()[0].clone()).await.unwrap();
    let other = SigningKey::from_slice(&[0x22; 32]).unwrap();
    let mut number = 0;
    let both_rejected = || {
        a.counts().rejected.load(Ordering::Relaxed) >= 1
            && b.counts().rejected.load(Ordering::Relaxed) >= 1
    };
    publish_until(&rogue, &mut number, |n| message(n, &other), both_rejected).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while a.counts().peer_stats().banned == 0 {
        assert!(tokio::time::Instant::now() < deadline, "A never banned the rogue");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let on_a = a.peers().await.unwrap();
    assert_eq!(on_a.banned_peers, vec![rogue.peer_id().to_string()]);
    assert!(!on_a.peers.contains_key(&rogue.peer_id().to_string()), "disconnected");
    // It comes back and is refused.
    let refused = a.counts().refused.load(Ordering::Relaxed);
    rogue.dial(a.listening().await.unwrap()[0].clone()).await.unwrap();
    while a.counts().refused.load(Ordering::Relaxed) == refused {
        assert!(tokio::time::Instant::now() < deadline, "A let the banned rogue in");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // B looked at the rogue's score below the threshold, twice, and kept its static peer.
    let score = || async {
        let on_b = b.peers().await.unwrap();
        on_b.peers[&rogue.peer_id().to_string()].scores.gossip.total
    };
    assert!(score().await < score::BAN_THRESHOLD);
    let inspections = b.counts().inspections.load(Ordering::Relaxed);
    while b.counts().inspections.load(Ordering::Relaxed) < inspections + 2 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(score().await < score::BAN_THRESHOLD);
    let on_b = b.peers().await.unwrap();
    assert!(on_b.banned_peers.is_empty() && b.counts().peer_stats().banned == 0);
}

/// `opp2p_peers` on each side of one connection, once identify and ping have run, and
/// `opp2p_self`.
#[tokio::test(flavor = "multi_thread")]
async fn peers_show_direction_identify_ping_and_topics() {
    use light_cl_protocol::direction;
    let (a, _a_rx) = node();
    let (b, _b_rx) = node();
    let a_addr = a.listening().await.unwrap()[0].clone();
    b.dial(a_addr.clone()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let (on_a, on_b) = loop {
        assert!(tokio::time::Instant::now() < deadline, "identify and ping never ran");
        let (da, db) = (a.peers().await.unwrap(), b.peers().await.unwrap());
        let ready = |d: &PeerDump, peer: &PeerId| {
            d.peers
                .get(&peer.to_string())
                .filter(|p| p.protocols.is_some() && p.latency > 0 && p.gossip_blocks)
                .cloned()
        };
        if let (Some(pa), Some(pb)) = (ready(&da, &b.peer_id()), ready(&db, &a.peer_id())) {
            assert_eq!((da.total_connected, db.total_connected), (1, 1));
            break (pa, pb);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(on_a.direction, direction::INBOUND, "B dialled A");
    assert_eq!(on_b.direction, direction::OUTBOUND);
    assert_eq!(on_a.user_agent, AGENT_VERSION);
    assert!(on_a.protocols.unwrap().iter().any(|p| p.starts_with("/meshsub/")));
    assert_eq!(on_a.node_id, crate::peers::node_id(&b.peer_id()));
    assert_ne!(on_a.node_id, "0".repeat(64));
    assert!(on_a.addresses.iter().all(|x| x.ends_with(&format!("/p2p/{}", b.peer_id()))));
    // B told A where it listens; A dialled nowhere.
    let b_listen = b.listening().await.unwrap()[0].to_string();
    assert!(on_a.addresses.iter().any(|x| x.starts_with(&b_listen)), "{:?}", on_a.addresses);
    assert_eq!(on_b.addresses, [format!("{a_addr}/p2p/{}", a.peer_id())]);
    assert!(!on_b.protected, "not a static peer");

    let me = a.self_info();
    assert_eq!(me.peer_id, a.peer_id().to_string());
    assert_eq!(me.addresses, [format!("{a_addr}/p2p/{}", a.peer_id())]);
    assert_eq!((me.connectedness, me.direction, me.latency), (0, 0, 0), "as op-node shows itself");
    assert!(me.gossip_blocks);
}

/// Waits until `what` holds (60 s at most), checking every 20 ms.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Inbound connections beyond the limit are refused and counted; the node's own dials are
/// not limited.
#[tokio::test(flavor = "multi_thread")]
async fn inbound_connections_beyond_the_limit_are_refused() {
    let (a, _a_rx) = node_with(1);
    let (b, _b_rx) = node();
    let (c, _c_rx) = node();
    let addr = a.listening().await.unwrap()[0].clone();
    let peers = |h: &GossipHandle| h.counts().peers.load(Ordering::Relaxed);
    b.dial(addr.clone()).await.unwrap();
    until("B connected to A", || peers(&a) == 1).await;
    c.dial(addr).await.unwrap();
    until("A refused C", || a.counts().refused.load(Ordering::Relaxed) == 1).await;
    assert_eq!(peers(&a), 1, "C was not let in");
    assert!(a.peers().await.unwrap().peers.contains_key(&b.peer_id().to_string()));
    a.dial(c.listening().await.unwrap()[0].clone()).await.unwrap();
    until("A dialled C", || peers(&a) == 2).await;
}

/// A static peer is dialled without being asked; an address without a peer id is refused.
#[tokio::test(flavor = "multi_thread")]
async fn static_peers_are_dialled_and_need_a_peer_id() {
    let (a, _a_rx) = node();
    let addr = a.listening().await.unwrap()[0].clone();
    let config = |static_peers| GossipConfig {
        chain_id: CHAIN,
        forks: ForkTimes::default(),
        signer: signer_of(&key()),
        listen: "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        keypair: Keypair::generate_secp256k1(),
        static_peers,
        max_inbound: DEFAULT_MAX_INBOUND,
        scoring: Some(Scoring::light(2)),
    };
    let err = spawn(config(vec![addr.clone()])).unwrap_err();
    assert!(matches!(err, GossipError::StaticPeer(_)), "{err}");
    let with_id = addr.with(libp2p::multiaddr::Protocol::P2p(a.peer_id()));
    let (b, _b_rx) = spawn(config(vec![with_id])).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let peers = |n: &GossipHandle| n.counts().peers.load(Ordering::Relaxed);
    while peers(&a) == 0 || peers(&b) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "B never connected to A");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A node that is shut down releases its port and answers nothing more.
#[tokio::test(flavor = "multi_thread")]
async fn shutdown_releases_the_listener() {
    let (a, _a_rx) = node();
    let addr = a.listening().await.unwrap()[0].clone();
    let Some(libp2p::multiaddr::Protocol::Tcp(port)) = addr.iter().nth(1) else {
        panic!("no TCP port in {addr}")
    };
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_err(), "the node listens");
    a.shutdown().await;
    assert!(matches!(a.peers().await, Err(GossipError::Stopped)));
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
}

/// A peer that speaks only mplex (as an older op-node may) connects, and its streams work.
#[tokio::test(flavor = "multi_thread")]
async fn a_peer_with_only_mplex_connects() {
    use futures::StreamExt;
    use libp2p::swarm::SwarmEvent;
    let (a, _a_rx) = node();
    let mut peer = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default(), noise::Config::new, libp2p_mplex::Config::default)
        .unwrap()
        .with_behaviour(|_| ping::Behaviour::default())
        .unwrap()
        .build();
    peer.dial(a.listening().await.unwrap()[0].clone()).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let event = tokio::time::timeout_at(deadline, peer.select_next_some()).await;
        match event.expect("no connection over mplex") {
            SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                assert_eq!(peer_id, a.peer_id());
                break;
            }
            SwarmEvent::OutgoingConnectionError { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    // A ping over an mplex stream succeeds both ways.
    loop {
        let event = tokio::time::timeout_at(deadline, peer.select_next_some()).await;
        if let SwarmEvent::Behaviour(ping::Event { result, .. }) = event.expect("no ping") {
            result.expect("a ping over mplex");
            break;
        }
    }
}
