//! The client of the source's L2 execution RPC against a real loopback HTTP server: blocks come
//! back as payloads, and a block that is not what it claims or not what was asked is refused.

use alloy_consensus::Header;
use alloy_eips::Encodable2718;
use alloy_primitives::{Sealed, B256, U256};
use alloy_rpc_types_eth::{Block, BlockTransactions};
use light_cl_protocol::{L1BlockInfo, L1InfoLayout, L1_INFO_DEPOSITOR};
use light_cl_rpc::{ElError, L2Client};
use light_cl_tests::{Reply, RpcServer};
use op_alloy_consensus::OpTxEnvelope;
use serde_json::Value;
use std::{sync::Arc, time::Duration};

/// An RPC block of L2 height `number` whose first transaction is an L1 info deposit.
fn rpc_block(number: u64) -> (B256, Value) {
    let info = L1BlockInfo {
        number: 100,
        block_hash: B256::repeat_byte(7),
        sequence_number: number % 6,
        ..L1BlockInfo::empty(L1InfoLayout::Ecotone)
    };
    let deposit = OpTxEnvelope::Deposit(Sealed::new(info.deposit_tx()));
    let header = Header {
        transactions_root: alloy_consensus::proofs::calculate_transaction_root(
            std::slice::from_ref(&deposit),
        ),
        number,
        parent_hash: B256::repeat_byte(number as u8),
        timestamp: 1000 + 2 * number,
        gas_limit: 30_000_000,
        ..Default::default()
    };
    let hash = header.hash_slow();
    let tx = op_alloy_rpc_types::Transaction {
        inner: alloy_rpc_types_eth::Transaction {
            inner: alloy_consensus::transaction::Recovered::new_unchecked(
                deposit,
                L1_INFO_DEPOSITOR,
            ),
            block_hash: Some(hash),
            block_number: Some(number),
            transaction_index: Some(0),
            effective_gas_price: Some(0),
        },
        deposit_nonce: Some(number),
        deposit_receipt_version: None,
    };
    let block: Block<op_alloy_rpc_types::Transaction> = Block {
        header: alloy_rpc_types_eth::Header {
            hash,
            inner: header,
            total_difficulty: Some(U256::ZERO),
            size: None,
        },
        uncles: vec![],
        transactions: BlockTransactions::Full(vec![tx]),
        withdrawals: None,
    };
    (hash, serde_json::to_value(block).unwrap())
}

async fn serve(
    answer: impl Fn(&str, &Value) -> Reply + Send + Sync + 'static,
) -> (RpcServer, L2Client) {
    let server = RpcServer::start(Arc::new(answer)).await;
    let client = L2Client::new(server.url(), Duration::from_secs(2)).unwrap();
    (server, client)
}

#[tokio::test]
async fn blocks_come_back_as_payloads() {
    let (hash, block) = rpc_block(5);
    let (_server, client) = serve(move |_, _| Reply::Result(block.clone())).await;
    let got = client.block_by_number(5).await.unwrap().unwrap();
    assert_eq!((got.hash, got.number), (hash, 5));
    assert_eq!(got.parent_hash, B256::repeat_byte(5));
    let v1 = got.payload.payload.as_v1();
    assert_eq!(v1.block_hash, hash);
    assert_eq!(v1.transactions.len(), 1);
    let deposit = OpTxEnvelope::Deposit(Sealed::new(
        L1BlockInfo {
            number: 100,
            block_hash: B256::repeat_byte(7),
            sequence_number: 5,
            ..L1BlockInfo::empty(L1InfoLayout::Ecotone)
        }
        .deposit_tx(),
    ));
    assert_eq!(v1.transactions[0], deposit.encoded_2718());
    let by_hash = client.block_by_hash(hash).await.unwrap().unwrap();
    assert_eq!(by_hash.hash, hash);
}

#[tokio::test]
async fn a_block_that_is_not_what_it_claims_is_refused() {
    let (_, mut block) = rpc_block(5);
    block["hash"] = serde_json::to_value(B256::repeat_byte(0xee)).unwrap();
    let (_server, client) = serve(move |_, _| Reply::Result(block.clone())).await;
    assert!(matches!(client.block_by_number(5).await, Err(ElError::Mismatch { .. })));
}

#[tokio::test]
async fn a_block_that_was_not_asked_for_is_refused() {
    let (hash, block) = rpc_block(6);
    let (_server, client) = serve(move |_, _| Reply::Result(block.clone())).await;
    assert!(matches!(client.block_by_number(5).await, Err(ElError::Mismatch { .. })));
    assert!(matches!(
        client.block_by_hash(B256::repeat_byte(1)).await,
        Err(ElError::Mismatch { .. })
    ));
    assert!(client.block_by_hash(hash).await.is_ok());
}

#[tokio::test]
async fn missing_blocks_and_errors() {
    let (_server, client) = serve(|method, _| match method {
        "eth_getBlockByNumber" => Reply::Result(Value::Null),
        _ => Reply::Error(-32000, "boom".into()),
    })
    .await;
    assert!(client.block_by_number(9).await.unwrap().is_none());
    assert!(matches!(client.block_by_hash(B256::ZERO).await, Err(ElError::Rpc(_))));
}

#[tokio::test]
async fn an_answer_over_the_cap_is_refused() {
    let (_server, client) = serve(|_, _| {
        Reply::Raw(
            200,
            "application/json",
            bytes::Bytes::from(vec![b' '; light_cl_rpc::DEFAULT_MAX_BLOCK_RESPONSE_BYTES + 1]),
        )
    })
    .await;
    match client.block_by_number(1).await {
        Err(ElError::Rpc(e)) => assert!(e.contains("exceeds"), "{e}"),
        other => panic!("expected the size cap to refuse the answer, got {other:?}"),
    }
}

