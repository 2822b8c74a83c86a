//! The orgs: crypto-config.yaml's (local and PIVT's external ones) and those
//! configtx.yaml alone names (other clusters'), each with its nodes, users,
//! CA, Secrets and the material the generator makes for it.

use super::*;

pub(super) fn build_orgs(
    faults: &mut Faults,
    settings: &Settings,
    configtx: &ConfigtxOrgs,
) -> Vec<Org> {
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
pub(super) fn add_implicit_external_orgs(
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
pub(super) fn msp_dir_org(msp_dir: &str) -> Option<(OrgKind, String)> {
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
pub(super) fn render_template(template: &str, fields: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in fields {
        for spaced in [format!("{{{{.{name}}}}}"), format!("{{{{ .{name} }}}}")] {
            out = out.replace(&spaced, value);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build_org(
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
        org_msp: format!("{CRYPTO_DIR}/{org_dir}/msp"),
        users_tls_client: kind == OrgKind::Orderer,
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
    // Every identity the chart keeps in a Secret, in a stable order: nodes,
    // the admin, users, the CA.
    let mut identities = IndexMap::new();
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
        let secret = names::node_secret(&object);
        let (files, shared) = msp_files.of(&paths);
        identities.insert(
            secret.clone(),
            SecretIdentity {
                name: fqdn.clone(),
                files,
                shared,
            },
        );
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
        let address = Endpoint {
            host: host.clone(),
            port,
        }
        .address();
        let chaincode_address = (kind == OrgKind::Peer).then(|| {
            Endpoint {
                host: host.clone(),
                port: names::PEER_CHAINCODE_PORT,
            }
            .address()
        });
        let couchdb_address = couchdb.as_ref().map(|object| {
            Endpoint {
                host: object.clone(),
                port: names::COUCHDB_PORT,
            }
            .address()
        });
        nodes.push(Node {
            address,
            chaincode_address,
            couchdb_address,
            gossip_bootstrap: Vec::new(),
            data: DataVolume::of(&object),
            secret,
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
            external_ip: None,
        });
    }

    // A peer gossips first with the org's other peers (itself when alone).
    if kind == OrgKind::Peer {
        let addresses: Vec<String> = nodes.iter().map(|n| n.address.clone()).collect();
        for node in &mut nodes {
            let others: Vec<String> = addresses
                .iter()
                .filter(|a| **a != node.address)
                .cloned()
                .collect();
            node.gossip_bootstrap = if others.is_empty() {
                vec![node.address.clone()]
            } else {
                others
            };
        }
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
    let mut identity = |name: &str, secret: String| {
        let paths = IdentityPaths::user(&org_dir, name);
        let (files, shared) = msp_files.of(&paths);
        identities.insert(
            secret.clone(),
            SecretIdentity {
                name: name.to_string(),
                files,
                shared,
            },
        );
        Identity {
            name: name.to_string(),
            crypto_dir: format!("{CRYPTO_DIR}/{}", paths.dir),
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
            identity(&u.common_name, names::user_secret(&key, &user_key))
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
        common_name: ca_common_name,
    };
    identities.insert(
        ca.secret.clone(),
        SecretIdentity {
            name: ca.common_name.clone(),
            files: vec![
                secret_file(
                    pod::CA_CERT_FILE,
                    format!("{CRYPTO_DIR}/{}", crypto.ca_cert()),
                    pod::CA_CERT_FILE,
                ),
                secret_file(
                    pod::CA_KEY_FILE,
                    format!("{CRYPTO_DIR}/{}", crypto.ca_key()),
                    pod::CA_KEY_FILE,
                ),
            ],
            shared: Vec::new(),
        },
    );
    if external {
        identities.clear();
    }

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
        identities,
        policies,
        anchor_peers: Vec::new(),
        crypto,
        bundle: None,
    })
}

/// At most this many nodes (`Template.Count`) and users (`Users.Count`) in
/// one org. A real org runs a handful of peers and a few admin users (client
/// identities come from its CA); each node here is a StatefulSet with its own
/// keys and Secrets, and a Helm release of a few hundred nodes already
/// outgrows the 1 MiB Secret Helm keeps it in. The bound only stops a slip
/// (an extra digit, or -1 written as 18446744073709551615) from exhausting
/// memory or time.
pub(super) const MAX_PER_ORG: usize = 10_000;

/// `Template.Start + Count` at most this: node indexes stay short in names,
/// and the sum cannot overflow.
pub(super) const MAX_TEMPLATE_INDEX: usize = 1_000_000;

/// Whether an org's Template and Users counts are within bounds; reports
/// those that are not.
pub(super) fn counts_in_bounds(faults: &mut Faults, spec: &OrgSpec, pointer: &str) -> bool {
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

pub(super) fn default_org_policies(kind: OrgKind, msp_id: &str, node_ous: bool) -> Policies {
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

pub(super) fn secret_file(key: &str, source: String, mount: &str) -> SecretFile {
    SecretFile {
        key: key.to_string(),
        source,
        mount: mount.to_string(),
    }
}

/// The files of one identity in cryptogen's layout: its own (certificates
/// and keys, in its Secret) and the org's public ones every identity folder
/// holds a copy of (CA certificates, config.yaml), which pods and flows take
/// once per org from the configtx ConfigMap. Without NodeOUs an MSP holds an
/// admin certificate instead of config.yaml: nodes the org admin's (the
/// org's public msp/admincerts), users their own (as cryptogen writes them).
pub(super) struct MspFiles<'a> {
    node_ous: bool,
    cacert: &'a str,
    tlscacert: &'a str,
    /// The org admin's name.
    admin: String,
    /// The org's public MSP folder, chart-relative (`crypto-config/.../msp`).
    org_msp: String,
    /// Whether a user's Secret carries its TLS client certificate and key.
    /// Only the orderers' admin API asks for one (mutual TLS, with the
    /// orderer org's TLS CA); peers and orderers serve a peer org's admin and
    /// users on server-authenticated TLS, so those keys stay out of the
    /// cluster (they remain in crypto-config/, cryptogen's layout).
    users_tls_client: bool,
}

impl MspFiles<'_> {
    /// (own files, org files) of the identity at `paths`.
    fn of(&self, paths: &IdentityPaths) -> (Vec<SecretFile>, Vec<SecretFile>) {
        let tls = paths.tls;
        let org = |rel: String| SecretFile {
            key: names::configtx_key(&format!("{}/{rel}", self.org_msp)),
            source: format!("{}/{rel}", self.org_msp),
            mount: format!("msp/{rel}"),
        };
        let mut shared = Vec::new();
        let mut own = Vec::new();
        if self.node_ous {
            shared.push(org("config.yaml".into()));
        } else if tls == "server" {
            shared.push(org(format!(
                "admincerts/{}",
                crypto_layout::cert_file(&self.admin)
            )));
        } else {
            let file = crypto_layout::cert_file(&paths.name);
            own.push(secret_file(
                "msp-admincert.pem",
                format!("{CRYPTO_DIR}/{}/msp/admincerts/{file}", paths.dir),
                &format!("msp/admincerts/{file}"),
            ));
        }
        shared.push(org(format!("cacerts/{}", self.cacert)));
        let tlscacert = org(format!("tlscacerts/{}", self.tlscacert));
        // tls/ca.crt is the same certificate.
        let tls_ca = SecretFile {
            mount: crypto_layout::TLS_CA.to_string(),
            ..tlscacert.clone()
        };
        shared.extend([tlscacert, tls_ca]);
        let signcert = crypto_layout::cert_file(&paths.name);
        own.extend([
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
        ]);
        if tls == "server" || self.users_tls_client {
            own.extend([
                secret_file(
                    &format!("tls-{tls}.crt"),
                    format!("{CRYPTO_DIR}/{}", paths.tls_cert()),
                    &crypto_layout::tls_cert(tls),
                ),
                secret_file(
                    &format!("tls-{tls}.key"),
                    format!("{CRYPTO_DIR}/{}", paths.tls_key()),
                    &crypto_layout::tls_key(tls),
                ),
            ]);
        }
        (own, shared)
    }
}
