//! What the flows share: the keys every flow has (`retryCount`, `logLevel`,
//! `hostAliases`), switches, and the channel selection of the flows over
//! channels.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::kinds;

/// A section's default is what an empty mapping gives: its fields' defaults,
/// written once, in their `#[serde(default = ...)]`.
pub(super) fn from_fields<T: DeserializeOwned>() -> T {
    serde_json::from_value(serde_json::json!({})).expect("every field has a default")
}

/// `impl Default` through [`from_fields`].
macro_rules! default_from_fields {
    ($($section:ty),* $(,)?) => {
        $(impl Default for $section {
            fn default() -> Self {
                $crate::render::workflow::options::common::from_fields()
            }
        })*
    };
}
pub(super) use default_from_fields;

pub(super) fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct HostAlias {
    pub ip: String,
    pub hostnames: Vec<String>,
}

/// retries of a failed network step (exponential backoff)
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct RetryCount(#[serde(deserialize_with = "kinds::number")] pub u32);

impl Default for RetryCount {
    fn default() -> Self {
        RetryCount(4)
    }
}

/// FABRIC_LOGGING_SPEC of the tools
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct LogLevel(#[serde(deserialize_with = "kinds::text")] pub String);

impl Default for LogLevel {
    fn default() -> Self {
        LogLevel("info".into())
    }
}

/// extra /etc/hosts entries: [{ip, hostnames: [...]}] (use -f)
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct HostAliases(#[serde(deserialize_with = "kinds::host_aliases")] pub Vec<HostAlias>);

/// The keys every flow has at the top, and the chart's values it shares.
pub trait FlowKeys {
    fn retry_count(&self) -> u32;
    fn log_level(&self) -> &str;
    fn host_aliases(&self) -> &[HostAlias];
    fn chart(&self) -> &crate::render::workflow::chart_values::ChartValues;
}

/// [`FlowKeys`] of flow option structs, from their fields of those names.
macro_rules! flow_keys {
    ($($flow:ty),* $(,)?) => {
        $(impl $crate::render::workflow::options::FlowKeys for $flow {
            fn retry_count(&self) -> u32 {
                self.retry_count.0
            }
            fn log_level(&self) -> &str {
                &self.log_level.0
            }
            fn host_aliases(&self) -> &[$crate::render::workflow::options::HostAlias] {
                &self.host_aliases.0
            }
            fn chart(&self) -> &$crate::render::workflow::chart_values::ChartValues {
                &self.chart
            }
        })*
    };
}
pub(super) use flow_keys;

// `<step>.enabled`, on unless set to false. The step's field says what it is
// (help takes a key's description from its nearest described parent).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct On {
    #[serde(default = "yes", deserialize_with = "kinds::flag")]
    pub enabled: bool,
}

// `<step>.enabled`, off unless set to true.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Off {
    #[serde(default, deserialize_with = "kinds::flag")]
    pub enabled: bool,
}

default_from_fields!(On, Off);

// `flow.channel`: the channels a flow handles, and how.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelSelection {
    /// channels to bring up (default: all)
    #[serde(default, deserialize_with = "kinds::names")]
    pub include: Vec<String>,
    /// handle channels, and orgs within a channel, in parallel
    #[serde(default = "yes", deserialize_with = "kinds::flag")]
    pub parallel: bool,
}

default_from_fields!(ChannelSelection);
