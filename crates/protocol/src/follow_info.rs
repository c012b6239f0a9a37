//! `FollowInfo`: the answer of `optimism_followInfo`, which says whether a node derives or
//! follows, and whom it follows, so that cycles in the follow graph can be found.

use alloy_primitives::B128;
use serde::{Deserialize, Serialize};

/// Most levels of sources kept in a [`FollowInfo`]; deeper ones are cut off.
pub const MAX_FOLLOW_INFO_DEPTH: usize = 8;
/// Most sources kept per level of a [`FollowInfo`].
pub const MAX_FOLLOW_INFO_SOURCES: usize = 8;

/// A random id a light node creates at its first start and keeps in its datadir.
pub type InstanceId = B128;

/// How a node gets its safe and finalized heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// It derives them from L1 (op-node, kona-node): any node without `optimism_followInfo`.
    Deriving,
    /// It follows other nodes (a light CL).
    Light,
}

/// What kind of endpoint a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A rollup node's `optimism_syncStatus`.
    Rollup,
    /// An execution RPC's `safe` and `finalized` blocks.
    Execution,
}

/// A node's mode, its id, its distance to a deriving node and its sources, as far as known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowInfo {
    /// Derives or follows.
    pub mode: Mode,
    /// The node's instance id (`None` for a deriving node that does not serve one).
    #[serde(default)]
    pub instance_id: Option<InstanceId>,
    /// Hops to a deriving node: 0 for a deriving node, 1 for a light node following one;
    /// `None` while no source's chain is known to reach one.
    #[serde(default)]
    pub depth: Option<u64>,
    /// The node's sources, in the order it was given them.
    #[serde(default)]
    pub sources: Vec<SourceInfo>,
}

/// One source of a light node, as that node sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo {
    /// Its position among the node's sources (sources are named by index: a URL can hold an
    /// API key).
    pub index: u32,
    /// Rollup node or execution RPC.
    pub kind: SourceKind,
    /// Whether the node takes updates from it (`false` once it is found on a cycle).
    pub used: bool,
    /// Whether it vouched for the safe head applied last.
    #[serde(default)]
    pub vouched_safe: bool,
    /// Whether it vouched for the finalized head applied last.
    #[serde(default)]
    pub vouched_finalized: bool,
    /// Its own follow info, when it answered.
    #[serde(default)]
    pub info: Option<Box<FollowInfo>>,
}

impl FollowInfo {
    /// What a node that does not serve `optimism_followInfo` is taken for.
    pub const fn deriving() -> Self {
        Self { mode: Mode::Deriving, instance_id: None, depth: Some(0), sources: Vec::new() }
    }

    /// Whether `id` is this node or any node on its chain of sources.
    pub fn contains(&self, id: &InstanceId) -> bool {
        self.instance_id.as_ref() == Some(id)
            || self.sources.iter().any(|s| s.info.as_ref().is_some_and(|i| i.contains(id)))
    }

    /// The same info with at most `levels` levels of sources and
    /// [`MAX_FOLLOW_INFO_SOURCES`] sources per level: what a peer's answer is cut to before it
    /// is kept.
    pub fn truncated(mut self, levels: usize) -> Self {
        self.sources.truncate(MAX_FOLLOW_INFO_SOURCES);
        for source in &mut self.sources {
            source.info = match (source.info.take(), levels) {
                (Some(info), 1..) => Some(Box::new(info.truncated(levels - 1))),
                _ => None,
            };
        }
        if levels == 0 {
            self.sources.clear();
        }
        self
    }

    /// The depth of a light node with these sources' infos: one more than the nearest source
    /// that reaches a deriving node.
    pub fn depth_over<'a>(sources: impl IntoIterator<Item = &'a FollowInfo>) -> Option<u64> {
        sources.into_iter().filter_map(|i| i.depth).min().map(|d| d.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn light(id: u8, sources: Vec<Option<FollowInfo>>) -> FollowInfo {
        let depth = FollowInfo::depth_over(sources.iter().flatten());
        FollowInfo {
            mode: Mode::Light,
            instance_id: Some(B128::repeat_byte(id)),
            depth,
            sources: sources
                .into_iter()
                .enumerate()
                .map(|(index, info)| SourceInfo {
                    index: index as u32,
                    kind: SourceKind::Rollup,
                    used: true,
                    vouched_safe: false,
                    vouched_finalized: false,
                    info: info.map(Box::new),
                })
                .collect(),
        }
    }

    #[test]
    fn json_shape() {
        let info = light(1, vec![Some(FollowInfo::deriving()), None]);
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "mode": "light",
                "instanceId": "0x01010101010101010101010101010101",
                "depth": 1,
                "sources": [
                    {"index": 0, "kind": "rollup", "used": true, "vouchedSafe": false,
                     "vouchedFinalized": false,
                     "info": {"mode": "deriving", "instanceId": null, "depth": 0, "sources": []}},
                    {"index": 1, "kind": "rollup", "used": true, "vouchedSafe": false,
                     "vouchedFinalized": false, "info": null}
                ]
            })
        );
        assert_eq!(serde_json::from_value::<FollowInfo>(json).unwrap(), info);
        // A minimal answer from another implementation: only the mode.
        let bare: FollowInfo = serde_json::from_str(r#"{"mode":"deriving"}"#).unwrap();
        assert_eq!((bare.mode, bare.depth, bare.sources.len()), (Mode::Deriving, None, 0));
        assert!(serde_json::from_str::<FollowInfo>(r#"{"mode":"other"}"#).is_err());
    }

    #[test]
    fn depth_and_cycles() {
        let b = light(2, vec![Some(FollowInfo::deriving())]);
        let a = light(1, vec![Some(b.clone()), None]);
        assert_eq!((b.depth, a.depth), (Some(1), Some(2)));
        assert!(a.contains(&B128::repeat_byte(2)));
        assert!(!a.contains(&B128::repeat_byte(3)));
        // No source reaches a deriving node: unknown, not zero.
        assert_eq!(light(3, vec![None]).depth, None);
        assert_eq!(FollowInfo::depth_over([&light(3, vec![None]), &b]), Some(2));
    }

    #[test]
    fn truncation_bounds_levels_and_sources() {
        let mut info = FollowInfo::deriving();
        for id in 0..20u8 {
            info = light(id, vec![Some(info)]);
        }
        let wide = light(99, (0..20).map(|_| Some(FollowInfo::deriving())).collect());
        assert_eq!(wide.truncated(MAX_FOLLOW_INFO_DEPTH).sources.len(), MAX_FOLLOW_INFO_SOURCES);
        let cut = info.truncated(2);
        let level1 = cut.sources[0].info.as_ref().unwrap();
        let level2 = level1.sources[0].info.as_ref().unwrap();
        assert!(level2.sources.is_empty(), "cut after two levels");
        assert!(cut.contains(&B128::repeat_byte(18)) && !cut.contains(&B128::repeat_byte(16)));
    }
}
