//! The options of `fabchart flow backup` and `fabchart flow restore`: the
//! `backup.*` section they share, and their `flow.*` selections, which
//! differ in what only one of them does (`flow.backup.parallel` and
//! `flow.orderer.backup.rolling` back up, `restore.force` restores).

use schemars::JsonSchema;
use serde::Deserialize;

use super::super::chart_values::ChartValues;
use super::common::{default_from_fields, flow_keys, FlowKeys};
use super::common::{HostAliases, LogLevel, Off, On, RetryCount};
use super::kinds;

/// `fabchart flow backup`
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackupOptions {
    #[serde(default)]
    pub backup: BackupSection,
    #[serde(default)]
    pub flow: BackupFlow,
    #[serde(default)]
    pub retry_count: RetryCount,
    #[serde(default)]
    pub log_level: LogLevel,
    #[serde(default)]
    pub host_aliases: HostAliases,
    /// The chart's values the steps share (`-f` the chart's values file).
    #[serde(skip)]
    pub chart: ChartValues,
}

/// `fabchart flow restore`
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RestoreOptions {
    #[serde(default)]
    pub backup: BackupSection,
    #[serde(default)]
    pub restore: RestoreSection,
    #[serde(default)]
    pub flow: RestoreFlow,
    #[serde(default)]
    pub retry_count: RetryCount,
    #[serde(default)]
    pub log_level: LogLevel,
    #[serde(default)]
    pub host_aliases: HostAliases,
    /// The chart's values the steps share (`-f` the chart's values file).
    #[serde(skip)]
    pub chart: ChartValues,
}

fn rclone_image() -> String {
    "rclone/rclone:1.75.1".into()
}

fn ten_minutes() -> u64 {
    600
}

