//! Checks of the network against the identity record (`fabchart.lock`): the
//! refusal when recorded CAs are not found, and the orgs named by
//! `--replace-ca` and `--forget`.

use super::*;

/// Why the recorded CAs cannot be used, and the ways on.
pub(super) fn refusal(
    network: &Network,
    record: &Record,
    problems: &[Problem],
    options: &Options,
    source: Option<&Path>,
) -> String {
    if let Some(text) = bundle_refusal(network, record, problems, options) {
        return text;
    }
    let root = source.map(|s| s.display().to_string());
    let mut text = format!(
        "{} records the CAs of these orgs, but the material found does not hold them:",
        options.project.join(RECORD_FILE).display()
    );
    let mut names = Vec::new();
    for problem in problems {
        let (index, which) = match problem {
            Problem::Missing { org, which, .. } | Problem::Different { org, which, .. } => {
                (*org, *which)
            }
        };
        let org = &network.orgs[index];
        if !names.contains(&org.name) {
            names.push(org.name.clone());
        }
        let recorded = recorded_short(record, &org.msp_id, which);
        match problem {
            Problem::Missing { dir, .. } => match &root {
                Some(root) => text.push_str(&format!(
                    "\n  {} ({}): no {} in {root}/{dir} (recorded: sha256 {recorded})",
                    org.name,
                    org.msp_id,
                    which.label()
                )),
                None => text.push_str(&format!(
                    "\n  {} ({}): no {} found (recorded: sha256 {recorded})",
                    org.name,
                    org.msp_id,
                    which.label()
                )),
            },
            Problem::Different { path, found, .. } => text.push_str(&format!(
                "\n  {} ({}): the {} in {}/{path} is sha256 {}, not the recorded {recorded}",
                org.name,
                org.msp_id,
                which.label(),
                root.as_deref().unwrap_or_default(),
                short_fingerprint(found)
            )),
        }
    }
    let chart_dir = options
        .output
        .clone()
        .unwrap_or_else(|| options.project.join("out"))
        .join(CHART_NAME);
    let looked: Vec<String> = match (&options.crypto, source) {
        (Some(dir), _) => vec![format!("{} (--crypto)", dir.display())],
        (None, _) => candidates(options, &chart_dir, false)
            .iter()
            .map(|p| {
                let state = if p.is_dir() { "" } else { " (absent)" };
                format!("{}{state}", p.display())
            })
            .collect(),
    };
    text.push_str(&format!(
        "\nLooked in: {}.\n\
         A new CA would make each of them a different org to every channel, so nothing was written. To go on:\n  \
         - point at the material: --crypto DIR (a crypto-config/ folder holding these orgs' ca/ and tlsca/), \
         or --keys-dir DIR with the folder the chart was compiled with;\n  \
         - or restore {} from git or a backup;\n  \
         - or, to replace the CAs on purpose (each channel must then get the org's new MSP in a config update): \
         --replace-ca {}",
        looked.join(", "),
        chart_dir.join(CRYPTO_DIR).display(),
        names.join(",")
    ));
    text
}

/// The short fingerprints `record` holds of org `msp_id`'s CA of kind `which`.
fn recorded_short(record: &Record, msp_id: &str, which: crypto::CaKind) -> String {
    record
        .get(msp_id)
        .map(|r| match which {
            crypto::CaKind::Signing => r.ca.short(),
            crypto::CaKind::Tls => r.tlsca.short(),
        })
        .unwrap_or_default()
}

/// When every org refused came from an imported bundle: the bundle files
/// whose CAs are not the recorded ones, and how to import them again.
fn bundle_refusal(
    network: &Network,
    record: &Record,
    problems: &[Problem],
    options: &Options,
) -> Option<String> {
    let mut lines = Vec::new();
    for problem in problems {
        let (index, which, found) = match problem {
            Problem::Missing { org, which, .. } => (*org, *which, None),
            Problem::Different {
                org, which, found, ..
            } => (*org, *which, Some(found)),
        };
        let org = &network.orgs[index];
        let bundle = org.bundle.as_ref()?;
        let recorded = recorded_short(record, &org.msp_id, which);
        lines.push(format!(
            "\n  {} ({}): the {} in {} is {}, not the recorded sha256 {recorded}",
            org.name,
            org.msp_id,
            which.label(),
            bundle.file,
            found.map_or("missing".to_string(), |f| format!(
                "sha256 {}",
                short_fingerprint(f)
            ))
        ));
    }
    Some(format!(
        "{} pins the CAs of these orgs, but their imported bundles hold others:{}\n\
         Nothing was written. A bundle is changed by importing it: get the org's bundle again \
         and run `fabchart bundle import FILE {}` (a new CA of the org, confirmed by its \
         operator, with --replace-ca ORG)",
        options.project.join(RECORD_FILE).display(),
        lines.concat(),
        options.project.display()
    ))
}

/// The MSP IDs of `names` (org names or MSP IDs), from the network or the record.
pub(super) fn msp_ids(
    network: &Network,
    record: &Record,
    names: &[String],
    flag: &str,
) -> anyhow::Result<Vec<String>> {
    names
        .iter()
        .map(|name| {
            if let Some(org) = network
                .orgs
                .iter()
                .find(|o| &o.name == name || &o.msp_id == name)
            {
                return Ok(org.msp_id.clone());
            }
            if let Some((id, _)) = record.orgs().find(|(id, r)| id == name || &r.name == name) {
                return Ok(id.to_string());
            }
            let known: Vec<&str> = network.orgs.iter().map(|o| o.name.as_str()).collect();
            bail!(
                "{flag} {name}: no such org (known: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })
        .collect()
}

/// A recorded local org that left the inputs, or is now run elsewhere, would
/// lose its private keys from the output: only with `--forget`.
pub(super) fn check_forgotten(
    network: &Network,
    record: &Record,
    forget: &[String],
    project: &Path,
) -> anyhow::Result<()> {
    let gone: Vec<(&str, &str, bool)> = record
        .orgs()
        .filter(|(_, r)| !r.external)
        .filter(|(id, _)| !forget.iter().any(|f| f == id))
        .filter_map(
            |(id, r)| match network.orgs.iter().find(|o| o.msp_id == id) {
                None => Some((id, r.name.as_str(), false)),
                Some(org) if org.external => Some((id, r.name.as_str(), true)),
                Some(_) => None,
            },
        )
        .collect();
    if gone.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = gone
        .iter()
        .map(|(id, n, external)| {
            let how = if *external {
                "is now an org of another cluster"
            } else {
                "is no longer in the inputs"
            };
            format!("{n} ({id}) {how}")
        })
        .collect();
    bail!(
        "{} records these orgs as run here, with their keys: {}. Compiling on would drop their \
         private keys from the output. If the org left this cluster, keep a copy of its material \
         and compile with --forget {}; if not, restore it in crypto-config.yaml",
        project.join(RECORD_FILE).display(),
        list.join("; "),
        gone.iter()
            .map(|(_, n, _)| *n)
            .collect::<Vec<_>>()
            .join(",")
    )
}
