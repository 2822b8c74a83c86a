//! Public bundles: what another cluster needs of this cluster's orgs to put
//! them on its channels, and nothing secret. Per org: the public MSP (CA and
//! TLS CA certificates, NodeOU config), its orderers' TLS and enrollment
//! certificates (Raft and BFT consenters), where its nodes are reached from
//! other clusters, its anchor peers, and the fingerprints of its CAs.
//!
//! `fabchart bundle export` writes one from a compiled project;
//! `fabchart bundle import` checks one (every certificate against the
//! fingerprints it claims and the CAs that must have issued it; the CAs
//! against the identity record and, with `--expect`, against fingerprints
//! read out by the other side), then keeps it as `bundles/<MSP ID>.yaml` in
//! the project and pins its CAs in `fabchart.lock`. Compile takes the
//! imported orgs' public material and addresses from there.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::generate::crypto::fingerprint;
use crate::identity::short_fingerprint;
use crate::model::{names, OrgKind};
use crate::tree::Tree;

/// The project's folder of imported bundles, one file per org.
pub const BUNDLES_DIR: &str = "bundles";
/// The format's version, the file's first key.
pub const VERSION: u32 = 1;

const HEADER: &str = "\
# fabchart public bundle: the public MSP, orderer certificates and endpoints
# of the orgs below, for the other clusters of the network. It holds no
# secret. Import it with `fabchart bundle import FILE PROJECT`, after
# comparing the short fingerprints below with the sender's, e.g. by phone.
";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Bundle {
    pub fabchart_bundle: u32,
    pub orgs: Vec<OrgBundle>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrgBundle {
    pub name: String,
    pub msp_id: String,
    pub kind: OrgKind,
    pub domain: String,
    /// SHA-256 (hex of the DER) of each certificate in `msp/cacerts` and
    /// `msp/tlscacerts`: what fabchart.lock pins.
    pub fingerprints: BundlePrints,
    /// Where other clusters reach the org's nodes.
    #[serde(default)]
    pub nodes: Vec<NodeEndpoint>,
    /// Peer orgs: `host:port` of the anchor peers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anchor_peers: Vec<String>,
    /// Public files below the org's folder in cryptogen's layout
    /// (`msp/cacerts/...`, `orderers/<node>/tls/server.crt`), as text.
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BundlePrints {
    pub ca: Vec<String>,
    pub tlsca: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeEndpoint {
    /// The node's name (its certificate's common name).
    pub name: String,
    /// `host:port` every cluster dials, and the channel configs hold.
    pub address: String,
    /// Where `host` is reached from other clusters when DNS does not say
    /// (an ingress controller's or load balancer's IP): their pods get it
    /// as a hostAlias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// Something wrong with a bundle: where (a JSON pointer into the file), what, and the way on.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub pointer: String,
    pub message: String,
    pub help: String,
}

impl OrgBundle {
    /// `CA 3f2a 9b1c 00aa 12ef, TLS CA 9b1c ...`: the short fingerprints,
    /// for reading out.
    pub fn short_prints(&self) -> String {
        let join = |prints: &[String]| {
            prints
                .iter()
                .map(|p| short_fingerprint(p))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "CA {}, TLS CA {}",
            join(&self.fingerprints.ca),
            join(&self.fingerprints.tlsca)
        )
    }

    /// The org's files as a tree below its folder in `crypto-config/` (`org_dir`).
    pub fn tree(&self, org_dir: &str) -> Tree {
        let mut tree = Tree::new();
        for (path, text) in &self.files {
            tree.insert(format!("{org_dir}/{path}"), text.as_bytes());
        }
        tree
    }

    /// The bundle of this org alone, as the project keeps it.
    pub fn alone(&self) -> Bundle {
        Bundle {
            fabchart_bundle: VERSION,
            orgs: vec![self.clone()],
        }
    }
}

impl Bundle {
    /// The file's text: a header, then for each org a comment with its
    /// short fingerprints, then the YAML.
    pub fn to_text(&self) -> anyhow::Result<String> {
        let mut out = String::from(HEADER);
        for org in &self.orgs {
            out.push_str(&format!(
                "#   {} ({}): {}\n",
                org.name,
                org.msp_id,
                org.short_prints()
            ));
        }
        out.push_str(&serde_yaml::to_string(self)?);
        Ok(out)
    }
}

/// The MSP folders whose files are certificates a bundle may carry.
const MSP_CERT_DIRS: &[&str] = &[
    "cacerts",
    "tlscacerts",
    "intermediatecerts",
    "tlsintermediatecerts",
    "admincerts",
];

/// Whether a bundle may carry `path` (below the org's folder): public MSP
/// files, and an orderer org's nodes' TLS and enrollment certificates.
fn allowed_path(kind: OrgKind, domain: &str, path: &str) -> bool {
    let file_name = |f: &str| {
        !f.is_empty()
            && !f.starts_with('.')
            && f.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
    };
    let node = |fqdn: &str| {
        names::is_dns_name(fqdn)
            && fqdn
                .to_lowercase()
                .ends_with(&format!(".{}", domain.to_lowercase()))
    };
    if crate::tree::is_private_key(path) {
        return false;
    }
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["msp", "config.yaml"] => true,
        ["msp", dir, file] => MSP_CERT_DIRS.contains(dir) && file_name(file),
        ["orderers", fqdn, "tls", "server.crt"] => kind == OrgKind::Orderer && node(fqdn),
        ["orderers", fqdn, "msp", "signcerts", file] => {
            kind == OrgKind::Orderer && node(fqdn) && file_name(file)
        }
        _ => false,
    }
}

/// Whether `path` is a file directly in folder `dir` (not below a subfolder).
fn directly_in(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|file| !file.contains('/'))
}

