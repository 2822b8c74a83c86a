//! The chaincodes: their packages per org, the channels they run on with
//! their definitions, and where the legacy lifecycle applies.

use super::*;

pub(super) fn build_chaincodes(
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

#[allow(clippy::too_many_arguments)]
pub(super) fn build_chaincode(
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
                org_key: org.key.clone(),
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
        image_path: entry
            .image
            .as_deref()
            .map(|i| split_registry(i).1.to_string()),
        image: entry.image.clone(),
        port,
        listen_address: pod::Ports::chaincode_listen(port),
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
pub(super) fn legacy_channel_fits(
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

pub(super) enum LegacyFit {
    Fits,
    /// Left off the channel, with a warning.
    Skip,
    Refused,
}
