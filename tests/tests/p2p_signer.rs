//! The unsafe block signer read from a SystemConfig on a scripted L1 over HTTP: the signer in
//! force at a block, a rotation, a missing block, and the override that never reads L1.

use alloy_primitives::{address, Address};
use light_cl_p2p::{SignerError, SignerSource, UNSAFE_BLOCK_SIGNER_SLOT};
use light_cl_rpc::{L1Client, DEFAULT_L1_TIMEOUT};
use light_cl_tests::ScriptedL1;

const SYSTEM_CONFIG: Address = address!("0x229047fed2591dbec1ef1118d64f7af3db9eb290");

#[tokio::test]
async fn the_signer_in_force_at_each_block_and_the_override() {
    let l1 = ScriptedL1::start(10).await;
    let (first, rotated) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb2));
    l1.set_storage(0, SYSTEM_CONFIG, UNSAFE_BLOCK_SIGNER_SLOT, first.into_word());
    l1.set_storage(6, SYSTEM_CONFIG, UNSAFE_BLOCK_SIGNER_SLOT, rotated.into_word());
    let client = L1Client::new(l1.server.url(), DEFAULT_L1_TIMEOUT).unwrap();
    let source = SignerSource::SystemConfig(SYSTEM_CONFIG);

    assert_eq!(source.signer_at(&client, l1.block(5).hash).await, Ok(first));
    assert_eq!(source.signer_at(&client, l1.block(6).hash).await, Ok(rotated));
    // Another contract holds nothing there.
    let other = SignerSource::SystemConfig(Address::repeat_byte(9));
    assert_eq!(
        other.signer_at(&client, l1.block(6).hash).await,
        Err(SignerError::Unset(Address::repeat_byte(9)))
    );
    // A block L1 does not know is an L1 error, not a signer.
    let unknown = source.signer_at(&client, alloy_primitives::B256::repeat_byte(7)).await;
    assert!(matches!(unknown, Err(SignerError::L1(_))), "{unknown:?}");

    // The override answers without L1: here L1 is down.
    let url = l1.server.url();
    drop(l1);
    let down = L1Client::new(url, DEFAULT_L1_TIMEOUT).unwrap();
    assert!(SignerSource::SystemConfig(SYSTEM_CONFIG)
        .signer_at(&down, alloy_primitives::B256::ZERO)
        .await
        .is_err());
    let pinned = Address::repeat_byte(0xcc);
    assert_eq!(
        SignerSource::Override(pinned).signer_at(&down, alloy_primitives::B256::ZERO).await,
        Ok(pinned)
    );
}

/// A gossip node's signer follows the SystemConfig as L1 moves past a rotation.
#[tokio::test(flavor = "multi_thread")]
async fn the_gossip_signer_follows_a_rotation_on_l1() {
    use light_cl_p2p::{libp2p::identity::Keypair, spawn, track_signer, GossipConfig};
    let l1 = ScriptedL1::start(3).await;
    let (first, rotated) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb2));
    l1.set_storage(0, SYSTEM_CONFIG, UNSAFE_BLOCK_SIGNER_SLOT, first.into_word());
    l1.set_storage(5, SYSTEM_CONFIG, UNSAFE_BLOCK_SIGNER_SLOT, rotated.into_word());
    let (gossip, _blocks) = spawn(GossipConfig {
        chain_id: 10,
        forks: Default::default(),
        signer: Address::ZERO,
        listen: "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        keypair: Keypair::generate_secp256k1(),
        static_peers: Vec::new(),
        max_inbound: light_cl_p2p::DEFAULT_MAX_INBOUND,
        scoring: Some(light_cl_p2p::Scoring::light(2)),
    })
    .unwrap();
    let client = L1Client::new(l1.server.url(), DEFAULT_L1_TIMEOUT).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let tracker = tokio::spawn(track_signer(
        SignerSource::SystemConfig(SYSTEM_CONFIG),
        client,
        gossip.clone(),
        std::time::Duration::from_millis(20),
        async move {
            let _ = stopped.await;
        },
    ));
    let until = |want: Address| {
        let gossip = gossip.clone();
        async move {
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
            while gossip.signer() != want {
                assert!(tokio::time::Instant::now() < deadline, "signer never became {want}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    };
    until(first).await;
    // L1 reaches block 5, where the owner rotated the signer.
    while l1.len() < 6 {
        l1.push_after(12);
    }
    until(rotated).await;
    stop.send(()).unwrap();
    tracker.await.unwrap();
}
