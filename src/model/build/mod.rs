//! Turns the loaded project into a [`Network`], collecting every consistency
//! error with the position of the offending value.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use super::capabilities::{self, Scope};
use super::configtx_rules;
use super::faults::{known_list, Faults, File};
use super::layout::{self as crypto_layout, IdentityPaths, CRYPTO_DIR};
use super::material::{CaSubject, NodeCrypto, UserCrypto};
use super::names;
use super::pod;
use super::*;
use crate::load::configtx::{self as cx, Policy};
use crate::load::crypto_config::OrgSpec;
use crate::load::network::ChaincodeEntry;
use crate::load::{Diagnostics, Input, Project};
use crate::policy::SignaturePolicy;

mod chaincodes;
mod channels;
mod orgs;
mod reach;

use chaincodes::*;
use channels::*;
use orgs::*;
use reach::*;

/// network.yaml's `fabricVersion`, parsed; the default where it is faulty
/// (reported), so the rest of the model is still checked.
fn fabric_version(faults: &mut Faults) -> FabricVersion {
    let Some(text) = faults.project.network.value.fabric_version.as_deref() else {
        return FabricVersion::DEFAULT;
    };
    let help = format!(
        "write the exact release of the images, e.g. {} (2.5.x, the LTS line and the default, or 3.x)",
        FabricVersion::DEFAULT
    );
    match text.parse::<FabricVersion>() {
        Ok(version) if version.is_supported() => version,
        Ok(version) => {
            faults.network(
                "/fabricVersion",
                format!("Fabric version `{version}` is not supported"),
                help,
            );
            FabricVersion::DEFAULT
        }
        Err(_) => {
            faults.network(
                "/fabricVersion",
                format!("fabricVersion `{text}` is not a release number MAJOR.MINOR.PATCH"),
                help,
            );
            FabricVersion::DEFAULT
        }
    }
}

/// The flows' image: Fabric's own up to 2.5; Fabric 3 publishes none, so
/// the one `images/fabric-tools/Dockerfile` builds, by the name its README
/// command gives it.
fn tools_repository(version: FabricVersion) -> &'static str {
    if version.major >= 3 {
        "hlf-kube/fabric-tools"
    } else {
        "hyperledger/fabric-tools"
    }
}

pub fn build(project: &Project) -> Result<Network, Diagnostics> {
    let mut faults = Faults::new(project);
    let network_file = &project.network.value;
    let fabric_version = fabric_version(&mut faults);
    let settings = Settings {
        tls_enabled: network_file.tls_enabled,
        use_actual_domains: network_file.use_actual_domains,
        images: Images {
            peer: Image::new("hyperledger/fabric-peer", fabric_version),
            orderer: Image::new("hyperledger/fabric-orderer", fabric_version),
            tools: Image::new(tools_repository(fabric_version), fabric_version),
            ca: Image::new("hyperledger/fabric-ca", FABRIC_CA_VERSION),
            couchdb: Image::new("couchdb", COUCHDB_VERSION),
        },
        fabric_version,
    };

    let configtx_orgs = ConfigtxOrgs::collect(&project.configtx);
    let msp_ids = declared_msp_ids(project, &configtx_orgs);
    configtx_rules::check(&mut faults, &msp_ids);
    let mut orgs = build_orgs(&mut faults, &settings, &configtx_orgs);
    let mut warnings = Vec::new();
    apply_expose(&mut faults, &mut orgs);
    attach_bundles(&mut faults, &mut orgs, &mut warnings);
    if !settings.tls_enabled {
        warnings.push(
            "tlsEnabled: false: applications using Fabric's Gateway (the fabric-gateway SDKs) \
             cannot transact on this network: the channels' MSPs carry TLS CA certificates, so a \
             peer's Gateway dials the other peers and the orderers with TLS. The peer CLI and \
             fabchart's flows work; set tlsEnabled: true for applications"
                .to_string(),
        );
    }
    let channels = build_channels(&mut faults, &settings, &orgs, &configtx_orgs, &mut warnings);
    resolve_anchor_peers(
        &mut orgs,
        &configtx_orgs,
        &project.configtx.source,
        &mut warnings,
    );
    let chaincodes = build_chaincodes(&mut faults, &orgs, &channels, &msp_ids);
    let flow_orderer = flow_orderer(&mut faults, &orgs);

    warnings.append(&mut faults.warnings);
    faults.diagnostics.into_result()?;
    let orderer_service = orgs
        .iter()
        .any(|o| o.kind == OrgKind::Orderer && !o.external && !o.nodes.is_empty())
        .then(|| names::ORDERER_LB_SERVICE.to_string());
    let host_aliases = host_aliases(&orgs);
    Ok(Network {
        project_dir: project.dir.clone(),
        settings,
        orderer_service,
        orgs,
        channels,
        chaincodes,
        flow_orderer,
        ports: pod::Ports::new(),
        paths: pod::PodPaths::new(),
        objects: pod::Objects::NAMES,
        host_aliases,
        warnings,
    })
}

