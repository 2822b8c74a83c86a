//! What every flow's builder shares: the network and options it builds
//! from, the org table entry, the orderer environment, retries, script and
//! steps templates and the volumes steps mount.

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::options::{ChannelSelection, FlowKeys};
use super::{script, CONFIGTX_MOUNT, CONFIGTX_TREE};
use crate::model::{names, Channel, Network, Org};

/// Builds the workflow of the flow whose options are `O`.
pub(crate) struct Builder<'a, O> {
    pub(super) network: &'a Network,
    pub(super) options: &'a O,
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

impl<'a, O: FlowKeys> Builder<'a, O> {
    pub(super) fn org(&self, name: &str) -> anyhow::Result<&'a Org> {
        self.network
            .org(name)
            .with_context(|| format!("org `{name}` is not in the model"))
    }

    /// Org table entry: what a step needs to act as the org's admin on its peers.
    pub(super) fn org_entry(&self, org: &Org) -> Value {
        json!({
            "mspId": org.msp_id,
            "mspDir": org.msp_dir,
            "adminFiles": org.admin.files.iter().map(|f| json!({"key": f.key, "mount": f.mount})).collect::<Vec<_>>(),
            "peers": org.nodes.iter().map(|n| n.endpoint().address()).collect::<Vec<_>>(),
            "anchorPeers": org.anchor_peers,
        })
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

    pub(super) fn script_template(
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

    pub(super) fn configtx_volume() -> (Value, Value) {
        (
            json!({ "name": "configtx", "configMap": { "name": names::CONFIGTX_CONFIGMAP } }),
            json!({ "name": "configtx", "mountPath": CONFIGTX_MOUNT, "readOnly": true }),
        )
    }

    pub(super) fn admin_volume() -> (Value, Value) {
        (
            json!({ "name": "admin", "secret": { "secretName": "{{inputs.parameters.secret}}" } }),
            json!({ "name": "admin", "mountPath": "/crypto/admin", "readOnly": true }),
        )
    }

    /// The org's lifecycle package from the chaincode ConfigMap, at
    /// /package/package.tar.gz.
    pub(super) fn package_volume() -> (Value, Value) {
        (
            json!({ "name": "package", "configMap": {
                "name": names::CHAINCODE_CONFIGMAP,
                "items": [{ "key": "{{inputs.parameters.package-key}}", "path": "package.tar.gz" }],
            }}),
            json!({ "name": "package", "mountPath": "/package", "readOnly": true }),
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
