//! Kills at awkward moments: a recompile is killed (SIGKILL, by strace's
//! syscall injection) at every rename, unlink, folder removal and sync it
//! makes, one kill per run; after each, the output is either in place or
//! recoverable, and the next compile reuses every CA key (never mints one).
//! Both ways of replacing the output are covered: `renameat2(RENAME_EXCHANGE)`
//! and the journal that file systems without it use; and `--keys-dir`.
//!
//! Needs strace (Debian package `strace`, which `.ci/run` installs).

mod support;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

/// Every syscall the commit uses to change the file system or make it durable.
const SYSCALLS: [&str; 9] = [
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "rmdir",
    "fsync",
    "fdatasync",
    "syncfs",
];

/// sha256 of every CA and TLS CA key below `root`, by path below `crypto-config/`.
fn ca_keys(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        let path = entry.path().display().to_string();
        if entry.file_type().is_file()
            && (path.ends_with("/ca/priv_sk") || path.ends_with("/tlsca/priv_sk"))
        {
            let rel = path[path.find("crypto-config/").unwrap()..].to_string();
            out.insert(
                rel,
                hex::encode(Sha256::digest(std::fs::read(entry.path()).unwrap())),
            );
        }
    }
    out
}

fn compile(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = support::fabchart(dir);
    cmd.args(["compile", "project"]).args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The recompile under test: the sample with one more peer (new keys to
/// write, old ones to carry over), killed at invocation `n` of `syscall`.
/// Returns whether strace's child was killed.
fn killed_run(dir: &Path, extra: &[&str], env: &[(&str, &str)], syscall: &str, n: usize) -> bool {
    let mut cmd = Command::new("strace");
    cmd.current_dir(dir)
        .args(["-f", "-o", "/dev/null", "-e", &format!("trace={syscall}")])
        .arg("-e")
        .arg(format!("inject={syscall}:signal=KILL:when={n}"))
        .arg(env!("CARGO_BIN_EXE_fabchart"))
        .args(["compile", "project"])
        .args(extra)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SOURCE_DATE_EPOCH", "1767225600");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().unwrap();
    // strace ends the way its tracee did: killed by the same signal.
    match (output.status.code(), output.status.signal()) {
        (Some(0), _) => false,
        (None, Some(9)) => true,
        other => panic!(
            "{syscall} #{n}: unexpected end {other:?}\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// A small network (one orderer, one peer, one channel), so that the loop
/// over every unlink of the old chart stays short.
const CRYPTO_CONFIG: &str = "\
OrdererOrgs:
  - Name: Beacon
    Domain: beacon.example
    EnableNodeOUs: true
    Specs:
      - Hostname: orderer0
PeerOrgs:
  - Name: Harbor
    Domain: harbor.example
    EnableNodeOUs: true
    Template:
      Count: 1
";

const NETWORK: &str = "\
network:
  channels:
    - name: trade
      orgs: [Harbor]
";

const CONFIGTX: &str = "\
Organizations:
  - &Beacon
    Name: BeaconMSP
    ID: BeaconMSP
    MSPDir: crypto-config/ordererOrganizations/beacon.example/msp
  - &Harbor
    Name: HarborMSP
    ID: HarborMSP
    MSPDir: crypto-config/peerOrganizations/harbor.example/msp
Profiles:
  trade:
    Policies:
      Readers: {Type: ImplicitMeta, Rule: \"ANY Readers\"}
      Writers: {Type: ImplicitMeta, Rule: \"ANY Writers\"}
      Admins: {Type: ImplicitMeta, Rule: \"MAJORITY Admins\"}
    Capabilities: {V2_0: true}
    Orderer:
      OrdererType: etcdraft
      Organizations: [*Beacon]
      Policies:
        Readers: {Type: ImplicitMeta, Rule: \"ANY Readers\"}
        Writers: {Type: ImplicitMeta, Rule: \"ANY Writers\"}
        Admins: {Type: ImplicitMeta, Rule: \"MAJORITY Admins\"}
        BlockValidation: {Type: ImplicitMeta, Rule: \"ANY Writers\"}
    Application:
      Organizations: [*Harbor]
      Capabilities: {V2_5: true}
      Policies:
        Readers: {Type: ImplicitMeta, Rule: \"ANY Readers\"}
        Writers: {Type: ImplicitMeta, Rule: \"ANY Writers\"}
        Admins: {Type: ImplicitMeta, Rule: \"MAJORITY Admins\"}
";

fn prepared(extra: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    for (file, text) in [
        ("crypto-config.yaml", CRYPTO_CONFIG),
        ("network.yaml", NETWORK),
        ("configtx.yaml", CONFIGTX),
    ] {
        std::fs::write(project.join(file), text).unwrap();
    }
    let first = compile(tmp.path(), extra, &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    support::replace_in(&project.join("crypto-config.yaml"), "Count: 1", "Count: 2");
    tmp
}

/// Runs the kill loop for one way of writing; returns how many kills it made.
fn every_kill_is_recoverable(extra: &[&str], env: &[(&str, &str)], keys_root: &str) -> usize {
    assert!(
        support::have("strace"),
        "strace is needed (Debian package strace; .ci/run installs it)"
    );
    let pristine = prepared(extra);
    let original = ca_keys(&pristine.path().join(keys_root));
    assert_eq!(original.len(), 4, "two CAs for each of 2 orgs");
    let mut kills = 0;
    for syscall in SYSCALLS {
        for n in 1.. {
            let tmp = tempfile::tempdir().unwrap();
            for sub in ["project", "keys"] {
                if pristine.path().join(sub).exists() {
                    // With out/ and the modes (support::copy_tree skips out/).
                    let status = Command::new("cp")
                        .arg("-a")
                        .arg(pristine.path().join(sub))
                        .arg(tmp.path())
                        .status()
                        .unwrap();
                    assert!(status.success());
                }
            }
            if !killed_run(tmp.path(), extra, env, syscall, n) {
                break;
            }
            kills += 1;
            let chart = tmp.path().join("project/out/hlf-kube/Chart.yaml");
            let journal = tmp.path().join("project/out/.fabchart/journal");
            assert!(
                chart.exists() || journal.exists(),
                "{syscall} #{n}: no chart and nothing to recover it from"
            );
            let next = compile(tmp.path(), extra, env);
            assert!(
                next.status.success(),
                "{syscall} #{n}: the next compile failed:\n{}",
                String::from_utf8_lossy(&next.stderr)
            );
            assert_eq!(
                ca_keys(&tmp.path().join(keys_root)),
                original,
                "{syscall} #{n}: a CA key changed"
            );
            assert!(
                !tmp.path().join("project/out/.fabchart").exists(),
                "{syscall} #{n}: the work folder was left"
            );
            let check = compile(tmp.path(), &[extra, &["--check"]].concat(), env);
            assert!(
                check.status.success(),
                "{syscall} #{n}: not up to date after recovery"
            );
        }
    }
    kills
}

#[test]
fn kills_during_an_exchanging_commit_never_lose_a_ca() {
    let kills = every_kill_is_recoverable(&[], &[], "project/out/hlf-kube/crypto-config");
    assert!(kills > 20, "the loop killed the commit {kills} times");
}

#[test]
fn kills_during_a_journalled_commit_never_lose_a_ca() {
    let kills = every_kill_is_recoverable(
        &[],
        &[("FABCHART_TEST_NO_EXCHANGE", "1")],
        "project/out/hlf-kube/crypto-config",
    );
    assert!(kills > 20, "the loop killed the commit {kills} times");
}

#[test]
fn kills_during_a_keys_dir_commit_never_lose_a_ca() {
    let kills = every_kill_is_recoverable(&["--keys-dir", "keys"], &[], "keys/crypto-config");
    assert!(kills > 20, "the loop killed the commit {kills} times");
}
