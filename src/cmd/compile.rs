//! `fabchart compile`: arguments in, [`crate::compile`] run, outcome reported.

use std::path::PathBuf;

use crate::compile::{self, Compiled};
use crate::{console, Outcome};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Exit status: 0 written (or, with --check, up to date); 1 stale (--check only);
2 error (bad input, a refusal to replace keys or foreign files, a failed write).

fabchart records each org's CA in PROJECT/fabchart.lock (commit it with the
inputs) and never makes a new CA for an org recorded there.")]
pub struct CompileArgs {
    /// Project folder with network.yaml, crypto-config.yaml and configtx.yaml.
    pub project: PathBuf,
    /// Where to write the chart (as OUT/hlf-kube). Default: PROJECT/out.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Existing crypto-config/ tree to reuse (made by cryptogen, a CA, or
    /// another cluster). Default: the previous output's, else PROJECT/crypto-config.
    #[arg(long, value_name = "DIR")]
    pub crypto: Option<PathBuf>,
    /// Keep private keys out of the chart: the full crypto-config/ lives in
    /// DIR (reused on every compile), with DIR/hlf-kube-secrets.yaml to
    /// `kubectl apply` before installing; the chart only references the Secrets.
    #[arg(long, value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,
    /// Write nothing; exit 1 and list the differences when the output is stale.
    #[arg(long)]
    pub check: bool,
    /// Make new CAs for ORG (name or MSP ID; several: repeat, or A,B) although
    /// fabchart.lock records its CAs: a new identity, which every channel must
    /// be updated with.
    #[arg(long, value_name = "ORG", value_delimiter = ',')]
    pub replace_ca: Vec<String>,
    /// Drop ORG (several: repeat, or A,B), recorded in fabchart.lock but gone
    /// from the inputs, and its keys.
    #[arg(long, value_name = "ORG", value_delimiter = ',')]
    pub forget: Vec<String>,
}

pub fn run(args: &CompileArgs) -> anyhow::Result<Outcome> {
    let options = compile::Options {
        project: args.project.clone(),
        output: args.output.clone(),
        crypto: args.crypto.clone(),
        keys_dir: args.keys_dir.clone(),
        check: args.check,
        replace_ca: args.replace_ca.clone(),
        forget: args.forget.clone(),
        now: None,
    };
    match compile::compile(&options)? {
        Compiled::Written {
            chart,
            generated,
            reused,
            record_changed,
        } => {
            if let Some(dir) = &args.keys_dir {
                console::note(format_args!(
                    "keys are in {}; apply {} before installing the chart",
                    dir.display(),
                    dir.join(crate::render::chart::secrets::SECRETS_FILE)
                        .display()
                ));
            }
            if record_changed {
                console::note(format_args!(
                    "recorded the orgs' CAs in {}; commit it with the inputs",
                    args.project.join(crate::identity::RECORD_FILE).display()
                ));
            }
            console::note(format_args!(
                "wrote {} ({generated} keys and certificates generated, {reused} reused)",
                chart.display()
            ));
            Ok(Outcome::Success)
        }
        Compiled::UpToDate { chart } => {
            console::note(format_args!("{} is up to date", chart.display()));
            Ok(Outcome::Success)
        }
        Compiled::Stale { chart, diff } => {
            console::note(format_args!(
                "{} is stale; run `fabchart compile {}`:",
                chart.display(),
                args.project.display()
            ));
            for (label, paths) in [
                ("added", &diff.added),
                ("changed", &diff.changed),
                ("removed", &diff.removed),
            ] {
                for path in paths {
                    console::note(format_args!("  {label}: {path}"));
                }
            }
            Ok(Outcome::Stale)
        }
    }
}
