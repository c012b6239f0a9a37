//! The devnet's chains as files: the L1 genesis (dev accounts funded, the deposit contract
//! predeployed), the L2 genesis (every fork op-reth implements active at genesis, the same
//! accounts funded) and the rollup config that ties them together. Written once into the
//! datadir and read back on every later start, so a restart continues the same chains.

use alloy_primitives::{address, keccak256, Address, Bytes, B256, U256};
use alloy_signer_local::{coins_bip39::English, MnemonicBuilder};
use light_cl_protocol::{
    encode_ecotone_scalar, BlockID, ChainGenesis, EcotoneScalars, Fork, ForkTimes, RollupConfig,
    SystemConfig,
};
use reth_chainspec::ChainSpec;
use reth_optimism_chainspec::OpChainSpec;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The usual test mnemonic (anvil's, hardhat's): its keys are public, never use them elsewhere.
pub const TEST_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// How many accounts of [`TEST_MNEMONIC`] are funded, on L1 and on L2.
pub const DEV_ACCOUNTS: u32 = 10;

/// The balance of every dev account at genesis: 10 000 ether.
pub const DEV_BALANCE: U256 = U256::from_limbs([0x19e0c9bab2400000, 0x21e, 0, 0]);

/// The devnet sequencer's P2P signing key (a fixed test key: the devnet is local).
pub const DEVNET_P2P_KEY: &str =
    "0x2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a";

/// The devnet's SystemConfig address on L1: an account with no code whose storage holds the
/// unsafe block signer, so a rollup node that reads the signer from L1 (kona-node does) finds
/// it.
pub const SYSTEM_CONFIG: Address = address!("0x5c00000000000000000000000000000000000001");

/// The unsafe block signer: the address of [`DEVNET_P2P_KEY`].
pub fn devnet_signer() -> Address {
    light_cl_p2p::SequencerKey::from_hex(DEVNET_P2P_KEY)
        .expect("the devnet key is a secp256k1 key")
        .address()
}

/// Where the devnet's deposit contract lives on L1.
pub const DEPOSIT_CONTRACT: Address = address!("0xde90517000000000000000000000000000000001");

/// Gas limit of every deposit the contract emits.
pub const DEPOSIT_GAS_LIMIT: u64 = 300_000;

/// A dev account: its address and its (public, test-only) private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevAccount {
    /// The account's address.
    pub address: Address,
    /// Its private key.
    pub key: B256,
}

/// The first [`DEV_ACCOUNTS`] accounts of [`TEST_MNEMONIC`] (`m/44'/60'/0'/0/i`).
pub fn dev_accounts() -> Vec<DevAccount> {
    (0..DEV_ACCOUNTS)
        .map(|i| {
            let signer = MnemonicBuilder::<English>::default()
                .phrase(TEST_MNEMONIC)
                .index(i)
                .expect("a valid derivation index")
                .build()
                .expect("the test mnemonic is valid");
            DevAccount { address: signer.address(), key: signer.to_bytes() }
        })
        .collect()
}

