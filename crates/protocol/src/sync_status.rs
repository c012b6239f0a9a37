//! `SyncStatus`: the answer of `optimism_syncStatus`.

use crate::{L1BlockRef, L2BlockRef};
use serde::{Deserialize, Serialize};

/// A rollup node's view of L1 and L2 (op-node `eth.SyncStatus`), with op-node's snake_case keys.
///
/// A zero-valued ref means "unknown". `current_l1`, `safe_l2` and `finalized_l2` must be present;
/// the other fields default to unknown when absent (older op-node and kona omit some).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// L1 block the derivation process last idled at; safe L2 was derived up to it.
    pub current_l1: L1BlockRef,
    /// Deprecated; equal to `finalized_l1`.
    #[serde(default)]
    pub current_l1_finalized: L1BlockRef,
    /// Perceived L1 head.
    #[serde(default)]
    pub head_l1: L1BlockRef,
    /// L1 safe block.
    #[serde(default)]
    pub safe_l1: L1BlockRef,
    /// L1 finalized block.
    #[serde(default)]
    pub finalized_l1: L1BlockRef,
    /// L2 chain tip (local-unsafe after interop).
    #[serde(default)]
    pub unsafe_l2: L2BlockRef,
    /// L2 head derived from L1 (cross-safe after interop).
    pub safe_l2: L2BlockRef,
    /// L2 head derived from finalized L1.
    pub finalized_l2: L2BlockRef,
    /// Processed from a batch but not yet consolidated.
    #[serde(default)]
    pub pending_safe_l2: L2BlockRef,
    /// Unsafe head that passed cross-L2 checks; `unsafe_l2` before interop.
    #[serde(default)]
    pub cross_unsafe_l2: L2BlockRef,
    /// Derived from L1 but not cross-verified; `safe_l2` before interop.
    #[serde(default)]
    pub local_safe_l2: L2BlockRef,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// op-node's shape (`op-service/eth/sync_status.go`): snake_case keys, refs with camelCase
    /// `parentHash`, lower-case `l1origin`, decimal numbers.
    const OP_NODE_DOC: &str = include_str!("../testdata/sync_status_op_node.json");

    /// A fresh-genesis light CL's answer as reported in ethereum-optimism/optimism#20295: zero
    /// refs for `current_l1`, `safe_l2`, `local_safe_l2` and `finalized_l2`.
    const ZERO_DOC: &str = include_str!("../testdata/sync_status_genesis_zero.json");

    #[test]
    fn decodes_op_node_document() {
        let s: SyncStatus = serde_json::from_str(OP_NODE_DOC).unwrap();
        assert_eq!(s.current_l1.number, 21000000);
        assert_eq!(s.head_l1.number, 21000004);
        assert_eq!(s.unsafe_l2.number, 127000500);
        assert_eq!(s.unsafe_l2.sequence_number, 23);
        assert_eq!(s.safe_l2.l1_origin.number, 20999966);
        assert_eq!(s.finalized_l2.number, 127000000);
        assert_eq!(s.local_safe_l2, s.safe_l2);
        assert_eq!(s.cross_unsafe_l2, s.unsafe_l2);
        // Round trip keeps op-node's keys and values.
        let again: serde_json::Value = serde_json::to_value(s).unwrap();
        let orig: serde_json::Value = serde_json::from_str(OP_NODE_DOC).unwrap();
        assert_eq!(again, orig);
    }

    #[test]
    fn zero_refs_are_unknown() {
        let s: SyncStatus = serde_json::from_str(ZERO_DOC).unwrap();
        assert!(s.current_l1.is_unknown());
        assert!(s.safe_l2.is_unknown());
        assert!(s.finalized_l2.is_unknown());
        assert!(!s.unsafe_l2.is_unknown());
        assert!(!s.head_l1.is_unknown());
    }

    #[test]
    fn absent_optional_fields_default_to_unknown() {
        // kona omits pending_safe_l2; old op-node lacks the cross fields.
        let mut v: serde_json::Value = serde_json::from_str(OP_NODE_DOC).unwrap();
        for k in ["pending_safe_l2", "cross_unsafe_l2", "local_safe_l2", "current_l1_finalized"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v["queued_unsafe_l2"] = v["unsafe_l2"].clone();
        let s: SyncStatus = serde_json::from_value(v).unwrap();
        assert!(s.pending_safe_l2.is_unknown());
        assert!(s.local_safe_l2.is_unknown());
        assert_eq!(s.safe_l2.hash.0[..2], [0xbb, 0xbb]);
    }

    #[test]
    fn required_fields_must_be_present() {
        for k in ["current_l1", "safe_l2", "finalized_l2"] {
            let mut v: serde_json::Value = serde_json::from_str(OP_NODE_DOC).unwrap();
            v.as_object_mut().unwrap().remove(k);
            assert!(serde_json::from_value::<SyncStatus>(v).is_err(), "{k} missing must fail");
        }
        let mut v: serde_json::Value = serde_json::from_str(OP_NODE_DOC).unwrap();
        v["safe_l2"]["hash"] = serde_json::json!("0x1234");
        assert!(serde_json::from_value::<SyncStatus>(v).is_err());
    }
}
