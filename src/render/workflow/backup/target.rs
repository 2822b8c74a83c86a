//! Where backups go: rclone's remote `backup`, configured by environment
//! only, and the backup key.

use anyhow::bail;
use serde_json::{json, Value};

use crate::model::names;
use crate::render::workflow::options::BackupFlowKeys;
use crate::render::workflow::{env, Builder};

/// The rclone remote the steps configure through `RCLONE_CONFIG_BACKUP_*`.
pub(super) const REMOTE: &str = "backup";

/// The backup key of `fabchart flow backup` without `backup.key`: the
/// workflow's creation time (UTC), so the printed workflow stays the same.
pub(super) const DEFAULT_BACKUP_KEY: &str = "{{workflow.creationTimestamp.Y}}-{{workflow.creationTimestamp.m}}-{{workflow.creationTimestamp.d}}-{{workflow.creationTimestamp.H}}{{workflow.creationTimestamp.M}}{{workflow.creationTimestamp.S}}";

fn is_key_part(text: &str) -> bool {
    !text.is_empty()
        && text != "."
        && text != ".."
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

fn secret_env(name: &str, secret: &str, key: &str) -> Value {
    json!({ "name": name, "valueFrom": { "secretKeyRef": { "name": secret, "key": key } } })
}

impl<O: BackupFlowKeys> Builder<'_, O> {
    /// `backup:<bucket>[/<prefix>]`, after checking the target options.
    pub(super) fn remote_root(&self) -> anyhow::Result<String> {
        let o = &self.options.backup().target;
        let kinds = ["s3", "azureblob", "gcs"];
        if !kinds.contains(&o.kind.as_str()) {
            bail!(
                "backup.target.type `{}` is not supported; supported: {}",
                o.kind,
                kinds.join(", ")
            );
        }
        if o.secret.is_empty() && !o.env_auth {
            bail!(
                "backup.target.secret is required: the name of a Secret with the {} credentials ({}), or set backup.target.envAuth=true to use the pods' own identity",
                o.kind,
                match o.kind.as_str() {
                    "s3" => "keys access-key-id and secret-access-key",
                    "azureblob" => "keys account and key",
                    _ => "key service-account.json",
                }
            );
        }
        if !o.secret.is_empty() && !names::is_dns_name(&o.secret) {
            bail!("backup.target.secret `{}` is not a Secret name", o.secret);
        }
        if o.kind == "azureblob" && o.env_auth && o.account.is_empty() {
            bail!("backup.target.envAuth with azureblob needs backup.target.account (the storage account)");
        }
        if !is_key_part(&o.bucket) {
            bail!(
                "backup.target.bucket `{}` is not a bucket name (letters, digits, . _ -)",
                o.bucket
            );
        }
        let prefix = o.prefix.trim_matches('/');
        if !prefix.is_empty() && !prefix.split('/').all(is_key_part) {
            bail!(
                "backup.target.prefix `{}` is not a folder path (parts of letters, digits, . _ - joined by /)",
                o.prefix
            );
        }
        let mut root = format!("{REMOTE}:{}", o.bucket);
        if !prefix.is_empty() {
            root = format!("{root}/{prefix}");
        }
        Ok(root)
    }

    /// The backup key, checked; the workflow's creation time when a backup
    /// names none.
    pub(super) fn backup_key(&self, restore: bool) -> anyhow::Result<String> {
        let key = &self.options.backup().key;
        if key.is_empty() {
            if restore {
                bail!("fabchart flow restore needs the backup to restore: --set backup.key=<key> (a folder below the bucket, e.g. 2025-01-31-023000)");
            }
            return Ok(DEFAULT_BACKUP_KEY.to_string());
        }
        if !is_key_part(key) {
            bail!(
                "backup.key `{key}` is not a backup key (letters, digits, . _ -, e.g. 2025-01-31-023000)"
            );
        }
        Ok(key.clone())
    }

    /// rclone's configuration of remote `backup`, purely by environment;
    /// credentials come from the Secret, never from the workflow text.
    pub(super) fn target_env(&self) -> Vec<Value> {
        let o = &self.options.backup().target;
        let var = |option: &str| format!("RCLONE_CONFIG_{}_{option}", REMOTE.to_uppercase());
        let mut e = Vec::new();
        let secret = (!o.secret.is_empty()).then_some(o.secret.as_str());
        match o.kind.as_str() {
            "s3" => {
                e.push(env(&var("TYPE"), "s3"));
                let provider = if o.endpoint.is_empty() {
                    "AWS"
                } else {
                    "Other"
                };
                e.push(env(&var("PROVIDER"), provider));
                if !o.region.is_empty() {
                    e.push(env(&var("REGION"), o.region.clone()));
                }
                // Streams of unknown size go up in 10,000 parts at most: 32 MiB
                // parts allow archives up to ~312 GiB.
                e.push(env(&var("CHUNK_SIZE"), "32M"));
                e.push(env(&var("NO_CHECK_BUCKET"), "true"));
                if let Some(secret) = secret {
                    e.push(secret_env(&var("ACCESS_KEY_ID"), secret, "access-key-id"));
                    e.push(secret_env(
                        &var("SECRET_ACCESS_KEY"),
                        secret,
                        "secret-access-key",
                    ));
                }
            }
            "azureblob" => {
                e.push(env(&var("TYPE"), "azureblob"));
                e.push(env(&var("CHUNK_SIZE"), "16M"));
                e.push(env(&var("NO_CHECK_CONTAINER"), "true"));
                if !o.account.is_empty() {
                    e.push(env(&var("ACCOUNT"), o.account.clone()));
                }
                if let Some(secret) = secret {
                    if o.account.is_empty() {
                        e.push(secret_env(&var("ACCOUNT"), secret, "account"));
                    }
                    e.push(secret_env(&var("KEY"), secret, "key"));
                }
            }
            _ => {
                e.push(env(&var("TYPE"), "google cloud storage"));
                e.push(env(&var("BUCKET_POLICY_ONLY"), "true"));
                e.push(env(&var("NO_CHECK_BUCKET"), "true"));
                if let Some(secret) = secret {
                    e.push(secret_env(
                        &var("SERVICE_ACCOUNT_CREDENTIALS"),
                        secret,
                        "service-account.json",
                    ));
                }
            }
        }
        if !o.endpoint.is_empty() {
            e.push(env(&var("ENDPOINT"), o.endpoint.clone()));
        }
        if o.env_auth {
            e.push(env(&var("ENV_AUTH"), "true"));
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_parts() {
        assert!(is_key_part("2025-01-31-023000"));
        assert!(is_key_part("nightly_v1.2"));
        assert!(!is_key_part(".."));
        assert!(!is_key_part("a/b"));
        assert!(!is_key_part("a b"));
        assert!(!is_key_part(""));
    }
}
