//! The compile pipeline as a library function: load -> model -> generate ->
//! render, all in memory, then write (or, with `check`, compare). No output
//! folder changes until everything has been made and checked, and then each
//! is replaced in one step (see [`crate::write`]); the chart's material may
//! be written into the private work folder while the rest is made.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use indexmap::IndexMap;
use rayon::prelude::*;

use crate::credentials::{Credentials, CREDENTIALS_FILE};
use crate::generate::crypto::{self, Existing, Generated, Problem};
use crate::generate::package;
use crate::identity::{short_fingerprint, Record, RECORD_FILE};
use crate::model::layout::CRYPTO_DIR;
use crate::model::{self, Channel, Network};
use crate::render::chart::secrets::{self, SECRETS_FILE, SECRETS_HEADER};
use crate::render::chart::{self, release, CHART_NAME, TOPOLOGY_FILE};
use crate::tree::{Tree, TreeDiff};
use crate::write::{Legacy, OnDisk, Stage, Workspace, MANIFEST};
use crate::{console, load};

mod record;

use record::{check_forgotten, msp_ids, refusal};

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub project: PathBuf,
    /// Where the chart goes (as OUT/hlf-kube); default PROJECT/out.
    pub output: Option<PathBuf>,
    /// Existing material to take instead of the previous output's.
    pub crypto: Option<PathBuf>,
    /// Keep the full material and the Secrets manifest here, not in the chart.
    pub keys_dir: Option<PathBuf>,
    /// Compare with what is on disk; write nothing.
    pub check: bool,
    /// Orgs (names or MSP IDs) whose recorded CAs are replaced on purpose.
    pub replace_ca: Vec<String>,
    /// Recorded orgs (names or MSP IDs) no longer in the inputs, to drop.
    pub forget: Vec<String>,
    /// notBefore of new certificates.
    pub now: Option<time::OffsetDateTime>,
}

/// How a compile ended.
#[derive(Debug)]
pub enum Compiled {
    /// Written: the chart folder, and how many material files were made and reused.
    Written {
        chart: PathBuf,
        generated: usize,
        reused: usize,
        record_changed: bool,
    },
    /// `check`: everything on disk is what a compile would write.
    UpToDate { chart: PathBuf },
    /// `check`: these files differ (paths as the user would find them).
    Stale { chart: PathBuf, diff: TreeDiff },
}

/// The keys folder's files (`--keys-dir`).
pub struct KeysOutput {
    /// The full `crypto-config/` tree.
    pub tree: Tree,
    /// The Secrets manifest (identity and credential Secrets).
    pub manifest: String,
    /// credentials.yaml.
    pub credentials: crate::tree::File,
}

/// Everything a compile makes, before it is written.
pub struct Outputs {
    pub network: Network,
    /// The chart folder's files.
    pub chart: Tree,
    /// With `--keys-dir`: what the keys folder gets.
    pub keys: Option<KeysOutput>,
    /// OUT/connection-profiles: the connection profiles for developers.
    pub profiles: Tree,
    pub record: Record,
    pub generated: Generated,
}

