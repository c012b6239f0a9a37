//! The start banner: everything a user needs to talk to the devnet, anvil-style.

use super::chain::{DevAccount, DEPOSIT_CONTRACT};
use std::fmt::Write;

/// A node as the banner shows it.
#[derive(Debug, Clone)]
pub(super) struct BannerNode {
    /// "sequencer", "follower 1", …
    pub(super) name: String,
    /// Its HTTP RPC URL.
    pub(super) http: String,
    /// Its Prometheus endpoint.
    pub(super) metrics: String,
    /// Its log file.
    pub(super) log: String,
}

/// What the banner shows.
#[derive(Debug, Clone)]
pub(super) struct Banner {
    /// L1's RPC URL.
    pub l1_url: String,
    /// The dev source's URL.
    pub(super) source_url: String,
    /// The chain ids.
    pub l1_chain_id: u64,
    /// L2's.
    pub l2_chain_id: u64,
    /// The L2 block time, seconds.
    pub(super) block_time: u64,
    /// The L2 nodes, the sequencer first.
    pub(super) nodes: Vec<BannerNode>,
    /// The sequencer's CL gossip address (multiaddr with its peer id).
    pub(super) gossip: String,
    /// The unsafe block signer (the devnet's P2P key).
    pub(super) signer: String,
    /// The funded accounts.
    pub(super) accounts: Vec<DevAccount>,
    /// The datadir, and whether it is removed on exit.
    pub(super) datadir: String,
    /// Whether the datadir is temporary.
    pub(super) temporary: bool,
}

impl Banner {
    /// The banner's text.
    pub(super) fn render(&self) -> String {
        let mut s = String::new();
        let w = &mut s;
        let _ = writeln!(w, "\nop-reth-light devnet: a local OP chain");
        let _ = writeln!(w, "=====================================\n");
        let _ = writeln!(w, "L1  chain id {:<6} RPC {}", self.l1_chain_id, self.l1_url);
        let _ =
            writeln!(w, "L2  chain id {:<6} block time {} s", self.l2_chain_id, self.block_time);
        for n in &self.nodes {
            let _ = writeln!(w, "    {:<11} RPC {}  metrics {}", n.name, n.http, n.metrics);
            let _ = writeln!(w, "    {:<11} log {}", "", n.log);
        }
        let _ = writeln!(
            w,
            "\nDev source  {} (optimism_syncStatus for the sequencer)",
            self.source_url
        );
        let _ = writeln!(
            w,
            "  It does NOT derive: an L2 block is safe once its L1 origin is at or below L1's"
        );
        let _ = writeln!(
            w,
            "  safe head and finalized once its origin is L1-finalized. No batcher runs."
        );
        let _ = writeln!(w, "\nCL gossip   sequencer {}", self.gossip);
        let _ = writeln!(
            w,
            "  unsafe block signer {}; another rollup node joins with --p2p.static <that address>",
            self.signer
        );
        let _ = writeln!(
            w,
            "  or with --p2p.bootnodes <the sequencer's ENR, in its opp2p_self> (it runs discovery)"
        );
        let _ = writeln!(w, "\nDeposit contract on L1  {DEPOSIT_CONTRACT}");
        let _ = writeln!(
            w,
            "  ether sent to it is minted to the sender on L2; calldata becomes the L2 call's data"
        );
        let _ = writeln!(w, "\nFunded accounts (10 000 ETH on L1 and L2; TEST KEYS, public, never use them elsewhere)");
        for (i, a) in self.accounts.iter().enumerate() {
            let _ = writeln!(w, "  ({i}) {} {}", a.address, a.key);
        }
        if let [from, to, ..] = &self.accounts[..] {
            let (l2, l1) = (&self.nodes[0].http, &self.l1_url);
            let _ = writeln!(w, "\nSend an L2 transaction:");
            let _ = writeln!(
                w,
                "  cast send --rpc-url {l2} --private-key {} {} --value 1ether",
                from.key, to.address
            );
            let _ =
                writeln!(w, "Deposit from L1 (arrives on L2 once its L1 block is an L1 origin):");
            let _ = writeln!(
                w,
                "  cast send --rpc-url {l1} --private-key {} {DEPOSIT_CONTRACT} --value 1ether",
                from.key
            );
            let _ = writeln!(w, "  cast balance --rpc-url {l2} {}", from.address);
        }
        let keep =
            if self.temporary { "temporary, removed on exit" } else { "kept: restart to continue" };
        let _ = writeln!(w, "\nDatadir {} ({keep})", self.datadir);
        let _ = writeln!(w, "Ctrl-C stops every node.\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devnet::chain::dev_accounts;

    #[test]
    fn the_banner_says_what_a_user_needs() {
        let banner = Banner {
            l1_url: "http://127.0.0.1:18545".into(),
            source_url: "http://127.0.0.1:18546".into(),
            l1_chain_id: 900,
            l2_chain_id: 901,
            block_time: 2,
            nodes: vec![BannerNode {
                name: "sequencer".into(),
                http: "http://127.0.0.1:18555".into(),
                metrics: "http://127.0.0.1:18558/metrics".into(),
                log: "/tmp/x/sequencer/node.log".into(),
            }],
            gossip: "/ip4/127.0.0.1/tcp/18569/p2p/16Uiu2HAm".into(),
            signer: "0x1111111111111111111111111111111111111111".into(),
            accounts: dev_accounts(),
            datadir: "/tmp/x".into(),
            temporary: true,
        };
        let text = banner.render().to_lowercase();
        for needed in [
            "http://127.0.0.1:18545",
            "http://127.0.0.1:18555",
            "18558/metrics",
            "does NOT derive",
            "0xde90517000000000000000000000000000000001",
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            "cast send --rpc-url http://127.0.0.1:18555",
            "removed on exit",
            "/ip4/127.0.0.1/tcp/18569/p2p/16Uiu2HAm",
            "unsafe block signer 0x1111111111111111111111111111111111111111",
            "--p2p.bootnodes",
        ] {
            assert!(text.contains(&needed.to_lowercase()), "{needed} missing from\n{text}");
        }
    }
}
