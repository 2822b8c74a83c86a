//! The real binary on good and bad input: exit codes, stdout, stderr.

mod support;

use std::path::Path;
use std::process::Output;

fn run(cwd: &Path, args: &[&str]) -> Output {
    support::fabchart(cwd).args(args).output().unwrap()
}

/// Exit code, stdout and stderr together, as one reviewable text.
fn transcript(output: &Output) -> String {
    format!(
        "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn project_with(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    support::copy_tree(
        &support::root().join("samples/simple"),
        &tmp.path().join("project"),
    );
    edit(&tmp.path().join("project"));
    tmp
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains(from),
        "{} does not contain {from:?}",
        path.display()
    );
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn compile_writes_the_chart_and_says_so_on_stderr_only() {
    let tmp = project_with(|_| {});
    let output = run(tmp.path(), &["compile", "project"]);
    assert!(output.status.success(), "{}", transcript(&output));
    assert!(output.stdout.is_empty(), "compile prints nothing on stdout");
    assert!(tmp.path().join("project/out/hlf-kube/Chart.yaml").is_file());
    assert!(tmp
        .path()
        .join("project/out/hlf-kube/configtx.yaml")
        .is_file());
}

#[test]
fn dangling_references_are_all_reported_with_positions() {
    let tmp = project_with(|p| {
        replace_in(
            &p.join("network.yaml"),
            "orgs: [Harbor, Meadow, Quarry]",
            "orgs: [Harbor, Medow, Quarry]",
        );
        replace_in(
            &p.join("network.yaml"),
            "- name: harbor-quarry\n          orgs",
            "- name: harbour-quarry\n          orgs",
        );
    });
    let output = run(tmp.path(), &["compile", "project"]);
    insta::assert_snapshot!(transcript(&output));
    assert!(
        !tmp.path().join("project/out").exists(),
        "nothing is written on error"
    );
}

#[test]
fn unknown_keys_name_the_accepted_ones() {
    let tmp = project_with(|p| replace_in(&p.join("network.yaml"), "  channels:", "  chanels:"));
    let output = run(tmp.path(), &["compile", "project"]);
    insta::assert_snapshot!(transcript(&output));
}

#[test]
fn bad_names_and_capabilities_are_refused() {
    let tmp = project_with(|p| {
        replace_in(
            &p.join("network.yaml"),
            "- name: trade",
            "- name: Trade_Floor",
        );
        replace_in(&p.join("configtx.yaml"), "V2_5: true", "V2_6: true");
    });
    let output = run(tmp.path(), &["compile", "project"]);
    insta::assert_snapshot!(transcript(&output));
}

#[test]
fn missing_files_are_named() {
    let tmp = project_with(|p| std::fs::remove_file(p.join("configtx.yaml")).unwrap());
    let output = run(tmp.path(), &["compile", "project"]);
    insta::assert_snapshot!(transcript(&output));
}

#[test]
fn a_failed_compile_leaves_the_previous_output_untouched() {
    let tmp = project_with(|_| {});
    assert!(run(tmp.path(), &["compile", "project"]).status.success());
    let before = fabchart::write::read_tree(&tmp.path().join("project/out")).unwrap();
    replace_in(
        &tmp.path().join("project/network.yaml"),
        "orgs: [Harbor, Quarry]",
        "orgs: [Nobody]",
    );
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    let after = fabchart::write::read_tree(&tmp.path().join("project/out")).unwrap();
    assert!(before == after, "the previous output changed");
}

#[test]
fn recompiling_is_byte_identical_and_check_passes() {
    let tmp = project_with(|_| {});
    assert!(run(tmp.path(), &["compile", "project"]).status.success());
    let first = fabchart::write::read_tree(&tmp.path().join("project/out")).unwrap();
    assert!(run(tmp.path(), &["compile", "project"]).status.success());
    let second = fabchart::write::read_tree(&tmp.path().join("project/out")).unwrap();
    assert!(first == second, "a second compile changed the output");
    let check = run(tmp.path(), &["compile", "project", "--check"]);
    assert!(check.status.success(), "{}", transcript(&check));
}

#[test]
fn check_reports_stale_output() {
    let tmp = project_with(|_| {});
    assert!(run(tmp.path(), &["compile", "project"]).status.success());
    replace_in(
        &tmp.path().join("project/network.yaml"),
        "version: \"1.0\"",
        "version: \"1.1\"",
    );
    let check = run(tmp.path(), &["compile", "project", "--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", transcript(&check));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("changed: topology.json"), "{stderr}");
}

#[test]
fn extending_the_network_only_adds_files() {
    let tmp = project_with(|_| {});
    assert!(run(tmp.path(), &["compile", "project"]).status.success());
    let crypto = tmp.path().join("project/out/hlf-kube/crypto-config");
    let before = fabchart::write::read_tree(&crypto).unwrap();
    replace_in(
        &tmp.path().join("project/crypto-config.yaml"),
        "Count: 1\n    Users",
        "Count: 2\n    Users",
    );
    let output = run(tmp.path(), &["compile", "project"]);
    assert!(output.status.success(), "{}", transcript(&output));
    let after = fabchart::write::read_tree(&crypto).unwrap();
    let diff = fabchart::write::TreeDiff::between(&before, &after);
    assert!(
        diff.changed.is_empty() && diff.removed.is_empty(),
        "{diff:?}"
    );
    assert!(
        diff.added
            .iter()
            .any(|p| p.contains("peer1.harbor.example")),
        "{diff:?}"
    );
}

/// `fabchart flow backup|restore` refuse, before printing anything, what
/// could not run: a restore without its key, an unknown storage type, no
/// credentials.
#[test]
fn backup_and_restore_options_are_checked_before_anything_is_printed() {
    let tmp = project_with(|_| {});
    let cases: [(&str, &[&str]); 4] = [
        (
            "restore without a key",
            &[
                "flow",
                "restore",
                "-p",
                "project",
                "--set",
                "backup.target.secret=backup-s3",
            ],
        ),
        (
            "unknown target type",
            &[
                "flow",
                "backup",
                "-p",
                "project",
                "--set",
                "backup.target.type=ftp,backup.target.secret=backup-ftp",
            ],
        ),
        ("no credentials", &["flow", "backup", "-p", "project"]),
        (
            "restore.force on a backup",
            &[
                "flow",
                "backup",
                "-p",
                "project",
                "--set",
                "backup.target.secret=backup-s3,restore.force=true",
            ],
        ),
    ];
    let mut out = String::new();
    for (what, args) in cases {
        let output = run(tmp.path(), args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{what}: {}",
            transcript(&output)
        );
        assert!(output.stdout.is_empty(), "{what}: nothing on stdout");
        out.push_str(&format!("=== {what}\n{}", transcript(&output)));
    }
    insta::assert_snapshot!(out);
}
