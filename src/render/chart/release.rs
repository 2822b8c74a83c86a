//! How big the chart's Helm release will be, before anyone installs it.
//!
//! Helm keeps every revision of a release in one Secret whose `release` key
//! is base64(gzip(JSON of the release)) (helm pkg/storage/driver/util.go
//! `encodeRelease`: encoding/json, gzip.BestCompression, base64.StdEncoding),
//! and a Secret's data holds at most 1 MiB: gzip must stay under 768 KiB.
//! The release (pkg/release/v1 `Release`) holds the chart as Helm loaded it
//! (pkg/chart/v2 `Chart`: metadata, templates and files with their bytes
//! base64-encoded, values, schema; not its dependencies, an unexported
//! field), the values given at install, and the manifest: every rendered
//! object. `helm template` and `helm lint` never build it, so a chart too
//! big for its release passes both and fails in the cluster.
//!
//! The chart part is built here exactly as Helm serializes it. The manifest
//! is estimated: the material library chart's data (the Secrets' and
//! ConfigMaps' contents, which dominate) compressed with it, and every other
//! object at a measured compressed cost per node, org and chaincode server
//! (`tests/conformance/release_size.py` renders charts with a real Helm
//! engine and builds the exact release; tests/release.rs holds the estimate
//! to it).

use std::io::Write as _;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Map, Value};

use super::material::{MATERIAL_CHART, MATERIAL_FILE};
use crate::encoding::base64;
use crate::model::{Network, OrgKind};
use crate::tree::Tree;

/// The most a Secret's data may hold.
pub const LIMIT: u64 = 1024 * 1024;

/// compile refuses a chart whose release is estimated above this. The
/// estimate errs high (by 4 to 10%, tests/release.rs holds it to the real
/// release), and the values an install adds need a little room below the
/// limit; each upgrade stores its revision in a Secret of its own.
pub const MAX_ESTIMATE: u64 = LIMIT * 95 / 100;

/// Compressed bytes each rendered object costs in the manifest, apart from
/// the material data, measured on synthetic networks with default values
/// (see the module doc): a peer node (its StatefulSet, Service, CouchDB
/// StatefulSet and Service, and policies), an orderer node, an org (its
/// Service, identity Secrets' headers, policies), a chaincode server, and
/// what every chart renders once.
const PER_PEER: u64 = 160;
const PER_ORDERER: u64 = 160;
const PER_ORG: u64 = 160;
const PER_IDENTITY: u64 = 30;
const PER_CHAINCODE_SERVER: u64 = 100;
const FIXED: u64 = 6_000;

/// The estimate, in bytes of the release Secret's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// The whole release.
    pub stored: u64,
}

/// The estimated release of `chart` (the chart folder's files as compile
/// writes them; those a release stores and the material library chart are
/// enough), installed with default values; `objects` is the network's
/// [`objects_cost`].
pub fn estimate(objects: u64, chart: &Tree) -> anyhow::Result<Estimate> {
    let (data, _) = manifest_data(&material(chart));
    let release = release_json(chart, &data)?;
    let compressed = gzip_len(release.as_bytes()) + objects;
    Ok(Estimate {
        stored: base64_len(compressed),
    })
}

/// The identity Secrets' share of the release of `chart` (what `--keys-dir`
/// takes out): compressing it costs as much again, so only a refusal asks.
pub fn secrets_share(chart: &Tree) -> u64 {
    let (_, secrets) = manifest_data(&material(chart));
    base64_len(gzip_len(secrets.as_bytes()))
}

