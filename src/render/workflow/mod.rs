//! The Argo Workflows that bring a running hlf-kube network to the state
//! network.yaml declares: `fabchart flow channel` and `fabchart flow chaincode`.
//!
//! Built as `serde_json::Value` and printed as YAML rather than rendered by
//! handlebars: the workflow is mostly data (JSON lists passed as parameters),
//! which serde quotes correctly by construction, and Argo's own
//! `{{inputs.parameters.x}}` needs no escaping. The step scripts are real files
//! (`workflow-templates/scripts/`), embedded verbatim.
//!
//! Size: one script template per kind of step, fed by `withItems`/`withParam`
//! (one step per channel and per (channel, org); per (chaincode, org) and per
//! (chaincode, channel)). Data about an org that every channel would repeat
//! (peers, anchor peers, admin files) lives once in the workflow parameter
//! `orgs`.

pub mod access;
mod backup;
mod builder;
mod chaincode;
mod channel;
mod channel_update;
pub mod chart_values;
pub mod collections;
mod config_update;
mod envelope;
pub mod linker;
pub mod options;
mod peer_org;
pub mod policy;
mod rollout;
mod upgrade_check;

use serde_json::{json, Map, Value};

use crate::model::{names, Network};
use builder::Builder;
pub(crate) use builder::{env, inputs, manifest, param};
pub use linker::{script, script_text, script_with_lib};
pub use options::FlowOptions;

/// The JSON schema of the org table, the `orgs` workflow parameter every
/// flow passes to its steps (committed as schemas/org-table.schema.json).
pub fn org_table_schema() -> schemars::Schema {
    schemars::schema_for!(std::collections::BTreeMap<String, builder::OrgEntry<'static>>)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Channel,
    Chaincode,
    PeerOrg,
    ChannelUpdate,
    Backup,
    Restore,
    UpgradeCheck,
    Rollout,
}

impl Flow {
    pub const ALL: [Flow; 8] = [
        Flow::Channel,
        Flow::Chaincode,
        Flow::PeerOrg,
        Flow::ChannelUpdate,
        Flow::Backup,
        Flow::Restore,
        Flow::UpgradeCheck,
        Flow::Rollout,
    ];

    /// The name on the command line and in the `hlf-kube/flow` label.
    pub fn name(self) -> &'static str {
        match self {
            Flow::Channel => "channel",
            Flow::Chaincode => "chaincode",
            Flow::PeerOrg => "peer-org",
            Flow::ChannelUpdate => "channel-update",
            Flow::Backup => "backup",
            Flow::Restore => "restore",
            Flow::UpgradeCheck => "upgrade-check",
            Flow::Rollout => "rollout",
        }
    }

    /// The workflow's `generateName`.
    fn generate_name(self) -> &'static str {
        match self {
            Flow::Channel => "hlf-channels-",
            Flow::Chaincode => "hlf-chaincodes-",
            Flow::PeerOrg => "hlf-peer-orgs-",
            Flow::ChannelUpdate => "hlf-channel-update-",
            Flow::Backup => "hlf-backup-",
            Flow::Restore => "hlf-restore-",
            Flow::UpgradeCheck => "hlf-upgrade-check-",
            Flow::Rollout => "hlf-rollout-",
        }
    }
}

/// What a flow's builder contributes to the workflow.
#[derive(Default)]
pub(crate) struct Parts {
    templates: Vec<Value>,
    /// The `orgs` workflow parameter: org table entries by org name.
    orgs: Map<String, Value>,
    /// Further workflow parameters (after `orgs`).
    parameters: Vec<Value>,
    /// Name of the exit-handler template, if the flow has one.
    on_exit: Option<String>,
    /// The flow may wait for people (a suspend step: other orgs' admins
    /// signing): it may run for days, and its pods stay until it succeeds,
    /// since a finished step's log and files may be needed meanwhile.
    waits: bool,
    /// The workflow's deadline, when not the default two hours.
    active_deadline_seconds: Option<u64>,
    /// A mutex (Argo 3.6+) the whole workflow, exit handler included, holds:
    /// workflows naming the same one run one after another.
    mutex: Option<&'static str>,
}

/// Inputs of a chaincode step on one channel (commit, invoke, instantiate).
const CHAINCODE_CHANNEL_INPUTS: &[&str] = &[
    "chaincode",
    "version",
    "definitions",
    "channel",
    "org",
    "secret",
];

/// How long a workflow may run; one that waits for people, a week.
const DEADLINE_SECONDS: u64 = 2 * 60 * 60;
const WAITING_DEADLINE_SECONDS: u64 = 7 * 24 * 60 * 60;

impl From<(Vec<Value>, Map<String, Value>)> for Parts {
    fn from((templates, orgs): (Vec<Value>, Map<String, Value>)) -> Self {
        Parts {
            templates,
            orgs,
            ..Parts::default()
        }
    }
}

