//! What the Helm templates read of the network: the model's names, ports and
//! paths for each object they render, and nothing they do not (channels and
//! their profiles are in configtx.yaml; the flows read the model itself).
//! It reaches the templates through the material library chart; the chart's
//! topology.json is the whole model, for people and tools.

use indexmap::IndexMap;
use serde::Serialize;

use crate::model::{
    names, pod, CertificateAuthority, Chaincode, Network, Node, OrgKind, SecretFile, Settings,
};
use crate::render::workflow::{access, Flow};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateTopology<'a> {
    pub network: NetworkView<'a>,
    /// Secret name -> a short hash of its files, for the pods' checksum annotations.
    pub checksums: &'a IndexMap<String, String>,
    /// Package file -> package id.
    pub package_ids: &'a IndexMap<String, String>,
    /// The identity Secrets are made outside the chart (`--keys-dir`).
    pub secrets_outside: bool,
    /// Each flow's ServiceAccount and what its Role allows.
    pub flows: Vec<FlowAccess>,
    /// maxUnavailable of the orderers' PodDisruptionBudget: how many local
    /// orderers may be down with every channel's quorum kept (none: a
    /// voluntary disruption cannot keep it, so no budget).
    pub orderer_max_unavailable: Option<usize>,
    /// Per local peer org, by org name: the ConfigMap holding its connection
    /// profile for applications in the cluster (the profile itself is the
    /// material library chart's `connection-profile.<org key>`).
    pub connection_profiles: IndexMap<String, ConnectionProfileConfigMap>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionProfileConfigMap {
    org_key: String,
    config_map: String,
}

impl ConnectionProfileConfigMap {
    /// Every local peer org's.
    pub fn all(network: &Network) -> IndexMap<String, Self> {
        network
            .orgs
            .iter()
            .filter(|o| o.kind == OrgKind::Peer && !o.external)
            .map(|org| {
                let entry = ConnectionProfileConfigMap {
                    config_map: names::connection_profile_config_map(&org.key),
                    org_key: org.key.clone(),
                };
                (org.name.clone(), entry)
            })
            .collect()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowAccess {
    name: &'static str,
    account: String,
    rules: Vec<access::Rule>,
}

impl FlowAccess {
    pub fn all() -> Vec<FlowAccess> {
        Flow::ALL
            .iter()
            .map(|flow| FlowAccess {
                name: flow.name(),
                account: names::flow_account(flow.name()),
                rules: access::rules(*flow),
            })
            .collect()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkView<'a> {
    settings: &'a Settings,
    ports: &'a pod::Ports,
    paths: &'a pod::PodPaths,
    objects: &'a pod::Objects,
    orderer_service: &'a Option<String>,
    orgs: Vec<OrgView<'a>>,
    chaincodes: &'a [Chaincode],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrgView<'a> {
    kind: OrgKind,
    key: &'a str,
    msp_id: &'a str,
    external: bool,
    service: &'a str,
    msp_secret: &'a str,
    ca: &'a CertificateAuthority,
    nodes: &'a [Node],
    identities: IndexMap<&'a str, IdentityView<'a>>,
}

/// An identity Secret: the certificate's name, and where its own files and
/// the org's shared ones go in a pod.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentityView<'a> {
    name: &'a str,
    files: Vec<Mount<'a>>,
    shared: Vec<Mount<'a>>,
}

#[derive(Serialize)]
struct Mount<'a> {
    key: &'a str,
    mount: &'a str,
}

fn mounts(files: &[SecretFile]) -> Vec<Mount<'_>> {
    files
        .iter()
        .map(|f| Mount {
            key: &f.key,
            mount: &f.mount,
        })
        .collect()
}

impl<'a> NetworkView<'a> {
    pub fn of(network: &'a Network) -> NetworkView<'a> {
        NetworkView {
            settings: &network.settings,
            ports: &network.ports,
            paths: &network.paths,
            objects: &network.objects,
            orderer_service: &network.orderer_service,
            orgs: network
                .orgs
                .iter()
                .map(|org| OrgView {
                    kind: org.kind,
                    key: &org.key,
                    msp_id: &org.msp_id,
                    external: org.external,
                    service: &org.service,
                    msp_secret: &org.msp_secret,
                    ca: &org.ca,
                    nodes: &org.nodes,
                    identities: org
                        .identities
                        .iter()
                        .map(|(secret, id)| {
                            (
                                secret.as_str(),
                                IdentityView {
                                    name: &id.name,
                                    files: mounts(&id.files),
                                    shared: mounts(&id.shared),
                                },
                            )
                        })
                        .collect(),
                })
                .collect(),
            chaincodes: &network.chaincodes,
        }
    }
}