/// The material library chart's named templates, as text.
fn material(chart: &Tree) -> String {
    chart
        .get(&format!("charts/{MATERIAL_CHART}/{MATERIAL_FILE}"))
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

/// Human-readable size: `812 KiB`, `1.3 MiB`.
pub fn human(bytes: u64) -> String {
    if bytes >= LIMIT {
        format!("{:.1} MiB", bytes as f64 / LIMIT as f64)
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

fn base64_len(bytes: u64) -> u64 {
    bytes.div_ceil(3) * 4
}

/// The length of `bytes` gzip'd, a little above what Go's best level gives:
/// compressed at the default level (on certificates and keys a fraction of
/// a percent larger than the best, in half the time), in pieces of 1 MiB side
/// by side (each piece starts without the 32 KiB of history deflate looks
/// back on).
fn gzip_len(bytes: &[u8]) -> u64 {
    use rayon::prelude::*;
    bytes
        .par_chunks(1 << 20)
        .map(|piece| {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
            encoder.write_all(piece).expect("writing to memory");
            encoder.finish().expect("writing to memory").len() as u64
        })
        .sum()
}

/// The material library chart's data as the manifest carries it (the
/// bodies of its named templates, the topology aside), and the identity
/// Secrets' part of it.
fn manifest_data(material: &str) -> (String, String) {
    let mut all = String::new();
    let mut secrets = String::new();
    let mut current: Option<(bool, bool)> = None;
    for line in material.lines() {
        if let Some(rest) = line.strip_prefix("{{- define \"") {
            let name = rest.split('"').next().unwrap_or_default();
            current = Some((
                name.ends_with(".topology"),
                name.starts_with(&format!("{MATERIAL_CHART}.secret.")),
            ));
            continue;
        }
        if line.starts_with("{{- end }}") {
            current = None;
            continue;
        }
        if let Some((topology, secret)) = current {
            if topology {
                continue;
            }
            all.push_str("  ");
            all.push_str(line);
            all.push('\n');
            if secret {
                secrets.push_str("  ");
                secrets.push_str(line);
                secrets.push('\n');
            }
        }
    }
    (all, secrets)
}

/// What the objects outside the material data cost, compressed.
pub fn objects_cost(network: &Network) -> u64 {
    let local: Vec<_> = network.orgs.iter().filter(|o| !o.external).collect();
    let nodes = |kind: OrgKind| -> u64 {
        local
            .iter()
            .filter(|o| o.kind == kind)
            .map(|o| o.nodes.len() as u64)
            .sum()
    };
    let identities: u64 = local.iter().map(|o| o.identities.len() as u64).sum();
    let servers: u64 = network
        .chaincodes
        .iter()
        .filter(|c| c.image.is_some())
        .map(|c| c.packages.len() as u64)
        .sum();
    FIXED
        + PER_PEER * nodes(OrgKind::Peer)
        + PER_ORDERER * nodes(OrgKind::Orderer)
        + PER_ORG * local.len() as u64
        + PER_IDENTITY * identities
        + PER_CHAINCODE_SERVER * servers
}

/// Whether Helm loads a chart file into the release: the chart's
/// `.helmignore` keeps the network's files out, and dependencies (the
/// material library chart) are not stored.
fn stored_in_release(path: &str) -> bool {
    !(path.starts_with("charts/")
        || path.starts_with("crypto-config/")
        || path.starts_with("chaincode/")
        || matches!(
            path,
            "configtx.yaml" | "topology.json" | "credentials.yaml" | crate::write::MANIFEST
        ))
}

/// The release as encoding/json writes pkg/release/v1 `Release`, with
/// `manifest` standing for the manifest.
fn release_json(chart: &Tree, manifest: &str) -> anyhow::Result<String> {
    let mut templates = Vec::new();
    let mut files = Vec::new();
    let mut metadata = Value::Null;
    let mut values = Value::Object(Map::new());
    let mut schema = Value::Null;
    for (path, file) in chart.files().filter(|(p, _)| stored_in_release(p)) {
        let entry = || json!({ "name": path, "data": base64(&file.bytes) });
        match path {
            "Chart.yaml" => metadata = yaml_as_json(&file.bytes)?,
            "values.yaml" => values = yaml_as_json(&file.bytes)?,
            "values.schema.json" => schema = json!(base64(&file.bytes)),
            _ if path.starts_with("templates/") => templates.push(entry()),
            _ => files.push(entry()),
        }
    }
    let release = json!({
        "name": "hlf-kube",
        "info": {
            "first_deployed": "2025-01-01T00:00:00Z",
            "last_deployed": "2025-01-01T00:00:00Z",
            "deleted": "",
            "description": "Install complete",
            "status": "deployed",
        },
        "chart": {
            "metadata": metadata,
            "lock": null,
            "templates": templates,
            "values": values,
            "schema": schema,
            "files": files,
        },
        "manifest": manifest,
        "version": 1,
        "namespace": "default",
    });
    Ok(serde_json::to_string(&release)?)
}

/// A YAML document as JSON with sorted keys (Go marshals maps sorted).
fn yaml_as_json(bytes: &[u8]) -> anyhow::Result<Value> {
    let value: Value = serde_yaml::from_slice(bytes)?;
    Ok(sorted(value))
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// compile estimates the release from the files rendered first: what
    /// else the chart holds is not in a release.
    #[test]
    fn files_a_release_does_not_store_do_not_change_the_estimate() {
        let mut rendered = Tree::new();
        rendered.insert(
            "Chart.yaml",
            "apiVersion: v2\nname: hlf-kube\nversion: 1.0.0\n",
        );
        rendered.insert("values.yaml", "a: 1\n");
        rendered.insert("templates/x.yaml", "kind: ConfigMap\n");
        rendered.insert(
            format!("charts/{MATERIAL_CHART}/{MATERIAL_FILE}"),
            "{{- define \"hlf-kube-material.secret.x\" -}}\nk: \"dmFsdWU=\"\n{{- end }}\n",
        );
        let mut whole = rendered.clone();
        for file in [
            "crypto-config/peerOrganizations/a/msp/cacerts/ca.pem",
            "chaincode/cc/a.tar.gz",
            "configtx.yaml",
            "topology.json",
            "credentials.yaml",
            crate::write::MANIFEST,
        ] {
            whole.insert(file, "not in the release");
        }
        assert_eq!(
            estimate(7, &rendered).unwrap(),
            estimate(7, &whole).unwrap()
        );
    }

    #[test]
    fn material_data_without_the_topology() {
        let text = "{{- define \"hlf-kube-material.topology\" -}}\n{\"a\":1}\n{{- end }}\n\
                    {{- define \"hlf-kube-material.secret.x\" -}}\nk: \"v\"\n{{- end }}\n\
                    {{- define \"hlf-kube-material.packages\" -}}\np: AAAA\n{{- end }}\n";
        let (all, secrets) = manifest_data(text);
        assert_eq!(all, "  k: \"v\"\n  p: AAAA\n");
        assert_eq!(secrets, "  k: \"v\"\n");
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human(812 * 1024), "812 KiB");
        assert_eq!(human(LIMIT * 13 / 10), "1.3 MiB");
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(4), 8);
    }
}
