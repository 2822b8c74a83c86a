//! `update.*`: what `fabchart flow channel-update` changes in the channel
//! configs, per scope (PIVT's keys). What the values mean for a config is
//! `channel_update.rs`; here they are read and checked as the orderer and
//! configtxgen read them.

use schemars::JsonSchema;
use serde::Deserialize;

use super::common::default_from_fields;
use super::kinds;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSection {
    /// what the update changes, and so who signs: application, orderer or channel
    #[serde(default, deserialize_with = "kinds::text")]
    pub scope: String,
    /// sign and send (or hand on) this config update envelope instead of creating one
    #[serde(default, deserialize_with = "kinds::text")]
    pub file: String,
    #[serde(default)]
    pub application: ApplicationUpdate,
    #[serde(default)]
    pub orderer: OrdererUpdate,
    #[serde(default)]
    pub channel: ChannelConfigUpdate,
}

fn capabilities() -> String {
    "capabilities".into()
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApplicationUpdate {
    /// capabilities (the named settings) or jsonPath
    #[serde(
        default = "capabilities",
        rename = "type",
        deserialize_with = "kinds::text"
    )]
    pub kind: String,
    #[serde(default)]
    pub capabilities: Capability,
    /// "MAJORITY Admins" or "OR('A.admin','B.admin')"
    #[serde(default)]
    pub policies: ApplicationPolicies,
    #[serde(default)]
    pub json_path: JsonPath,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrdererUpdate {
    /// capabilities (the named settings) or jsonPath
    #[serde(
        default = "capabilities",
        rename = "type",
        deserialize_with = "kinds::text"
    )]
    pub kind: String,
    #[serde(default)]
    pub capabilities: Capability,
    /// BatchTimeout, e.g. 2s
    #[serde(default, deserialize_with = "kinds::duration")]
    pub batch_timeout: String,
    #[serde(default)]
    pub batch_size: BatchSize,
    #[serde(default)]
    pub smart_bft: SmartBftUpdate,
    /// "MAJORITY Admins" or "OR('A.admin','B.admin')"
    #[serde(default)]
    pub policies: OrdererPolicies,
    #[serde(default)]
    pub json_path: JsonPath,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChannelConfigUpdate {
    /// capabilities (the named settings) or jsonPath
    #[serde(
        default = "capabilities",
        rename = "type",
        deserialize_with = "kinds::text"
    )]
    pub kind: String,
    #[serde(default)]
    pub capabilities: Capability,
    /// "MAJORITY Admins" or "OR('A.admin','B.admin')"
    #[serde(default)]
    pub policies: ChannelPolicies,
    #[serde(default)]
    pub json_path: JsonPath,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capability {
    /// the one capability to enable, e.g. V2_5
    #[serde(default, deserialize_with = "kinds::text")]
    pub version: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BatchSize {
    /// BatchSize.MaxMessageCount
    #[serde(default, deserialize_with = "kinds::count")]
    pub max_message_count: String,
    /// BatchSize.AbsoluteMaxBytes, e.g. 99 MB
    #[serde(default, deserialize_with = "kinds::size")]
    pub absolute_max_bytes: String,
    /// BatchSize.PreferredMaxBytes, e.g. 512 KB
    #[serde(default, deserialize_with = "kinds::size")]
    pub preferred_max_bytes: String,
}

/// SmartBFT's options of BFT channels (Fabric 3): configtx.yaml's `SmartBFT`
/// keys, in camelCase; the orderer reads them from the channel's
/// ConsensusType metadata.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SmartBftUpdate {
    /// SmartBFT.RequestBatchMaxCount (BFT channels)
    #[serde(default, deserialize_with = "kinds::count")]
    pub request_batch_max_count: String,
    /// SmartBFT.RequestBatchMaxBytes, e.g. 10 MB
    #[serde(default, deserialize_with = "kinds::size")]
    pub request_batch_max_bytes: String,
    /// SmartBFT.RequestBatchMaxInterval, e.g. 50ms
    #[serde(default, deserialize_with = "kinds::duration")]
    pub request_batch_max_interval: String,
    /// SmartBFT.IncomingMessageBufferSize
    #[serde(default, deserialize_with = "kinds::count")]
    pub incoming_message_buffer_size: String,
    /// SmartBFT.RequestPoolSize
    #[serde(default, deserialize_with = "kinds::count")]
    pub request_pool_size: String,
    /// SmartBFT.RequestForwardTimeout, e.g. 2s
    #[serde(default, deserialize_with = "kinds::duration")]
    pub request_forward_timeout: String,
    /// SmartBFT.RequestComplainTimeout, e.g. 20s
    #[serde(default, deserialize_with = "kinds::duration")]
    pub request_complain_timeout: String,
    /// SmartBFT.RequestAutoRemoveTimeout, e.g. 3m0s
    #[serde(default, deserialize_with = "kinds::duration")]
    pub request_auto_remove_timeout: String,
    /// SmartBFT.RequestMaxBytes, e.g. 10 MB
    #[serde(default, deserialize_with = "kinds::size")]
    pub request_max_bytes: String,
    /// SmartBFT.ViewChangeResendInterval, e.g. 5s
    #[serde(default, deserialize_with = "kinds::duration")]
    pub view_change_resend_interval: String,
    /// SmartBFT.ViewChangeTimeout, e.g. 20s
    #[serde(default, deserialize_with = "kinds::duration")]
    pub view_change_timeout: String,
    /// SmartBFT.LeaderHeartbeatTimeout, e.g. 1m0s
    #[serde(default, deserialize_with = "kinds::duration")]
    pub leader_heartbeat_timeout: String,
    /// SmartBFT.LeaderHeartbeatCount
    #[serde(default, deserialize_with = "kinds::count")]
    pub leader_heartbeat_count: String,
    /// SmartBFT.CollectTimeout, e.g. 1s
    #[serde(default, deserialize_with = "kinds::duration")]
    pub collect_timeout: String,
    /// SmartBFT.SyncOnStart: true or false
    #[serde(default, deserialize_with = "kinds::switch")]
    pub sync_on_start: String,
    /// SmartBFT.SpeedUpViewChange: true or false
    #[serde(default, deserialize_with = "kinds::switch")]
    pub speed_up_view_change: String,
}

