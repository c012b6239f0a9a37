//! `op-reth-light devnet` as a user runs it: the built binary as a process. Blocks, a deposit,
//! a transfer, safe and finalized on both nodes, Ctrl-C, a restart on the same datadir, and
//! wrong input refused before anything starts.

mod common;

use alloy_eips::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_rpc_types_eth::{TransactionInput, TransactionRequest};
use common::{seq::quantity, wait};
use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use light_cl_protocol::{decode_deposit_log, SyncStatus};
use op_reth_light::devnet::chain::{dev_accounts, DevAccount, DEPOSIT_CONTRACT};
use reth_e2e_test_utils::{transaction::TransactionTestContext, wallet::Wallet};
use serde_json::Value;
use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

const L1_CHAIN_ID: u64 = 900;
const L2_CHAIN_ID: u64 = 901;

fn devnet(datadir: &Path, base: u16, out: &Path) -> Child {
    let log = std::fs::File::create(out).unwrap();
    Command::new(env!("CARGO_BIN_EXE_op-reth-light"))
        .arg("devnet")
        .arg("--datadir")
        .arg(datadir)
        .args(["--devnet.l1-block-time", "250ms", "--devnet.block-time", "1"])
        .args(["--devnet.ports", &base.to_string()])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Waits for `child` to exit (at most a minute; then it is killed and the test fails).
fn exit_of(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the devnet did not exit within a minute");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn interrupt(child: &Child) {
    // SAFETY: kill(2) on our own child with a valid signal.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
}

fn client(port: u16) -> HttpClient {
    HttpClientBuilder::default().build(format!("http://127.0.0.1:{port}")).unwrap()
}

async fn block(client: &HttpClient, number: u64) -> Option<Value> {
    let b: Value = client
        .request("eth_getBlockByNumber", rpc_params![format!("{number:#x}"), false])
        .await
        .ok()?;
    (!b.is_null()).then_some(b)
}

/// Blocks the node at metrics port `port` took from gossip, whatever the outcome.
fn gossip_blocks(port: u16) -> Option<u64> {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    conn.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    conn.read_to_string(&mut text).ok()?;
    // reth's exporter prefixes every name with `reth_`.
    let counts = text.lines().filter(|l| l.starts_with("reth_light_cl_gossip_blocks_total{"));
    Some(counts.filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum::<f64>() as u64)
}

async fn head(client: &HttpClient) -> Option<u64> {
    let n: alloy_primitives::U64 = client.request("eth_blockNumber", rpc_params![]).await.ok()?;
    Some(n.to())
}

async fn status(client: &HttpClient) -> Option<SyncStatus> {
    client.request("optimism_syncStatus", rpc_params![]).await.ok()
}

async fn send(client: &HttpClient, chain_id: u64, from: usize, to: Address, value: U256) -> B256 {
    let signer = Wallet::new(from + 1).with_chain_id(chain_id).wallet_gen().remove(from);
    let request = TransactionRequest {
        nonce: Some(0),
        to: Some(TxKind::Call(to)),
        value: Some(value),
        gas: Some(200_000),
        max_fee_per_gas: Some(20_000_000_000),
        max_priority_fee_per_gas: Some(1_000_000_000),
        chain_id: Some(chain_id),
        input: TransactionInput::new(Bytes::new()),
        ..Default::default()
    };
    let raw: Bytes = TransactionTestContext::sign_tx(signer, request).await.encoded_2718().into();
    client.request("eth_sendRawTransaction", rpc_params![raw]).await.unwrap()
}

async fn receipt(client: &HttpClient, hash: B256) -> Value {
    wait(
        || async {
            let r: Value =
                client.request("eth_getTransactionReceipt", rpc_params![hash]).await.ok()?;
            (!r.is_null()).then_some(r)
        },
        &format!("receipt of {hash}"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_devnet_runs_deposits_and_transfers_and_restarts_on_its_datadir() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("devnet");
    let base = 24100;
    let (l1, seq, fol) = (client(base), client(base + 10), client(base + 20));
    let out = dir.path().join("devnet.out");
    let mut child = devnet(&datadir, base, &out);

    // The banner names the nodes once everything answers.
    let banner = wait(
        || async {
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            text.contains("Ctrl-C stops every node").then_some(text)
        },
        "the banner",
    )
    .await;
    assert!(banner.contains(&format!("http://127.0.0.1:{}", base + 10)), "{banner}");
    assert!(banner.contains("does NOT derive"), "{banner}");

    // Blocks on the sequencer reach the follower, same hashes.
    let third = wait(|| async { block(&fol, 3).await }, "block 3 on the follower").await;
    assert_eq!(block(&seq, 3).await.unwrap()["hash"], third["hash"]);

    // The follower is the sequencer's gossip peer and takes its blocks from gossip too.
    let gossip_peers = |c: HttpClient| async move {
        let stats: Option<Value> = c.request("opp2p_peerStats", rpc_params![]).await.ok();
        stats.and_then(|s| s["connected"].as_u64()).filter(|n| *n == 1)
    };
    wait(|| gossip_peers(client(base + 10)), "the sequencer's gossip peer").await;
    wait(|| gossip_peers(client(base + 20)), "the follower's gossip peer").await;
    wait(
        || async { gossip_blocks(base + 23).filter(|n| *n > 0) },
        "gossiped blocks counted on the follower",
    )
    .await;

    // A deposit on L1, with a real signed transaction, arrives on L2 as sent.
    let accounts: Vec<DevAccount> = dev_accounts();
    let (depositor, value) = (accounts[1].address, U256::from(2_000_000_000_000_000_000u128));
    let l1_tx = send(&l1, L1_CHAIN_ID, 1, DEPOSIT_CONTRACT, value).await;
    let l1_receipt = receipt(&l1, l1_tx).await;
    assert_eq!(l1_receipt["status"], "0x1", "{l1_receipt}");
    let log: alloy_rpc_types_eth::Log =
        serde_json::from_value(l1_receipt["logs"][0].clone()).unwrap();
    let deposit =
        decode_deposit_log(&log.inner, log.block_hash.unwrap(), log.log_index.unwrap()).unwrap();
    let l2_deposit = receipt(&seq, deposit.tx_hash()).await;
    assert_eq!(l2_deposit["status"], "0x1", "{l2_deposit}");
    let tx: Value =
        seq.request("eth_getTransactionByHash", rpc_params![deposit.tx_hash()]).await.unwrap();
    assert_eq!(tx["type"], "0x7e");
    assert_eq!(quantity(&tx["mint"]), value.to::<u128>());
    assert_eq!(tx["to"].as_str().unwrap().parse::<Address>().unwrap(), depositor);
    let balance: U256 =
        seq.request("eth_getBalance", rpc_params![depositor, "latest"]).await.unwrap();
    assert_eq!(balance, op_reth_light::devnet::chain::DEV_BALANCE + value);

    // An L2 transfer sent to the follower is forwarded to the sequencer and included.
    let transfer = send(&fol, L2_CHAIN_ID, 2, accounts[3].address, U256::from(1u64)).await;
    let included = receipt(&seq, transfer).await;
    assert_eq!(included["status"], "0x1", "{included}");
    let at = quantity(&included["blockNumber"]) as u64;
    assert_eq!(receipt(&fol, transfer).await["blockHash"], included["blockHash"]);

    // Safe and finalized pass the transfer on both nodes, and the follower's status agrees.
    for (node, name) in [(&seq, "sequencer"), (&fol, "follower")] {
        wait(
            || async { status(node).await.filter(|s| s.finalized_l2.number >= at) },
            &format!("{name} finalizes block {at}"),
        )
        .await;
    }
    wait(
        || async {
            let (s, f) = (status(&seq).await?, status(&fol).await?);
            let same =
                (s.safe_l2, s.finalized_l2) == (f.safe_l2, f.finalized_l2) && s.head_l1.number > 0;
            same.then_some(())
        },
        "the follower's status matches the sequencer's",
    )
    .await;

    // Ctrl-C stops everything; the process exits 0 and leaves no node behind.
    let stopped_at = head(&seq).await.unwrap();
    interrupt(&child);
    assert!(exit_of(&mut child).success(), "{}", std::fs::read_to_string(&out).unwrap());
    for port in [base, base + 10, base + 14, base + 20, base + 24] {
        TcpListener::bind(("127.0.0.1", port)).expect("every node stopped");
    }

    // A restart on the datadir continues the same chains.
    let mut child = devnet(&datadir, base, &out);
    let again = wait(|| async { block(&seq, 3).await }, "block 3 after the restart").await;
    assert_eq!(again["hash"], third["hash"]);
    wait(
        || async { head(&fol).await.filter(|n| *n > stopped_at + 2) },
        "the follower goes on after the restart",
    )
    .await;
    interrupt(&child);
    assert!(exit_of(&mut child).success(), "{}", std::fs::read_to_string(&out).unwrap());
}

/// Runs the devnet with `args`; its exit status and output.
fn refused(args: &[&str]) -> (ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_op-reth-light"))
        .arg("devnet")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = exit_of(&mut child);
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (status, text)
}

#[test]
fn wrong_input_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("devnet");
    let base = 24300u16;
    let data = datadir.to_str().unwrap();

    // A port in use: named, and nothing was started or written.
    let taken = TcpListener::bind(("127.0.0.1", base + 12)).unwrap();
    let (status, text) = refused(&["--datadir", data, "--devnet.ports", &base.to_string()]);
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("port {} (sequencer p2p) is not free", base + 12)), "{text}");
    assert!(!datadir.exists(), "nothing is written before the checks pass");
    drop(taken);

    // A datadir that cannot be created (under a regular file).
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let under = file.join("devnet");
    let (status, text) =
        refused(&["--datadir", under.to_str().unwrap(), "--devnet.ports", &base.to_string()]);
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("is not writable"), "{text}");
    TcpListener::bind(("127.0.0.1", base)).expect("L1 was not started");

    // A zero block time.
    let (status, text) = refused(&["--devnet.block-time", "0"]);
    assert_eq!(status.code(), Some(2), "{text}");
    assert!(text.contains("--devnet.block-time"), "{text}");
}
