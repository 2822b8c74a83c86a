//! Model: the resolved network. Built once from the loaded input, checked for
//! consistency, and holding every name the generators and renderers print.

mod build;
pub mod capabilities;
mod configtx_rules;
mod faults;
pub mod layout;
pub mod material;
pub mod names;
pub mod pod;
mod version;

use std::path::PathBuf;

use indexmap::IndexMap;
use serde::Serialize;

use crate::load::configtx::{BatchSize, Policies, RaftOptions, SmartBftOptions};

pub use build::build;
pub use layout::OrgKind;
pub use material::OrgCrypto;
pub use version::FabricVersion;

pub const FABRIC_CA_VERSION: &str = "1.5.15";
pub const COUCHDB_VERSION: &str = "3.4.2";

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    #[serde(skip)]
    pub project_dir: PathBuf,
    pub settings: Settings,
    /// Orderer orgs first, then peer orgs, each in crypto-config.yaml order,
    /// followed by the external ones.
    pub orgs: Vec<Org>,
    pub channels: Vec<Channel>,
    pub chaincodes: Vec<Chaincode>,
    /// The orderer the flows talk to: ours, or PIVT's `externalOrderer`.
    pub flow_orderer: Option<OrdererRef>,
    /// The Service that balances over every local orderer node, if any runs here.
    pub orderer_service: Option<String>,
    /// The ports nodes listen on, and their listen addresses.
    pub ports: pod::Ports,
    /// Mounts and files inside the containers.
    pub paths: pod::PodPaths,
    /// The network-wide objects' names.
    pub objects: pod::Objects,
    /// Where other clusters' nodes are, from their orgs' imported bundles:
    /// every pod's (and flow step's) hostAliases, before the chart's
    /// `hostAliases` value.
    pub host_aliases: Vec<HostAlias>,
    #[serde(skip)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub tls_enabled: bool,
    pub use_actual_domains: bool,
    pub fabric_version: FabricVersion,
    pub images: Images,
}

/// The stock images' defaults, which the chart's values (and the flows'
/// `-f values.yaml`) may replace: registry, repository, tag, digest.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Images {
    pub peer: Image,
    pub orderer: Image,
    pub tools: Image,
    pub ca: Image,
    pub couchdb: Image,
}

#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// Below Docker Hub, e.g. `hyperledger/fabric-peer`.
    pub repository: String,
    pub tag: String,
}

impl Image {
    pub fn new(repository: &str, tag: impl ToString) -> Image {
        Image {
            repository: repository.to_string(),
            tag: tag.to_string(),
        }
    }
}

/// An image reference split into its registry host, if it names one (a
/// first component with `.` or `:`, or `localhost`, as Docker reads it),
/// and the rest.
pub fn split_registry(image: &str) -> (Option<&str>, &str) {
    match image.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (Some(first), rest)
        }
        _ => (None, image),
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Org {
    pub kind: OrgKind,
    pub name: String,
    /// Lower-case name used inside object names.
    pub key: String,
    pub msp_id: String,
    pub domain: String,
    /// Run by another cluster: only its public MSP is known here.
    pub external: bool,
    /// `crypto-config/peerOrganizations/<domain>`, relative to the chart folder.
    pub crypto_dir: String,
    pub msp_dir: String,
    /// Service over all nodes of the org.
    pub service: String,
    /// Secret with the org's public MSP, made for external orgs only
    /// (PIVT's `hlf-peer--<org>--external-msp`).
    pub msp_secret: String,
    pub ca: CertificateAuthority,
    pub nodes: Vec<Node>,
    pub admin: Identity,
    pub users: Vec<Identity>,
    /// Every identity Secret of the org, by Secret name, in a stable order:
    /// nodes, the admin, users, the CA. The one list the chart's Secrets,
    /// the keys folder's manifest and the flows' org table read.
    pub identities: IndexMap<String, SecretIdentity>,
    /// Policies of the org in channel configs (from configtx.yaml, with
    /// `Endorsement` added for the v2 lifecycle when missing).
    pub policies: Policies,
    /// Anchor peers as `host:port` addresses, peer orgs only.
    pub anchor_peers: Vec<Endpoint>,
    #[serde(skip)]
    pub crypto: OrgCrypto,
    /// An external org's imported public bundle (`bundles/<MSP ID>.yaml`):
    /// its public material and addresses.
    #[serde(skip)]
    pub bundle: Option<ImportedBundle>,
}

/// An org's bundle as the project keeps it.
#[derive(Debug)]
pub struct ImportedBundle {
    /// The file, as messages name it.
    pub file: String,
    pub org: crate::bundle::OrgBundle,
}

/// An entry of a pod's `hostAliases`.
#[derive(Debug, Serialize, Clone, PartialEq, schemars::JsonSchema)]
pub struct HostAlias {
    pub ip: String,
    pub hostnames: Vec<String>,
}

