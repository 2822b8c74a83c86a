//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every sample folder, sorted.
pub fn samples() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("samples"))
        .expect("samples/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("network.yaml").is_file())
        .collect();
    out.sort();
    out
}

/// Test projects (`tests/fixtures/projects/*`): samples for cases the shipped
/// samples do not show, sorted.
pub fn fixture_projects() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("tests/fixtures/projects"))
        .expect("tests/fixtures/projects/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("network.yaml").is_file())
        .collect();
    out.sort();
    out
}

/// The fabchart binary with a cleared environment and a fixed certificate clock.
pub fn fabchart(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fabchart"));
    cmd.current_dir(cwd)
        .env_clear()
        .env("SOURCE_DATE_EPOCH", "1767225600");
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// Copies a folder tree (a sample) so a test can compile it without touching the repo.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        if rel.starts_with("out") {
            continue;
        }
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Compiles `sample` into a fresh temp dir and returns (tempdir, chart dir).
pub fn compile_sample(sample: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    copy_tree(sample, &project);
    let output = fabchart(tmp.path())
        .args(["compile", "project", "-o", "out"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "compile {} failed:\n{}",
        sample.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let chart = tmp.path().join("out/hlf-kube");
    (tmp, chart)
}
