//! op-conductor, for a sequencer run with high availability (book: "Running a light-CL
//! sequencer", op-conductor): a block is built only while the conductor says this node leads,
//! and committed to the conductor before it becomes the head or is published.

use futures::future::BoxFuture;
use light_cl_rpc::ConductorClient;
use op_alloy_rpc_types_engine::OpExecutionData;

/// The conductor a sequencer builds under.
pub trait Conductor: Send + Sync + std::fmt::Debug {
    /// Where it is, for logs.
    fn target(&self) -> String;

    /// Whether this node leads the conductor's cluster.
    fn leader(&self) -> BoxFuture<'_, Result<bool, String>>;

    /// Commits a sealed block to the cluster; the error says why not.
    fn commit<'a>(&'a self, payload: &'a OpExecutionData) -> BoxFuture<'a, Result<(), String>>;
}

impl Conductor for ConductorClient {
    fn target(&self) -> String {
        self.url().to_string()
    }

    fn leader(&self) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move { ConductorClient::leader(self).await.map_err(|e| e.to_string()) })
    }

    fn commit<'a>(&'a self, payload: &'a OpExecutionData) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(
            async move { ConductorClient::commit(self, payload).await.map_err(|e| e.to_string()) },
        )
    }
}
