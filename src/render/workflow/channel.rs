//! `fabchart flow channel`: create each channel on the orderers this cluster
//! runs, join every peer, set anchor peers.

use anyhow::Context;
use serde_json::{json, Map, Value};

use super::builder::{env, param, Builder};
use super::options::{ChannelOptions, FlowKeys};
use crate::model::{names, pod, Org, OrgKind};

impl Builder<'_, ChannelOptions> {
    /// The org and node of `consenter`.
    fn consenter_node(
        &self,
        consenter: &crate::model::Consenter,
    ) -> anyhow::Result<(&Org, &crate::model::Node)> {
        let org = self.org(&consenter.org)?;
        let node = org
            .nodes
            .iter()
            .find(|n| n.hostname == consenter.node)
            .with_context(|| {
                format!("consenter {} is not a node of {}", consenter.node, org.name)
            })?;
        Ok((org, node))
    }

    /// The channel's consenters for the channel-orderers step, each node
    /// looked up once: this cluster's (org, MSP ID, address and admin port:
    /// the ones it joins) and what the channel's orderer group should say
    /// (the consensus type, how many consenters may be unreachable, and every
    /// consenter, other clusters' too, with its cluster address, its client
    /// endpoint as its org's OrdererEndpoints list it, and its certificates'
    /// paths in the configtx tree).
    fn consenters(&self, channel: &crate::model::Channel) -> anyhow::Result<(Vec<Value>, Value)> {
        let orderer = &channel.profile.orderer;
        let mut local = Vec::new();
        let mut consenters = Vec::new();
        for consenter in &orderer.consenters {
            let (org, node) = self.consenter_node(consenter)?;
            let mut entry = json!({
                "id": consenter.id,
                "host": consenter.host,
                "port": consenter.port,
                "mspId": consenter.msp_id,
                "endpoint": node.endpoint().address(),
                "tlsCert": consenter.tls_cert,
                "identity": consenter.identity,
            });
            if org.external {
                // Another cluster's: asked whether it has the channel already.
                entry["tlsCa"] = json!(org.tls_ca_cert());
            } else {
                local.push(json!({
                    "org": org.key,
                    "mspId": org.msp_id,
                    "host": node.host,
                    "port": node.port,
                    "adminPort": node.admin_port.unwrap_or(names::ORDERER_ADMIN_PORT),
                }));
            }
            consenters.push(entry);
        }
        let config = json!({
            "type": orderer.orderer_type,
            "tolerated": orderer.orderer_type.fault_tolerance(orderer.consenters.len()),
            "consenters": consenters,
        });
        Ok((local, config))
    }

    pub(super) fn channel_templates(&self) -> anyhow::Result<(Vec<Value>, Map<String, Value>)> {
        let network = self.network;
        let channels = self.included_channels(&self.options.flow.channel)?;
        let local_orderers: Vec<&Org> = network.local_orgs(OrgKind::Orderer).collect();
        let run_orderers = !local_orderers.is_empty()
            && !network.flow_orderer.as_ref().is_some_and(|o| o.external);
        let mut orgs = Map::new();
        let mut items = Vec::new();
        for channel in &channels {
            let (consenters, orderer) = self.consenters(channel)?;
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
                "orderer": orderer,
                "orgs": channel_orgs,
            }));
        }
        let parallel = self.options.flow.channel.parallel;
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
                    param("orderer", "{{item.orderer}}"),
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
                    param("orderer", "{{inputs.parameters.orderer}}"),
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
            &["channel", "profile", "consenters", "orderer", "orgs"],
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
                let items = |files: &[crate::model::SecretFile]| {
                    files
                        .iter()
                        .map(|f| json!({"key": f.key, "path": f.mount}))
                        .collect::<Vec<_>>()
                };
                volumes.push(json!({ "name": volume, "projected": { "sources": [
                    { "secret": {
                        "name": org.admin.secret,
                        "items": items(org.files(&org.admin.secret)),
                    }},
                    { "configMap": {
                        "name": names::CONFIGTX_CONFIGMAP,
                        "items": items(org.shared_files(&org.admin.secret)),
                    }},
                ]}}));
                mounts.push(json!({ "name": volume, "mountPath": format!("{}/{}", pod::ORDERER_ADMINS_MOUNT, org.key), "readOnly": true }));
            }
            let env_vars = vec![
                env("CHANNEL", "{{inputs.parameters.channel}}"),
                env("PROFILE", "{{inputs.parameters.profile}}"),
                env("CONSENTERS", "{{inputs.parameters.consenters}}"),
                env("ORDERER_CONFIG", "{{inputs.parameters.orderer}}"),
                env("TLS_ENABLED", network.settings.tls_enabled.to_string()),
                env("FABRIC_LOGGING_SPEC", self.options.log_level()),
            ];
            templates.push(self.script_template(
                "channel-orderers",
                &["channel", "profile", "consenters", "orderer"],
                env_vars,
                volumes,
                mounts,
            )?);
        }

        let (cv, cm) = Self::configtx_volume();
        let (av, am) = Self::admin_volume();
        templates.push(self.script_template(
            "channel-org",
            &["channel", "org", "secret"],
            self.reader_env()?,
            vec![av, cv],
            vec![am, cm],
        )?);
        Ok((templates, orgs))
    }
}
