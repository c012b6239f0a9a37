//! The follow sources the arguments name: their client settings (headers for the first source
//! only), the rollup nodes to fetch the config from, the source kinds, the source EL, and this
//! node's instance id.

use crate::args::FollowArgs;
use eyre::WrapErr;
use light_cl::{Endpoint, SourceSpec, Sources};
use light_cl_protocol::{ChainGenesis, InstanceId, SourceKind};
use light_cl_rpc::{CappedClient, CappedConfig, L2Client, DEFAULT_L2_TIMEOUT};
use std::{path::Path, time::Duration};
use tracing::info;

/// The `--rollup.follow-source` list with its settings, checked.
#[derive(Debug)]
pub(crate) struct SourceSet {
    specs: Vec<SourceSpec>,
    /// Timeout and headers of source 0 (headers go to the first source only).
    first: CappedConfig,
    quorum: usize,
}

impl SourceSet {
    /// The sources of `args`; `None` without any. Every URL must make a client, and the
    /// number of sources and the quorum must be able to run.
    pub(crate) fn from_args(args: &FollowArgs) -> eyre::Result<Option<Self>> {
        let Some(spec) = args.follow_source.first() else { return Ok(None) };
        let mut first = CappedConfig::new(spec.url.clone());
        first.timeout = args.follow_source_timeout;
        first.headers = args.headers().map_err(|e| eyre::eyre!(e))?;
        let set = Self { specs: args.follow_source.clone(), first, quorum: args.follow_quorum };
        for i in 0..set.specs.len() {
            CappedClient::new(set.settings(i))
                .wrap_err_with(|| format!("--rollup.follow-source number {i}"))?;
        }
        Sources::new(vec![(); set.specs.len()], set.quorum)?;
        Ok(Some(set))
    }

    /// The client settings of source `index`: the timeout of all, the headers of source 0
    /// only (a header can carry one source's API key).
    fn settings(&self, index: usize) -> CappedConfig {
        let mut config = self.first.clone();
        config.url = self.specs[index].url.clone();
        if index > 0 {
            config.headers.clear();
        }
        config
    }

    /// How many must vouch for a head.
    pub(crate) fn quorum(&self) -> usize {
        self.quorum
    }

    /// Time allowed for one request, and for all sources' answers in one tick.
    pub(crate) fn timeout(&self) -> Duration {
        self.first.timeout
    }

    /// Whether every source is declared an execution RPC (`el:`).
    pub(crate) fn all_execution(&self) -> bool {
        self.specs.iter().all(|s| s.kind == Some(SourceKind::Execution))
    }

    /// Clients of the sources not declared `el:`, by index: those that may serve
    /// `optimism_rollupConfig`.
    pub(crate) fn rollup_nodes(&self) -> eyre::Result<Vec<(usize, CappedClient)>> {
        let indexes =
            (0..self.specs.len()).filter(|&i| self.specs[i].kind != Some(SourceKind::Execution));
        Ok(indexes
            .map(|i| CappedClient::new(self.settings(i)).map(|c| (i, c)))
            .collect::<Result<_, _>>()?)
    }

    /// The sources as the follow task reads them, for the chain that starts at `genesis`.
    pub(crate) fn endpoints(&self, genesis: &ChainGenesis) -> eyre::Result<Sources<Endpoint>> {
        let endpoints = (0..self.specs.len())
            .map(|i| Endpoint::new(i, &self.specs[i], self.settings(i), genesis.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sources::new(endpoints, self.quorum)?)
    }

    /// The source EL and the source it belongs to: `explicit` (`--rollup.follow-source-el`)
    /// with source 0, else the first `el:` source itself.
    pub(crate) fn source_el(
        &self,
        explicit: Option<L2Client>,
    ) -> eyre::Result<Option<(L2Client, usize)>> {
        if let Some(el) = explicit {
            return Ok(Some((el, 0)));
        }
        let Some(i) = self.specs.iter().position(|s| s.kind == Some(SourceKind::Execution)) else {
            return Ok(None);
        };
        let mut settings = self.settings(i);
        settings.timeout = settings.timeout.max(DEFAULT_L2_TIMEOUT);
        Ok(Some((L2Client::with_config(settings)?, i)))
    }
}

/// This node's instance id, kept in `<datadir>/light-cl/instance-id` (created at first start).
pub(crate) fn instance_id(datadir: &Path) -> eyre::Result<InstanceId> {
    let path = datadir.join("light-cl").join("instance-id");
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse()
            .wrap_err_with(|| format!("{} does not hold an instance id", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id = InstanceId::random();
            std::fs::create_dir_all(path.parent().expect("a parent"))
                .and_then(|()| std::fs::write(&path, format!("{id}\n")))
                .wrap_err_with(|| format!("writing {}", path.display()))?;
            info!(target: "light_cl", %id, "created this node's instance id");
            Ok(id)
        }
        Err(e) => Err(e).wrap_err_with(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_go_to_the_first_source_only_and_the_id_is_kept() {
        let args = FollowArgs {
            follow_source: vec!["http://a".parse().unwrap(), "el:http://b".parse().unwrap()],
            follow_source_headers: vec!["Authorization: Bearer key".into()],
            l1_rpc: Some("http://l1".parse().unwrap()),
            ..Default::default()
        };
        let set = SourceSet::from_args(&args).unwrap().unwrap();
        assert_eq!(set.settings(0).headers.len(), 1);
        assert!(set.settings(1).headers.is_empty());
        assert_eq!(set.settings(1).url.as_str(), "http://b/");
        assert_eq!(set.rollup_nodes().unwrap().iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0]);
        assert_eq!(set.source_el(None).unwrap().map(|(_, i)| i), Some(1));
        let dir = tempfile::tempdir().unwrap();
        let id = instance_id(dir.path()).unwrap();
        assert_eq!(instance_id(dir.path()).unwrap(), id, "kept across starts");
        std::fs::write(dir.path().join("light-cl/instance-id"), "nonsense").unwrap();
        assert!(instance_id(dir.path()).is_err());
    }
}
