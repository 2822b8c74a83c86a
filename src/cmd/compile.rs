//! `fabchart compile`: load -> model -> generate -> render -> write.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indexmap::IndexMap;

use crate::generate::{crypto, package};
use crate::model::{self, Network};
use crate::render::chart::{self, CHART_NAME};
use crate::render::secrets::{self, SECRETS_FILE};
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
    /// Keep private keys out of the chart: the full crypto-config/ lives in
    /// DIR (reused on every compile), with DIR/hlf-kube-secrets.yaml to
    /// `kubectl apply` before installing; the chart only references the Secrets.
    #[arg(long, value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,
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
    let previous_outside = chart::secrets_outside(&existing_chart)?;
    if previous_outside && args.keys_dir.is_none() && args.crypto.is_none() {
        anyhow::bail!(
            "{} was compiled with --keys-dir, so its crypto-config/ holds no private keys; \
             compile again with --keys-dir and the same folder (or --crypto with the full material)",
            existing_chart.display()
        );
    }
    let mut candidates = Vec::new();
    if let Some(keys) = &args.keys_dir {
        candidates.push(keys.join(CRYPTO_DIR));
    }
    if !previous_outside {
        candidates.push(existing_chart.join(CRYPTO_DIR));
    }
    candidates.push(args.project.join(CRYPTO_DIR));
    let existing_crypto = args
        .crypto
        .clone()
        .or_else(|| candidates.into_iter().find(|p| p.is_dir()));

    let staging = Staging::new(&out)?;
    let keys_staging = match &args.keys_dir {
        Some(dir) => Some(keys_staging(dir)?),
        None => None,
    };
    let chart_dir = staging.path().join(CHART_NAME);
    let report = compile_into(
        &network,
        existing_crypto.as_deref(),
        &chart_dir,
        keys_staging.as_ref().map(Staging::path),
    )?;

    if args.check {
        let mut old = read_tree(&existing_chart)?;
        let mut new = read_tree(&chart_dir)?;
        if let (Some(dir), Some(staged)) = (&args.keys_dir, &keys_staging) {
            for name in KEYS_DIR_ENTRIES {
                let prefix = format!("{}/{name}", dir.display());
                old.extend(prefixed(&prefix, read_entry(&dir.join(name))?));
                new.extend(prefixed(&prefix, read_entry(&staged.path().join(name))?));
            }
        }
        let diff = TreeDiff::between(&old, &new);
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
    let size = tree_size(&chart_dir)?;
    if args.keys_dir.is_none() && size > LARGE_CHART_BYTES {
        eprintln!(
            "warning: the chart holds {:.1} MB; Helm keeps a release (chart and rendered \
             Secrets, compressed) in one Secret of at most 1 MiB, which this may exceed. \
             Compile with --keys-dir DIR to keep keys and node certificates out of the chart",
            size as f64 / 1e6
        );
    }
    // Keys first: a chart must never reference Secrets whose keys were not kept.
    if let Some(keys) = &keys_staging {
        for name in KEYS_DIR_ENTRIES {
            keys.commit(name)?;
        }
    }
    staging.commit(CHART_NAME)?;
    if let Some(dir) = &args.keys_dir {
        eprintln!(
            "keys are in {}; apply {} before installing the chart",
            dir.display(),
            dir.join(SECRETS_FILE).display()
        );
    }
    eprintln!(
        "wrote {} ({} keys and certificates generated, {} reused)",
        existing_chart.display(),
        report.generated.len(),
        report.reused.len()
    );
    Ok(Outcome::Success)
}

const CRYPTO_DIR: &str = "crypto-config";

/// Above this many bytes of chart files, a release may not fit Helm's 1 MiB
/// release Secret (measured: 6.7 MB of chart files compress to 1.3 MB).
const LARGE_CHART_BYTES: u64 = 3_500_000;

fn tree_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        if entry.file_type().is_file() {
            total += entry
                .metadata()
                .with_context(|| format!("cannot read {}", entry.path().display()))?
                .len();
        }
    }
    Ok(total)
}