/// Moves each step's `withItems` into a workflow parameter of compact JSON
/// that the step reads with `withParam`: the same items (Argo hands an item's
/// objects to `{{item.x}}` as JSON either way), without YAML's block style
/// repeating every key at its indentation, which made most of a big network's
/// workflow. Items holding Argo placeholders stay where they are.
fn items_as_parameters(templates: &mut [Value]) -> anyhow::Result<Vec<Value>> {
    let mut parameters = Vec::new();
    for template in templates {
        let template_name = template["name"].as_str().unwrap_or_default().to_string();
        let Some(groups) = template.get_mut("steps").and_then(Value::as_array_mut) else {
            continue;
        };
        for step in groups
            .iter_mut()
            .flat_map(|g| g.as_array_mut().into_iter().flatten())
        {
            let Some(items) = step.get("withItems") else {
                continue;
            };
            let text = serde_json::to_string(items)?;
            if text.contains("{{") {
                continue;
            }
            let name = format!(
                "{template_name}-{}-items",
                step["name"].as_str().unwrap_or_default()
            );
            let object = step.as_object_mut().expect("a step is an object");
            object.remove("withItems");
            object.insert(
                "withParam".into(),
                json!(format!("{{{{workflow.parameters.{name}}}}}")),
            );
            parameters.push(json!({ "name": name, "value": text }));
        }
    }
    Ok(parameters)
}

/// The workflow as YAML text.
pub fn to_yaml(workflow: &Value) -> anyhow::Result<String> {
    Ok(serde_yaml::to_string(workflow)?)
}

/// The workflow of the flow `options` are for, for `network`;
/// `network_name` labels it.
pub fn workflow(
    network: &Network,
    options: &FlowOptions,
    network_name: &str,
) -> anyhow::Result<Value> {
    let flow = options.flow();
    let mut parts: Parts = match options {
        FlowOptions::Channel(options) => Builder { network, options }.channel_templates()?.into(),
        FlowOptions::Chaincode(options) => {
            let mut parts: Parts = Builder { network, options }.chaincode_templates()?.into();
            // A commit may wait for other clusters' approvals that long.
            let waits_for_external = network.chaincodes.iter().any(|c| {
                c.channels
                    .iter()
                    .flat_map(|cc| &cc.orgs)
                    .any(|name| network.org(name).is_some_and(|o| o.external))
            });
            let commit = &options.flow.commit;
            if commit.enabled && waits_for_external {
                parts.active_deadline_seconds = Some(DEADLINE_SECONDS + commit.approval_wait * 60);
            }
            parts
        }
        FlowOptions::PeerOrg(options) => Builder { network, options }.peer_org_parts()?,
        FlowOptions::ChannelUpdate(options) => {
            Builder { network, options }.channel_update_parts()?
        }
        FlowOptions::Backup(options) => Builder { network, options }.backup_parts()?,
        FlowOptions::Restore(options) => Builder { network, options }.restore_parts()?,
        FlowOptions::UpgradeCheck(options) => Builder { network, options }.upgrade_check_parts()?,
        FlowOptions::Rollout(options) => Builder { network, options }.rollout_parts()?,
    };
    let items = items_as_parameters(&mut parts.templates)?;
    let mut parameters =
        vec![json!({ "name": "orgs", "value": serde_json::to_string(&parts.orgs)? })];
    parameters.extend(parts.parameters);
    parameters.extend(items);
    let mut labels = json!({
        "app.kubernetes.io/managed-by": "fabchart",
        "hlf-kube/network": label_value(network_name),
    });
    labels[names::FLOW_LABEL] = json!(flow.name());
    let mut spec = json!({
        "entrypoint": "main",
        "serviceAccountName": names::flow_account(flow.name()),
        "activeDeadlineSeconds": if parts.waits { WAITING_DEADLINE_SECONDS } else { DEADLINE_SECONDS },
        "podGC": { "strategy": if parts.waits { "OnWorkflowSuccess" } else { "OnPodSuccess" } },
        "ttlStrategy": { "secondsAfterSuccess": 3600, "secondsAfterFailure": 86400 },
        "podMetadata": { "labels": labels },
        "arguments": { "parameters": parameters },
        "templates": parts.templates,
    });
    if let Some(on_exit) = parts.on_exit {
        spec["onExit"] = json!(on_exit);
    }
    if let Some(seconds) = parts.active_deadline_seconds {
        spec["activeDeadlineSeconds"] = json!(seconds);
    }
    if let Some(mutex) = parts.mutex {
        spec["synchronization"] = json!({ "mutexes": [{ "name": mutex }] });
    }
    // Other clusters' nodes (their bundles'), then the options' entries.
    let mut host_aliases = serde_json::to_value(&network.host_aliases)?;
    if let Value::Array(aliases) = &mut host_aliases {
        for alias in options.common().host_aliases() {
            aliases.push(serde_json::to_value(alias)?);
        }
        if !aliases.is_empty() {
            spec["hostAliases"] = host_aliases;
        }
    }
    // Every step's pod: the chart's pod security context and pull secrets.
    let security = options.common().chart().pod_security_context();
    if chart_values::is_set(&security) {
        spec["securityContext"] = security;
    }
    let secrets = options.common().chart().pull_secrets();
    if secrets.as_array().is_some_and(|s| !s.is_empty()) {
        spec["imagePullSecrets"] = secrets;
    }
    Ok(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": { "generateName": flow.generate_name(), "labels": labels },
        "spec": spec,
    }))
}

/// A Kubernetes label value: at most 63 of `[a-z0-9.-_]`, alphanumeric ends.
fn label_value(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    cleaned
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}