/// The deposit contract's runtime code. Any call emits OptimismPortal's
/// `TransactionDeposited(from, to, 0, opaqueData)` with `from` and `to` the caller, `mint` and
/// `value` the ether sent, a gas limit of [`DEPOSIT_GAS_LIMIT`] and the calldata as the L2
/// call's data: sending ether to it moves that ether to the same address on L2. Unlike the
/// real portal it does not alias contract callers and keeps the ether.
pub fn deposit_contract_code() -> Bytes {
    let mut code = Vec::with_capacity(80);
    // opaqueData, packed from offset 64: mint (32) ‖ value (32) ‖ gas (8) ‖ isCreation (1) ‖ data.
    // The gas word is written first: its high bytes land where `value` is written next.
    code.push(0x63); // PUSH4 gas << 8 (gas, then isCreation = 0)
    code.extend_from_slice(&((DEPOSIT_GAS_LIMIT as u32) << 8).to_be_bytes());
    code.extend([0x60, 105, 0x52]); // MSTORE(105, ...): bytes 128..137
    code.extend([0x34, 0x60, 96, 0x52]); // MSTORE(96, CALLVALUE): value
    code.extend([0x34, 0x60, 64, 0x52]); // MSTORE(64, CALLVALUE): mint
    code.extend([0x36, 0x60, 73, 0x01, 0x60, 32, 0x52]); // MSTORE(32, 73 + CALLDATASIZE): length
    code.extend([0x60, 32, 0x60, 0, 0x52]); // MSTORE(0, 32): offset of the `bytes`
    code.extend([0x36, 0x60, 0, 0x60, 137, 0x37]); // CALLDATACOPY(137, 0, CALLDATASIZE)
    code.extend([0x60, 0]); // topic3: version 0
    code.extend([0x33, 0x33]); // topic2: to = CALLER; topic1: from = CALLER
    code.push(0x7f); // topic0
    code.extend_from_slice(
        keccak256("TransactionDeposited(address,address,uint256,bytes)").as_slice(),
    );
    // size = 64 + ceil32(73 + CALLDATASIZE) = 64 + (CALLDATASIZE + 104) / 32 * 32
    code.extend([0x60, 32, 0x36, 0x60, 104, 0x01, 0x04, 0x60, 32, 0x02, 0x60, 64, 0x01]);
    code.extend([0x60, 0, 0xa4, 0x00]); // LOG4(0, size, ...); STOP
    code.into()
}

/// The devnet's two chains: what `op-reth-light devnet` writes into its datadir.
#[derive(Debug, Clone)]
pub struct DevnetChains {
    /// L1's genesis (a reth `--dev` chain).
    pub l1_genesis: Value,
    /// L2's genesis, as op-reth's `--chain` reads it.
    pub l2_genesis: Value,
    /// The rollup config of L2 on L1.
    pub rollup: RollupConfig,
}

/// The files of [`DevnetChains`] in a datadir.
#[derive(Debug, Clone)]
pub struct ChainFiles {
    /// `l1-genesis.json`.
    pub l1_genesis: PathBuf,
    /// `l2-genesis.json`.
    pub l2_genesis: PathBuf,
    /// `rollup.json`.
    pub rollup: PathBuf,
}

impl ChainFiles {
    /// The files in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            l1_genesis: dir.join("l1-genesis.json"),
            l2_genesis: dir.join("l2-genesis.json"),
            rollup: dir.join("rollup.json"),
        }
    }

    /// Whether all three exist (an earlier start wrote them).
    pub fn exist(&self) -> bool {
        [&self.l1_genesis, &self.l2_genesis, &self.rollup].iter().all(|p| p.exists())
    }
}

