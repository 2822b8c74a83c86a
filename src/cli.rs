//! Command-line arguments.

use clap::{Parser, Subcommand};

use crate::cmd::bundle::BundleCommand;
use crate::cmd::compile::CompileArgs;
use crate::cmd::flow::FlowCommand;

/// Compile a Hyperledger Fabric network definition into a Helm chart and Argo workflows.
#[derive(Debug, Parser)]
#[command(name = "fabchart", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the hlf-kube Helm chart for a project folder.
    Compile(CompileArgs),
    /// Print an Argo Workflow that brings the running network to network.yaml's state.
    Flow(FlowCommand),
    /// Exchange orgs' public material and endpoints with the network's other clusters.
    Bundle(BundleCommand),
}
