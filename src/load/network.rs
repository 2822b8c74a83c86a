//! `network.yaml` in PIVT's format, with fabchart's extensions (Fabric
//! version, chaincode image and type, persistence defaults).

use indexmap::IndexMap;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkFile {
    #[serde(default)]
    pub tls_enabled: bool,
    #[serde(default)]
    pub use_actual_domains: bool,
    /// Fabric release of the peer, orderer and tools images (default 2.5).
    #[serde(default)]
    pub fabric_version: Option<String>,
    #[serde(default)]
    pub external_orderer: Option<ExternalOrderer>,
    /// How other clusters reach this cluster's peers and orderers: what
    /// `fabchart bundle export` tells them.
    #[serde(default)]
    pub expose: Option<Expose>,
    pub network: NetworkSection,
}

/// network.yaml's `expose`: where this cluster's node names resolve from
/// other clusters, when DNS does not say.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expose {
    /// The IP every local peer and orderer is reached at (an ingress
    /// controller's with TLS passthrough), unless `nodes` gives its own.
    #[serde(default)]
    pub ip: Option<String>,
    /// Per node (by fqdn or Service name): its own IP (a LoadBalancer's).
    #[serde(default)]
    pub nodes: IndexMap<String, String>,
}

/// PIVT's `externalOrderer`: the orderer the flows talk to when this cluster runs none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalOrderer {
    #[serde(default)]
    pub enabled: bool,
    pub org_name: String,
    pub domain: String,
    pub host: String,
    pub port: serde_yaml::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkSection {
    /// PIVT: profile of the system channel genesis block. fabchart runs without a
    /// system channel and takes the orderer section and consortiums from it.
    #[serde(default)]
    pub genesis_profile: Option<String>,
    #[serde(default, rename = "systemChannelID")]
    pub system_channel_id: Option<String>,
    #[serde(default)]
    pub channels: Vec<ChannelEntry>,
    #[serde(default)]
    pub chaincodes: Vec<ChaincodeEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChannelEntry {
    pub name: String,
    #[serde(default)]
    pub orgs: Vec<String>,
    /// Orgs of other clusters that belong on the channel (used by the peer-org flow).
    #[serde(default)]
    pub external_orgs: Vec<String>,
    /// configtx.yaml profile to create the channel from; defaults to the channel's name.
    #[serde(default)]
    pub profile: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChaincodeEntry {
    pub name: String,
    /// PIVT leaves this empty to mean the global `chaincode.version`.
    #[serde(default)]
    pub version: Option<serde_yaml::Value>,
    /// PIVT: source language for the docker-in-docker builder (golang, node, java).
    #[serde(default)]
    pub language: Option<String>,
    /// `ccaas` (chaincode as a service, default) or `source` (built by the peer
    /// through docker-in-docker, PIVT's way).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Image of the chaincode server for `ccaas`.
    #[serde(default)]
    pub image: Option<String>,
    /// Port the chaincode server listens on for `ccaas` (default 9999).
    #[serde(default)]
    pub port: Option<u16>,
    /// Folder with the chaincode source, relative to the project folder, for `source`
    /// (default `chaincode/<name>`).
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub orgs: Vec<String>,
    #[serde(default)]
    pub channels: Vec<ChaincodeChannel>,
    /// Extra environment of the chaincode server.
    #[serde(default)]
    pub env: IndexMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChaincodeChannel {
    pub name: String,
    #[serde(default)]
    pub orgs: Vec<String>,
    #[serde(default)]
    pub policy: Option<String>,
    /// Name of a channel-config policy instead of a signature policy, e.g.
    /// `/Channel/Application/Endorsement`.
    #[serde(default)]
    pub channel_config_policy: Option<String>,
    #[serde(default)]
    pub init_required: bool,
    /// Private data collections config file, relative to the project folder.
    #[serde(default)]
    pub collections: Option<String>,
}