pub fn compile(options: &Options) -> anyhow::Result<Compiled> {
    let project = load::load(&options.project)?;
    let network = model::build(&project)?;
    for warning in &network.warnings {
        console::warn(format_args!("{warning}"));
    }
    for line in bft_tolerance(&network) {
        console::note(format_args!("{line}"));
    }
    let out = options
        .output
        .clone()
        .unwrap_or_else(|| options.project.join("out"));
    let chart_dir = out.join(CHART_NAME);
    // Locks the folders and finishes or rolls back what an interrupted run left.
    let out_ws = Workspace::open(&out, options.check)?;
    let keys_ws = match &options.keys_dir {
        Some(dir) => Some(Workspace::open(dir, options.check)?),
        None => None,
    };
    let record = Record::load(&options.project)?;
    let replace = msp_ids(&network, &record, &options.replace_ca, "--replace-ca")?;
    let forget = msp_ids(&network, &record, &options.forget, "--forget")?;
    check_forgotten(&network, &record, &forget, &options.project)?;

    let previous_topology = std::fs::read(chart_dir.join(TOPOLOGY_FILE)).ok();
    let previous_outside = chart::secrets_outside(previous_topology.as_deref());
    if previous_outside && options.keys_dir.is_none() && options.crypto.is_none() {
        bail!(
            "{} was compiled with --keys-dir, so its crypto-config/ holds no private keys; \
             compile again with --keys-dir and the same folder (or --crypto with the full material)",
            chart_dir.display()
        );
    }
    let source = material_source(options, &chart_dir, previous_outside)?;
    // What is there now, read once: for the material found, the check of
    // what would be replaced and the comparison with what would be written.
    let chart_now = out_ws.read(CHART_NAME)?;
    let profiles_now = out_ws.read(PROFILES_DIR)?;
    let keys_now = match &keys_ws {
        Some(ws) => Some(ws.read(CRYPTO_DIR)?),
        None => None,
    };
    let keys_crypto = options.keys_dir.as_ref().map(|dir| dir.join(CRYPTO_DIR));
    let existing_tree = match (&source, &keys_now) {
        (Some(dir), _) if *dir == chart_dir.join(CRYPTO_DIR) => {
            Some(chart_now.tree.subtree(CRYPTO_DIR))
        }
        (Some(dir), Some(keys)) if Some(dir) == keys_crypto.as_ref() => Some(keys.tree.clone()),
        (Some(dir), _) => Some(Tree::read(dir)?),
        (None, _) => None,
    };
    let existing_tree = with_bundles(&network, existing_tree);
    let root_label = source
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let existing = existing_tree.as_ref().map(|tree| Existing {
        tree,
        root: &root_label,
    });

    // The chart's files made first (its material and packages) are written
    // into the work folder while the rest is made, when the chart is to
    // change for them and nothing in the output folder could refuse the
    // write (then only a failure to make the rest undoes it).
    let write_ahead = |part: &Tree| -> anyhow::Result<Option<Stage<'_>>> {
        let own = |name: &str, now: &OnDisk| {
            out_ws
                .check_owned(name, &now.tree, &Tree::new(), Legacy::None)
                .is_ok()
        };
        if options.check
            || options.keys_dir.is_some()
            || chart_now.has(part)
            || !own(CHART_NAME, &chart_now)
            || !own(PROFILES_DIR, &profiles_now)
        {
            return Ok(None);
        }
        out_ws.create()?;
        let mut stage = out_ws.stage(CHART_NAME)?;
        stage.write_part(part)?;
        stage.start_sync()?;
        Ok(Some(stage))
    };
    let (outputs, ahead, release) = make(
        network,
        &record,
        &replace,
        &forget,
        existing.as_ref(),
        options,
        source.as_deref(),
        write_ahead,
    )?;
    for warning in missing_external_material(&outputs.network, &outputs.generated) {
        console::warn(format_args!("{warning}"));
    }

    let keys_outside = options.keys_dir.is_some();
    let record_path = options.project.join(RECORD_FILE);
    if options.check {
        release_fits(release, &outputs.chart, keys_outside)?;
        // The manifests follow the files; only the files are compared.
        let mut old = prefixed(&chart_dir, without_manifest(chart_now.tree));
        let mut new = prefixed(&chart_dir, outputs.chart.clone());
        let profiles_dir = out.join(PROFILES_DIR);
        old.merge(prefixed(&profiles_dir, without_manifest(profiles_now.tree)));
        new.merge(prefixed(&profiles_dir, outputs.profiles.clone()));
        if let (Some(dir), Some(keys), Some(keys_now)) =
            (&options.keys_dir, &outputs.keys, keys_now)
        {
            let crypto = dir.join(CRYPTO_DIR);
            old.merge(prefixed(&crypto, without_manifest(keys_now.tree)));
            new.merge(prefixed(&crypto, keys.tree.clone()));
            for (file, bytes) in [
                (SECRETS_FILE, keys.manifest.as_bytes()),
                (CREDENTIALS_FILE, keys.credentials.bytes.as_slice()),
            ] {
                let path = dir.join(file);
                if let Ok(old_bytes) = std::fs::read(&path) {
                    old.insert(path.display().to_string(), old_bytes);
                }
                new.insert(path.display().to_string(), bytes);
            }
        }
        if let Some(text) = &record.text {
            old.insert(record_path.display().to_string(), text.as_bytes());
        }
        if let Some(text) = &outputs.record.text {
            new.insert(record_path.display().to_string(), text.as_bytes());
        }
        let diff = TreeDiff::between(&old, &new);
        return Ok(if diff.is_empty() {
            Compiled::UpToDate { chart: chart_dir }
        } else {
            Compiled::Stale {
                chart: chart_dir,
                diff,
            }
        });
    }

    // Every refusal before the first write.
    // Charts of fabchart releases before manifests say so in Chart.yaml.
    let legacy_chart = match std::fs::read(chart_dir.join("Chart.yaml")) {
        Ok(bytes) if bytes.starts_with(GENERATED_MARK) => Legacy::Fabchart(legacy_chart_file),
        _ => Legacy::None,
    };
    out_ws.check_owned(CHART_NAME, &chart_now.tree, &outputs.chart, legacy_chart)?;
    out_ws.check_owned(
        PROFILES_DIR,
        &profiles_now.tree,
        &outputs.profiles,
        Legacy::None,
    )?;
    if let (Some(ws), Some(KeysOutput { tree: keys, .. }), Some(keys_now)) =
        (&keys_ws, &outputs.keys, &keys_now)
    {
        let secrets = ws.path().join(SECRETS_FILE);
        let legacy_keys = match std::fs::read(&secrets) {
            Ok(bytes) if bytes.starts_with(SECRETS_HEADER.as_bytes()) => {
                Legacy::Fabchart(|_, _| true)
            }
            _ => Legacy::None,
        };
        ws.check_owned(CRYPTO_DIR, &keys_now.tree, keys, legacy_keys)?;
        check_secrets_file(&secrets)?;
    }

    // Keys first, then the chart that uses them, then the record of their CAs:
    // a kill between two steps leaves material that a rerun reuses. Keys go
    // only into a chart that fits its release: checked before them (with the
    // keys in the chart, just before it is swapped in).
    let release = match keys_outside {
        true => {
            release_fits(release, &outputs.chart, true)?;
            None
        }
        false => Some(release),
    };
    if let Some(keys) = &outputs.keys {
        let dir = options
            .keys_dir
            .as_ref()
            .expect("keys only with --keys-dir");
        let ws = ensure_private(keys_ws.expect("opened above"), dir)?;
        // What is already as it would be written is left as it is.
        ws.update_dir(
            CRYPTO_DIR,
            &keys.tree,
            keys_now.as_ref().expect("read above"),
            None,
            || Ok(()),
        )?;
        ws.update_file(SECRETS_FILE, keys.manifest.as_bytes(), 0o600)?;
        ws.update_file(CREDENTIALS_FILE, &keys.credentials.bytes, 0o600)?;
    }
    out_ws.create()?;
    out_ws.update_dir(CHART_NAME, &outputs.chart, &chart_now, ahead, || {
        release.map_or(Ok(()), |release| {
            release_fits(release, &outputs.chart, false)
        })
    })?;
    out_ws.update_dir(PROFILES_DIR, &outputs.profiles, &profiles_now, None, || {
        Ok(())
    })?;
    drop(out_ws);
    let record_changed = outputs.record.text != record.text;
    if record_changed {
        let project_ws = Workspace::open(&options.project, false)?;
        project_ws.replace_file(
            RECORD_FILE,
            outputs
                .record
                .text
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
            0o644,
        )?;
    }
    Ok(Compiled::Written {
        chart: chart_dir,
        generated: outputs.generated.generated.len(),
        reused: outputs.generated.reused.len(),
        record_changed,
    })
}

