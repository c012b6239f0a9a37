//! Blocks received over CL gossip, already validated by the gossip node, handed one at a time
//! to the engine owner as proposals (through the sequencer on a sequencing node, which refuses
//! them while it is active: its own chain tip is its own).

use crate::{metrics, sequencer::SequencerHandle, EngineOwnerHandle, Proposed, PushError};
use light_cl_rpc::SequencerAdminError;
use op_alloy_rpc_types_engine::OpExecutionData;
use std::{
    future::Future,
    time::{SystemTime, UNIX_EPOCH},
};
use tokio::sync::mpsc;
use tracing::{debug, info};

/// Who takes the proposals.
#[derive(Debug, Clone)]
pub enum ProposalTarget {
    /// A node that does not sequence: the engine owner.
    Owner(EngineOwnerHandle),
    /// A sequencing node: the sequencer task decides, between slots.
    Sequencer(SequencerHandle),
}

/// Why a proposal was not taken.
#[derive(Debug, thiserror::Error)]
enum NotTaken {
    #[error(transparent)]
    Owner(#[from] PushError),
    #[error(transparent)]
    Sequencer(#[from] SequencerAdminError),
}

impl ProposalTarget {
    async fn propose(&self, payload: OpExecutionData) -> Result<Proposed, NotTaken> {
        Ok(match self {
            Self::Owner(owner) => owner.propose(payload).await?,
            Self::Sequencer(sequencer) => sequencer.propose(payload).await?,
        })
    }
}

/// Hands every block from `blocks` to `target` until `shutdown` or until the gossip node stops.
/// Each outcome is logged and counted; none stops the loop.
pub async fn take_gossip(
    mut blocks: mpsc::Receiver<OpExecutionData>,
    target: ProposalTarget,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let payload = tokio::select! {
            () = &mut shutdown => return,
            block = blocks.recv() => match block {
                Some(block) => block,
                None => return,
            },
        };
        let (number, hash) = (payload.payload.block_number(), payload.payload.block_hash());
        let timestamp = payload.payload.timestamp();
        match target.propose(payload).await {
            Ok(Proposed::Head(head)) => {
                metrics::gossip_block("head");
                metrics::gossip_head_delay(seconds_since(timestamp));
                debug!(target: "light_cl::gossip", number = head.number, hash = %head.hash, "gossiped block is the new unsafe head");
            }
            Ok(Proposed::Held) => metrics::gossip_block("held"),
            Ok(Proposed::Known) => metrics::gossip_block("known"),
            Ok(Proposed::Target(_)) => metrics::gossip_block("target"),
            Err(e) => {
                metrics::gossip_block("refused");
                info!(target: "light_cl::gossip", number, %hash, %e, "gossiped block not taken");
            }
        }
    }
}

/// Seconds from the unix time `timestamp` to now (zero when it is in the future).
fn seconds_since(timestamp: u64) -> f64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
    (now - timestamp as f64).max(0.0)
}
