//! Flow options, Helm-style: `-f values.yaml` files merged in order, then
//! `--set key=value` (comma-separated pairs, `{a,b}` lists). Unknown keys are
//! errors that name the valid ones.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::update_options::UpdateOptions;
use super::Flow;
use crate::load::{Diagnostic, Diagnostics, Location, SourceFile};
use crate::policy::AnyPolicy;
use crate::units;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Bool,
    Int,
    Text,
    List,
    HostAliases,
    /// A Go duration above zero, e.g. 2s (empty: not set).
    Duration,
    /// A configtxgen byte size above zero, e.g. 99 MB (empty: not set).
    Size,
    /// A 32-bit count above zero (empty: not set).
    Count,
    /// An ImplicitMeta or signature policy rule (empty: not set).
    Policy,
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
        Kind::Policy,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.application.policies.Writers",
        Kind::Policy,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.application.policies.Admins",
        Kind::Policy,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.application.policies.Endorsement",
        Kind::Policy,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.application.policies.LifecycleEndorsement",
        Kind::Policy,
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
        Kind::Duration,
        "",
        "BatchTimeout, e.g. 2s",
        "channel-update",
    ),
    (
        "update.orderer.batchSize.maxMessageCount",
        Kind::Count,
        "",
        "BatchSize.MaxMessageCount",
        "channel-update",
    ),
    (
        "update.orderer.batchSize.absoluteMaxBytes",
        Kind::Size,
        "",
        "BatchSize.AbsoluteMaxBytes, e.g. 99 MB",
        "channel-update",
    ),
    (
        "update.orderer.batchSize.preferredMaxBytes",
        Kind::Size,
        "",
        "BatchSize.PreferredMaxBytes, e.g. 512 KB",
        "channel-update",
    ),
    (
        "update.orderer.policies.Readers",
        Kind::Policy,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.orderer.policies.Writers",
        Kind::Policy,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.orderer.policies.Admins",
        Kind::Policy,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.orderer.policies.BlockValidation",
        Kind::Policy,
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
        Kind::Policy,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.channel.policies.Writers",
        Kind::Policy,
        "",
        "\"MAJORITY Admins\" or \"OR('A.admin','B.admin')\"",
        "channel-update",
    ),
    (
        "update.channel.policies.Admins",
        Kind::Policy,
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
        "flow.ca.backup.enabled",
        Kind::Bool,
        "false",
        "back up / restore each local org's fabric-ca volume (chart values ca.enabled and ca.persistence.enabled)",
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
        // An empty default is said by the help text itself ("default: all").
        let default = match *default {
            "" | "[]" | "{}" => String::new(),
            value => format!(" [default: {value}]"),
        };
        match flow {
            Some(flow) if !applies(scope, flow) => continue,
            Some(_) => out.push_str(&format!("  {key:<34} {help}{default}\n")),
            None => {
                let flows = if scope.is_empty() { "all" } else { scope };
                out.push_str(&format!("  {key:<34} {help}{default} ({flows})\n"))
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
    /// Where a values file set a key (a diagnostic without message yet).
    key_locations: HashMap<String, Diagnostic>,
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
    pub ca: bool,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions::from_values(&Value::Object(Map::new())).expect("defaults are valid")
    }
}

impl FlowOptions {
    /// Reads `files` (in order) then applies `sets` (in order). A fault in a
    /// file's option is reported at its line and column, all of them at once.
    pub fn load(files: &[impl AsRef<Path>], sets: &[impl AsRef<str>]) -> anyhow::Result<Self> {
        let mut values = Value::Object(Map::new());
        let mut sources = Vec::new();
        let mut origins: HashMap<String, Origin> = HashMap::new();
        let mut diagnostics = Diagnostics::default();
        for file in files {
            let file = file.as_ref();
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let source =
                SourceFile::from_text(file.to_path_buf(), file.display().to_string(), text);
            let parsed: Value = match serde_yaml::from_str(&source.text) {
                Ok(parsed) => parsed,
                Err(e) => {
                    let location =
                        e.location()
                            .map_or(Location { line: 1, column: 1 }, |l| Location {
                                line: l.line(),
                                column: l.column(),
                            });
                    let message = e.to_string();
                    let message = message.split(" at line ").next().unwrap_or_default();
                    diagnostics.push(
                        Diagnostic::at(&source, location, format!("invalid YAML: {message}"))
                            .with_help("fix the YAML syntax at this position"),
                    );
                    continue;
                }
            };
            match parsed {
                Value::Null => {}
                Value::Object(_) => {
                    let mut leaves = Vec::new();
                    collect_pointers(&parsed, String::new(), String::new(), &mut leaves);
                    for (key, pointer) in leaves {
                        origins.insert(key, Origin::File(sources.len(), pointer));
                    }
                    merge(&mut values, parsed);
                }
                _ => diagnostics.push(
                    Diagnostic::at(
                        &source,
                        Location { line: 1, column: 1 },
                        "a values file is a mapping of options",
                    )
                    .with_help("write `key: value` lines, e.g. `retryCount: 6`"),
                ),
            }
            sources.push(source);
        }
        std::mem::take(&mut diagnostics).into_result()?;
        for set in sets {
            for key in apply_set(&mut values, set.as_ref())? {
                origins.insert(key, Origin::Set);
            }
        }
        let origin_of = |key: &str| -> Option<(&SourceFile, String)> {
            match origins.get(key) {
                Some(Origin::File(i, pointer)) => Some((&sources[*i], pointer.clone())),
                _ => None,
            }
        };

        // Every fault of the files at once; of --set, the first (as a message).
        let mut leaves = Vec::new();
        collect_leaves(&values, String::new(), &mut leaves);
        let mut from_set = None;
        for (key, value) in &leaves {
            let fault = match OPTIONS.iter().find(|(k, ..)| k == key) {
                None => Some(OptionFault::unknown(key)),
                Some((_, kind, ..)) => check_kind(key, *kind, (*value).clone()).err(),
            };
            let Some(fault) = fault else { continue };
            match origin_of(key) {
                Some((source, pointer)) => {
                    let location = if fault.unknown {
                        source.locate_key(&unknown_part(key, &pointer))
                    } else {
                        source.locate_in_scalar(&pointer, fault.offset)
                    };
                    diagnostics.push(
                        Diagnostic::at(source, location, fault.message).with_help(fault.help),
                    );
                }
                None => {
                    from_set.get_or_insert(fault);
                }
            }
        }
        diagnostics.into_result()?;
        if let Some(fault) = from_set {
            bail!("{}", fault.text());
        }
        let mut options = Self::from_values(&values)?;
        options.key_locations = leaves
            .iter()
            .filter_map(|(key, _)| {
                let (source, pointer) = origin_of(key)?;
                let location = source.locate_key(&pointer);
                Some((key.clone(), Diagnostic::at(source, location, String::new())))
            })
            .collect();
        Ok(options)
    }

    pub fn from_values(values: &Value) -> anyhow::Result<Self> {
        let mut leaves = Vec::new();
        collect_leaves(values, String::new(), &mut leaves);
        for (key, _) in &leaves {
            if !OPTIONS.iter().any(|(k, ..)| k == key) {
                bail!("{}", OptionFault::unknown(key).text());
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
                    Kind::Text | Kind::Duration | Kind::Size | Kind::Count | Kind::Policy => {
                        Value::String(default.to_string())
                    }
                    Kind::HostAliases => Value::Array(Vec::new()),
                    _ => parse_scalar(default),
                },
            };
            check_kind(key, *kind, value).map_err(|fault| anyhow::anyhow!("{}", fault.text()))
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
                ca: boolean("flow.ca.backup.enabled")?,
            },
            set_keys: leaves.iter().map(|(k, _)| k.clone()).collect(),
            key_locations: HashMap::new(),
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
                let message = format!(
                    "option `{key}` does not apply to `fabchart flow {}` (it is for: {scope})",
                    flow.name()
                );
                let help = format!("see `fabchart flow {} --help`", flow.name());
                if let Some(at) = self.key_locations.get(key) {
                    let mut diagnostics = Diagnostics::default();
                    diagnostics.push(Diagnostic {
                        message,
                        help: Some(help),
                        ..at.clone()
                    });
                    return Err(diagnostics.into_result().unwrap_err().into());
                }
                bail!("{message}; {help}");
            }
        }
        Ok(())
    }
}