/// The DER of the one PEM certificate `text` holds.
fn certificate(text: &str) -> Result<Vec<u8>, String> {
    let (rest, pem) = x509_parser::pem::parse_x509_pem(text.as_bytes())
        .map_err(|e| format!("not a PEM certificate ({e})"))?;
    if pem.label != "CERTIFICATE" {
        return Err(format!("a PEM block `{}`, not a CERTIFICATE", pem.label));
    }
    if !rest.iter().all(u8::is_ascii_whitespace) {
        return Err("more than one PEM block".into());
    }
    X509Certificate::from_der(&pem.contents)
        .map_err(|e| format!("not an X.509 certificate ({e})"))?;
    Ok(pem.contents)
}

/// What is wrong with a bundle file as a whole: a format this fabchart
/// does not read, no org, an org twice.
pub fn file_faults(
    source: &crate::load::SourceFile,
    bundle: &Bundle,
) -> Vec<crate::load::Diagnostic> {
    use crate::load::Diagnostic;
    let mut out = Vec::new();
    if bundle.fabchart_bundle != VERSION {
        out.push(
            Diagnostic::at(
                source,
                source.locate("/fabchartBundle"),
                format!(
                    "bundle format {} is not one this fabchart reads ({VERSION})",
                    bundle.fabchart_bundle
                ),
            )
            .with_help("export it with the same fabchart release"),
        );
    }
    if bundle.orgs.is_empty() {
        out.push(
            Diagnostic::at(source, source.locate("/orgs"), "the bundle holds no org")
                .with_help("export it again, naming the orgs with --org"),
        );
    }
    for (i, org) in bundle.orgs.iter().enumerate() {
        if bundle.orgs[..i].iter().any(|o| o.msp_id == org.msp_id) {
            out.push(
                Diagnostic::at(
                    source,
                    source.locate(&format!("/orgs/{i}/mspId")),
                    format!("{} is in the bundle twice", org.msp_id),
                )
                .with_help("export the bundle again"),
            );
        }
    }
    out
}

/// `host:port` split, or None when it is not one.
pub fn split_address(address: &str) -> Option<(&str, u16)> {
    let (host, port) = address.rsplit_once(':')?;
    let port: u16 = port.parse().ok().filter(|p| *p > 0)?;
    (names::is_dns_name(host) || host.parse::<IpAddr>().is_ok()).then_some((host, port))
}