/// Generates, packages and renders everything for `network`; `ahead` is
/// done with the chart's first files (material, packages) while the rest is
/// made.
#[allow(clippy::too_many_arguments)]
fn make<A: Send>(
    network: Network,
    record: &Record,
    replace: &[String],
    forget: &[String],
    existing: Option<&Existing<'_>>,
    options: &Options,
    source: Option<&Path>,
    ahead: impl FnOnce(&Tree) -> anyhow::Result<A> + Send,
) -> anyhow::Result<(Outputs, A, Pending)> {
    let specs: Vec<_> = network.orgs.iter().map(|o| o.crypto.clone()).collect();
    let rules = record.rules(&network, replace);
    let now = match options.now {
        Some(now) => now,
        None => certificate_time()?,
    };
    // Crypto and the chaincode packages do not depend on each other: they are
    // made side by side, each in parallel, the packages kept in order.
    let to_package: Vec<_> = network
        .chaincodes
        .iter()
        .flat_map(|chaincode| chaincode.packages.iter().map(move |pkg| (chaincode, pkg)))
        .collect();
    let (generated, built) = rayon::join(
        || crypto::generate(&specs, &rules, existing, now),
        || {
            to_package
                .par_iter()
                .map(|(chaincode, pkg)| {
                    package::build(chaincode, pkg)
                        .with_context(|| format!("cannot package chaincode {}", chaincode.name))
                })
                .collect::<anyhow::Result<Vec<_>>>()
        },
    );
    let generated = generated?;
    if !generated.problems.is_empty() {
        bail!(refusal(
            &network,
            record,
            &generated.problems,
            options,
            source
        ));
    }

    let mut chart_tree = Tree::new();
    let mut packages = IndexMap::new();
    let mut package_ids = IndexMap::new();
    for ((_, pkg), built) in to_package.iter().zip(built?) {
        chart_tree.insert(pkg.file.clone(), built.bytes.clone());
        packages.insert(pkg.file.clone(), built.bytes);
        package_ids.insert(pkg.file.clone(), built.id);
    }
    let keys_outside = options.keys_dir.is_some();
    let credentials = Credentials::load_or_make(&credential_dirs(options))?;
    let credentials_file = crate::tree::File {
        bytes: credentials.to_text()?.into_bytes(),
        private: true,
    };
    if !keys_outside {
        chart_tree.extend_below(CRYPTO_DIR, generated.tree.clone());
        chart_tree.insert_file(CREDENTIALS_FILE, credentials_file.clone());
    }
    let inputs = chart::Inputs {
        packages: &packages,
        package_ids: &package_ids,
        material: &generated.tree,
        secrets_outside: keys_outside,
        credentials: &credentials,
    };
    // Writing the chart's files so far (material, packages) waits for the
    // disk: `ahead` starts at once, on a thread of its own. Compressing the
    // chart's Helm release to estimate it is the longest task on the CPU: it
    // starts as soon as the files it reads are rendered (first, with all the
    // threads), on a thread of its own too, and is awaited when the chart is
    // to be swapped in. Meanwhile the rest of the chart and the developers'
    // connection profiles are made.
    let objects = release::objects_cost(&network);
    let mut release = None;
    let (rendered, ahead, profiles) = std::thread::scope(|scope| {
        let ahead_done = scope.spawn(|| ahead(&chart_tree));
        let rendered = chart::render(&network, &inputs, |files: &Tree| {
            let files = files.clone();
            release = Some(std::thread::spawn(move || {
                release::estimate(objects, &files)
            }));
        });
        let profiles = chart::profiles::files(&network, &generated.tree);
        let ahead = ahead_done
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (rendered, ahead, profiles)
    });
    for (path, file) in rendered?.files() {
        chart_tree.insert_file(path, file.clone());
    }
    if keys_outside {
        chart_tree.extend_below(CRYPTO_DIR, public_material(&network, &generated.tree));
    }
    let keys = if keys_outside {
        let manifest = secrets::manifest(&network, &generated.tree, &credentials)?;
        Some(KeysOutput {
            tree: generated.tree.clone(),
            manifest,
            credentials: credentials_file,
        })
    } else {
        None
    };
    let record = record.updated(&network, &generated.fingerprints, forget);
    let profiles = profiles?;
    let ahead = ahead?;
    let release = release.expect("started with the chart's files");
    let outputs = Outputs {
        network,
        chart: chart_tree,
        keys,
        profiles,
        record,
        generated,
    };
    Ok((outputs, ahead, release))
}

