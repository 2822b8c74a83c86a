//! Render the `hlf-kube` chart: the embedded chart templates, the emitted
//! configtx.yaml and the topology the Helm templates iterate over.

use anyhow::Context;
use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::templates::{self, CHART_TEMPLATES, HBS_SUFFIX};

pub mod profiles;
pub mod secrets;
use crate::model::layout::CRYPTO_DIR;
use crate::model::OrgKind;
use crate::model::{Channel, Network, Org};
use crate::tree::Tree;

pub const CHART_NAME: &str = "hlf-kube";
pub const TOPOLOGY_FILE: &str = "topology.json";

/// What the Helm templates read from `topology.json`: the model, plus what
/// only exists after generation (secret checksums, package ids).
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Topology<'a> {
    network: &'a Network,
    /// Secret name -> sha256 of its files, for the pods' checksum annotations.
    checksums: IndexMap<String, String>,
    /// Package file -> package id.
    package_ids: &'a IndexMap<String, String>,
    /// The identity Secrets are made outside the chart (`--keys-dir`).
    secrets_outside: bool,
    /// The chart files the configtx ConfigMap carries: the public material
    /// (`Network::is_public_material`) that was made or copied in.
    configtx_files: Vec<String>,
    /// Per local peer org, by org name: the ConfigMap holding its connection
    /// profile for applications in the cluster, and the profile, each TLS CA
    /// certificate as a chart file path (the template puts in its PEM).
    connection_profiles: IndexMap<String, ConnectionProfileConfigMap>,
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ConnectionProfileConfigMap {
    org_key: String,
    config_map: String,
    profile: profiles::Profile,
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ConfigtxOrg<'a> {
    key: &'a str,
    msp_id: &'a str,
    msp_dir: &'a str,
    policies: &'a crate::load::configtx::Policies,
    anchor_peers: &'a [crate::model::Endpoint],
    orderer_endpoints: Vec<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ConfigtxChannel<'a> {
    name: &'a str,
    profile: &'a crate::model::ChannelProfile,
    orderer_org_keys: Vec<&'a str>,
    application_org_keys: Vec<&'a str>,
}

