//! What the chart's pods and the flows' steps agree on, made once here and
//! printed by the templates and scripts: the ports every node of a kind
//! listens on, the paths of mounts and files inside the containers, and the
//! names of the network-wide objects. topology.json carries all of it.

use serde::Serialize;

use super::{layout, names};

/// Every container listens on all its interfaces.
const ALL_INTERFACES: &str = "0.0.0.0";

fn listen(port: u16) -> String {
    format!("{ALL_INTERFACES}:{port}")
}

/// Ports, and the listen addresses built from them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ports {
    pub peer: u16,
    pub peer_chaincode: u16,
    pub peer_operations: u16,
    pub orderer: u16,
    pub orderer_admin: u16,
    pub orderer_cluster: u16,
    pub orderer_operations: u16,
    pub couchdb: u16,
    pub couchdb_metrics: u16,
    pub ca: u16,
    /// `0.0.0.0`: the orderer takes host and port apart.
    pub listen_host: &'static str,
    pub peer_listen: String,
    pub peer_chaincode_listen: String,
    pub peer_operations_listen: String,
    pub orderer_admin_listen: String,
    pub orderer_operations_listen: String,
}

impl Ports {
    pub fn new() -> Ports {
        Ports {
            peer: names::PEER_PORT,
            peer_chaincode: names::PEER_CHAINCODE_PORT,
            peer_operations: names::PEER_OPERATIONS_PORT,
            orderer: names::ORDERER_PORT,
            orderer_admin: names::ORDERER_ADMIN_PORT,
            orderer_cluster: names::ORDERER_CLUSTER_PORT,
            orderer_operations: names::ORDERER_OPERATIONS_PORT,
            couchdb: names::COUCHDB_PORT,
            couchdb_metrics: names::COUCHDB_METRICS_PORT,
            ca: names::CA_PORT,
            listen_host: ALL_INTERFACES,
            peer_listen: listen(names::PEER_PORT),
            peer_chaincode_listen: listen(names::PEER_CHAINCODE_PORT),
            peer_operations_listen: listen(names::PEER_OPERATIONS_PORT),
            orderer_admin_listen: listen(names::ORDERER_ADMIN_PORT),
            orderer_operations_listen: listen(names::ORDERER_OPERATIONS_PORT),
        }
    }

    /// Where a chaincode server listens inside its container.
    pub fn chaincode_listen(port: u16) -> String {
        listen(port)
    }
}

impl Default for Ports {
    fn default() -> Self {
        Ports::new()
    }
}

/// Where a node's identity Secret is mounted.
pub const NODE_CRYPTO: &str = "/etc/hyperledger/crypto/node";
/// The data volume of peers and orderers.
pub const LEDGER: &str = "/var/hyperledger/production";
/// Where the CA's Secret (its certificate and key) is mounted.
pub const CA_CRYPTO: &str = "/etc/hyperledger/crypto/ca";
/// fabric-ca-server's home (its database and the files it makes).
pub const CA_HOME: &str = "/var/hyperledger/fabric-ca-server";
/// CouchDB's data volume.
pub const COUCHDB_DATA: &str = "/opt/couchdb/data";
/// CouchDB's last configuration folder, which its entrypoint and CouchDB
/// write (docker.ini: the admin, the node's uuid): an emptyDir.
pub const COUCHDB_LOCAL_CONFIG: &str = "/opt/couchdb/etc/local.d";
/// CouchDB's configuration read before local.d: the chart's additions
/// (the metrics listener), read-only.
pub const COUCHDB_DEFAULT_CONFIG: &str = "/opt/couchdb/etc/default.d";
/// The chart's CouchDB configuration file there.
pub const COUCHDB_CHART_INI: &str = "hlf-kube.ini";
/// Scratch space of every container (the peer's external builders build
/// there, Go's os.TempDir): an emptyDir, the root filesystem being read-only.
pub const TMP: &str = "/tmp";
/// Flow steps: the hlf-configtx ConfigMap, and where a step rebuilds its tree.
pub const CONFIGTX_MOUNT: &str = "/configtx";
pub const CONFIGTX_TREE: &str = "/tmp/configtx";
/// Flow steps: the org admin's Secret, and where a step rebuilds its MSP.
pub const ADMIN_MOUNT: &str = "/crypto/admin";
pub const ADMIN_TREE: &str = "/tmp/admin";
/// Flow steps: each orderer org admin's Secret, below this, in a folder
/// named by the org's key (the orderer's admin API client).
pub const ORDERER_ADMINS_MOUNT: &str = "/crypto/orderer";
/// Flow steps: the org's chaincode package.
pub const PACKAGE_MOUNT: &str = "/package";
pub const PACKAGE_FILE: &str = "package.tar.gz";
/// Flow steps: where a step leaves its output parameters for Argo.
pub const OUTPUTS: &str = "/tmp/outputs";

