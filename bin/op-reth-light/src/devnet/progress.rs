//! One log line per L2 block of the sequencer: its number, hash, transactions and L1 origin,
//! the safe and finalized heads the sequencer applied, and how far each follower is.

use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use light_cl::{dev_source::DevChain, ExecutionSource};
use light_cl_protocol::SyncStatus;
use tracing::{info, warn};

/// At most this many lines per poll; a longer run of new blocks (a restart catching up) is
/// summed up in one line first.
const MAX_LINES: u64 = 16;

/// Logs the sequencer's new blocks.
#[derive(Debug)]
pub(super) struct Progress {
    sequencer: HttpClient,
    chain: ExecutionSource,
    followers: Vec<HttpClient>,
    logged: u64,
}

impl Progress {
    /// Logs the blocks of `chain` (the sequencer's) above `logged`.
    pub(super) fn new(
        sequencer: HttpClient,
        chain: ExecutionSource,
        followers: Vec<HttpClient>,
        logged: u64,
    ) -> Self {
        Self { sequencer, chain, followers, logged }
    }

    /// Logs every block sealed since the last poll. A failed read is logged and retried at the
    /// next poll.
    pub(super) async fn poll(&mut self) {
        if let Err(e) = self.try_poll().await {
            warn!(target: "op_reth_light::devnet", %e, "could not read the sequencer");
        }
    }

    async fn try_poll(&mut self) -> eyre::Result<()> {
        let head = self.chain.head().await?;
        let logged = self.logged;
        if head.number <= logged {
            return Ok(());
        }
        let status: SyncStatus =
            self.sequencer.request("optimism_syncStatus", rpc_params![]).await?;
        let mut followers = Vec::with_capacity(self.followers.len());
        for f in &self.followers {
            let n: Result<alloy_primitives::U64, _> =
                f.request("eth_blockNumber", rpc_params![]).await;
            followers.push(n.map(|n| n.to_string()).unwrap_or_else(|_| "?".into()));
        }
        let followers = followers.join(",");
        let first = head.number.saturating_sub(MAX_LINES - 1).max(logged + 1);
        if first > logged + 1 {
            info!(target: "op_reth_light::devnet", from = logged + 1, to = first - 1, "L2 blocks (caught up)");
        }
        for number in first..=head.number {
            let Some(block) = self.chain.block_at(number).await? else { break };
            let txs: alloy_primitives::U64 = self
                .sequencer
                .request(
                    "eth_getBlockTransactionCountByNumber",
                    rpc_params![format!("{number:#x}")],
                )
                .await?;
            info!(
                target: "op_reth_light::devnet",
                number,
                hash = %block.hash,
                txs = txs.to::<u64>(),
                l1_origin = block.l1_origin.number,
                safe = status.safe_l2.number,
                finalized = status.finalized_l2.number,
                %followers,
                "L2 block"
            );
            self.logged = number;
        }
        Ok(())
    }
}
