//! Each flow's options as their JSON schema (schemars, from the option
//! structs and their doc comments) describes them: key, default and help.
//! `--help`, README.md's option lists and the messages that name a key's
//! flows all read them from here.

use std::sync::OnceLock;

use serde_json::Value;

use super::{
    BackupOptions, ChaincodeOptions, ChannelOptions, ChannelUpdateOptions, PeerOrgOptions,
    RestoreOptions, RolloutOptions, UpgradeCheckOptions,
};
use crate::render::workflow::Flow;

/// One option of a flow.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionKey {
    /// The dotted key, e.g. `flow.channel.include`.
    pub key: String,
    /// The default as shown (`--help`, README.md); `None` when empty.
    pub default: Option<String>,
    pub help: String,
}

/// The JSON schema of `flow`'s options.
pub fn schema(flow: Flow) -> Value {
    let schema = match flow {
        Flow::Channel => schemars::schema_for!(ChannelOptions),
        Flow::Chaincode => schemars::schema_for!(ChaincodeOptions),
        Flow::PeerOrg => schemars::schema_for!(PeerOrgOptions),
        Flow::ChannelUpdate => schemars::schema_for!(ChannelUpdateOptions),
        Flow::Backup => schemars::schema_for!(BackupOptions),
        Flow::Restore => schemars::schema_for!(RestoreOptions),
        Flow::UpgradeCheck => schemars::schema_for!(UpgradeCheckOptions),
        Flow::Rollout => schemars::schema_for!(RolloutOptions),
    };
    schema.to_value()
}

/// The options of `flow`, in the order their structs declare them.
pub fn keys(flow: Flow) -> &'static [OptionKey] {
    static KEYS: OnceLock<Vec<Vec<OptionKey>>> = OnceLock::new();
    let all = KEYS.get_or_init(|| {
        Flow::ALL
            .iter()
            .map(|flow| {
                let schema = schema(*flow);
                let mut out = Vec::new();
                walk(&schema, &schema, "", None, &mut out);
                out
            })
            .collect()
    });
    let index = Flow::ALL.iter().position(|f| *f == flow).expect("a flow");
    &all[index]
}

/// The flows that have option `key`.
pub fn flows_of(key: &str) -> Vec<Flow> {
    Flow::ALL
        .into_iter()
        .filter(|flow| keys(*flow).iter().any(|k| k.key == key))
        .collect()
}

/// Every option of every flow, each once, with the flows it applies to:
/// options of some flows in the order of the flows, then those of all.
pub fn all_keys() -> Vec<(&'static OptionKey, Vec<Flow>)> {
    let mut out: Vec<(&OptionKey, Vec<Flow>)> = Vec::new();
    for flow in Flow::ALL {
        for option in keys(flow) {
            match out.iter_mut().find(|(o, _)| o.key == option.key) {
                Some((_, flows)) => flows.push(flow),
                None => out.push((option, vec![flow])),
            }
        }
    }
    out.sort_by_key(|(_, flows)| flows.len() == Flow::ALL.len());
    out
}

/// The schema a `$ref` points to (or `node` itself).
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix("#/")
            .and_then(|path| path.split('/').try_fold(root, |at, part| at.get(part)))
            .map_or(node, |found| resolve(root, found)),
        None => node,
    }
}

/// The leaves below `node`. A key without a description of its own (a
/// section's `enabled`) takes its nearest described parent's.
fn walk(
    root: &Value,
    node: &Value,
    prefix: &str,
    inherited: Option<&str>,
    out: &mut Vec<OptionKey>,
) {
    let Some(properties) = resolve(root, node)
        .get("properties")
        .and_then(Value::as_object)
    else {
        return;
    };
    for (name, property) in properties {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let target = resolve(root, property);
        let own = property.get("description").and_then(Value::as_str);
        if target.get("properties").is_some() {
            walk(root, property, &key, own.or(inherited), out);
            continue;
        }
        let help = own
            .or_else(|| target.get("description").and_then(Value::as_str))
            .or(inherited)
            .unwrap_or_default()
            .replace('\n', " ");
        let default = property.get("default").or_else(|| target.get("default"));
        out.push(OptionKey {
            key,
            default: default.and_then(shown_default),
            help,
        });
    }
}

fn shown_default(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) if items.is_empty() => None,
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_defaults_and_help_come_from_the_structs() {
        let channel: Vec<_> = keys(Flow::Channel).iter().map(|k| k.key.as_str()).collect();
        assert_eq!(
            channel,
            [
                "flow.channel.include",
                "flow.channel.parallel",
                "retryCount",
                "logLevel",
                "hostAliases"
            ]
        );
        let find = |flow, key: &str| keys(flow).iter().find(|k| k.key == key).cloned().unwrap();
        let retry = find(Flow::Backup, "retryCount");
        assert_eq!(retry.default.as_deref(), Some("4"));
        assert!(retry.help.starts_with("retries of a failed"), "{retry:?}");
        let install = find(Flow::Chaincode, "flow.install.enabled");
        assert_eq!(install.default.as_deref(), Some("true"));
        assert!(install.help.starts_with("install packages"), "{install:?}");
        let admins = find(Flow::ChannelUpdate, "update.orderer.policies.Admins");
        assert!(admins.help.contains("MAJORITY Admins"), "{admins:?}");
        assert_eq!(
            find(Flow::Chaincode, "flow.chaincode.include").default,
            None
        );
        assert_eq!(flows_of("backup.key"), [Flow::Backup, Flow::Restore]);
        assert_eq!(flows_of("restore.force"), [Flow::Restore]);
    }

    #[test]
    fn every_key_has_help() {
        for (option, _) in all_keys() {
            assert!(!option.help.is_empty(), "{} has no help", option.key);
        }
    }
}
