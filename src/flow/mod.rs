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

mod backup;
mod channel_update;
pub mod collections;
mod config_update;
mod envelope;
pub mod options;
mod peer_org;
pub mod policy;
pub mod update_options;

use std::collections::HashSet;

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use crate::model::OrgKind;
use crate::model::{names, Chaincode, Channel, Network, Org};
use crate::render::templates::WORKFLOW_TEMPLATES;
pub use options::FlowOptions;

/// The ServiceAccount the chart creates for the flows.
pub const SERVICE_ACCOUNT: &str = "hlf-flow";

const CONFIGTX_MOUNT: &str = "/configtx";
/// Where the scripts rebuild the configtx tree (`materialize_configtx`).
const CONFIGTX_TREE: &str = "/tmp/configtx";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Channel,
    Chaincode,
    PeerOrg,
    ChannelUpdate,
    Backup,
    Restore,
}

impl Flow {
    pub const ALL: [Flow; 6] = [
        Flow::Channel,
        Flow::Chaincode,
        Flow::PeerOrg,
        Flow::ChannelUpdate,
        Flow::Backup,
        Flow::Restore,
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
        }
    }
}

/// What a flow's builder contributes to the workflow.
#[derive(Default)]
struct Parts {
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

/// A step script with every library it sources the same way (`lib.sh`,
/// `update-lib.sh`, `backup-lib.sh`: `. "$(dirname "$0")/<lib>.sh"`) in place
/// of the line that sources it, cut down to the library functions the step
/// calls (directly or through another function) and the library's top-level
/// assignments. A script must source at least one library.
pub fn script(name: &str) -> anyhow::Result<String> {
    let text = script_text(name)?;
    let mut libs = Vec::new();
    let mut own = String::new();
    for line in text.lines() {
        match sourced_lib(line) {
            Some(lib) => libs.push((lib, lib_pieces(script_text(lib)?))),
            None => {
                own.push_str(line);
                own.push('\n');
            }
        }
    }
    if libs.is_empty() {
        bail!("scripts/{name}.sh sources no library (lib.sh or another)");
    }
    let pieces: Vec<&LibPiece> = libs.iter().flat_map(|(_, p)| p).collect();
    let used = names_used(&own, &pieces);
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("# shellcheck source=") {
            continue;
        }
        match sourced_lib(line) {
            Some(lib) => {
                let (_, lib_pieces) = libs.iter().find(|(l, _)| *l == lib).expect("parsed above");
                let kept = lib_pieces
                    .iter()
                    .filter(|piece| piece.name.is_none_or(|n| used.contains(n)));
                for (i, piece) in kept.enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str(&piece.text);
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
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

/// `lib` of a line `. "$(dirname "$0")/lib.sh"`.
fn sourced_lib(line: &str) -> Option<&str> {
    line.strip_prefix(". \"$(dirname \"$0\")/")
        .and_then(|rest| rest.strip_suffix(".sh\""))
}

/// A top-level piece of a shell library, with the comment right above it: a
/// function definition or a variable assignment (kept when a step names it),
/// or any other statement (always kept).
#[derive(Debug, PartialEq)]
struct LibPiece<'a> {
    name: Option<&'a str>,
    text: String,
}

/// Splits a library into its pieces. A function starts with `name() {` or
/// `name() (` at the start of a line and ends on the same line or at the
/// first line that is only `}` or `)`. Comments separated by a blank line
/// from what follows (file headers, section titles) and `# shellcheck`
/// directives are left out.
fn lib_pieces(text: &str) -> Vec<LibPiece<'_>> {
    let mut pieces = Vec::new();
    let mut comment = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() {
            comment.clear();
            continue;
        }
        if line.starts_with('#') {
            if !line.starts_with("# shellcheck") {
                comment.push_str(line);
                comment.push('\n');
            }
            continue;
        }
        let mut text = std::mem::take(&mut comment);
        text.push_str(line);
        text.push('\n');
        let function = function_header(line);
        let assigned = line
            .split_once('=')
            .map(|(name, _)| name)
            .filter(|name| is_shell_name(name));
        if let Some((_, close)) = function {
            if !line.trim_end().ends_with(close) {
                for body in lines.by_ref() {
                    text.push_str(body);
                    text.push('\n');
                    if body.len() == 1 && body.starts_with(close) {
                        break;
                    }
                }
            }
        }
        pieces.push(LibPiece {
            name: function.map(|(name, _)| name).or(assigned),
            text,
        });
    }
    pieces
}

/// `(name, closing char)` of a line opening a function definition.
fn function_header(line: &str) -> Option<(&str, char)> {
    let (name, rest) = line.split_once("() ")?;
    let valid = is_shell_name(name);
    match rest.chars().next()? {
        '{' if valid => Some((name, '}')),
        '(' if valid => Some((name, ')')),
        _ => None,
    }
}

fn is_shell_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The library functions and variables `own` (a step's own text) names, and
/// those they name in turn. A name counts wherever it stands as a whole word,
/// comments included: keeping a piece too many is harmless, one too few is
/// not.
fn names_used<'a>(own: &str, pieces: &[&LibPiece<'a>]) -> HashSet<&'a str> {
    fn words(text: &str) -> HashSet<&str> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect()
    }
    let mut used = HashSet::new();
    let mut todo = vec![own];
    for piece in pieces.iter().filter(|p| p.name.is_none()) {
        todo.push(&piece.text);
    }
    while let Some(text) = todo.pop() {
        let named = words(text);
        for piece in pieces {
            if let Some(name) = piece.name {
                if named.contains(name) && used.insert(name) {
                    todo.push(&piece.text);
                }
            }
        }
    }
    used
}

