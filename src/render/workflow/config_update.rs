//! What the config-update flows (`peer-org`, `channel-update`) share: one
//! workflow shape, built here once, around a flow-specific prepare step.
//!
//! Per channel (`config-update`, fed by `withItems`):
//! 1. `prepare` (`<flow>-prepare`): fetch the config as the channel's reader,
//!    decide what is missing, build the update envelope; outputs `plan`
//!    (`none` | `sign` | `unsigned` | `supplied`), `update` (base64) and
//!    `signers` (the local admins whose signatures count).
//! 2. plan `sign`: `config-update-signed` = one `config-update-sign` step per
//!    signer (`withParam`, each with only its own admin Secret), then
//!    `config-update-send`. Plan `unsigned`: `config-update-send` directly.
//!    Plan `supplied`: `config-update-handed-on`.
//! 3. `config-update-send`: `config-update-submit` merges the signatures and
//!    sends (or hands the update on), then `config-update-finish` (sent) or
//!    `config-update-handed-on` (waiting).
//! 4. `config-update-handed-on`: the suspend step `wait` (its output `update`
//!    is supplied on resume with `argo node set`), then `config-update-finish`.
//!
//! Every step that references another's outputs runs only when that step ran
//! (its template is entered under the same `when`), so no reference is ever
//! left unresolved. Sequential pod launches: prepare, sign, submit, finish.

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use super::options::ConfigUpdateKeys;
use super::{env, param, Builder, Flow, Parts};
use crate::model::{Channel, Org};

/// One channel of a config-update flow.
pub(super) struct UpdateChannel<'a> {
    pub channel: &'a str,
    /// Whose admin reads the config and sends the update.
    pub reader: &'a Org,
    /// What must hold, as the flow's check reads it (`DESIRED`).
    pub desired: Value,
    /// Orgs `desired` names, for the org table.
    pub named: Vec<&'a Org>,
    /// Local admins who may sign, by the config group their org is a member
    /// of (`Application`, `Orderer`); the prepare step keeps the members.
    pub candidates: Vec<(&'a Org, &'static str)>,
}

/// The inputs every template of a channel's update passes down.
const CHANNEL_INPUTS: [&str; 4] = ["channel", "org", "secret", "desired"];

fn pass(names: &[&str]) -> Vec<Value> {
    names
        .iter()
        .map(|n| param(n, format!("{{{{inputs.parameters.{n}}}}}")))
        .collect()
}

fn output_files(names: &[&str]) -> Value {
    json!({ "parameters": names.iter().map(|n| json!({
        "name": n,
        "valueFrom": { "path": format!("{}/{n}", crate::model::pod::OUTPUTS) },
    })).collect::<Vec<_>>() })
}

impl<'a, O: ConfigUpdateKeys> Builder<'a, O> {
    /// Refuses PIVT's system-channel options: a channel participation network
    /// has no system channel to update.
    pub(super) fn refuse_system_channel(&self) -> anyhow::Result<()> {
        let flow = self.options.config_flow();
        for (on, key) in [
            (
                flow.create_update.system_channel.enabled,
                "flow.createUpdate.systemChannel.enabled",
            ),
            (
                flow.send_update.system_channel.enabled,
                "flow.sendUpdate.systemChannel.enabled",
            ),
        ] {
            if on {
                bail!(
                    "{key}=true: this network has no system channel to update. Fabric {} runs channels \
                     through the channel participation API, so there are no consortiums: an org joins a \
                     channel by a config update of that channel (`fabchart flow peer-org`). Drop the option.",
                    self.network.settings.fabric_version
                );
            }
        }
        Ok(())
    }