fn json_pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Everything wrong with org `org`, the `index`-th of its bundle: nothing
/// it may not carry, every certificate readable, the fingerprints those of
/// its CA certificates, each node certificate issued by one of them (TLS by
/// a TLS CA, enrollment by a CA), each orderer's address one its TLS
/// certificate names, and the addresses well formed.
pub fn verify(org: &OrgBundle, index: usize) -> Vec<Fault> {
    let base = format!("/orgs/{index}");
    let mut faults = Vec::new();
    let mut fault = |pointer: String, message: String, help: &str| {
        faults.push(Fault {
            pointer,
            message,
            help: help.to_string(),
        })
    };
    if !names::is_dns_name(&org.domain) {
        fault(
            format!("{base}/domain"),
            format!("domain `{}` is no DNS name", org.domain),
            "export the bundle again with fabchart",
        );
    }
    if org.msp_id.is_empty()
        || !org
            .msp_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        fault(
            format!("{base}/mspId"),
            format!(
                "MSP ID `{}` has characters other than letters, digits, `.` and `-`",
                org.msp_id
            ),
            "export the bundle again with fabchart",
        );
    }
    let files_at = format!("{base}/files");
    let mut certs: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    for (path, text) in &org.files {
        let at = format!("{files_at}/{}", json_pointer_escape(path));
        if !allowed_path(org.kind, &org.domain, path) {
            fault(
                at,
                format!(
                    "`{path}` is no file a bundle carries (public MSP files, and an orderer org's \
                     orderers/<node>.{}/tls/server.crt and msp/signcerts/)",
                    org.domain
                ),
                "remove it; a bundle never holds private keys or other files",
            );
            continue;
        }
        if text.contains("PRIVATE KEY") {
            fault(
                at,
                format!("`{path}` holds a private key"),
                "never send private keys: export the bundle again with fabchart",
            );
            continue;
        }
        if path == "msp/config.yaml" {
            if serde_yaml::from_str::<serde_yaml::Value>(text).is_err() {
                fault(
                    at,
                    "msp/config.yaml is not YAML".into(),
                    "export the bundle again",
                );
            }
            continue;
        }
        match certificate(text) {
            Ok(der) => {
                certs.insert(path.as_str(), der);
            }
            Err(e) => fault(at, format!("`{path}`: {e}"), "export the bundle again"),
        }
    }
    let prints_in = |dir: &str| -> Vec<(String, &[u8])> {
        certs
            .iter()
            .filter(|(p, _)| directly_in(p, dir))
            .map(|(_, der)| (fingerprint(der), der.as_slice()))
            .collect()
    };
    let cas = prints_in("msp/cacerts");
    let tlscas = prints_in("msp/tlscacerts");
    for (which, found, claimed, dir) in [
        ("ca", &cas, &org.fingerprints.ca, "msp/cacerts"),
        ("tlsca", &tlscas, &org.fingerprints.tlsca, "msp/tlscacerts"),
    ] {
        let mut seen: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        seen.sort();
        let mut said: Vec<String> = claimed.iter().map(|p| p.to_lowercase()).collect();
        said.sort();
        if seen.is_empty() {
            fault(
                files_at.clone(),
                format!("no certificate in {dir}/: the org's MSP is incomplete"),
                "export the bundle again from a compiled project",
            );
        } else if seen != said {
            fault(
                format!("{base}/fingerprints/{which}"),
                format!(
                    "the fingerprints of {dir}/ are {}, not the {} the bundle claims: the bundle was changed after it was made",
                    seen.iter().map(|p| short_fingerprint(p)).collect::<Vec<_>>().join(", "),
                    said.iter().map(|p| short_fingerprint(p)).collect::<Vec<_>>().join(", ")
                ),
                "do not import it; ask the org for its bundle again, and compare the short fingerprints with it by phone",
            );
        }
    }
    // Node certificates: issued by the org's CAs.
    let issued_by = |der: &[u8], issuers: &[(String, &[u8])]| {
        let Ok((_, cert)) = X509Certificate::from_der(der) else {
            return false;
        };
        issuers.iter().any(|(_, ca)| {
            X509Certificate::from_der(ca)
                .is_ok_and(|(_, ca)| cert.verify_signature(Some(ca.public_key())).is_ok())
        })
    };
    for (path, der) in &certs {
        let (issuers, what) = if path.ends_with("/tls/server.crt") {
            (&tlscas, "TLS CA")
        } else if path.contains("/msp/signcerts/") {
            (&cas, "CA")
        } else {
            continue;
        };
        if !issuers.is_empty() && !issued_by(der, issuers) {
            fault(
                format!("{files_at}/{}", json_pointer_escape(path)),
                format!("`{path}` was not issued by the org's {what}"),
                "do not import it: the bundle was changed after it was made",
            );
        }
    }
    for (i, node) in org.nodes.iter().enumerate() {
        let at = format!("{base}/nodes/{i}");
        let Some((host, _)) = split_address(&node.address) else {
            fault(
                format!("{at}/address"),
                format!("`{}` is no host:port address", node.address),
                "export the bundle again",
            );
            continue;
        };
        if let Some(ip) = &node.ip {
            if ip.parse::<IpAddr>().is_err() {
                fault(
                    format!("{at}/ip"),
                    format!("`{ip}` is no IP address"),
                    "export the bundle again",
                );
            }
        }
        let tls = format!("orderers/{}/tls/server.crt", node.name);
        if let Some(der) = certs.get(tls.as_str()) {
            if !names_host(der, host) {
                fault(
                    format!("{at}/address"),
                    format!(
                        "node {}'s TLS certificate does not name `{host}`: a TLS client dialing it would refuse the node",
                        node.name
                    ),
                    "export the bundle again; the address must be one of the node's certificate names",
                );
            }
        }
    }
    for (i, anchor) in org.anchor_peers.iter().enumerate() {
        if split_address(anchor).is_none() {
            fault(
                format!("{base}/anchorPeers/{i}"),
                format!("`{anchor}` is no host:port address"),
                "export the bundle again",
            );
        }
    }
    faults
}

