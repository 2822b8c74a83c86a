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
use super::*;
use crate::load::configtx::{self as cx, Policy};
use crate::load::crypto_config::OrgSpec;
use crate::load::network::ChaincodeEntry;
use crate::load::{Diagnostics, Input, Project};
use crate::policy::SignaturePolicy;

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

pub fn build(project: &Project) -> Result<Network, Diagnostics> {
    let mut faults = Faults::new(project);
    let network_file = &project.network.value;
    let fabric_version = fabric_version(&mut faults);
    let settings = Settings {
        tls_enabled: network_file.tls_enabled,
        use_actual_domains: network_file.use_actual_domains,
        images: Images {
            peer: format!("hyperledger/fabric-peer:{fabric_version}"),
            orderer: format!("hyperledger/fabric-orderer:{fabric_version}"),
            tools: format!("hyperledger/fabric-tools:{fabric_version}"),
            ca: format!("hyperledger/fabric-ca:{FABRIC_CA_VERSION}"),
            couchdb: COUCHDB_IMAGE.to_string(),
        },
        fabric_version,
    };

    let configtx_orgs = ConfigtxOrgs::collect(&project.configtx);
    let msp_ids = declared_msp_ids(project, &configtx_orgs);
    configtx_rules::check(&mut faults, &msp_ids);
    let mut orgs = build_orgs(&mut faults, &settings, &configtx_orgs);
    let mut warnings = Vec::new();
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
    Ok(Network {
        project_dir: project.dir.clone(),
        settings,
        orderer_service,
        orgs,
        channels,
        chaincodes,
        flow_orderer,
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

fn build_orgs(faults: &mut Faults, settings: &Settings, configtx: &ConfigtxOrgs) -> Vec<Org> {
    let crypto = &faults.project.crypto_config.value;
    let groups: [(&str, OrgKind, bool, &Vec<OrgSpec>); 4] = [
        ("OrdererOrgs", OrgKind::Orderer, false, &crypto.orderer_orgs),
        ("PeerOrgs", OrgKind::Peer, false, &crypto.peer_orgs),
        (
            "ExternalOrdererOrgs",
            OrgKind::Orderer,
            true,
            &crypto.external_orderer_orgs,
        ),
        (
            "ExternalPeerOrgs",
            OrgKind::Peer,
            true,
            &crypto.external_peer_orgs,
        ),
    ];
    let mut orgs = Vec::new();
    let mut seen_keys: HashMap<String, String> = HashMap::new();
    let mut seen_domains: HashSet<String> = HashSet::new();
    for (section, kind, external, specs) in groups {
        for (i, spec) in specs.iter().enumerate() {
            let pointer = format!("/{section}/{i}");
            let key = names::org_key(&spec.name);
            let refused = 'checks: {
                if !names::is_dns_label(&key) || key.contains("--") {
                    faults.crypto(
                        &format!("{pointer}/Name"),
                        format!(
                            "org name `{}` cannot be part of Kubernetes object names",
                            spec.name
                        ),
                        "use letters, digits and single `-` only, starting with a letter".into(),
                    );
                    break 'checks true;
                }
                if let Some(previous) = seen_keys.insert(key.clone(), spec.name.clone()) {
                    faults.crypto(
                        &format!("{pointer}/Name"),
                        format!(
                            "org `{}` collides with org `{previous}` once lower-cased",
                            spec.name
                        ),
                        "give every org a name that stays unique in lower case".into(),
                    );
                    break 'checks true;
                }
                if !names::is_dns_name(&spec.domain) {
                    faults.crypto(
                        &format!("{pointer}/Domain"),
                        format!("`{}` is not a valid domain", spec.domain),
                        "use a DNS name such as `example.com`".into(),
                    );
                    break 'checks true;
                }
                if !seen_domains.insert(format!("{kind:?}/{}", spec.domain)) {
                    faults.crypto(
                        &format!("{pointer}/Domain"),
                        format!("domain `{}` is used by two orgs", spec.domain),
                        "every org needs its own domain".into(),
                    );
                    break 'checks true;
                }
                match build_org(
                    faults, settings, configtx, kind, external, spec, &pointer, key,
                ) {
                    Some(org) => {
                        orgs.push(org);
                        false
                    }
                    None => true,
                }
            };
            if refused {
                let msp_id = spec_msp_id(configtx, kind, spec);
                faults.refuse_org(&spec.name, &msp_id, &spec.domain);
            }
        }
    }
    add_implicit_external_orgs(faults, settings, configtx, &mut orgs);
    orgs
}

/// PIVT's cross-cluster inputs name other clusters' orgs in configtx.yaml
/// only (their material is copied in by hand). Each such org becomes an
/// external org, its kind and domain read from its MSPDir
/// (`.../peerOrganizations/<domain>/msp`), its name from `<Name>MSP`, and an
/// orderer org's nodes from the raft consenters under its domain.
fn add_implicit_external_orgs(
    faults: &mut Faults,
    settings: &Settings,
    configtx: &ConfigtxOrgs,
    orgs: &mut Vec<Org>,
) {
    let mut hosts: Vec<String> = Vec::new();
    let file = &faults.project.configtx.value;
    let raft_sections = file
        .profiles
        .values()
        .filter_map(|p| p.orderer.as_ref())
        .chain(file.orderer.iter());
    for orderer in raft_sections {
        for c in orderer
            .etcd_raft
            .iter()
            .flat_map(|r| r.consenters.iter().flatten())
        {
            if !hosts.contains(&c.host) {
                hosts.push(c.host.clone());
            }
        }
    }
    for (id, (def, pointer)) in &configtx.by_id {
        // An org of crypto-config.yaml that was refused is no other cluster's.
        if orgs.iter().any(|o| &o.msp_id == id) || faults.is_refused_org(id) {
            continue;
        }
        let Some((kind, domain)) = def.msp_dir.as_deref().and_then(msp_dir_org) else {
            faults.configtx(
                pointer,
                format!("org `{id}` is in configtx.yaml but not in crypto-config.yaml"),
                "add it to crypto-config.yaml (PeerOrgs/OrdererOrgs, or ExternalPeerOrgs/ExternalOrdererOrgs for an org run elsewhere), or give it an MSPDir like crypto-config/peerOrganizations/<domain>/msp".into(),
            );
            continue;
        };
        let name = def
            .name
            .strip_suffix("MSP")
            .filter(|n| !n.is_empty())
            .unwrap_or(&def.name)
            .to_string();
        let key = names::org_key(&name);
        if !names::is_dns_label(&key) || key.contains("--") || orgs.iter().any(|o| o.key == key) {
            faults.configtx(
                pointer,
                format!("org `{id}` (not in crypto-config.yaml) has no usable org name"),
                "declare it in crypto-config.yaml under ExternalPeerOrgs or ExternalOrdererOrgs with a unique Name".into(),
            );
            continue;
        }
        let suffix = format!(".{domain}");
        let specs = match kind {
            OrgKind::Orderer => hosts
                .iter()
                .filter_map(|h| h.strip_suffix(&suffix))
                .filter(|h| names::is_dns_label(h))
                .map(|h| crate::load::crypto_config::NodeSpec {
                    hostname: h.to_string(),
                    ..Default::default()
                })
                .collect(),
            OrgKind::Peer => Vec::new(),
        };
        let spec = OrgSpec {
            name,
            domain,
            enable_node_ous: true,
            specs,
            ..Default::default()
        };
        if let Some(org) = build_org(faults, settings, configtx, kind, true, &spec, pointer, key) {
            orgs.push(org);
        }
    }
}

/// Kind and domain of an org from its MSPDir.
fn msp_dir_org(msp_dir: &str) -> Option<(OrgKind, String)> {
    let parts: Vec<&str> = msp_dir.trim_end_matches('/').split('/').collect();
    let [.., folder, domain, "msp"] = parts.as_slice() else {
        return None;
    };
    let kind = match *folder {
        "peerOrganizations" => OrgKind::Peer,
        "ordererOrganizations" => OrgKind::Orderer,
        _ => return None,
    };
    names::is_dns_name(domain).then(|| (kind, domain.to_lowercase()))
}

/// Substitutes cryptogen's template fields (`{{.Hostname}}` and friends).
fn render_template(template: &str, fields: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in fields {
        for spaced in [format!("{{{{.{name}}}}}"), format!("{{{{ .{name} }}}}")] {
            out = out.replace(&spaced, value);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn build_org(
    faults: &mut Faults,
    settings: &Settings,
    configtx: &ConfigtxOrgs,
    kind: OrgKind,
    external: bool,
    spec: &OrgSpec,
    pointer: &str,
    key: String,
) -> Option<Org> {
    let domain = spec.domain.to_lowercase();
    let org_dir = crypto_layout::org_dir(kind, &domain);
    let crypto_dir = format!("{CRYPTO_DIR}/{org_dir}");
    let msp_dir = format!("{crypto_dir}/msp");
    // The CA's name is cryptogen's: CA.CommonName (a template) or
    // `<CA.Hostname or "ca">.<domain>`; every MSP's cacerts file is named after it.
    let ca_spec = spec.ca.clone().unwrap_or_default();
    let ca_hostname = ca_spec.hostname.clone().unwrap_or_else(|| "ca".to_string());
    let ca_common_name = render_template(
        ca_spec
            .common_name
            .as_deref()
            .unwrap_or("{{.Hostname}}.{{.Domain}}"),
        &[("Hostname", &ca_hostname), ("Domain", &domain)],
    );
    let ca_subject = CaSubject {
        common_name: ca_common_name.clone(),
        country: ca_spec.country.clone().unwrap_or_default(),
        province: ca_spec.province.clone().unwrap_or_default(),
        locality: ca_spec.locality.clone().unwrap_or_default(),
        organizational_unit: ca_spec.organizational_unit.clone().unwrap_or_default(),
        street_address: ca_spec.street_address.clone().unwrap_or_default(),
        postal_code: ca_spec.postal_code.clone().unwrap_or_default(),
    };
    let cacert_file = crypto_layout::cert_file(&ca_common_name);
    let tlscacert_file = crypto_layout::cert_file(&crypto_layout::tlsca_name(&ca_common_name));
    let msp_files = MspFiles {
        node_ous: spec.enable_node_ous,
        cacert: &cacert_file,
        tlscacert: &tlscacert_file,
        admin: format!("Admin@{domain}"),
    };

    let (msp_id, mut policies) = match configtx.find(kind, spec) {
        Some((org, _)) => (
            org.id.clone().unwrap_or_else(|| org.name.clone()),
            org.policies.clone().unwrap_or_default(),
        ),
        None => (format!("{}MSP", spec.name), IndexMap::new()),
    };
    if policies.is_empty() {
        policies = default_org_policies(kind, &msp_id, spec.enable_node_ous);
    }
    if kind == OrgKind::Peer && !policies.contains_key("Endorsement") {
        let role = if spec.enable_node_ous {
            "peer"
        } else {
            "member"
        };
        policies.insert(
            "Endorsement".into(),
            Policy {
                kind: "Signature".into(),
                rule: format!("OR('{msp_id}.{role}')"),
            },
        );
    }

    if !counts_in_bounds(faults, spec, pointer) {
        return None;
    }

    // Nodes: explicit Specs first, then the Template, as cryptogen orders them.
    let prefix = kind.node_prefix();
    let mut hostnames: Vec<(String, Option<String>, Vec<String>, String)> = Vec::new();
    for (i, node) in spec.specs.iter().enumerate() {
        hostnames.push((
            node.hostname.clone(),
            node.common_name.clone(),
            node.sans.clone(),
            format!("{pointer}/Specs/{i}/Hostname"),
        ));
    }
    if let Some(template) = &spec.template {
        for n in template.start..template.start + template.count {
            let index = n.to_string();
            let hostname = render_template(
                template
                    .hostname
                    .as_deref()
                    .unwrap_or("{{.Prefix}}{{.Index}}"),
                &[("Prefix", prefix), ("Index", &index)],
            );
            hostnames.push((
                hostname,
                None,
                template.sans.clone(),
                format!("{pointer}/Template"),
            ));
        }
    }

    let mut nodes = Vec::new();
    let mut node_crypto = Vec::new();
    let mut seen = HashSet::new();
    for (hostname, common_name, sans, node_pointer) in hostnames {
        if !names::is_dns_label(&hostname) {
            faults.crypto(
                &node_pointer,
                format!("hostname `{hostname}` is not a valid DNS label"),
                "use lower-case letters, digits and `-`".into(),
            );
            continue;
        }
        if !seen.insert(hostname.clone()) {
            faults.crypto(
                &node_pointer,
                format!("hostname `{hostname}` appears twice in org `{}`", spec.name),
                "give every node of an org its own hostname".into(),
            );
            continue;
        }
        let fqdn = render_template(
            common_name
                .as_deref()
                .unwrap_or("{{.Hostname}}.{{.Domain}}"),
            &[("Hostname", &hostname), ("Domain", &domain)],
        );
        let object = names::node_object(kind, &key, &hostname);
        if object.len() > names::MAX_STATEFULSET_NAME {
            faults.crypto(
                &node_pointer,
                format!(
                    "object name `{object}` of node `{hostname}` has {} characters; Kubernetes allows {} for a StatefulSet",
                    object.len(),
                    names::MAX_STATEFULSET_NAME
                ),
                "shorten the org name or the hostname".into(),
            );
            continue;
        }
        let mut all_sans = vec![fqdn.clone(), hostname.clone()];
        for san in &sans {
            all_sans.push(render_template(
                san,
                &[
                    ("Hostname", &hostname),
                    ("Domain", &domain),
                    ("CommonName", &fqdn),
                ],
            ));
        }
        // fabchart's addition: the Service names that reach this node (its own,
        // its org's, and for orderers the network-wide one), so TLS works
        // without actual domains and through every Service the chart makes.
        all_sans.push(object.clone());
        all_sans.push(names::org_service(kind, &key));
        if kind == OrgKind::Orderer {
            all_sans.push(names::ORDERER_LB_SERVICE.to_string());
        }
        let mut unique = HashSet::new();
        all_sans.retain(|s| unique.insert(s.clone()));
        let paths = IdentityPaths::node(&org_dir, kind, &fqdn);
        let node_dir = format!("{CRYPTO_DIR}/{}", paths.dir);
        let files = msp_files.of(&paths);
        node_crypto.push(NodeCrypto {
            common_name: fqdn.clone(),
            sans: all_sans,
            paths,
        });
        let host = if settings.use_actual_domains {
            fqdn.clone()
        } else {
            object.clone()
        };
        let (port, couchdb, cluster_port, admin_port) = match kind {
            OrgKind::Peer => (
                names::PEER_PORT,
                Some(names::couchdb_object(&key, &hostname)),
                None,
                None,
            ),
            OrgKind::Orderer => {
                let cluster = if settings.tls_enabled {
                    names::ORDERER_PORT
                } else {
                    names::ORDERER_CLUSTER_PORT
                };
                (
                    names::ORDERER_PORT,
                    None,
                    Some(cluster),
                    Some(names::ORDERER_ADMIN_PORT),
                )
            }
        };
        let external_service = format!("{object}-external");
        let couchdb_data = couchdb.as_deref().map(DataVolume::of);
        nodes.push(Node {
            data: DataVolume::of(&object),
            files,
            secret: names::node_secret(&object),
            hostname,
            fqdn,
            object,
            host,
            port,
            crypto_dir: node_dir,
            couchdb,
            couchdb_data,
            cluster_port,
            admin_port,
            external_service,
        });
    }

    let admin_name = msp_files.admin.clone();
    let mut users = vec![UserCrypto {
        common_name: admin_name.clone(),
        admin: true,
        paths: IdentityPaths::user(&org_dir, &admin_name),
    }];
    let user_count = spec.users.as_ref().map_or(0, |u| u.count);
    for n in 1..=user_count {
        let name = format!("User{n}@{domain}");
        users.push(UserCrypto {
            paths: IdentityPaths::user(&org_dir, &name),
            common_name: name,
            admin: false,
        });
    }
    let identity = |name: &str, secret: String| {
        let paths = IdentityPaths::user(&org_dir, name);
        Identity {
            name: name.to_string(),
            crypto_dir: format!("{CRYPTO_DIR}/{}", paths.dir),
            files: msp_files.of(&paths),
            secret,
        }
    };
    let admin = identity(&admin_name, names::admin_secret(&key));
    let client_users = users
        .iter()
        .filter(|u| !u.admin)
        .map(|u| {
            let user_key = u
                .common_name
                .split('@')
                .next()
                .unwrap_or_default()
                .to_lowercase();
            identity(&u.common_name, format!("hlf-user--{key}--{user_key}"))
        })
        .collect();

    let crypto = OrgCrypto {
        kind,
        domain: domain.clone(),
        dir: org_dir,
        enable_node_ous: spec.enable_node_ous,
        ca: ca_subject,
        nodes: node_crypto,
        users,
        external,
    };
    let ca = CertificateAuthority {
        object: names::ca_object(&key),
        secret: names::ca_secret(&key),
        files: vec![
            secret_file(
                "ca-cert.pem",
                format!("{CRYPTO_DIR}/{}", crypto.ca_cert()),
                "ca-cert.pem",
            ),
            secret_file(
                "ca-key.pem",
                format!("{CRYPTO_DIR}/{}", crypto.ca_key()),
                "ca-key.pem",
            ),
        ],
        common_name: ca_common_name,
    };

    Some(Org {
        kind,
        name: spec.name.clone(),
        service: names::org_service(kind, &key),
        msp_secret: format!("{}--external-msp", names::org_service(kind, &key)),
        key,
        msp_id,
        domain,
        external,
        crypto_dir,
        msp_dir,
        ca,
        nodes,
        admin,
        users: client_users,
        policies,
        anchor_peers: Vec::new(),
        crypto,
    })
}

/// At most this many nodes (`Template.Count`) and users (`Users.Count`) in
/// one org. A real org runs a handful of peers and a few admin users (client
/// identities come from its CA); each node here is a StatefulSet with its own
/// keys and Secrets, and a Helm release of a few hundred nodes already
/// outgrows the 1 MiB Secret Helm keeps it in. The bound only stops a slip
/// (an extra digit, or -1 written as 18446744073709551615) from exhausting
/// memory or time.
const MAX_PER_ORG: usize = 10_000;

/// `Template.Start + Count` at most this: node indexes stay short in names,
/// and the sum cannot overflow.
const MAX_TEMPLATE_INDEX: usize = 1_000_000;

/// Whether an org's Template and Users counts are within bounds; reports
/// those that are not.
fn counts_in_bounds(faults: &mut Faults, spec: &OrgSpec, pointer: &str) -> bool {
    let mut ok = true;
    if let Some(template) = &spec.template {
        if template.count > MAX_PER_ORG {
            ok = false;
            faults.crypto(
                &format!("{pointer}/Template/Count"),
                format!(
                    "Template.Count {} is more nodes than fabchart makes for one org (at most {MAX_PER_ORG})",
                    template.count
                ),
                "give the number of nodes the org runs; real orgs run a handful".into(),
            );
        } else if template
            .start
            .checked_add(template.count)
            .is_none_or(|end| end > MAX_TEMPLATE_INDEX)
        {
            ok = false;
            faults.crypto(
                &format!("{pointer}/Template/Start"),
                format!(
                    "Template.Start {} + Count {} goes past node index {MAX_TEMPLATE_INDEX}",
                    template.start, template.count
                ),
                "start the numbering lower (the default is 0)".into(),
            );
        }
    }
    if let Some(users) = &spec.users {
        if users.count > MAX_PER_ORG {
            ok = false;
            faults.crypto(
                &format!("{pointer}/Users/Count"),
                format!(
                    "Users.Count {} is more users than fabchart makes for one org (at most {MAX_PER_ORG})",
                    users.count
                ),
                "give the users the chart needs; enroll application identities with the org's CA".into(),
            );
        }
    }
    ok
}

fn default_org_policies(kind: OrgKind, msp_id: &str, node_ous: bool) -> Policies {
    let signature = |rule: String| Policy {
        kind: "Signature".into(),
        rule,
    };
    let mut policies = IndexMap::new();
    let (readers, writers) = match (kind, node_ous) {
        (OrgKind::Peer, true) => (
            format!("OR('{msp_id}.admin', '{msp_id}.peer', '{msp_id}.client')"),
            format!("OR('{msp_id}.admin', '{msp_id}.client')"),
        ),
        _ => (
            format!("OR('{msp_id}.member')"),
            format!("OR('{msp_id}.member')"),
        ),
    };
    policies.insert("Readers".into(), signature(readers));
    policies.insert("Writers".into(), signature(writers));
    policies.insert("Admins".into(), signature(format!("OR('{msp_id}.admin')")));
    policies
}

fn secret_file(key: &str, source: String, mount: &str) -> SecretFile {
    SecretFile {
        key: key.to_string(),
        source,
        mount: mount.to_string(),
    }
}

/// The files of one identity's Secret, in cryptogen's layout. Without
/// NodeOUs an MSP holds an admin certificate instead of config.yaml: nodes
/// the org admin's, users their own (as cryptogen writes them).
struct MspFiles<'a> {
    node_ous: bool,
    cacert: &'a str,
    tlscacert: &'a str,
    /// The org admin's name.
    admin: String,
}

impl MspFiles<'_> {
    fn of(&self, paths: &IdentityPaths) -> Vec<SecretFile> {
        let dir = format!("{CRYPTO_DIR}/{}", paths.dir);
        let tls = paths.tls;
        let first = if self.node_ous {
            secret_file(
                "msp-config.yaml",
                format!("{dir}/msp/config.yaml"),
                "msp/config.yaml",
            )
        } else {
            let admin = if tls == "server" {
                self.admin.as_str()
            } else {
                paths.name.as_str()
            };
            let file = crypto_layout::cert_file(admin);
            secret_file(
                "msp-admincert.pem",
                format!("{dir}/msp/admincerts/{file}"),
                &format!("msp/admincerts/{file}"),
            )
        };
        let signcert = crypto_layout::cert_file(&paths.name);
        vec![
            first,
            secret_file(
                "msp-cacert.pem",
                format!("{dir}/msp/cacerts/{}", self.cacert),
                &format!("msp/cacerts/{}", self.cacert),
            ),
            secret_file(
                "msp-tlscacert.pem",
                format!("{dir}/msp/tlscacerts/{}", self.tlscacert),
                &format!("msp/tlscacerts/{}", self.tlscacert),
            ),
            secret_file(
                "msp-signcert.pem",
                format!("{CRYPTO_DIR}/{}", paths.signcert()),
                &format!("msp/signcerts/{signcert}"),
            ),
            secret_file(
                "msp-key.pem",
                format!("{CRYPTO_DIR}/{}", paths.key()),
                &format!("msp/keystore/{}", crypto_layout::CA_KEY),
            ),
            secret_file(
                "tls-ca.crt",
                format!("{CRYPTO_DIR}/{}", paths.tls_ca()),
                "tls/ca.crt",
            ),
            secret_file(
                &format!("tls-{tls}.crt"),
                format!("{CRYPTO_DIR}/{}", paths.tls_cert()),
                &format!("tls/{tls}.crt"),
            ),
            secret_file(
                &format!("tls-{tls}.key"),
                format!("{CRYPTO_DIR}/{}", paths.tls_key()),
                &format!("tls/{tls}.key"),
            ),
        ]
    }
}

/// Finds the node a configtx host names: by Service name, fqdn or `hostname`.
fn find_node<'a>(orgs: &'a [Org], kind: OrgKind, host: &str) -> Option<(&'a Org, &'a Node)> {
    orgs.iter().filter(|o| o.kind == kind).find_map(|org| {
        org.nodes
            .iter()
            .find(|n| n.object == host || n.fqdn == host || n.host == host)
            .map(|n| (org, n))
    })
}

fn resolve_anchor_peers(
    orgs: &mut [Org],
    configtx: &ConfigtxOrgs,
    source: &crate::load::source::SourceFile,
    warnings: &mut Vec<String>,
) {
    let mut resolved = Vec::new();
    for org in orgs.iter().filter(|o| o.kind == OrgKind::Peer) {
        let declared = configtx
            .by_id
            .get(&org.msp_id)
            .and_then(|(o, pointer)| o.anchor_peers.clone().map(|a| (a, pointer.clone())));
        let anchors = match declared {
            Some((anchors, pointer)) if !anchors.is_empty() => {
                let mut out = Vec::new();
                for (i, anchor) in anchors.iter().enumerate() {
                    match org.nodes.iter().find(|n| {
                        n.object == anchor.host || n.fqdn == anchor.host || n.host == anchor.host
                    }) {
                        Some(node) => out.push(node.endpoint()),
                        None if org.external => out.push(Endpoint {
                            host: anchor.host.clone(),
                            port: anchor.port,
                        }),
                        // An address fabchart does not make (a load balancer, a
                        // name resolved by hostAliases): kept as written.
                        None => {
                            out.push(Endpoint {
                                host: anchor.host.clone(),
                                port: anchor.port,
                            });
                            let at = source.locate(&format!("{pointer}/AnchorPeers/{i}/Host"));
                            warnings.push(format!(
                                "{}:{}:{}: anchor peer `{}` of org `{}` is none of its peers ({}); kept as written, so it must resolve in the cluster",
                                source.display,
                                at.line,
                                at.column,
                                anchor.host,
                                org.name,
                                known_list(org.nodes.iter().map(|n| n.host.as_str()))
                            ));
                        }
                    }
                }
                out
            }
            _ => org
                .nodes
                .first()
                .map(|n| vec![n.endpoint()])
                .unwrap_or_default(),
        };
        resolved.push((org.name.clone(), anchors));
    }
    for (name, anchors) in resolved {
        if let Some(org) = orgs.iter_mut().find(|o| o.name == name) {
            org.anchor_peers = anchors;
        }
    }
}

fn capability_names(
    faults: &mut Faults,
    map: Option<&cx::Capabilities>,
    scope: Scope,
    pointer: &str,
    fabric_version: FabricVersion,
) -> Vec<String> {
    let known = capabilities::known(scope, fabric_version);
    let mut out = Vec::new();
    for (name, enabled) in map.into_iter().flatten() {
        if !known.contains(&name.as_str()) {
            faults.key(
                File::Configtx,
                &format!("{pointer}/{name}"),
                format!(
                    "{} capability `{name}` is unknown to Fabric {fabric_version}",
                    scope.name()
                ),
                format!(
                    "a capability peers do not know stops them and cannot be reverted; use one of: {}",
                    known.join(", ")
                ),
            );
        } else if *enabled {
            out.push(name.clone());
        }
    }
    out
}

fn build_channels(
    faults: &mut Faults,
    settings: &Settings,
    orgs: &[Org],
    configtx_orgs: &ConfigtxOrgs,
    warnings: &mut Vec<String>,
) -> Vec<Channel> {
    let project = faults.project;
    let network = &project.network.value.network;
    let configtx = &project.configtx.value;
    let genesis = network.genesis_profile.as_ref().and_then(|name| {
        let found = configtx.profiles.get(name);
        if found.is_none() {
            faults.network(
                "/network/genesisProfile",
                format!("genesis profile `{name}` is not in configtx.yaml"),
                format!(
                    "use one of: {}",
                    known_list(configtx.profiles.keys().map(String::as_str))
                ),
            );
        }
        found.map(|p| (name.clone(), p))
    });
    let mut channels = Vec::new();
    let mut seen = HashSet::new();
    for (i, entry) in network.channels.iter().enumerate() {
        let pointer = format!("/network/channels/{i}");
        if !names::is_channel_name(&entry.name) {
            faults.network(
                &format!("{pointer}/name"),
                format!("`{}` is not a valid channel name", entry.name),
                "Fabric channel names are lower case: [a-z][a-z0-9.-]*".into(),
            );
            continue;
        }
        if !seen.insert(entry.name.clone()) {
            faults.network(
                &format!("{pointer}/name"),
                format!("channel `{}` is defined twice", entry.name),
                "merge the two entries".into(),
            );
            continue;
        }
        for (j, org) in entry.orgs.iter().enumerate() {
            match orgs.iter().find(|o| &o.name == org) {
                Some(o) if o.kind == OrgKind::Peer => {}
                _ if faults.is_refused_org(org) => {}
                _ => {
                    faults.channels_with_unknown_orgs.insert(entry.name.clone());
                    faults.network(
                    &format!("{pointer}/orgs/{j}"),
                    format!("channel `{}` lists org `{org}`, which crypto-config.yaml does not define as a peer org", entry.name),
                    format!("known peer orgs: {}", known_list(orgs.iter().filter(|o| o.kind == OrgKind::Peer).map(|o| o.name.as_str()))),
                    );
                }
            }
        }
        for (j, org) in entry.external_orgs.iter().enumerate() {
            if !orgs
                .iter()
                .any(|o| &o.name == org && o.kind == OrgKind::Peer)
                && !faults.is_refused_org(org)
            {
                faults.network(
                    &format!("{pointer}/externalOrgs/{j}"),
                    format!("channel `{}` lists external org `{org}`, which crypto-config.yaml does not define", entry.name),
                    "add it under ExternalPeerOrgs in crypto-config.yaml".into(),
                );
            }
        }
        let profile_name = entry.profile.clone().unwrap_or_else(|| entry.name.clone());
        let Some(profile) = configtx.profiles.get(&profile_name) else {
            faults.network(
                &format!("{pointer}/name"),
                format!(
                    "channel `{}` has no profile `{profile_name}` in configtx.yaml",
                    entry.name
                ),
                format!(
                    "add a profile named after the channel, or set `profile:`; profiles: {}",
                    known_list(configtx.profiles.keys().map(String::as_str))
                ),
            );
            continue;
        };
        let profile_pointer = format!("/Profiles/{profile_name}");
        let faults_before = faults.diagnostics.0.len();
        if let Some(resolved) = build_profile(
            faults,
            settings,
            orgs,
            configtx_orgs,
            entry,
            profile,
            &profile_pointer,
            genesis.as_ref().map(|(n, p)| (n.as_str(), *p)),
            warnings,
        ) {
            channels.push(Channel {
                name: entry.name.clone(),
                orgs: entry.orgs.clone(),
                external_orgs: entry.external_orgs.clone(),
                // A profile with faults (say an unknown capability, left out of
                // the list) is not judged: no cascade of legacy-lifecycle errors.
                legacy_lifecycle: faults.diagnostics.0.len() == faults_before
                    && !capabilities::has_v2_lifecycle(&resolved.application.capabilities),
                profile: resolved,
            });
        }
    }
    channels
}

fn org_name_for(orgs: &[Org], kind: OrgKind, def: &cx::Organization) -> Option<String> {
    let id = def.id.clone().unwrap_or_else(|| def.name.clone());
    orgs.iter()
        .find(|o| o.kind == kind && o.msp_id == id)
        .map(|o| o.name.clone())
}

#[allow(clippy::too_many_arguments)]
fn build_profile(
    faults: &mut Faults,
    settings: &Settings,
    orgs: &[Org],
    _configtx_orgs: &ConfigtxOrgs,
    entry: &crate::load::network::ChannelEntry,
    profile: &cx::Profile,
    pointer: &str,
    genesis: Option<(&str, &cx::Profile)>,
    warnings: &mut Vec<String>,
) -> Option<ChannelProfile> {
    let configtx = &faults.project.configtx.value;
    let version = settings.fabric_version;

    // Orderer section: the profile's own, else the genesis profile's (PIVT), else the defaults.
    let (orderer, orderer_pointer) = match (&profile.orderer, genesis) {
        (Some(o), _) => (o.clone(), format!("{pointer}/Orderer")),
        (None, Some((name, g))) if g.orderer.is_some() => (
            g.orderer.clone().unwrap_or_default(),
            format!("/Profiles/{name}/Orderer"),
        ),
        _ => match &configtx.orderer {
            Some(o) => (o.clone(), "/Orderer".to_string()),
            None => {
                faults.configtx(
                    pointer,
                    format!("profile of channel `{}` has no Orderer section", entry.name),
                    "add `Orderer:` to the profile, or set network.genesisProfile to a profile that has one".into(),
                );
                return None;
            }
        },
    };
    let mut orderer_orgs = Vec::new();
    for (i, def) in orderer.organizations.iter().flatten().enumerate() {
        match org_name_for(orgs, OrgKind::Orderer, def) {
            Some(name) => orderer_orgs.push(name),
            None if faults.is_refused_org(def.id.as_deref().unwrap_or(&def.name)) => {}
            None => faults.configtx(
                &format!("{orderer_pointer}/Organizations/{i}"),
                format!(
                    "orderer org `{}` is not an orderer org of crypto-config.yaml",
                    def.id.as_deref().unwrap_or(&def.name)
                ),
                format!(
                    "known orderer orgs: {}",
                    known_list(
                        orgs.iter()
                            .filter(|o| o.kind == OrgKind::Orderer)
                            .map(|o| o.msp_id.as_str())
                    )
                ),
            ),
        }
    }
    if orderer_orgs.is_empty() && orderer.organizations.iter().flatten().next().is_none() {
        faults.configtx(
            &orderer_pointer,
            format!(
                "the orderer section of channel `{}` lists no organizations",
                entry.name
            ),
            "list the orderer orgs under Orderer.Organizations".into(),
        );
        return None;
    }
    let orderer_type = orderer
        .orderer_type
        .clone()
        .unwrap_or_else(|| "solo".into());
    let consenters = match orderer_type.as_str() {
        "etcdraft" => {
            let declared = orderer
                .etcd_raft
                .as_ref()
                .and_then(|r| r.consenters.clone())
                .unwrap_or_default();
            let mut out = Vec::new();
            for (i, c) in declared.iter().enumerate() {
                match find_node(orgs, OrgKind::Orderer, &c.host) {
                    // Another cluster's orderer: reached as configtx.yaml says.
                    Some((org, node)) if org.external => out.push(Consenter {
                        host: c.host.clone(),
                        port: c.port,
                        ..consenter(org, node)
                    }),
                    Some((org, node)) => out.push(consenter(org, node)),
                    None if faults.is_refused_host(&c.host) => {}
                    None => faults.configtx(
                        &format!("{orderer_pointer}/EtcdRaft/Consenters/{i}/Host"),
                        format!(
                            "consenter `{}` is not an orderer node of crypto-config.yaml",
                            c.host
                        ),
                        format!(
                            "known orderers: {}",
                            known_list(
                                orgs.iter()
                                    .filter(|o| o.kind == OrgKind::Orderer)
                                    .flat_map(|o| o.nodes.iter().map(|n| n.fqdn.as_str()))
                            )
                        ),
                    ),
                }
            }
            if declared.is_empty() {
                out = all_consenters(orgs, &orderer_orgs);
            }
            out
        }
        "solo" | "kafka" => {
            let warning = format!(
                "channel `{}`: OrdererType `{orderer_type}` cannot run without a system channel; fabchart makes it etcdraft with every orderer node of the channel's orderer orgs as consenter",
                entry.name
            );
            if !warnings.contains(&warning) {
                warnings.push(warning);
            }
            let mut all = all_consenters(orgs, &orderer_orgs);
            if orderer_type == "solo" {
                all.truncate(1);
            }
            all
        }
        // Refused where it is written (configtx_rules).
        _ => return None,
    };
    let refused_orderer_org = orderer
        .organizations
        .iter()
        .flatten()
        .any(|def| faults.is_refused_org(def.id.as_deref().unwrap_or(&def.name)));
    if consenters.is_empty() && !refused_orderer_org {
        faults.configtx(
            &orderer_pointer,
            format!(
                "channel `{}` has no orderer node to be its consenter",
                entry.name
            ),
            "give the orderer orgs at least one node (Specs or Template) in crypto-config.yaml"
                .into(),
        );
    }

    let application = profile.application.clone().unwrap_or_default();
    let app_pointer = format!("{pointer}/Application");
    let mut app_orgs = Vec::new();
    for (i, def) in application.organizations.iter().flatten().enumerate() {
        match org_name_for(orgs, OrgKind::Peer, def) {
            Some(name) => app_orgs.push(name),
            None if faults.is_refused_org(def.id.as_deref().unwrap_or(&def.name)) => {}
            None => faults.configtx(
                &format!("{app_pointer}/Organizations/{i}"),
                format!(
                    "application org `{}` is not a peer org of crypto-config.yaml",
                    def.id.as_deref().unwrap_or(&def.name)
                ),
                format!(
                    "known peer orgs: {}",
                    known_list(
                        orgs.iter()
                            .filter(|o| o.kind == OrgKind::Peer)
                            .map(|o| o.msp_id.as_str())
                    )
                ),
            ),
        }
    }
    // PIVT's way to grow a channel: network.yaml lists the orgs a channel
    // should have, while the profile keeps the ones it was created with. The
    // emitted profile has both; `fabchart flow peer-org` adds the new ones to
    // a running channel.
    for org in &entry.orgs {
        if orgs
            .iter()
            .any(|o| &o.name == org && o.kind == OrgKind::Peer)
            && !app_orgs.contains(org)
        {
            app_orgs.push(org.clone());
        }
    }
    let defaults_app = configtx.application.clone().unwrap_or_default();
    let app_caps_map = application
        .capabilities
        .clone()
        .or(defaults_app.capabilities.clone());
    let app_capabilities = capability_names(
        faults,
        app_caps_map.as_ref(),
        Scope::Application,
        &format!("{app_pointer}/Capabilities"),
        version,
    );
    let mut app_policies = application
        .policies
        .clone()
        .or(defaults_app.policies.clone())
        .unwrap_or_else(default_section_policies);
    if capabilities::has_v2_lifecycle(&app_capabilities) {
        for name in ["LifecycleEndorsement", "Endorsement"] {
            app_policies.entry(name.into()).or_insert(Policy {
                kind: "ImplicitMeta".into(),
                rule: "MAJORITY Endorsement".into(),
            });
        }
    }

    let channel_defaults = configtx.channel.clone().unwrap_or_default();
    let channel_caps_map = profile
        .capabilities
        .clone()
        .or(channel_defaults.capabilities.clone());
    let orderer_caps_map = orderer.capabilities.clone();
    let mut orderer_policies = orderer
        .policies
        .clone()
        .unwrap_or_else(default_section_policies);
    orderer_policies
        .entry("BlockValidation".into())
        .or_insert(Policy {
            kind: "ImplicitMeta".into(),
            rule: "ANY Writers".into(),
        });

    Some(ChannelProfile {
        policies: profile
            .policies
            .clone()
            .or(channel_defaults.policies.clone())
            .unwrap_or_else(default_section_policies),
        capabilities: capability_names(
            faults,
            channel_caps_map.as_ref(),
            Scope::Channel,
            &format!("{pointer}/Capabilities"),
            version,
        ),
        orderer: OrdererSection {
            batch_timeout: orderer.batch_timeout.clone().unwrap_or_else(|| "2s".into()),
            batch_size: orderer.batch_size.clone().unwrap_or(BatchSize {
                max_message_count: Some(500),
                absolute_max_bytes: Some(cx::ByteSize::Text("10 MB".into())),
                preferred_max_bytes: Some(cx::ByteSize::Text("2 MB".into())),
            }),
            consenters,
            raft_options: orderer
                .etcd_raft
                .as_ref()
                .and_then(|r| r.options.clone())
                .unwrap_or_default(),
            orgs: orderer_orgs,
            policies: orderer_policies,
            capabilities: capability_names(
                faults,
                orderer_caps_map.as_ref(),
                Scope::Orderer,
                &format!("{orderer_pointer}/Capabilities"),
                version,
            ),
        },
        application: ApplicationSection {
            orgs: app_orgs,
            policies: app_policies,
            capabilities: app_capabilities,
            acls: application
                .acls
                .clone()
                .or(defaults_app.acls.clone())
                .unwrap_or_default(),
        },
    })
}

fn default_section_policies() -> Policies {
    let meta = |rule: &str| Policy {
        kind: "ImplicitMeta".into(),
        rule: rule.into(),
    };
    let mut p = IndexMap::new();
    p.insert("Readers".into(), meta("ANY Readers"));
    p.insert("Writers".into(), meta("ANY Writers"));
    p.insert("Admins".into(), meta("MAJORITY Admins"));
    p
}

fn consenter(org: &Org, node: &Node) -> Consenter {
    Consenter {
        org: org.name.clone(),
        node: node.hostname.clone(),
        host: node.host.clone(),
        port: node.cluster_port.unwrap_or(names::ORDERER_PORT),
        tls_cert: format!("{}/tls/server.crt", node.crypto_dir),
    }
}

fn all_consenters(orgs: &[Org], orderer_orgs: &[String]) -> Vec<Consenter> {
    orgs.iter()
        .filter(|o| o.kind == OrgKind::Orderer && orderer_orgs.contains(&o.name))
        .flat_map(|o| o.nodes.iter().map(move |n| consenter(o, n)))
        .collect()
}

fn build_chaincodes(
    faults: &mut Faults,
    orgs: &[Org],
    channels: &[Channel],
    msp_ids: &[String],
) -> Vec<Chaincode> {
    let project = faults.project;
    let mut out = Vec::new();
    let mut seen_keys = HashMap::new();
    for (i, entry) in project.network.value.network.chaincodes.iter().enumerate() {
        let pointer = format!("/network/chaincodes/{i}");
        if !names::is_chaincode_name(&entry.name) {
            faults.network(
                &format!("{pointer}/name"),
                format!("`{}` is not a valid chaincode name", entry.name),
                "Fabric chaincode names are letters and digits joined by single `-` or `_`".into(),
            );
            continue;
        }
        let key = names::chaincode_key(&entry.name);
        if let Some(previous) = seen_keys.insert(key.clone(), entry.name.clone()) {
            faults.network(
                &format!("{pointer}/name"),
                format!(
                    "chaincode `{}` collides with `{previous}` in Kubernetes names",
                    entry.name
                ),
                "rename one of them".into(),
            );
            continue;
        }
        if let Some(chaincode) =
            build_chaincode(faults, orgs, channels, msp_ids, entry, &pointer, key)
        {
            out.push(chaincode);
        }
    }
    out
}

fn yaml_scalar(value: &serde_yaml::Value) -> Option<String> {
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

#[allow(clippy::too_many_arguments)]
fn build_chaincode(
    faults: &mut Faults,
    orgs: &[Org],
    channels: &[Channel],
    msp_ids: &[String],
    entry: &ChaincodeEntry,
    pointer: &str,
    key: String,
) -> Option<Chaincode> {
    let kind = match entry.kind.as_deref() {
        None | Some("ccaas") => ChaincodeKind::Ccaas,
        Some("source") => ChaincodeKind::Source,
        Some(other) => {
            faults.network(
                &format!("{pointer}/type"),
                format!("chaincode type `{other}` is unknown"),
                "use `ccaas` (chaincode as a service, the default) or `source` (docker-in-docker build)".into(),
            );
            return None;
        }
    };
    let language = entry.language.clone().unwrap_or_else(|| "golang".into());
    if !["golang", "node", "java"].contains(&language.as_str()) {
        faults.network(
            &format!("{pointer}/language"),
            format!("chaincode language `{language}` is unknown"),
            "use golang, node or java".into(),
        );
    }
    let mut ok = true;
    for (j, org) in entry.orgs.iter().enumerate() {
        if !orgs
            .iter()
            .any(|o| &o.name == org && o.kind == OrgKind::Peer)
        {
            ok = false;
            if faults.is_refused_org(org) {
                continue;
            }
            faults.network(
                &format!("{pointer}/orgs/{j}"),
                format!("chaincode `{}` lists org `{org}`, which crypto-config.yaml does not define as a peer org", entry.name),
                format!("known peer orgs: {}", known_list(orgs.iter().filter(|o| o.kind == OrgKind::Peer).map(|o| o.name.as_str()))),
            );
        }
    }
    let mut cc_channels = Vec::new();
    for (j, cc_channel) in entry.channels.iter().enumerate() {
        let cpointer = format!("{pointer}/channels/{j}");
        let Some(channel) = channels.iter().find(|c| c.name == cc_channel.name) else {
            ok = false;
            if faults.declared_channel(&cc_channel.name).is_some() {
                // The channel itself was refused (and reported) already.
                continue;
            }
            faults.network(
                &format!("{cpointer}/name"),
                format!(
                    "chaincode `{}` names channel `{}`, which network.channels does not define",
                    entry.name, cc_channel.name
                ),
                format!(
                    "known channels: {}",
                    known_list(channels.iter().map(|c| c.name.as_str()))
                ),
            );
            continue;
        };
        // A channel that lists an unknown org (reported) is not judged: the
        // org meant there is likely the one missing here.
        let channel_faulty = faults.channels_with_unknown_orgs.contains(&channel.name);
        for (k, org) in cc_channel.orgs.iter().enumerate() {
            if !channel.orgs.contains(org) && !channel_faulty {
                ok = false;
                faults.network(
                    &format!("{cpointer}/orgs/{k}"),
                    format!("org `{org}` runs chaincode `{}` on channel `{}` but is not on that channel", entry.name, channel.name),
                    format!("add `{org}` to the channel's orgs, or remove it here; channel orgs: {}", known_list(channel.orgs.iter().map(String::as_str))),
                );
            }
        }
        if let Some(policy) = &cc_channel.policy {
            let at = format!("{cpointer}/policy");
            match SignaturePolicy::parse(policy) {
                Err(e) => {
                    ok = false;
                    faults.inside(File::Network, &at, e.offset, e.message, e.help);
                }
                Ok(parsed) => {
                    for principal in parsed.principals() {
                        if !msp_ids.contains(&principal.msp_id) {
                            ok = false;
                            faults.inside(
                                File::Network,
                                &at,
                                principal.offset,
                                configtx_rules::unknown_msp_message(&principal.msp_id),
                                configtx_rules::unknown_msp_help(msp_ids),
                            );
                        }
                    }
                }
            }
        }
        if channel.legacy_lifecycle {
            match legacy_channel_fits(faults, entry, kind, channel, cc_channel, &cpointer) {
                LegacyFit::Fits => {}
                LegacyFit::Skip => continue,
                LegacyFit::Refused => ok = false,
            }
        }
        if cc_channel.policy.is_some() && cc_channel.channel_config_policy.is_some() {
            faults.network(
                &cpointer,
                "a chaincode definition takes either `policy` or `channelConfigPolicy`, not both"
                    .into(),
                "remove one of them".into(),
            );
        }
        let collections_file = cc_channel
            .collections
            .as_ref()
            .map(|c| faults.project.dir.join(c));
        if let Some(file) = &collections_file {
            if !file.is_file() {
                ok = false;
                faults.network(
                    &format!("{cpointer}/collections"),
                    format!("collections file `{}` does not exist", file.display()),
                    "give a path relative to the project folder".into(),
                );
            }
        }
        cc_channels.push(ChaincodeChannel {
            channel: cc_channel.name.clone(),
            orgs: cc_channel.orgs.clone(),
            signature_policy: cc_channel.policy.clone(),
            channel_config_policy: cc_channel.channel_config_policy.clone(),
            init_required: cc_channel.init_required,
            collections_file,
        });
    }
    let source_dir = match kind {
        ChaincodeKind::Source => {
            let dir = faults.project.dir.join(
                entry
                    .path
                    .clone()
                    .unwrap_or_else(|| format!("chaincode/{}", entry.name)),
            );
            if !dir.is_dir() {
                ok = false;
                faults.network(
                    &format!("{pointer}/name"),
                    format!(
                        "source of chaincode `{}` not found at `{}`",
                        entry.name,
                        dir.display()
                    ),
                    "put the source there, set `path:`, or use `type: ccaas` with an `image:`"
                        .into(),
                );
            }
            Some(dir)
        }
        ChaincodeKind::Ccaas => None,
    };
    if !ok {
        return None;
    }
    let port = entry.port.unwrap_or(names::CHAINCODE_SERVER_PORT);
    let packages = entry
        .orgs
        .iter()
        .filter_map(|name| orgs.iter().find(|o| &o.name == name && !o.external))
        .map(|org| {
            let object = names::chaincode_object(&org.key, &key);
            ChaincodePackage {
                org: org.name.clone(),
                label: format!("{}_{}", entry.name, org.key),
                file: format!("chaincode/{key}/{}.tar.gz", org.key),
                configmap_key: format!("{key}--{}.tar.gz", org.key),
                address: format!("{object}:{port}"),
                object,
            }
        })
        .collect();
    Some(Chaincode {
        name: entry.name.clone(),
        key,
        version: entry.version.as_ref().and_then(yaml_scalar),
        kind,
        language,
        image: entry.image.clone(),
        port,
        env: entry.env.clone(),
        source_dir,
        orgs: entry.orgs.clone(),
        channels: cc_channels,
        packages,
    })
}

/// Whether chaincode `entry` can run on `channel`, which uses the legacy
/// lifecycle: there, `peer chaincode install` hands the peer source code that
/// it builds and launches through its Docker endpoint, so chaincode as a
/// service has no way in, and there are no channel-config endorsement policies.
/// A chaincode whose network.yaml entry names no `type` (PIVT's inputs, written
/// for Fabric 1.4) is left off such a channel with a warning instead: the
/// channel is usable once its Application capability is raised.
fn legacy_channel_fits(
    faults: &mut Faults,
    entry: &ChaincodeEntry,
    kind: ChaincodeKind,
    channel: &Channel,
    cc_channel: &crate::load::network::ChaincodeChannel,
    cpointer: &str,
) -> LegacyFit {
    let capabilities = known_list(
        channel
            .profile
            .application
            .capabilities
            .iter()
            .map(String::as_str),
    );
    let profile = faults
        .declared_channel(&channel.name)
        .and_then(|c| c.profile.clone())
        .unwrap_or_else(|| channel.name.clone());
    if kind == ChaincodeKind::Ccaas && entry.kind.is_none() {
        let source = &faults.project.network.source;
        let at = source.locate(&format!("{cpointer}/name"));
        faults.warnings.push(format!(
            "{}:{}:{}: chaincode `{}` (chaincode as a service by default) is left off channel `{}`, whose Application capabilities ({capabilities}) have no V2_0; raise them (`fabchart flow channel-update --set update.application.capabilities.version=V2_0`, and V2_0 in profile `{profile}`) to run it there",
            source.display, at.line, at.column, entry.name, channel.name
        ));
        return LegacyFit::Skip;
    }
    let mut ok = true;
    if kind == ChaincodeKind::Ccaas {
        ok = false;
        faults.network(
            &format!("{cpointer}/name"),
            format!(
                "chaincode `{}` runs as a service (`type: ccaas`), which channel `{}` cannot deploy: its Application capabilities ({capabilities}) have no V2_0, so it uses the legacy lifecycle, whose install takes source code for the peer to build",
                entry.name, channel.name
            ),
            format!(
                "raise the Application capability of profile `{profile}` to V2_0 (or V2_5) in configtx.yaml, or make the chaincode `type: source` (with `language` and `path`) and set the chart value peer.docker.dind.enabled=true"
            ),
        );
    }
    if cc_channel.channel_config_policy.is_some() {
        ok = false;
        faults.network(
            &format!("{cpointer}/channelConfigPolicy"),
            format!(
                "channel `{}` uses the legacy lifecycle (Application capabilities: {capabilities}), which has no channel-config endorsement policies",
                channel.name
            ),
            format!("give a signature `policy` instead, or raise the Application capability of profile `{profile}` to V2_0"),
        );
    }
    if ok {
        LegacyFit::Fits
    } else {
        LegacyFit::Refused
    }
}

enum LegacyFit {
    Fits,
    /// Left off the channel, with a warning.
    Skip,
    Refused,
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
        return Some(OrdererRef {
            org: org.name.clone(),
            msp_id: org.msp_id.clone(),
            host: format!("{}.{}", ext.host, ext.domain),
            port,
            admin_port: None,
            tls_ca: format!(
                "{}/msp/tlscacerts/{}",
                org.crypto_dir,
                org.crypto.tlscacert_file()
            ),
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
        tls_ca: format!(
            "{}/msp/tlscacerts/{}",
            org.crypto_dir,
            org.crypto.tlscacert_file()
        ),
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