impl Org {
    /// Chart-relative path of the org's TLS CA certificate in its public MSP:
    /// the one its bundle carries for an imported org (another CA may name
    /// it its own way), else cryptogen's name.
    pub fn tls_ca_cert(&self) -> String {
        let bundled = self.bundle.as_ref().and_then(|b| {
            b.org
                .files
                .keys()
                .find_map(|path| path.strip_prefix("msp/tlscacerts/"))
        });
        let file = bundled
            .map(str::to_string)
            .unwrap_or_else(|| self.crypto.tlscacert_file());
        format!("{}/msp/tlscacerts/{file}", self.crypto_dir)
    }

    /// The files of identity Secret `secret` (empty for one the org lacks).
    pub fn files(&self, secret: &str) -> &[SecretFile] {
        self.identities
            .get(secret)
            .map(|id| id.files.as_slice())
            .unwrap_or_default()
    }

    /// The org's shared files identity Secret `secret` goes with (empty for
    /// one the org lacks): keys of the configtx ConfigMap.
    pub fn shared_files(&self, secret: &str) -> &[SecretFile] {
        self.identities
            .get(secret)
            .map(|id| id.shared.as_slice())
            .unwrap_or_default()
    }
}

/// An identity the chart keeps in a Secret: a node, the org admin, a user or
/// the org's CA.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretIdentity {
    /// The certificate's common name.
    pub name: String,
    /// Its own files (certificates and keys): the Secret's keys.
    pub files: Vec<SecretFile>,
    /// The org's public files its folder holds too (CA certificates,
    /// config.yaml or the admin certificate), kept once per org: `key` is
    /// their key in the configtx ConfigMap, `source` the org's msp/ file.
    pub shared: Vec<SecretFile>,
}

#[derive(Debug, Serialize, Clone, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl Endpoint {
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertificateAuthority {
    pub object: String,
    pub secret: String,
    pub common_name: String,
}

/// A peer or orderer node.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    pub hostname: String,
    /// `peer0.aptalkarga.tr`: certificate CN and crypto folder name.
    pub fqdn: String,
    /// StatefulSet and Service name.
    pub object: String,
    /// Where other nodes and clients reach it: fqdn with `useActualDomains`,
    /// the Service name otherwise.
    pub host: String,
    pub port: u16,
    /// `host:port`.
    pub address: String,
    /// Peers: where a chaincode the peer launched calls back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaincode_address: Option<String>,
    /// Peers: the org's other peers to gossip with first (itself when alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gossip_bootstrap: Vec<String>,
    pub crypto_dir: String,
    pub secret: String,
    /// The node's ledger volume.
    pub data: DataVolume,
    /// Peers: the CouchDB StatefulSet/Service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub couchdb: Option<String>,
    /// Peers: where the peer reaches its CouchDB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub couchdb_address: Option<String>,
    /// Peers: the CouchDB's database volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub couchdb_data: Option<DataVolume>,
    /// Orderers: Raft cluster port (7050 with TLS, the separate cluster listener otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_port: Option<u16>,
    /// The node's LoadBalancer Service (chart values `peer.externalService` /
    /// `orderer.externalService`), labelled for PIVT's external hostAliases.
    pub external_service: String,
    /// Where other clusters reach `host` when DNS does not say (network.yaml's
    /// `expose`): what this org's bundle gives them for their hostAliases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ip: Option<String>,
}

/// The data volume of a StatefulSet: the chart names its claim template (or
/// emptyDir) `name`; the flows find the PersistentVolumeClaim as `claim`.
#[derive(Debug, Serialize, Clone, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataVolume {
    pub name: String,
    pub claim: String,
}

impl DataVolume {
    pub fn of(statefulset: &str) -> Self {
        DataVolume {
            name: names::DATA_VOLUME.to_string(),
            claim: names::claim_of(names::DATA_VOLUME, statefulset),
        }
    }
}

impl Node {
    pub fn endpoint(&self) -> Endpoint {
        Endpoint {
            host: self.host.clone(),
            port: self.port,
        }
    }
}

/// A user identity (the org admin, or a client user).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub name: String,
    pub crypto_dir: String,
    pub secret: String,
}

