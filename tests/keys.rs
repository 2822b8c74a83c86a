//! Keys are never lost or silently replaced: the identity record
//! (fabchart.lock), refusals instead of new CAs, output that only fabchart's
//! files may be replaced in, key/certificate checks, and `--check` that
//! writes nothing. Each case runs the real binary on a copy of samples/simple.

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use sha2::{Digest, Sha256};
use support::replace_in;

fn run(cwd: &Path, args: &[&str]) -> Output {
    support::fabchart(cwd).args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ok(cwd: &Path, args: &[&str]) -> Output {
    let output = run(cwd, args);
    assert!(
        output.status.success(),
        "fabchart {args:?} failed:\n{}",
        stderr(&output)
    );
    output
}

/// A copy of samples/simple in `<tmp>/project`, compiled once.
fn compiled(extra: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    support::copy_tree(
        &support::root().join("samples/simple"),
        &tmp.path().join("project"),
    );
    let mut args = vec!["compile", "project"];
    args.extend_from_slice(extra);
    ok(tmp.path(), &args);
    tmp
}

/// sha256 of every CA and TLS CA key below `root`, by path.
fn ca_keys(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        let path = entry.path();
        let in_ca = path
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == "ca" || n == "tlsca");
        if entry.file_type().is_file() && in_ca && path.file_name().unwrap() == "priv_sk" {
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            out.insert(
                rel,
                hex::encode(Sha256::digest(std::fs::read(path).unwrap())),
            );
        }
    }
    out
}

fn chart(tmp: &Path) -> PathBuf {
    tmp.join("project/out/hlf-kube")
}

fn snapshot(tmp: &Path) -> fabchart::tree::Tree {
    fabchart::tree::Tree::read(&tmp.join("project")).unwrap()
}

#[test]
fn the_first_compile_records_every_org_and_later_ones_keep_the_record() {
    let tmp = compiled(&[]);
    let record = std::fs::read_to_string(tmp.path().join("project/fabchart.lock")).unwrap();
    for msp in ["BeaconMSP", "HarborMSP", "MeadowMSP", "QuarryMSP"] {
        assert!(record.contains(&format!("  {msp}:\n")), "{record}");
    }
    assert!(!record.contains("PRIVATE"), "no secret in the record");
    // The record names each CA by its certificate's fingerprint.
    let ca = std::fs::read(
        chart(tmp.path())
            .join("crypto-config/peerOrganizations/harbor.example/ca/ca.harbor.example-cert.pem"),
    )
    .unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(&ca).unwrap();
    let print = hex::encode(Sha256::digest(&pem.contents));
    assert!(record.contains(&print), "{record}");
    ok(tmp.path(), &["compile", "project"]);
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("project/fabchart.lock")).unwrap(),
        record
    );
}