/// What a flow step script finds in its environment about where things are:
/// the mounts above and an identity's files inside its folder. A step gets
/// the ones its script names (see the workflow renderer).
pub fn step_env() -> Vec<(&'static str, String)> {
    vec![
        ("CONFIGTX_MOUNT", CONFIGTX_MOUNT.to_string()),
        ("CONFIGTX_DIR", CONFIGTX_TREE.to_string()),
        ("ADMIN_MOUNT", ADMIN_MOUNT.to_string()),
        ("ADMIN_DIR", ADMIN_TREE.to_string()),
        ("ORDERER_ADMINS_MOUNT", ORDERER_ADMINS_MOUNT.to_string()),
        ("PACKAGE_FILE", format!("{PACKAGE_MOUNT}/{PACKAGE_FILE}")),
        ("OUTPUTS_DIR", OUTPUTS.to_string()),
        ("ID_MSP", layout::MSP.to_string()),
        ("ID_TLS_CA", layout::TLS_CA.to_string()),
        ("ID_CLIENT_CERT", layout::tls_cert("client")),
        ("ID_CLIENT_KEY", layout::tls_key("client")),
    ]
}

/// The paths above, and the files below them, as the templates print them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodPaths {
    pub node_crypto: &'static str,
    pub node_msp: String,
    pub node_tls_cert: String,
    pub node_tls_key: String,
    pub node_tls_ca: String,
    pub ledger: &'static str,
    pub orderer_ledger: String,
    pub orderer_wal: String,
    pub orderer_snapshot: String,
    pub ca_crypto: &'static str,
    pub ca_cert: String,
    pub ca_key: String,
    pub ca_home: &'static str,
    pub couchdb_data: &'static str,
    pub couchdb_local_config: &'static str,
    pub couchdb_default_config: &'static str,
    pub couchdb_chart_ini: &'static str,
    pub tmp: &'static str,
}

/// Names of a CA Secret's files (keys, and their mount below [`CA_CRYPTO`]).
pub const CA_CERT_FILE: &str = "ca-cert.pem";
pub const CA_KEY_FILE: &str = "ca-key.pem";

impl PodPaths {
    pub fn new() -> PodPaths {
        let orderer_ledger = format!("{LEDGER}/orderer");
        PodPaths {
            node_crypto: NODE_CRYPTO,
            node_msp: format!("{NODE_CRYPTO}/{}", layout::MSP),
            node_tls_cert: format!("{NODE_CRYPTO}/{}", layout::tls_cert("server")),
            node_tls_key: format!("{NODE_CRYPTO}/{}", layout::tls_key("server")),
            node_tls_ca: format!("{NODE_CRYPTO}/{}", layout::TLS_CA),
            ledger: LEDGER,
            orderer_wal: format!("{orderer_ledger}/etcdraft/wal"),
            orderer_snapshot: format!("{orderer_ledger}/etcdraft/snapshot"),
            orderer_ledger,
            ca_crypto: CA_CRYPTO,
            ca_cert: format!("{CA_CRYPTO}/{CA_CERT_FILE}"),
            ca_key: format!("{CA_CRYPTO}/{CA_KEY_FILE}"),
            ca_home: CA_HOME,
            couchdb_data: COUCHDB_DATA,
            couchdb_local_config: COUCHDB_LOCAL_CONFIG,
            couchdb_default_config: COUCHDB_DEFAULT_CONFIG,
            couchdb_chart_ini: COUCHDB_CHART_INI,
            tmp: TMP,
        }
    }
}

impl Default for PodPaths {
    fn default() -> Self {
        PodPaths::new()
    }
}

/// Names of the objects the network has once, whatever its size.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Objects {
    pub configtx_config_map: &'static str,
    pub chaincode_config_map: &'static str,
    /// The CouchDB credentials Secret the chart makes (unless one is given).
    pub couchdb_credentials: &'static str,
    /// The fabric-ca bootstrap admin's Secret the chart makes (unless one is given).
    pub ca_admin: &'static str,
    pub couchdb_config_map: &'static str,
    pub default_deny_policy: &'static str,
    pub dns_policy: &'static str,
    pub flow_policy: &'static str,
    pub orderer_disruption_budget: &'static str,
    pub service_monitor: &'static str,
    /// The label key of the flows' pods.
    pub flow_label: &'static str,
}

impl Objects {
    pub const NAMES: Objects = Objects {
        configtx_config_map: names::CONFIGTX_CONFIGMAP,
        chaincode_config_map: names::CHAINCODE_CONFIGMAP,
        couchdb_credentials: names::COUCHDB_CREDENTIALS,
        ca_admin: names::CA_ADMIN_SECRET,
        couchdb_config_map: names::COUCHDB_CONFIGMAP,
        default_deny_policy: names::DEFAULT_DENY_POLICY,
        dns_policy: names::DNS_POLICY,
        flow_policy: names::FLOW_POLICY,
        orderer_disruption_budget: names::ORDERER_DISRUPTION_BUDGET,
        service_monitor: names::SERVICE_MONITOR,
        flow_label: names::FLOW_LABEL,
    };
}
