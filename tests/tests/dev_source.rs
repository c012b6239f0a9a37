//! The devnet's dev source over a real loopback RPC: safe and finalized follow L1's labels, it
//! says it does not derive, and a light CL follows it like any rollup node.

use light_cl::dev_source::{dev_status, DevSource, DEV_SOURCE_VERSION};
use light_cl_rpc::{serve, L1Client, NoOutputs, OptimismApiClient, OptimismRpc};
use light_cl_tests::{Rig, RigOptions};
use std::time::Duration;

/// L2 blocks 0..=53 (L1 origins 0..=8) on an L1 of 9 blocks: L1 safe is 4, finalized 0.
async fn rig() -> Rig {
    Rig::with_options(RigOptions { local_head: 53, l1_len: 9, ..RigOptions::default() }).await
}

#[tokio::test]
async fn safe_and_finalized_follow_l1s_labels() {
    let rig = rig().await;
    let l1 = L1Client::new(rig.l1.server.url(), Duration::from_secs(2)).unwrap();
    let genesis = rig.main(0);
    let status = dev_status(&rig.engine, &l1, genesis).await.unwrap();
    // Six L2 blocks per L1 block: origin 4 ends at block 29, origin 0 at block 5.
    assert_eq!(
        (status.unsafe_l2, status.safe_l2, status.finalized_l2),
        (rig.main(53), rig.main(29), rig.main(5))
    );
    assert_eq!(status.current_l1, rig.l1.block(4), "derivation 'reached' L1's safe head");
    assert_eq!((status.head_l1, status.finalized_l1), (rig.l1.block(8), rig.l1.block(0)));
    // L1 moves on four blocks: safe 8 covers every block, finalized 4 covers 29.
    for _ in 0..4 {
        rig.l1.push_after(12);
    }
    let status = dev_status(&rig.engine, &l1, genesis).await.unwrap();
    assert_eq!((status.safe_l2, status.finalized_l2), (rig.main(53), rig.main(29)));
}

#[tokio::test]
async fn a_light_cl_follows_the_dev_source_which_says_it_does_not_derive() {
    let source_rig = rig().await;
    let l1 = L1Client::new(source_rig.l1.server.url(), Duration::from_secs(2)).unwrap();
    let dev = DevSource::new(
        source_rig.engine.clone(),
        l1,
        source_rig.main(0),
        Duration::from_millis(20),
    );
    let rpc =
        OptimismRpc::new(dev.subscribe(), source_rig.config.clone(), DEV_SOURCE_VERSION, NoOutputs);
    let (addr, _server) = serve("127.0.0.1:0".parse().unwrap(), rpc).await.unwrap();
    let url: url::Url = format!("http://{addr}").parse().unwrap();
    let client = jsonrpsee::http_client::HttpClientBuilder::default().build(url.as_str()).unwrap();
    assert!(client.sync_status().await.is_err(), "not ready before L1 was read");
    dev.refresh().await.unwrap();
    assert!(client.version().await.unwrap().contains("does not derive"));
    tokio::spawn(dev.run(std::future::pending()));

    // A follower with the same chain follows it.
    let mut follower = Rig::with_options(RigOptions {
        local_head: 53,
        l1_len: 9,
        source_urls: vec![url],
        ..RigOptions::default()
    })
    .await;
    follower.follow.tick().await;
    let (head, safe, finalized) = follower.engine.labels();
    assert_eq!(
        (head, safe, finalized),
        (follower.main(53), Some(follower.main(29)), Some(follower.main(5)))
    );
}
