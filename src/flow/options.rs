//! Flow options, Helm-style: `-f values.yaml` files merged in order, then
//! `--set key=value` (comma-separated pairs, `{a,b}` lists). Unknown keys are
//! errors that name the valid ones.

use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::update_options::UpdateOptions;
use super::Flow;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Bool,
    Int,
    Text,
    List,
    HostAliases,
}

/// Every option: key, type, default, help, and the flows it applies to
/// (space-separated flow names; empty: every flow).
const OPTIONS: &[(&str, Kind, &str, &str, &str)] = &[
    (
        "chaincode.version",
        Kind::Text,
        "1.0",
        "version of chaincodes whose network.yaml entry names none",
        "chaincode",
    ),
    (
        "flow.channel.include",
        Kind::List,
        "{}",
        "channels to bring up (default: all)",
        "channel peer-org channel-update",
    ),
    (
        "flow.channel.parallel",
        Kind::Bool,
        "true",
        "handle channels, and orgs within a channel, in parallel",
        "channel peer-org channel-update",
    ),
    (
        "flow.chaincode.include",
        Kind::List,
        "{}",
        "chaincodes to bring up (default: all)",
        "chaincode",
    ),
    (
        "flow.chaincode.parallel",
        Kind::Bool,
        "true",
        "handle chaincodes, and orgs within one, in parallel",
        "chaincode",
    ),
    (
        "flow.install.enabled",
        Kind::Bool,
        "true",
        "install packages on peers (legacy-lifecycle channels too)",
        "chaincode",
    ),
    (
        "flow.approve.enabled",
        Kind::Bool,
        "true",
        "approve definitions for each org",
        "chaincode",
    ),
    (
        "flow.commit.enabled",
        Kind::Bool,
        "true",
        "commit definitions (instantiate or upgrade on legacy-lifecycle channels)",
        "chaincode",
    ),
    (
        "flow.invoke.enabled",
        Kind::Bool,
        "false",
        "invoke each chaincode once after commit",
        "chaincode",
    ),
    (
        "flow.invoke.function",
        Kind::Text,
        r#"{"function":"ping","Args":[""]}"#,
        "the invoke's arguments",
        "chaincode",
    ),
    (
        "flow.init.function",
        Kind::Text,
        r#"{"function":"init","Args":[]}"#,
        "arguments of the --isInit invoke for definitions with initRequired",
        "chaincode",
    ),
    (
        "flow.legacy.init",
        Kind::Text,
        r#"{"Args":[""]}"#,
        "Init arguments of instantiate and upgrade on legacy-lifecycle channels",
        "chaincode",
    ),
    (
        "flow.createUpdate.channel.enabled",
        Kind::Bool,
        "true",
        "create the channel config update (false: wait for one supplied on resume)",
        "peer-org channel-update",
    ),
    (
        "flow.sendUpdate.channel.enabled",
        Kind::Bool,
        "true",
        "send the signed update (false: hand it on: log, output parameter, wait)",
        "peer-org channel-update",
    ),
    (
        "flow.createUpdate.systemChannel.enabled",
        Kind::Bool,
        "false",
        "PIVT's system channel update; must stay false (Fabric 2.5 runs no system channel)",
        "peer-org channel-update",
    ),
    (
        "flow.sendUpdate.systemChannel.enabled",
        Kind::Bool,
        "false",
        "PIVT's system channel update; must stay false (Fabric 2.5 runs no system channel)",
        "peer-org channel-update",
    ),
    (
        "update.scope",
        Kind::Text,
        "",
        "what the update changes, and so who signs: application, orderer or channel",
        "channel-update",
    ),
    (
        "update.file",
        Kind::Text,
        "",
        "sign and send (or hand on) this config update envelope instead of creating one",
        "channel-update",
    ),
    (
        "update.application.type",
        Kind::Text,
        "capabilities",
        "capabilities (the named settings) or jsonPath",
        "channel-update",
    ),
    (
        "update.application.capabilities.version",
        Kind::Text,
        "",
        "the one capability to enable, e.g. V2_5",
        "channel-update",
    ),
    (
        "update.application.policies.Readers",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.application.policies.Writers",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.application.policies.Admins",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.application.policies.Endorsement",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.application.policies.LifecycleEndorsement",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.application.jsonPath.key",
        Kind::Text,
        "",
        "with type=jsonPath: the value to set, as .a.b.c into the decoded config",
        "channel-update",
    ),
    (
        "update.application.jsonPath.value",
        Kind::Text,
        "",
        "with type=jsonPath: JSON if it parses, else a string",
        "channel-update",
    ),
    (
        "update.orderer.type",
        Kind::Text,
        "capabilities",
        "capabilities (the named settings) or jsonPath",
        "channel-update",
    ),
    (
        "update.orderer.capabilities.version",
        Kind::Text,
        "",
        "the one capability to enable, e.g. V2_5",
        "channel-update",
    ),
    (
        "update.orderer.batchTimeout",
        Kind::Text,
        "",
        "BatchTimeout, e.g. 2s",
        "channel-update",
    ),
    (
        "update.orderer.batchSize.maxMessageCount",
        Kind::Text,
        "",
        "BatchSize.MaxMessageCount",
        "channel-update",
    ),
    (
        "update.orderer.batchSize.absoluteMaxBytes",
        Kind::Text,
        "",
        "BatchSize.AbsoluteMaxBytes, e.g. 99 MB",
        "channel-update",
    ),
    (
        "update.orderer.batchSize.preferredMaxBytes",
        Kind::Text,
        "",
        "BatchSize.PreferredMaxBytes, e.g. 512 KB",
        "channel-update",
    ),
    (
        "update.orderer.policies.Readers",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.orderer.policies.Writers",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.orderer.policies.Admins",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.orderer.policies.BlockValidation",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.orderer.jsonPath.key",
        Kind::Text,
        "",
        "with type=jsonPath: the value to set, as .a.b.c into the decoded config",
        "channel-update",
    ),
    (
        "update.orderer.jsonPath.value",
        Kind::Text,
        "",
        "with type=jsonPath: JSON if it parses, else a string",
        "channel-update",
    ),
    (
        "update.channel.type",
        Kind::Text,
        "capabilities",
        "capabilities (the named settings) or jsonPath",
        "channel-update",
    ),
    (
        "update.channel.capabilities.version",
        Kind::Text,
        "",
        "the one capability to enable, e.g. V2_5",
        "channel-update",
    ),
    (
        "update.channel.policies.Readers",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.channel.policies.Writers",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.channel.policies.Admins",
        Kind::Text,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.channel.jsonPath.key",
        Kind::Text,
        "",
        "with type=jsonPath: the value to set, as .a.b.c into the decoded config",
        "channel-update",
    ),
    (
        "update.channel.jsonPath.value",
        Kind::Text,
        "",
        "with type=jsonPath: JSON if it parses, else a string",
        "channel-update",
    ),
    (
        "backup.key",
        Kind::Text,
        "",
        "backup key: the folder below bucket/prefix (backup: default the workflow's UTC start, YYYY-MM-DD-HHMMSS; restore: required)",
        "backup restore",
    ),
    (
        "backup.target.type",
        Kind::Text,
        "s3",
        "object storage: s3 (AWS S3, MinIO and other S3-compatible), azureblob or gcs",
        "backup restore",
    ),
    (
        "backup.target.bucket",
        Kind::Text,
        "hlf-backup",
        "bucket (Azure: container) that holds the backups",
        "backup restore",
    ),
    (
        "backup.target.prefix",
        Kind::Text,
        "",
        "folder inside the bucket above the backup keys",
        "backup restore",
    ),
    (
        "backup.target.endpoint",
        Kind::Text,
        "",
        "endpoint URL, for MinIO and other S3-compatible stores (or Azurite, a GCS emulator)",
        "backup restore",
    ),
    (
        "backup.target.region",
        Kind::Text,
        "",
        "S3 region",
        "backup restore",
    ),
    (
        "backup.target.account",
        Kind::Text,
        "",
        "Azure storage account, with backup.target.envAuth (else the Secret's `account`)",
        "backup restore",
    ),
    (
        "backup.target.secret",
        Kind::Text,
        "",
        "Secret with the storage credentials (keys per type: see README); required unless envAuth",
        "backup restore",
    ),
    (
        "backup.target.envAuth",
        Kind::Bool,
        "false",
        "take credentials from the pods' environment (IRSA, workload identity) instead of a Secret",
        "backup restore",
    ),
    (
        "backup.image",
        Kind::Text,
        "rclone/rclone:1.75.1",
        "image of the copy steps (rclone, busybox sh and tar)",
        "backup restore",
    ),
    (
        "backup.dryRun",
        Kind::Bool,
        "false",
        "only check and list what would be copied (restore: and verify every archive); stop nothing",
        "backup restore",
    ),
    (
        "backup.waitSeconds",
        Kind::Int,
        "600",
        "how long to wait for a node to stop, or to be ready again",
        "backup restore",
    ),
    (
        "backup.deadlineSeconds",
        Kind::Int,
        "21600",
        "deadline of the whole workflow (its exit handler then starts stopped nodes again)",
        "backup restore",
    ),
    (
        "restore.force",
        Kind::Bool,
        "false",
        "replace volumes that hold channel data (by default only empty or fresh volumes are restored)",
        "restore",
    ),
    (
        "flow.backup.include",
        Kind::List,
        "{}",
        "orgs (Org) or nodes (Org/hostname) to back up or restore (default: all local ones)",
        "backup restore",
    ),
    (
        "flow.backup.parallel",
        Kind::Bool,
        "false",
        "stop all peers of an org at once (default: one at a time, so the org keeps serving)",
        "backup",
    ),
    (
        "flow.orderer.backup.rolling",
        Kind::Bool,
        "false",
        "back up orderers one at a time (ordering stays up, but the archives only restore single orderers)",
        "backup",
    ),
    (
        "flow.peer.backup.enabled",
        Kind::Bool,
        "true",
        "back up / restore the peers' ledger volumes",
        "backup restore",
    ),
    (
        "flow.couchdb.backup.enabled",
        Kind::Bool,
        "true",
        "back up / restore the CouchDB volumes (with their peers); false for goleveldb",
        "backup restore",
    ),
    (
        "flow.orderer.backup.enabled",
        Kind::Bool,
        "true",
        "back up / restore the orderers' ledger volumes",
        "backup restore",
    ),
    (
        "flow.commit.approvalWait",
        Kind::Int,
        "60",
        "minutes the commit step waits for the approvals of orgs from other clusters (external orgs)",
        "chaincode",
    ),
    (
        "retryCount",
        Kind::Int,
        "4",
        "retries of a failed network step (exponential backoff)",
        "",
    ),
    (
        "logLevel",
        Kind::Text,
        "info",
        "FABRIC_LOGGING_SPEC of the tools",
        "",
    ),
    (
        "hostAliases",
        Kind::HostAliases,
        "[]",
        "extra /etc/hosts entries: [{ip, hostnames: [...]}] (use -f)",
        "",
    ),
];