/// How a SmartBFT option's value is held in the decoded channel config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmartBftKind {
    /// A uint64 (configtxlator prints it as a JSON string).
    Count,
    /// A configtxgen byte size, held as a uint64.
    Bytes,
    /// A Go duration, held as its text.
    Duration,
    /// A boolean.
    Switch,
}

impl SmartBftUpdate {
    /// Each option set: its key, its field in the decoded metadata
    /// (`smartbft.Options`), its kind and its text.
    pub fn set(&self) -> Vec<(&'static str, &'static str, SmartBftKind, &str)> {
        use SmartBftKind::*;
        [
            (
                "requestBatchMaxCount",
                "request_batch_max_count",
                Count,
                &self.request_batch_max_count,
            ),
            (
                "requestBatchMaxBytes",
                "request_batch_max_bytes",
                Bytes,
                &self.request_batch_max_bytes,
            ),
            (
                "requestBatchMaxInterval",
                "request_batch_max_interval",
                Duration,
                &self.request_batch_max_interval,
            ),
            (
                "incomingMessageBufferSize",
                "incoming_message_buffer_size",
                Count,
                &self.incoming_message_buffer_size,
            ),
            (
                "requestPoolSize",
                "request_pool_size",
                Count,
                &self.request_pool_size,
            ),
            (
                "requestForwardTimeout",
                "request_forward_timeout",
                Duration,
                &self.request_forward_timeout,
            ),
            (
                "requestComplainTimeout",
                "request_complain_timeout",
                Duration,
                &self.request_complain_timeout,
            ),
            (
                "requestAutoRemoveTimeout",
                "request_auto_remove_timeout",
                Duration,
                &self.request_auto_remove_timeout,
            ),
            (
                "requestMaxBytes",
                "request_max_bytes",
                Bytes,
                &self.request_max_bytes,
            ),
            (
                "viewChangeResendInterval",
                "view_change_resend_interval",
                Duration,
                &self.view_change_resend_interval,
            ),
            (
                "viewChangeTimeout",
                "view_change_timeout",
                Duration,
                &self.view_change_timeout,
            ),
            (
                "leaderHeartbeatTimeout",
                "leader_heartbeat_timeout",
                Duration,
                &self.leader_heartbeat_timeout,
            ),
            (
                "leaderHeartbeatCount",
                "leader_heartbeat_count",
                Count,
                &self.leader_heartbeat_count,
            ),
            (
                "collectTimeout",
                "collect_timeout",
                Duration,
                &self.collect_timeout,
            ),
            ("syncOnStart", "sync_on_start", Switch, &self.sync_on_start),
            (
                "speedUpViewChange",
                "speed_up_view_change",
                Switch,
                &self.speed_up_view_change,
            ),
        ]
        .into_iter()
        .filter(|(.., text)| !text.is_empty())
        .map(|(key, field, kind, text)| (key, field, kind, text.as_str()))
        .collect()
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonPath {
    /// with type=jsonPath: the value to set, as .a.b.c into the decoded config
    #[serde(default, deserialize_with = "kinds::text")]
    pub key: String,
    /// with type=jsonPath: JSON if it parses, else a string
    #[serde(default, deserialize_with = "kinds::text")]
    pub value: String,
}

// The policies configtxgen makes, per scope (any other: `type=jsonPath`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ApplicationPolicies {
    #[serde(default, deserialize_with = "kinds::policy")]
    pub readers: String,
    #[serde(default, deserialize_with = "kinds::policy")]
    pub writers: String,
    #[serde(default, deserialize_with = "kinds::policy")]
    pub admins: String,
    #[serde(default, deserialize_with = "kinds::policy")]
    pub endorsement: String,
    #[serde(default, deserialize_with = "kinds::policy")]
    pub lifecycle_endorsement: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OrdererPolicies {
    #[serde(default, deserialize_with = "kinds::policy")]
    pub readers: String,
    #[serde(default, deserialize_with = "kinds::policy")]
    pub writers: String,
    #[serde(default, deserialize_with = "kinds::policy")]
    pub admins: String,
    #[serde(default, deserialize_with = "kinds::policy")]
    pub block_validation: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ChannelPolicies {
    #[serde(default, deserialize_with = "kinds::policy")]
    pub readers: String,
    #[serde(default, deserialize_with = "kinds::policy")]
    pub writers: String,
    #[serde(default, deserialize_with = "kinds::policy")]
    pub admins: String,
}

default_from_fields!(
    UpdateSection,
    ApplicationUpdate,
    OrdererUpdate,
    ChannelConfigUpdate,
    Capability,
    BatchSize,
    SmartBftUpdate,
    JsonPath,
    ApplicationPolicies,
    OrdererPolicies,
    ChannelPolicies,
);

/// One scope's settings, as `channel_update.rs` applies them.
pub struct ScopeSettings<'a> {
    /// `capabilities` (the named settings) or `jsonPath`.
    pub kind: &'a str,
    /// Empty: unchanged.
    pub capability: &'a str,
    /// The policies set, by their name in the config, in key order.
    pub policies: Vec<(&'static str, &'a str)>,
    pub json_key: &'a str,
    pub json_value: &'a str,
}

fn set<'a>(policies: &[(&'static str, &'a String)]) -> Vec<(&'static str, &'a str)> {
    policies
        .iter()
        .filter(|(_, rule)| !rule.is_empty())
        .map(|(name, rule)| (*name, rule.as_str()))
        .collect()
}

impl UpdateSection {
    /// The settings of scope `name` (application, orderer, channel).
    pub fn settings(&self, name: &str) -> Option<ScopeSettings<'_>> {
        let (kind, capabilities, policies, json_path) = match name {
            "application" => {
                let a = &self.application;
                let p = &a.policies;
                let policies = set(&[
                    ("Readers", &p.readers),
                    ("Writers", &p.writers),
                    ("Admins", &p.admins),
                    ("Endorsement", &p.endorsement),
                    ("LifecycleEndorsement", &p.lifecycle_endorsement),
                ]);
                (&a.kind, &a.capabilities, policies, &a.json_path)
            }
            "orderer" => {
                let o = &self.orderer;
                let p = &o.policies;
                let policies = set(&[
                    ("Readers", &p.readers),
                    ("Writers", &p.writers),
                    ("Admins", &p.admins),
                    ("BlockValidation", &p.block_validation),
                ]);
                (&o.kind, &o.capabilities, policies, &o.json_path)
            }
            "channel" => {
                let c = &self.channel;
                let p = &c.policies;
                let policies = set(&[
                    ("Readers", &p.readers),
                    ("Writers", &p.writers),
                    ("Admins", &p.admins),
                ]);
                (&c.kind, &c.capabilities, policies, &c.json_path)
            }
            _ => return None,
        };
        Some(ScopeSettings {
            kind,
            capability: &capabilities.version,
            policies,
            json_key: &json_path.key,
            json_value: &json_path.value,
        })
    }

    /// Whether any `update.orderer.batch*` or `smartBft.*` option is set.
    pub fn batch_set(&self) -> bool {
        let o = &self.orderer;
        [
            &o.batch_timeout,
            &o.batch_size.max_message_count,
            &o.batch_size.absolute_max_bytes,
            &o.batch_size.preferred_max_bytes,
        ]
        .iter()
        .any(|v| !v.is_empty())
            || !o.smart_bft.set().is_empty()
    }

    /// Whether scope `name` asks for any change.
    pub fn changes_anything(&self, name: &str) -> bool {
        let orderer_only = name == "orderer" && self.batch_set();
        self.settings(name).is_some_and(|s| {
            !s.capability.is_empty()
                || !s.policies.is_empty()
                || !s.json_key.is_empty()
                || !s.json_value.is_empty()
        }) || orderer_only
    }
}
