//! `fabchart flow channel-update`: sets values of the channel configs
//! selected by `flow.channel.include` (PIVT's channel-update-flow): one
//! capability, the orderer's batch timeout and size, policies, or any single
//! value by JSON path, in one scope (`update.scope`), which also says whose
//! signatures count: application (local peer org admins, mod_policy
//! /Channel/Application/Admins), orderer (local orderer org admins,
//! /Channel/Orderer/Admins) or channel (both, /Channel/Admins).
//!
//! Declarative: the desired values travel as `[{path, value}]` (jq paths into
//! the decoded config) and the workflow changes only what differs. Or, with
//! `update.file`, it signs an update made elsewhere and sends it (or hands it
//! on): the multi-cluster signing path. Steps: `config_update.rs`.

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::config_update::UpdateChannel;
use super::options::{ChannelUpdateOptions, ScopeSettings, SmartBftKind};
use super::{env, envelope, param, policy, Builder, Flow, Parts};
use crate::model::capabilities::{self, Scope};
use crate::model::OrgKind;
use crate::model::{Channel, OrdererType};
use crate::policy::AnyPolicy;
use crate::units;

/// The largest `update.file`: it travels inside the workflow, which Argo keeps
/// in one etcd object (1.5 MiB), and through `argo node set` arguments.
const MAX_UPDATE_FILE: usize = 256 * 1024;

const SCOPES: [&str; 3] = ["application", "orderer", "channel"];

/// Where scope `scope`'s group is in the decoded config.
fn group_path(scope: &str) -> Vec<&'static str> {
    match scope {
        "application" => vec!["channel_group", "groups", "Application"],
        "orderer" => vec!["channel_group", "groups", "Orderer"],
        _ => vec!["channel_group"],
    }
}

fn capability_scope(scope: &str) -> Scope {
    match scope {
        "application" => Scope::Application,
        "orderer" => Scope::Orderer,
        _ => Scope::Channel,
    }
}

/// `{path, value}` with `path` = the scope's group path + `rest`.
fn change(scope: &str, rest: &[&str], value: Value) -> Value {
    let mut path = group_path(scope);
    path.extend_from_slice(rest);
    json!({ "path": path, "value": value })
}

/// A plain `.a.b.c` path as a jq path array; nothing else (no `[]`, quotes,
/// pipes or functions): the workflow applies it with `setpath`.
pub fn parse_json_path(key_option: &str, key: &str) -> anyhow::Result<Vec<String>> {
    let plain = key.strip_prefix('.').is_some_and(|rest| {
        rest.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
    });
    if !plain {
        bail!(
            "{key_option}=`{key}` is not a plain path: write it as .name.name..., names of letters, \
             digits, `_` and `-` (e.g. .channel_group.groups.Application.policies.Admins.policy.value.rule)"
        );
    }
    Ok(key[1..].split('.').map(str::to_string).collect())
}

/// A policy as the decoded config holds it: an ImplicitMeta rule
/// (`MAJORITY Admins`) or a signature rule (`OR('A.admin','B.admin')`).
pub fn policy_value(option: &str, rule: &str) -> anyhow::Result<Value> {
    match AnyPolicy::parse(rule) {
        Ok(AnyPolicy::ImplicitMeta(meta)) => Ok(
            json!({ "type": 3, "value": { "rule": meta.rule.name(), "sub_policy": meta.sub_policy } }),
        ),
        Ok(AnyPolicy::Signature(_)) => {
            let signature = policy::signature_policy_json(rule)?;
            Ok(json!({ "type": 1, "value": signature["signature_policy"] }))
        }
        Err(e) => bail!(
            "{option}=`{rule}` is neither an ImplicitMeta rule (ANY|ALL|MAJORITY <SubPolicy>) nor a signature rule: {e}"
        ),
    }
}

/// configtxgen's byte sizes: `524288`, `512 KB`, `99 MB`, `1 GB`; not 0.
pub fn parse_bytes(option: &str, text: &str) -> anyhow::Result<u32> {
    match units::parse_byte_size(text) {
        Ok(0) => bail!("{option}=`{text}` must be at least 1 byte"),
        Ok(bytes) => Ok(bytes),
        Err(e) => bail!("{option}=`{text}`: {e}"),
    }
}

/// Go's durations, as the orderer parses BatchTimeout: `2s`, `500ms`, `1m30s`; above zero.
fn check_duration(option: &str, text: &str) -> anyhow::Result<()> {
    match units::parse_go_duration(text) {
        Ok(nanos) if nanos > 0 => Ok(()),
        Ok(_) => bail!("{option}=`{text}` must be longer than zero"),
        Err(e) => bail!("{option}=`{text}`: {e}"),
    }
}

