//! Output roots and `optimism_outputAtBlock`'s answer.

use crate::{L2BlockRef, SyncStatus};
use alloy_primitives::{keccak256, B256};
use serde::{Deserialize, Serialize};

/// Output root version 0.
pub const OUTPUT_VERSION_V0: B256 = B256::ZERO;

/// The answer of `optimism_outputAtBlock` (op-node `eth.OutputResponse`, camelCase keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputResponse {
    /// Output root version.
    pub version: B256,
    /// The output root.
    pub output_root: B256,
    /// The L2 block the output is of.
    pub block_ref: L2BlockRef,
    /// Storage root of the L2ToL1MessagePasser at that block.
    pub withdrawal_storage_root: B256,
    /// State root of that block.
    pub state_root: B256,
    /// The node's sync status when it answered.
    pub sync_status: SyncStatus,
}

/// Output root v0: `keccak256(version ++ stateRoot ++ messagePasserStorageRoot ++ blockHash)`.
pub fn output_root_v0(
    state_root: B256,
    message_passer_storage_root: B256,
    block_hash: B256,
) -> B256 {
    let mut buf = [0u8; 128];
    buf[..32].copy_from_slice(OUTPUT_VERSION_V0.as_slice());
    buf[32..64].copy_from_slice(state_root.as_slice());
    buf[64..96].copy_from_slice(message_passer_storage_root.as_slice());
    buf[96..].copy_from_slice(block_hash.as_slice());
    keccak256(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::b256;

    /// OP Mainnet block 118818299: state root, message passer storage root and block hash as
    /// served by op-node, and the output root it gave.
    #[test]
    fn op_mainnet_118818299() {
        let root = output_root_v0(
            b256!("0x16849c0a93d00bb2d7ceacda11a1478854d2bbb0a377b4d6793b67a3f05eb6fe"),
            b256!("0x5c9a29a8ad2ecf97fb4bdea74c715fd2c13fa87d4861414478bc4579601c3585"),
            b256!("0x6d39c46aabc847f5f2664a22bbc5f65a57286603095a9ebc946d1ed19ef4925c"),
        );
        assert_eq!(
            root,
            b256!("0xf1119e7d0fef8c54ab799be80fc61f503cea4e5c0aa1cf7ac104ef3a104f3bd1")
        );
    }

    #[test]
    fn response_uses_op_node_keys() {
        let r = OutputResponse {
            version: OUTPUT_VERSION_V0,
            output_root: B256::repeat_byte(1),
            block_ref: L2BlockRef::default(),
            withdrawal_storage_root: B256::repeat_byte(2),
            state_root: B256::repeat_byte(3),
            sync_status: SyncStatus::default(),
        };
        let v = serde_json::to_value(&r).unwrap();
        for k in [
            "version",
            "outputRoot",
            "blockRef",
            "withdrawalStorageRoot",
            "stateRoot",
            "syncStatus",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
        assert_eq!(serde_json::from_value::<OutputResponse>(v).unwrap(), r);
    }
}