/// One file of an identity: its key (in the identity's Secret, or for the
/// org's shared files in the configtx ConfigMap), the chart file it comes
/// from, and where it lands below the mount point (cryptogen's layout).
#[derive(Debug, Serialize, Clone, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretFile {
    pub key: String,
    pub source: String,
    pub mount: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrdererRef {
    pub org: String,
    pub msp_id: String,
    pub host: String,
    pub port: u16,
    pub admin_port: Option<u16>,
    /// Chart-relative TLS CA certificate of the orderer org.
    pub tls_ca: String,
    pub external: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub name: String,
    /// Peer orgs (by name) whose peers join, in network.yaml order.
    pub orgs: Vec<String>,
    pub external_orgs: Vec<String>,
    pub profile: ChannelProfile,
    /// The channel's Application capabilities have neither V2_0 nor V2_5:
    /// chaincodes are installed and instantiated through the legacy lifecycle
    /// (LSCC), not `peer lifecycle`. Derived from `profile`, so not in topology.json.
    #[serde(skip)]
    pub legacy_lifecycle: bool,
}

/// One complete configtx.yaml profile, named after its channel.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelProfile {
    pub policies: Policies,
    pub capabilities: Vec<String>,
    pub orderer: OrdererSection,
    pub application: ApplicationSection,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrdererSection {
    pub orderer_type: OrdererType,
    pub batch_timeout: String,
    pub batch_size: BatchSize,
    pub consenters: Vec<Consenter>,
    /// Raft: `EtcdRaft.Options` as configtx.yaml gives them (absent ones
    /// are configtxgen's defaults).
    pub raft_options: RaftOptions,
    /// BFT: `SmartBFT`, every option written (the given ones, SmartBFT's
    /// defaults for the rest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smart_bft: Option<SmartBftOptions>,
    /// Orderer org names.
    pub orgs: Vec<String>,
    pub policies: Policies,
    pub capabilities: Vec<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Consenter {
    /// BFT's consenter ID: configtx.yaml's, else the node's place among the
    /// channel's orderer nodes, from 1.
    pub id: u32,
    pub org: String,
    pub msp_id: String,
    pub node: String,
    pub host: String,
    pub port: u16,
    pub tls_cert: String,
    /// The node's enrollment certificate (BFT's `Identity`).
    pub identity: String,
}

/// How a channel's orderers agree: configtx.yaml's `OrdererType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub enum OrdererType {
    /// Raft (crash fault tolerant): a majority of the consenters must run.
    #[serde(rename = "etcdraft")]
    Raft,
    /// SmartBFT (Byzantine fault tolerant, Fabric 3): with n consenters,
    /// f = (n - 1) / 3 may fail or lie.
    #[serde(rename = "BFT")]
    Bft,
}

