//! cryptogen's file and folder names, the NodeOUs `config.yaml`, and file modes.

use std::path::Path;

use super::spec::{OrgCrypto, OrgKind};

/// Sub-folder of an org holding its nodes.
pub(crate) fn nodes_dir(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::Peer => "peers",
        OrgKind::Orderer => "orderers",
    }
}

/// The signing CA's name: its CN, `ca.<domain>` unless the spec overrides it.
pub(crate) fn ca_name(org: &OrgCrypto) -> String {
    if org.ca.common_name.is_empty() {
        format!("ca.{}", org.domain)
    } else {
        org.ca.common_name.clone()
    }
}

/// The TLS CA's name: `tls` + the signing CA's name.
pub(crate) fn tlsca_name(org: &OrgCrypto) -> String {
    format!("tls{}", ca_name(org))
}

/// `<name>-cert.pem`.
pub(crate) fn cert_file(name: &str) -> String {
    format!("{name}-cert.pem")
}

/// The name of the admin user, whose certificate goes to `admincerts/` without NodeOUs.
pub(crate) fn admin_name(org: &OrgCrypto) -> Option<&str> {
    org.users
        .iter()
        .find(|u| u.admin)
        .map(|u| u.common_name.as_str())
}

/// The node OU cryptogen puts in signing certificates when NodeOUs are enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeType {
    Client,
    Peer,
    Orderer,
    Admin,
}

impl NodeType {
    pub(crate) fn ou(self) -> &'static str {
        match self {
            NodeType::Client => "client",
            NodeType::Peer => "peer",
            NodeType::Orderer => "orderer",
            NodeType::Admin => "admin",
        }
    }

    /// `server` for nodes, `client` for users: the names in `tls/`.
    pub(crate) fn tls_prefix(self) -> &'static str {
        match self {
            NodeType::Client | NodeType::Admin => "client",
            NodeType::Peer | NodeType::Orderer => "server",
        }
    }
}

/// `msp/config.yaml` byte for byte as cryptogen's yaml marshalling writes it.
pub(crate) fn node_ous_config(ca_cert_file: &str) -> String {
    let cert = yaml_scalar(&format!("cacerts/{ca_cert_file}"));
    let mut out = String::from("NodeOUs:\n  Enable: true\n");
    for (key, ou) in [
        ("ClientOUIdentifier", "client"),
        ("PeerOUIdentifier", "peer"),
        ("AdminOUIdentifier", "admin"),
        ("OrdererOUIdentifier", "orderer"),
    ] {
        out.push_str(&format!(
            "  {key}:\n    Certificate: {cert}\n    OrganizationalUnitIdentifier: {ou}\n"
        ));
    }
    out
}

/// A plain scalar when it is unambiguous (always so for DNS-like CA names),
/// otherwise double-quoted like the Go yaml encoder does.
fn yaml_scalar(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '@'))
        && value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && !matches!(
            value,
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        )
        && value.parse::<f64>().is_err();
    if plain {
        value.to_owned()
    } else {
        serde_json::to_string(value).expect("string serializes")
    }
}

/// Private keys are the only files written with mode 0600.
pub fn is_private_key(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.ends_with("_sk") || name.ends_with(".key")
}

pub(crate) fn file_mode(path: &Path) -> u32 {
    if is_private_key(path) {
        0o600
    } else {
        0o644
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_yaml_is_cryptogens() {
        let text = node_ous_config("ca.org1.example.com-cert.pem");
        assert!(text.starts_with(
            "NodeOUs:\n  Enable: true\n  ClientOUIdentifier:\n    Certificate: cacerts/ca.org1.example.com-cert.pem\n    OrganizationalUnitIdentifier: client\n"
        ));
        assert!(text.ends_with("    OrganizationalUnitIdentifier: orderer\n"));
    }

    #[test]
    fn modes() {
        assert_eq!(file_mode(Path::new("a/keystore/priv_sk")), 0o600);
        assert_eq!(file_mode(Path::new("a/tls/server.key")), 0o600);
        assert_eq!(file_mode(Path::new("a/tls/server.crt")), 0o644);
    }
}
