//! Sequencing inputs: choosing the L1 origin of the next L2 block ([`L1OriginSelector`]),
//! building its payload attributes ([`build_attributes`], [`prepare_attributes`]) and checking
//! them as op-reth's Engine API would ([`validate_attributes`]), since the in-process engine
//! handle skips those checks; the [`Sequencer`] task that builds each slot through the engine
//! owner and publishes the block, with its [`SequencerHandle`]; and [`Admin`], the backend of the
//! `admin_*` RPC.

mod admin;
mod attributes;
mod conductor;
mod handle;
mod origin;
mod publish;
mod slot;
mod task;

pub use admin::Admin;
pub use attributes::{
    build_attributes, prepare_attributes, validate_attributes, AttributesError,
    AttributesValidationError, BuiltAttributes, SEQUENCER_FEE_VAULT,
};
pub use conductor::Conductor;
pub use handle::{Idle, SequencerHandle};
pub use origin::{L1OriginSelector, OriginError, SequencerL1, DEFAULT_SEQUENCER_CONF_DEPTH};
pub use publish::Publish;
pub use task::{SequenceError, Sequencer, SequencerConfig, SequencerDeps, DEFAULT_SEAL_MARGIN};
