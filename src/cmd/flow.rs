//! `fabchart flow <flow>`: print an Argo Workflow on stdout.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::identity::{Record, RECORD_FILE};
use crate::model::layout::CRYPTO_DIR;
use crate::model::Network;
use crate::render::chart::CHART_NAME;
use crate::render::workflow::{self as flow, Flow, FlowOptions};
use crate::{compile, console, load, model, Outcome};

#[derive(Debug, clap::Args)]
#[command(after_help = flow_help())]
pub struct FlowCommand {
    #[command(subcommand)]
    pub flow: FlowKind,
}

fn flow_help() -> String {
    format!(
        "Usage: fabchart flow channel | argo submit - --watch\n\n{}",
        flow::options::help(None)
    )
}

#[derive(Debug, clap::Subcommand)]
pub enum FlowKind {
    /// Create channels on the orderers, join peers, set anchor peers.
    #[command(after_help = flow::options::help(Some(Flow::Channel)))]
    Channel(FlowArgs),
    /// Install, approve and commit chaincodes (and optionally invoke them).
    #[command(after_help = flow::options::help(Some(Flow::Chaincode)))]
    Chaincode(FlowArgs),
    /// Add the orgs network.yaml puts on a channel to the channel's config.
    #[command(after_help = flow::options::help(Some(Flow::PeerOrg)))]
    PeerOrg(FlowArgs),
    /// Change one channel config value (capabilities, batch size, policies, any JSON path).
    #[command(after_help = flow::options::help(Some(Flow::ChannelUpdate)))]
    ChannelUpdate(FlowArgs),
    /// Copy peer, CouchDB and orderer data to object storage.
    #[command(after_help = flow::options::help(Some(Flow::Backup)))]
    Backup(FlowArgs),
    /// Put a backup back onto the nodes' volumes.
    #[command(after_help = flow::options::help(Some(Flow::Restore)))]
    Restore(FlowArgs),
    /// Check that the running channels can go on under Fabric 3 (before the upgrade).
    #[command(after_help = flow::options::help(Some(Flow::UpgradeCheck)))]
    UpgradeCheck(FlowArgs),
    /// Replace, one at a time, the node pods a helm upgrade left outdated (updateStrategy OnDelete).
    #[command(after_help = flow::options::help(Some(Flow::Rollout)))]
    Rollout(FlowArgs),
}

#[derive(Debug, clap::Args)]
pub struct FlowArgs {
    /// Project folder with network.yaml, crypto-config.yaml and configtx.yaml
    /// [default: the current folder].
    #[arg(value_name = "PROJECT", conflicts_with = "project")]
    pub project_dir: Option<PathBuf>,
    /// The project folder, as an option (PIVT's and earlier fabchart's way).
    #[arg(short, long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Set an option: key=value[,key=value], lists as {a,b}.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Read options from a YAML file (e.g. hostAliases.yaml); later files win.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
}

pub fn run(command: &FlowCommand) -> anyhow::Result<Outcome> {
    let (kind, args) = match &command.flow {
        FlowKind::Channel(a) => (Flow::Channel, a),
        FlowKind::Chaincode(a) => (Flow::Chaincode, a),
        FlowKind::PeerOrg(a) => (Flow::PeerOrg, a),
        FlowKind::ChannelUpdate(a) => (Flow::ChannelUpdate, a),
        FlowKind::Backup(a) => (Flow::Backup, a),
        FlowKind::Restore(a) => (Flow::Restore, a),
        FlowKind::UpgradeCheck(a) => (Flow::UpgradeCheck, a),
        FlowKind::Rollout(a) => (Flow::Rollout, a),
    };
    let options = FlowOptions::load(kind, &args.values, &args.set)?;
    let project = args
        .project_dir
        .clone()
        .or_else(|| args.project.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    let text = render(&project, &options)?;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // The reader went away (`| head`): nothing left to tell it.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Outcome::Success),
        other => {
            other.context("cannot write to stdout")?;
            Ok(Outcome::Success)
        }
    }
}

/// The workflow YAML of the flow `options` are for, for the project in `dir`.
pub fn render(dir: &std::path::Path, options: &FlowOptions) -> anyhow::Result<String> {
    let project = load::load(dir)?;
    let network = model::build(&project)?;
    for warning in &network.warnings {
        console::warn(format_args!("{warning}"));
    }
    if let (Flow::Channel | Flow::PeerOrg, Some(selection)) = (options.flow(), options.channels()) {
        refuse_placeholders(dir, &network, &selection.include)?;
    }
    let name = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "network".into());
    let workflow = flow::workflow(&network, options, &name)?;
    flow::to_yaml(&workflow)
}

/// Channel and peer-org flows need the public MSP of every external org on
/// their channels (configtxgen reads it): refused while one is a placeholder.
/// An external org's MSP is there once the identity record pins it; a
/// consenter's certificate is looked for in the chart compile wrote by
/// default (PROJECT/out/hlf-kube), when there is one.
fn refuse_placeholders(
    dir: &std::path::Path,
    network: &Network,
    include: &[String],
) -> anyhow::Result<()> {
    let record = Record::load(dir)?;
    let crypto = dir.join("out").join(CHART_NAME).join(CRYPTO_DIR);
    let channels: Vec<_> = network
        .channels
        .iter()
        .filter(|c| include.is_empty() || include.contains(&c.name))
        .collect();
    let problems = compile::external_placeholders(
        network,
        &channels,
        |index| record.get(&network.orgs[index].msp_id).is_some(),
        |rel| crypto.is_dir().then(|| crypto.join(rel).is_file()),
    );
    if problems.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "the workflow would fail in the cluster:\n  {}\n(an external org counts as there once its bundle \
         is imported, or its public MSP found by `fabchart compile`, and pinned in {})",
        problems.join("\n  "),
        dir.join(RECORD_FILE).display()
    )
}
