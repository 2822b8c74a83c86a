//! `configtx.yaml` in Fabric's format. Anchors and `<<` merge keys are
//! resolved before the typed structs see the document, as configtxgen does.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ConfigtxFile {
    #[serde(default)]
    pub organizations: Option<Vec<Organization>>,
    #[serde(default)]
    pub capabilities: Option<IndexMap<String, Capabilities>>,
    #[serde(default)]
    pub application: Option<Application>,
    #[serde(default)]
    pub orderer: Option<Orderer>,
    #[serde(default)]
    pub channel: Option<ChannelDefaults>,
    #[serde(default)]
    pub profiles: IndexMap<String, Profile>,
}

/// A capability map such as `{V2_0: true}`.
pub type Capabilities = IndexMap<String, bool>;

pub type Policies = IndexMap<String, Policy>;

#[derive(Debug, Deserialize, Serialize, Clone, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Policy {
    #[serde(rename = "Type")]
    pub kind: String,
    pub rule: String,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Organization {
    pub name: String,
    #[serde(rename = "ID")]
    pub id: Option<String>,
    #[serde(rename = "MSPDir")]
    pub msp_dir: Option<String>,
    #[serde(default, rename = "MSPType")]
    pub msp_type: Option<String>,
    #[serde(default)]
    pub skip_as_foreign: Option<bool>,
    #[serde(default)]
    pub admin_principal: Option<String>,
    #[serde(default)]
    pub policies: Option<Policies>,
    #[serde(default)]
    pub anchor_peers: Option<Vec<AnchorPeer>>,
    #[serde(default)]
    pub orderer_endpoints: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AnchorPeer {
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Application {
    #[serde(default)]
    pub organizations: Option<Vec<Organization>>,
    #[serde(default)]
    pub policies: Option<Policies>,
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
    #[serde(default, rename = "ACLs")]
    pub acls: Option<IndexMap<String, String>>,
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Orderer {
    #[serde(default)]
    pub orderer_type: Option<String>,
    #[serde(default)]
    pub addresses: Option<Vec<String>>,
    #[serde(default)]
    pub batch_timeout: Option<String>,
    #[serde(default)]
    pub batch_size: Option<BatchSize>,
    #[serde(default)]
    pub max_channels: Option<u64>,
    #[serde(default)]
    pub kafka: Option<serde_yaml::Value>,
    #[serde(default)]
    pub etcd_raft: Option<EtcdRaft>,
    #[serde(default)]
    pub organizations: Option<Vec<Organization>>,
    #[serde(default)]
    pub policies: Option<Policies>,
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
}

#[derive(Debug, Deserialize, Serialize, Clone, Default, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BatchSize {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_message_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absolute_max_bytes: Option<ByteSize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_max_bytes: Option<ByteSize>,
}

/// A size as configtxgen reads it: a number of bytes, or text like `99 MB`
/// (checked by the model). Written back as it was given.
#[derive(Debug, Deserialize, Serialize, Clone, PartialEq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum ByteSize {
    Bytes(u64),
    Text(String),
}

impl ByteSize {
    pub fn text(&self) -> String {
        match self {
            ByteSize::Bytes(n) => n.to_string(),
            ByteSize::Text(t) => t.clone(),
        }
    }
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EtcdRaft {
    #[serde(default)]
    pub consenters: Option<Vec<Consenter>>,
    #[serde(default)]
    pub options: Option<RaftOptions>,
}

/// `EtcdRaft.Options`: the fields of Fabric's `etcdraft.Options`.
#[derive(Debug, Deserialize, Serialize, Clone, Default, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RaftOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_tick: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_tick: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_inflight_blocks: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_interval_size: Option<ByteSize>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Consenter {
    pub host: String,
    pub port: u16,
    #[serde(default, rename = "ClientTLSCert")]
    pub client_tls_cert: Option<String>,
    #[serde(default, rename = "ServerTLSCert")]
    pub server_tls_cert: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ChannelDefaults {
    #[serde(default)]
    pub policies: Option<Policies>,
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Profile {
    #[serde(default)]
    pub consortium: Option<String>,
    #[serde(default)]
    pub consortiums: Option<IndexMap<String, Consortium>>,
    #[serde(default)]
    pub application: Option<Application>,
    #[serde(default)]
    pub orderer: Option<Orderer>,
    #[serde(default)]
    pub policies: Option<Policies>,
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
}

#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Consortium {
    #[serde(default)]
    pub organizations: Option<Vec<Organization>>,
}