impl DevnetChains {
    /// New chains starting at `t0` (Unix seconds), L2 blocks every `block_time` seconds.
    pub fn new(l1_chain_id: u64, l2_chain_id: u64, block_time: u64, t0: u64) -> Self {
        let accounts = dev_accounts();
        let mut l1_alloc: serde_json::Map<String, Value> = accounts
            .iter()
            .map(|a| (a.address.to_string(), json!({ "balance": DEV_BALANCE })))
            .collect();
        l1_alloc.insert(
            DEPOSIT_CONTRACT.to_string(),
            json!({ "balance": "0x0", "code": deposit_contract_code() }),
        );
        let signer_slot = light_cl_p2p::UNSAFE_BLOCK_SIGNER_SLOT.to_string();
        l1_alloc.insert(
            SYSTEM_CONFIG.to_string(),
            json!({ "balance": "0x0", "storage": { signer_slot: devnet_signer().into_word() } }),
        );
        let l1_genesis = l1_genesis(l1_chain_id, t0, l1_alloc);
        let l2_alloc: serde_json::Map<String, Value> = accounts
            .iter()
            .map(|a| (a.address.to_string(), json!({ "balance": DEV_BALANCE })))
            .collect();
        // Every fork through Jovian (the last one op-reth v1.10.2 implements) at genesis; the
        // extra data carries Jovian's EIP-1559 parameters (denominator 250, elasticity 6,
        // minimum base fee 0).
        let l2_genesis = json!({
            "config": {
                "chainId": l2_chain_id, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
                "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0,
                "petersburgBlock": 0, "istanbulBlock": 0, "muirGlacierBlock": 0,
                "berlinBlock": 0, "londonBlock": 0, "arrowGlacierBlock": 0,
                "grayGlacierBlock": 0, "mergeNetsplitBlock": 0, "shanghaiTime": 0,
                "cancunTime": 0, "pragueTime": 0, "terminalTotalDifficulty": 0,
                "terminalTotalDifficultyPassed": true, "bedrockBlock": 0, "regolithTime": 0,
                "canyonTime": 0, "ecotoneTime": 0, "fjordTime": 0, "graniteTime": 0,
                "holoceneTime": 0, "isthmusTime": 0, "jovianTime": 0,
                "optimism": {
                    "eip1559Elasticity": 6, "eip1559Denominator": 50,
                    "eip1559DenominatorCanyon": 250
                }
            },
            "nonce": "0x0", "timestamp": format!("{t0:#x}"),
            "extraData": "0x01000000fa000000060000000000000000",
            "gasLimit": "0x1c9c380", "difficulty": "0x0", "baseFeePerGas": "0x3b9aca00",
            "mixHash": B256::ZERO, "coinbase": Address::ZERO, "alloc": l2_alloc, "number": "0x0"
        });
        let l1_hash = l1_spec(&l1_genesis).genesis_hash();
        let l2_hash = l2_spec(&l2_genesis).genesis_hash();
        let forks = ForkTimes::at_genesis_through(Fork::Jovian);
        let system_config = SystemConfig {
            batcher_addr: accounts[DEV_ACCOUNTS as usize - 1].address,
            overhead: B256::ZERO,
            scalar: encode_ecotone_scalar(EcotoneScalars {
                base_fee_scalar: 1368,
                blob_base_fee_scalar: 810_949,
            }),
            gas_limit: 30_000_000,
            // Zero EIP-1559 parameters: the chain spec's own; no minimum base fee.
            eip1559_params: Some(Default::default()),
            operator_fee_params: None,
            min_base_fee: Some(0),
            da_footprint_gas_scalar: None,
            other: Default::default(),
        };
        let rollup = RollupConfig {
            genesis: ChainGenesis {
                l1: BlockID { hash: l1_hash, number: 0 },
                l2: BlockID { hash: l2_hash, number: 0 },
                l2_time: t0,
                system_config: Some(system_config),
            },
            block_time,
            max_sequencer_drift: 600,
            seq_window_size: 3600,
            channel_timeout: 300,
            l1_chain_id,
            l2_chain_id,
            forks,
            // No batcher runs: nothing is sent to the inbox, nothing is derived from it.
            batch_inbox_address: address!("0xff00000000000000000000000000000000000901"),
            deposit_contract_address: DEPOSIT_CONTRACT,
            l1_system_config_address: SYSTEM_CONFIG,
            // None on L1; written out (zero) because kona-node requires the key.
            protocol_versions_address: Some(Address::ZERO),
            other: Default::default(),
        };
        Self { l1_genesis, l2_genesis, rollup }
    }

    /// Writes the three files.
    pub fn write(&self, files: &ChainFiles) -> std::io::Result<()> {
        std::fs::write(&files.l1_genesis, serde_json::to_vec_pretty(&self.l1_genesis)?)?;
        std::fs::write(&files.l2_genesis, serde_json::to_vec_pretty(&self.l2_genesis)?)?;
        std::fs::write(&files.rollup, serde_json::to_vec_pretty(&self.rollup)?)?;
        Ok(())
    }

