//! Rewrites tests/fixtures/cryptogen/simple.expected from a real cryptogen 2.5
//! output tree (e.g. shared/reference/fabric-2.5.16/cryptogen-simple/crypto-config):
//!
//!     cargo run --example cryptogen_fixture -- <reference crypto-config>
//!
//! The reference files may be read-only copies, so modes are first normalized
//! to cryptogen's own: 0600 for keys, 0644 for the rest.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use fabchart::generate::crypto::describe_tree;

const FIXTURE: &str = "tests/fixtures/cryptogen/simple.expected";

fn main() -> anyhow::Result<()> {
    let reference = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or_else(|| anyhow::anyhow!("usage: cryptogen_fixture <crypto-config dir>"))?,
    );
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join("crypto-config");
    for entry in walkdir::WalkDir::new(&reference).sort_by_file_name() {
        let entry = entry?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(&reference)?;
        let target = copy.join(rel);
        fs::create_dir_all(target.parent().expect("below the copy root"))?;
        fs::copy(entry.path(), &target)?;
        let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let mode = if name.ends_with("_sk") || name.ends_with(".key") {
            0o600
        } else {
            0o644
        };
        fs::set_permissions(&target, fs::Permissions::from_mode(mode))?;
    }
    fs::write(FIXTURE, describe_tree(&copy)?)?;
    eprintln!("wrote {FIXTURE}");
    Ok(())
}
