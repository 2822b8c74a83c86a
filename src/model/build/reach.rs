//! How the clusters of a network reach each other: this cluster's nodes'
//! external IPs (network.yaml's `expose`, which its bundles carry), the
//! other clusters' orgs' imported bundles, and the hostAliases they give.

use std::net::IpAddr;

use super::*;
use crate::load::Diagnostic;

/// network.yaml's `expose`: each local node's external IP.
pub(super) fn apply_expose(faults: &mut Faults, orgs: &mut [Org]) {
    let Some(expose) = &faults.project.network.value.expose else {
        return;
    };
    let is_ip = |ip: &str| ip.parse::<IpAddr>().is_ok();
    let mut default_ip = expose.ip.clone();
    if let Some(ip) = expose.ip.as_deref().filter(|ip| !is_ip(ip)) {
        faults.network(
            "/expose/ip",
            format!("expose.ip `{ip}` is no IP address"),
            "give the IP the nodes' names resolve to from other clusters (the ingress controller's), or leave it out when public DNS has them".into(),
        );
        default_ip = None;
    }
    let mut per_node = IndexMap::new();
    for (node, ip) in &expose.nodes {
        let pointer = format!(
            "/expose/nodes/{}",
            node.replace('~', "~0").replace('/', "~1")
        );
        if !is_ip(ip) {
            faults.network(
                &pointer,
                format!("expose.nodes.{node}: `{ip}` is no IP address"),
                "give the IP of the node's load balancer".into(),
            );
            continue;
        }
        let known = orgs
            .iter()
            .filter(|o| !o.external)
            .flat_map(|o| &o.nodes)
            .any(|n| &n.fqdn == node || &n.object == node);
        if !known {
            let local: Vec<&str> = orgs
                .iter()
                .filter(|o| !o.external)
                .flat_map(|o| o.nodes.iter().map(|n| n.fqdn.as_str()))
                .collect();
            faults.value(
                File::Network,
                &pointer,
                format!("expose.nodes: `{node}` is no peer or orderer of this cluster"),
                format!("name a node by its fqdn ({})", known_list(local)),
            );
            continue;
        }
        per_node.insert(node.clone(), ip.clone());
    }
    for org in orgs.iter_mut().filter(|o| !o.external) {
        for node in &mut org.nodes {
            node.external_ip = per_node
                .get(&node.fqdn)
                .or_else(|| per_node.get(&node.object))
                .cloned()
                .or_else(|| default_ip.clone());
        }
    }
}