impl OrdererType {
    /// How many consenters of `n` may fail with the channel still ordering.
    pub fn fault_tolerance(self, n: usize) -> usize {
        match self {
            OrdererType::Raft => n.saturating_sub(1) / 2,
            OrdererType::Bft => n.saturating_sub(1) / 3,
        }
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSection {
    /// Peer org names.
    pub orgs: Vec<String>,
    pub policies: Policies,
    pub capabilities: Vec<String>,
    pub acls: IndexMap<String, String>,
}

#[derive(Debug, Serialize, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ChaincodeKind {
    /// Chaincode as a service: a Deployment per org that the peers dial.
    Ccaas,
    /// Source package built by the peer through a docker-in-docker sidecar.
    Source,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Chaincode {
    pub name: String,
    pub key: String,
    /// Version from network.yaml; `None` means the flow's `chaincode.version`.
    pub version: Option<String>,
    pub kind: ChaincodeKind,
    pub language: String,
    pub image: Option<String>,
    /// `image` without its registry host, for `global.imageRegistry`.
    pub image_path: Option<String>,
    pub port: u16,
    /// Where the chaincode server listens in its container.
    pub listen_address: String,
    pub env: IndexMap<String, String>,
    /// Source folder (absolute) for `Source` chaincodes.
    #[serde(skip)]
    pub source_dir: Option<PathBuf>,
    pub orgs: Vec<String>,
    pub channels: Vec<ChaincodeChannel>,
    /// One package per org that runs it.
    pub packages: Vec<ChaincodePackage>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChaincodeChannel {
    pub channel: String,
    pub orgs: Vec<String>,
    pub signature_policy: Option<String>,
    pub channel_config_policy: Option<String>,
    pub init_required: bool,
    #[serde(skip)]
    pub collections_file: Option<PathBuf>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChaincodePackage {
    pub org: String,
    /// The org's key (object names, the `hlf-kube/org` label).
    pub org_key: String,
    pub label: String,
    /// Chart-relative path of the lifecycle package (`chaincode/<cc>/<org>.tar.gz`).
    pub file: String,
    /// Key of the package in the chaincode ConfigMap.
    pub configmap_key: String,
    /// Deployment and Service of the chaincode server (ccaas).
    pub object: String,
    pub address: String,
}

impl Network {
    /// Whether `path` (below `crypto-config/`) is material configtx.yaml
    /// reads, which the chart keeps even with `--keys-dir` and the flows get
    /// in the configtx ConfigMap: a file in an org's public `msp/` folder or
    /// a consenter's TLS certificate. Private keys never are.
    pub fn is_public_material(&self, path: &str) -> bool {
        if crate::tree::is_private_key(path) {
            return false;
        }
        // Below some org's `msp_dir()` (`<kind>/<domain>/msp/`), matched
        // without making each one; called for every file of the material.
        let mut parts = path.splitn(4, '/');
        let (_, _, third) = (parts.next(), parts.next(), parts.next());
        if third == Some("msp") {
            return self.orgs.iter().any(|o| {
                path.strip_prefix(o.crypto.dir.as_str())
                    .and_then(|rest| rest.strip_prefix("/msp/"))
                    .is_some()
            });
        }
        // A consenter's TLS certificate, and a BFT consenter's enrollment
        // certificate, which configtxgen reads.
        let is = |file: &str| {
            file.strip_prefix(layout::CRYPTO_DIR)
                .and_then(|rest| rest.strip_prefix('/'))
                == Some(path)
        };
        (path.ends_with(".crt") || path.ends_with(".pem"))
            && self.channels.iter().any(|c| {
                let orderer = &c.profile.orderer;
                orderer.consenters.iter().any(|k| {
                    is(&k.tls_cert) || (orderer.orderer_type == OrdererType::Bft && is(&k.identity))
                })
            })
    }

    /// The nodes of orderer org `org` that clients are sent to (its
    /// OrdererEndpoints): those consenting on some channel. A node no channel
    /// has as consenter has joined none, and a client sent to it fails; an
    /// org whose nodes consent nowhere lists them all (Fabric 3 wants one).
    pub fn ordering_nodes<'a>(&self, org: &'a Org) -> Vec<&'a Node> {
        let consenting: Vec<&Node> = org
            .nodes
            .iter()
            .filter(|n| {
                self.channels.iter().any(|c| {
                    c.profile
                        .orderer
                        .consenters
                        .iter()
                        .any(|k| k.org == org.name && k.node == n.hostname)
                })
            })
            .collect();
        if consenting.is_empty() {
            org.nodes.iter().collect()
        } else {
            consenting
        }
    }

    pub fn org(&self, name: &str) -> Option<&Org> {
        self.orgs.iter().find(|o| o.name == name)
    }

    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }

    pub fn orgs_of(&self, kind: OrgKind) -> impl Iterator<Item = &Org> {
        self.orgs.iter().filter(move |o| o.kind == kind)
    }

    /// Orgs whose nodes this cluster runs.
    pub fn local_orgs(&self, kind: OrgKind) -> impl Iterator<Item = &Org> {
        self.orgs_of(kind).filter(|o| !o.external)
    }

    /// How many of the local orderers may be down at once with every
    /// channel keeping its quorum (Raft: a majority of its consenters; BFT:
    /// all but f of 3f+1; the other clusters' counted as up), or None when
    /// not even one may: a PodDisruptionBudget then could only block drains
    /// for good.
    pub fn orderer_max_unavailable(&self) -> Option<usize> {
        let local: usize = self
            .local_orgs(OrgKind::Orderer)
            .map(|o| o.nodes.len())
            .sum();
        if local == 0 {
            return None;
        }
        let mut allowed = local;
        for channel in &self.channels {
            let consenters = &channel.profile.orderer.consenters;
            if consenters.is_empty() {
                continue;
            }
            let spare = channel
                .profile
                .orderer
                .orderer_type
                .fault_tolerance(consenters.len());
            allowed = allowed.min(spare);
        }
        (allowed > 0).then_some(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::{split_registry, OrdererType};

    #[test]
    fn raft_keeps_a_majority_and_bft_all_but_a_third() {
        let raft: Vec<usize> = (1..=7)
            .map(|n| OrdererType::Raft.fault_tolerance(n))
            .collect();
        assert_eq!(raft, [0, 0, 1, 1, 2, 2, 3]);
        let bft: Vec<usize> = (1..=7)
            .map(|n| OrdererType::Bft.fault_tolerance(n))
            .collect();
        assert_eq!(bft, [0, 0, 0, 1, 1, 1, 2]);
        assert_eq!(OrdererType::Bft.fault_tolerance(0), 0);
    }

    #[test]
    fn registries_are_told_apart_as_docker_does() {
        assert_eq!(split_registry("couchdb:3.4.2"), (None, "couchdb:3.4.2"));
        assert_eq!(
            split_registry("hyperledger/fabric-peer:2.5"),
            (None, "hyperledger/fabric-peer:2.5")
        );
        assert_eq!(
            split_registry("registry.example/cc0:1.0"),
            (Some("registry.example"), "cc0:1.0")
        );
        assert_eq!(
            split_registry("localhost:5000/a/b"),
            (Some("localhost:5000"), "a/b")
        );
        assert_eq!(split_registry("localhost/a"), (Some("localhost"), "a"));
    }
}
