//! Render the `hlf-kube` chart: the embedded chart templates, the emitted
//! configtx.yaml, topology.json, and the material library chart the Helm
//! templates render their objects from (see [`material`]).

use anyhow::Context;
use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::templates::{self, CHART_TEMPLATES, HBS_SUFFIX};

pub mod material;
pub mod profiles;
pub mod release;
pub mod secrets;
mod topology;

use crate::credentials::Credentials;
use crate::model::layout::CRYPTO_DIR;
use crate::model::OrgKind;
use crate::model::{Channel, Network, Org};
use crate::tree::Tree;

pub const CHART_NAME: &str = "hlf-kube";
pub const TOPOLOGY_FILE: &str = "topology.json";

/// topology.json: the model, plus what only exists after generation (secret
/// checksums, package ids). The templates read a part of it (see
/// [`topology`]); this whole one is for people and tools.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Topology<'a> {
    network: &'a Network,
    /// Secret name -> a short hash of its files, for the pods' checksum annotations.
    checksums: &'a IndexMap<String, String>,
    /// Package file -> package id.
    package_ids: &'a IndexMap<String, String>,
    /// The identity Secrets are made outside the chart (`--keys-dir`).
    secrets_outside: bool,
}

/// What the chart is rendered from, besides the network.
pub struct Inputs<'a> {
    /// Lifecycle package bytes by chart-relative file.
    pub packages: &'a IndexMap<String, Vec<u8>>,
    /// Package file -> package id.
    pub package_ids: &'a IndexMap<String, String>,
    /// The full `crypto-config/` tree.
    pub material: &'a Tree,
    /// The identity and credential Secrets are made outside the chart (`--keys-dir`).
    pub secrets_outside: bool,
    pub credentials: &'a Credentials,
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

/// The JSON schema of topology.json (committed as schemas/topology.schema.json).
pub fn topology_schema() -> schemars::Schema {
    schemars::schema_for!(Topology<'static>)
}

/// Renders the chart's own files: the templates, topology.json and the
/// material library chart. With `secrets_outside` (`--keys-dir`) the chart
/// renders no identity or credential Secret and only references them.
/// `made` is handed the templates and the library chart as soon as they are
/// made (before topology.json, made beside them).
pub fn render(
    network: &Network,
    inputs: &Inputs<'_>,
    made: impl FnOnce(&Tree) + Send,
) -> anyhow::Result<Tree> {
    let checksums = checksums(network, inputs.material, inputs.credentials)?;
    // topology.json beside the templates and the library chart made with them.
    let (chart, topology) = rayon::join(
        || -> anyhow::Result<Tree> {
            let mut chart = render_templates(network)?;
            let library = render_library(network, inputs, &checksums, &chart)?;
            chart.insert_file(
                format!(
                    "charts/{}/{}",
                    material::MATERIAL_CHART,
                    material::MATERIAL_FILE
                ),
                library,
            );
            made(&chart);
            Ok(chart)
        },
        || -> anyhow::Result<String> {
            let topology = Topology {
                network,
                checksums: &checksums,
                package_ids: inputs.package_ids,
                secrets_outside: inputs.secrets_outside,
            };
            let mut json = serde_json::to_string_pretty(&topology)?;
            json.push('\n');
            Ok(json)
        },
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

/// The material library chart's file: the data the chart's templates render
/// their objects from, with `chart`'s configtx.yaml.
fn render_library(
    network: &Network,
    inputs: &Inputs<'_>,
    checksums: &IndexMap<String, String>,
    chart: &Tree,
) -> anyhow::Result<crate::tree::File> {
    let template_topology = topology::TemplateTopology {
        network: topology::NetworkView::of(network),
        checksums,
        package_ids: inputs.package_ids,
        secrets_outside: inputs.secrets_outside,
        flows: topology::FlowAccess::all(),
        connection_profiles: topology::ConnectionProfileConfigMap::all(network),
        orderer_max_unavailable: network.orderer_max_unavailable(),
    };
    let configtx = chart
        .get("configtx.yaml")
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .context("the chart templates render configtx.yaml")?;
    let library = material::render(
        &material::Material {
            network,
            tree: inputs.material,
            packages: inputs.packages,
            configtx: &configtx,
            credentials: inputs.credentials,
            secrets_outside: inputs.secrets_outside,
        },
        &template_topology,
    )?;
    Ok(crate::tree::File {
        bytes: library.into_bytes(),
        private: !inputs.secrets_outside,
    })
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
                OrgKind::Orderer => network
                    .ordering_nodes(org)
                    .iter()
                    .map(|n| n.endpoint().address())
                    .collect(),
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

/// A hash over each Secret's files (key, then content), so a pod's checksum
/// annotation changes exactly when one of its files does: the identity
/// Secrets' and the credential Secrets the chart makes. 64 bits of sha256
/// tell a change apart; the rest would only weigh on the release.
fn checksums(
    network: &Network,
    material: &Tree,
    credentials: &Credentials,
) -> anyhow::Result<IndexMap<String, String>> {
    fn short(hasher: Sha256) -> String {
        hex::encode(&hasher.finalize()[..8])
    }
    let mut out = IndexMap::new();
    for org in network.orgs.iter().filter(|o| !o.external) {
        for (name, identity) in &org.identities {
            let mut hasher = Sha256::new();
            for file in &identity.files {
                hasher.update(file.key.as_bytes());
                hasher.update([0]);
                hasher.update(material_file(material, &file.source)?);
            }
            out.insert(name.to_string(), short(hasher));
        }
    }
    for (name, login) in [
        (network.objects.couchdb_credentials, &credentials.couchdb),
        (network.objects.ca_admin, &credentials.ca),
    ] {
        let mut hasher = Sha256::new();
        hasher.update(login.username.as_bytes());
        hasher.update([0]);
        hasher.update(login.password.as_bytes());
        out.insert(name.to_string(), short(hasher));
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