fn applies(scope: &str, flow: Flow) -> bool {
    scope.is_empty() || scope.split(' ').any(|f| f == flow.name())
}

/// The option list for `fabchart flow --help` (every option, with the flows
/// it applies to) or `fabchart flow <flow> --help` (that flow's options).
pub fn help(flow: Option<Flow>) -> String {
    let mut out = String::from("Options (--set key=value, -f values.yaml):\n");
    for (key, _, default, help, scope) in OPTIONS {
        match flow {
            Some(flow) if !applies(scope, flow) => continue,
            Some(_) => out.push_str(&format!("  {key:<34} {help} [default: {default}]\n")),
            None => {
                let flows = if scope.is_empty() { "all" } else { scope };
                out.push_str(&format!(
                    "  {key:<34} {help} [default: {default}] ({flows})\n"
                ))
            }
        }
    }
    out
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostAlias {
    pub ip: String,
    pub hostnames: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct FlowOptions {
    pub chaincode_version: String,
    pub channel_include: Vec<String>,
    pub channel_parallel: bool,
    pub chaincode_include: Vec<String>,
    pub chaincode_parallel: bool,
    pub install: bool,
    pub approve: bool,
    pub commit: bool,
    pub invoke: bool,
    pub invoke_function: String,
    pub init_function: String,
    pub legacy_init: String,
    pub retry_count: u32,
    /// Minutes the commit step waits for external orgs' approvals.
    pub approval_wait_minutes: u64,
    pub log_level: String,
    pub host_aliases: Vec<HostAlias>,
    /// The config-update flows' options (`update.*`, `flow.*Update.*`).
    pub update: UpdateOptions,
    pub backup: BackupOptions,
    /// The keys the user set (files and --set), to refuse those that do not
    /// apply to the flow being emitted.
    pub set_keys: Vec<String>,
}

/// Options of `fabchart flow backup` and `fabchart flow restore`.
#[derive(Debug, Clone)]
pub struct BackupOptions {
    pub key: String,
    pub target_type: String,
    pub bucket: String,
    pub prefix: String,
    pub endpoint: String,
    pub region: String,
    pub account: String,
    pub secret: String,
    pub env_auth: bool,
    pub image: String,
    pub dry_run: bool,
    pub wait_seconds: u64,
    pub deadline_seconds: u64,
    pub force: bool,
    pub include: Vec<String>,
    pub parallel: bool,
    pub orderer_rolling: bool,
    pub peer: bool,
    pub couchdb: bool,
    pub orderer: bool,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions::from_values(&Value::Object(Map::new())).expect("defaults are valid")
    }
}

impl FlowOptions {
    /// Reads `files` (in order) then applies `sets` (in order).
    pub fn load(files: &[impl AsRef<Path>], sets: &[impl AsRef<str>]) -> anyhow::Result<Self> {
        let mut values = Value::Object(Map::new());
        for file in files {
            let file = file.as_ref();
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let parsed: Value = serde_yaml::from_str(&text)
                .with_context(|| format!("{} is not valid YAML", file.display()))?;
            match parsed {
                Value::Null => {}
                Value::Object(_) => merge(&mut values, parsed),
                _ => bail!("{}: a values file is a mapping of options", file.display()),
            }
        }
        for set in sets {
            apply_set(&mut values, set.as_ref())?;
        }
        Self::from_values(&values)
    }

    pub fn from_values(values: &Value) -> anyhow::Result<Self> {
        let mut leaves = Vec::new();
        collect_leaves(values, String::new(), &mut leaves);
        for (key, _) in &leaves {
            if !OPTIONS.iter().any(|(k, ..)| k == key) {
                bail!(
                    "unknown option `{key}`; valid options: {}",
                    OPTIONS
                        .iter()
                        .map(|(k, ..)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        let get = |key: &str| -> anyhow::Result<Value> {
            let (_, kind, default, ..) = OPTIONS
                .iter()
                .find(|(k, ..)| *k == key)
                .expect("known option");
            let value = leaves
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| (*v).clone());
            let value = match value {
                Some(v) => v,
                None => match kind {
                    Kind::Text => Value::String(default.to_string()),
                    Kind::HostAliases => Value::Array(Vec::new()),
                    _ => parse_scalar(default),
                },
            };
            check_kind(key, *kind, value)
        };
        let boolean =
            |key: &str| -> anyhow::Result<bool> { Ok(get(key)?.as_bool().expect("checked")) };
        let text = |key: &str| -> anyhow::Result<String> {
            Ok(get(key)?.as_str().expect("checked").to_string())
        };
        let list = |key: &str| -> anyhow::Result<Vec<String>> {
            Ok(get(key)?
                .as_array()
                .expect("checked")
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect())
        };
        Ok(FlowOptions {
            chaincode_version: text("chaincode.version")?,
            channel_include: list("flow.channel.include")?,
            channel_parallel: boolean("flow.channel.parallel")?,
            chaincode_include: list("flow.chaincode.include")?,
            chaincode_parallel: boolean("flow.chaincode.parallel")?,
            install: boolean("flow.install.enabled")?,
            approve: boolean("flow.approve.enabled")?,
            commit: boolean("flow.commit.enabled")?,
            invoke: boolean("flow.invoke.enabled")?,
            invoke_function: text("flow.invoke.function")?,
            init_function: text("flow.init.function")?,
            legacy_init: text("flow.legacy.init")?,
            retry_count: get("retryCount")?.as_u64().expect("checked") as u32,
            approval_wait_minutes: get("flow.commit.approvalWait")?.as_u64().expect("checked"),
            log_level: text("logLevel")?,
            host_aliases: serde_json::from_value(get("hostAliases")?)?,
            update: UpdateOptions::read(&get)?,
            backup: BackupOptions {
                key: text("backup.key")?,
                target_type: text("backup.target.type")?,
                bucket: text("backup.target.bucket")?,
                prefix: text("backup.target.prefix")?,
                endpoint: text("backup.target.endpoint")?,
                region: text("backup.target.region")?,
                account: text("backup.target.account")?,
                secret: text("backup.target.secret")?,
                env_auth: boolean("backup.target.envAuth")?,
                image: text("backup.image")?,
                dry_run: boolean("backup.dryRun")?,
                wait_seconds: get("backup.waitSeconds")?.as_u64().expect("checked"),
                deadline_seconds: get("backup.deadlineSeconds")?.as_u64().expect("checked"),
                force: boolean("restore.force")?,
                include: list("flow.backup.include")?,
                parallel: boolean("flow.backup.parallel")?,
                orderer_rolling: boolean("flow.orderer.backup.rolling")?,
                peer: boolean("flow.peer.backup.enabled")?,
                couchdb: boolean("flow.couchdb.backup.enabled")?,
                orderer: boolean("flow.orderer.backup.enabled")?,
            },
            set_keys: leaves.iter().map(|(k, _)| k.clone()).collect(),
        })
    }

    /// Refuses options set for another flow (`backup.key` on `flow channel`).
    pub fn check_scope(&self, flow: Flow) -> anyhow::Result<()> {
        for key in &self.set_keys {
            let (.., scope) = OPTIONS
                .iter()
                .find(|(k, ..)| k == key)
                .expect("checked when loaded");
            if !applies(scope, flow) {
                bail!(
                    "option `{key}` does not apply to `fabchart flow {}` (it is for: {scope}); see `fabchart flow {} --help`",
                    flow.name(),
                    flow.name()
                );
            }
        }
        Ok(())
    }
}

/// Leaves of the values tree by dotted key; `hostAliases` is a leaf (a list).
fn collect_leaves<'a>(value: &'a Value, prefix: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) if prefix != "hostAliases" => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                collect_leaves(v, key, out);
            }
        }
        _ => out.push((prefix, value)),
    }
}