/// Where an option's value came from.
enum Origin {
    /// The values file of this index, at this pointer.
    File(usize, String),
    Set,
}

/// What is wrong with one option's value, and where inside it.
struct OptionFault {
    message: String,
    help: String,
    /// Character offset inside a string value.
    offset: usize,
    /// The key is unknown (rather than its value faulty).
    unknown: bool,
}

impl OptionFault {
    fn unknown(key: &str) -> OptionFault {
        let close = OPTIONS
            .iter()
            .map(|(k, ..)| *k)
            .find(|k| crate::load::similar(k, key));
        OptionFault {
            message: format!("unknown option `{key}`"),
            help: match close {
                Some(k) => format!("did you mean `{k}`? `fabchart flow --help` lists every option"),
                None => "`fabchart flow --help` lists every option".to_string(),
            },
            offset: 0,
            unknown: true,
        }
    }

    fn value(message: String, help: impl Into<String>, offset: usize) -> OptionFault {
        OptionFault {
            message,
            help: help.into(),
            offset,
            unknown: false,
        }
    }

    /// One line, for a --set argument that has no position.
    fn text(&self) -> String {
        if self.unknown {
            let valid: Vec<&str> = OPTIONS.iter().map(|(k, ..)| *k).collect();
            return format!("{}; valid options: {}", self.message, valid.join(", "));
        }
        format!("{}; {}", self.message, self.help)
    }
}

