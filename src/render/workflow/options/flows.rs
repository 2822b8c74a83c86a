//! The options of `fabchart flow channel`, `chaincode`, `peer-org`,
//! `channel-update` and `upgrade-check`, one struct per flow, built of sections by key path.
//! Backup and restore are in `backup.rs`, the `update.*` section in
//! `update.rs`. A doc comment is the option's help (`fabchart flow --help`,
//! README.md); a section's describes the keys below it that have none.

use schemars::JsonSchema;
use serde::Deserialize;

use super::super::chart_values::ChartValues;
use super::common::{default_from_fields, flow_keys, yes};
use super::common::{ChannelSelection, HostAliases, LogLevel, Off, On, RetryCount};
use super::kinds;
use super::update::UpdateSection;

/// `fabchart flow channel`
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChannelOptions {
    #[serde(default)]
    pub flow: ChannelFlow,
    #[serde(default)]
    pub retry_count: RetryCount,
    #[serde(default)]
    pub log_level: LogLevel,
    #[serde(default)]
    pub host_aliases: HostAliases,
    /// The chart's values the steps share (`-f` the chart's values file).
    #[serde(skip)]
    pub chart: ChartValues,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelFlow {
    #[serde(default)]
    pub channel: ChannelSelection,
}

/// `fabchart flow chaincode`
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChaincodeOptions {
    #[serde(default)]
    pub chaincode: ChaincodeDefaults,
    #[serde(default)]
    pub flow: ChaincodeFlow,
    #[serde(default)]
    pub retry_count: RetryCount,
    #[serde(default)]
    pub log_level: LogLevel,
    #[serde(default)]
    pub host_aliases: HostAliases,
    /// The chart's values the steps share (`-f` the chart's values file).
    #[serde(skip)]
    pub chart: ChartValues,
}

fn one_dot_zero() -> String {
    "1.0".into()
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChaincodeDefaults {
    /// version of chaincodes whose network.yaml entry names none
    #[serde(default = "one_dot_zero", deserialize_with = "kinds::text")]
    pub version: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChaincodeFlow {
    #[serde(default)]
    pub chaincode: ChaincodeSelection,
    /// install packages on peers (legacy-lifecycle channels too)
    #[serde(default)]
    pub install: On,
    /// approve definitions for each org
    #[serde(default)]
    pub approve: On,
    #[serde(default)]
    pub commit: Commit,
    #[serde(default)]
    pub invoke: Invoke,
    #[serde(default)]
    pub init: Init,
    #[serde(default)]
    pub legacy: Legacy,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChaincodeSelection {
    /// chaincodes to bring up (default: all)
    #[serde(default, deserialize_with = "kinds::names")]
    pub include: Vec<String>,
    /// handle chaincodes, and orgs within one, in parallel
    #[serde(default = "yes", deserialize_with = "kinds::flag")]
    pub parallel: bool,
}

fn sixty() -> u64 {
    60
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Commit {
    /// commit definitions (instantiate or upgrade on legacy-lifecycle channels)
    #[serde(default = "yes", deserialize_with = "kinds::flag")]
    pub enabled: bool,
    /// minutes the commit step waits for the approvals of orgs from other clusters (external orgs)
    #[serde(default = "sixty", deserialize_with = "kinds::number")]
    pub approval_wait: u64,
}

fn ping() -> String {
    r#"{"function":"ping","Args":[""]}"#.into()
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Invoke {
    /// invoke each chaincode once after commit
    #[serde(default, deserialize_with = "kinds::flag")]
    pub enabled: bool,
    /// the invoke's arguments
    #[serde(default = "ping", deserialize_with = "kinds::text")]
    pub function: String,
}

fn init() -> String {
    r#"{"function":"init","Args":[]}"#.into()
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Init {
    /// arguments of the --isInit invoke for definitions with initRequired
    #[serde(default = "init", deserialize_with = "kinds::text")]
    pub function: String,
}

fn legacy_init() -> String {
    r#"{"Args":[""]}"#.into()
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Legacy {
    /// Init arguments of instantiate and upgrade on legacy-lifecycle channels
    #[serde(default = "legacy_init", deserialize_with = "kinds::text")]
    pub init: String,
}

/// `fabchart flow peer-org`
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PeerOrgOptions {
    #[serde(default)]
    pub flow: ConfigUpdateFlow,
    #[serde(default)]
    pub retry_count: RetryCount,
    #[serde(default)]
    pub log_level: LogLevel,
    #[serde(default)]
    pub host_aliases: HostAliases,
    /// The chart's values the steps share (`-f` the chart's values file).
    #[serde(skip)]
    pub chart: ChartValues,
}

/// `fabchart flow channel-update`
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChannelUpdateOptions {
    #[serde(default)]
    pub flow: ConfigUpdateFlow,
    #[serde(default)]
    pub update: UpdateSection,
    #[serde(default)]
    pub retry_count: RetryCount,
    #[serde(default)]
    pub log_level: LogLevel,
    #[serde(default)]
    pub host_aliases: HostAliases,
    /// The chart's values the steps share (`-f` the chart's values file).
    #[serde(skip)]
    pub chart: ChartValues,
}

/// `fabchart flow upgrade-check`
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpgradeCheckOptions {
    #[serde(default)]
    pub flow: ChannelFlow,
    #[serde(default)]
    pub retry_count: RetryCount,
    #[serde(default)]
    pub log_level: LogLevel,
    #[serde(default)]
    pub host_aliases: HostAliases,
    /// The chart's values the steps share (`-f` the chart's values file).
    #[serde(skip)]
    pub chart: ChartValues,
}

/// `fabchart flow rollout`: Argo `resource` steps only, so no retries, log
/// level or host aliases (no Fabric tool runs, and Argo's executor retries
/// Kubernetes API calls itself).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RolloutOptions {
    #[serde(default)]
    pub flow: RolloutFlow,
    /// The chart's values the steps share (`-f` the chart's values file).
    #[serde(skip)]
    pub chart: ChartValues,
}

impl super::FlowKeys for RolloutOptions {
    fn retry_count(&self) -> u32 {
        0
    }
    fn log_level(&self) -> &str {
        "info"
    }
    fn host_aliases(&self) -> &[super::HostAlias] {
        &[]
    }
    fn chart(&self) -> &ChartValues {
        &self.chart
    }
}

fn ten_minutes() -> u64 {
    600
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RolloutFlow {
    #[serde(default)]
    pub rollout: RolloutSettings,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RolloutSettings {
    /// seconds a replaced node may take to be ready before the rollout stops
    #[serde(default = "ten_minutes", deserialize_with = "kinds::number")]
    pub wait_seconds: u64,
}

/// `flow.*` of the config-update flows, PIVT's keys.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigUpdateFlow {
    #[serde(default)]
    pub channel: ChannelSelection,
    #[serde(default)]
    pub create_update: CreateUpdate,
    #[serde(default)]
    pub send_update: SendUpdate,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateUpdate {
    /// create the channel config update (false: wait for one supplied on resume)
    #[serde(default)]
    pub channel: On,
    /// PIVT's system channel update; must stay false (Fabric 2.5 runs no system channel)
    #[serde(default)]
    pub system_channel: Off,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SendUpdate {
    /// send the signed update (false: hand it on: log, output parameter, wait)
    #[serde(default)]
    pub channel: On,
    /// PIVT's system channel update; must stay false (Fabric 2.5 runs no system channel)
    #[serde(default)]
    pub system_channel: Off,
}

default_from_fields!(
    ChannelFlow,
    ChaincodeDefaults,
    ChaincodeFlow,
    ChaincodeSelection,
    Commit,
    Invoke,
    Init,
    Legacy,
    ConfigUpdateFlow,
    CreateUpdate,
    SendUpdate,
    RolloutFlow,
    RolloutSettings,
);

flow_keys!(
    ChannelOptions,
    ChaincodeOptions,
    PeerOrgOptions,
    ChannelUpdateOptions,
    UpgradeCheckOptions
);

/// What the config-update builders share: `flow.*` of peer-org and
/// channel-update.
pub trait ConfigUpdateKeys: super::FlowKeys {
    fn config_flow(&self) -> &ConfigUpdateFlow;
}

impl ConfigUpdateKeys for PeerOrgOptions {
    fn config_flow(&self) -> &ConfigUpdateFlow {
        &self.flow
    }
}

impl ConfigUpdateKeys for ChannelUpdateOptions {
    fn config_flow(&self) -> &ConfigUpdateFlow {
        &self.flow
    }
}
