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
    /// BFT's consenters (Fabric 3).
    #[serde(default)]
    pub consenter_mapping: Option<Vec<ConsenterMapping>>,
    /// BFT's options (Fabric 3).
    #[serde(default, rename = "SmartBFT")]
    pub smart_bft: Option<SmartBftOptions>,
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

/// One entry of `Orderer.ConsenterMapping` (BFT). fabchart fills in the
/// certificates (`Identity`, `ClientTLSCert`, `ServerTLSCert`) and the MSP ID
/// from the node's material; given ones are accepted and replaced.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ConsenterMapping {
    #[serde(rename = "ID")]
    pub id: u32,
    #[serde(rename = "Host")]
    pub host: String,
    #[serde(rename = "Port")]
    pub port: u16,
    #[serde(default, rename = "MSPID")]
    pub msp_id: Option<String>,
    #[serde(default, rename = "Identity")]
    pub identity: Option<String>,
    #[serde(default, rename = "ClientTLSCert")]
    pub client_tls_cert: Option<String>,
    #[serde(default, rename = "ServerTLSCert")]
    pub server_tls_cert: Option<String>,
}

/// `Orderer.SmartBFT`: the fields of Fabric's `smartbft.Options` that
/// configtxgen reads (it turns leader rotation off itself, so
/// `LeaderRotation` and `DecisionsPerLeader` are not among them).
#[derive(Debug, Deserialize, Serialize, Clone, Default, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SmartBftOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_batch_max_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_batch_max_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_batch_max_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoming_message_buffer_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_pool_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_forward_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_complain_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_auto_remove_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_max_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_change_resend_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_change_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_heartbeat_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_heartbeat_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collect_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_on_start: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_up_view_change: Option<bool>,
}

impl SmartBftOptions {
    /// The options with every one configtxgen needs filled in: an incomplete
    /// `SmartBFT` section passes configtxgen and fails at `osnadmin channel
    /// join` (an empty duration), so what is not given is the SmartBFT
    /// library's default, as configtxgen writes when the section is absent.
    pub fn completed(&self) -> SmartBftOptions {
        let d = |given: &Option<String>, default: &str| {
            Some(given.clone().unwrap_or_else(|| default.to_string()))
        };
        let n = |given: Option<u64>, default: u64| Some(given.unwrap_or(default));
        SmartBftOptions {
            request_batch_max_count: n(self.request_batch_max_count, 100),
            request_batch_max_bytes: n(self.request_batch_max_bytes, 10 * 1024 * 1024),
            request_batch_max_interval: d(&self.request_batch_max_interval, "50ms"),
            incoming_message_buffer_size: n(self.incoming_message_buffer_size, 200),
            request_pool_size: n(self.request_pool_size, 400),
            request_forward_timeout: d(&self.request_forward_timeout, "2s"),
            request_complain_timeout: d(&self.request_complain_timeout, "20s"),
            request_auto_remove_timeout: d(&self.request_auto_remove_timeout, "3m0s"),
            request_max_bytes: self.request_max_bytes,
            view_change_resend_interval: d(&self.view_change_resend_interval, "5s"),
            view_change_timeout: d(&self.view_change_timeout, "20s"),
            leader_heartbeat_timeout: d(&self.leader_heartbeat_timeout, "1m0s"),
            leader_heartbeat_count: n(self.leader_heartbeat_count, 10),
            collect_timeout: d(&self.collect_timeout, "1s"),
            sync_on_start: self.sync_on_start,
            speed_up_view_change: self.speed_up_view_change,
        }
    }
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
