//! Discovery with real discv5 and libp2p nodes on loopback.

use super::*;
use crate::{
    gossip::{spawn as spawn_gossip, GossipConfig, DEFAULT_MAX_INBOUND},
    test_blocks::{key, signer_of, CHAIN},
};
use light_cl_protocol::ForkTimes;
use std::sync::atomic::Ordering;

/// A gossip node of `chain` on loopback, and its key.
fn gossip_node(chain: u64) -> (GossipHandle, Keypair) {
    let keypair = Keypair::generate_secp256k1();
    let (gossip, _blocks) = spawn_gossip(GossipConfig {
        chain_id: chain,
        forks: ForkTimes::at_genesis_through(light_cl_protocol::Fork::Isthmus),
        signer: signer_of(&key()),
        listen: "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        keypair: keypair.clone(),
        static_peers: Vec::new(),
        max_inbound: DEFAULT_MAX_INBOUND,
        scoring: Some(crate::gossip::Scoring::light(2)),
    })
    .unwrap();
    (gossip, keypair)
}

/// Discovery on loopback for `chain` from `bootnodes`, dialling while fewer than `peers_lo`
/// are connected.
fn loopback(chain: u64, bootnodes: Vec<BootNode>, peers_lo: u32) -> DiscoveryConfig {
    DiscoveryConfig {
        chain_id: chain,
        listen_ip: [127, 0, 0, 1].into(),
        udp_port: 0,
        advertise_ip: None,
        bootnodes,
        peers_lo,
        interval: Duration::from_millis(300),
    }
}

/// A gossip node of `chain` on loopback with discovery from `bootnodes`, dialling while fewer
/// than `peers_lo` are connected; its record.
async fn node(chain: u64, bootnodes: Vec<BootNode>, peers_lo: u32) -> (GossipHandle, Enr) {
    let (gossip, keypair) = gossip_node(chain);
    let config = loopback(chain, bootnodes, peers_lo);
    let enr = spawn(config, &keypair, gossip.clone()).await.unwrap();
    (gossip, enr)
}

async fn connected_to(node: &GossipHandle, peer: PeerId) -> bool {
    node.peers().await.unwrap().peers.contains_key(&peer.to_string())
}

/// A is the bootnode, which dials no one; B and C know only A. C finds B through A's table,
/// and both dial A and each other; D, of another chain, is found too but never dialled.
#[tokio::test(flavor = "multi_thread")]
async fn nodes_find_each_other_from_one_bootnode_and_only_of_their_chain() {
    let (a, a_enr) = node(CHAIN, Vec::new(), 0).await;
    assert_eq!(a.self_info().enr, a_enr.to_base64(), "opp2p_self shows the record at once");
    let boot = vec![BootNode::Enr(Box::new(a_enr.clone()))];
    let (b, _) = node(CHAIN, boot.clone(), DEFAULT_PEERS_LO).await;
    let (d, _) = node(CHAIN + 1, boot.clone(), DEFAULT_PEERS_LO).await;
    let (c, c_enr) = node(CHAIN, boot, DEFAULT_PEERS_LO).await;
    // The record says what opp2p_self shows.
    let port = a.listening().await.unwrap()[0].iter().find_map(|p| match p {
        Protocol::Tcp(port) => Some(port),
        _ => None,
    });
    assert_eq!(a_enr.tcp4(), port);
    assert_eq!(a_enr.udp4(), port, "the UDP port is the TCP port by default");
    assert_eq!(OpStackEnr::of(&c_enr), Some(OpStackEnr::new(CHAIN)));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !(connected_to(&c, b.peer_id()).await && connected_to(&c, a.peer_id()).await) {
        assert!(tokio::time::Instant::now() < deadline, "C did not find B and A");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(c.self_info().enr, c_enr.to_base64(), "opp2p_self shows the record");
    // opp2p_peers shows the record and chain of a peer C dialled from discovery: A, which
    // dials no one.
    let on_c = c.peers().await.unwrap();
    let a_info = &on_c.peers[&a.peer_id().to_string()];
    assert_eq!(a_info.chain_id, CHAIN);
    assert_eq!(a_info.enr.parse::<Enr>().unwrap().node_id(), a_enr.node_id());
    // C's table holds A, B and D; after two more rounds of its walk, D is still not dialled.
    while c.counts().table.load(Ordering::Relaxed) < 3 {
        assert!(tokio::time::Instant::now() < deadline, "C's table never held D");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let walks = c.counts().walks.load(Ordering::Relaxed);
    while c.counts().walks.load(Ordering::Relaxed) < walks + 2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!connected_to(&c, d.peer_id()).await, "another chain's node is not dialled");
    assert_eq!(d.counts().connected(), 0, "and D dials no node of another chain");
    assert_eq!(c.counts().peer_stats().table, 3);

    // Discovery stops with the gossip node, and its UDP port is free again.
    c.shutdown().await;
    let udp = c_enr.udp4_socket().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while std::net::UdpSocket::bind(udp).is_err() {
        assert!(tokio::time::Instant::now() < deadline, "C's UDP port is still taken");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A bootnode given as an enode URL is asked for its record, then walked from.
#[tokio::test(flavor = "multi_thread")]
async fn an_enode_bootnode_is_asked_for_its_record() {
    let (a, a_enr) = node(CHAIN, Vec::new(), 0).await;
    let key = match a_enr.public_key() {
        discv5::enr::CombinedPublicKey::Secp256k1(key) => key,
        _ => unreachable!("a secp256k1 record"),
    };
    let enode = BootNode::Enode { key, udp: a_enr.udp4_socket().unwrap().into() };
    let enode: BootNode = enode.to_string().parse().unwrap();
    let (b, _) = node(CHAIN, vec![enode], DEFAULT_PEERS_LO).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !connected_to(&b, a.peer_id()).await {
        assert!(tokio::time::Instant::now() < deadline, "B did not find A from its enode");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Discovery on `::` is refused (its record would hold IPv4 ports only).
#[tokio::test(flavor = "multi_thread")]
async fn discovery_on_every_ipv6_address_is_refused() {
    let (gossip, keypair) = gossip_node(CHAIN);
    let config = DiscoveryConfig {
        listen_ip: std::net::Ipv6Addr::UNSPECIFIED.into(),
        ..loopback(CHAIN, Vec::new(), DEFAULT_PEERS_LO)
    };
    let err = spawn(config, &keypair, gossip).await.unwrap_err();
    assert!(matches!(err, DiscoveryError::Ipv6Unspecified), "{err}");
}