    /// Reads the three files an earlier start wrote.
    pub fn read(files: &ChainFiles) -> eyre::Result<Self> {
        let read = |path: &Path| -> eyre::Result<Value> {
            let bytes =
                std::fs::read(path).map_err(|e| eyre::eyre!("reading {}: {e}", path.display()))?;
            serde_json::from_slice(&bytes).map_err(|e| eyre::eyre!("{}: {e}", path.display()))
        };
        let rollup = serde_json::from_value(read(&files.rollup)?)
            .map_err(|e| eyre::eyre!("{}: {e}", files.rollup.display()))?;
        Ok(Self {
            l1_genesis: read(&files.l1_genesis)?,
            l2_genesis: read(&files.l2_genesis)?,
            rollup,
        })
    }

    /// L1's chain spec.
    pub fn l1_spec(&self) -> ChainSpec {
        l1_spec(&self.l1_genesis)
    }

    /// L2's chain spec.
    pub fn l2_spec(&self) -> OpChainSpec {
        l2_spec(&self.l2_genesis)
    }
}

/// The genesis of a post-merge L1 with every Ethereum fork through Prague at genesis, starting
/// at `t0` (Unix seconds) with the accounts of `alloc`.
pub fn l1_genesis(chain_id: u64, t0: u64, alloc: serde_json::Map<String, Value>) -> Value {
    json!({
        "config": {
            "chainId": chain_id, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
            "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0,
            "petersburgBlock": 0, "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0,
            "mergeNetsplitBlock": 0, "terminalTotalDifficulty": 0,
            "terminalTotalDifficultyPassed": true, "shanghaiTime": 0, "cancunTime": 0,
            "pragueTime": 0
        },
        "nonce": "0x0", "timestamp": format!("{t0:#x}"), "extraData": "0x",
        "gasLimit": "0x1c9c380", "difficulty": "0x0", "baseFeePerGas": "0x3b9aca00",
        "mixHash": B256::ZERO, "coinbase": Address::ZERO, "alloc": alloc
    })
}

fn l1_spec(genesis: &Value) -> ChainSpec {
    ChainSpec::from_genesis(serde_json::from_value(genesis.clone()).expect("a genesis we wrote"))
}

fn l2_spec(genesis: &Value) -> OpChainSpec {
    OpChainSpec::from_genesis(serde_json::from_value(genesis.clone()).expect("a genesis we wrote"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn the_dev_accounts_are_the_usual_ones() {
        let accounts = dev_accounts();
        assert_eq!(accounts.len(), DEV_ACCOUNTS as usize);
        // anvil's and hardhat's first two accounts.
        assert_eq!(accounts[0].address, address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
        assert_eq!(
            accounts[0].key,
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
                .parse::<B256>()
                .unwrap()
        );
        assert_eq!(accounts[1].address, address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"));
    }

    #[test]
    fn dev_balance_is_ten_thousand_ether() {
        assert_eq!(DEV_BALANCE, U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18)));
    }

    #[test]
    fn the_chains_are_tied_together_and_read_back_the_same() {
        let chains = DevnetChains::new(1337, 901, 2, 1_700_000_000);
        assert_eq!(chains.rollup.genesis.l1.hash, chains.l1_spec().genesis_hash());
        assert_eq!(chains.rollup.genesis.l2.hash, chains.l2_spec().genesis_hash());
        assert_eq!(chains.l2_spec().chain.id(), 901);
        let dir = tempfile::tempdir().unwrap();
        let files = ChainFiles::in_dir(dir.path());
        assert!(!files.exist());
        chains.write(&files).unwrap();
        assert!(files.exist());
        let back = DevnetChains::read(&files).unwrap();
        assert_eq!(back.rollup, chains.rollup);
        // The SystemConfig's storage holds the signer; kona-node needs the ProtocolVersions key.
        let slot = light_cl_p2p::UNSAFE_BLOCK_SIGNER_SLOT.to_string();
        let stored = &chains.l1_genesis["alloc"][SYSTEM_CONFIG.to_string()]["storage"][slot];
        assert_eq!(stored, &json!(devnet_signer().into_word()));
        let rollup_json = std::fs::read_to_string(&files.rollup).unwrap();
        assert!(rollup_json.contains("\"protocol_versions_address\""), "{rollup_json}");
        assert_eq!(back.l2_spec().genesis_hash(), chains.l2_spec().genesis_hash());
    }
}
