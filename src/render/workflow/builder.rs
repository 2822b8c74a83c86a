//! What every flow's builder shares: the network and options it builds
//! from, the org table entry, the orderer environment, retries, script and
//! steps templates and the volumes steps mount.

use anyhow::{bail, Context};
use serde::Serialize;
use serde_json::{json, Value};

use super::options::{ChannelSelection, FlowKeys};
use super::{chart_values, script};
use crate::model::pod::{
    self, ADMIN_MOUNT, CONFIGTX_MOUNT, CONFIGTX_TREE, PACKAGE_FILE, PACKAGE_MOUNT,
};
use crate::model::{names, Channel, Endpoint, Network, Org};

/// Builds the workflow of the flow whose options are `O`.
pub(crate) struct Builder<'a, O> {
    pub(super) network: &'a Network,
    pub(super) options: &'a O,
}

/// One org of the org table, the `orgs` workflow parameter every flow passes
/// and the steps read with jq (`load_org_admin`, `use_first_peer`, ...):
/// its MSP, and for an org this cluster runs, its admin's Secret, where the
/// admin's files go (its own, from the Secret, and the org's shared ones,
/// from the configtx ConfigMap: both in the step's admin volume), its peers
/// and anchor peers.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrgEntry<'a> {
    msp_id: &'a str,
    /// The org's public MSP, below the configtx tree.
    msp_dir: &'a str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
    admin_files: Vec<FileMount<'a>>,
    peers: Vec<&'a str>,
    anchor_peers: &'a [Endpoint],
}

/// A key of a Secret and where it goes below the identity's folder.
#[derive(Serialize, schemars::JsonSchema)]
struct FileMount<'a> {
    key: &'a str,
    mount: &'a str,
}

impl<'a> OrgEntry<'a> {
    pub(crate) fn of(org: &'a Org) -> OrgEntry<'a> {
        let local = !org.external;
        OrgEntry {
            msp_id: &org.msp_id,
            msp_dir: &org.msp_dir,
            secret: local.then_some(org.admin.secret.as_str()),
            admin_files: org
                .files(&org.admin.secret)
                .iter()
                .chain(org.shared_files(&org.admin.secret))
                .map(|f| FileMount {
                    key: &f.key,
                    mount: &f.mount,
                })
                .collect(),
            peers: org.nodes.iter().map(|n| n.address.as_str()).collect(),
            anchor_peers: &org.anchor_peers,
        }
    }
}

/// The environment variables of [`pod::step_env`] that script `source`
/// names: where its mounts are, as the model made them.
pub(crate) fn step_paths(source: &str) -> Vec<Value> {
    pod::step_env()
        .into_iter()
        .filter(|(name, _)| {
            source.contains(&format!("${name}")) || source.contains(&format!("${{{name}"))
        })
        .map(|(name, value)| env(name, value))
        .collect()
}

pub(crate) fn param(name: &str, value: impl Into<Value>) -> Value {
    json!({ "name": name, "value": value.into() })
}

pub(crate) fn inputs(names: &[&str]) -> Value {
    json!({ "parameters": names.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>() })
}

pub(crate) fn env(name: &str, value: impl Into<Value>) -> Value {
    json!({ "name": name, "value": value.into() })
}

/// `apiVersion`/`kind`/`name` of a resource template's object, as YAML text.
pub(crate) fn manifest(kind: &str, api_version: &str, name: &str, rest: &str) -> String {
    format!("apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: \"{name}\"\n{rest}")
}

impl<'a, O: FlowKeys> Builder<'a, O> {
    pub(super) fn org(&self, name: &str) -> anyhow::Result<&'a Org> {
        self.network
            .org(name)
            .with_context(|| format!("org `{name}` is not in the model"))
    }

    /// The org's entry in the org table (the `orgs` workflow parameter).
    pub(super) fn org_entry(&self, org: &Org) -> Value {
        serde_json::to_value(OrgEntry::of(org)).expect("an org table entry serializes")
    }

