//! Measurements, not tests: they print figures and assert nothing about time. Run them with
//!
//! ```sh
//! cargo test --manifest-path bin/op-reth-light/Cargo.toml --test measure -- --ignored --nocapture --test-threads 1
//! ```
//!
//! The book's "In-process vs a separate rollup node" chapter holds the figures of a run.

mod common;

use alloy_rpc_types_engine::{ForkchoiceState, ForkchoiceUpdated};
use common::*;
use jsonrpsee::{core::client::ClientT, rpc_params};
use op_alloy_rpc_types_engine::OpPayloadAttributes;
use op_reth_light::args::FollowArgs;
use reth_node_api::EngineApiMessageVersion;
use reth_provider::BlockIdReader;
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Median and 99th percentile of `samples`.
fn summary(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "test profile (debug, unoptimized)"
    } else {
        "release"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run explicitly"]
async fn forkchoice_update_in_process_vs_engine_api() -> eyre::Result<()> {
    const UPDATES: usize = 1000;
    let world = World::new().await;
    let (a, _tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    world.build(&a, 0, 12, 1).await?;
    let state = ForkchoiceState {
        head_block_hash: world.block(&a, 12).hash,
        safe_block_hash: world.block(&a, 10).hash,
        finalized_block_hash: world.block(&a, 6).hash,
    };
    let engine = a.node.add_ons_handle.beacon_engine_handle.clone();
    let auth = a.node.auth_server_handle().http_client();
    // Warm both paths once.
    engine.fork_choice_updated(state, None, EngineApiMessageVersion::V3).await?;
    let _: ForkchoiceUpdated = auth
        .request("engine_forkchoiceUpdatedV3", rpc_params![state, None::<OpPayloadAttributes>])
        .await?;

    let mut in_process = Vec::with_capacity(UPDATES);
    let mut over_http = Vec::with_capacity(UPDATES);
    for _ in 0..UPDATES {
        let t = Instant::now();
        let r = engine.fork_choice_updated(state, None, EngineApiMessageVersion::V3).await?;
        in_process.push(t.elapsed());
        assert!(r.is_valid());
        let t = Instant::now();
        let r: ForkchoiceUpdated = auth
            .request("engine_forkchoiceUpdatedV3", rpc_params![state, None::<OpPayloadAttributes>])
            .await?;
        over_http.push(t.elapsed());
        assert!(r.is_valid());
    }
    let (ip_med, ip_p99) = summary(in_process);
    let (http_med, http_p99) = summary(over_http);
    println!("forkchoice update, {UPDATES} each, alternating, {}:", profile());
    println!("  in-process ConsensusEngineHandle: median {ip_med:?}, p99 {ip_p99:?}");
    println!("  Engine API over HTTP with JWT:    median {http_med:?}, p99 {http_p99:?}");
    println!(
        "  ratio HTTP / in-process: median {:.1}x, p99 {:.1}x",
        http_med.as_secs_f64() / ip_med.as_secs_f64(),
        http_p99.as_secs_f64() / ip_p99.as_secs_f64()
    );
    Ok(())
}

/// Time from the source's safe head changing to B's safe label moving, `changes` times.
async fn follow_latency(interval: Option<Duration>, changes: u64) -> eyre::Result<Vec<Duration>> {
    Ok(follow_latency_over(interval, changes, 1, 1).await?.0)
}

/// The same with `sources` sources reporting the same heads and a quorum of `quorum`; also the
/// `optimism_syncStatus` requests per second each source got.
async fn follow_latency_over(
    interval: Option<Duration>,
    changes: u64,
    sources: usize,
    quorum: usize,
) -> eyre::Result<(Vec<Duration>, Vec<f64>)> {
    let world = World::new().await;
    let (a, _a_tasks) = world.launch(&world.dir.path().join("a"), None).await?;
    let tip = changes + 10;
    world.build(&a, 0, tip, 1).await?;
    let mut extra = Vec::new();
    for _ in 1..sources {
        extra.push(light_cl_tests::ScriptedSource::start(Default::default()).await);
    }
    let mut args = FollowArgs { follow_interval: interval, ..world.follow_args() };
    args.follow_source.extend(extra.iter().map(|s| s.server.url().into()));
    args.follow_quorum = quorum;
    let (b, _b_tasks) = world.launch(&world.dir.path().join("b"), Some(args)).await?;
    connect(&a, &b).await;
    let report = |safe: u64| {
        world.report(world.block(&a, tip), world.block(&a, safe), world.block(&a, 1));
        let status = light_cl_tests::source_status(
            &world.l1,
            world.block(&a, tip),
            world.block(&a, safe),
            world.block(&a, 1),
        );
        for source in &extra {
            source.set(status);
        }
    };
    report(5);
    let safe_is = |n: u64| {
        let hash = world.block(&a, n).hash;
        let provider = b.node.provider.clone();
        move || provider.safe_block_num_hash().ok().flatten().is_some_and(|s| s.hash == hash)
    };
    let deadline = Instant::now() + PATIENCE;
    while !safe_is(5)() {
        assert!(Instant::now() < deadline, "B never applied the first safe head");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut samples = Vec::new();
    let interval = interval.unwrap_or(Duration::from_secs(2 * world.rollup.block_time));
    let (polls_before, measured) = (
        std::iter::once(&world.source).chain(&extra).map(|s| s.polls()).collect::<Vec<_>>(),
        Instant::now(),
    );
    for n in 6..6 + changes {
        // Changes arrive at any phase of the poll interval, not right after a tick.
        let jitter = interval.mul_f64(((n * 7919) % 1000) as f64 / 1000.0);
        tokio::time::sleep(jitter).await;
        report(n);
        let started = Instant::now();
        let reached = safe_is(n);
        while !reached() {
            assert!(started.elapsed() < PATIENCE, "B's safe head did not reach {n}");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        samples.push(started.elapsed());
    }
    let seconds = measured.elapsed().as_secs_f64();
    let rates = std::iter::once(&world.source)
        .chain(&extra)
        .zip(polls_before)
        .map(|(s, before)| (s.polls() - before) as f64 / seconds)
        .collect();
    Ok((samples, rates))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run explicitly"]
async fn follow_latency_with_one_source_and_three_at_quorum_two() -> eyre::Result<()> {
    const CHANGES: u64 = 100;
    let interval = Some(Duration::from_millis(250));
    for (sources, quorum) in [(1, 1), (3, 2)] {
        let (samples, rates) = follow_latency_over(interval, CHANGES, sources, quorum).await?;
        let (median, p99) = summary(samples);
        let rates: Vec<String> = rates.iter().map(|r| format!("{r:.2}")).collect();
        println!(
            "follow latency, interval 250 ms, {sources} source(s), K = {quorum}, {CHANGES} safe-head changes, {}: median {median:?}, p99 {p99:?}; optimism_syncStatus requests/s per source: {}",
            profile(),
            rates.join(", ")
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run explicitly"]
async fn follow_latency_at_250ms_and_default_interval() -> eyre::Result<()> {
    const CHANGES: u64 = 100;
    for (label, interval) in [("250 ms", Some(Duration::from_millis(250))), ("default (4 s)", None)]
    {
        let (median, p99) = summary(follow_latency(interval, CHANGES).await?);
        println!(
            "follow latency, interval {label}, {CHANGES} safe-head changes, {}: median {median:?}, p99 {p99:?}",
            profile()
        );
    }
    Ok(())
}

/// Resident set size of process `pid`, KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// CPU time (user + system) of process `pid` so far, from `/proc/<pid>/stat`, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses): utime and stime are 12 and 13.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Clock ticks per second (`getconf CLK_TCK`).
fn ticks_per_second() -> f64 {
    let out = std::process::Command::new("getconf").arg("CLK_TCK").output();
    out.ok().and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok()).unwrap_or(100.0)
}

/// An idle op-reth-light process of `world`'s chain in `datadir` (the light CL on with
/// `light`), with `extra` arguments.
fn spawn_node(
    world: &World,
    genesis: &std::path::Path,
    datadir: &std::path::Path,
    light: bool,
    extra: &[String],
) -> eyre::Result<std::process::Child> {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_op-reth-light"));
    cmd.args(["node", "--chain"]).arg(genesis).arg("--datadir").arg(datadir).args([
        "--disable-discovery",
        "--port",
        "0",
        "--http",
        "--http.port",
        "0",
        "--authrpc.port",
        "0",
        "--ws.port",
        "0",
        "--log.stdout.filter",
        "error",
    ]);
    if light {
        cmd.arg("--rollup.follow-source").arg(world.source.server.url().as_str());
        cmd.arg("--rollup.l1-rpc").arg(world.l1.server.url().as_str());
        cmd.arg("--rollup.config").arg(&world.rollup_path);
        cmd.args(["--rollup.follow-interval", "250ms"]);
    }
    cmd.args(extra);
    Ok(cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn()?)
}

/// After a 20 s warm-up, the mean resident set (KiB, 10 samples) and the CPU used (percent of
/// one core) over the next 30 s; the child is killed after.
async fn idle_figures(mut child: std::process::Child) -> (u64, f64) {
    tokio::time::sleep(Duration::from_secs(20)).await;
    let (ticks, started) = (cpu_ticks(child.id()).unwrap_or(0), Instant::now());
    let mut rss = Vec::new();
    for _ in 0..10 {
        rss.extend(rss_kib(child.id()));
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let used = cpu_ticks(child.id()).unwrap_or(0).saturating_sub(ticks) as f64 / ticks_per_second();
    let cpu = 100.0 * used / started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    (rss.iter().sum::<u64>() / rss.len().max(1) as u64, cpu)
}

/// A world whose source reports genesis and nothing else, and its genesis file.
async fn idle_world() -> eyre::Result<(World, std::path::PathBuf)> {
    let world = World::new().await;
    let genesis_path = world.dir.path().join("genesis.json");
    std::fs::write(
        &genesis_path,
        serde_json::to_string(&genesis_json(world.l1.block(0).timestamp))?,
    )?;
    let genesis = world.rollup.genesis_l2_ref();
    world.report(genesis, genesis, genesis);
    Ok((world, genesis_path))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run explicitly"]
async fn resident_memory_with_and_without_the_light_cl() -> eyre::Result<()> {
    let (world, genesis) = idle_world().await?;
    let mut figures = Vec::new();
    for follow in [false, true] {
        let datadir = world.dir.path().join(format!("node-{follow}"));
        let p2p_off = ["--p2p.disable".to_string()];
        let child = spawn_node(&world, &genesis, &datadir, follow, &p2p_off[..follow as usize])?;
        let (rss, _) = idle_figures(child).await;
        figures.push(rss);
        println!(
            "resident memory after 20 s, light CL (no P2P) {}: {} MiB",
            if follow { "on " } else { "off" },
            rss / 1024
        );
    }
    println!(
        "resident memory the light CL adds ({}): {} MiB",
        profile(),
        (figures[1] as i64 - figures[0] as i64) / 1024
    );
    Ok(())
}

/// CPU and memory the CL gossip stack adds to an idle follower: the same follower with
/// `--p2p.disable` and with P2P on, connected to one loopback gossip peer (gossipsub heartbeats,
/// identify and ping running, no blocks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run explicitly (about 2 minutes)"]
async fn p2p_stack_on_an_idle_follower() -> eyre::Result<()> {
    use light_cl_p2p::libp2p::{identity::Keypair, multiaddr::Protocol};
    use std::sync::atomic::Ordering;
    let (world, genesis) = idle_world().await?;
    let signer = alloy_primitives::Address::repeat_byte(0x11);
    let (peer, _peer_rx) = light_cl_p2p::spawn(light_cl_p2p::GossipConfig {
        chain_id: world.rollup.l2_chain_id,
        forks: world.rollup.forks,
        signer,
        listen: "/ip4/127.0.0.1/tcp/0".parse()?,
        keypair: Keypair::generate_secp256k1(),
        static_peers: Vec::new(),
        max_inbound: light_cl_p2p::DEFAULT_MAX_INBOUND,
        scoring: Some(light_cl_p2p::Scoring::light(world.rollup.block_time)),
    })?;
    let peer_addr = peer.listening().await?[0].clone().with(Protocol::P2p(peer.peer_id()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut figures = Vec::new();
    for p2p in [false, true] {
        let datadir = world.dir.path().join(format!("p2p-{p2p}"));
        let extra: Vec<String> = if p2p {
            [
                "--p2p.listen.ip",
                "127.0.0.1",
                "--p2p.listen.tcp",
                &port.to_string(),
                "--p2p.static",
                &peer_addr.to_string(),
                "--p2p.unsafe-block-signer",
                &signer.to_string(),
            ]
            .map(String::from)
            .to_vec()
        } else {
            vec!["--p2p.disable".into()]
        };
        let child = spawn_node(&world, &genesis, &datadir, true, &extra)?;
        if p2p {
            wait(
                || async { (peer.counts().peers.load(Ordering::Relaxed) > 0).then_some(()) },
                "the follower connects to the gossip peer",
            )
            .await;
        }
        let (rss, cpu) = idle_figures(child).await;
        println!(
            "idle follower, P2P {}: resident {} MiB, CPU {cpu:.2} % of a core",
            if p2p { "on " } else { "off" },
            rss / 1024
        );
        figures.push((rss, cpu));
    }
    println!(
        "the P2P stack adds on an idle follower ({}): {} MiB resident, {:+.2} % of a core",
        profile(),
        (figures[1].0 as i64 - figures[0].0 as i64) / 1024,
        figures[1].1 - figures[0].1
    );
    Ok(())
}

/// A block being built: its timestamp, the unix second its build started, and when its payload
/// was asked for.
type Started = (u64, u64, Option<Instant>);

/// Times the engine owner's seal round trip: from asking for the payload to the forkchoice
/// update to the new head (the owner is serial, so the next update without attributes after a
/// payload was asked for ends that seal). The forkchoice update with attributes that started the
/// block a block time earlier is not in it. Everything else goes to reth unchanged.
#[derive(Clone)]
struct TimedEngine {
    inner: op_reth_light::RethEngine,
    /// The block being built.
    started: Arc<Mutex<Option<Started>>>,
    /// (block timestamp, unix second building started, seal round trip)
    builds: Arc<Mutex<Vec<(u64, u64, Duration)>>>,
}

impl light_cl::Engine for TimedEngine {
    async fn fork_choice_updated(
        &self,
        state: ForkchoiceState,
        attributes: Option<OpPayloadAttributes>,
    ) -> Result<ForkchoiceUpdated, light_cl::EngineError> {
        let building = attributes.as_ref().map(|a| a.payload_attributes.timestamp);
        if let Some(timestamp) = building {
            *self.started.lock().unwrap() = Some((timestamp, common::seq::unix_now(), None));
        }
        let result = self.inner.fork_choice_updated(state, attributes).await;
        if building.is_none() {
            let mut started = self.started.lock().unwrap();
            if let Some((timestamp, wall, Some(t))) = *started {
                self.builds.lock().unwrap().push((timestamp, wall, t.elapsed()));
                *started = None;
            }
        }
        result
    }

    async fn new_payload(
        &self,
        payload: op_alloy_rpc_types_engine::OpExecutionData,
    ) -> Result<alloy_rpc_types_engine::PayloadStatus, light_cl::EngineError> {
        self.inner.new_payload(payload).await
    }

    async fn get_payload(
        &self,
        id: alloy_rpc_types_engine::PayloadId,
    ) -> Result<op_alloy_rpc_types_engine::OpExecutionData, light_cl::EngineError> {
        if let Some((_, _, asked)) = self.started.lock().unwrap().as_mut() {
            *asked = Some(Instant::now());
        }
        self.inner.get_payload(id).await
    }
}

/// Light-CL sequencing at 1 s blocks on a reth dev L1, about 300 blocks: the engine owner's seal
/// round trip (best payload → new payload → FCU to the new head; the FCU with attributes a block
/// time earlier excluded), the late blocks, and the same round trip through the Engine API over
/// HTTP with JWT on a plain op-reth node of the same chain, its payload also resolved after a
/// fill (200 ms), so that both resolve a payload the builder has finished.
///
/// The light CL is assembled here as the binary assembles it (`LightCl::start`: engine owner over
/// `RethEngine` and `RethChain`, follow task, sequencer), with [`TimedEngine`] around the engine
/// adapter to time each build.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run explicitly (about 6 minutes)"]
async fn sequencer_build_round_trip_in_process_vs_engine_api() -> eyre::Result<()> {
    use alloy_primitives::{Address, B256};
    use common::seq::*;
    use light_cl::{
        sequencer::{Sequencer, SequencerConfig, SequencerDeps},
        EngineOwner, FollowConfig, FollowTask, View,
    };
    use light_cl_rpc::{CappedClient, CappedConfig, L1Client};
    use op_reth_light::{RethChain, RethEngine};
    use serde_json::Value;

    const BLOCKS: u64 = 300;
    let dir = tempfile::tempdir()?;
    let world = SeqWorld::new(dir.path(), unix_now(), Address::ZERO).await;
    let (a, _a_tasks) = launch(world.spec.clone(), &dir.path().join("a"), None).await?;

    let config = Arc::new(world.rollup.clone());
    let chain = RethChain::new(a.node.provider.clone(), config.genesis.clone());
    let view = View::new(&config);
    let engine = TimedEngine {
        inner: RethEngine::new(
            a.node.add_ons_handle.beacon_engine_handle.clone(),
            a.node.payload_builder_handle.clone(),
        ),
        started: Default::default(),
        builds: Default::default(),
    };
    let (owner, handle) = EngineOwner::new(engine.clone(), chain.clone(), view.clone());
    tokio::spawn(owner.run());
    let source = CappedClient::new(CappedConfig::new(world.source.server.url()))?;
    let l1 = L1Client::new(world.l1_url.clone(), Duration::from_secs(5)).expect("L1 client");
    let mut follow_config = FollowConfig::for_block_time(1);
    follow_config.follow_unsafe = false;
    let follow =
        FollowTask::new(source, l1.clone(), chain.clone(), handle.clone(), view, follow_config);
    let blob_schedule =
        op_reth_light::config::l1_blob_schedule(Some(&world.l1_genesis_path), L1_CHAIN_ID)?;
    let settings = SequencerConfig { conf_depth: CONFS, ..SequencerConfig::new() };
    let (sequencer, control) = Sequencer::new(SequencerDeps {
        l1,
        chain,
        owner: handle,
        config,
        blob_schedule,
        settings,
        ready: follow.ready(),
        publishers: Vec::new(),
        conductor: None,
    });
    tokio::spawn(follow.run(std::future::pending()));
    tokio::spawn(sequencer.run(std::future::pending()));

    let started = Instant::now();
    while head(&a, &world.rollup).number < BLOCKS {
        eyre::ensure!(started.elapsed() < Duration::from_secs(3 * BLOCKS), "sequencer stalled");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let last = control.stop().await?;
    let elapsed = started.elapsed();
    let sealed = head(&a, &world.rollup);
    eyre::ensure!(sealed.hash == last, "stop returned the head");
    let builds = engine.builds.lock().unwrap().clone();
    let late = builds.iter().filter(|(timestamp, wall, _)| *wall >= *timestamp).count();
    let count = builds.len();
    let (med, p99) = summary(builds.into_iter().map(|(_, _, d)| d).collect());

    // The same round trip over the Engine API with JWT, on a plain op-reth node.
    let (c, _c_tasks) = launch(world.spec.clone(), &dir.path().join("c"), None).await?;
    let auth = c.node.auth_server_handle().http_client();
    let mut parent = world.genesis_l2;
    let mut over_http = Vec::new();
    for n in 1..=BLOCKS {
        let attributes = light_cl_tests::next_block_attributes(parent, world.l1_0, n, 1, 0);
        let state = |head| ForkchoiceState {
            head_block_hash: head,
            safe_block_hash: B256::ZERO,
            finalized_block_hash: B256::ZERO,
        };
        let updated: ForkchoiceUpdated = auth
            .request(
                "engine_forkchoiceUpdatedV3",
                rpc_params![state(parent.hash), Some(attributes)],
            )
            .await?;
        let id = updated.payload_id.ok_or_else(|| eyre::eyre!("no payload id"))?;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let t = Instant::now();
        let envelope: Value = auth.request("engine_getPayloadV3", rpc_params![id]).await?;
        let payload = &envelope["executionPayload"];
        let root = &envelope["parentBeaconBlockRoot"];
        let status: Value = auth
            .request("engine_newPayloadV3", rpc_params![payload, Vec::<B256>::new(), root])
            .await?;
        eyre::ensure!(status["status"] == "VALID", "new payload: {status}");
        let hash: B256 = serde_json::from_value(payload["blockHash"].clone())?;
        let updated: ForkchoiceUpdated = auth
            .request("engine_forkchoiceUpdatedV3", rpc_params![state(hash), None::<()>])
            .await?;
        over_http.push(t.elapsed());
        eyre::ensure!(updated.is_valid());
        parent.hash = hash;
        parent.number += 1;
        parent.timestamp += 1;
    }
    let (http_med, http_p99) = summary(over_http);
    println!("sequencing at 1 s blocks on a reth dev L1, {}:", profile());
    println!(
        "  {} blocks sealed in {elapsed:.1?}; {late} late (building began at or after the block's timestamp)",
        sealed.number
    );
    println!(
        "  seal round trip through the engine owner ({count} blocks): median {med:?}, p99 {p99:?}"
    );
    println!("  the same round trip over the Engine API with JWT ({BLOCKS} blocks): median {http_med:?}, p99 {http_p99:?}");
    println!(
        "  ratio HTTP / in-process: median {:.1}x, p99 {:.1}x",
        http_med.as_secs_f64() / med.as_secs_f64(),
        http_p99.as_secs_f64() / p99.as_secs_f64()
    );
    Ok(())
}

/// Median and 99th percentile of signed `samples` (seconds).
fn summary_f64(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

/// Light-CL sequencing at 1 s blocks on a reth dev L1 for 300 blocks under a steady load: a
/// loopback load generator sends a transfer every 50 ms (20 a second). Prints when each block
/// became the head relative to its timestamp `T`, the transactions per block, and the time from
/// sending a transaction to the head being the block that holds it, with the fill window
/// (payloads rebuilt every [`BUILDER_INTERVAL`]) and then with each block sealed at once at `T`
/// (`--rollup.sequencer-seal-at-once`, as before the fill window). The head is sampled every
/// 2 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run explicitly (about 11 minutes)"]
async fn sequencer_under_load() -> eyre::Result<()> {
    under_load(false).await?;
    under_load(true).await
}

async fn under_load(seal_at_once: bool) -> eyre::Result<()> {
    use alloy_primitives::{Address, B256};
    use common::seq::*;
    use op_reth_light::args::SequencerArgs;
    use serde_json::Value;
    use std::{
        collections::{BTreeMap, HashMap},
        sync::atomic::{AtomicBool, Ordering},
        time::{SystemTime, UNIX_EPOCH},
    };

    const BLOCKS: u64 = 300;
    let now = || SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    let dir = tempfile::tempdir()?;
    let world = SeqWorld::new(dir.path(), unix_now(), Address::ZERO).await;
    let args = SequencerArgs { seal_at_once, ..world.sequencer_args() };
    let (a, _a_tasks) = world.launch(&dir.path().join("a"), args).await;
    let client = rpc(&a);
    let first = wait_head(&a, &world.rollup, "blocks on time", |h| h.number >= 2).await.number;
    let last = first + BLOCKS;

    let done = AtomicBool::new(false);
    let send = async {
        let mut sent = Vec::new();
        let mut beat = tokio::time::interval(Duration::from_millis(50));
        let mut nonce = 0;
        while !done.load(Ordering::SeqCst) {
            beat.tick().await;
            let raw = transfer(nonce).await;
            let at = now();
            let hash: B256 = client.request("eth_sendRawTransaction", rpc_params![raw]).await?;
            sent.push((hash, at));
            nonce += 1;
        }
        eyre::Ok(sent)
    };
    let watch = async {
        let mut seen = BTreeMap::new();
        loop {
            let head = head(&a, &world.rollup);
            seen.entry(head.number).or_insert((head.timestamp, now()));
            if head.number >= last {
                done.store(true, Ordering::SeqCst);
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    let (sent, seen) = tokio::join!(send, watch);
    let sent = sent?;

    let mut block_of = HashMap::new();
    let mut per_block = Vec::new();
    for n in first + 1..=last {
        let b: Value =
            client.request("eth_getBlockByNumber", rpc_params![format!("{n:#x}"), false]).await?;
        let txs = b["transactions"].as_array().cloned().unwrap_or_default();
        // The L1 info deposit is not load.
        per_block.push(txs.len().saturating_sub(1) as f64);
        for tx in txs {
            block_of.insert(serde_json::from_value::<B256>(tx)?, n);
        }
    }
    let published: Vec<f64> =
        (first + 1..=last).filter_map(|n| seen.get(&n)).map(|(t, at)| at - *t as f64).collect();
    let inclusion: Vec<f64> = sent
        .iter()
        .filter_map(|(hash, at)| {
            let n = block_of.get(hash)?;
            seen.get(n).map(|(_, seen_at)| seen_at - at)
        })
        .collect();
    let included = inclusion.len();
    let (pub_p50, pub_p99) = summary_f64(published.clone());
    let (inc_p50, inc_p99) = summary_f64(inclusion);
    let mean = per_block.iter().sum::<f64>() / per_block.len() as f64;
    let (min, max) =
        per_block.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &n| (lo.min(n), hi.max(n)));
    println!(
        "sequencing at 1 s blocks under load (a transfer every 50 ms), {} blocks, {}, {}:",
        BLOCKS,
        profile(),
        if seal_at_once { "sealed at once at T (before)" } else { "fill window (after)" }
    );
    println!("  head became the block, relative to its timestamp T: p50 {:+.1} ms, p99 {:+.1} ms ({} blocks seen)", pub_p50 * 1e3, pub_p99 * 1e3, published.len());
    println!("  transactions per block: mean {mean:.1}, min {min}, max {max}");
    println!("  sent to in the head: p50 {:.0} ms, p99 {:.0} ms ({included} of {} sent included by block {last})", inc_p50 * 1e3, inc_p99 * 1e3, sent.len());
    Ok(())
}
