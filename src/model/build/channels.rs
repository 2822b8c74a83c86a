//! The channels: each one's complete configtx.yaml profile (orderer and
//! application sections, consenters, capabilities), and the orgs' anchor peers.

use super::*;

/// Finds the node a configtx host names: by Service name, fqdn or `hostname`.
pub(super) fn find_node<'a>(
    orgs: &'a [Org],
    kind: OrgKind,
    host: &str,
) -> Option<(&'a Org, &'a Node)> {
    orgs.iter().filter(|o| o.kind == kind).find_map(|org| {
        org.nodes
            .iter()
            .find(|n| n.object == host || n.fqdn == host || n.host == host)
            .map(|n| (org, n))
    })
}

pub(super) fn resolve_anchor_peers(
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
        let bundled = org.bundle.as_ref().map(|b| {
            b.org
                .anchor_peers
                .iter()
                .filter_map(|a| crate::bundle::split_address(a))
                .map(|(host, port)| Endpoint {
                    host: host.to_string(),
                    port,
                })
                .collect::<Vec<_>>()
        });
        let anchors = match declared {
            // Another cluster's org: its anchor peers where its bundle says.
            _ if bundled.as_ref().is_some_and(|b| !b.is_empty()) => bundled.unwrap_or_default(),
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

pub(super) fn capability_names(
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

pub(super) fn build_channels(
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

pub(super) fn org_name_for(orgs: &[Org], kind: OrgKind, def: &cx::Organization) -> Option<String> {
    let id = def.id.clone().unwrap_or_else(|| def.name.clone());
    orgs.iter()
        .find(|o| o.kind == kind && o.msp_id == id)
        .map(|o| o.name.clone())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build_profile(
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
    let orderer_type_name = orderer
        .orderer_type
        .clone()
        .unwrap_or_else(|| "solo".into());
    let type_pointer = format!("{orderer_pointer}/OrdererType");
    let mut consenters_refused = false;
    let (orderer_type, consenters) = match orderer_type_name.as_str() {
        "BFT" => {
            if version.major < 3 {
                faults.configtx(
                    &type_pointer,
                    format!("OrdererType BFT needs Fabric 3; this network runs Fabric {version}"),
                    "set `fabricVersion: 3.1.5` (or another 3.x release) in network.yaml, or use etcdraft".into(),
                );
            }
            let declared: Vec<_> = orderer
                .consenter_mapping
                .iter()
                .flatten()
                .map(|c| (Some(c.id), c.host.as_str(), c.port))
                .collect();
            let at = format!("{orderer_pointer}/ConsenterMapping");
            let mut out = declared_consenters(faults, orgs, &declared, &at);
            if declared.is_empty() {
                out = all_consenters(orgs, &orderer_orgs);
            } else if out.len() < declared.len() {
                // Too few because of a refused host: a consequence, not a fault.
                consenters_refused = true;
            }
            (OrdererType::Bft, out)
        }
        "etcdraft" => {
            let declared: Vec<_> = orderer
                .etcd_raft
                .iter()
                .flat_map(|r| r.consenters.iter().flatten())
                .map(|c| (None, c.host.as_str(), c.port))
                .collect();
            let at = format!("{orderer_pointer}/EtcdRaft/Consenters");
            let mut out = declared_consenters(faults, orgs, &declared, &at);
            if declared.is_empty() {
                out = all_consenters(orgs, &orderer_orgs);
            }
            (OrdererType::Raft, out)
        }
        "solo" | "kafka" if version.major >= 3 => {
            faults.configtx(
                &type_pointer,
                format!("OrdererType `{orderer_type_name}` was removed in Fabric 3.0; this network runs Fabric {version}"),
                "use etcdraft (or BFT); a running network moves to etcdraft on Fabric 2.5 first (fabchart compiles solo and kafka as etcdraft there)".into(),
            );
            // The rest of the profile is still checked.
            (OrdererType::Raft, all_consenters(orgs, &orderer_orgs))
        }
        "solo" | "kafka" => {
            let orderer_type = orderer_type_name.as_str();
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
            (OrdererType::Raft, all)
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

    let channel_capabilities = capability_names(
        faults,
        channel_caps_map.as_ref(),
        Scope::Channel,
        &format!("{pointer}/Capabilities"),
        version,
    );
    if version.major >= 3 && !capabilities::has_v2_lifecycle(&app_capabilities) {
        faults.configtx(
            &format!("{app_pointer}/Capabilities"),
            format!(
                "channel `{}` would use the legacy chaincode lifecycle, which Fabric 3 removed",
                entry.name
            ),
            "set the Application capability V2_5 (or V2_0); a running channel gets it with `fabchart flow channel-update` on Fabric 2.5, and its chaincodes are then approved and committed with the v2 lifecycle, before the upgrade to 3.x".into(),
        );
    }
    let smart_bft = match orderer_type {
        OrdererType::Raft => None,
        OrdererType::Bft => {
            if !consenters_refused {
                bft_count_check(faults, entry, consenters.len(), &type_pointer);
            }
            bft_capability_check(faults, entry, &channel_capabilities, pointer);
            Some(orderer.smart_bft.clone().unwrap_or_default().completed())
        }
    };

    Some(ChannelProfile {
        policies: profile
            .policies
            .clone()
            .or(channel_defaults.policies.clone())
            .unwrap_or_else(default_section_policies),
        capabilities: channel_capabilities,
        orderer: OrdererSection {
            orderer_type,
            smart_bft,
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

/// BFT beyond configtxgen's own checks: enough consenters to tolerate a
/// faulty one.
fn bft_count_check(
    faults: &mut Faults,
    entry: &crate::load::network::ChannelEntry,
    n: usize,
    type_pointer: &str,
) {
    if n > 0 && n < 4 {
        faults.configtx(
            type_pointer,
            format!(
                "channel `{}` has {n} BFT consenter{}: BFT needs 4 to tolerate one faulty orderer",
                entry.name,
                if n == 1 { "" } else { "s" }
            ),
            "BFT tolerates f faulty orderers with 3f+1 consenters: give the channel's orderer orgs at least 4 orderer nodes (Template.Count or Specs in crypto-config.yaml), or use etcdraft".into(),
        );
    }
}

/// BFT needs the V3_0 channel capability.
fn bft_capability_check(
    faults: &mut Faults,
    entry: &crate::load::network::ChannelEntry,
    channel_capabilities: &[String],
    pointer: &str,
) {
    if !channel_capabilities.iter().any(|c| c == "V3_0") {
        faults.configtx(
            &format!("{pointer}/Capabilities"),
            format!(
                "channel `{}` orders with BFT, which needs the V3_0 channel capability",
                entry.name
            ),
            "add `V3_0: true` to the profile's Capabilities (configtxgen refuses BFT without it)"
                .into(),
        );
    }
}

pub(super) fn default_section_policies() -> Policies {
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

pub(super) fn consenter(id: u32, org: &Org, node: &Node) -> Consenter {
    Consenter {
        id,
        org: org.name.clone(),
        msp_id: org.msp_id.clone(),
        node: node.hostname.clone(),
        host: node.host.clone(),
        port: node.cluster_port.unwrap_or(names::ORDERER_PORT),
        tls_cert: format!("{}/tls/server.crt", node.crypto_dir),
        identity: format!(
            "{}/msp/signcerts/{}",
            node.crypto_dir,
            crate::model::layout::cert_file(&node.fqdn)
        ),
    }
}

/// The consenters configtx.yaml lists at `at` as (ID, host, port): each
/// host an orderer node (another cluster's reached at the given address),
/// numbered as given or else in order from 1; unknown hosts are refused.
fn declared_consenters(
    faults: &mut Faults,
    orgs: &[Org],
    declared: &[(Option<u32>, &str, u16)],
    at: &str,
) -> Vec<Consenter> {
    let mut out = Vec::new();
    for (i, &(id, host, port)) in declared.iter().enumerate() {
        let id = id.unwrap_or(out.len() as u32 + 1);
        match find_node(orgs, OrgKind::Orderer, host) {
            // Another cluster's orderer: reached where its bundle says, else
            // as configtx.yaml says.
            Some((org, node)) if org.external => out.push(Consenter {
                host: match org.bundle {
                    Some(_) => node.host.clone(),
                    None => host.to_string(),
                },
                port,
                ..consenter(id, org, node)
            }),
            Some((org, node)) => out.push(consenter(id, org, node)),
            None if faults.is_refused_host(host) => {}
            None => faults.configtx(
                &format!("{at}/{i}/Host"),
                format!("consenter `{host}` is not an orderer node of crypto-config.yaml"),
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
    out
}

/// Every orderer node of `orderer_orgs`, numbered from 1 in crypto-config.yaml
/// order (a node added at the end of an org keeps the others' IDs).
pub(super) fn all_consenters(orgs: &[Org], orderer_orgs: &[String]) -> Vec<Consenter> {
    orgs.iter()
        .filter(|o| o.kind == OrgKind::Orderer && orderer_orgs.contains(&o.name))
        .flat_map(|o| o.nodes.iter().map(move |n| (o, n)))
        .zip(1..)
        .map(|((o, n), id)| consenter(id, o, n))
        .collect()
}