fn six_hours() -> u64 {
    21600
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackupSection {
    /// backup key: the folder below bucket/prefix (backup: default the workflow's UTC start, YYYY-MM-DD-HHMMSS; restore: required)
    #[serde(default, deserialize_with = "kinds::text")]
    pub key: String,
    #[serde(default)]
    pub target: BackupTarget,
    /// image of the copy steps (rclone, busybox sh and tar)
    #[serde(default = "rclone_image", deserialize_with = "kinds::text")]
    pub image: String,
    /// only check and list what would be copied (restore: and verify every archive); stop nothing
    #[serde(default, deserialize_with = "kinds::flag")]
    pub dry_run: bool,
    /// how long to wait for a node to stop, or to be ready again
    #[serde(default = "ten_minutes", deserialize_with = "kinds::number")]
    pub wait_seconds: u64,
    /// deadline of the whole workflow (its exit handler then starts stopped nodes again)
    #[serde(default = "six_hours", deserialize_with = "kinds::number")]
    pub deadline_seconds: u64,
}

fn s3() -> String {
    "s3".into()
}

fn hlf_backup() -> String {
    "hlf-backup".into()
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackupTarget {
    /// object storage: s3 (AWS S3, MinIO and other S3-compatible), azureblob or gcs
    #[serde(default = "s3", rename = "type", deserialize_with = "kinds::text")]
    pub kind: String,
    /// bucket (Azure: container) that holds the backups
    #[serde(default = "hlf_backup", deserialize_with = "kinds::text")]
    pub bucket: String,
    /// folder inside the bucket above the backup keys
    #[serde(default, deserialize_with = "kinds::text")]
    pub prefix: String,
    /// endpoint URL, for MinIO and other S3-compatible stores (or Azurite, a GCS emulator)
    #[serde(default, deserialize_with = "kinds::text")]
    pub endpoint: String,
    /// S3 region
    #[serde(default, deserialize_with = "kinds::text")]
    pub region: String,
    /// Azure storage account, with backup.target.envAuth (else the Secret's `account`)
    #[serde(default, deserialize_with = "kinds::text")]
    pub account: String,
    /// Secret with the storage credentials (keys per type: see README); required unless envAuth
    #[serde(default, deserialize_with = "kinds::text")]
    pub secret: String,
    /// take credentials from the pods' environment (IRSA, workload identity) instead of a Secret
    #[serde(default, deserialize_with = "kinds::flag")]
    pub env_auth: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreSection {
    /// replace volumes that hold channel data (by default only empty or fresh volumes are restored)
    #[serde(default, deserialize_with = "kinds::flag")]
    pub force: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupFlow {
    #[serde(default)]
    pub backup: BackupRun,
    /// back up / restore the peers' ledger volumes
    #[serde(default)]
    pub peer: Component,
    /// back up / restore the CouchDB volumes (with their peers); false for goleveldb
    #[serde(default)]
    pub couchdb: Component,
    #[serde(default)]
    pub orderer: OrdererComponent,
    /// back up / restore each local org's fabric-ca volume (chart values ca.enabled and ca.persistence.enabled)
    #[serde(default)]
    pub ca: CaComponent,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreFlow {
    #[serde(default)]
    pub backup: RestoreRun,
    /// back up / restore the peers' ledger volumes
    #[serde(default)]
    pub peer: Component,
    /// back up / restore the CouchDB volumes (with their peers); false for goleveldb
    #[serde(default)]
    pub couchdb: Component,
    /// back up / restore the orderers' ledger volumes
    #[serde(default)]
    pub orderer: Component,
    /// back up / restore each local org's fabric-ca volume (chart values ca.enabled and ca.persistence.enabled)
    #[serde(default)]
    pub ca: CaComponent,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupRun {
    /// orgs (Org) or nodes (Org/hostname) to back up or restore (default: all local ones)
    #[serde(default, deserialize_with = "kinds::names")]
    pub include: Vec<String>,
    /// stop all peers of an org at once (default: one at a time, so the org keeps serving)
    #[serde(default, deserialize_with = "kinds::flag")]
    pub parallel: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRun {
    /// orgs (Org) or nodes (Org/hostname) to back up or restore (default: all local ones)
    #[serde(default, deserialize_with = "kinds::names")]
    pub include: Vec<String>,
}

// `flow.<component>.backup.enabled`
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Component {
    #[serde(default)]
    pub backup: On,
}

// `flow.ca.backup.enabled`: off unless set (the chart runs no CA by default).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaComponent {
    #[serde(default)]
    pub backup: Off,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrdererComponent {
    #[serde(default)]
    pub backup: OrdererBackup,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrdererBackup {
    /// back up / restore the orderers' ledger volumes
    #[serde(default = "super::common::yes", deserialize_with = "kinds::flag")]
    pub enabled: bool,
    /// back up orderers one at a time (ordering stays up, but the archives only restore single orderers)
    #[serde(default, deserialize_with = "kinds::flag")]
    pub rolling: bool,
}

default_from_fields!(
    BackupSection,
    BackupTarget,
    RestoreSection,
    BackupFlow,
    RestoreFlow,
    BackupRun,
    RestoreRun,
    Component,
    CaComponent,
    OrdererComponent,
    OrdererBackup,
);

flow_keys!(BackupOptions, RestoreOptions);

/// What the backup and restore builders share: `backup.*` and which nodes
/// and components they handle.
pub trait BackupFlowKeys: FlowKeys {
    fn backup(&self) -> &BackupSection;
    /// `flow.backup.include`
    fn include(&self) -> &[String];
    /// `flow.{peer,couchdb,orderer}.backup.enabled`
    fn components(&self) -> Components;
    /// `flow.backup.parallel` (backup only): stop all peers of an org at once.
    fn peers_together(&self) -> bool;
}

#[derive(Debug, Clone, Copy)]
pub struct Components {
    pub peer: bool,
    pub couchdb: bool,
    pub orderer: bool,
    pub ca: bool,
}

impl BackupFlowKeys for BackupOptions {
    fn backup(&self) -> &BackupSection {
        &self.backup
    }
    fn include(&self) -> &[String] {
        &self.flow.backup.include
    }
    fn components(&self) -> Components {
        Components {
            peer: self.flow.peer.backup.enabled,
            couchdb: self.flow.couchdb.backup.enabled,
            orderer: self.flow.orderer.backup.enabled,
            ca: self.flow.ca.backup.enabled,
        }
    }
    fn peers_together(&self) -> bool {
        self.flow.backup.parallel
    }
}

impl BackupFlowKeys for RestoreOptions {
    fn backup(&self) -> &BackupSection {
        &self.backup
    }
    fn include(&self) -> &[String] {
        &self.flow.backup.include
    }
    fn components(&self) -> Components {
        Components {
            peer: self.flow.peer.backup.enabled,
            couchdb: self.flow.couchdb.backup.enabled,
            orderer: self.flow.orderer.backup.enabled,
            ca: self.flow.ca.backup.enabled,
        }
    }
    fn peers_together(&self) -> bool {
        false
    }
}