/// The MSP ID of every org the input declares, built or refused: configtx.yaml's
/// definitions, and crypto-config.yaml's orgs (through their definition, else
/// `<Name>MSP`, as [`build_org`] names them).
fn declared_msp_ids(project: &Project, configtx: &ConfigtxOrgs) -> Vec<String> {
    let mut ids: Vec<String> = configtx.by_id.keys().cloned().collect();
    let crypto = &project.crypto_config.value;
    let groups = [
        (OrgKind::Orderer, &crypto.orderer_orgs),
        (OrgKind::Peer, &crypto.peer_orgs),
        (OrgKind::Orderer, &crypto.external_orderer_orgs),
        (OrgKind::Peer, &crypto.external_peer_orgs),
    ];
    for (kind, specs) in groups {
        for spec in specs {
            let id = spec_msp_id(configtx, kind, spec);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids
}

/// The MSP ID of crypto-config.yaml's org `spec`: its configtx.yaml
/// definition's, else `<Name>MSP`.
fn spec_msp_id(configtx: &ConfigtxOrgs, kind: OrgKind, spec: &OrgSpec) -> String {
    configtx
        .find(kind, spec)
        .map(|(org, _)| org.id.clone().unwrap_or_else(|| org.name.clone()))
        .unwrap_or_else(|| format!("{}MSP", spec.name))
}

/// configtx.yaml's organization definitions, by MSP ID, with the pointer of
/// the place each was first defined (for error positions).
struct ConfigtxOrgs {
    by_id: IndexMap<String, (cx::Organization, String)>,
}

impl ConfigtxOrgs {
    fn collect(configtx: &Input<cx::ConfigtxFile>) -> ConfigtxOrgs {
        let mut by_id = IndexMap::new();
        let file = &configtx.value;
        let mut add = |org: &cx::Organization, pointer: String| {
            let id = org.id.clone().unwrap_or_else(|| org.name.clone());
            by_id.entry(id).or_insert_with(|| (org.clone(), pointer));
        };
        for (i, org) in file.organizations.iter().flatten().enumerate() {
            add(org, format!("/Organizations/{i}"));
        }
        for (name, profile) in &file.profiles {
            let base = format!("/Profiles/{name}");
            for (i, org) in profile
                .orderer
                .iter()
                .flat_map(|o| o.organizations.iter().flatten())
                .enumerate()
            {
                add(org, format!("{base}/Orderer/Organizations/{i}"));
            }
            for (i, org) in profile
                .application
                .iter()
                .flat_map(|a| a.organizations.iter().flatten())
                .enumerate()
            {
                add(org, format!("{base}/Application/Organizations/{i}"));
            }
            for (cname, consortium) in profile.consortiums.iter().flatten() {
                for (i, org) in consortium.organizations.iter().flatten().enumerate() {
                    add(org, format!("{base}/Consortiums/{cname}/Organizations/{i}"));
                }
            }
        }
        ConfigtxOrgs { by_id }
    }

    /// The configtx definition of a crypto-config org: by MSPDir naming its
    /// domain folder, else by the PIVT convention `ID == <Name>MSP`.
    fn find(&self, kind: OrgKind, spec: &OrgSpec) -> Option<&(cx::Organization, String)> {
        let folder = format!("{}/msp", crypto_layout::org_dir(kind, &spec.domain));
        self.by_id
            .values()
            .find(|(org, _)| {
                org.msp_dir
                    .as_deref()
                    .is_some_and(|d| d.trim_end_matches('/').ends_with(&folder))
            })
            .or_else(|| self.by_id.get(&format!("{}MSP", spec.name)))
    }
}

pub(super) fn yaml_scalar(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::Null => None,
        serde_yaml::Value::String(s) if s.is_empty() => None,
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        other => Some(
            serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        ),
    }
}

fn flow_orderer(faults: &mut Faults, orgs: &[Org]) -> Option<OrdererRef> {
    let external = faults
        .project
        .network
        .value
        .external_orderer
        .as_ref()
        .filter(|e| e.enabled);
    if let Some(ext) = external {
        let port = yaml_scalar(&ext.port).and_then(|p| p.parse::<u16>().ok());
        let Some(port) = port else {
            faults.network(
                "/externalOrderer/port",
                "externalOrderer.port is not a port number".into(),
                "use e.g. \"7050\"".into(),
            );
            return None;
        };
        let org = orgs
            .iter()
            .find(|o| o.kind == OrgKind::Orderer && o.name == ext.org_name);
        let Some(org) = org else {
            if faults.is_refused_org(&ext.org_name) {
                return None;
            }
            faults.network(
                "/externalOrderer/orgName",
                format!(
                    "external orderer org `{}` is not in crypto-config.yaml",
                    ext.org_name
                ),
                "add it under ExternalOrdererOrgs so its TLS CA is known".into(),
            );
            return None;
        };
        // Where the org's bundle says the node is, if imported.
        let fqdn = format!("{}.{}", ext.host, ext.domain);
        let (host, port) = org
            .nodes
            .iter()
            .find(|n| org.bundle.is_some() && n.fqdn == fqdn)
            .map_or((fqdn.clone(), port), |n| (n.host.clone(), n.port));
        return Some(OrdererRef {
            org: org.name.clone(),
            msp_id: org.msp_id.clone(),
            host,
            port,
            admin_port: None,
            tls_ca: org.tls_ca_cert(),
            external: true,
        });
    }
    let org = orgs
        .iter()
        .find(|o| o.kind == OrgKind::Orderer && !o.external && !o.nodes.is_empty())?;
    let node = &org.nodes[0];
    Some(OrdererRef {
        org: org.name.clone(),
        msp_id: org.msp_id.clone(),
        host: node.host.clone(),
        port: node.port,
        admin_port: node.admin_port,
        tls_ca: org.tls_ca_cert(),
        external: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_cryptogen_templates() {
        assert_eq!(
            render_template(
                "{{.Prefix}}{{.Index}}",
                &[("Prefix", "peer"), ("Index", "3")]
            ),
            "peer3"
        );
        assert_eq!(
            render_template("{{ .Hostname }}.alt", &[("Hostname", "peer0")]),
            "peer0.alt"
        );
    }
}
