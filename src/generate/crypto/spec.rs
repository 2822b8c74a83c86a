//! What to generate: the resolved, cryptogen-equivalent description of every
//! organization's identities. Built by the model from crypto-config.yaml; the
//! generator only turns it into files.

use std::path::PathBuf;

/// Which kind of organization, which decides the folder (`peerOrganizations`
/// or `ordererOrganizations`) and the node OU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OrgKind {
    Peer,
    Orderer,
}

/// The subject fields cryptogen's `CA:` section lets a user set. Empty means
/// cryptogen's default (`US`, `California`, `San Francisco`, no OU/street/postal code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaSubject {
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
    pub dir: PathBuf,
    pub enable_node_ous: bool,
    pub ca: CaSubject,
    pub nodes: Vec<NodeCrypto>,
    pub users: Vec<UserCrypto>,
    /// An org run by another cluster (PIVT's `ExternalPeerOrgs`/`ExternalOrdererOrgs`):
    /// only the empty placeholder folders are made; the user copies the public MSP in.
    pub external: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeCrypto {
    /// `peer0.aptalkarga.tr`: the certificate CN and the folder name under `peers/` or `orderers/`.
    pub common_name: String,
    /// DNS SANs of the TLS server certificate, in cryptogen's order (CN, hostname, then spec SANS),
    /// without duplicates. IP-looking entries become IP SANs.
    pub sans: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCrypto {
    /// `Admin@aptalkarga.tr` or `User1@aptalkarga.tr`.
    pub common_name: String,
    pub admin: bool,
}
