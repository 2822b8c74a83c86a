//! `fabchart compile`: load -> model -> generate -> render -> write.

use std::path::{Path, PathBuf};

use anyhow::Context;
use indexmap::IndexMap;

use crate::generate::{crypto, package};
use crate::model::{self, Network};
use crate::render::chart::{self, CHART_NAME};
use crate::write::{read_tree, Staging, TreeDiff};
use crate::{load, Outcome};

#[derive(Debug, clap::Args)]
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
    /// Do not write; exit non-zero and list the differences when the output is stale.
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: &CompileArgs) -> anyhow::Result<Outcome> {
    let project = load::load(&args.project)?;
    let network = model::build(&project)?;
    for warning in &network.warnings {
        eprintln!("warning: {warning}");
    }
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| args.project.join("out"));
    let existing_chart = out.join(CHART_NAME);
    let existing_crypto = args.crypto.clone().or_else(|| {
        [
            existing_chart.join("crypto-config"),
            args.project.join("crypto-config"),
        ]
        .into_iter()
        .find(|p| p.is_dir())
    });

    let staging = Staging::new(&out)?;
    let chart_dir = staging.path().join(CHART_NAME);
    let report = compile_into(&network, existing_crypto.as_deref(), &chart_dir)?;

    if args.check {
        let diff = TreeDiff::between(&read_tree(&existing_chart)?, &read_tree(&chart_dir)?);
        if diff.is_empty() {
            eprintln!("{} is up to date", existing_chart.display());
            return Ok(Outcome::Success);
        }
        eprintln!(
            "{} is stale; run `fabchart compile {}`:",
            existing_chart.display(),
            args.project.display()
        );
        for (label, paths) in [
            ("added", &diff.added),
            ("changed", &diff.changed),
            ("removed", &diff.removed),
        ] {
            for path in paths {
                eprintln!("  {label}: {path}");
            }
        }
        return Ok(Outcome::Stale);
    }
    staging.commit(CHART_NAME)?;
    eprintln!(
        "wrote {} ({} keys and certificates generated, {} reused)",
        existing_chart.display(),
        report.generated.len(),
        report.reused.len()
    );
    Ok(Outcome::Success)
}

/// Generates and renders the whole chart into `chart_dir`.
pub fn compile_into(
    network: &Network,
    existing_crypto: Option<&Path>,
    chart_dir: &Path,
) -> anyhow::Result<crypto::CryptoReport> {
    let specs: Vec<_> = network.orgs.iter().map(|o| o.crypto.clone()).collect();
    let crypto_root = chart_dir.join("crypto-config");
    std::fs::create_dir_all(&crypto_root)
        .with_context(|| format!("cannot create {}", crypto_root.display()))?;
    let report = crypto::generate(&specs, existing_crypto, &crypto_root, certificate_time()?)?;

    let mut package_ids = IndexMap::new();
    for chaincode in &network.chaincodes {
        for pkg in &chaincode.packages {
            let built = package::build(chaincode, pkg)
                .with_context(|| format!("cannot package chaincode {}", chaincode.name))?;
            chart::write_file(&chart_dir.join(&pkg.file), &built.bytes)?;
            package_ids.insert(pkg.file.clone(), built.id);
        }
    }
    chart::render(network, &package_ids, chart_dir)?;
    Ok(report)
}

/// notBefore of new certificates: SOURCE_DATE_EPOCH when set (reproducible
/// builds), else now.
fn certificate_time() -> anyhow::Result<time::OffsetDateTime> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => {
            let seconds: i64 = value.trim().parse().with_context(|| {
                format!("SOURCE_DATE_EPOCH `{value}` is not a number of seconds")
            })?;
            Ok(time::OffsetDateTime::from_unix_timestamp(seconds)?)
        }
        Err(_) => Ok(time::OffsetDateTime::now_utc()),
    }
}
