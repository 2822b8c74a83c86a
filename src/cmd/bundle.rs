//! `fabchart bundle export|import`: the public bundles the clusters of a
//! network exchange (see [`crate::bundle`]).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::bundle::{self, Bundle, OrgBundle, BUNDLES_DIR};
use crate::identity::{short_fingerprint, OrgRecord, Record, RECORD_FILE};
use crate::load::{self, Diagnostic, Diagnostics, SourceFile};
use crate::model::layout::CRYPTO_DIR;
use crate::model::{self, Network};
use crate::render::chart::CHART_NAME;
use crate::tree::Tree;
use crate::write::Workspace;
use crate::{console, Outcome};

#[derive(Debug, clap::Args)]
pub struct BundleCommand {
    #[command(subcommand)]
    pub command: BundleKind,
}

#[derive(Debug, clap::Subcommand)]
pub enum BundleKind {
    /// Print the public bundle of this cluster's orgs (nothing secret), for the other clusters.
    #[command(after_help = "\
Usage: fabchart bundle export PROJECT > PROJECT.bundle.yaml

Run it after `fabchart compile`: it reads the compiled chart's public
material. Read the short fingerprints it prints out to the other clusters'
operators (e.g. by phone), who pass them to `fabchart bundle import --expect`.")]
    Export(ExportArgs),
    /// Check another cluster's bundle, keep it in PROJECT/bundles/ and pin its CAs in fabchart.lock.
    #[command(after_help = "\
Exit status: 0 imported (or already there); 2 refused (a bundle changed after
it was made, a CA other than the one recorded or expected, bad input).
Then compile again: the chart gets the orgs' public MSPs, consenter
certificates and (for endpoints with an IP) hostAliases.")]
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Project folder [default: the current folder].
    #[arg(value_name = "PROJECT")]
    pub project: Option<PathBuf>,
    /// The orgs to export (name or MSP ID; several: repeat, or A,B) [default: every org run here].
    #[arg(long, value_name = "ORG", value_delimiter = ',')]
    pub org: Vec<String>,
    /// Where compile wrote the chart (as OUT/hlf-kube) [default: PROJECT/out].
    #[arg(long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// The keys folder compile was given (--keys-dir), whose crypto-config/ is read instead.
    #[arg(long, value_name = "DIR")]
    pub keys_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The bundle file (`-`: standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Project folder [default: the current folder].
    #[arg(value_name = "PROJECT")]
    pub project: Option<PathBuf>,
    /// The CA fingerprint the org's operator read out: MSPID=HEX (spaces
    /// allowed, at least the 16 digits export prints); several: repeat.
    #[arg(long, value_name = "MSPID=FINGERPRINT")]
    pub expect: Vec<String>,
    /// Take a CA for ORG (name or MSP ID; several: repeat, or A,B) other than
    /// the one fabchart.lock pins: the org has a new identity.
    #[arg(long, value_name = "ORG", value_delimiter = ',')]
    pub replace_ca: Vec<String>,
}

pub fn run(command: &BundleCommand) -> anyhow::Result<Outcome> {
    match &command.command {
        BundleKind::Export(args) => export(args),
        BundleKind::Import(args) => import(args),
    }
}

fn project_network(dir: &Path) -> anyhow::Result<Network> {
    let project = load::load(dir)?;
    Ok(model::build(&project)?)
}

fn export(args: &ExportArgs) -> anyhow::Result<Outcome> {
    let dir = args.project.clone().unwrap_or_else(|| PathBuf::from("."));
    let network = project_network(&dir)?;
    let local: Vec<_> = network.orgs.iter().filter(|o| !o.external).collect();
    let orgs: Vec<_> = if args.org.is_empty() {
        local
    } else {
        let mut chosen = Vec::new();
        for wanted in &args.org {
            match local
                .iter()
                .find(|o| &o.name == wanted || &o.msp_id == wanted)
            {
                Some(org) => chosen.push(*org),
                None => bail!(
                    "--org {wanted}: no org of this cluster is called so (this cluster runs: {})",
                    local
                        .iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        chosen
    };
    if orgs.is_empty() {
        bail!("{} runs no org: there is nothing to export", dir.display());
    }
    let crypto = match &args.keys_dir {
        Some(keys) => keys.join(CRYPTO_DIR),
        None => args
            .out
            .clone()
            .unwrap_or_else(|| dir.join("out"))
            .join(CHART_NAME)
            .join(CRYPTO_DIR),
    };
    if !crypto.is_dir() {
        bail!(
            "{}: no such folder; run `fabchart compile {}` first (with the same --keys-dir, if any)",
            crypto.display(),
            dir.display()
        );
    }
    let tree = Tree::read(&crypto)?;
    let record = Record::load(&dir)?;
    let mut bundle = Bundle {
        fabchart_bundle: bundle::VERSION,
        orgs: Vec::new(),
    };
    for org in orgs {
        let exported = bundle::export_org(org, &tree);
        // What is exported must be what the compile recorded: the chart is
        // then this project's, and current.
        let recorded = record.get(&org.msp_id);
        let same = recorded.is_some_and(|r| {
            r.ca.to_vec() == exported.fingerprints.ca
                && r.tlsca.to_vec() == exported.fingerprints.tlsca
        });
        if !same {
            bail!(
                "the material of {} ({}) in {} is not what {} records; run `fabchart compile {}` first",
                org.name,
                org.msp_id,
                crypto.display(),
                dir.join(RECORD_FILE).display(),
                dir.display()
            );
        }
        let faults = bundle::verify(&exported, bundle.orgs.len());
        if let Some(fault) = faults.first() {
            bail!(
                "the material of {} in {} does not make a bundle: {}",
                org.name,
                crypto.display(),
                fault.message
            );
        }
        if org.kind == model::OrgKind::Orderer {
            for node in &org.nodes {
                let tls = format!("orderers/{}/tls/server.crt", node.fqdn);
                if !exported.files.contains_key(&tls) {
                    console::warn(format_args!(
                        "{}: no TLS certificate in {} (compiled with --keys-dir and consenting on no channel?); \
                         other clusters cannot make it a consenter",
                        node.fqdn,
                        crypto.display()
                    ));
                }
            }
        }
        let unreachable: Vec<&str> = org
            .nodes
            .iter()
            .filter(|n| n.external_ip.is_none())
            .map(|n| n.host.as_str())
            .collect();
        if !unreachable.is_empty() && !network.settings.use_actual_domains {
            console::warn(format_args!(
                "{}: {} addressed by Service name, and network.yaml's `expose` gives no IP: other \
                 clusters cannot resolve such a name without one",
                org.name,
                unreachable.join(", ")
            ));
        }
        console::note(format_args!(
            "{} ({}): {}",
            org.name,
            org.msp_id,
            exported.short_prints()
        ));
        bundle.orgs.push(exported);
    }
    console::note(format_args!(
        "read these fingerprints out to the other clusters' operators; they import with \
         `fabchart bundle import FILE PROJECT --expect MSPID=FINGERPRINT`"
    ));
    let text = bundle.to_text()?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write to stdout")?;
    Ok(Outcome::Success)
}

/// `--expect` entries as (MSP ID, lower-case hex digits).
fn expectations(args: &ImportArgs) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in &args.expect {
        let Some((msp_id, print)) = entry.split_once('=') else {
            bail!("--expect {entry}: write MSPID=FINGERPRINT, e.g. --expect HarborMSP='3f2a 9b1c 00aa 12ef'");
        };
        let digits: String = print
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ':')
            .collect::<String>()
            .to_lowercase();
        if digits.len() < 16 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            bail!(
                "--expect {entry}: a fingerprint is at least the 16 hex digits `fabchart bundle export` prints"
            );
        }
        out.push((msp_id.trim().to_string(), digits));
    }
    Ok(out)
}

fn import(args: &ImportArgs) -> anyhow::Result<Outcome> {
    let dir = args.project.clone().unwrap_or_else(|| PathBuf::from("."));
    let expected = expectations(args)?;
    let (display, text) = if args.file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the bundle from standard input")?;
        ("<stdin>".to_string(), text)
    } else {
        let text = std::fs::read_to_string(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?;
        (args.file.display().to_string(), text)
    };
    let source = SourceFile::from_text(args.file.clone(), display.clone(), text);
    let mut diagnostics = Diagnostics::default();
    let Some(imported) = load::parse::<Bundle>(&source, false, &mut diagnostics) else {
        return Err(diagnostics.into_result().expect_err("parse failed").into());
    };
    for fault in bundle::file_faults(&source, &imported) {
        diagnostics.push(fault);
    }
    for (index, org) in imported.orgs.iter().enumerate() {
        for fault in bundle::verify(org, index) {
            diagnostics.push(
                Diagnostic::at(&source, source.locate(&fault.pointer), fault.message)
                    .with_help(fault.help),
            );
        }
    }
    diagnostics.into_result()?;

    let network = project_network(&dir)?;
    let mut record = Record::load(&dir)?;
    let replace: Vec<&str> = args.replace_ca.iter().map(String::as_str).collect();
    for (msp_id, _) in &expected {
        if !imported.orgs.iter().any(|o| &o.msp_id == msp_id) {
            bail!(
                "--expect {msp_id}: the bundle has no such org (it has {})",
                imported
                    .orgs
                    .iter()
                    .map(|o| o.msp_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let mut refusals = Vec::new();
    let mut writes: Vec<(&OrgBundle, String)> = Vec::new();
    for org in &imported.orgs {
        let declared = network.orgs.iter().find(|o| o.msp_id == org.msp_id);
        if let Some(local) = declared.filter(|o| !o.external) {
            refusals.push(format!(
                "{} ({}) runs in this cluster; a bundle brings in another cluster's org",
                local.name, local.msp_id
            ));
            continue;
        }
        for (msp_id, digits) in &expected {
            if msp_id == &org.msp_id && !org.fingerprints.ca.iter().any(|p| p.starts_with(digits)) {
                refusals.push(format!(
                    "{}: the bundle's CA is {}, not the {} expected: it is not the certificate {}'s \
                     operator read out. Do not import it; get the bundle again from them",
                    org.msp_id,
                    org.fingerprints
                        .ca
                        .iter()
                        .map(|p| short_fingerprint(p))
                        .collect::<Vec<_>>()
                        .join(", "),
                    short_fingerprint(digits),
                    org.name
                ));
            }
        }
        let replacing = replace
            .iter()
            .any(|r| *r == org.msp_id || *r == org.name || declared.is_some_and(|d| d.name == *r));
        if let Some(pinned) = record.get(&org.msp_id) {
            let same = pinned.ca.to_vec() == org.fingerprints.ca
                && pinned.tlsca.to_vec() == org.fingerprints.tlsca;
            if !pinned.external {
                refusals.push(format!(
                    "{} ({}) is recorded in {} as an org of this cluster, with its keys; a bundle cannot \
                     replace it (compile with --forget {} first, if it really moved to another cluster)",
                    pinned.name,
                    org.msp_id,
                    RECORD_FILE,
                    pinned.name
                ));
                continue;
            }
            if !same && !replacing {
                refusals.push(format!(
                    "{} ({}): the bundle's CAs are {}, but {} pins CA {}, TLS CA {}. A different CA is \
                     a different identity: do not import it unless {}'s operator confirms a new CA; \
                     then import with --replace-ca {} and update every channel with the new MSP",
                    org.name,
                    org.msp_id,
                    org.short_prints(),
                    RECORD_FILE,
                    pinned.ca.short(),
                    pinned.tlsca.short(),
                    org.name,
                    org.msp_id
                ));
                continue;
            }
        }
        let name = declared.map_or(org.name.as_str(), |d| d.name.as_str());
        if declared.is_none() {
            console::warn(format_args!(
                "{} ({}) is not in {}'s configtx.yaml yet: add its definition (MSPDir \
                 crypto-config/{}/{}/msp) and put it on channels in network.yaml, then compile",
                org.name,
                org.msp_id,
                dir.display(),
                org.kind.folder(),
                org.domain
            ));
        }
        writes.push((org, name.to_string()));
    }
    for r in &replace {
        if !imported.orgs.iter().any(|o| o.msp_id == *r || o.name == *r) {
            refusals.push(format!("--replace-ca {r}: the bundle has no such org"));
        }
    }
    if !refusals.is_empty() {
        bail!(
            "{display}: not imported, nothing written:\n  {}",
            refusals.join("\n  ")
        );
    }

    // The bundles first, then the record: a kill between the two leaves a
    // bundle the next compile pins itself (the same CA).
    let folder = dir.join(BUNDLES_DIR);
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let ws = Workspace::open(&folder, false)?;
    for (org, name) in &writes {
        let file = bundle::file_name(&org.msp_id);
        let was_pinned = record.get(&org.msp_id).is_some_and(|r| {
            r.ca.to_vec() == org.fingerprints.ca && r.tlsca.to_vec() == org.fingerprints.tlsca
        });
        let changed = ws.update_file(&file, org.alone().to_text()?.as_bytes(), 0o644)?;
        record = record.pinned(
            &org.msp_id,
            OrgRecord::external(
                name,
                org.kind,
                &org.domain,
                &org.fingerprints.ca,
                &org.fingerprints.tlsca,
            ),
        );
        console::note(format_args!(
            "{} {} ({}): {}{}",
            if changed { "imported" } else { "unchanged:" },
            org.name,
            org.msp_id,
            org.short_prints(),
            if expected.iter().any(|(m, _)| m == &org.msp_id) {
                " (as expected)"
            } else if was_pinned {
                " (as pinned)"
            } else {
                "; compare the CA's with what its operator reads out"
            }
        ));
    }
    drop(ws);
    let old = Record::load(&dir)?;
    if record.text != old.text {
        let project_ws = Workspace::open(&dir, false)?;
        project_ws.replace_file(
            RECORD_FILE,
            record.text.as_deref().unwrap_or_default().as_bytes(),
            0o644,
        )?;
        console::note(format_args!(
            "pinned in {}; commit it and {}/ with the inputs, then compile again",
            dir.join(RECORD_FILE).display(),
            folder.display()
        ));
    }
    Ok(Outcome::Success)
}
