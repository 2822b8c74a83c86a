//! `fabchart flow peer-org`: adds to each channel's config the orgs
//! network.yaml puts on it (`orgs` and `externalOrgs`) that it lacks, on a
//! channel participation network. The org's group is what `configtxgen
//! -printOrg` builds from the chart's configtx.yaml and the org's public MSP
//! (in the `hlf-configtx` ConfigMap, external orgs' included). The local
//! admins of member orgs sign; see `config_update.rs` for the steps.
//! PIVT's system-channel consortium updates have no place without a system
//! channel and are not made.

use serde_json::json;

use super::config_update::UpdateChannel;
use super::options::PeerOrgOptions;
use super::{Builder, Flow, Parts};
use crate::model::OrgKind;

impl Builder<'_, PeerOrgOptions> {
    pub(super) fn peer_org_parts(&self) -> anyhow::Result<Parts> {
        self.refuse_system_channel()?;
        let channels = self.included_channels(&self.options.flow.channel)?;
        let mut updates = Vec::new();
        for channel in channels {
            let mut named = Vec::new();
            let mut candidates = Vec::new();
            for name in channel.orgs.iter().chain(&channel.external_orgs) {
                let org = self.org(name)?;
                named.push(org);
                if !org.external && org.kind == OrgKind::Peer {
                    candidates.push((org, "Application"));
                }
            }
            updates.push(UpdateChannel {
                channel: &channel.name,
                reader: self.update_reader(channel)?,
                desired: json!(named.iter().map(|o| &o.name).collect::<Vec<_>>()),
                named,
                candidates,
            });
        }
        let prepare = self.prepare_template(Flow::PeerOrg, Vec::new())?;
        self.config_update_parts(Flow::PeerOrg, prepare, updates)
    }
}
