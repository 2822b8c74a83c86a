//! Connection profiles: per local peer org, Fabric's "common connection
//! profile" (what the Fabric SDKs, the Gateway samples, Caliper and Explorer
//! read): the org's MSP, its peers and CA, and the network's orderers, each
//! endpoint with its TLS CA certificate.
//!
//! One profile shape, made here from the model, with the certificates inline,
//! printed two ways: as JSON and YAML files for a developer
//! (`out/connection-profiles/`), and as the `connection.json` of a ConfigMap
//! per org for applications in the cluster (the material subchart).

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;

use crate::model::layout::CRYPTO_DIR;
use crate::model::{Network, Org, OrgKind};
use crate::tree::Tree;

/// Where applications reach the network from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Inside the cluster: the nodes' Service names (or actual domains).
    Cluster,
    /// From outside: each node's actual domain through the chart's Ingress
    /// (`peer.ingress` / `orderer.ingress`, TLS passed through) on port 443.
    Ingress,
}

/// The profile of an org, in the common connection profile's field names.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Profile {
    pub name: String,
    pub version: &'static str,
    pub client: Client,
    pub organizations: IndexMap<String, Organization>,
    pub peers: IndexMap<String, Node>,
    pub orderers: IndexMap<String, Node>,
    #[serde(
        rename = "certificateAuthorities",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub certificate_authorities: IndexMap<String, CertificateAuthority>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Client {
    pub organization: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Organization {
    pub mspid: String,
    pub peers: Vec<String>,
    #[serde(rename = "certificateAuthorities")]
    pub certificate_authorities: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Node {
    /// `grpcs://host:port` with TLS, `grpc://host:port` without.
    pub url: String,
    #[serde(rename = "tlsCACerts", skip_serializing_if = "Option::is_none")]
    pub tls_ca_certs: Option<Certificates>,
    #[serde(rename = "grpcOptions", skip_serializing_if = "Option::is_none")]
    pub grpc_options: Option<GrpcOptions>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GrpcOptions {
    /// The name the node's TLS certificate is checked against.
    #[serde(rename = "ssl-target-name-override")]
    pub ssl_target_name_override: String,
    #[serde(rename = "hostnameOverride")]
    pub hostname_override: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CertificateAuthority {
    pub url: String,
    #[serde(rename = "caName")]
    pub ca_name: String,
    #[serde(rename = "tlsCACerts")]
    pub tls_ca_certs: Certificates,
}

/// Certificates in PEM, as the common connection profile gives them:
/// `tlsCACerts: {pem: ...}`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Certificates {
    pub pem: String,
}

/// The profile of every local peer org, by org name, for `reach`, with the
/// certificates of `material` (the `crypto-config/` tree) inline.
pub fn profiles(
    network: &Network,
    reach: Reach,
    material: &Tree,
) -> anyhow::Result<IndexMap<String, Profile>> {
    let tls = network.settings.tls_enabled;
    let mut out = IndexMap::new();
    let orderers = orderer_nodes(network, reach, material)?;
    for org in network.local_orgs(OrgKind::Peer) {
        let mut peers = IndexMap::new();
        for node in &org.nodes {
            peers.insert(
                node.fqdn.clone(),
                endpoint(
                    tls,
                    reach,
                    &node.host,
                    &node.fqdn,
                    node.port,
                    tls_ca(org, material)?,
                ),
            );
        }
        let ca = CertificateAuthority {
            url: format!("https://{}:{}", org.ca.object, network.ports.ca),
            ca_name: org.ca.common_name.clone(),
            tls_ca_certs: certificates(
                &format!("{CRYPTO_DIR}/{}", org.crypto.ca_cert()),
                material,
            )?,
        };
        let mut certificate_authorities = IndexMap::new();
        // The CA runs in the cluster only (ca.enabled); no Ingress reaches it.
        if reach == Reach::Cluster {
            certificate_authorities.insert(org.ca.common_name.clone(), ca);
        }
        let mut organizations = IndexMap::new();
        organizations.insert(
            org.name.clone(),
            Organization {
                mspid: org.msp_id.clone(),
                peers: peers.keys().cloned().collect(),
                certificate_authorities: certificate_authorities.keys().cloned().collect(),
            },
        );
        out.insert(
            org.name.clone(),
            Profile {
                name: format!("{}-{}", crate::render::chart::CHART_NAME, org.key),
                version: "1.0.0",
                client: Client {
                    organization: org.name.clone(),
                },
                organizations,
                peers,
                orderers: orderers.clone(),
                certificate_authorities,
            },
        );
    }
    Ok(out)
}

/// The orderer nodes of every orderer org: local ones at their addresses,
/// other clusters' at the address configtx.yaml gives them.
fn orderer_nodes(
    network: &Network,
    reach: Reach,
    material: &Tree,
) -> anyhow::Result<IndexMap<String, Node>> {
    let tls = network.settings.tls_enabled;
    let mut out = IndexMap::new();
    for org in network.orgs.iter().filter(|o| o.kind == OrgKind::Orderer) {
        let Ok(ca) = tls_ca(org, material) else {
            // Another cluster's org whose public MSP is not here yet.
            continue;
        };
        for node in &org.nodes {
            out.insert(
                node.fqdn.clone(),
                endpoint(tls, reach, &node.host, &node.fqdn, node.port, ca.clone()),
            );
        }
    }
    Ok(out)
}

fn endpoint(
    tls: bool,
    reach: Reach,
    host: &str,
    fqdn: &str,
    port: u16,
    tls_ca: Certificates,
) -> Node {
    let (host, port) = match reach {
        Reach::Cluster => (host, port),
        Reach::Ingress => (fqdn, INGRESS_PORT),
    };
    Node {
        url: format!("{}://{host}:{port}", if tls { "grpcs" } else { "grpc" }),
        tls_ca_certs: tls.then_some(tls_ca),
        grpc_options: tls.then(|| GrpcOptions {
            ssl_target_name_override: host.to_string(),
            hostname_override: host.to_string(),
        }),
    }
}

/// The port an Ingress controller serves TLS on.
const INGRESS_PORT: u16 = 443;

/// The org's TLS CA certificate: the file of its public MSP's `tlscacerts/`.
fn tls_ca(org: &Org, material: &Tree) -> anyhow::Result<Certificates> {
    let dir = format!("{}/tlscacerts", org.crypto.msp_dir());
    let file = material
        .files_in(&dir)
        .first()
        .map(|f| format!("{dir}/{f}"))
        .ok_or_else(|| anyhow::anyhow!("org {} has no TLS CA certificate yet", org.name))?;
    certificates(&format!("{CRYPTO_DIR}/{file}"), material)
}

/// The certificate in chart file `path`.
fn certificates(path: &str, material: &Tree) -> anyhow::Result<Certificates> {
    let bytes = crate::render::chart::material_file(material, path)?;
    Ok(Certificates {
        pem: String::from_utf8_lossy(bytes).into_owned(),
    })
}

/// The files for developers: `<org>.json` and `.yaml` for the cluster, and
/// `<org>-ingress.json` and `.yaml` with TLS (their folder's README says
/// which is which).
pub fn files(network: &Network, material: &Tree) -> anyhow::Result<Tree> {
    let mut reaches = vec![(Reach::Cluster, "")];
    if network.settings.tls_enabled {
        reaches.push((Reach::Ingress, "-ingress"));
    }
    let mut named = Vec::new();
    for (reach, suffix) in reaches {
        for (name, profile) in profiles(network, reach, material)? {
            let key = network
                .org(&name)
                .map(|o| o.key.clone())
                .unwrap_or_else(|| name.to_lowercase());
            named.push((format!("{key}{suffix}"), profile));
        }
    }
    // Printed in parallel, the YAML by our own printer: serde_yaml's takes
    // some 1.5 ms for a profile with certificates inline.
    let printed = named
        .par_iter()
        .map(|(stem, profile)| {
            let value = serde_json::to_value(profile)?;
            let mut json = serde_json::to_string_pretty(&value)?;
            json.push('\n');
            let files = [
                (format!("{stem}.json"), json),
                (
                    format!("{stem}.yaml"),
                    crate::encoding::yaml::to_string(&value),
                ),
            ];
            anyhow::Ok(files)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut out = Tree::new();
    for (path, text) in printed.into_iter().flatten() {
        out.insert(path, text);
    }
    out.insert("README.md", README);
    Ok(out)
}

const README: &str = "\
# Connection profiles

Written by `fabchart compile`: for each org this network runs peers for,
Fabric's common connection profile, with the TLS CA certificates inline.

- `<org>.json`, `<org>.yaml`: for applications inside the cluster (the
  nodes' Service names, or their actual domains with `useActualDomains`).
  The chart also holds this profile in the ConfigMap `hlf-connection--<org>`
  (key `connection.json`).
- `<org>-ingress.json`, `<org>-ingress.yaml` (TLS networks): for
  applications outside the cluster, through the chart's Ingresses
  (`peer.ingress.enabled`, `orderer.ingress.enabled`, TLS passed through) on
  port 443, each node by its actual domain, which DNS must point at the
  Ingress controller.

An application also needs an identity of the org: a user's MSP (its
certificate and private key), e.g. the Secret `hlf-user--<org>--user1` in
the cluster, or `crypto-config/peerOrganizations/<domain>/users/User1@<domain>/msp`
of the chart (or of the --keys-dir folder).
";