/// The estimate of the chart's Helm release, being made.
type Pending = std::thread::JoinHandle<anyhow::Result<release::Estimate>>;

/// Refuses `chart` when its Helm release (`pending`) would not fit the
/// Secret Helm keeps it in, after saying how much of it the release takes.
fn release_fits(pending: Pending, chart: &Tree, keys_outside: bool) -> anyhow::Result<()> {
    let release = pending
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    console::note(format_args!(
        "Helm release: about {} of the 1 MiB Secret Helm keeps it in ({:.0}%)",
        release::human(release.stored),
        100.0 * release.stored as f64 / release::LIMIT as f64
    ));
    if release.stored > release::MAX_ESTIMATE {
        bail!(
            "the chart's Helm release would take about {} of the {} Helm can store in the release's \
             Secret (a Secret holds at most 1 MiB); `helm install` would fail. {}",
            release::human(release.stored),
            release::human(release::LIMIT),
            if keys_outside {
                "Split the network over more than one release (compile a project per group of orgs)"
                    .to_string()
            } else {
                format!(
                    "Compile with --keys-dir DIR: the identity Secrets (about {}) are then applied \
                     from DIR/hlf-kube-secrets.yaml and leave the release",
                    release::human(release::secrets_share(chart))
                )
            }
        );
    }
    Ok(())
}

