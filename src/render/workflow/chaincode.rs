//! `fabchart flow chaincode`: install, approve and commit each chaincode's
//! desired definition (the v2 lifecycle), optionally invoke it; on channels
//! below Application V2_0, the legacy lifecycle's install and instantiate.

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use super::builder::{env, param, Builder};
use super::options::{ChaincodeOptions, FlowKeys};
use super::{collections, policy, CHAINCODE_CHANNEL_INPUTS};
use crate::model::{Chaincode, Org};

impl Builder<'_, ChaincodeOptions> {
    pub(super) fn definitions(&self, chaincode: &Chaincode) -> anyhow::Result<Value> {
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

    pub(super) fn chaincode_templates(&self) -> anyhow::Result<(Vec<Value>, Map<String, Value>)> {
        let network = self.network;
        let options = self.options;
        // A chaincode on no channel (left off legacy channels by the model,
        // with a warning) has nothing to deploy.
        let chaincodes: Vec<&Chaincode> = Self::included(
            "chaincode",
            &network.chaincodes,
            |c| c.name.as_str(),
            &options.flow.chaincode.include,
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
                // The commit and the invoke are endorsed by a peer of each
                // org here and of each other cluster's org whose peers its
                // bundle names (a majority of the orgs, or the policy's,
                // may be in other clusters).
                let endorsers: Vec<&Org> = cc
                    .orgs
                    .iter()
                    .filter_map(|name| network.org(name))
                    .filter(|o| !o.nodes.is_empty() && (!o.external || o.bundle.is_some()))
                    .collect();
                for org in &endorsers {
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
                    "endorsers": endorsers.iter().map(|o| &o.name).collect::<Vec<_>>(),
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
                "version": chaincode.version.clone().unwrap_or_else(|| options.chaincode.version.clone()),
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
        let parallel = options.flow.chaincode.parallel;
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
        if options.flow.install.enabled || options.flow.approve.enabled {
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
        if any_legacy && options.flow.install.enabled {
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
        for (enabled, name) in [
            (options.flow.commit.enabled, "commit"),
            (options.flow.invoke.enabled, "invoke"),
        ] {
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

        if options.flow.install.enabled || options.flow.approve.enabled {
            let (cv, cm) = Self::configtx_volume();
            let (av, am) = Self::admin_volume();
            let (pv, pm) = Self::package_volume();
            let mut e = self.chaincode_env()?;
            e.extend([
                env("CHANNELS", "{{inputs.parameters.channels}}"),
                env("INSTALL_ENABLED", options.flow.install.enabled.to_string()),
                env("APPROVE_ENABLED", options.flow.approve.enabled.to_string()),
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
        for (enabled, name) in [
            (options.flow.commit.enabled, "commit"),
            (options.flow.invoke.enabled, "invoke"),
        ] {
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
                "invoke" => e.push(env("INVOKE_ARGS", options.flow.invoke.function.clone())),
                _ => {
                    e.extend([
                        env("INIT_ARGS", options.flow.init.function.clone()),
                        env("EXTERNAL_APPROVERS", "{{inputs.parameters.external}}"),
                        env(
                            "APPROVAL_WAIT_MINUTES",
                            options.flow.commit.approval_wait.to_string(),
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
    pub(super) fn chaincode_env(&self) -> anyhow::Result<Vec<Value>> {
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
    pub(super) fn legacy_templates(&self, templates: &mut Vec<Value>) -> anyhow::Result<()> {
        let options = self.options;
        if options.flow.install.enabled {
            let (av, am) = Self::admin_volume();
            let (pv, pm) = Self::package_volume();
            let env_vars = vec![
                env("TLS_ENABLED", self.network.settings.tls_enabled.to_string()),
                env("FABRIC_LOGGING_SPEC", options.log_level()),
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
        if options.flow.commit.enabled {
            let (cv, cm) = Self::configtx_volume();
            let (av, am) = Self::admin_volume();
            let mut env_vars = self.chaincode_env()?;
            env_vars.extend([
                env("CC_LANG", "{{inputs.parameters.language}}"),
                env("CHANNEL", "{{inputs.parameters.channel}}"),
                env("INIT_ARGS", options.flow.legacy.init.clone()),
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