/// Whether the certificate `der` names `host` (a DNS or IP SAN).
fn names_host(der: &[u8], host: &str) -> bool {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return false;
    };
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return false;
    };
    let ip: Option<IpAddr> = host.parse().ok();
    san.value.general_names.iter().any(|name| match name {
        GeneralName::DNSName(dns) => dns.eq_ignore_ascii_case(host),
        GeneralName::IPAddress(bytes) => match (ip, bytes.len()) {
            (Some(IpAddr::V4(v4)), 4) => v4.octets() == **bytes,
            (Some(IpAddr::V6(v6)), 16) => v6.octets() == **bytes,
            _ => false,
        },
        _ => false,
    })
}

/// The bundle of org `org` from its material `tree` (the full
/// `crypto-config/` tree, or the chart's public part): its MSP files and
/// its orderers' certificates, with its nodes' addresses.
pub fn export_org(org: &crate::model::Org, tree: &Tree) -> OrgBundle {
    let org_dir = &org.crypto.dir;
    let mut files = BTreeMap::new();
    for (path, file) in tree.files() {
        let Some(rel) = path
            .strip_prefix(org_dir.as_str())
            .and_then(|r| r.strip_prefix('/'))
        else {
            continue;
        };
        if allowed_path(org.kind, &org.domain, rel) && !file.private {
            files.insert(
                rel.to_string(),
                String::from_utf8_lossy(&file.bytes).into_owned(),
            );
        }
    }
    let prints = |dir: &str| -> Vec<String> {
        let mut out: Vec<String> = files
            .iter()
            .filter(|(p, _)| directly_in(p, dir))
            .filter_map(|(_, text)| certificate(text).ok())
            .map(|der| fingerprint(&der))
            .collect();
        out.sort();
        out
    };
    OrgBundle {
        name: org.name.clone(),
        msp_id: org.msp_id.clone(),
        kind: org.kind,
        domain: org.domain.clone(),
        fingerprints: BundlePrints {
            ca: prints("msp/cacerts"),
            tlsca: prints("msp/tlscacerts"),
        },
        nodes: org
            .nodes
            .iter()
            .map(|node| NodeEndpoint {
                name: node.fqdn.clone(),
                address: node.address.clone(),
                ip: node.external_ip.clone(),
            })
            .collect(),
        anchor_peers: org.anchor_peers.iter().map(|a| a.address()).collect(),
        files,
    }
}

/// A project's imported bundle file, kept as `bundles/<MSP ID>.yaml`.
pub fn file_name(msp_id: &str) -> String {
    format!("{msp_id}.yaml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_files_fit_a_bundle() {
        let d = "pivt.example";
        let orderer = OrgKind::Orderer;
        assert!(allowed_path(orderer, d, "msp/config.yaml"));
        assert!(allowed_path(
            orderer,
            d,
            "msp/cacerts/ca.pivt.example-cert.pem"
        ));
        assert!(allowed_path(
            orderer,
            d,
            "orderers/orderer0.pivt.example/tls/server.crt"
        ));
        assert!(allowed_path(
            orderer,
            d,
            "orderers/orderer0.pivt.example/msp/signcerts/orderer0.pivt.example-cert.pem"
        ));
        for refused in [
            "orderers/orderer0.pivt.example/tls/server.key",
            "orderers/orderer0.pivt.example/msp/keystore/priv_sk",
            "msp/keystore/priv_sk",
            "msp/cacerts/../../ca/priv_sk",
            "msp/cacerts/.hidden",
            "ca/ca.pivt.example-cert.pem",
            "orderers/orderer0.other.example/tls/server.crt",
            "orderers/../tls/server.crt",
            "/etc/passwd",
            "msp/cacerts/a/b.pem",
        ] {
            assert!(!allowed_path(orderer, d, refused), "{refused}");
        }
        assert!(!allowed_path(
            OrgKind::Peer,
            d,
            "orderers/orderer0.pivt.example/tls/server.crt"
        ));
    }

    #[test]
    fn addresses_are_host_and_port() {
        assert_eq!(
            split_address("orderer0.pivt.example:7050"),
            Some(("orderer0.pivt.example", 7050))
        );
        assert_eq!(split_address("10.0.0.1:443"), Some(("10.0.0.1", 443)));
        for bad in ["orderer0", "orderer0:0", "orderer0:70000", "a b:1", ":7050"] {
            assert_eq!(split_address(bad), None, "{bad}");
        }
    }
}