/// What the BFT channels tolerate, one line per consenter count: `BFT: 4
/// consenters tolerate 1 faulty orderer (channels a, b)`.
fn bft_tolerance(network: &Network) -> Vec<String> {
    let mut by_size: std::collections::BTreeMap<usize, Vec<&str>> = Default::default();
    for channel in &network.channels {
        let orderer = &channel.profile.orderer;
        if orderer.orderer_type == model::OrdererType::Bft {
            by_size
                .entry(orderer.consenters.len())
                .or_default()
                .push(&channel.name);
        }
    }
    by_size
        .into_iter()
        .map(|(n, channels)| {
            let f = model::OrdererType::Bft.fault_tolerance(n);
            let shown = channels
                .iter()
                .take(5)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            let more = channels.len().saturating_sub(5);
            format!(
                "BFT: {n} consenters tolerate {f} faulty orderer{} (channel{} {shown}{})",
                if f == 1 { "" } else { "s" },
                if channels.len() == 1 { "" } else { "s" },
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        })
        .collect()
}

/// Where the generated credentials of an earlier compile are: the keys
/// folder's, then the chart's.
fn credential_dirs(options: &Options) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(keys) = &options.keys_dir {
        dirs.push(keys.clone());
    }
    let out = options
        .output
        .clone()
        .unwrap_or_else(|| options.project.join("out"));
    dirs.push(out.join(CHART_NAME));
    dirs
}

/// OUT's folder of connection profiles for developers (beside the chart, so
/// that Helm's release does not carry them twice).
pub const PROFILES_DIR: &str = "connection-profiles";

/// Where existing material is taken from: `--crypto` (which must exist), else
/// the keys folder's, the previous chart's, or the project's `crypto-config/`,
/// the first that exists.
fn material_source(
    options: &Options,
    chart_dir: &Path,
    previous_outside: bool,
) -> anyhow::Result<Option<PathBuf>> {
    if let Some(dir) = &options.crypto {
        if !dir.is_dir() {
            bail!(
                "--crypto {}: no such folder; name the crypto-config/ folder that holds the orgs' \
                 material (e.g. {})",
                dir.display(),
                chart_dir.join(CRYPTO_DIR).display()
            );
        }
        return Ok(Some(dir.clone()));
    }
    Ok(candidates(options, chart_dir, previous_outside)
        .into_iter()
        .find(|p| p.is_dir()))
}

fn candidates(options: &Options, chart_dir: &Path, previous_outside: bool) -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(keys) = &options.keys_dir {
        candidates.push(keys.join(CRYPTO_DIR));
    }
    if !previous_outside {
        candidates.push(chart_dir.join(CRYPTO_DIR));
    }
    candidates.push(options.project.join(CRYPTO_DIR));
    candidates
}

/// `tree` with the public material of every org an imported bundle brings
/// in place of what it held for that org (an earlier bundle's, or files
/// copied in by hand).
fn with_bundles(network: &Network, tree: Option<Tree>) -> Option<Tree> {
    let imported: Vec<_> = network
        .orgs
        .iter()
        .filter_map(|org| org.bundle.as_ref().map(|b| (org, b)))
        .collect();
    if imported.is_empty() {
        return tree;
    }
    let mut tree = tree.unwrap_or_default();
    for (org, bundle) in imported {
        let below = format!("{}/", org.crypto.dir);
        let old: Vec<String> = tree
            .files()
            .map(|(path, _)| path)
            .filter(|path| path.starts_with(&below))
            .map(str::to_string)
            .collect();
        for path in old {
            tree.remove(&path);
        }
        tree.merge(bundle.org.tree(&org.crypto.dir));
    }
    Some(tree)
}

/// For each channel profile naming an external org whose public material is
/// still an empty placeholder: the profile and the folder to fill.
pub fn missing_external_material(network: &Network, generated: &Generated) -> Vec<String> {
    let channels: Vec<&Channel> = network.channels.iter().collect();
    external_placeholders(
        network,
        &channels,
        |index| generated.fingerprints[index].is_some(),
        |rel| Some(generated.tree.contains(rel)),
    )
}

