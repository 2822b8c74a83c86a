//! Which nodes a backup or restore handles, and how they are grouped.

use anyhow::bail;
use serde_json::{json, Value};

use crate::model::OrgKind;
use crate::model::{DataVolume, Org};
use crate::render::workflow::options::BackupFlowKeys;
use crate::render::workflow::Builder;

/// One StatefulSet the flow stops and starts again; its data volume is copied
/// when `archive` is set (a peer is stopped with its CouchDB even when only
/// the CouchDB is copied).
pub(super) struct Volume {
    pub(super) statefulset: String,
    pub(super) data: DataVolume,
    /// peer, couchdb, orderer or ca: the chart's values section, and what
    /// the restore looks for on the volume.
    pub(super) kind: &'static str,
    /// `<org key>/<hostname>/<kind>.tar.gz`, below the backup key.
    pub(super) archive: Option<String>,
}

impl Volume {
    pub(super) fn item(&self) -> Value {
        json!({
            "statefulset": self.statefulset,
            "claim": self.data.claim,
            "volume": self.data.name,
            "kind": self.kind,
            "archive": self.archive.clone().unwrap_or_default(),
        })
    }
}

/// Volumes stopped, copied and started together.
pub(super) struct Unit {
    pub(super) name: String,
    pub(super) volumes: Vec<Volume>,
}

impl Unit {
    pub(super) fn item(&self) -> Value {
        json!({
            "unit": self.name,
            "volumes": self.volumes.iter().map(Volume::item).collect::<Vec<_>>(),
        })
    }
}

/// What the selection options leave of the network.
pub(super) struct Selection {
    /// Per local peer org, one unit per peer (then its CA); per local
    /// orderer org with its CA selected, that CA.
    pub(super) peer_orgs: Vec<Vec<Unit>>,
    /// One unit per local orderer.
    pub(super) orderers: Vec<Unit>,
}

impl Selection {
    pub(super) fn volumes(&self) -> impl Iterator<Item = &Volume> {
        self.peer_orgs
            .iter()
            .flatten()
            .chain(&self.orderers)
            .flat_map(|u| &u.volumes)
    }

    pub(super) fn archives(&self) -> Vec<&str> {
        self.volumes()
            .filter_map(|v| v.archive.as_deref())
            .collect()
    }
}

/// Joins units into one that is stopped as a whole.
pub(super) fn together(name: &str, units: Vec<Unit>) -> Vec<Unit> {
    if units.is_empty() {
        return units;
    }
    vec![Unit {
        name: name.to_string(),
        volumes: units.into_iter().flat_map(|u| u.volumes).collect(),
    }]
}

impl<O: BackupFlowKeys> Builder<'_, O> {
    /// Units of the local nodes `flow.backup.include` and the component
    /// switches select. External orgs and orgs without nodes have none.
    pub(super) fn selection(&self) -> anyhow::Result<Selection> {
        let include = self.options.include();
        let components = self.options.components();
        for wanted in include {
            let (org_name, host) = match wanted.split_once('/') {
                Some((org, host)) => (org, Some(host)),
                None => (wanted.as_str(), None),
            };
            let Some(org) = self.network.org(org_name) else {
                bail!(
                    "flow.backup.include names `{wanted}`, but crypto-config.yaml has no org `{org_name}`; local orgs: {}",
                    self.network
                        .orgs
                        .iter()
                        .filter(|o| !o.external)
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            };
            if org.external {
                bail!("flow.backup.include names `{wanted}`, but {org_name} is an external org: its nodes run, and are backed up, in another cluster");
            }
            if let Some(host) = host {
                if !org.nodes.iter().any(|n| n.hostname == host) {
                    bail!(
                        "flow.backup.include names `{wanted}`, but {org_name} has no node `{host}`; its nodes: {}",
                        org.nodes
                            .iter()
                            .map(|n| n.hostname.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
        }
        let included = |org: &Org, host: &str| {
            include.is_empty()
                || include
                    .iter()
                    .any(|w| w == &org.name || w.split_once('/') == Some((org.name.as_str(), host)))
        };
        let archive =
            |org: &Org, host: &str, kind: &str| format!("{}/{host}/{kind}.tar.gz", org.key);
        // The org's fabric-ca server (its registrations), when the whole org
        // is selected.
        let ca_unit = |org: &Org| {
            let wanted = include.is_empty() || include.contains(&org.name);
            (components.ca && wanted).then(|| Unit {
                name: format!("{}/ca", org.name),
                volumes: vec![Volume {
                    statefulset: org.ca.object.clone(),
                    data: DataVolume::of(&org.ca.object),
                    kind: "ca",
                    archive: Some(archive(org, "ca", "ca")),
                }],
            })
        };

        let mut peer_orgs = Vec::new();
        for org in self.network.local_orgs(OrgKind::Peer) {
            let mut units = Vec::new();
            for node in org.nodes.iter().filter(|n| included(org, &n.hostname)) {
                let mut volumes = Vec::new();
                // CouchDB is copied only with its peer stopped: the peer
                // writes it. goleveldb peers (no CouchDB) need the switch off.
                if components.peer || components.couchdb {
                    volumes.push(Volume {
                        statefulset: node.object.clone(),
                        data: node.data.clone(),
                        kind: "peer",
                        archive: components
                            .peer
                            .then(|| archive(org, &node.hostname, "peer")),
                    });
                }
                if let (true, Some(couchdb), Some(data)) =
                    (components.couchdb, &node.couchdb, &node.couchdb_data)
                {
                    volumes.push(Volume {
                        statefulset: couchdb.clone(),
                        data: data.clone(),
                        kind: "couchdb",
                        archive: Some(archive(org, &node.hostname, "couchdb")),
                    });
                }
                if !volumes.is_empty() {
                    units.push(Unit {
                        name: format!("{}/{}", org.name, node.hostname),
                        volumes,
                    });
                }
            }
            if self.options.peers_together() {
                units = together(&org.name, units);
            }
            units.extend(ca_unit(org));
            if !units.is_empty() {
                peer_orgs.push(units);
            }
        }
        // An orderer org's CA is copied beside the peers, not with the
        // orderers: stopping it stops no ordering.
        for org in self.network.local_orgs(OrgKind::Orderer) {
            peer_orgs.extend(ca_unit(org).map(|u| vec![u]));
        }

        let mut orderers = Vec::new();
        if components.orderer {
            for org in self.network.local_orgs(OrgKind::Orderer) {
                for node in org.nodes.iter().filter(|n| included(org, &n.hostname)) {
                    orderers.push(Unit {
                        name: format!("{}/{}", org.name, node.hostname),
                        volumes: vec![Volume {
                            statefulset: node.object.clone(),
                            data: node.data.clone(),
                            kind: "orderer",
                            archive: Some(archive(org, &node.hostname, "orderer")),
                        }],
                    });
                }
            }
        }
        let selection = Selection {
            peer_orgs,
            orderers,
        };
        if selection.archives().is_empty() {
            bail!("nothing to copy: no local node is selected (flow.backup.include) with a component switched on (flow.peer/couchdb/orderer/ca.backup.enabled)");
        }
        Ok(selection)
    }
}
