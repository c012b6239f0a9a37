//! OP Stack protocol types for the op-reth-light light CL, without I/O.
//!
//! - block refs in op-node's JSON shape: [`BlockID`], [`L1BlockRef`], [`L2BlockRef`];
//! - [`SyncStatus`], the answer of `optimism_syncStatus`;
//! - [`RollupConfig`], op-node's `rollup.json`;
//! - the L1 attributes deposit ([`L1BlockInfo`]) and reading an L2 block's ref from it
//!   ([`l2_block_ref`]);
//! - sequencing inputs: the layout rule and builder of the L1 info deposit
//!   ([`L1InfoLayout::for_block`], [`L1BlockInfo::from_l1_origin`]), user deposits
//!   ([`user_deposits`]), system config updates ([`ConfigUpdate`],
//!   [`SystemConfig::update_with_receipts`], [`SystemConfig::from_l2_block`]) and the L1 blob
//!   base fee ([`L1BlobSchedule`]);
//! - output roots ([`output_root_v0`], [`OutputResponse`]);
//! - [`FollowInfo`], the answer of `optimism_followInfo` (mode, instance id, sources);
//! - CL peers in op-node's shape: [`PeerStats`] (`opp2p_peerStats`), [`PeerInfo`]
//!   (`opp2p_self`) and [`PeerDump`] (`opp2p_peers`).
//!
//! Numbers are written as decimal JSON numbers, as op-node writes them, and read from numbers or
//! `0x` quantities. A zero-valued ref means "unknown".

mod blob_fee;
mod block;
mod block_ref;
mod deposits;
mod follow_info;
mod l1_info;
mod output;
mod peer_info;
mod peer_stats;
mod quantity;
mod rollup_config;
mod sync_status;
mod system_config;
mod unsupported;

pub use blob_fee::{BlobFeeError, L1BlobSchedule, MAINNET_CHAIN_ID, SEPOLIA_CHAIN_ID};
pub use block::{BlockID, L1BlockRef, L2BlockRef};
pub use block_ref::{l1_info_of_block, l2_block_ref, BlockRefError};
pub use deposits::{
    decode_deposit_log, encode_deposit_log, user_deposits, DepositError, DEPOSIT_EVENT_TOPIC,
};
pub use follow_info::{
    FollowInfo, InstanceId, Mode, SourceInfo, SourceKind, MAX_FOLLOW_INFO_DEPTH,
    MAX_FOLLOW_INFO_SOURCES,
};
pub use l1_info::{
    L1BlockInfo, L1InfoBuildError, L1InfoError, L1InfoLayout, L1_BLOCK_ADDRESS, L1_INFO_DEPOSITOR,
    REGOLITH_L1_INFO_GAS,
};
pub use output::{output_root_v0, OutputResponse, OUTPUT_VERSION_V0};
pub use peer_info::{
    connectedness, direction, BannedSubnet, GossipScores, PeerDump, PeerInfo, PeerScores,
    ReqRespScores, TopicScores,
};
pub use peer_stats::PeerStats;
pub use rollup_config::{
    ChainGenesis, ConfigError, Fork, ForkTimes, RollupConfig, SystemConfig,
    FJORD_MAX_SEQUENCER_DRIFT,
};
pub use sync_status::SyncStatus;
pub use system_config::{
    decode_ecotone_scalar, encode_ecotone_scalar, ConfigUpdate, ConfigUpdateError, EcotoneScalars,
    ScalarError, SystemConfigError, CONFIG_UPDATE_TOPIC, DEFAULT_DA_FOOTPRINT_GAS_SCALAR,
};
pub use unsupported::UnsupportedFork;