/// The JSON schema of topology.json, what the chart's templates read
/// (committed as schemas/topology.schema.json).
pub fn topology_schema() -> schemars::Schema {
    schemars::schema_for!(Topology<'static>)
}

/// Renders the chart's own files: the templates and topology.json. `material`
/// is the full `crypto-config/` tree (for the Secrets' checksums);
/// `secrets_outside` says the identity Secrets are made outside the chart
/// (`--keys-dir`), so the chart renders none and only references them.
pub fn render(
    network: &Network,
    package_ids: &IndexMap<String, String>,
    material: &Tree,
    secrets_outside: bool,
) -> anyhow::Result<Tree> {
    let (chart, topology) = rayon::join(
        || render_templates(network),
        || topology_json(network, package_ids, material, secrets_outside),
    );
    let mut chart = chart?;
    chart.insert(TOPOLOGY_FILE, topology?);
    Ok(chart)
}

/// The chart's template files, the `.hbs` ones rendered (in parallel, from
/// one context).
fn render_templates(network: &Network) -> anyhow::Result<Tree> {
    let hb = templates::registry(CHART_TEMPLATES)?;
    let header = generated_header(network);
    // Of the model, the templates read the settings only: the rest (most of
    // topology.json) would be converted for nothing.
    let context = handlebars::Context::from(serde_json::json!({
        "header": header,
        "network": { "settings": &network.settings },
        "chart": { "name": CHART_NAME },
        "orgs": configtx_orgs(network),
        "channels": configtx_channels(network),
    }));
    let files = CHART_TEMPLATES
        .par_iter()
        .map(|(path, text)| {
            Ok(match path.strip_suffix(HBS_SUFFIX) {
                Some(target) => {
                    let mut text = templates::render(&hb, path, &context)?;
                    if !text.ends_with('\n') {
                        text.push('\n');
                    }
                    (target, text)
                }
                None => (*path, text.to_string()),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut chart = Tree::new();
    for (target, content) in files {
        chart.insert(target, content);
    }
    Ok(chart)
}

/// topology.json, what the Helm templates iterate over.
fn topology_json(
    network: &Network,
    package_ids: &IndexMap<String, String>,
    material: &Tree,
    secrets_outside: bool,
) -> anyhow::Result<String> {
    let checksums = secret_checksums(network, material)?;
    let topology = Topology {
        network,
        checksums,
        package_ids,
        secrets_outside,
        configtx_files: material
            .files()
            .map(|(path, _)| path)
            .filter(|path| network.is_public_material(path))
            .map(|path| format!("{CRYPTO_DIR}/{path}"))
            .collect(),
        connection_profiles: profiles::profiles(
            network,
            profiles::Reach::Cluster,
            material,
            profiles::Inline::Path,
        )?
        .into_iter()
        .map(|(name, profile)| {
            let key = network
                .org(&name)
                .map(|o| o.key.as_str())
                .unwrap_or_default();
            let entry = ConnectionProfileConfigMap {
                org_key: key.to_string(),
                config_map: crate::model::names::connection_profile_config_map(key),
                profile,
            };
            (name, entry)
        })
        .collect(),
    };
    let mut json = serde_json::to_string_pretty(&topology)?;
    json.push('\n');
    Ok(json)
}

/// The bytes of a chart-relative material file (`crypto-config/...`).
pub fn material_file<'a>(material: &'a Tree, source: &str) -> anyhow::Result<&'a [u8]> {
    source
        .strip_prefix(&format!("{CRYPTO_DIR}/"))
        .and_then(|rel| material.get(rel))
        .with_context(|| format!("the generated material has no {source}"))
}

fn generated_header(network: &Network) -> String {
    let _ = network;
    "# Generated by fabchart. Do not edit: change the project's input files and compile again."
        .to_string()
}

fn configtx_orgs(network: &Network) -> Vec<ConfigtxOrg<'_>> {
    network
        .orgs
        .iter()
        .map(|org| ConfigtxOrg {
            key: &org.key,
            msp_id: &org.msp_id,
            msp_dir: &org.msp_dir,
            policies: &org.policies,
            anchor_peers: &org.anchor_peers,
            orderer_endpoints: match org.kind {
                OrgKind::Orderer => org.nodes.iter().map(|n| n.endpoint().address()).collect(),
                OrgKind::Peer => Vec::new(),
            },
        })
        .collect()
}

fn configtx_channels(network: &Network) -> Vec<ConfigtxChannel<'_>> {
    let key_of = |name: &String| {
        network
            .org(name)
            .map(|o: &Org| o.key.as_str())
            .unwrap_or_default()
    };
    network
        .channels
        .iter()
        .map(|channel: &Channel| ConfigtxChannel {
            name: &channel.name,
            profile: &channel.profile,
            orderer_org_keys: channel.profile.orderer.orgs.iter().map(key_of).collect(),
            application_org_keys: channel
                .profile
                .application
                .orgs
                .iter()
                .map(key_of)
                .collect(),
        })
        .collect()
}

/// sha256 over each Secret's files (key, then content), so a pod's checksum
/// annotation changes exactly when one of its files does.
fn secret_checksums(
    network: &Network,
    material: &Tree,
) -> anyhow::Result<IndexMap<String, String>> {
    let mut out = IndexMap::new();
    for org in network.orgs.iter().filter(|o| !o.external) {
        for (name, identity) in &org.identities {
            let mut hasher = Sha256::new();
            for file in &identity.files {
                hasher.update(file.key.as_bytes());
                hasher.update([0]);
                hasher.update(material_file(material, &file.source)?);
            }
            out.insert(name.to_string(), hex::encode(hasher.finalize()));
        }
    }
    Ok(out)
}

/// Whether a chart's topology.json says it was compiled with `--keys-dir`.
pub fn secrets_outside(topology: Option<&[u8]>) -> bool {
    topology
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(bytes).ok())
        .and_then(|t| t["secretsOutside"].as_bool())
        .unwrap_or(false)
}
