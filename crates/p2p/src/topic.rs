//! Block topics: `/optimism/<chain id>/<version>/blocks`, one per envelope version.

use light_cl_protocol::{Fork, ForkTimes};
use std::fmt;

/// The version of a block envelope, and of the topic it travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BlockVersion {
    /// Before Canyon: `ExecutionPayloadV1`, topic `0`.
    V1,
    /// Canyon and Delta: `ExecutionPayloadV2` (empty withdrawals), topic `1`.
    V2,
    /// Ecotone to Holocene: `ExecutionPayloadV3` and the parent beacon block root, topic `2`.
    V3,
    /// Isthmus on: `ExecutionPayloadV4` (with the L2 withdrawals root), topic `3`.
    V4,
}

impl BlockVersion {
    /// Every version, oldest first.
    pub const ALL: [Self; 4] = [Self::V1, Self::V2, Self::V3, Self::V4];

    /// The version of a block with `timestamp` on a chain with `forks`.
    pub fn at(forks: &ForkTimes, timestamp: u64) -> Self {
        let active = |fork| forks.time(fork).is_some_and(|t| timestamp >= t);
        if active(Fork::Isthmus) {
            Self::V4
        } else if active(Fork::Ecotone) {
            Self::V3
        } else if active(Fork::Canyon) {
            Self::V2
        } else {
            Self::V1
        }
    }

    /// The number in the topic name.
    pub const fn topic_number(self) -> u8 {
        match self {
            Self::V1 => 0,
            Self::V2 => 1,
            Self::V3 => 2,
            Self::V4 => 3,
        }
    }
}

/// A block topic: a chain id and a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Topic {
    /// The L2 chain id.
    pub chain_id: u64,
    /// The envelope version.
    pub version: BlockVersion,
}

impl Topic {
    /// Parses `/optimism/<chain id>/<0..=3>/blocks`; `None` for any other string.
    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("/optimism/")?.strip_suffix("/blocks")?;
        let (chain, version) = rest.split_once('/')?;
        // Decimal only: no sign, no leading zeros, as op-node formats them.
        let decimal = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !decimal(chain) || (chain.len() > 1 && chain.starts_with('0')) || version.len() != 1 {
            return None;
        }
        let version = match version {
            "0" => BlockVersion::V1,
            "1" => BlockVersion::V2,
            "2" => BlockVersion::V3,
            "3" => BlockVersion::V4,
            _ => return None,
        };
        Some(Self { chain_id: chain.parse().ok()?, version })
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/optimism/{}/{}/blocks", self.chain_id, self.version.topic_number())
    }
}

/// The topic name of `version` blocks of chain `chain_id`.
pub fn block_topic(chain_id: u64, version: BlockVersion) -> String {
    Topic { chain_id, version }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_odd_strings_are_not_topics() {
        for version in BlockVersion::ALL {
            let name = block_topic(10, version);
            assert_eq!(Topic::parse(&name), Some(Topic { chain_id: 10, version }));
        }
        assert_eq!(block_topic(11155420, BlockVersion::V4), "/optimism/11155420/3/blocks");
        for bad in [
            "/optimism/10/4/blocks",
            "/optimism/10/01/blocks",
            "/optimism/010/0/blocks",
            "/optimism/-1/0/blocks",
            "/optimism//0/blocks",
            "/optimism/10/0/blocks/",
            "/optimism/99999999999999999999999/0/blocks",
            "/eth2/10/0/blocks",
        ] {
            assert_eq!(Topic::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_version_follows_the_fork_schedule() {
        let forks = ForkTimes {
            regolith_time: Some(0),
            canyon_time: Some(100),
            delta_time: Some(150),
            ecotone_time: Some(200),
            fjord_time: Some(250),
            isthmus_time: Some(300),
            jovian_time: Some(400),
            ..Default::default()
        };
        let cases = [
            (0, BlockVersion::V1),
            (99, BlockVersion::V1),
            (100, BlockVersion::V2),
            (199, BlockVersion::V2),
            (200, BlockVersion::V3),
            (299, BlockVersion::V3),
            (300, BlockVersion::V4),
            (1000, BlockVersion::V4),
        ];
        for (t, v) in cases {
            assert_eq!(BlockVersion::at(&forks, t), v, "at {t}");
        }
    }
}
