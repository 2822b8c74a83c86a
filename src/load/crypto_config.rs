//! `crypto-config.yaml` in cryptogen's format, plus PIVT's `ExternalPeerOrgs`
//! and `ExternalOrdererOrgs` (orgs whose nodes run in another cluster).

use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CryptoConfigFile {
    #[serde(default)]
    pub orderer_orgs: Vec<OrgSpec>,
    #[serde(default)]
    pub peer_orgs: Vec<OrgSpec>,
    #[serde(default)]
    pub external_peer_orgs: Vec<OrgSpec>,
    #[serde(default)]
    pub external_orderer_orgs: Vec<OrgSpec>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OrgSpec {
    pub name: String,
    pub domain: String,
    #[serde(default, rename = "EnableNodeOUs")]
    pub enable_node_ous: bool,
    #[serde(default, rename = "CA")]
    pub ca: Option<CaSpec>,
    #[serde(default)]
    pub specs: Vec<NodeSpec>,
    #[serde(default)]
    pub template: Option<NodeTemplate>,
    #[serde(default)]
    pub users: Option<UsersSpec>,
}

/// cryptogen's `CA:` block: subject fields of the org's CAs.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CaSpec {
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub common_name: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub locality: Option<String>,
    #[serde(default)]
    pub organizational_unit: Option<String>,
    #[serde(default)]
    pub street_address: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NodeSpec {
    pub hostname: String,
    #[serde(default)]
    pub common_name: Option<String>,
    #[serde(default, rename = "SANS")]
    pub sans: Vec<String>,
    /// cryptogen's per-spec country/province/... overrides are accepted and
    /// ignored by the subject of leaves, as cryptogen does for NodeOU certs.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub locality: Option<String>,
    #[serde(default)]
    pub organizational_unit: Option<String>,
    #[serde(default)]
    pub street_address: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NodeTemplate {
    #[serde(default)]
    pub count: usize,
    #[serde(default)]
    pub start: usize,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default, rename = "SANS")]
    pub sans: Vec<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct UsersSpec {
    #[serde(default)]
    pub count: usize,
}
