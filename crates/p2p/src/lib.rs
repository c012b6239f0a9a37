//! The OP Stack rollup-node P2P protocol (book: "CL gossip"):
//!
//! - [`discovery`]: discv5 with the OP Stack record entry, bootnodes, dialling what it finds;
//! - [`gossip`]: the libp2p node: gossipsub on the block topics, every message validated;
//! - [`topic`]: the block topics of every version, picked by the block's timestamp and the
//!   chain's fork schedule;
//! - [`message`]: snappy framing with size limits, the gossipsub message id, and the signed
//!   envelope of each version (op-alloy's `OpNetworkPayloadEnvelope`);
//! - [`validate`]: the spec's block validation, in the spec's order, giving gossipsub's
//!   accept / ignore / reject;
//! - [`identity`]: the node key, kept in a file;
//! - [`publish`]: the sequencer's key, signing and publishing sealed blocks;
//! - [`metrics`]: peers, messages by verdict, blocks dropped;
//! - [`peers`]: what is known of each connected peer (`opp2p_peers`, `opp2p_self`);
//! - [`seen`]: the bounded record of blocks seen per height;
//! - [`signer`]: the unsafe block signer, from the chain's SystemConfig on L1 or an override.

pub mod discovery;
pub mod gossip;
pub mod identity;
pub mod message;
pub mod metrics;
pub mod peers;
pub mod publish;
pub mod seen;
pub mod signer;
pub mod topic;
pub mod validate;

#[cfg(any(test, feature = "test-utils"))]
pub mod test_blocks;

#[cfg(test)]
mod real_block_tests;

pub use discovery::{BootNode, DiscoveryConfig, DiscoveryError, DEFAULT_PEERS_LO};
pub use gossip::{
    spawn, static_peer_id, DiscoveredPeer, GossipConfig, GossipCounts, GossipError, GossipHandle,
    Scoring, DEFAULT_MAX_INBOUND, REDIAL_INTERVAL,
};
pub use identity::{load_or_create, write_private, IdentityError};
/// The libp2p this crate is built on (identities, addresses).
pub use libp2p;
pub use message::{decode, encode, message_id, MessageError, MAX_GOSSIP_SIZE};
pub use metrics::describe_metrics;
pub use publish::{BlockPublisher, KeyError, PublishError, SequencerKey};
pub use seen::{Seen, MAX_BLOCKS_PER_HEIGHT};
pub use signer::{track_signer, SignerError, SignerSource, UNSAFE_BLOCK_SIGNER_SLOT};
pub use topic::{block_topic, BlockVersion, Topic};
pub use validate::{Reject, Validator, Verdict};
