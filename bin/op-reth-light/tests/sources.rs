//! End-to-end: follow sources that are other op-reth-light nodes, through their execution RPC,
//! and the follow graph (depth, cycles), with real nodes on loopback.

mod common;

use common::*;
use jsonrpsee::{core::client::ClientT, rpc_params};
use light_cl_protocol::{FollowInfo, SourceKind};
use op_reth_light::args::FollowArgs;
use std::time::Duration;

async fn follow_info(client: &jsonrpsee::http_client::HttpClient) -> Option<FollowInfo> {
    client.request("optimism_followInfo", rpc_params![]).await.ok()
}

/// B follows the scripted source over A's chain; C follows B's execution RPC alone (`el:`),
/// with no devp2p peer: its blocks come from that RPC too. C ends on B's labels and knows it
/// is two hops from a deriving node.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn follows_another_light_nodes_execution_rpc() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 16, 1).await?;
    let (b, _b_tasks) =
        world.launch(&world.dir.path().join("b"), Some(world.follow_args())).await?;
    connect(&a, &b).await;
    world.report(world.block(&a, 16), world.block(&a, 12), world.block(&a, 6));
    let b_rpc = rpc(&b);
    wait_labels(&b_rpc, world.block(&a, 12), world.block(&a, 6)).await;

    let b_url = b.node.rpc_server_handle().http_url().expect("http rpc");
    let c_args = FollowArgs {
        follow_source: vec![format!("el:{b_url}").parse()?],
        follow_info_interval: Duration::from_millis(200),
        ..world.follow_args()
    };
    let (c, _c_tasks) = world.launch(&world.dir.path().join("c"), Some(c_args)).await?;
    let c_rpc = rpc(&c);
    wait_labels(&c_rpc, world.block(&a, 12), world.block(&a, 6)).await;
    // The source's unsafe head (B's `latest`, A's tip) is followed too.
    let tip = world.block(&a, 16).hash;
    wait(|| async { (label(&c_rpc, "latest").await == Some(tip)).then_some(()) }, "C at 16").await;

    // B moves on; C follows.
    world.build(&a, 16, 4, 1).await?;
    world.report(world.block(&a, 20), world.block(&a, 18), world.block(&a, 12));
    wait_labels(&c_rpc, world.block(&a, 18), world.block(&a, 12)).await;

    let info =
        wait(|| async { follow_info(&c_rpc).await.filter(|i| i.depth == Some(2)) }, "C at depth 2")
            .await;
    let b_info = follow_info(&b_rpc).await.expect("B's follow info");
    assert_eq!(b_info.depth, Some(1), "B follows a deriving node");
    assert_eq!(info.sources[0].kind, SourceKind::Execution);
    assert_eq!(info.sources[0].info.as_ref().unwrap().instance_id, b_info.instance_id);
    assert_ne!(info.instance_id, b_info.instance_id);
    assert!(info.sources[0].vouched_safe && info.sources[0].used);
    // B serves optimism_syncStatus; C, following an execution RPC, has no current_l1 of its
    // source's: it serves its genesis L1 block.
    let status: light_cl_protocol::SyncStatus =
        c_rpc.request("optimism_syncStatus", rpc_params![]).await?;
    assert_eq!(status.safe_l2, world.block(&a, 18));
    assert_eq!(status.current_l1.number, world.rollup.genesis.l1.number);
    Ok(())
}

/// X follows Y, Y follows Z, Z follows X: each finds itself on its source's chain and refuses
/// it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cycle_of_three_light_nodes_is_refused() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let world = World::new().await;
    let ports: Vec<u16> = (0..3).map(|_| light_cl_tests::free_addr().port()).collect();
    let mut nodes = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let next = ports[(i + 1) % 3];
        let args = FollowArgs {
            follow_source: vec![format!("http://127.0.0.1:{next}").parse()?],
            follow_info_interval: Duration::from_millis(200),
            ..world.follow_args()
        };
        let dir = world.dir.path().join(format!("n{i}"));
        nodes.push(launch_on(world.spec.clone(), &dir, Some(args), *port).await?);
    }
    for (node, _) in &nodes {
        let client = rpc(node);
        let info = wait(
            || async { follow_info(&client).await.filter(|i| !i.sources[0].used) },
            "the source refused as on a cycle",
        )
        .await;
        assert_eq!(info.depth, None, "a cycle reaches no deriving node");
    }
    assert_eq!(counter_value("light_cl_source_on_cycle", r#"source="0""#), 1.0);
    Ok(())
}

/// Without an L1 RPC: two sources that agree (K = 2) move the labels; the node made no L1
/// request; when they disagree, nothing moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_l1_two_agreeing_sources_are_followed() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 16, 1).await?;
    let second = light_cl_tests::ScriptedSource::start(Default::default()).await;
    let mut args = FollowArgs { l1_rpc: None, follow_quorum: 2, ..world.follow_args() };
    args.follow_source.push(second.server.url().into());
    let (b, _b_tasks) = world.launch(&world.dir.path().join("b"), Some(args)).await?;
    connect(&a, &b).await;
    let l1_polls = world.l1.head_polls();
    let both = |safe: u64, finalized: u64| {
        world.report(world.block(&a, 16), world.block(&a, safe), world.block(&a, finalized));
        second.set(light_cl_tests::source_status(
            &world.l1,
            world.block(&a, 16),
            world.block(&a, safe),
            world.block(&a, finalized),
        ));
    };
    both(12, 6);
    let client = rpc(&b);
    wait_labels(&client, world.block(&a, 12), world.block(&a, 6)).await;
    let status: light_cl_protocol::SyncStatus =
        client.request("optimism_syncStatus", rpc_params![]).await?;
    assert_eq!(status.head_l1, world.l1.block(63), "L1 heads from the sources' agreement");
    // One source moves on alone: it cannot move the node.
    world.report(world.block(&a, 16), world.block(&a, 14), world.block(&a, 8));
    second.wait_polls(3, PATIENCE).await;
    assert_eq!(label(&client, "safe").await, Some(world.block(&a, 12).hash));
    both(14, 8);
    wait_labels(&client, world.block(&a, 14), world.block(&a, 8)).await;
    assert_eq!(world.l1.head_polls(), l1_polls, "no L1 request was made");
    Ok(())
}
