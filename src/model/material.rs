//! What the generator makes: the resolved, cryptogen-equivalent description
//! of every organization's identities. Built by the model from
//! crypto-config.yaml, with every path from [`super::layout`]; the generator
//! only turns it into files.

use super::layout::{self, IdentityPaths, OrgKind};

/// The subject fields cryptogen's `CA:` section lets a user set. Empty means
/// cryptogen's default (`US`, `California`, `San Francisco`, no OU/street/postal code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaSubject {
    /// The CA's name and common name (cryptogen: `CA.CommonName`, by default
    /// `<CA.Hostname or "ca">.<domain>`).
    pub common_name: String,
    pub country: String,
    pub province: String,
    pub locality: String,
    pub organizational_unit: String,
    pub street_address: String,
    pub postal_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgCrypto {
    pub kind: OrgKind,
    /// Domain, e.g. `aptalkarga.tr`; also the Organization (O) of the CA subjects.
    pub domain: String,
    /// Folder relative to the `crypto-config/` root, e.g. `peerOrganizations/aptalkarga.tr`.
    pub dir: String,
    pub enable_node_ous: bool,
    pub ca: CaSubject,
    pub nodes: Vec<NodeCrypto>,
    pub users: Vec<UserCrypto>,
    /// An org run by another cluster (PIVT's `ExternalPeerOrgs`/`ExternalOrdererOrgs`):
    /// only the empty placeholder folders are made; the user copies the public MSP in.
    pub external: bool,
}

impl OrgCrypto {
    /// The signing CA's name (its CN; file names derive from it).
    pub fn ca_name(&self) -> &str {
        &self.ca.common_name
    }

    pub fn tlsca_name(&self) -> String {
        layout::tlsca_name(&self.ca.common_name)
    }

    pub fn ca_dir(&self) -> String {
        format!("{}/ca", self.dir)
    }

    pub fn tlsca_dir(&self) -> String {
        format!("{}/tlsca", self.dir)
    }

    pub fn msp_dir(&self) -> String {
        format!("{}/msp", self.dir)
    }

    /// `ca/<name>-cert.pem`.
    pub fn ca_cert(&self) -> String {
        format!("{}/{}", self.ca_dir(), layout::cert_file(self.ca_name()))
    }

    pub fn ca_key(&self) -> String {
        format!("{}/{}", self.ca_dir(), layout::CA_KEY)
    }

    /// `tlsca/tls<name>-cert.pem`.
    pub fn tlsca_cert(&self) -> String {
        format!(
            "{}/{}",
            self.tlsca_dir(),
            layout::cert_file(&self.tlsca_name())
        )
    }

    pub fn tlsca_key(&self) -> String {
        format!("{}/{}", self.tlsca_dir(), layout::CA_KEY)
    }

    /// The CA certificate's file name in an MSP's `cacerts/`.
    pub fn cacert_file(&self) -> String {
        layout::cert_file(self.ca_name())
    }

    /// The TLS CA certificate's file name in an MSP's `tlscacerts/`.
    pub fn tlscacert_file(&self) -> String {
        layout::cert_file(&self.tlsca_name())
    }

    /// The admin user, whose certificate goes to `admincerts/` without NodeOUs.
    pub fn admin(&self) -> Option<&UserCrypto> {
        self.users.iter().find(|u| u.admin)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeCrypto {
    /// `peer0.aptalkarga.tr`: the certificate CN and the folder name under `peers/` or `orderers/`.
    pub common_name: String,
    /// DNS SANs of the TLS server certificate, in cryptogen's order (CN, hostname, then spec SANS),
    /// without duplicates. IP-looking entries become IP SANs.
    pub sans: Vec<String>,
    pub paths: IdentityPaths,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCrypto {
    /// `Admin@aptalkarga.tr` or `User1@aptalkarga.tr`.
    pub common_name: String,
    pub admin: bool,
    pub paths: IdentityPaths,
}