#[tokio::test]
async fn headers_come_without_transactions_and_are_checked() {
    let (hash, mut block) = rpc_block(5);
    block["transactions"] = serde_json::json!([B256::repeat_byte(0x77)]);
    let answer = block.clone();
    let (_server, client) = serve(move |_, params| {
        assert_eq!(params[1], Value::Bool(false), "headers only");
        Reply::Result(answer.clone())
    })
    .await;
    let header = client.header_by_number(5).await.unwrap().unwrap();
    assert_eq!((header.hash, header.number, header.parent_hash), (hash, 5, B256::repeat_byte(5)));
    assert!(matches!(client.header_by_number(6).await, Err(ElError::Mismatch { .. })));
    block["hash"] = serde_json::to_value(B256::repeat_byte(0xee)).unwrap();
    let (_server, client) = serve(move |_, _| Reply::Result(block.clone())).await;
    assert!(matches!(client.header_by_number(5).await, Err(ElError::Mismatch { .. })));
}

/// A scripted execution RPC: `latest` 12, `safe` 8, no `finalized` yet (an error, as reth
/// answers before its first finalized block), no `optimism_syncStatus`.
fn execution_rpc(method: &str, params: &Value) -> Reply {
    match (method, params[0].as_str()) {
        ("eth_getBlockByNumber", Some("latest")) => Reply::Result(rpc_block(12).1),
        ("eth_getBlockByNumber", Some("safe")) => Reply::Result(rpc_block(8).1),
        ("eth_getBlockByNumber", Some("finalized")) => Reply::Error(-39001, "Unknown block".into()),
        (method, _) => Reply::Error(-32601, format!("the method {method} does not exist")),
    }
}

fn genesis() -> light_cl_protocol::ChainGenesis {
    light_cl_protocol::ChainGenesis {
        l1: light_cl_protocol::BlockID { hash: B256::repeat_byte(1), number: 90 },
        l2: light_cl_protocol::BlockID { hash: B256::repeat_byte(2), number: 0 },
        l2_time: 1000,
        system_config: None,
    }
}

#[tokio::test]
async fn an_execution_rpc_gives_its_heads_in_one_batch_with_their_l1_origins() {
    let (_server, client) = serve(execution_rpc).await;
    let heads = client.head_refs(&genesis()).await.unwrap();
    let (unsafe_head, safe) = (heads.unsafe_head.unwrap(), heads.safe.unwrap());
    assert_eq!((unsafe_head.hash, unsafe_head.number), (rpc_block(12).0, 12));
    assert_eq!((safe.number, safe.sequence_number), (8, 2));
    assert_eq!(
        safe.l1_origin,
        light_cl_protocol::BlockID { hash: B256::repeat_byte(7), number: 100 }
    );
    assert_eq!(heads.finalized, None, "not finalized yet");
    // A first transaction that is not the block's (its root differs): the origin is not read.
    let (_server, client) = serve(|method, params| match params[0].as_str() {
        Some("safe") => {
            let (_, mut block) = rpc_block(8);
            block["transactions"][0]["sourceHash"] = serde_json::json!(B256::repeat_byte(0x99));
            Reply::Result(block)
        }
        _ => execution_rpc(method, params),
    })
    .await;
    assert!(matches!(client.head_refs(&genesis()).await, Err(ElError::Mismatch { .. })));
    // A tampered block in the batch fails the whole answer.
    let (_server, client) = serve(|method, params| match params[0].as_str() {
        Some("safe") => {
            let (_, mut block) = rpc_block(8);
            block["hash"] = serde_json::to_value(B256::repeat_byte(0xee)).unwrap();
            Reply::Result(block)
        }
        _ => execution_rpc(method, params),
    })
    .await;
    assert!(matches!(client.head_refs(&genesis()).await, Err(ElError::Mismatch { .. })));
}

#[tokio::test]
async fn a_source_without_sync_status_is_found_to_be_an_execution_rpc() {
    use light_cl::{Endpoint, FollowSource};
    use light_cl_protocol::SourceKind;
    let server = RpcServer::start(Arc::new(execution_rpc)).await;
    let spec: light_cl::SourceSpec = server.url().into();
    let settings = light_cl_rpc::CappedConfig::new(server.url());
    let source = Endpoint::new(0, &spec, settings, genesis()).unwrap();
    assert_eq!(source.known_kind(), None);
    let status = source.sync_status().await.unwrap();
    assert_eq!(source.known_kind(), Some(SourceKind::Execution));
    assert_eq!((status.unsafe_l2.number, status.safe_l2.number), (12, 8));
    assert!(status.finalized_l2.is_unknown() && status.current_l1.is_unknown());
    assert_eq!(status.safe_l2.l1_origin.number, 100);
    // Asked by number, it answers from headers.
    assert!(source.block_ref_at(8).await.is_err(), "this scripted node has no block 8 by number");
    // A rollup node stays one: its "method not found" for other methods does not count.
    let rollup = light_cl_tests::ScriptedSource::start(Default::default()).await;
    let spec: light_cl::SourceSpec = rollup.server.url().into();
    let settings = light_cl_rpc::CappedConfig::new(rollup.server.url());
    let source = Endpoint::new(1, &spec, settings, genesis()).unwrap();
    source.sync_status().await.unwrap();
    assert_eq!(source.known_kind(), Some(SourceKind::Rollup));
    assert_eq!(source.follow_info().await.unwrap(), light_cl_protocol::FollowInfo::deriving());
}