impl Builder<'_, ChannelUpdateOptions> {
    pub(super) fn channel_update_parts(&self) -> anyhow::Result<Parts> {
        self.refuse_system_channel()?;
        let update = &self.options.update;
        let scope = update.scope.as_str();
        if !SCOPES.contains(&scope) {
            bail!(
                "update.scope=`{scope}`: set update.scope=application, orderer or channel (what the \
                 update changes, and so whose admins sign)"
            );
        }
        for other in SCOPES.iter().filter(|s| **s != scope) {
            if update.changes_anything(other) {
                bail!("update.{other}.* is set, but update.scope={scope}: an update changes one scope; run the flow once per scope");
            }
        }
        let channels = self.included_channels(&self.options.flow.channel)?;

        let mut parameters = Vec::new();
        let mut extra_env = Vec::new();
        let desired = if update.file.is_empty() {
            let desired = self.desired_values(scope)?;
            if desired.is_empty() && self.options.flow.create_update.channel.enabled {
                bail!(
                    "nothing to update: set update.{scope}.capabilities.version, update.{scope}.policies.<Name>, \
                     update.{scope}.type=jsonPath with update.{scope}.jsonPath.key/value{}, or update.file",
                    if scope == "orderer" { ", update.orderer.batchTimeout, update.orderer.batchSize.*, update.orderer.smartBft.*" } else { "" }
                );
            }
            desired
        } else {
            if update.changes_anything(scope) {
                bail!("update.file is the update; drop the update.{scope}.* settings (or drop update.file to make one from them)");
            }
            if !self.options.flow.create_update.channel.enabled {
                // The prepare step would sign the file and never wait: the
                // switch would be silently ignored.
                bail!(
                    "update.file is the update to sign, and flow.createUpdate.channel.enabled=false asks \
                     for one supplied on resume instead: drop one of them (keep update.file to sign that \
                     file now; keep createUpdate=false to paste the update when the workflow waits)"
                );
            }
            parameters.push(param("update-file", self.update_file(&channels)?));
            extra_env.push(env("UPDATE_FILE", "{{workflow.parameters.update-file}}"));
            Vec::new()
        };

        let mut updates = Vec::new();
        for channel in channels {
            self.check_capability_not_lowered(scope, channel)?;
            let mut candidates = Vec::new();
            if scope != "orderer" {
                for name in &channel.orgs {
                    let org = self.org(name)?;
                    if !org.external && org.kind == OrgKind::Peer {
                        candidates.push((org, "Application"));
                    }
                }
            }
            if scope != "application" {
                for name in &channel.profile.orderer.orgs {
                    let org = self.org(name)?;
                    if !org.external && org.kind == OrgKind::Orderer {
                        candidates.push((org, "Orderer"));
                    }
                }
            }
            updates.push(UpdateChannel {
                channel: &channel.name,
                reader: self.update_reader(channel)?,
                desired: json!(desired),
                named: Vec::new(),
                candidates,
            });
        }
        let prepare = self.prepare_template(Flow::ChannelUpdate, extra_env)?;
        let mut parts = self.config_update_parts(Flow::ChannelUpdate, prepare, updates)?;
        parts.parameters = parameters;
        Ok(parts)
    }

    /// The values `update.<scope>.*` asks for, as `[{path, value}]`.
    fn desired_values(&self, scope: &str) -> anyhow::Result<Vec<Value>> {
        let update = &self.options.update;
        let settings: ScopeSettings = update.settings(scope).context("a known scope")?;
        let mut out = Vec::new();
        let named_settings = !settings.capability.is_empty()
            || !settings.policies.is_empty()
            || (scope == "orderer" && update.batch_set());
        match settings.kind {
            "jsonPath" => {
                if named_settings {
                    bail!("update.{scope}.type=jsonPath sets update.{scope}.jsonPath.key only; drop the other update.{scope}.* settings or run the flow once more for them");
                }
                if settings.json_key.is_empty() || settings.json_value.is_empty() {
                    bail!("update.{scope}.type=jsonPath needs update.{scope}.jsonPath.key and update.{scope}.jsonPath.value");
                }
                let key_option = format!("update.{scope}.jsonPath.key");
                let path = parse_json_path(&key_option, settings.json_key)?;
                let prefix = group_path(scope);
                if path.len() <= prefix.len() || path.iter().zip(&prefix).any(|(a, b)| a != b) {
                    bail!(
                        "{key_option}=`{}` is not below .{} (update.scope={scope}: {scope} admins sign); \
                         use update.scope=channel for values elsewhere",
                        settings.json_key,
                        prefix.join(".")
                    );
                }
                let value = serde_json::from_str(settings.json_value)
                    .unwrap_or_else(|_| Value::String(settings.json_value.to_string()));
                out.push(json!({ "path": path, "value": value }));
            }
            "capabilities" => {
                if !settings.json_key.is_empty() || !settings.json_value.is_empty() {
                    bail!("update.{scope}.jsonPath.* needs update.{scope}.type=jsonPath");
                }
                if !settings.capability.is_empty() {
                    self.check_capability(scope, settings.capability)?;
                    out.push(change(
                        scope,
                        &["values", "Capabilities", "value", "capabilities"],
                        json!({ settings.capability: {} }),
                    ));
                }
                if scope == "orderer" {
                    out.extend(self.batch_values()?);
                    out.extend(self.smart_bft_values()?);
                }
                for (name, rule) in settings.policies {
                    let option = format!("update.{scope}.policies.{name}");
                    out.push(change(
                        scope,
                        &["policies", name, "policy"],
                        policy_value(&option, rule)?,
                    ));
                }
            }
            other => bail!(
                "update.{scope}.type=`{other}`: use capabilities (the named settings) or jsonPath"
            ),
        }
        Ok(out)
    }

    /// `update.orderer.smartBft.*` as values of the ConsensusType metadata,
    /// held as configtxlator prints them (so that a second run finds them
    /// equal): uint64s as strings, durations as written, booleans. Only for
    /// BFT channels: a Raft channel's metadata is another message.
    fn smart_bft_values(&self) -> anyhow::Result<Vec<Value>> {
        let set = self.options.update.orderer.smart_bft.set();
        if set.is_empty() {
            return Ok(Vec::new());
        }
        let raft: Vec<&str> = self
            .included_channels(&self.options.flow.channel)?
            .into_iter()
            .filter(|c| c.profile.orderer.orderer_type != OrdererType::Bft)
            .map(|c| c.name.as_str())
            .collect();
        if !raft.is_empty() {
            bail!(
                "update.orderer.smartBft.* sets SmartBFT's options, which Raft channels do not have \
                 ({}): name the BFT channels with flow.channel.include={{...}}",
                raft.join(", ")
            );
        }
        let mut out = Vec::new();
        for (key, field, kind, text) in set {
            let option = format!("update.orderer.smartBft.{key}");
            let value = match kind {
                SmartBftKind::Count => json!(text),
                SmartBftKind::Bytes => json!(parse_bytes(&option, text)?.to_string()),
                SmartBftKind::Duration => {
                    check_duration(&option, text)?;
                    json!(text)
                }
                SmartBftKind::Switch => json!(text == "true"),
            };
            out.push(change(
                "orderer",
                &["values", "ConsensusType", "value", "metadata", field],
                value,
            ));
        }
        Ok(out)
    }

    fn batch_values(&self) -> anyhow::Result<Vec<Value>> {
        let orderer = &self.options.update.orderer;
        let batch = &orderer.batch_size;
        let mut out = Vec::new();
        if !orderer.batch_timeout.is_empty() {
            check_duration("update.orderer.batchTimeout", &orderer.batch_timeout)?;
            out.push(change(
                "orderer",
                &["values", "BatchTimeout", "value", "timeout"],
                json!(orderer.batch_timeout),
            ));
        }
        if !batch.max_message_count.is_empty() {
            let count = batch
                .max_message_count
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .with_context(|| {
                    format!(
                        "update.orderer.batchSize.maxMessageCount=`{}` must be a number above 0",
                        batch.max_message_count
                    )
                })?;
            out.push(change(
                "orderer",
                &["values", "BatchSize", "value", "max_message_count"],
                json!(count),
            ));
        }
        for (key, field, text) in [
            (
                "absoluteMaxBytes",
                "absolute_max_bytes",
                &batch.absolute_max_bytes,
            ),
            (
                "preferredMaxBytes",
                "preferred_max_bytes",
                &batch.preferred_max_bytes,
            ),
        ] {
            if !text.is_empty() {
                let bytes = parse_bytes(&format!("update.orderer.batchSize.{key}"), text)?;
                out.push(change(
                    "orderer",
                    &["values", "BatchSize", "value", field],
                    json!(bytes),
                ));
            }
        }
        Ok(out)
    }

    /// Refuses a capability the network's Fabric release does not know.
    fn check_capability(&self, scope: &str, capability: &str) -> anyhow::Result<()> {
        let version = self.network.settings.fabric_version;
        let known = capabilities::known(capability_scope(scope), version);
        if !known.contains(&capability) {
            bail!(
                "update.{scope}.capabilities.version={capability}: Fabric {version} knows no {} capability \
                 `{capability}` (known: {}). A peer stops at a block that enables a capability it does \
                 not know, and a channel cannot be reverted, so it is refused",
                capability_scope(scope).name(),
                known.join(", ")
            );
        }
        Ok(())
    }

    /// Refuses a capability below the highest one configtx.yaml declares for
    /// the channel's scope: Fabric does not support lowering one. Declaring
    /// the lower one in configtx.yaml first says it is meant.
    fn check_capability_not_lowered(&self, scope: &str, channel: &Channel) -> anyhow::Result<()> {
        let Some(settings) = self.options.update.settings(scope) else {
            return Ok(());
        };
        let wanted = settings.capability;
        if wanted.is_empty()
            || settings.kind != "capabilities"
            || !self.options.update.file.is_empty()
        {
            return Ok(());
        }
        let declared = match scope {
            "application" => &channel.profile.application.capabilities,
            "orderer" => &channel.profile.orderer.capabilities,
            _ => &channel.profile.capabilities,
        };
        let known = capabilities::known(
            capability_scope(scope),
            self.network.settings.fabric_version,
        );
        let rank = |name: &str| known.iter().position(|k| *k == name);
        let highest = declared
            .iter()
            .filter_map(|d| rank(d).map(|r| (r, d)))
            .max();
        if let (Some((top, name)), Some(want)) = (highest, rank(wanted)) {
            if want < top {
                bail!(
                    "channel `{}`: update.{scope}.capabilities.version={wanted} is below {name}, which \
                     configtx.yaml declares for it. Fabric does not support lowering a capability; if you \
                     mean it, declare {wanted} in configtx.yaml first",
                    channel.name
                );
            }
        }
        Ok(())
    }

    /// `update.file`, read now (relative to the current folder), checked to be
    /// a config update for the one selected channel, as base64.
    fn update_file(&self, channels: &[&Channel]) -> anyhow::Result<String> {
        let path = &self.options.update.file;
        let [channel] = channels else {
            bail!(
                "update.file is the update of one channel: select it with flow.channel.include={{<channel>}} (selected: {})",
                channels.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            );
        };
        let data = std::fs::read(path).with_context(|| {
            format!("cannot read update.file {path} (a path relative to the current folder)")
        })?;
        if data.len() > MAX_UPDATE_FILE {
            bail!(
                "update.file {path} has {} bytes; a config update is far smaller (the limit is {MAX_UPDATE_FILE}): is it the right file?",
                data.len()
            );
        }
        let for_channel = envelope::config_update_channel(&data)
            .with_context(|| format!("update.file {path} is not a config update envelope"))?;
        if for_channel != channel.name {
            bail!(
                "update.file {path} updates channel `{for_channel}`, but flow.channel.include selects `{}`",
                channel.name
            );
        }
        Ok(crate::encoding::base64(&data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_are_plain() {
        assert_eq!(
            parse_json_path("k", ".channel_group.groups.Application").unwrap(),
            ["channel_group", "groups", "Application"]
        );
        for bad in [
            "channel_group",
            ".",
            ".a..b",
            ".a[0]",
            ".a | b",
            ".\"a\"",
            ".a.b)",
            "",
        ] {
            assert!(parse_json_path("k", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn policies_in_config_shape() {
        assert_eq!(
            policy_value("p", "MAJORITY Admins").unwrap(),
            json!({"type": 3, "value": {"rule": "MAJORITY", "sub_policy": "Admins"}})
        );
        let signature = policy_value("p", "OR('A.admin','B.admin')").unwrap();
        assert_eq!(signature["type"], 1);
        assert_eq!(
            signature["value"]["identities"][1]["principal"]["msp_identifier"],
            "B"
        );
        assert!(policy_value("p", "MOST Admins").is_err());
    }

    #[test]
    fn sizes_as_configtxgen_reads_them() {
        assert_eq!(parse_bytes("b", "99 MB").unwrap(), 103_809_024);
        assert_eq!(parse_bytes("b", "512 KB").unwrap(), 524_288);
        assert_eq!(parse_bytes("b", "4096").unwrap(), 4096);
        assert!(parse_bytes("b", "5 GB").is_err());
        assert!(parse_bytes("b", "99 ZB").is_err());
        assert!(parse_bytes("b", "0").is_err());
        assert!(parse_bytes("b", "ten MB").is_err());
    }

    #[test]
    fn durations_as_go_reads_them() {
        for good in ["2s", "500ms", "1m30s", "1.5s"] {
            assert!(check_duration("d", good).is_ok(), "{good}");
        }
        for bad in ["2", "0s", "s", "2 s", "2x"] {
            assert!(check_duration("d", bad).is_err(), "{bad}");
        }
    }
}
