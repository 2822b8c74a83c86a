//! Chaincode lifecycle packages, byte for byte reproducible: the same input
//! gives the same tar.gz and so the same package id.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use flate2::{Compression, GzBuilder};
use sha2::{Digest, Sha256};

use crate::model::{Chaincode, ChaincodeKind, ChaincodePackage};

/// A built package and its id (`label:sha256-hex`), as `peer lifecycle
/// chaincode calculatepackageid` would print it.
pub struct BuiltPackage {
    pub bytes: Vec<u8>,
    pub id: String,
}

pub fn package_id(label: &str, bytes: &[u8]) -> String {
    format!("{label}:{}", hex::encode(Sha256::digest(bytes)))
}

pub fn build(chaincode: &Chaincode, package: &ChaincodePackage) -> anyhow::Result<BuiltPackage> {
    let (metadata, code) = match chaincode.kind {
        ChaincodeKind::Ccaas => {
            let connection = serde_json::json!({
                "address": package.address,
                "dial_timeout": "10s",
                "tls_required": false,
            });
            let code = tar_gz(&[(
                "connection.json".into(),
                connection.to_string().into_bytes(),
            )])?;
            let metadata = serde_json::json!({ "type": "ccaas", "label": package.label });
            (metadata, code)
        }
        ChaincodeKind::Source => {
            let dir = chaincode
                .source_dir
                .as_deref()
                .context("source chaincode without a folder")?;
            let code = tar_gz(&source_files(dir)?)?;
            let metadata = serde_json::json!({
                "path": chaincode.name,
                "type": chaincode.language,
                "label": package.label,
            });
            (metadata, code)
        }
    };
    let bytes = tar_gz(&[
        ("metadata.json".into(), metadata.to_string().into_bytes()),
        ("code.tar.gz".into(), code),
    ])?;
    let id = package_id(&package.label, &bytes);
    Ok(BuiltPackage { bytes, id })
}

/// Every file below `dir`, sorted, as `src/<relative path>` entries.
fn source_files(dir: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(dir)
            .expect("walkdir stays below its root");
        let bytes = std::fs::read(entry.path())
            .with_context(|| format!("cannot read {}", entry.path().display()))?;
        files.push((
            format!("src/{}", relative.to_string_lossy().replace('\\', "/")),
            bytes,
        ));
    }
    Ok(files)
}

/// A gzip'd tar with fixed owners, modes and times, so its bytes depend on the
/// file names and contents only.
fn tar_gz(files: &[(String, Vec<u8>)]) -> anyhow::Result<Vec<u8>> {
    let mut archive = tar::Builder::new(Vec::new());
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        archive.append_data(&mut header, name, content.as_slice())?;
    }
    let tar = archive.into_inner()?;
    let mut gz = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::default());
    gz.write_all(&tar)?;
    Ok(gz.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_id_is_label_and_sha256() {
        assert_eq!(
            package_id("cc_1", b"abc"),
            "cc_1:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn archives_are_reproducible() {
        let files = vec![("a.txt".to_string(), b"hello".to_vec())];
        assert_eq!(tar_gz(&files).unwrap(), tar_gz(&files).unwrap());
    }
}