/// What `--keys-dir` holds, each replaced whole on a compile.
const KEYS_DIR_ENTRIES: [&str; 2] = [CRYPTO_DIR, SECRETS_FILE];

/// A staging folder in the keys folder, which is made private (0700) when new.
fn keys_staging(dir: &Path) -> anyhow::Result<Staging> {
    if !dir.exists() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Staging::new(dir)
}

/// A file or a folder's files, by relative path (empty when absent).
fn read_entry(path: &Path) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    if path.is_file() {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        return Ok(BTreeMap::from([(String::new(), bytes)]));
    }
    read_tree(path)
}

fn prefixed(
    prefix: &str,
    tree: BTreeMap<String, Vec<u8>>,
) -> impl Iterator<Item = (String, Vec<u8>)> + '_ {
    tree.into_iter().map(move |(path, bytes)| {
        if path.is_empty() {
            (prefix.to_string(), bytes)
        } else {
            (format!("{prefix}/{path}"), bytes)
        }
    })
}

/// Generates and renders the whole chart into `chart_dir`. With `keys` (a
/// staged `--keys-dir`), the full crypto-config/ and the Secrets manifest go
/// there and the chart gets the public files only.
pub fn compile_into(
    network: &Network,
    existing_crypto: Option<&Path>,
    chart_dir: &Path,
    keys: Option<&Path>,
) -> anyhow::Result<crypto::CryptoReport> {
    let specs: Vec<_> = network.orgs.iter().map(|o| o.crypto.clone()).collect();
    let crypto_root = keys.unwrap_or(chart_dir).join(CRYPTO_DIR);
    std::fs::create_dir_all(&crypto_root)
        .with_context(|| format!("cannot create {}", crypto_root.display()))?;
    let report = crypto::generate(&specs, existing_crypto, &crypto_root, certificate_time()?)?;
    if keys.is_some() {
        copy_public(network, &crypto_root, chart_dir)?;
    }

    let mut package_ids = IndexMap::new();
    for chaincode in &network.chaincodes {
        for pkg in &chaincode.packages {
            let built = package::build(chaincode, pkg)
                .with_context(|| format!("cannot package chaincode {}", chaincode.name))?;
            chart::write_file(&chart_dir.join(&pkg.file), &built.bytes)?;
            package_ids.insert(pkg.file.clone(), built.id);
        }
    }
    chart::render(network, &package_ids, chart_dir, keys)?;
    if let Some(keys) = keys {
        let path = keys.join(SECRETS_FILE);
        chart::write_file(&path, secrets::manifest(network, keys)?.as_bytes())?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", path.display()))?;
    }
    Ok(report)
}

/// Copies from the full `crypto` tree into the chart's `crypto-config/` what
/// the chart and configtx.yaml read besides the Secrets: every org's public
/// `msp/` folder and the consenters' TLS certificates. Nothing else, so the
/// chart stays small (Helm keeps a release in one 1 MiB Secret).
fn copy_public(network: &Network, crypto: &Path, chart_dir: &Path) -> anyhow::Result<()> {
    let msp_dirs: Vec<String> = network
        .orgs
        .iter()
        .map(|o| format!("{}/", o.msp_dir))
        .collect();
    let certs: Vec<&str> = network
        .channels
        .iter()
        .flat_map(|c| &c.profile.orderer.consenters)
        .map(|c| c.tls_cert.as_str())
        .collect();
    for entry in walkdir::WalkDir::new(crypto).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot read {}", crypto.display()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = Path::new(CRYPTO_DIR).join(entry.path().strip_prefix(crypto)?);
        let rel_text = rel.to_string_lossy();
        let wanted = msp_dirs.iter().any(|d| rel_text.starts_with(d.as_str()))
            || certs.contains(&rel_text.as_ref());
        if !wanted || crypto::is_private_key(&rel) {
            continue;
        }
        let target = chart_dir.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(entry.path(), &target)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(())
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
