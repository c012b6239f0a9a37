//! The devnet's chains on real nodes: its L1 genesis runs on reth's Ethereum dev node, and its
//! deposit contract emits deposits the sequencer's decoder reads as sent.

mod common;

use alloy_eips::Encodable2718;
use alloy_primitives::{Bytes, TxKind, U256};
use alloy_rpc_types_eth::{TransactionInput, TransactionRequest};
use common::seq::{receipt, rpc_of, start_l1, unix_now};
use jsonrpsee::{core::client::ClientT, rpc_params};
use light_cl_protocol::decode_deposit_log;
use op_reth_light::devnet::chain::{
    dev_accounts, DevnetChains, DEPOSIT_CONTRACT, DEPOSIT_GAS_LIMIT,
};
use reth_e2e_test_utils::{transaction::TransactionTestContext, wallet::Wallet};

#[tokio::test(flavor = "multi_thread")]
async fn the_deposit_contract_emits_what_was_sent() {
    let dir = tempfile::tempdir().unwrap();
    let chains = DevnetChains::new(1337, 901, 1, unix_now());
    let (l1, _tasks) = start_l1(dir.path(), &chains.l1_genesis).await;
    let client = rpc_of(&l1);
    let sender = dev_accounts()[0].address;
    // Calldata of 40 bytes: not a multiple of 32, so the log data is padded.
    let calldata: Bytes = (0u8..40).collect::<Vec<_>>().into();
    let value = U256::from(3_000_000_000_000_000_000u128);
    let request = TransactionRequest {
        nonce: Some(0),
        to: Some(TxKind::Call(DEPOSIT_CONTRACT)),
        value: Some(value),
        gas: Some(200_000),
        max_fee_per_gas: Some(20_000_000_000),
        max_priority_fee_per_gas: Some(1_000_000_000),
        chain_id: Some(1337),
        input: TransactionInput::new(calldata.clone()),
        ..Default::default()
    };
    let signer = Wallet::new(1).with_chain_id(1337).wallet_gen().remove(0);
    assert_eq!(signer.address(), sender, "reth's test wallet is the devnet's first account");
    let raw: Bytes = TransactionTestContext::sign_tx(signer, request).await.encoded_2718().into();
    let hash: alloy_primitives::B256 =
        client.request("eth_sendRawTransaction", rpc_params![raw]).await.unwrap();
    let receipt = receipt(&client, hash).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let logs: Vec<alloy_rpc_types_eth::Log> =
        serde_json::from_value(receipt["logs"].clone()).unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].address(), DEPOSIT_CONTRACT);
    let deposit = decode_deposit_log(&logs[0].inner, logs[0].block_hash.unwrap(), 0).unwrap();
    assert_eq!(deposit.from, sender);
    assert_eq!(deposit.to, TxKind::Call(sender));
    assert_eq!((deposit.mint, deposit.value), (value.to::<u128>(), value));
    assert_eq!(deposit.gas_limit, DEPOSIT_GAS_LIMIT);
    assert!(!deposit.is_system_transaction);
    assert_eq!(deposit.input, calldata);
}
