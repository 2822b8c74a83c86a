//! Every Kubernetes object name and Fabric address is made here, once.

use crate::model::OrgKind;

/// StatefulSets add a `controller-revision-hash` label of `<name>-<10 chars>`,
/// which must fit a 63-character label value.
pub const MAX_STATEFULSET_NAME: usize = 52;
pub const MAX_DNS_LABEL: usize = 63;

pub const PEER_PORT: u16 = 7051;
pub const PEER_CHAINCODE_PORT: u16 = 7052;
pub const PEER_OPERATIONS_PORT: u16 = 9443;
pub const ORDERER_PORT: u16 = 7050;
pub const ORDERER_ADMIN_PORT: u16 = 7053;
pub const ORDERER_CLUSTER_PORT: u16 = 7059;
pub const ORDERER_OPERATIONS_PORT: u16 = 8443;
pub const COUCHDB_PORT: u16 = 5984;
/// CouchDB's unauthenticated Prometheus listener (`[prometheus]
/// additional_port`; 17986 is CouchDB's own default).
pub const COUCHDB_METRICS_PORT: u16 = 17986;
pub const CA_PORT: u16 = 7054;
pub const CHAINCODE_SERVER_PORT: u16 = 9999;

/// The lower-case form of an org name used inside object names (`Karga` -> `karga`).
pub fn org_key(org_name: &str) -> String {
    org_name.to_lowercase()
}

pub fn node_object(kind: OrgKind, org_key: &str, hostname: &str) -> String {
    match kind {
        OrgKind::Peer => format!("hlf-peer--{org_key}--{hostname}"),
        OrgKind::Orderer => format!("hlf-orderer--{org_key}--{hostname}"),
    }
}

pub fn org_service(kind: OrgKind, org_key: &str) -> String {
    match kind {
        OrgKind::Peer => format!("hlf-peer--{org_key}"),
        OrgKind::Orderer => format!("hlf-orderer--{org_key}"),
    }
}

pub fn couchdb_object(org_key: &str, hostname: &str) -> String {
    format!("hlf-couchdb--{org_key}--{hostname}")
}

/// Name of the data volume of peers, orderers and CouchDBs: the StatefulSet's
/// volumeClaimTemplate with persistence on, its emptyDir volume otherwise.
pub const DATA_VOLUME: &str = "data";

/// The PersistentVolumeClaim the StatefulSet controller makes from the
/// `volume` claim template for pod 0 of `statefulset` (Fabric nodes run one
/// replica each).
pub fn claim_of(volume: &str, statefulset: &str) -> String {
    format!("{volume}-{statefulset}-0")
}

/// Annotation the backup and restore flows put on a StatefulSet they scale to
/// 0: the replicas to bring it back to. Whoever finds it (the flow's own
/// resume step, its exit handler, a later run) restores exactly that.
pub const RESUME_REPLICAS_ANNOTATION: &str = "hlf-kube/resume-replicas";

pub fn ca_object(org_key: &str) -> String {
    format!("hlf-ca--{org_key}")
}

pub fn admin_secret(org_key: &str) -> String {
    format!("hlf-admin--{org_key}")
}

pub fn node_secret(node_object: &str) -> String {
    format!("{node_object}-crypto")
}

pub fn user_secret(org_key: &str, user_key: &str) -> String {
    format!("hlf-user--{org_key}--{user_key}")
}

pub fn ca_secret(org_key: &str) -> String {
    format!("hlf-ca--{org_key}-crypto")
}

/// Chaincode names may hold `_` and upper case; object names may not.
pub fn chaincode_key(chaincode: &str) -> String {
    chaincode.to_lowercase().replace('_', "-")
}

pub fn chaincode_object(org_key: &str, chaincode_key: &str) -> String {
    format!("hlf-cc--{org_key}--{chaincode_key}")
}

pub const CONFIGTX_CONFIGMAP: &str = "hlf-configtx";

/// The key of a chart file (`crypto-config/...`) in the configtx ConfigMap:
/// its path with `/` written as `_`.
pub fn configtx_key(chart_path: &str) -> String {
    chart_path.replace('/', "_")
}

/// The ConfigMap with a local peer org's connection profile, for applications.
pub fn connection_profile_config_map(org_key: &str) -> String {
    format!("hlf-connection--{org_key}")
}
pub const CHAINCODE_CONFIGMAP: &str = "hlf-chaincode-packages";
pub const ORDERER_LB_SERVICE: &str = "hlf-orderer";
/// The prefix of the ServiceAccounts the chart creates for the flows.
pub const FLOW_SERVICE_ACCOUNT: &str = "hlf-flow";
pub const COUCHDB_CREDENTIALS: &str = "hlf-couchdb-credentials";
pub const CA_ADMIN_SECRET: &str = "hlf-ca-admin";
/// The chart's CouchDB configuration (the metrics listener).
pub const COUCHDB_CONFIGMAP: &str = "hlf-couchdb-config";
/// The NetworkPolicy that denies every pod of the chart all traffic, and the
/// one that lets them resolve names.
pub const DEFAULT_DENY_POLICY: &str = "hlf-default-deny";
pub const DNS_POLICY: &str = "hlf-dns";
/// The NetworkPolicy that denies the flows' pods all incoming traffic.
pub const FLOW_POLICY: &str = "hlf-flows";
/// The PodDisruptionBudget over every local orderer.
pub const ORDERER_DISRUPTION_BUDGET: &str = "hlf-orderer";
/// The ServiceMonitor of the nodes' metrics.
pub const SERVICE_MONITOR: &str = "hlf-metrics";
/// The label every pod of a flow carries, with the flow's name.
pub const FLOW_LABEL: &str = "hlf-kube/flow";

/// The ServiceAccount (and Role, RoleBinding) the flow named `flow` runs as.
pub fn flow_account(flow: &str) -> String {
    format!("{FLOW_SERVICE_ACCOUNT}-{flow}")
}

/// Whether `name` is an RFC 1123 label: lower-case alphanumerics and `-`,
/// starting and ending with an alphanumeric.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_DNS_LABEL
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Fabric's channel name rule: `[a-z][a-z0-9.-]*`, shorter than 250 characters.
pub fn is_channel_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && name.len() < 250
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// Fabric's chaincode name rule: `[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*`.
pub fn is_chaincode_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .split(['-', '_'])
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A DNS name (hostnames and domains of crypto-config.yaml).
pub fn is_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= MAX_DNS_LABEL
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_follow_fabric() {
        assert!(is_channel_name("common"));
        assert!(is_channel_name("private-karga.atlantis2"));
        assert!(!is_channel_name("Common"));
        assert!(!is_channel_name("1common"));
        assert!(!is_channel_name("com_mon"));
    }

    #[test]
    fn chaincode_names_follow_fabric() {
        assert!(is_chaincode_name("very-simple"));
        assert!(is_chaincode_name("My_cc2"));
        assert!(!is_chaincode_name("-cc"));
        assert!(!is_chaincode_name("cc--x"));
        assert!(!is_chaincode_name("cc.x"));
    }

    #[test]
    fn dns_labels() {
        assert!(is_dns_label("hlf-peer--karga--peer0"));
        assert!(!is_dns_label("Karga"));
        assert!(!is_dns_label(&"a".repeat(64)));
    }
}
