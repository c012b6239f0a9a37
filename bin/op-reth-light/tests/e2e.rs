//! End-to-end: node B (op-reth-light) follows node A (a reference op-reth chain) through a
//! scripted follow source, checked against a scripted L1. Everything is asserted through B's
//! JSON-RPC. The world is in `common`.

mod common;

use alloy_primitives::B256;
use common::*;
use light_cl_protocol::output_root_v0;
use light_cl_rpc::OptimismApiClient;
use op_reth_light::args::FollowArgs;
use reth_provider::{BlockNumReader, HeaderProvider};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn follows_from_a_fresh_datadir_and_refuses_bad_updates() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 20, 1).await?;
    let (b, _b_tasks) =
        world.launch(&world.dir.path().join("b"), Some(world.follow_args())).await?;
    connect(&a, &b).await;
    let client = rpc(&b);

    // From a fresh datadir: the labels follow A (no initial-sync deadlock).
    world.report(world.block(&a, 20), world.block(&a, 15), world.block(&a, 10));
    wait_labels(&client, world.block(&a, 15), world.block(&a, 10)).await;
    // `latest` goes on to A's unsafe head (it extends the source's safe head, which is ours).
    let tip = world.block(&a, 20).hash;
    wait(|| async { (label(&client, "latest").await == Some(tip)).then_some(()) }, "latest at 20")
        .await;
    let status = client.sync_status().await?;
    assert_eq!(status.safe_l2, world.block(&a, 15));
    assert_eq!(status.finalized_l2, world.block(&a, 10));
    assert_eq!(status.local_safe_l2, status.safe_l2);
    assert_eq!(status.unsafe_l2, world.block(&b, 20), "the applied head, read from B");
    assert_eq!(status.unsafe_l2, world.block(&a, 20));
    assert_eq!(status.current_l1, world.l1.block(15 / L2_PER_L1 + 1));
    assert_eq!(status.head_l1, world.l1.block(63), "head_l1 from B's own L1 polling");
    assert_eq!(client.rollup_config().await?, world.rollup);
    assert!(client.version().await?.starts_with("op-reth-light/"));

    // optimism_outputAtBlock, against A's state read independently.
    let output = client.output_at_block(12.into()).await?;
    let a_header = a.node.provider.sealed_header(12)?.unwrap();
    assert_eq!(output.block_ref, world.block(&a, 12));
    assert_eq!(output.state_root, a_header.state_root);
    assert_eq!(
        output.output_root,
        output_root_v0(a_header.state_root, output.withdrawal_storage_root, a_header.hash())
    );
    assert_eq!(output.sync_status.safe_l2, status.safe_l2);
    assert!(client.output_at_block(500.into()).await.is_err(), "unknown block");

    // An update whose safe head's L1 origin is not canonical is not applied.
    let mut forged = world.block(&a, 18);
    forged.l1_origin.hash = B256::repeat_byte(0xee);
    world.report(world.block(&a, 20), forged, world.block(&a, 12));
    a_few_ticks(&world).await;
    assert_eq!(label(&client, "safe").await, Some(world.block(&a, 15).hash));
    assert_eq!(label(&client, "finalized").await, Some(world.block(&a, 10).hash));

    // Finalized never rewinds; the rest of the update applies.
    world.report(world.block(&a, 20), world.block(&a, 18), world.block(&a, 5));
    wait_labels(&client, world.block(&a, 18), world.block(&a, 10)).await;
    a_few_ticks(&world).await;
    assert_eq!(label(&client, "finalized").await, Some(world.block(&a, 10).hash));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn follows_a_reorg_above_finalized() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 16, 1).await?;
    let (b, _b_tasks) =
        world.launch(&world.dir.path().join("b"), Some(world.follow_args())).await?;
    connect(&a, &b).await;
    let client = rpc(&b);
    world.report(world.block(&a, 16), world.block(&a, 14), world.block(&a, 8));
    wait_labels(&client, world.block(&a, 14), world.block(&a, 8)).await;
    let old_12 = world.block(&a, 12);

    // A reorgs from block 11 on: a new branch, 11'..18'.
    world.build(&a, 10, 8, 2).await?;
    let new_12 = world.block(&a, 12);
    assert_ne!(new_12.hash, old_12.hash);
    // The source's safe head is on the new branch, below B's safe head: a reorg.
    world.report(world.block(&a, 18), new_12, world.block(&a, 8));
    wait_labels(&client, new_12, world.block(&a, 8)).await;
    let new_tip = world.block(&a, 18).hash;
    wait(
        || async { (label(&client, "latest").await == Some(new_tip)).then_some(()) },
        "latest at 18'",
    )
    .await;
    // And on up the new branch.
    world.report(world.block(&a, 18), world.block(&a, 17), world.block(&a, 11));
    wait_labels(&client, world.block(&a, 17), world.block(&a, 11)).await;
    assert_eq!(client.sync_status().await?.safe_l2, world.block(&a, 17));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restarted_node_keeps_safe_and_finalized() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let mut world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 12, 1).await?;
    let b_dir = world.dir.path().join("b");
    let (b, b_tasks) = world.launch(&b_dir, Some(world.follow_args())).await?;
    connect(&a, &b).await;
    world.report(world.block(&a, 12), world.block(&a, 11), world.block(&a, 7));
    wait_labels(&rpc(&b), world.block(&a, 11), world.block(&a, 7)).await;

    // Stop B cleanly (the engine flushes its in-memory blocks), with the source down so that
    // nothing but B's own database can give it labels after the restart.
    world.source.server.stop().await;
    stop(b, b_tasks).await;

    let (b, _b_tasks) = world.launch(&b_dir, Some(world.follow_args())).await?;
    let client = rpc(&b);
    assert_eq!(label(&client, "safe").await, Some(world.block(&a, 11).hash));
    assert_eq!(label(&client, "finalized").await, Some(world.block(&a, 7).hash));
    let status = wait(
        || async { client.sync_status().await.ok().filter(|s| s.safe_l2.number == 11) },
        "served status after restart",
    )
    .await;
    assert_eq!(status.finalized_l2, world.block(&a, 7));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rollup_config_not_matching_the_chain_stops_the_node() {
    let world = World::new().await;
    let mut wrong = world.rollup.clone();
    wrong.l2_chain_id = 10;
    wrong.forks.granite_time = Some(1_800_000_000);
    let path = world.dir.path().join("wrong.json");
    std::fs::write(&path, serde_json::to_string(&wrong).unwrap()).unwrap();
    let args = FollowArgs { rollup_config: Some(path), ..world.follow_args() };
    let Err(err) = world.launch(&world.dir.path().join("b"), Some(args)).await else {
        panic!("a node whose rollup config does not match its chain must not start");
    };
    let message = format!("{err:#}");
    assert!(
        message.contains("l2_chain_id is 10 but the chain spec's chain id is 901"),
        "{message}"
    );
    assert!(message.contains("granite_time is 1800000000"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fetches_the_rollup_config_from_the_source_when_not_given() -> eyre::Result<()> {
    let world = World::new().await;
    let args = FollowArgs { rollup_config: None, ..world.follow_args() };
    let (b, _tasks) = world.launch(&world.dir.path().join("b"), Some(args)).await?;
    let client = rpc(&b);
    // Until the source serves its config, the namespace says it is not ready.
    let err = client.sync_status().await.unwrap_err();
    assert!(err.to_string().contains("not ready"), "{err}");
    world.source.set_rollup_config(world.rollup.clone());
    let status = wait(|| async { client.sync_status().await.ok() }, "the fetched config").await;
    assert_eq!(status.safe_l2.hash, world.spec.genesis_hash(), "genesis, not zero refs");
    assert_eq!(client.rollup_config().await?, world.rollup);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fetched_config_not_anchored_on_our_l1_stops_the_node() -> eyre::Result<()> {
    let world = World::new().await;
    let args = FollowArgs { rollup_config: None, ..world.follow_args() };
    let (b, tasks) = world.launch(&world.dir.path().join("b"), Some(args)).await?;
    let mut forged = world.rollup.clone();
    forged.genesis.l1.hash = B256::repeat_byte(0xab);
    world.source.set_rollup_config(forged);
    // The light CL refuses the config and ends; reth shuts the node down gracefully.
    let ended = tokio::time::timeout(common::PATIENCE, tasks).await;
    assert!(matches!(ended, Ok(Ok(()))), "the node did not shut down: {ended:?}");
    assert_eq!(b.node.provider.best_block_number()?, 0, "nothing was followed");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fork_this_node_cannot_execute_active_at_the_head_stops_the_node() -> eyre::Result<()> {
    let world = World::new().await;
    let mut karst = world.rollup.clone();
    karst.other.insert("karst_time".into(), serde_json::json!(world.rollup.genesis.l2_time));
    let path = world.dir.path().join("karst.json");
    std::fs::write(&path, serde_json::to_string(&karst).unwrap()).unwrap();
    let args = FollowArgs { rollup_config: Some(path), ..world.follow_args() };
    let (_b, tasks) = world.launch(&world.dir.path().join("b"), Some(args)).await?;
    let ended = tokio::time::timeout(common::PATIENCE, tasks).await;
    assert!(matches!(ended, Ok(Ok(()))), "the node did not shut down: {ended:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_follow_source_it_is_plain_op_reth() -> eyre::Result<()> {
    let world = World::new().await;
    let (a, _tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 3, 1).await?;
    let client = rpc(&a);
    assert_eq!(label(&client, "latest").await, Some(world.block(&a, 3).hash));
    let err = client.sync_status().await.unwrap_err();
    assert!(err.to_string().contains("Method not found"), "{err}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refuses_a_second_driver_of_the_engine() {
    let world = World::new().await;
    let args = world.follow_args();
    let light = op_reth_light::LightCl::<()>::from_args(&args).unwrap().unwrap();
    let mut config = reth_node_builder::NodeConfig::new(world.spec.clone());
    light.check_node_config(&config).unwrap();
    config.dev.dev = true;
    let err = light.check_node_config(&config).unwrap_err().to_string();
    assert!(err.contains("--dev") && err.contains("--rollup.follow-source"), "{err}");
    config.dev.dev = false;
    config.debug.rpc_consensus_url = Some("ws://127.0.0.1:1".into());
    assert!(light
        .check_node_config(&config)
        .unwrap_err()
        .to_string()
        .contains("--debug.rpc-consensus-url"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn labels_advance_while_the_source_safe_head_moves_every_tick() -> eyre::Result<()> {
    reth_tracing::init_test_tracing();
    let world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 48, 1).await?;
    let (b, _b_tasks) =
        world.launch(&world.dir.path().join("b"), Some(world.follow_args())).await?;
    connect(&a, &b).await;
    let client = rpc(&b);

    // A deriving node's safe head moves 4 blocks between any two of B's polls; the blocks reach
    // B over devp2p after the status that names them. Each step waits for B's next poll.
    let mut safe = 0;
    for step in 1..=10u64 {
        safe = 4 + 4 * step;
        world.report(world.block(&a, safe), world.block(&a, safe), world.block(&a, safe - 6));
        world.source.wait_polls(1, PATIENCE).await;
    }
    // Still moving when asked: B's labels are set and lag by a few ticks at most.
    let status = client.sync_status().await?;
    assert!(
        status.safe_l2.number + 5 * 4 >= safe,
        "safe {} vs the source's {safe}",
        status.safe_l2.number
    );
    assert!(status.finalized_l2.number > 0, "finalized follows safe");
    assert!(
        status.current_l1.number > world.rollup.genesis.l1.number,
        "current_l1 is published with the safe head it came with"
    );
    Ok(())
}
