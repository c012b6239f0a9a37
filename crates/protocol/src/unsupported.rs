//! Forks a rollup config schedules that the execution layer this node is built on (op-reth
//! v1.10.2, which implements OP forks through Jovian) cannot execute: Interop, and every
//! `*_time` key [`ForkTimes`](crate::ForkTimes) does not know (Karst, Upgrade 19, and later).

use crate::RollupConfig;
use serde_json::Value;

/// A fork scheduled in a rollup config that this node cannot execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedFork {
    /// The rollup.json key, e.g. `karst_time`.
    pub key: String,
    /// Activation time (an L2 timestamp). A value that is not a time reads as 0: active.
    pub time: u64,
}

impl UnsupportedFork {
    /// The fork's name, e.g. `karst`.
    pub fn name(&self) -> &str {
        self.key.strip_suffix("_time").unwrap_or(&self.key)
    }

    /// Whether a block with `timestamp` is at or after the activation.
    pub const fn is_active(&self, timestamp: u64) -> bool {
        timestamp >= self.time
    }
}

impl RollupConfig {
    /// The forks scheduled here that this node cannot execute, earliest first.
    pub fn unsupported_forks(&self) -> Vec<UnsupportedFork> {
        let mut forks: Vec<_> = self
            .other
            .iter()
            .filter(|(key, value)| key.ends_with("_time") && !value.is_null())
            .map(|(key, value)| UnsupportedFork { key: key.clone(), time: time(value) })
            .collect();
        if let Some(time) = self.forks.interop_time {
            forks.push(UnsupportedFork { key: "interop_time".into(), time });
        }
        forks.sort_by_key(|f| f.time);
        forks
    }

    /// The earliest fork this node cannot execute, if any: no block at or after its time may
    /// be executed here.
    pub fn fork_limit(&self) -> Option<UnsupportedFork> {
        self.unsupported_forks().into_iter().next()
    }
}

/// A fork time as op-node writes it (a JSON number) or as a quantity string; anything else is 0,
/// so that a key that cannot be read counts as active (fail closed).
fn time(value: &Value) -> u64 {
    match value {
        Value::Number(n) => n.as_u64().unwrap_or(0),
        Value::String(s) => s
            .strip_prefix("0x")
            .map_or_else(|| s.parse().ok(), |hex| u64::from_str_radix(hex, 16).ok())
            .unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OP_MAINNET: &str = include_str!("../testdata/rollup_op-mainnet_reconstructed.json");

    fn with(extra: &[(&str, Value)]) -> RollupConfig {
        let mut v: Value = serde_json::from_str(OP_MAINNET).unwrap();
        for (k, x) in extra {
            v[*k] = x.clone();
        }
        RollupConfig::from_json(&v.to_string()).unwrap()
    }

    #[test]
    fn karst_and_unknown_forks_are_unsupported() {
        assert_eq!(with(&[]).fork_limit(), None, "through Jovian: all supported");
        // OP Mainnet's Karst activation, 2026-07-08.
        let c = with(&[("karst_time", 1783526401u64.into()), ("future_time", "0x7fffffff".into())]);
        let forks = c.unsupported_forks();
        assert_eq!(forks.len(), 2);
        let karst = c.fork_limit().unwrap();
        assert_eq!((karst.name(), karst.time), ("karst", 1783526401));
        assert!(!karst.is_active(1783526399) && karst.is_active(1783526401));
        assert_eq!(forks[1].time, 0x7fffffff);
    }

    #[test]
    fn interop_is_unsupported_and_unreadable_times_fail_closed() {
        let c = with(&[("interop_time", 5000u64.into()), ("karst_time", "soon".into())]);
        let names: Vec<_> = c.unsupported_forks().iter().map(|f| (f.key.clone(), f.time)).collect();
        assert_eq!(names, vec![("karst_time".into(), 0), ("interop_time".into(), 5000)]);
        let c = with(&[("karst_time", Value::Null)]);
        assert_eq!(c.fork_limit(), None, "null: not scheduled");
    }
}
