//! op-reth-light: op-reth whose forkchoice is driven in-process by the light CL.
//!
//! Without `--rollup.follow-source` it is op-reth: every subcommand (init, db, stage, …) works
//! as there. `op-reth-light devnet` runs a whole local OP chain (see its `--help`).

use clap::Parser;
use op_reth_light::{
    args::LightArgs,
    devnet::{self, DevnetArgs},
    with_light_cl, LightCl,
};
use reth_optimism_cli::{chainspec::OpChainSpecParser, Cli};
use reth_optimism_node::OpNode;

#[global_allocator]
static ALLOC: reth_cli_util::allocator::Allocator = reth_cli_util::allocator::new_allocator();

fn main() {
    reth_cli_util::sigsegv_handler::install();

    if std::env::args_os().nth(1).is_some_and(|a| a == "devnet") {
        let args = DevnetArgs::parse_from(std::env::args_os().skip(1));
        let _guard = devnet_tracing();
        std::process::exit(devnet::run(args));
    }

    let result = Cli::<OpChainSpecParser, LightArgs>::parse().run(async move |builder, args| {
        let light = LightCl::from_args(&args.light)?;
        let handle = with_light_cl!(builder.node(OpNode::new(args.rollup)), light)
            .launch_with_debug_capabilities()
            .await?;
        handle.node_exit_future.await
    });

    if let Err(err) = result {
        eprintln!("Error: {err:?}");
        std::process::exit(1);
    }
}

/// The devnet's own log: warnings of everything, its progress and the dev source at info.
fn devnet_tracing() -> Option<reth_tracing::tracing_appender::non_blocking::WorkerGuard> {
    use reth_tracing::{LayerInfo, LogFormat, RethTracer, Tracer};
    use std::io::IsTerminal;
    let color = if std::io::stdout().is_terminal() { "always" } else { "never" };
    let layer = LayerInfo::new(
        LogFormat::Terminal,
        "warn".into(),
        devnet::LOG_FILTER.into(),
        Some(color.into()),
    );
    match RethTracer::new().with_stdout(layer).init() {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("Error: cannot start logging: {e}");
            None
        }
    }
}