/// The pointer (within `pointer`, a leaf's) of the first key of `key` that
/// no option has: `flow.chanel.parallel` -> the key `chanel`.
fn unknown_part(key: &str, pointer: &str) -> String {
    let words: Vec<&str> = key.split('.').collect();
    let known = (0..words.len())
        .rev()
        .find(|n| {
            let prefix = format!("{}.", words[..*n].join("."));
            *n == 0 || OPTIONS.iter().any(|(k, ..)| k.starts_with(&prefix))
        })
        .unwrap_or(0);
    // Pointer segments may hold several dotted words (`flow.channel: ...`).
    let mut words_seen = 0;
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        out.push('/');
        out.push_str(segment);
        words_seen += segment.split('.').count();
        if words_seen > known {
            break;
        }
    }
    out
}

/// Leaves of a values file by dotted key, with the pointer of each.
fn collect_pointers(value: &Value, key: String, pointer: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if key != "hostAliases" => {
            for (k, v) in map {
                let child = if key.is_empty() {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                let at = format!("{pointer}/{}", k.replace('/', "~1"));
                collect_pointers(v, child, at, out);
            }
        }
        _ => out.push((key, pointer)),
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

fn check_kind(key: &str, kind: Kind, value: Value) -> Result<Value, OptionFault> {
    if matches!(
        kind,
        Kind::Duration | Kind::Size | Kind::Count | Kind::Policy
    ) {
        return check_setting(key, kind, value);
    }
    let ok = match (kind, &value) {
        (Kind::Bool, Value::Bool(_)) => return Ok(value),
        (Kind::Bool, Value::String(s)) if s == "true" || s == "false" => {
            return Ok(Value::Bool(s == "true"))
        }
        (Kind::Int, Value::Number(n)) if n.is_u64() => return Ok(value),
        (Kind::Int, Value::String(s)) if s.parse::<u32>().is_ok() => {
            return Ok(Value::from(s.parse::<u32>().expect("checked")))
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
        Kind::List => "a list of names, e.g. {a,b}",
        Kind::HostAliases => "a list of {ip, hostnames: [...]}",
        _ => "a string",
    };
    Err(OptionFault::value(
        format!("option `{key}` must be {expected}, not {value}"),
        "see `fabchart flow --help` for every option and its type",
        0,
    ))
}

/// A channel-update setting checked as the orderer or configtxgen will read
/// it; empty means not set. Kept as text.
fn check_setting(key: &str, kind: Kind, value: Value) -> Result<Value, OptionFault> {
    let text = match &value {
        Value::String(s) => s.clone(),
        Value::Number(n) if kind != Kind::Policy => n.to_string(),
        other => {
            return Err(OptionFault::value(
                format!("option `{key}` must be a string, not {other}"),
                "see `fabchart flow --help` for every option and its type",
                0,
            ))
        }
    };
    if text.is_empty() {
        return Ok(Value::String(text));
    }
    let fault = |detail: String, help: String, offset: usize| {
        Err(OptionFault::value(
            format!("option `{key}` = `{text}`: {detail}"),
            help,
            offset,
        ))
    };
    match kind {
        Kind::Duration => match units::parse_go_duration(&text) {
            Ok(nanos) if nanos > 0 => {}
            Ok(_) => {
                return fault(
                    "not longer than zero".into(),
                    "the orderer refuses it; e.g. 2s".into(),
                    0,
                )
            }
            Err(e) => return fault(e.message, e.help, e.offset),
        },
        Kind::Size => match units::parse_byte_size(&text) {
            Ok(0) => {
                return fault(
                    "0 bytes".into(),
                    "give a size above 0, e.g. 99 MB".into(),
                    0,
                )
            }
            Ok(_) => {}
            Err(e) => return fault(e.message, e.help, e.offset),
        },
        Kind::Count => {
            if !text.parse::<u32>().is_ok_and(|n| n > 0) {
                return fault(
                    "not a count from 1 to 4294967295".into(),
                    "e.g. 500".into(),
                    0,
                );
            }
        }
        _ => {
            if let Err(e) = AnyPolicy::parse(&text) {
                return fault(e.message, e.help, e.offset);
            }
        }
    }
    Ok(Value::String(text))
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

/// Applies one `--set` argument: `a.b=1,c={x,y}`; the keys it set.
fn apply_set(values: &mut Value, arg: &str) -> anyhow::Result<Vec<String>> {
    let mut keys = Vec::new();
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
        keys.push(key.to_string());
    }
    Ok(keys)
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
    fn channel_update_settings_are_checked_when_loaded() {
        let e = load(&["update.orderer.batchTimeout=soon"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a Go duration"), "{e}");
        for bad in [
            "update.orderer.batchTimeout=0s",
            "update.orderer.batchSize.absoluteMaxBytes=0",
            "update.orderer.batchSize.preferredMaxBytes=5 GB",
            "update.orderer.batchSize.maxMessageCount=0",
            "update.channel.policies.Admins=SOME Admins",
            "update.application.policies.Endorsement=OR('A.pear')",
        ] {
            assert!(load(&[bad]).is_err(), "{bad}");
        }
        let o = load(&[
            "update.orderer.batchSize.absoluteMaxBytes=1048576",
            "update.orderer.batchTimeout=1.5s",
            "update.orderer.batchSize.maxMessageCount=500",
        ])
        .unwrap();
        assert_eq!(o.update.absolute_max_bytes, "1048576");
        assert_eq!(o.update.max_message_count, "500");
        assert_eq!(o.update.batch_timeout, "1.5s");
    }

    #[test]
    fn values_file_faults_point_into_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("v.yaml");
        std::fs::write(
            &file,
            "flow:\n  channel: {parallel: maybe}\n  chaincod:\n    include: [a]\n",
        )
        .unwrap();
        let e = FlowOptions::load(&[&file], &[] as &[&str]).unwrap_err();
        let diagnostics = e.downcast_ref::<Diagnostics>().expect("positioned");
        let at: Vec<_> = diagnostics.0.iter().map(|d| d.location.unwrap()).collect();
        assert_eq!(
            at,
            [
                Location {
                    line: 2,
                    column: 23
                },
                Location { line: 3, column: 3 }
            ]
        );
        // A --set of the same key wins over the file: no fault left there.
        let fixed = FlowOptions::load(&[&file], &["flow.channel.parallel=false"]).unwrap_err();
        assert_eq!(fixed.downcast_ref::<Diagnostics>().unwrap().0.len(), 1);
    }

    #[test]
    fn wrong_types_are_errors() {
        assert!(load(&["flow.invoke.enabled=maybe"]).is_err());
        assert!(load(&["retryCount=-1"]).is_err());
    }
}
