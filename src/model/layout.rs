//! cryptogen's layout of a `crypto-config/` tree: the folder and file names
//! of every org, node and user. Made here once: the model names the files
//! the chart's Secrets and configtx.yaml read, the generator writes exactly
//! those files, and both ask this module for the names.

use serde::{Deserialize, Serialize};

/// Which kind of organization, which decides the folder (`peerOrganizations`
/// or `ordererOrganizations`), the nodes' folder and the node OU.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum OrgKind {
    Peer,
    Orderer,
}

impl OrgKind {
    /// The org's folder below `crypto-config/`.
    pub fn folder(self) -> &'static str {
        match self {
            OrgKind::Peer => "peerOrganizations",
            OrgKind::Orderer => "ordererOrganizations",
        }
    }

    /// The folder of the org's nodes.
    pub fn nodes_folder(self) -> &'static str {
        match self {
            OrgKind::Peer => "peers",
            OrgKind::Orderer => "orderers",
        }
    }

    /// cryptogen's default hostname prefix of templated nodes.
    pub fn node_prefix(self) -> &'static str {
        match self {
            OrgKind::Peer => "peer",
            OrgKind::Orderer => "orderer",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Peer => "peer",
            OrgKind::Orderer => "orderer",
        }
    }
}

/// The root folder of the material in a chart or keys folder.
pub const CRYPTO_DIR: &str = "crypto-config";

/// `<kind folder>/<domain>`, relative to the `crypto-config/` root.
pub fn org_dir(kind: OrgKind, domain: &str) -> String {
    format!("{}/{domain}", kind.folder())
}

/// `<name>-cert.pem`: a CA's or a signing certificate's file name.
pub fn cert_file(name: &str) -> String {
    format!("{name}-cert.pem")
}

/// The TLS CA's name: `tls` + the signing CA's name (cryptogen's rule).
pub fn tlsca_name(ca_name: &str) -> String {
    format!("tls{ca_name}")
}

/// The CA's key file, in `ca/` and `tlsca/`.
pub const CA_KEY: &str = "priv_sk";

/// An identity's files, relative to its folder (and to the folder its
/// Secret is mounted at in a pod).
pub const MSP: &str = "msp";
pub const TLS_CA: &str = "tls/ca.crt";

/// `tls/server.crt` (nodes) or `tls/client.crt` (users).
pub fn tls_cert(tls: &str) -> String {
    format!("tls/{tls}.crt")
}

pub fn tls_key(tls: &str) -> String {
    format!("tls/{tls}.key")
}

/// Where one identity's files are, relative to the `crypto-config/` root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPaths {
    /// The identity's folder (`.../peers/peer0.a.example`, `.../users/Admin@a.example`).
    pub dir: String,
    /// Its certificate's common name.
    pub name: String,
    /// `server` for nodes, `client` for users: the names in `tls/`.
    pub tls: &'static str,
}

impl IdentityPaths {
    pub fn node(org_dir: &str, kind: OrgKind, fqdn: &str) -> IdentityPaths {
        IdentityPaths {
            dir: format!("{org_dir}/{}/{fqdn}", kind.nodes_folder()),
            name: fqdn.to_string(),
            tls: "server",
        }
    }

    pub fn user(org_dir: &str, name: &str) -> IdentityPaths {
        IdentityPaths {
            dir: format!("{org_dir}/users/{name}"),
            name: name.to_string(),
            tls: "client",
        }
    }

    pub fn msp(&self) -> String {
        format!("{}/msp", self.dir)
    }

    pub fn signcerts(&self) -> String {
        format!("{}/msp/signcerts", self.dir)
    }

    pub fn signcert(&self) -> String {
        format!("{}/msp/signcerts/{}", self.dir, cert_file(&self.name))
    }

    pub fn keystore(&self) -> String {
        format!("{}/msp/keystore", self.dir)
    }

    pub fn key(&self) -> String {
        format!("{}/msp/keystore/{CA_KEY}", self.dir)
    }

    pub fn tls_cert(&self) -> String {
        format!("{}/{}", self.dir, tls_cert(self.tls))
    }

    pub fn tls_key(&self) -> String {
        format!("{}/{}", self.dir, tls_key(self.tls))
    }

    pub fn tls_ca(&self) -> String {
        format!("{}/{TLS_CA}", self.dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cryptogens() {
        let org = org_dir(OrgKind::Peer, "a.example");
        assert_eq!(org, "peerOrganizations/a.example");
        let peer = IdentityPaths::node(&org, OrgKind::Peer, "peer0.a.example");
        assert_eq!(
            peer.signcert(),
            "peerOrganizations/a.example/peers/peer0.a.example/msp/signcerts/peer0.a.example-cert.pem"
        );
        assert_eq!(
            peer.tls_key(),
            "peerOrganizations/a.example/peers/peer0.a.example/tls/server.key"
        );
        let admin = IdentityPaths::user(&org, "Admin@a.example");
        assert_eq!(
            admin.tls_cert(),
            "peerOrganizations/a.example/users/Admin@a.example/tls/client.crt"
        );
        assert_eq!(tlsca_name("ca.a.example"), "tlsca.a.example");
    }
}