fn check_kind(key: &str, kind: Kind, value: Value) -> anyhow::Result<Value> {
    let ok = match (kind, &value) {
        (Kind::Bool, Value::Bool(_)) => return Ok(value),
        (Kind::Bool, Value::String(s)) if s == "true" || s == "false" => {
            return Ok(Value::Bool(s == "true"))
        }
        (Kind::Int, Value::Number(n)) if n.is_u64() => return Ok(value),
        (Kind::Int, Value::String(s)) if s.parse::<u32>().is_ok() => {
            return Ok(Value::from(s.parse::<u32>()?))
        }
        (Kind::Text, Value::String(_)) => return Ok(value),
        (Kind::Text, Value::Number(n)) => return Ok(Value::String(n.to_string())),
        (Kind::Text, Value::Bool(b)) => return Ok(Value::String(b.to_string())),
        (Kind::List, Value::Array(items)) => items.iter().all(|i| i.is_string()),
        (Kind::List, Value::Null) => return Ok(Value::Array(Vec::new())),
        (Kind::List, Value::String(s)) => return Ok(Value::Array(vec![Value::String(s.clone())])),
        (Kind::HostAliases, Value::Null) => return Ok(Value::Array(Vec::new())),
        (Kind::HostAliases, Value::Array(items)) => items.iter().all(|i| {
            i.as_object().is_some_and(|o| {
                o.keys().all(|k| k == "ip" || k == "hostnames")
                    && o.get("ip").is_some_and(Value::is_string)
                    && o.get("hostnames")
                        .and_then(Value::as_array)
                        .is_some_and(|h| h.iter().all(Value::is_string))
            })
        }),
        _ => false,
    };
    if ok {
        return Ok(value);
    }
    let expected = match kind {
        Kind::Bool => "true or false",
        Kind::Int => "a non-negative number",
        Kind::Text => "a string",
        Kind::List => "a list of names, e.g. {a,b}",
        Kind::HostAliases => "a list of {ip, hostnames: [...]}",
    };
    bail!("option `{key}` must be {expected}, not {value}")
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Applies one `--set` argument: `a.b=1,c={x,y}`.
fn apply_set(values: &mut Value, arg: &str) -> anyhow::Result<()> {
    for pair in split_top_level(arg) {
        let (key, raw) = pair
            .split_once('=')
            .with_context(|| format!("--set `{pair}` is not key=value"))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            bail!("--set `{pair}` has an empty key");
        }
        let mut node = &mut *values;
        let parts: Vec<&str> = key.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let map = match node {
                Value::Object(map) => map,
                _ => bail!("--set `{key}`: `{}` is not a mapping", parts[..i].join(".")),
            };
            if i + 1 == parts.len() {
                map.insert(part.to_string(), parse_scalar(raw));
                break;
            }
            node = map
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }
    Ok(())
}

