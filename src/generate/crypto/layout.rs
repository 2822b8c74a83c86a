//! The contents cryptogen gives an MSP beyond keys and certificates: the node
//! OU of each kind of identity and the NodeOUs `config.yaml`. (The names of
//! files and folders are the model's: `crate::model::layout`.)

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
}