    pub(super) fn orderer_env(&self) -> anyhow::Result<Vec<Value>> {
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
            env("FABRIC_LOGGING_SPEC", self.options.log_level()),
        ])
    }

    pub(super) fn retry(&self) -> Value {
        json!({
            "limit": self.options.retry_count(),
            "retryPolicy": "Always",
            "backoff": { "duration": "10s", "factor": 2, "maxDuration": "10m" },
        })
    }

    /// The environment of a step that acts as the channel's reader (inputs
    /// `channel`, `org`; the org's admin Secret mounted by `secret`) on the
    /// flows' orderer.
    pub(super) fn reader_env(&self) -> anyhow::Result<Vec<Value>> {
        let mut env_vars = self.orderer_env()?;
        env_vars.extend([
            env("CHANNEL", "{{inputs.parameters.channel}}"),
            env("ORG", "{{inputs.parameters.org}}"),
            env("ORGS", "{{workflow.parameters.orgs}}"),
        ]);
        Ok(env_vars)
    }

    pub(super) fn script_template(
        &self,
        name: &str,
        input_names: &[&str],
        mut env_vars: Vec<Value>,
        volumes: Vec<Value>,
        mounts: Vec<Value>,
    ) -> anyhow::Result<Value> {
        let source = script(name)?;
        env_vars.extend(step_paths(&source));
        env_vars.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        let mut template = json!({
            "name": name,
            "inputs": inputs(input_names),
            "retryStrategy": self.retry(),
            "volumes": volumes,
            "script": {
                "image": self.options.chart().image("/flow/image", &self.network.settings.images.tools),
                "command": ["bash"],
                "source": source,
                "env": env_vars,
                "volumeMounts": mounts,
            },
        });
        self.restrict(&mut template);
        Ok(template)
    }

    /// A step's container under the chart's security settings: its
    /// security context and resources, a read-only root filesystem with an
    /// emptyDir at /tmp where the scripts and tools write (and HOME there),
    /// the chart's pull policy.
    pub(super) fn restrict(&self, template: &mut Value) {
        let chart = self.options.chart();
        let container = &mut template["script"];
        container["imagePullPolicy"] = json!(chart.pull_policy());
        let security = chart.security_context();
        if chart_values::is_set(&security) {
            container["securityContext"] = security;
        }
        let resources = chart.step_resources();
        if chart_values::is_set(&resources) {
            container["resources"] = resources;
        }
        container["workingDir"] = json!(pod::TMP);
        let env = container["env"]
            .as_array_mut()
            .expect("a step's env is a list");
        env.push(super::env("HOME", pod::TMP));
        env.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        let mounts = container
            .as_object_mut()
            .expect("a container is an object")
            .entry("volumeMounts")
            .or_insert_with(|| json!([]));
        mounts
            .as_array_mut()
            .expect("volumeMounts is a list")
            .push(json!({ "name": "tmp", "mountPath": pod::TMP }));
        let volumes = template
            .as_object_mut()
            .expect("a template is an object")
            .entry("volumes")
            .or_insert_with(|| json!([]));
        volumes
            .as_array_mut()
            .expect("volumes is a list")
            .push(json!({ "name": "tmp", "emptyDir": {} }));
    }

    pub(super) fn configtx_volume() -> (Value, Value) {
        (
            json!({ "name": "configtx", "configMap": { "name": names::CONFIGTX_CONFIGMAP } }),
            json!({ "name": "configtx", "mountPath": CONFIGTX_MOUNT, "readOnly": true }),
        )
    }

    /// The admin Secret named by the step's `secret` input, with the
    /// configtx ConfigMap beside it: an org's identities hold only their own
    /// files, the org's CA certificates and config.yaml are in the ConfigMap
    /// (the org table's `adminFiles` name keys of both).
    pub(super) fn admin_volume() -> (Value, Value) {
        (
            json!({ "name": "admin", "projected": { "sources": [
                { "secret": { "name": "{{inputs.parameters.secret}}" } },
                { "configMap": { "name": names::CONFIGTX_CONFIGMAP } },
            ]}}),
            json!({ "name": "admin", "mountPath": ADMIN_MOUNT, "readOnly": true }),
        )
    }

    /// The org's lifecycle package from the chaincode ConfigMap, at
    /// /package/package.tar.gz.
    pub(super) fn package_volume() -> (Value, Value) {
        (
            json!({ "name": "package", "configMap": {
                "name": names::CHAINCODE_CONFIGMAP,
                "items": [{ "key": "{{inputs.parameters.package-key}}", "path": PACKAGE_FILE }],
            }}),
            json!({ "name": "package", "mountPath": PACKAGE_MOUNT, "readOnly": true }),
        )
    }

    pub(super) fn steps_template(
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
    pub(super) fn included_channels(
        &self,
        selection: &ChannelSelection,
    ) -> anyhow::Result<Vec<&'a Channel>> {
        Self::included(
            "channel",
            &self.network.channels,
            |c| c.name.as_str(),
            &selection.include,
        )
    }

    pub(super) fn included<'n, T>(
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
}