/// [`script`], checking that the step sources library `scripts/<lib>.sh`.
pub fn script_with_lib(name: &str, lib: &str) -> anyhow::Result<String> {
    let source_line = format!(". \"$(dirname \"$0\")/{lib}.sh\"");
    if !script_text(name)?.lines().any(|l| l == source_line) {
        bail!("scripts/{name}.sh does not source {lib}.sh");
    }
    script(name)
}

/// Step script `scripts/<name>.sh` as it is.
pub fn script_text(name: &str) -> anyhow::Result<&'static str> {
    let path = format!("scripts/{name}.sh");
    WORKFLOW_TEMPLATES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, t)| *t)
        .with_context(|| format!("workflow template {path} is not embedded"))
}

/// The workflow as YAML text.
pub fn to_yaml(workflow: &Value) -> anyhow::Result<String> {
    Ok(serde_yaml::to_string(workflow)?)
}

/// The workflow of `flow` for `network`; `network_name` labels it.
pub fn workflow(
    network: &Network,
    flow: Flow,
    options: &FlowOptions,
    network_name: &str,
) -> anyhow::Result<Value> {
    options.check_scope(flow)?;
    let builder = Builder { network, options };
    let mut parts: Parts = match flow {
        Flow::Channel => builder.channel_templates()?.into(),
        Flow::Chaincode => {
            let mut parts: Parts = builder.chaincode_templates()?.into();
            // A commit may wait for other clusters' approvals that long.
            let waits_for_external = network.chaincodes.iter().any(|c| {
                c.channels
                    .iter()
                    .flat_map(|cc| &cc.orgs)
                    .any(|name| network.org(name).is_some_and(|o| o.external))
            });
            if options.commit && waits_for_external {
                parts.active_deadline_seconds =
                    Some(DEADLINE_SECONDS + options.approval_wait_minutes * 60);
            }
            parts
        }
        Flow::PeerOrg => builder.peer_org_parts()?,
        Flow::ChannelUpdate => builder.channel_update_parts()?,
        Flow::Backup => builder.backup_parts()?,
        Flow::Restore => builder.restore_parts()?,
    };
    let items = items_as_parameters(&mut parts.templates)?;
    let mut parameters =
        vec![json!({ "name": "orgs", "value": serde_json::to_string(&parts.orgs)? })];
    parameters.extend(parts.parameters);
    parameters.extend(items);
    let labels = json!({
        "app.kubernetes.io/managed-by": "fabchart",
        "hlf-kube/network": label_value(network_name),
        "hlf-kube/flow": flow.name(),
    });
    let mut spec = json!({
        "entrypoint": "main",
        "serviceAccountName": SERVICE_ACCOUNT,
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
    if !options.host_aliases.is_empty() {
        spec["hostAliases"] = serde_json::to_value(&options.host_aliases)?;
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

struct Builder<'a> {
    network: &'a Network,
    options: &'a FlowOptions,
}

fn param(name: &str, value: impl Into<Value>) -> Value {
    json!({ "name": name, "value": value.into() })
}

fn inputs(names: &[&str]) -> Value {
    json!({ "parameters": names.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>() })
}

fn env(name: &str, value: impl Into<Value>) -> Value {
    json!({ "name": name, "value": value.into() })
}

impl<'a> Builder<'a> {
    fn org(&self, name: &str) -> anyhow::Result<&'a Org> {
        self.network
            .org(name)
            .with_context(|| format!("org `{name}` is not in the model"))
    }

    /// Org table entry: what a step needs to act as the org's admin on its peers.
    fn org_entry(&self, org: &Org) -> Value {
        json!({
            "mspId": org.msp_id,
            "mspDir": org.msp_dir,
            "adminFiles": org.admin.files.iter().map(|f| json!({"key": f.key, "mount": f.mount})).collect::<Vec<_>>(),
            "peers": org.nodes.iter().map(|n| n.endpoint().address()).collect::<Vec<_>>(),
            "anchorPeers": org.anchor_peers,
        })
    }

    fn orderer_env(&self) -> anyhow::Result<Vec<Value>> {
        let orderer = self.network.flow_orderer.as_ref().context(
            "the network has no orderer for the flows: add an orderer org to crypto-config.yaml or enable externalOrderer",
        )?;
        Ok(vec![
            env("TLS_ENABLED", self.network.settings.tls_enabled.to_string()),
            env(
                "ORDERER_ADDRESS",
                format!("{}:{}", orderer.host, orderer.port),
            ),
            env(
                "ORDERER_TLS_CA",
                format!("{CONFIGTX_TREE}/{}", orderer.tls_ca),
            ),
            env("FABRIC_LOGGING_SPEC", self.options.log_level.clone()),
        ])
    }

    fn retry(&self) -> Value {
        json!({
            "limit": self.options.retry_count,
            "retryPolicy": "Always",
            "backoff": { "duration": "10s", "factor": 2, "maxDuration": "10m" },
        })
    }

    fn script_template(
        &self,
        name: &str,
        input_names: &[&str],
        mut env_vars: Vec<Value>,
        volumes: Vec<Value>,
        mounts: Vec<Value>,
    ) -> anyhow::Result<Value> {
        env_vars.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        Ok(json!({
            "name": name,
            "inputs": inputs(input_names),
            "retryStrategy": self.retry(),
            "volumes": volumes,
            "script": {
                "image": self.network.settings.images.tools,
                "command": ["bash"],
                "source": script(name)?,
                "env": env_vars,
                "volumeMounts": mounts,
            },
        }))
    }

    fn configtx_volume() -> (Value, Value) {
        (
            json!({ "name": "configtx", "configMap": { "name": names::CONFIGTX_CONFIGMAP } }),
            json!({ "name": "configtx", "mountPath": CONFIGTX_MOUNT, "readOnly": true }),
        )
    }

    fn admin_volume() -> (Value, Value) {
        (
            json!({ "name": "admin", "secret": { "secretName": "{{inputs.parameters.secret}}" } }),
            json!({ "name": "admin", "mountPath": "/crypto/admin", "readOnly": true }),
        )
    }

    /// The org's lifecycle package from the chaincode ConfigMap, at
    /// /package/package.tar.gz.
    fn package_volume() -> (Value, Value) {
        (
            json!({ "name": "package", "configMap": {
                "name": names::CHAINCODE_CONFIGMAP,
                "items": [{ "key": "{{inputs.parameters.package-key}}", "path": "package.tar.gz" }],
            }}),
            json!({ "name": "package", "mountPath": "/package", "readOnly": true }),
        )
    }

    fn steps_template(
        name: &str,
        input_names: &[&str],
        steps: Vec<Value>,
        parallel: bool,
    ) -> Value {
        let mut t = json!({ "name": name, "steps": steps });
        if !input_names.is_empty() {
            t["inputs"] = inputs(input_names);
        }
        if !parallel {
            t["parallelism"] = json!(1);
        }
        t
    }

    /// The channels `flow.channel.include` selects (all by default).
    fn included_channels(&self) -> anyhow::Result<Vec<&'a Channel>> {
        Self::included(
            "channel",
            &self.network.channels,
            |c| c.name.as_str(),
            &self.options.channel_include,
        )
    }

    fn included<'n, T>(
        what: &str,
        all: &'n [T],
        name_of: impl Fn(&T) -> &str,
        include: &[String],
    ) -> anyhow::Result<Vec<&'n T>> {
        for wanted in include {
            if !all.iter().any(|x| name_of(x) == wanted) {
                bail!(
                    "flow.{what}.include names `{wanted}`, which network.yaml does not define; {what}s: {}",
                    all.iter().map(&name_of).collect::<Vec<_>>().join(", ")
                );
            }
        }
        Ok(all
            .iter()
            .filter(|x| include.is_empty() || include.iter().any(|w| w == name_of(x)))
            .collect())
    }

    // ---- channel flow ----

    fn channel_templates(&self) -> anyhow::Result<(Vec<Value>, Map<String, Value>)> {
        let network = self.network;
        let channels = self.included_channels()?;
        let local_orderers: Vec<&Org> = network.local_orgs(OrgKind::Orderer).collect();
        let run_orderers = !local_orderers.is_empty()
            && !network.flow_orderer.as_ref().is_some_and(|o| o.external);
        let mut orgs = Map::new();
        let mut items = Vec::new();
        for channel in &channels {
            let mut consenters = Vec::new();
            for consenter in &channel.profile.orderer.consenters {
                let org = self.org(&consenter.org)?;
                if org.external {
                    continue;
                }
                let node = org
                    .nodes
                    .iter()
                    .find(|n| n.hostname == consenter.node)
                    .with_context(|| {
                        format!("consenter {} is not a node of {}", consenter.node, org.name)
                    })?;
                consenters.push(json!({
                    "org": org.key,
                    "mspId": org.msp_id,
                    "host": node.host,
                    "port": node.port,
                    "adminPort": node.admin_port.unwrap_or(names::ORDERER_ADMIN_PORT),
                }));
            }
            let mut channel_orgs = Vec::new();
            for name in &channel.orgs {
                let org = self.org(name)?;
                if org.external {
                    continue;
                }
                orgs.insert(org.name.clone(), self.org_entry(org));
                channel_orgs.push(json!({ "org": org.name, "secret": org.admin.secret }));
            }
            items.push(json!({
                "channel": channel.name,
                "profile": channel.name,
                "consenters": consenters,
                "orgs": channel_orgs,
            }));
        }
        let parallel = self.options.channel_parallel;
        let main = Self::steps_template(
            "main",
            &[],
            vec![json!([{
                "name": "channel",
                "template": "channel",
                "arguments": { "parameters": [
                    param("channel", "{{item.channel}}"),
                    param("profile", "{{item.profile}}"),
                    param("consenters", "{{item.consenters}}"),
                    param("orgs", "{{item.orgs}}"),
                ]},
                "withItems": items,
            }])],
            parallel,
        );
        let mut steps = Vec::new();
        if run_orderers {
            steps.push(json!([{
                "name": "orderers",
                "template": "channel-orderers",
                "arguments": { "parameters": [
                    param("channel", "{{inputs.parameters.channel}}"),
                    param("profile", "{{inputs.parameters.profile}}"),
                    param("consenters", "{{inputs.parameters.consenters}}"),
                ]},
            }]));
        }
        steps.push(json!([{
            "name": "org",
            "template": "channel-org",
            "arguments": { "parameters": [
                param("channel", "{{inputs.parameters.channel}}"),
                param("org", "{{item.org}}"),
                param("secret", "{{item.secret}}"),
            ]},
            "withParam": "{{inputs.parameters.orgs}}",
        }]));
        let channel = Self::steps_template(
            "channel",
            &["channel", "profile", "consenters", "orgs"],
            steps,
            parallel,
        );
        let mut templates = vec![main, channel];

        if run_orderers {
            let (cv, cm) = Self::configtx_volume();
            let mut volumes = vec![cv];
            let mut mounts = vec![cm];
            for org in &local_orderers {
                let volume = format!("orderer-{}", org.key);
                volumes.push(json!({ "name": volume, "secret": {
                    "secretName": org.admin.secret,
                    "items": org.admin.files.iter().map(|f| json!({"key": f.key, "path": f.mount})).collect::<Vec<_>>(),
                }}));
                mounts.push(json!({ "name": volume, "mountPath": format!("/crypto/orderer/{}", org.key), "readOnly": true }));
            }
            let env_vars = vec![
                env("CHANNEL", "{{inputs.parameters.channel}}"),
                env("PROFILE", "{{inputs.parameters.profile}}"),
                env("CONSENTERS", "{{inputs.parameters.consenters}}"),
                env("TLS_ENABLED", network.settings.tls_enabled.to_string()),
                env("FABRIC_LOGGING_SPEC", self.options.log_level.clone()),
            ];
            templates.push(self.script_template(
                "channel-orderers",
                &["channel", "profile", "consenters"],
                env_vars,
                volumes,
                mounts,
            )?);
        }

        let (cv, cm) = Self::configtx_volume();
        let (av, am) = Self::admin_volume();
        let mut env_vars = self.orderer_env()?;
        env_vars.extend([
            env("CHANNEL", "{{inputs.parameters.channel}}"),
            env("ORG", "{{inputs.parameters.org}}"),
            env("ORGS", "{{workflow.parameters.orgs}}"),
        ]);
        templates.push(self.script_template(
            "channel-org",
            &["channel", "org", "secret"],
            env_vars,
            vec![av, cv],
            vec![am, cm],
        )?);
        Ok((templates, orgs))
    }

    // ---- chaincode flow ----

    fn definitions(&self, chaincode: &Chaincode) -> anyhow::Result<Value> {
        let mut out = Map::new();
        for cc in &chaincode.channels {
            let (kind, text, policy) = match (&cc.signature_policy, &cc.channel_config_policy) {
                (Some(p), _) => (
                    "signature",
                    Some(p.clone()),
                    policy::signature_policy_json(p).with_context(|| {
                        format!("chaincode {} on channel {}", chaincode.name, cc.channel)
                    })?,
                ),
                (None, Some(r)) => (
                    "channelConfig",
                    Some(r.clone()),
                    policy::channel_config_policy_json(r),
                ),
                (None, None) => (
                    "default",
                    None,
                    policy::channel_config_policy_json(policy::DEFAULT_ENDORSEMENT_POLICY),
                ),
            };
            let (collections, config) = match &cc.collections_file {
                Some(file) => {
                    let (list, text) = collections::load(file).with_context(|| {
                        format!("chaincode {} on channel {}", chaincode.name, cc.channel)
                    })?;
                    (list, Value::String(text))
                }
                None => (json!([]), Value::Null),
            };
            out.insert(
                cc.channel.clone(),
                json!({
                    "initRequired": cc.init_required,
                    "policyKind": kind,
                    "policyText": text,
                    "policy": policy::canonical_text(&policy),
                    "collections": collections,
                    "collectionsConfig": config,
                }),
            );
        }
        Ok(Value::Object(out))
    }

    fn chaincode_templates(&self) -> anyhow::Result<(Vec<Value>, Map<String, Value>)> {
        let network = self.network;
        let options = self.options;
        // A chaincode on no channel (left off legacy channels by the model,
        // with a warning) has nothing to deploy.
        let chaincodes: Vec<&Chaincode> = Self::included(
            "chaincode",
            &network.chaincodes,
            |c| c.name.as_str(),
            &options.chaincode_include,
        )?
        .into_iter()
        .filter(|c| !c.channels.is_empty())
        .collect();
        // Channels on the legacy lifecycle get their own steps (install,
        // instantiate/upgrade) next to the v2 ones, only when there are any.
        let legacy = |channel: &str| network.channel(channel).is_some_and(|c| c.legacy_lifecycle);
        let any_legacy = chaincodes
            .iter()
            .any(|c| c.channels.iter().any(|cc| legacy(&cc.channel)));
        let mut orgs = Map::new();
        let mut items = Vec::new();
        for chaincode in &chaincodes {
            let mut org_items = Vec::new();
            let mut legacy_orgs = Vec::new();
            for pkg in &chaincode.packages {
                let org = self.org(&pkg.org)?;
                let (legacy_channels, channels): (Vec<&str>, Vec<&str>) = chaincode
                    .channels
                    .iter()
                    .filter(|c| c.orgs.contains(&org.name))
                    .map(|c| c.channel.as_str())
                    .partition(|c| legacy(c));
                orgs.insert(org.name.clone(), self.org_entry(org));
                if !legacy_channels.is_empty() {
                    legacy_orgs.push(json!({
                        "org": org.name,
                        "secret": org.admin.secret,
                        "packageKey": pkg.configmap_key,
                        "language": chaincode.language,
                    }));
                }
                // An org on legacy channels only has no use for the v2 package.
                if legacy_channels.is_empty() || !channels.is_empty() {
                    org_items.push(json!({
                        "org": org.name,
                        "secret": org.admin.secret,
                        "packageKey": pkg.configmap_key,
                        "channels": channels,
                    }));
                }
            }
            let mut commits = Vec::new();
            let mut instantiations = Vec::new();
            for cc in &chaincode.channels {
                let local: Vec<&Org> = cc
                    .orgs
                    .iter()
                    .filter_map(|name| network.org(name))
                    .filter(|o| !o.external && !o.nodes.is_empty())
                    .collect();
                let Some(committer) = local.first() else {
                    continue;
                };
                for org in &local {
                    orgs.insert(org.name.clone(), self.org_entry(org));
                }
                // The orgs whose approval the commit waits for: every org of
                // the chaincode here that has peers, local (the endorsers,
                // found in the ORGS table) or external (those approve with
                // their own cluster's flow).
                let external: Vec<&Org> = cc
                    .orgs
                    .iter()
                    .filter_map(|name| network.org(name))
                    .filter(|o| o.external)
                    .collect();
                let mut item = json!({
                    "channel": cc.channel,
                    "org": committer.name,
                    "secret": committer.admin.secret,
                    "endorsers": local.iter().map(|o| &o.name).collect::<Vec<_>>(),
                    "external": external.iter().map(|o| &o.msp_id).collect::<Vec<_>>(),
                });
                if legacy(&cc.channel) {
                    item["language"] = json!(chaincode.language);
                    instantiations.push(item);
                } else {
                    commits.push(item);
                }
            }
            let mut item = json!({
                "chaincode": chaincode.name,
                "version": chaincode.version.clone().unwrap_or_else(|| options.chaincode_version.clone()),
                "definitions": self.definitions(chaincode)?,
                "orgs": org_items,
                "commits": commits,
            });
            if any_legacy {
                item["legacyOrgs"] = json!(legacy_orgs);
                item["legacyChannels"] = json!(instantiations);
            }
            items.push(item);
        }
        let parallel = options.chaincode_parallel;
        let mut chaincode_inputs = vec!["chaincode", "version", "definitions", "orgs", "commits"];
        if any_legacy {
            chaincode_inputs.extend(["legacy-orgs", "legacy-channels"]);
        }
        let mut main_args = vec![
            param("chaincode", "{{item.chaincode}}"),
            param("version", "{{item.version}}"),
            param("definitions", "{{item.definitions}}"),
            param("orgs", "{{item.orgs}}"),
            param("commits", "{{item.commits}}"),
        ];
        if any_legacy {
            main_args.extend([
                param("legacy-orgs", "{{item.legacyOrgs}}"),
                param("legacy-channels", "{{item.legacyChannels}}"),
            ]);
        }
        let main = Self::steps_template(
            "main",
            &[],
            vec![json!([{
                "name": "chaincode",
                "template": "chaincode",
                "arguments": { "parameters": main_args },
                "withItems": items,
            }])],
            parallel,
        );
        let chaincode_args = || {
            vec![
                param("chaincode", "{{inputs.parameters.chaincode}}"),
                param("version", "{{inputs.parameters.version}}"),
                param("definitions", "{{inputs.parameters.definitions}}"),
            ]
        };
        let mut steps = Vec::new();
        let mut first = Vec::new();
        if options.install || options.approve {
            let mut args = chaincode_args();
            args.extend([
                param("org", "{{item.org}}"),
                param("secret", "{{item.secret}}"),
                param("package-key", "{{item.packageKey}}"),
                param("channels", "{{item.channels}}"),
            ]);
            first.push(json!({
                "name": "org",
                "template": "chaincode-org",
                "arguments": { "parameters": args },
                "withParam": "{{inputs.parameters.orgs}}",
            }));
        }
        if any_legacy && options.install {
            first.push(json!({
                "name": "legacy-install",
                "template": "chaincode-legacy-install",
                "arguments": { "parameters": [
                    param("chaincode", "{{inputs.parameters.chaincode}}"),
                    param("version", "{{inputs.parameters.version}}"),
                    param("org", "{{item.org}}"),
                    param("secret", "{{item.secret}}"),
                    param("package-key", "{{item.packageKey}}"),
                    param("language", "{{item.language}}"),
                ]},
                "withParam": "{{inputs.parameters.legacy-orgs}}",
            }));
        }
        if !first.is_empty() {
            steps.push(Value::Array(first));
        }
        for (enabled, name) in [(options.commit, "commit"), (options.invoke, "invoke")] {
            if !enabled {
                continue;
            }
            let mut args = chaincode_args();
            args.extend([
                param("channel", "{{item.channel}}"),
                param("org", "{{item.org}}"),
                param("secret", "{{item.secret}}"),
            ]);
            let mut v2_args = args.clone();
            v2_args.push(param("endorsers", "{{item.endorsers}}"));
            if name == "commit" {
                v2_args.push(param("external", "{{item.external}}"));
            }
            let mut group = vec![json!({
                "name": name,
                "template": format!("chaincode-{name}"),
                "arguments": { "parameters": v2_args },
                "withParam": "{{inputs.parameters.commits}}",
            })];
            if any_legacy {
                // Legacy channels: instantiate or upgrade in place of the
                // commit; the invoke is the same.
                let (step, template, extra) = match name {
                    "commit" => (
                        "instantiate",
                        "chaincode-legacy-instantiate",
                        param("language", "{{item.language}}"),
                    ),
                    _ => (
                        "legacy-invoke",
                        "chaincode-invoke",
                        param("endorsers", "{{item.endorsers}}"),
                    ),
                };
                args.push(extra);
                group.push(json!({
                    "name": step,
                    "template": template,
                    "arguments": { "parameters": args },
                    "withParam": "{{inputs.parameters.legacy-channels}}",
                }));
            }
            steps.push(Value::Array(group));
        }
        let mut templates = vec![main];
        if steps.is_empty() {
            bail!("every chaincode step is disabled (flow.install/approve/commit/invoke.enabled)");
        }
        templates.push(Self::steps_template(
            "chaincode",
            &chaincode_inputs,
            steps,
            parallel,
        ));

        if options.install || options.approve {
            let (cv, cm) = Self::configtx_volume();
            let (av, am) = Self::admin_volume();
            let (pv, pm) = Self::package_volume();
            let mut e = self.chaincode_env()?;
            e.extend([
                env("CHANNELS", "{{inputs.parameters.channels}}"),
                env("INSTALL_ENABLED", options.install.to_string()),
                env("APPROVE_ENABLED", options.approve.to_string()),
            ]);
            templates.push(self.script_template(
                "chaincode-org",
                &[
                    "chaincode",
                    "version",
                    "definitions",
                    "org",
                    "secret",
                    "package-key",
                    "channels",
                ],
                e,
                vec![av, pv, cv],
                vec![am, pm, cm],
            )?);
        }
        for (enabled, name) in [(options.commit, "commit"), (options.invoke, "invoke")] {
            if !enabled {
                continue;
            }
            let (cv, cm) = Self::configtx_volume();
            let (av, am) = Self::admin_volume();
            let mut e = self.chaincode_env()?;
            e.extend([
                env("CHANNEL", "{{inputs.parameters.channel}}"),
                env("ENDORSERS", "{{inputs.parameters.endorsers}}"),
            ]);
            let mut inputs = CHAINCODE_CHANNEL_INPUTS.to_vec();
            inputs.push("endorsers");
            match name {
                "invoke" => e.push(env("INVOKE_ARGS", options.invoke_function.clone())),
                _ => {
                    e.extend([
                        env("INIT_ARGS", options.init_function.clone()),
                        env("EXTERNAL_APPROVERS", "{{inputs.parameters.external}}"),
                        env(
                            "APPROVAL_WAIT_MINUTES",
                            options.approval_wait_minutes.to_string(),
                        ),
                    ]);
                    inputs.push("external");
                }
            }
            let mut template = self.script_template(
                &format!("chaincode-{name}"),
                &inputs,
                e,
                vec![av, cv],
                vec![am, cm],
            )?;
            if name == "commit" {
                // Exit 3: waited flow.commit.approvalWait in vain; a retry
                // would wait that long again.
                template["retryStrategy"]["expression"] = json!("lastRetry.exitCode != '3'");
            }
            templates.push(template);
        }
        if any_legacy {
            self.legacy_templates(&mut templates)?;
        }
        Ok((templates, orgs))
    }

    /// The environment every chaincode step that talks to the network gets:
    /// the orderer, the chaincode and its definitions, the org and org table.
    fn chaincode_env(&self) -> anyhow::Result<Vec<Value>> {
        let mut e = self.orderer_env()?;
        e.extend([
            env("CC_NAME", "{{inputs.parameters.chaincode}}"),
            env("CC_VERSION", "{{inputs.parameters.version}}"),
            env("DEFINITIONS", "{{inputs.parameters.definitions}}"),
            env("ORG", "{{inputs.parameters.org}}"),
            env("ORGS", "{{workflow.parameters.orgs}}"),
        ]);
        Ok(e)
    }

    /// The script templates of the legacy lifecycle's steps.
    fn legacy_templates(&self, templates: &mut Vec<Value>) -> anyhow::Result<()> {
        let options = self.options;
        if options.install {
            let (av, am) = Self::admin_volume();
            let (pv, pm) = Self::package_volume();
            let env_vars = vec![
                env("TLS_ENABLED", self.network.settings.tls_enabled.to_string()),
                env("FABRIC_LOGGING_SPEC", options.log_level.clone()),
                env("CC_NAME", "{{inputs.parameters.chaincode}}"),
                env("CC_VERSION", "{{inputs.parameters.version}}"),
                env("CC_LANG", "{{inputs.parameters.language}}"),
                env("ORG", "{{inputs.parameters.org}}"),
                env("ORGS", "{{workflow.parameters.orgs}}"),
            ];
            templates.push(self.script_template(
                "chaincode-legacy-install",
                &[
                    "chaincode",
                    "version",
                    "org",
                    "secret",
                    "package-key",
                    "language",
                ],
                env_vars,
                vec![av, pv],
                vec![am, pm],
            )?);
        }
        if options.commit {
            let (cv, cm) = Self::configtx_volume();
            let (av, am) = Self::admin_volume();
            let mut env_vars = self.chaincode_env()?;
            env_vars.extend([
                env("CC_LANG", "{{inputs.parameters.language}}"),
                env("CHANNEL", "{{inputs.parameters.channel}}"),
                env("INIT_ARGS", options.legacy_init.clone()),
            ]);
            templates.push(self.script_template(
                "chaincode-legacy-instantiate",
                &[CHAINCODE_CHANNEL_INPUTS, &["language"]].concat(),
                env_vars,
                vec![av, cv],
                vec![am, cm],
            )?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &str = r#"# shellcheck shell=bash
# File header, not kept.

log() { printf '%s\n' "$*" >&2; }
STAGE=.x
set -u

# Says a.
a() {
  log a
}

# ---- section ----

b() (
  cd /tmp
)

c() {
  b "$STAGE"
}
"#;

    #[test]
    fn libraries_split_into_functions_with_their_comments() {
        let pieces = lib_pieces(LIB);
        let names: Vec<_> = pieces.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                Some("log"),
                Some("STAGE"),
                None,
                Some("a"),
                Some("b"),
                Some("c")
            ]
        );
        assert_eq!(pieces[3].text, "# Says a.\na() {\n  log a\n}\n");
        assert_eq!(pieces[4].text, "b() (\n  cd /tmp\n)\n");
    }

    #[test]
    fn steps_keep_the_functions_they_reach() {
        let pieces = lib_pieces(LIB);
        let refs: Vec<&LibPiece> = pieces.iter().collect();
        let used = |own: &str| {
            let mut v: Vec<_> = names_used(own, &refs).into_iter().collect();
            v.sort();
            v
        };
        assert_eq!(used("a\n"), ["a", "log"]);
        assert_eq!(used("x=$(c)\n"), ["STAGE", "b", "c"]);
        assert_eq!(used("echo cab\n"), Vec::<&str>::new());
    }

    #[test]
    fn every_step_is_cut_from_its_libraries() {
        let text = script("chaincode-org").unwrap();
        assert!(text.contains("\nload_org_admin() {"));
        assert!(!text.contains("legacy_deploy_action() {"));
        assert!(!text.contains("dirname \"$0\""));
    }
}