/// Splits on commas outside `{...}`.
fn split_top_level(arg: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in arg.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&arg[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&arg[start..]);
    out
}

/// Helm's `--set` typing: `{a,b}` lists, true/false, integers; else a string
/// (so `2.0` stays the string "2.0").
fn parse_scalar(raw: &str) -> Value {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        return Value::Array(
            inner
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.into()))
                .collect(),
        );
    }
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => match raw.parse::<u64>() {
            Ok(n) if !raw.starts_with('0') || raw == "0" => Value::from(n),
            _ => Value::String(raw.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(sets: &[&str]) -> anyhow::Result<FlowOptions> {
        FlowOptions::load(&[] as &[&Path], sets)
    }

    #[test]
    fn helm_style_sets() {
        let o = load(&[
            "chaincode.version=2.0",
            "flow.chaincode.include={a,b},retryCount=7",
        ])
        .unwrap();
        assert_eq!(o.chaincode_version, "2.0");
        assert_eq!(o.chaincode_include, ["a", "b"]);
        assert_eq!(o.retry_count, 7);
        assert!(o.channel_parallel && !o.invoke);
    }

    #[test]
    fn unknown_keys_name_the_valid_ones() {
        let e = load(&["flow.chanel.parallel=false"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown option `flow.chanel.parallel`"), "{e}");
        assert!(e.contains("flow.channel.parallel"), "{e}");
    }

    #[test]
    fn wrong_types_are_errors() {
        assert!(load(&["flow.invoke.enabled=maybe"]).is_err());
        assert!(load(&["retryCount=-1"]).is_err());
    }
}
