//! Catch-up, unsafe following and outages: node B (op-reth-light) against node A (a reference
//! op-reth chain), asserted through B's JSON-RPC. The world is in `common`.

mod common;

use bytes::Bytes;
use common::*;
use light_cl_tests::Reply;
use op_reth_light::args::FollowArgs;
use reth_network_api::PeersInfo;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn catches_up_more_than_64_blocks_over_devp2p() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 80, 1).await?;
    let (b, _b_tasks) =
        world.launch(&world.dir.path().join("b"), Some(world.follow_args())).await?;
    connect(&a, &b).await;
    world.report(world.block(&a, 80), world.block(&a, 75), world.block(&a, 70));
    wait_labels(&rpc(&b), world.block(&a, 75), world.block(&a, 70)).await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn catches_up_from_the_source_el_without_peers() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 70, 1).await?;
    let args = FollowArgs {
        follow_source_el: Some(a.node.rpc_server_handle().http_url().unwrap().parse()?),
        ..world.follow_args()
    };
    // No devp2p peer: every block comes from A's execution RPC.
    let (b, _b_tasks) = world.launch(&world.dir.path().join("b"), Some(args)).await?;
    world.report(world.block(&a, 70), world.block(&a, 66), world.block(&a, 60));
    let client = rpc(&b);
    wait_labels(&client, world.block(&a, 66), world.block(&a, 60)).await;
    assert_eq!(b.node.network.num_connected_peers(), 0);
    // And `latest` follows A's unsafe head, checked against A's execution RPC.
    wait(
        || async {
            (label(&client, "latest").await == Some(world.block(&a, 70).hash)).then_some(())
        },
        "B's latest at A's unsafe head",
    )
    .await;
    // A moves on, the target with it: still no peer, still caught up from the EL.
    world.build(&a, 70, 20, 1).await?;
    world.report(world.block(&a, 90), world.block(&a, 84), world.block(&a, 70));
    wait_labels(&client, world.block(&a, 84), world.block(&a, 70)).await;
    let tip = world.block(&a, 90).hash;
    wait(|| async { (label(&client, "latest").await == Some(tip)).then_some(()) }, "latest at 90")
        .await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn latest_follows_the_unsafe_head() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 30, 1).await?;
    let args = FollowArgs {
        follow_source_el: Some(a.node.rpc_server_handle().http_url().unwrap().parse()?),
        ..world.follow_args()
    };
    let (b, _b_tasks) = world.launch(&world.dir.path().join("b"), Some(args)).await?;
    connect(&a, &b).await;
    let client = rpc(&b);
    world.report(world.block(&a, 30), world.block(&a, 20), world.block(&a, 10));
    let at = |n: u64| {
        let hash = world.block(&a, n).hash;
        let client = client.clone();
        move || {
            let client = client.clone();
            async move { (label(&client, "latest").await == Some(hash)).then_some(()) }
        }
    };
    wait(at(30), "latest at 30").await;
    assert_eq!(
        label(&client, "safe").await,
        Some(world.block(&a, 20).hash),
        "unsafe moves only the head"
    );
    // A moves on; the safe head stays: `latest` keeps following the tip.
    world.build(&a, 30, 10, 1).await?;
    world.report(world.block(&a, 40), world.block(&a, 20), world.block(&a, 10));
    wait(at(40), "latest at 40").await;
    // The served status follows the canonical head when the engine reports it (a moment after
    // the `latest` label can move).
    let tip = world.block(&a, 40);
    wait(|| async { (client_status_unsafe(&client).await == tip).then_some(()) }, "served 40")
        .await;
    Ok(())
}

async fn client_status_unsafe(
    client: &jsonrpsee::http_client::HttpClient,
) -> light_cl_protocol::L2BlockRef {
    use light_cl_rpc::OptimismApiClient;
    client.sync_status().await.unwrap().unsafe_l2
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn source_outage_and_bad_answers_change_nothing() -> eyre::Result<()> {
    use light_cl_rpc::OptimismApiClient;
    reth_tracing::init_test_tracing();
    let mut world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 24, 1).await?;
    let (b, _b_tasks) =
        world.launch(&world.dir.path().join("b"), Some(world.follow_args())).await?;
    connect(&a, &b).await;
    let client = rpc(&b);
    world.report(world.block(&a, 16), world.block(&a, 12), world.block(&a, 6));
    wait_labels(&client, world.block(&a, 12), world.block(&a, 6)).await;

    // Garbage, HTML and answers slower than the timeout (5 s) change nothing.
    for reply in [
        Reply::Raw(
            200,
            "application/json",
            Bytes::from_static(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"safe"),
        ),
        Reply::Raw(502, "text/html", Bytes::from_static(b"<html><body>Bad Gateway</body></html>")),
        Reply::Delayed(
            Duration::from_secs(6),
            Box::new(Reply::Raw(200, "text/plain", Bytes::from_static(b"late"))),
        ),
    ] {
        world.source.set_reply(reply);
        a_few_ticks(&world).await;
        assert_eq!(label(&client, "safe").await, Some(world.block(&a, 12).hash));
        assert_eq!(client.sync_status().await?.safe_l2, world.block(&a, 12));
    }

    // The source goes down; B keeps serving its RPC.
    world.source.server.stop().await;
    world.report(world.block(&a, 24), world.block(&a, 22), world.block(&a, 14));
    a_few_ticks(&world).await;
    assert_eq!(client.sync_status().await?.safe_l2, world.block(&a, 12));
    assert_eq!(label(&client, "safe").await, Some(world.block(&a, 12).hash));
    // It comes back: B catches up.
    world.source.server.restart().await;
    wait_labels(&client, world.block(&a, 22), world.block(&a, 14)).await;
    Ok(())
}