/// Case 1: a mistyped --crypto is an error, never new CAs.
#[test]
fn a_mistyped_crypto_folder_is_an_error() {
    let tmp = compiled(&[]);
    let before = snapshot(tmp.path());
    let output = run(
        tmp.path(),
        &[
            "compile",
            "project",
            "--crypto",
            "project/out/hlf-kube/crypto-confg",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--crypto project/out/hlf-kube/crypto-confg: no such folder"));
    assert!(snapshot(tmp.path()) == before, "nothing changed");
}

/// A deleted output with the record in place: a refusal that names each org,
/// where compile looked, and the ways on; no CA is made.
#[test]
fn a_deleted_output_is_refused_not_replaced_with_new_cas() {
    let tmp = compiled(&[]);
    std::fs::rename(chart(tmp.path()), tmp.path().join("saved")).unwrap();
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    for expected in [
        "Harbor (HarborMSP): no CA found",
        "Beacon (BeaconMSP): no TLS CA",
        "Looked in: project/out/hlf-kube/crypto-config (absent), project/crypto-config (absent)",
        "--crypto DIR",
        "--replace-ca Beacon,Harbor",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    assert!(!chart(tmp.path()).exists(), "nothing was written");
    // The material, given back with --crypto, is accepted and reused.
    ok(
        tmp.path(),
        &["compile", "project", "--crypto", "saved/crypto-config"],
    );
    assert_eq!(
        ca_keys(&chart(tmp.path())),
        ca_keys(&tmp.path().join("saved"))
    );
}

/// Case 3: a chart compiled with --keys-dir K, compiled with a mistyped K.
#[test]
fn a_mistyped_keys_folder_is_refused() {
    let tmp = compiled(&["--keys-dir", "keys"]);
    let keys_before = ca_keys(&tmp.path().join("keys"));
    let chart_before = fabchart::tree::Tree::read(&chart(tmp.path())).unwrap();
    let output = run(
        tmp.path(),
        &["compile", "project", "--keys-dir", "keys-typo"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("keys-typo/crypto-config (absent)"),
        "{}",
        stderr(&output)
    );
    assert!(!tmp.path().join("keys-typo").exists(), "no folder made");
    assert!(fabchart::tree::Tree::read(&chart(tmp.path())).unwrap() == chart_before);
    assert_eq!(ca_keys(&tmp.path().join("keys")), keys_before);
}

/// A fresh clone: inputs and record committed, keys folder not there.
#[test]
fn a_clone_without_the_keys_is_refused() {
    let tmp = compiled(&["--keys-dir", "keys"]);
    let clone = tempfile::tempdir().unwrap();
    support::copy_tree(&tmp.path().join("project"), &clone.path().join("project"));
    support::copy_tree(
        &chart(tmp.path()),
        &clone.path().join("project/out/hlf-kube"),
    );
    let output = run(clone.path(), &["compile", "project", "--keys-dir", "keys"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("records the CAs of these orgs"));
}

/// Material from another network is not this network's orgs.
#[test]
fn material_of_other_cas_is_refused() {
    let tmp = compiled(&[]);
    let other = compiled(&[]);
    let output = run(
        tmp.path(),
        &[
            "compile",
            "project",
            "--crypto",
            &format!(
                "{}/project/out/hlf-kube/crypto-config",
                other.path().display()
            ),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("Harbor (HarborMSP): the CA in"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("not the recorded"));
}

/// A CA replaced on purpose: new keys for that org only, and a new record.
#[test]
fn replace_ca_makes_a_new_ca_for_that_org_only() {
    let tmp = compiled(&[]);
    let before = ca_keys(&chart(tmp.path()));
    let record = std::fs::read_to_string(tmp.path().join("project/fabchart.lock")).unwrap();
    ok(
        tmp.path(),
        &["compile", "project", "--replace-ca", "Harbor"],
    );
    let after = ca_keys(&chart(tmp.path()));
    for (path, hash) in &before {
        let changed = after[path] != *hash;
        assert_eq!(changed, path.contains("harbor.example"), "{path}");
    }
    let new_record = std::fs::read_to_string(tmp.path().join("project/fabchart.lock")).unwrap();
    assert_ne!(record, new_record);
    ok(tmp.path(), &["compile", "project"]);
    assert_eq!(ca_keys(&chart(tmp.path())), after);
}

/// `--replace-ca A,B` names several orgs, as the refusal prints them.
#[test]
fn replace_ca_takes_a_list() {
    let tmp = compiled(&[]);
    let before = ca_keys(&chart(tmp.path()));
    ok(
        tmp.path(),
        &["compile", "project", "--replace-ca", "Harbor,Meadow"],
    );
    let after = ca_keys(&chart(tmp.path()));
    for (path, hash) in &before {
        let changed = after[path] != *hash;
        let named = path.contains("harbor.example") || path.contains("meadow.example");
        assert_eq!(changed, named, "{path}");
    }
}

/// An org removed from the inputs, or left to another cluster, would lose its
/// keys: only with --forget.
#[test]
fn a_recorded_org_leaves_only_with_forget() {
    let tmp = compiled(&[]);
    let project = tmp.path().join("project");
    replace_in(
        &project.join("crypto-config.yaml"),
        "  - Name: Meadow\n    Domain: meadow.example\n    EnableNodeOUs: true\n    Template:\n      Count: 1\n    Users:\n      Count: 1\n",
        "",
    );
    for _ in 0..3 {
        replace_in(
            &project.join("network.yaml"),
            "orgs: [Harbor, Meadow, Quarry]",
            "orgs: [Harbor, Quarry]",
        );
    }
    replace_in(&project.join("network.yaml"), ",'MeadowMSP.peer'", "");
    replace_in(
        &project.join("configtx.yaml"),
        "*Harbor, *Meadow, *Quarry",
        "*Harbor, *Quarry",
    );
    // Still defined in configtx.yaml: now another cluster's org.
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Meadow (MeadowMSP) is now an org of another cluster")
            && stderr(&output).contains("--forget Meadow"),
        "{}",
        stderr(&output)
    );
    ok(tmp.path(), &["compile", "project", "--forget", "Meadow"]);
    let record = std::fs::read_to_string(project.join("fabchart.lock")).unwrap();
    assert!(
        record.contains("external: true"),
        "re-pinned as external:\n{record}"
    );
    let chart = fabchart::tree::Tree::read(&chart(tmp.path())).unwrap();
    assert!(!chart
        .files()
        .any(|(p, f)| p.contains("meadow") && f.private));

    // Gone from the inputs altogether.
    let tmp = compiled(&[]);
    let project = tmp.path().join("project");
    let text = std::fs::read_to_string(project.join("crypto-config.yaml")).unwrap();
    std::fs::write(
        project.join("crypto-config.yaml"),
        text.replace("  - Name: Meadow\n    Domain: meadow.example\n    EnableNodeOUs: true\n    Template:\n      Count: 1\n    Users:\n      Count: 1\n", ""),
    )
    .unwrap();
    for _ in 0..3 {
        replace_in(
            &project.join("network.yaml"),
            "orgs: [Harbor, Meadow, Quarry]",
            "orgs: [Harbor, Quarry]",
        );
    }
    replace_in(&project.join("network.yaml"), ",'MeadowMSP.peer'", "");
    replace_in(
        &project.join("configtx.yaml"),
        "*Harbor, *Meadow, *Quarry",
        "*Harbor, *Quarry",
    );
    let configtx = std::fs::read_to_string(project.join("configtx.yaml")).unwrap();
    let start = configtx.find("  - &Meadow\n").unwrap();
    let end = start + configtx[start..].find("  - &Quarry\n").unwrap();
    std::fs::write(
        project.join("configtx.yaml"),
        format!("{}{}", &configtx[..start], &configtx[end..]),
    )
    .unwrap();
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("Meadow (MeadowMSP) is no longer in the inputs"));
    ok(tmp.path(), &["compile", "project", "--forget", "Meadow"]);
    let record = std::fs::read_to_string(project.join("fabchart.lock")).unwrap();
    assert!(!record.contains("MeadowMSP"), "{record}");
}

/// Case 4: what an interrupted compile left is private, ignored by git, and
/// gone after the next compile.
#[test]
fn an_interrupted_compiles_work_folder_is_private_and_cleaned_up() {
    let tmp = compiled(&[]);
    let work = tmp.path().join("project/out/.fabchart");
    assert!(!work.exists(), "no work folder after a finished compile");
    // What a kill after staging leaves: a private folder of keys.
    std::fs::create_dir_all(work.join("new/crypto-config")).unwrap();
    std::fs::write(work.join("new/crypto-config/priv_sk"), "key").unwrap();
    ok(tmp.path(), &["compile", "project"]);
    assert!(!work.exists(), "the next compile removes it");
}

#[test]
fn the_work_folder_is_private_and_ignored_by_git_while_it_exists() {
    // Stop a compile right after it made its work folder (the first rename
    // into place is the commit; a kill there leaves the staged chart). The
    // chart changes, or an unchanged one would not be written at all.
    let tmp = compiled(&[]);
    support::replace_in(
        &tmp.path().join("project/network.yaml"),
        "version: \"1.0\"",
        "version: \"1.1\"",
    );
    if !support::have("strace") {
        panic!("strace is needed (Debian package strace; .ci/run installs it)");
    }
    let status = std::process::Command::new("strace")
        .current_dir(tmp.path())
        .args([
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "trace=renameat2",
            "-e",
            "inject=renameat2:signal=KILL:when=1",
            env!("CARGO_BIN_EXE_fabchart"),
            "compile",
            "project",
        ])
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .status()
        .unwrap();
    assert!(!status.success(), "killed at the swap");
    let work = tmp.path().join("project/out/.fabchart");
    let mode = std::fs::metadata(&work).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert_eq!(
        std::fs::read_to_string(work.join(".gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
    ok(tmp.path(), &["compile", "project"]);
    assert!(!work.exists());
}

/// Case 5: files fabchart did not write are never deleted.
#[test]
fn files_a_user_put_in_the_chart_are_not_deleted() {
    let tmp = compiled(&[]);
    let mine = chart(tmp.path()).join("values-prod.yaml");
    std::fs::write(&mine, "peer:\n  replicas: 1\n").unwrap();
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("values-prod.yaml (not written by fabchart)"),
        "{}",
        stderr(&output)
    );
    assert!(mine.exists());
    // An edited template is not overwritten either.
    std::fs::remove_file(&mine).unwrap();
    let values = chart(tmp.path()).join("values.yaml");
    let text = std::fs::read_to_string(&values).unwrap();
    std::fs::write(&values, format!("{text}# mine\n")).unwrap();
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("values.yaml (changed since fabchart wrote it)"));
    std::fs::write(&values, text).unwrap();
    ok(tmp.path(), &["compile", "project"]);
}

#[test]
fn a_foreign_chart_at_the_destination_is_not_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    support::copy_tree(
        &support::root().join("samples/simple"),
        &tmp.path().join("project"),
    );
    let foreign = tmp.path().join("elsewhere/hlf-kube");
    std::fs::create_dir_all(foreign.join("templates")).unwrap();
    std::fs::write(foreign.join("Chart.yaml"), "name: hlf-kube\n").unwrap();
    let output = run(tmp.path(), &["compile", "project", "-o", "elsewhere"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("fabchart did not write it"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("Chart.yaml")).unwrap(),
        "name: hlf-kube\n"
    );
    assert!(
        !tmp.path().join("project/fabchart.lock").exists(),
        "nothing recorded"
    );
}

/// Case 6: a node's TLS key that is not its certificate's.
#[test]
fn a_tls_key_that_does_not_match_its_certificate_is_refused() {
    let tmp = compiled(&[]);
    let peers = chart(tmp.path()).join("crypto-config/peerOrganizations/harbor.example");
    let meadow = chart(tmp.path()).join("crypto-config/peerOrganizations/meadow.example");
    std::fs::copy(
        meadow.join("peers/peer0.meadow.example/tls/server.key"),
        peers.join("peers/peer0.harbor.example/tls/server.key"),
    )
    .unwrap();
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("peer0.harbor.example/tls/server.key does not hold the private key of"),
        "{}",
        stderr(&output)
    );
}

/// A certificate with its own key, but from another CA.
#[test]
fn a_certificate_from_another_ca_is_refused() {
    let tmp = compiled(&[]);
    let org = |d: &str| chart(tmp.path()).join(format!("crypto-config/peerOrganizations/{d}"));
    for file in ["tls/server.key", "tls/server.crt"] {
        std::fs::copy(
            org("meadow.example")
                .join("peers/peer0.meadow.example")
                .join(file),
            org("harbor.example")
                .join("peers/peer0.harbor.example")
                .join(file),
        )
        .unwrap();
    }
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("was not issued by the org's CA"),
        "{}",
        stderr(&output)
    );
}

/// Case 7: cryptogen's CA Hostname and CommonName overrides.
#[test]
fn ca_hostname_and_common_name_overrides_compile() {
    for (ca, name) in [
        ("    CA:\n      Hostname: myca\n", "myca.harbor.example"),
        (
            "    CA:\n      CommonName: \"root.{{.Domain}}\"\n",
            "root.harbor.example",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        support::copy_tree(&support::root().join("samples/simple"), &project);
        replace_in(
            &project.join("crypto-config.yaml"),
            "    Domain: harbor.example\n    EnableNodeOUs: true\n",
            &format!("    Domain: harbor.example\n    EnableNodeOUs: true\n{ca}"),
        );
        ok(tmp.path(), &["compile", "project"]);
        let org = chart(tmp.path()).join("crypto-config/peerOrganizations/harbor.example");
        assert!(org.join(format!("ca/{name}-cert.pem")).is_file(), "{name}");
        assert!(org.join(format!("tlsca/tls{name}-cert.pem")).is_file());
        assert!(org
            .join(format!(
                "peers/peer0.harbor.example/msp/cacerts/{name}-cert.pem"
            ))
            .is_file());
        let topology = std::fs::read_to_string(chart(tmp.path()).join("topology.json")).unwrap();
        assert!(topology.contains(&format!("msp/cacerts/{name}-cert.pem")));
    }
}

/// --check writes nothing, even on a read-only checkout, and exits 1 when
/// stale. (As root the read-only modes do not stop writes; the snapshot
/// comparison is what holds then.)
#[test]
fn check_writes_nothing_and_has_its_own_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    support::copy_tree(
        &support::root().join("samples/simple"),
        &tmp.path().join("project"),
    );
    let output = run(tmp.path(), &["compile", "project", "--check"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        !tmp.path().join("project/out").exists(),
        "--check made no folder"
    );
    assert!(!tmp.path().join("project/fabchart.lock").exists());

    let tmp = compiled(&[]);
    let project = tmp.path().join("project");
    let before = snapshot(tmp.path());
    set_read_only(&project, true);
    let output = run(tmp.path(), &["compile", "project", "--check"]);
    set_read_only(&project, false);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(snapshot(tmp.path()) == before);
}

fn set_read_only(root: &Path, read_only: bool) {
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        if entry.file_type().is_dir() {
            let mode = if read_only { 0o555 } else { 0o755 };
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}

/// A closed stderr is not a panic (rc 101); the exit code stays meaningful.
#[test]
fn a_closed_stderr_does_not_panic() {
    let tmp = compiled(&[]);
    let status = std::process::Command::new("sh")
        .current_dir(tmp.path())
        .args([
            "-c",
            &format!(
                "{} compile project --check 2>&-",
                env!("CARGO_BIN_EXE_fabchart")
            ),
        ])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let status = std::process::Command::new("sh")
        .current_dir(tmp.path())
        .args([
            "-c",
            &format!("{} compile missing 2>&-", env!("CARGO_BIN_EXE_fabchart")),
        ])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
}