/// Each imported bundle's org, checked and attached to the external org it
/// is for.
pub(super) fn attach_bundles(faults: &mut Faults, orgs: &mut [Org], warnings: &mut Vec<String>) {
    let mut seen: IndexMap<String, String> = IndexMap::new();
    for input in &faults.project.bundles {
        let source = &input.source;
        for (index, bundled) in input.value.orgs.iter().enumerate() {
            let mut fault = |pointer: &str, message: String, help: String| {
                faults
                    .diagnostics
                    .push(Diagnostic::at(source, source.locate(pointer), message).with_help(help));
            };
            let at = format!("/orgs/{index}");
            if let Some(other) = seen.insert(bundled.msp_id.clone(), source.display.clone()) {
                fault(
                    &format!("{at}/mspId"),
                    format!("{} is imported twice (also in {other})", bundled.msp_id),
                    "keep one bundle per org in bundles/".into(),
                );
                continue;
            }
            let Some(org) = orgs.iter_mut().find(|o| o.msp_id == bundled.msp_id) else {
                warnings.push(format!(
                    "{}: org {} ({}) is not in this network's configtx.yaml, so its bundle is not used; \
                     add the org to configtx.yaml (and the channels it belongs to) or remove the file",
                    source.display, bundled.name, bundled.msp_id
                ));
                continue;
            };
            if !org.external {
                fault(
                    &format!("{at}/mspId"),
                    format!(
                        "org {} ({}) runs in this cluster; a bundle brings in another cluster's org",
                        org.name, org.msp_id
                    ),
                    format!("remove {}", source.display),
                );
                continue;
            }
            if org.kind != bundled.kind || !org.domain.eq_ignore_ascii_case(&bundled.domain) {
                fault(
                    &format!("{at}/domain"),
                    format!(
                        "the bundle's {} is a {} org of {}, but this project has it as a {} org of {}",
                        bundled.msp_id,
                        bundled.kind.as_str(),
                        bundled.domain,
                        org.kind.as_str(),
                        org.domain
                    ),
                    "make configtx.yaml's MSPDir (or crypto-config.yaml's External*Orgs entry) name the org's kind and domain as the bundle does".into(),
                );
                continue;
            }
            let faults_before = faults.diagnostics.0.len();
            for f in crate::bundle::verify(bundled, index) {
                faults.diagnostics.push(
                    Diagnostic::at(source, source.locate(&f.pointer), f.message).with_help(f.help),
                );
            }
            if faults.diagnostics.0.len() == faults_before {
                // A peer org declared without its peers has the bundle's.
                if org.kind == OrgKind::Peer && org.nodes.is_empty() {
                    org.nodes = bundled
                        .nodes
                        .iter()
                        .filter_map(|endpoint| bundle_peer(org, endpoint))
                        .collect();
                }
                // The org's nodes are where its bundle says.
                for node in &mut org.nodes {
                    let endpoint = bundled.nodes.iter().find(|n| n.name == node.fqdn);
                    let Some((host, port)) =
                        endpoint.and_then(|e| crate::bundle::split_address(&e.address))
                    else {
                        continue;
                    };
                    node.host = host.to_string();
                    node.port = port;
                    node.address = Endpoint {
                        host: host.to_string(),
                        port,
                    }
                    .address();
                }
                org.bundle = Some(ImportedBundle {
                    file: source.display.clone(),
                    org: bundled.clone(),
                });
            }
        }
    }
}

/// The hostAliases other clusters' bundles give: one entry per IP, its
/// hosts in the order the orgs and their nodes come.
pub(super) fn host_aliases(orgs: &[Org]) -> Vec<HostAlias> {
    let mut out: Vec<HostAlias> = Vec::new();
    let endpoints = orgs
        .iter()
        .filter_map(|o| o.bundle.as_ref())
        .flat_map(|b| &b.org.nodes);
    for node in endpoints {
        let (Some(ip), Some((host, _))) = (&node.ip, crate::bundle::split_address(&node.address))
        else {
            continue;
        };
        match out.iter_mut().find(|a| &a.ip == ip) {
            Some(alias) if alias.hostnames.iter().any(|h| h == host) => {}
            Some(alias) => alias.hostnames.push(host.to_string()),
            None => out.push(HostAlias {
                ip: ip.clone(),
                hostnames: vec![host.to_string()],
            }),
        }
    }
    out
}

/// A peer of another cluster's org, as its bundle names it: known here by
/// its address only (the flows send it proposals to endorse).
fn bundle_peer(org: &Org, endpoint: &crate::bundle::NodeEndpoint) -> Option<Node> {
    let (host, port) = crate::bundle::split_address(&endpoint.address)?;
    let fqdn = endpoint.name.to_lowercase();
    let hostname = fqdn
        .strip_suffix(&format!(".{}", org.domain))
        .unwrap_or(&fqdn)
        .to_string();
    let object = names::node_object(org.kind, &org.key, &hostname);
    Some(Node {
        crypto_dir: format!("{}/{}/{fqdn}", org.crypto_dir, org.kind.nodes_folder()),
        secret: names::node_secret(&object),
        data: DataVolume::of(&object),
        external_service: format!("{object}-external"),
        address: endpoint.address.clone(),
        host: host.to_string(),
        port,
        hostname,
        fqdn,
        object,
        chaincode_address: None,
        gossip_bootstrap: Vec::new(),
        couchdb: None,
        couchdb_address: None,
        couchdb_data: None,
        cluster_port: None,
        admin_port: None,
        external_ip: endpoint.ip.clone(),
    })
}
