//! The options of the config-update flows (`peer-org`, `channel-update`),
//! read from the values tree once, typed. Their rows are in `options.rs`'s
//! OPTIONS table; what they mean for a channel config is `channel_update.rs`.

use serde_json::Value;

/// What one scope of `channel-update` may change (`update.<scope>.*`).
#[derive(Debug, Clone, Default)]
pub struct ScopeSettings {
    /// `capabilities` (the named settings) or `jsonPath`.
    pub kind: String,
    /// `capabilities.version`; empty: unchanged.
    pub capability: String,
    /// `policies.<Name>` that are set, in OPTIONS order.
    pub policies: Vec<(String, String)>,
    pub json_key: String,
    pub json_value: String,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    /// `flow.createUpdate.channel.enabled`
    pub create: bool,
    /// `flow.sendUpdate.channel.enabled`
    pub send: bool,
    /// `flow.createUpdate.systemChannel.enabled`
    pub create_system: bool,
    /// `flow.sendUpdate.systemChannel.enabled`
    pub send_system: bool,
    /// `update.scope`: application, orderer or channel.
    pub scope: String,
    /// `update.file`: a config update envelope to sign instead of creating one.
    pub file: String,
    pub application: ScopeSettings,
    pub orderer: ScopeSettings,
    pub channel: ScopeSettings,
    pub batch_timeout: String,
    pub max_message_count: String,
    pub absolute_max_bytes: String,
    pub preferred_max_bytes: String,
}

/// The policies `update.<scope>.policies.<Name>` accepts, per scope: the ones
/// Fabric's configtxgen writes (any other name: `type=jsonPath`).
pub const POLICY_NAMES: [(&str, &[&str]); 3] = [
    (
        "application",
        &[
            "Readers",
            "Writers",
            "Admins",
            "Endorsement",
            "LifecycleEndorsement",
        ],
    ),
    (
        "orderer",
        &["Readers", "Writers", "Admins", "BlockValidation"],
    ),
    ("channel", &["Readers", "Writers", "Admins"]),
];

impl UpdateOptions {
    /// Reads the options through `get` (a key's value, defaulted and typed).
    pub fn read(get: &dyn Fn(&str) -> anyhow::Result<Value>) -> anyhow::Result<Self> {
        let text = |key: &str| -> anyhow::Result<String> {
            Ok(get(key)?.as_str().unwrap_or_default().to_string())
        };
        let boolean = |key: &str| -> anyhow::Result<bool> { Ok(get(key)?.as_bool() == Some(true)) };
        let scope = |name: &str| -> anyhow::Result<ScopeSettings> {
            let policies = POLICY_NAMES
                .iter()
                .find(|(scope, _)| *scope == name)
                .map(|(_, names)| *names)
                .unwrap_or_default();
            let mut set = Vec::new();
            for policy in policies {
                let rule = text(&format!("update.{name}.policies.{policy}"))?;
                if !rule.is_empty() {
                    set.push((policy.to_string(), rule));
                }
            }
            Ok(ScopeSettings {
                kind: text(&format!("update.{name}.type"))?,
                capability: text(&format!("update.{name}.capabilities.version"))?,
                policies: set,
                json_key: text(&format!("update.{name}.jsonPath.key"))?,
                json_value: text(&format!("update.{name}.jsonPath.value"))?,
            })
        };
        Ok(UpdateOptions {
            create: boolean("flow.createUpdate.channel.enabled")?,
            send: boolean("flow.sendUpdate.channel.enabled")?,
            create_system: boolean("flow.createUpdate.systemChannel.enabled")?,
            send_system: boolean("flow.sendUpdate.systemChannel.enabled")?,
            scope: text("update.scope")?,
            file: text("update.file")?,
            application: scope("application")?,
            orderer: scope("orderer")?,
            channel: scope("channel")?,
            batch_timeout: text("update.orderer.batchTimeout")?,
            max_message_count: text("update.orderer.batchSize.maxMessageCount")?,
            absolute_max_bytes: text("update.orderer.batchSize.absoluteMaxBytes")?,
            preferred_max_bytes: text("update.orderer.batchSize.preferredMaxBytes")?,
        })
    }

    /// The settings of scope `name` (application, orderer, channel).
    pub fn settings(&self, name: &str) -> Option<&ScopeSettings> {
        match name {
            "application" => Some(&self.application),
            "orderer" => Some(&self.orderer),
            "channel" => Some(&self.channel),
            _ => None,
        }
    }

    /// Whether any `update.orderer.batch*` option is set.
    pub fn batch_set(&self) -> bool {
        [
            &self.batch_timeout,
            &self.max_message_count,
            &self.absolute_max_bytes,
            &self.preferred_max_bytes,
        ]
        .iter()
        .any(|v| !v.is_empty())
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