/// The external orgs and consenters that `channels`' profiles name but whose
/// public material is not there, one line per org: what is missing and on
/// which channels. `has_msp(org index)` says whether an org's MSP is there,
/// `has_file(path below crypto-config/)` whether a file is (None: cannot tell).
pub fn external_placeholders<'a>(
    network: &'a Network,
    channels: &[&'a Channel],
    has_msp: impl Fn(usize) -> bool,
    has_file: impl Fn(&str) -> Option<bool>,
) -> Vec<String> {
    // Org name -> (what is missing, the channels that need it), in order.
    let mut missing: IndexMap<&str, (Vec<String>, Vec<&str>)> = IndexMap::new();
    let mut note = |org: &'a str, what: String, channel: &'a str| {
        let (things, channels) = missing.entry(org).or_default();
        if !things.contains(&what) {
            things.push(what);
        }
        if !channels.contains(&channel) {
            channels.push(channel);
        }
    };
    for channel in channels {
        let profile_orgs = channel
            .profile
            .application
            .orgs
            .iter()
            .chain(&channel.profile.orderer.orgs);
        for name in profile_orgs {
            let Some((index, org)) = network
                .orgs
                .iter()
                .enumerate()
                .find(|(_, o)| &o.name == name)
            else {
                continue;
            };
            if org.external && !has_msp(index) {
                note(&org.name, "its public MSP".to_string(), &channel.name);
            }
        }
        let orderer = &channel.profile.orderer;
        for consenter in &orderer.consenters {
            let mut files = vec![("TLS certificate", &consenter.tls_cert)];
            if orderer.orderer_type == model::OrdererType::Bft {
                files.push(("enrollment certificate", &consenter.identity));
            }
            for (what, file) in files {
                let rel = file.strip_prefix(&format!("{CRYPTO_DIR}/")).unwrap_or(file);
                if has_file(rel) == Some(false) {
                    note(
                        &consenter.org,
                        format!("consenter {}'s {what}", consenter.host),
                        &channel.name,
                    );
                }
            }
        }
    }
    missing
        .into_iter()
        .map(|(name, (things, channels))| {
            let msp_id = network.org(name).map_or("", |o| o.msp_id.as_str());
            format!(
                "org {name} ({msp_id}) of another cluster is not imported yet: {} missing, which \
                 configtxgen needs for channel{} {}. Import the org's bundle (`fabchart bundle \
                 import FILE PROJECT`, FILE from `fabchart bundle export` in its cluster) and compile \
                 again",
                things.join(", "),
                if channels.len() == 1 { "" } else { "s" },
                channels.join(", ")
            )
        })
        .collect()
}

/// What the chart keeps with `--keys-dir`: the public material
/// ([`Network::is_public_material`]), and the public MSP folders even when empty.
fn public_material(network: &Network, material: &Tree) -> Tree {
    let mut out = Tree::new();
    for (path, file) in material.files() {
        if network.is_public_material(path) {
            out.insert_file(path, file.clone());
        }
    }
    for dir in material.dirs() {
        if network.is_public_material(&format!("{dir}/x")) {
            out.insert_dir(dir);
        }
    }
    out
}

/// The first bytes of every text file fabchart generates into the chart.
const GENERATED_MARK: &[u8] = b"# Generated by fabchart";

/// Whether a file of a chart without manifest (from a fabchart older than
/// manifests) is one fabchart wrote.
fn legacy_chart_file(path: &str, bytes: &[u8]) -> bool {
    path.starts_with(&format!("{CRYPTO_DIR}/"))
        || path.starts_with("chaincode/")
        || matches!(
            path,
            "Chart.yaml"
                | "values.yaml"
                | "values.schema.json"
                | "configtx.yaml"
                | TOPOLOGY_FILE
                | ".helmignore"
        )
        || bytes.starts_with(GENERATED_MARK)
}

/// The keys folder's Secrets manifest is replaced only when fabchart wrote it.
fn check_secrets_file(path: &Path) -> anyhow::Result<()> {
    match std::fs::read(path) {
        Ok(bytes) if !bytes.starts_with(SECRETS_HEADER.as_bytes()) => bail!(
            "{} exists but fabchart did not write it; move it away, then compile again",
            path.display()
        ),
        _ => Ok(()),
    }
}

fn without_manifest(mut tree: Tree) -> Tree {
    tree.remove(MANIFEST);
    tree
}

/// `tree` with every path below `root` (for messages naming real paths).
fn prefixed(root: &Path, tree: Tree) -> Tree {
    let mut out = Tree::new();
    out.extend_below(&root.display().to_string(), tree);
    out
}

/// The keys folder, created private (0700) when new.
fn ensure_private(ws: Workspace, dir: &Path) -> anyhow::Result<Workspace> {
    use std::os::unix::fs::PermissionsExt;
    if dir.is_dir() {
        return Ok(ws);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot make {} private", dir.display()))?;
    drop(ws);
    Workspace::open(dir, false)
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
