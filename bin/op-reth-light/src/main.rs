//! op-reth-light: op-reth whose forkchoice is driven in-process by the light CL.
//!
//! Without `--rollup.follow-source` it is op-reth: every subcommand (init, db, stage, …) works
//! as there.

use clap::Parser;
use op_reth_light::{args::LightArgs, LightCl};
use reth_optimism_cli::{chainspec::OpChainSpecParser, Cli};
use reth_optimism_node::OpNode;

#[global_allocator]
static ALLOC: reth_cli_util::allocator::Allocator = reth_cli_util::allocator::new_allocator();

fn main() {
    reth_cli_util::sigsegv_handler::install();

    let result = Cli::<OpChainSpecParser, LightArgs>::parse().run(async move |builder, args| {
        let light = LightCl::from_args(&args.light)?;
        let rpc = light.as_ref().map(LightCl::rpc);
        let handle = builder
            .node(OpNode::new(args.rollup))
            .extend_rpc_modules(move |ctx| match rpc {
                Some(rpc) => rpc.register(ctx.modules),
                None => Ok(()),
            })
            .on_node_started(move |node| match light {
                Some(light) => light.start(node),
                None => Ok(()),
            })
            .launch_with_debug_capabilities()
            .await?;
        handle.node_exit_future.await
    });

    if let Err(err) = result {
        eprintln!("Error: {err:?}");
        std::process::exit(1);
    }
}
