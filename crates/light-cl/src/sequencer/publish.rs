//! Where a sealed block goes: other rollup nodes over RPC (`--rollup.publish-to`) and the
//! gossip network, behind one trait.

use futures::future::BoxFuture;
use light_cl_rpc::PayloadPublisher;
use op_alloy_rpc_types_engine::OpExecutionData;

/// A place the sequencer publishes every sealed block to.
pub trait Publish: Send + Sync + std::fmt::Debug {
    /// What it is, for the metrics (`rpc`, `gossip`).
    fn kind(&self) -> &'static str;

    /// The target, for logs (never holding a secret).
    fn target(&self) -> String;

    /// Publishes one sealed block; the error says why not.
    fn publish<'a>(&'a self, payload: &'a OpExecutionData) -> BoxFuture<'a, Result<(), String>>;
}

impl Publish for PayloadPublisher {
    fn kind(&self) -> &'static str {
        "rpc"
    }

    fn target(&self) -> String {
        self.url().to_string()
    }

    fn publish<'a>(&'a self, payload: &'a OpExecutionData) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move { self.post(payload).await.map_err(|e| e.to_string()) })
    }
}
