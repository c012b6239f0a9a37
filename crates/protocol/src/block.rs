//! Block references in op-node's JSON shape: `BlockID`, `L1BlockRef`, `L2BlockRef`.

use alloy_eips::BlockNumHash;
use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

/// A block's hash and number (op-node `eth.BlockID`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlockID {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    #[serde(with = "crate::quantity")]
    pub number: u64,
}

impl BlockID {
    /// Whether this is the zero value op-node uses for "unknown".
    pub fn is_unknown(&self) -> bool {
        self.hash.is_zero()
    }
}

impl From<BlockNumHash> for BlockID {
    fn from(id: BlockNumHash) -> Self {
        Self { hash: id.hash, number: id.number }
    }
}

impl From<BlockID> for BlockNumHash {
    fn from(id: BlockID) -> Self {
        Self { number: id.number, hash: id.hash }
    }
}

/// An L1 block reference (op-node `eth.L1BlockRef`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1BlockRef {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    #[serde(with = "crate::quantity")]
    pub number: u64,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block timestamp, seconds.
    #[serde(with = "crate::quantity")]
    pub timestamp: u64,
}

impl L1BlockRef {
    /// Whether this is the zero value op-node uses for "unknown".
    pub fn is_unknown(&self) -> bool {
        self.hash.is_zero()
    }

    /// This ref, unless it is the zero value ("unknown").
    pub fn known(self) -> Option<Self> {
        (!self.is_unknown()).then_some(self)
    }

    /// Hash and number.
    pub fn id(&self) -> BlockID {
        BlockID { hash: self.hash, number: self.number }
    }
}

/// An L2 block reference (op-node `eth.L2BlockRef`): the block plus its L1 origin and its
/// position in the epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L2BlockRef {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    #[serde(with = "crate::quantity")]
    pub number: u64,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block timestamp, seconds.
    #[serde(with = "crate::quantity")]
    pub timestamp: u64,
    /// The L1 block this L2 block's epoch derives from.
    #[serde(rename = "l1origin", alias = "l1Origin")]
    pub l1_origin: BlockID,
    /// Distance to the first L2 block of the epoch.
    #[serde(with = "crate::quantity", alias = "seqNum")]
    pub sequence_number: u64,
}

impl L2BlockRef {
    /// Whether this is the zero value op-node uses for "unknown".
    pub fn is_unknown(&self) -> bool {
        self.hash.is_zero()
    }

    /// This ref, unless it is the zero value ("unknown").
    pub fn known(self) -> Option<Self> {
        (!self.is_unknown()).then_some(self)
    }

    /// Hash and number.
    pub fn id(&self) -> BlockID {
        BlockID { hash: self.hash, number: self.number }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::b256;

    #[test]
    fn l2_ref_uses_op_node_keys() {
        let r = L2BlockRef {
            hash: b256!("0x1111111111111111111111111111111111111111111111111111111111111111"),
            number: 10718750,
            parent_hash: B256::repeat_byte(0x22),
            timestamp: 1730000050,
            l1_origin: BlockID { hash: B256::repeat_byte(0x33), number: 21000000 },
            sequence_number: 23,
        };
        let v = serde_json::to_value(r).unwrap();
        assert_eq!(v["number"], 10718750);
        assert_eq!(v["timestamp"], 1730000050);
        assert_eq!(v["l1origin"]["number"], 21000000);
        assert_eq!(v["sequenceNumber"], 23);
        assert!(v.get("parentHash").is_some());
        assert_eq!(serde_json::from_value::<L2BlockRef>(v).unwrap(), r);
    }

    #[test]
    fn accepts_quantities_and_aliases() {
        let doc = r#"{"hash":"0x1111111111111111111111111111111111111111111111111111111111111111",
            "number":"0x10","parentHash":"0x2222222222222222222222222222222222222222222222222222222222222222",
            "timestamp":"0x20","l1Origin":{"hash":"0x3333333333333333333333333333333333333333333333333333333333333333","number":"0x5"},
            "seqNum":"0x1"}"#;
        let r: L2BlockRef = serde_json::from_str(doc).unwrap();
        assert_eq!((r.number, r.timestamp, r.l1_origin.number, r.sequence_number), (16, 32, 5, 1));
    }

    #[test]
    fn rejects_missing_and_bad_fields() {
        assert!(serde_json::from_str::<L1BlockRef>(r#"{"hash":"0x00","number":1}"#).is_err());
        let neg = r#"{"hash":"0x1111111111111111111111111111111111111111111111111111111111111111",
            "number":-1,"parentHash":"0x1111111111111111111111111111111111111111111111111111111111111111","timestamp":0}"#;
        assert!(serde_json::from_str::<L1BlockRef>(neg).is_err());
    }

    #[test]
    fn zero_is_unknown() {
        assert!(L2BlockRef::default().is_unknown());
        assert!(L1BlockRef::default().is_unknown());
        let genesis = BlockID { hash: B256::repeat_byte(1), number: 0 };
        assert!(!genesis.is_unknown());
        let id: BlockNumHash = genesis.into();
        assert_eq!(BlockID::from(id), genesis);
    }
}
