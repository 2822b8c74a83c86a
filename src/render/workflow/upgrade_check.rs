//! `fabchart flow upgrade-check`: before the nodes move to Fabric 3, checks
//! each selected channel as it runs (`scripts/upgrade-check.sh`): Raft or
//! BFT ordering, the new chaincode lifecycle (Application capability V2_0 or
//! later, no chaincode still run by the legacy one), endpoints per orderer
//! org and no global OrdererAddresses (which the V3_0 channel capability
//! refuses). It changes nothing. One step per channel, as the admin of a
//! local peer org on it (the legacy check asks that org's first peer; on
//! a network already on Fabric 3, whose peers run no legacy chaincode and
//! whose CLI has no legacy commands, the config alone is checked).

use anyhow::Context;
use serde_json::{json, Map};

use super::options::UpgradeCheckOptions;
use super::{env, param, Builder, Parts};
use crate::model::OrgKind;

impl Builder<'_, UpgradeCheckOptions> {
    pub(super) fn upgrade_check_parts(&self) -> anyhow::Result<Parts> {
        let mut orgs = Map::new();
        let mut items = Vec::new();
        for channel in self.included_channels(&self.options.flow.channel)? {
            let org = channel
                .orgs
                .iter()
                .filter_map(|name| self.network.org(name))
                .find(|org| !org.external && org.kind == OrgKind::Peer)
                .with_context(|| {
                    format!(
                        "channel `{}`: no peer org of this cluster is on it, so none can ask a peer \
                         which chaincodes run there: run upgrade-check where one is, or leave the \
                         channel out (flow.channel.include)",
                        channel.name
                    )
                })?;
            orgs.insert(org.name.clone(), self.org_entry(org));
            items.push(json!({
                "channel": channel.name,
                "org": org.name,
                "secret": org.admin.secret,
            }));
        }
        let main = Self::steps_template(
            "main",
            &[],
            vec![json!([{
                "name": "check",
                "template": "upgrade-check",
                "arguments": { "parameters": [
                    param("channel", "{{item.channel}}"),
                    param("org", "{{item.org}}"),
                    param("secret", "{{item.secret}}"),
                ]},
                "withItems": items,
            }])],
            self.options.flow.channel.parallel,
        );
        let (cv, cm) = Self::configtx_volume();
        let (av, am) = Self::admin_volume();
        let mut env_vars = self.reader_env()?;
        let legacy = self.network.settings.fabric_version.major < 3;
        env_vars.push(env("LEGACY_CHECK", legacy.to_string()));
        let mut check = self.script_template(
            "upgrade-check",
            &["channel", "org", "secret"],
            env_vars,
            vec![av, cv],
            vec![am, cm],
        )?;
        // Exit 3: the channel is not ready; asking again changes nothing.
        check["retryStrategy"]["expression"] = json!("lastRetry.exitCode != '3'");
        Ok(Parts {
            templates: vec![main, check],
            orgs,
            ..Parts::default()
        })
    }
}
