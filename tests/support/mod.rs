//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod goldens;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every sample folder, sorted.
pub fn samples() -> Vec<PathBuf> {
    projects_in(&root().join("samples"))
}

/// Test projects (`tests/fixtures/projects/*`): samples for cases the shipped
/// samples do not show, sorted.
pub fn fixture_projects() -> Vec<PathBuf> {
    projects_in(&root().join("tests/fixtures/projects"))
}

/// A project's name: its folder's.
pub fn project_name(project: &Path) -> String {
    project.file_name().unwrap().to_string_lossy().to_string()
}

/// The samples, then the test projects: every project a chart is made of.
pub fn all_projects() -> Vec<PathBuf> {
    let mut out = samples();
    out.extend(fixture_projects());
    out
}

/// The project folders (those with a network.yaml) in `dir`, sorted.
fn projects_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
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
    copy_tree(sample, &tmp.path().join("project"));
    compile_in(tmp.path(), &[]);
    let chart = tmp.path().join("out/hlf-kube");
    (tmp, chart)
}

/// `fabchart compile project -o out EXTRA...` in `dir`, which must succeed.
pub fn compile_in(dir: &Path, extra: &[&str]) {
    let output = fabchart(dir)
        .args(["compile", "project", "-o", "out"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "compile in {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Replaces the first `from` in file `path` with `to`; `from` must be there.
pub fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains(from),
        "{} does not contain {from:?}",
        path.display()
    );
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Whether `tool` is on PATH.
pub fn have(tool: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool} >/dev/null")])
        .status()
        .is_ok_and(|s| s.success())
}

/// The clusters of samples/cross-cluster, in a temp folder's `one`, `two`
/// and `three`.
pub const CLUSTERS: [&str; 3] = ["one", "two", "three"];

/// `fabchart ARGS` in `dir`, which must succeed.
pub fn fabchart_ok(dir: &Path, args: &[&str]) -> std::process::Output {
    let output = fabchart(dir).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "fabchart {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The clusters of samples/cross-cluster copied into a temp folder and
/// compiled, each one's bundle exported as `<cluster>.bundle.yaml` beside them.
pub fn exported_clusters() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for cluster in CLUSTERS {
        copy_tree(
            &root().join("samples/cross-cluster").join(cluster),
            &dir.join(cluster),
        );
        fabchart_ok(dir, &["compile", cluster]);
        let bundle = fabchart_ok(dir, &["bundle", "export", cluster]).stdout;
        std::fs::write(dir.join(format!("{cluster}.bundle.yaml")), bundle).unwrap();
    }
    tmp
}

/// [`exported_clusters`], each bundle then imported by the other two, each
/// project compiled again: what the README's walkthrough ends with.
pub fn exchanged_clusters() -> tempfile::TempDir {
    let tmp = exported_clusters();
    let dir = tmp.path();
    for cluster in CLUSTERS {
        for other in CLUSTERS.iter().filter(|c| **c != cluster) {
            fabchart_ok(
                dir,
                &["bundle", "import", &format!("{other}.bundle.yaml"), cluster],
            );
        }
        fabchart_ok(dir, &["compile", cluster]);
    }
    tmp
}
