//! `op-reth-light devnet` (book: "Devnet"): a whole local OP chain. Its chains, written into the
//! datadir on the first start and read back on every later one, are in [`chain`].

pub mod chain;