    /// Whose admin reads channel `channel`'s config and sends updates: a local
    /// orderer org's when this cluster runs the flows' orderer (it can read
    /// every channel), else the first local peer org network.yaml lists on
    /// the channel (it must be a member already).
    pub(super) fn update_reader(&self, channel: &Channel) -> anyhow::Result<&'a Org> {
        if let Some(orderer) = self.network.flow_orderer.as_ref().filter(|o| !o.external) {
            return self.org(&orderer.org);
        }
        channel
            .orgs
            .iter()
            .filter_map(|name| self.network.org(name))
            .find(|org| !org.external)
            .with_context(|| {
                format!(
                    "channel `{}`: nobody here can read its config (no orderer of ours, and no local \
                     peer org on the channel in network.yaml)",
                    channel.name
                )
            })
    }

    /// The flow's prepare step: `scripts/<flow>-prepare.sh` with the common
    /// environment plus `extra_env`.
    pub(super) fn prepare_template(
        &self,
        flow: Flow,
        extra_env: Vec<Value>,
    ) -> anyhow::Result<Value> {
        let (cv, cm) = Self::configtx_volume();
        let (av, am) = Self::admin_volume();
        let create = self.options.config_flow().create_update.channel.enabled;
        let mut env_vars = self.reader_env()?;
        env_vars.extend([
            env("DESIRED", "{{inputs.parameters.desired}}"),
            env("CANDIDATES", "{{inputs.parameters.candidates}}"),
            env("CREATE_ENABLED", create.to_string()),
            env("WORKFLOW_NAME", "{{workflow.name}}"),
            env("WORKFLOW_NAMESPACE", "{{workflow.namespace}}"),
        ]);
        env_vars.extend(extra_env);
        let mut template = self.script_template(
            &format!("{}-prepare", flow.name()),
            &["channel", "org", "secret", "desired", "candidates"],
            env_vars,
            vec![av, cv],
            vec![am, cm],
        )?;
        template["outputs"] = output_files(&["plan", "update", "signers"]);
        Ok(template)
    }

    /// The workflow of a config-update flow over `channels`, around its
    /// `prepare` template (see the module comment).
    pub(super) fn config_update_parts(
        &self,
        flow: Flow,
        prepare: Value,
        channels: Vec<UpdateChannel<'_>>,
    ) -> anyhow::Result<Parts> {
        let mut orgs = Map::new();
        let mut items = Vec::new();
        for c in &channels {
            for org in c.named.iter().chain([&c.reader]) {
                orgs.insert(org.name.clone(), self.org_entry(org));
            }
            let mut candidates = Map::new();
            for (org, group) in &c.candidates {
                orgs.insert(org.name.clone(), self.org_entry(org));
                let names = candidates.entry(*group).or_insert_with(|| json!([]));
                if let Value::Array(names) = names {
                    names.push(json!(org.name));
                }
            }
            items.push(json!({
                "channel": c.channel,
                "org": c.reader.name,
                "secret": c.reader.admin.secret,
                "desired": c.desired,
                "candidates": candidates,
            }));
        }
        let parallel = self.options.config_flow().channel.parallel;
        let item_args: Vec<Value> = ["channel", "org", "secret", "desired", "candidates"]
            .iter()
            .map(|n| param(n, format!("{{{{item.{n}}}}}")))
            .collect();
        let main = Self::steps_template(
            "main",
            &[],
            vec![json!([{
                "name": "channel",
                "template": "config-update",
                "arguments": { "parameters": item_args },
                "withItems": items,
            }])],
            parallel,
        );

        let plan_is =
            |plan: &str| format!("{{{{steps.prepare.outputs.parameters.plan}}}} == {plan}");
        let prepared = "{{steps.prepare.outputs.parameters.update}}";
        let mut signed_args = pass(&CHANNEL_INPUTS);
        signed_args.extend([
            param("update", prepared),
            param("signers", "{{steps.prepare.outputs.parameters.signers}}"),
        ]);
        let mut unsigned_args = pass(&CHANNEL_INPUTS);
        unsigned_args.extend([param("update", prepared), param("signatures", "[]")]);
        let mut prepare_args = pass(&CHANNEL_INPUTS);
        prepare_args.push(param("candidates", "{{inputs.parameters.candidates}}"));
        let per_channel = Self::steps_template(
            "config-update",
            &["channel", "org", "secret", "desired", "candidates"],
            vec![
                json!([{
                    "name": "prepare",
                    "template": prepare["name"],
                    "arguments": { "parameters": prepare_args },
                }]),
                json!([
                    {
                        "name": "signed",
                        "template": "config-update-signed",
                        "when": plan_is("sign"),
                        "arguments": { "parameters": signed_args },
                    },
                    {
                        "name": "send",
                        "template": "config-update-send",
                        "when": plan_is("unsigned"),
                        "arguments": { "parameters": unsigned_args },
                    },
                    {
                        "name": "handed-on",
                        "template": "config-update-handed-on",
                        "when": plan_is("supplied"),
                        "arguments": { "parameters": pass(&CHANNEL_INPUTS) },
                    },
                ]),
            ],
            true,
        );

        let mut send_args = pass(&CHANNEL_INPUTS);
        send_args.extend([
            param("update", "{{inputs.parameters.update}}"),
            param("signatures", "{{steps.sign.outputs.parameters.signature}}"),
        ]);
        let signed = Self::steps_template(
            "config-update-signed",
            &["channel", "org", "secret", "desired", "update", "signers"],
            vec![
                json!([{
                    "name": "sign",
                    "template": "config-update-sign",
                    "arguments": { "parameters": [
                        param("channel", "{{inputs.parameters.channel}}"),
                        param("org", "{{item.org}}"),
                        param("secret", "{{item.secret}}"),
                        param("update", "{{inputs.parameters.update}}"),
                    ]},
                    "withParam": "{{inputs.parameters.signers}}",
                }]),
                json!([{
                    "name": "send",
                    "template": "config-update-send",
                    "arguments": { "parameters": send_args },
                }]),
            ],
            parallel,
        );

        let result_is =
            |result: &str| format!("{{{{steps.submit.outputs.parameters.result}}}} == {result}");
        let mut submit_args = pass(&CHANNEL_INPUTS[..3]);
        submit_args.extend(pass(&["update", "signatures"]));
        let mut finish_args = pass(&CHANNEL_INPUTS);
        finish_args.push(param("update", ""));
        let send = Self::steps_template(
            "config-update-send",
            &[
                "channel",
                "org",
                "secret",
                "desired",
                "update",
                "signatures",
            ],
            vec![
                json!([{
                    "name": "submit",
                    "template": "config-update-submit",
                    "arguments": { "parameters": submit_args },
                }]),
                json!([
                    {
                        "name": "finish",
                        "template": "config-update-finish",
                        "when": result_is("sent"),
                        "arguments": { "parameters": finish_args },
                    },
                    {
                        "name": "handed-on",
                        "template": "config-update-handed-on",
                        "when": result_is("waiting"),
                        "arguments": { "parameters": pass(&CHANNEL_INPUTS) },
                    },
                ]),
            ],
            true,
        );

        let mut resumed_args = pass(&CHANNEL_INPUTS);
        resumed_args.push(param("update", "{{steps.wait.outputs.parameters.update}}"));
        let handed_on = Self::steps_template(
            "config-update-handed-on",
            &CHANNEL_INPUTS,
            vec![
                json!([{
                    "name": "wait",
                    "template": "config-update-wait",
                    "arguments": { "parameters": [param("channel", "{{inputs.parameters.channel}}")] },
                }]),
                json!([{
                    "name": "finish",
                    "template": "config-update-finish",
                    "arguments": { "parameters": resumed_args },
                }]),
            ],
            true,
        );
        let wait = json!({
            "name": "config-update-wait",
            "inputs": super::inputs(&["channel"]),
            "suspend": {},
            "outputs": { "parameters": [{
                "name": "update",
                "valueFrom": { "supplied": {}, "default": "" },
            }]},
        });

        let mut templates = vec![main, per_channel, prepare, signed, send, handed_on, wait];
        templates.extend(self.update_step_templates(flow)?);
        Ok(Parts {
            templates,
            orgs,
            waits: true,
            ..Parts::default()
        })
    }

    /// The sign, submit and finish script templates.
    fn update_step_templates(&self, flow: Flow) -> anyhow::Result<Vec<Value>> {
        let (av, am) = Self::admin_volume();
        let mut sign = self.script_template(
            "config-update-sign",
            &["channel", "org", "secret", "update"],
            vec![
                env("CHANNEL", "{{inputs.parameters.channel}}"),
                env("ORG", "{{inputs.parameters.org}}"),
                env("ORGS", "{{workflow.parameters.orgs}}"),
                env("UPDATE", "{{inputs.parameters.update}}"),
                env("TLS_ENABLED", self.network.settings.tls_enabled.to_string()),
                env("FABRIC_LOGGING_SPEC", self.options.log_level()),
            ],
            vec![av],
            vec![am],
        )?;
        sign["outputs"] = output_files(&["signature"]);

        let send = self.options.config_flow().send_update.channel.enabled;
        let mut submit_env = self.reader_env()?;
        submit_env.extend([
            env("UPDATE", "{{inputs.parameters.update}}"),
            env("SIGNATURES", "{{inputs.parameters.signatures}}"),
            env("SEND_ENABLED", send.to_string()),
            env("WORKFLOW_NAME", "{{workflow.name}}"),
            env("WORKFLOW_NAMESPACE", "{{workflow.namespace}}"),
        ]);
        let (cv, cm) = Self::configtx_volume();
        let (av, am) = Self::admin_volume();
        let mut submit = self.script_template(
            "config-update-submit",
            &["channel", "org", "secret", "update", "signatures"],
            submit_env,
            vec![av, cv],
            vec![am, cm],
        )?;
        submit["outputs"] = output_files(&["result", "signed"]);

        let mut finish_env = self.reader_env()?;
        finish_env.extend([
            env("UPDATE", "{{inputs.parameters.update}}"),
            env("FLOW", flow.name()),
            env("DESIRED", "{{inputs.parameters.desired}}"),
        ]);
        let (cv, cm) = Self::configtx_volume();
        let (av, am) = Self::admin_volume();
        let finish = self.script_template(
            "config-update-finish",
            &["channel", "org", "secret", "desired", "update"],
            finish_env,
            vec![av, cv],
            vec![am, cm],
        )?;
        Ok(vec![sign, submit, finish])
    }
}
