//! op-reth-light: op-reth whose forkchoice is driven in-process by the light CL.
//!
//! Without `--rollup.follow-source` it is op-reth: every subcommand (init, db, stage, …) works
//! as there.

use clap::Parser;
use op_reth_light::{args::LightArgs, with_light_cl, LightCl};
use reth_optimism_cli::{chainspec::OpChainSpecParser, Cli};
use reth_optimism_node::OpNode;

#[global_allocator]
static ALLOC: reth_cli_util::allocator::Allocator = reth_cli_util::allocator::new_allocator();

fn main() {
    reth_cli_util::sigsegv_handler::install();

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
