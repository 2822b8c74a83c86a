//! The backup and restore scripts against recorded kubectl output, volume
//! layouts and a stand-in for rclone.

use super::*;

// ---- backup and restore: decisions and scripts ----

/// The claims the flows copy are the ones the chart's StatefulSets make:
/// render every sample's chart with persistence on through a real Helm
/// engine and compare `<claim template>-<StatefulSet>-0` with the workflow.
#[test]
fn flows_copy_the_claims_the_chart_makes() {
    const RENDER: &str = r#"
import json, sys, yaml, helm_python
values = {k: {"persistence": {"enabled": True}} for k in ("peer", "orderer", "couchdb")}
values["ca"] = {"enabled": True, "persistence": {"enabled": True}}
with helm_python.Chart.load(sys.argv[1]) as chart:
    out = chart.render(values, name="hlf-kube", namespace="fabric", is_install=True)
claims = []
for path, text in out.items():
    if not path.endswith(".yaml"):
        continue
    for doc in yaml.safe_load_all(text):
        if doc and doc.get("kind") == "StatefulSet":
            name = doc["metadata"]["name"]
            mounts = [m["name"] for c in doc["spec"]["template"]["spec"]["containers"] for m in c.get("volumeMounts", [])]
            for t in doc["spec"].get("volumeClaimTemplates", []):
                if t["metadata"]["name"] in mounts and t["metadata"]["name"] != "docker":
                    claims.append(f'{t["metadata"]["name"]}-{name}-0')
print(json.dumps(sorted(claims)))
"#;
    for sample in support::samples() {
        let (_tmp, chart) = support::compile_sample(&sample);
        let out = Command::new("python3")
            .args(["-c", RENDER])
            .arg(&chart)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let chart_claims: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
        let text = render(
            &sample,
            &options(
                Flow::Backup,
                &[
                    "backup.target.secret=backup-s3",
                    "backup.dryRun=true",
                    "flow.ca.backup.enabled=true",
                ],
            ),
        )
        .unwrap();
        let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let main = &workflow["spec"]["templates"][0];
        let mut flow_claims: Vec<String> = step_items(&workflow, &main["steps"][1][0])
            .as_sequence()
            .unwrap()
            .iter()
            .map(|i| i["claim"].as_str().unwrap().to_string())
            .collect();
        flow_claims.sort();
        assert!(!flow_claims.is_empty());
        assert_eq!(flow_claims, chart_claims, "{}", sample.display());
    }
}

/// The shells the backup scripts are checked with: `sh`, and busybox's (the
/// rclone image's shell) when it is installed.
pub(crate) fn posix_shells() -> Vec<Vec<&'static str>> {
    let mut shells = vec![vec!["sh"]];
    if Command::new("busybox").arg("true").output().is_ok() {
        shells.push(vec!["busybox", "sh"]);
    }
    shells
}

/// Runs `call` (a backup-lib.sh function call) in every POSIX shell with the
/// library sourced and `stdin` as input; checks they agree and returns
/// whether it succeeded and its stdout.
pub(crate) fn backup_lib(call: &str, stdin: &[u8], env: &[(&str, &str)]) -> (bool, String) {
    use std::io::Write;
    let lib = support::root().join("workflow-templates/scripts/backup-lib.sh");
    let mut results = Vec::new();
    for shell in posix_shells() {
        let mut cmd = Command::new(shell[0]);
        cmd.args(&shell[1..])
            .arg("-c")
            .arg(format!("set -eu; . \"$LIB\"; {call}"))
            .env("LIB", &lib)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        results.push((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
    }
    assert!(
        results.windows(2).all(|w| w[0] == w[1]),
        "{call}: the shells disagree: {results:?}"
    );
    results.remove(0)
}

pub(crate) fn backup_decides(call: &str, env: &[(&str, &str)]) -> (bool, String) {
    let (ok, out) = backup_lib(call, b"", env);
    (ok, out.trim().to_string())
}

/// The jq filters the workflow's `get-statefulset` step runs (Argo applies
/// them to `kubectl get -o json`), by output name.
pub(crate) fn statefulset_filters() -> Vec<(String, String)> {
    let sample = support::root().join("samples/simple");
    let text = render(
        &sample,
        &options(Flow::Backup, &["backup.target.secret=backup-s3"]),
    )
    .unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let get = workflow["spec"]["templates"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "get-statefulset")
        .unwrap()
        .clone();
    get["outputs"]["parameters"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["valueFrom"]["jqFilter"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What the workflow's filters read from a recorded StatefulSet.
pub(crate) fn read_statefulset(fixture_name: &str) -> std::collections::HashMap<String, String> {
    statefulset_filters()
        .into_iter()
        .map(|(name, filter)| {
            let out = Command::new("jq")
                .args(["-rc", &filter])
                .arg(fixture(fixture_name))
                .output()
                .expect("jq is installed");
            assert!(out.status.success(), "jq {filter}");
            (
                name,
                String::from_utf8_lossy(&out.stdout).trim_end().to_string(),
            )
        })
        .collect()
}

/// (volume state, replicas to resume) for a recorded StatefulSet whose claim
/// read ended in `claim_phase`.
pub(crate) fn plan_for(fixture_name: &str, claim_phase: &str) -> (String, String) {
    let read = read_statefulset(fixture_name);
    let env = [
        ("CLAIMS", read["claims"].as_str()),
        ("PHASE", claim_phase),
        ("RESUME", read["resume"].as_str()),
        ("REPLICAS", read["replicas"].as_str()),
    ];
    let (ok, state) = backup_decides("volume_state \"$CLAIMS\" data \"$PHASE\"", &env);
    assert!(ok);
    let (ok, replicas) = backup_decides("replicas_to_resume \"$RESUME\" \"$REPLICAS\"", &env);
    assert!(ok);
    (state, replicas)
}

#[test]
fn statefulsets_are_read_and_judged_before_they_are_stopped() {
    let plan = |f: &str, phase: &str| {
        let (state, replicas) = plan_for(f, phase);
        (state, replicas)
    };
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        plan("statefulset-persistent.json", "Succeeded"),
        s("persistent", "1")
    );
    // Persistence off: the data is an emptyDir; refused whatever the claim.
    assert_eq!(
        plan("statefulset-emptydir.json", "Failed"),
        s("emptydir", "1")
    );
    // Left at 0 by an interrupted run: its annotation says what to come back to.
    assert_eq!(
        plan("statefulset-stopped-by-flow.json", "Succeeded"),
        s("persistent", "1")
    );
    // Persistence on, but no pod ever ran: no claim to copy.
    assert_eq!(
        plan("statefulset-launchpods-off.json", "Failed"),
        s("unclaimed", "0")
    );
    assert!(!backup_decides("replicas_to_resume '' ''", &[]).0);
    assert!(!backup_decides("replicas_to_resume 'one' 1", &[]).0);
}

#[test]
fn backups_are_complete_only_with_their_manifest() {
    let listing = |f: &str| std::fs::read(fixture(f)).unwrap();
    assert!(backup_lib("backup_complete", &listing("rclone-lsf-complete.txt"), &[]).0);
    assert!(
        !backup_lib(
            "backup_complete",
            &listing("rclone-lsf-incomplete.txt"),
            &[]
        )
        .0
    );
}

#[test]
fn manifests_are_looked_up_exactly() {
    let manifest = std::fs::read(fixture("manifest.sha256")).unwrap();
    let (ok, sum) = backup_lib("manifest_sum harbor/peer0/couchdb.tar.gz", &manifest, &[]);
    assert!(ok);
    assert_eq!(
        sum.trim(),
        "9a8b7c6d5e4f30211f2e3d4c5b6a798897a6b5c4d3e2f1000f1e2d3c4b5a6978"
    );
    assert!(!backup_lib("manifest_sum harbor/peer1/peer.tar.gz", &manifest, &[]).0);
    // A prefix of a listed archive is not that archive.
    assert!(!backup_lib("manifest_sum harbor/peer0/peer.tar", &manifest, &[]).0);
    let twice = [manifest.clone(), manifest.clone()].concat();
    assert!(!backup_lib("manifest_sum harbor/peer0/peer.tar.gz", &twice, &[]).0);

    let file = fixture("manifest.sha256");
    let file = file.to_str().unwrap();
    let (ok, missing) = backup_lib(
        &format!("missing_archives '{file}'"),
        b"harbor/peer0/peer.tar.gz\nbeacon/orderer0/orderer.tar.gz\n",
        &[],
    );
    assert!(ok && missing.is_empty(), "{missing}");
    let (ok, missing) = backup_lib(
        &format!("missing_archives '{file}'"),
        b"harbor/peer0/peer.tar.gz\nmeadow/peer0/peer.tar.gz\nmeadow/peer0/couchdb.tar.gz",
        &[],
    );
    assert!(!ok);
    assert_eq!(
        missing,
        "meadow/peer0/peer.tar.gz\nmeadow/peer0/couchdb.tar.gz\n"
    );
}

/// Builds the folder tree a volume listing fixture describes.
pub(crate) fn volume_tree(dir: &Path, listing: &str) {
    std::fs::create_dir_all(dir).unwrap();
    for line in std::fs::read_to_string(fixture(listing)).unwrap().lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let path = dir.join(line.trim_end_matches('/'));
        if line.ends_with('/') {
            std::fs::create_dir_all(&path).unwrap();
        } else {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"x").unwrap();
        }
    }
}

#[test]
fn volumes_are_told_empty_fresh_or_holding_channel_data() {
    let tmp = tempfile::tempdir().unwrap();
    let content = |kind: &str, dir: &Path| {
        let (ok, out) = backup_decides(
            &format!("volume_content {kind} \"$DIR\""),
            &[("DIR", dir.to_str().unwrap())],
        );
        assert!(ok, "volume_content {kind}");
        out
    };
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(empty.join("lost+found")).unwrap();
    std::fs::create_dir_all(empty.join(".fabchart-restore/ledgersData")).unwrap();
    for kind in ["peer", "couchdb", "orderer"] {
        assert_eq!(content(kind, &empty), "empty");
        for (state, expected) in [("fresh", "fresh"), ("ledger", "data")] {
            let dir = tmp.path().join(format!("{kind}-{state}"));
            volume_tree(&dir, &format!("volume-{kind}-{state}.txt"));
            assert_eq!(content(kind, &dir), expected, "{kind} {state}");
        }
    }
    // A peer's ledger on an orderer's volume is no orderer ledger (and back).
    assert_eq!(content("orderer", &tmp.path().join("peer-ledger")), "fresh");
    assert!(!backup_decides("volume_content kafka /", &[]).0);
    // A volume find cannot read is not one without channel databases.
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        bin.join("find"),
        "#!/bin/sh\necho \"find: $1: Input/output error\" >&2\nexit 1\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("find"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let dir = tmp.path().join("couchdb-fresh");
    let (ok, out) = backup_decides(
        "volume_content couchdb \"$DIR\"",
        &[("DIR", dir.to_str().unwrap()), ("PATH", &path)],
    );
    assert!(!ok, "{out}");

    for (content, force, allowed) in [
        ("empty", "false", true),
        ("fresh", "false", true),
        ("data", "false", false),
        ("data", "true", true),
    ] {
        assert_eq!(
            backup_decides(&format!("restore_allowed {content} {force}"), &[]).0,
            allowed,
            "{content} {force}"
        );
    }
}

#[test]
fn backup_selection_names_what_exists() {
    let sample = support::root().join("samples/scaled-raft-tls");
    let error = |sets: &[&str]| {
        let mut all = vec!["backup.target.secret=backup-s3"];
        all.extend(sets);
        format!(
            "{:#}",
            render(&sample, &options(Flow::Backup, &all)).unwrap_err()
        )
    };
    let e = error(&["flow.backup.include={Harbour}"]);
    assert!(
        e.contains("no org `Harbour`") && e.contains("Beacon, Lighthouse, Harbor"),
        "{e}"
    );
    let e = error(&["flow.backup.include={Harbor/peer7}"]);
    assert!(e.contains("its nodes: peer0, peer1"), "{e}");
    let e = error(&[
        "flow.backup.include={Beacon}",
        "flow.orderer.backup.enabled=false",
    ]);
    assert!(e.contains("nothing to copy"), "{e}");
    let e = error(&["backup.key=../other"]);
    assert!(e.contains("is not a backup key"), "{e}");

    // One node of an org: its peer and CouchDB, nothing else.
    let text = render(
        &sample,
        &options(
            Flow::Restore,
            &[
                "backup.target.secret=backup-s3",
                "backup.key=nightly",
                "flow.backup.include={Quarry/peer1}",
            ],
        ),
    )
    .unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let verify = &step_items(&workflow, &workflow["spec"]["templates"][0]["steps"][1][0]);
    assert_eq!(
        serde_yaml::to_string(verify).unwrap(),
        "- quarry/peer1/peer.tar.gz\n- quarry/peer1/couchdb.tar.gz\n"
    );
}

/// What the copy scripts' tests start from, in `dir`: the commands
/// ([`copy_tools`], their PATH), an empty remote with its bucket, and a used
/// peer volume.
fn copy_setup(dir: &Path) -> (String, PathBuf, PathBuf) {
    let path = copy_tools(dir);
    let remote = dir.join("remote");
    std::fs::create_dir_all(remote.join("hlf-backup")).unwrap();
    let volume = dir.join("volume");
    volume_tree(&volume, "volume-peer-ledger.txt");
    (path, remote, volume)
}

/// A folder of commands for the copy scripts: the rclone stand-in and
/// busybox's applets (as in the rclone image). The steps need busybox's sh:
/// they set pipefail, which dash lacks.
pub(crate) fn copy_tools(dir: &Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(fixture("fake-rclone"), bin.join("rclone")).unwrap();
    assert!(
        Command::new("busybox").arg("true").output().is_ok(),
        "busybox is not installed (Debian: apt-get install busybox; or bash .ci/run)"
    );
    for applet in [
        "sh",
        "tar",
        "gzip",
        "sha256sum",
        "mkfifo",
        "tee",
        "cut",
        "mktemp",
        "cat",
        "awk",
        "grep",
        "find",
        "head",
        "ls",
        "rm",
        "mkdir",
        "mv",
        "rmdir",
        "sync",
        "dirname",
        "touch",
        "printf",
        "wc",
        "tr",
        "sed",
        "cp",
    ] {
        std::os::unix::fs::symlink("/usr/bin/busybox", bin.join(applet)).unwrap_or_else(|_| {
            std::os::unix::fs::symlink("/bin/busybox", bin.join(applet)).unwrap()
        });
    }
    bin.display().to_string()
}

/// Runs step script `name` as the workflow would, with `env`.
/// Runs step `name` as the workflow carries it (its library inlined).
pub(crate) fn run_step(name: &str, path: &str, env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join(format!("{name}.sh"));
    // The pod's own /tmp: steps running in parallel must not share one.
    std::fs::create_dir(dir.path().join("tmp")).unwrap();
    std::fs::write(&script, pod_paths(&flow::script(name).unwrap(), dir.path())).unwrap();
    let mut cmd = Command::new("sh");
    cmd.arg(script).env_clear().env("PATH", path);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

pub(crate) fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let content = if e.file_type().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (rel, content)
        })
        .collect();
    out.sort();
    out
}

/// The copy scripts end to end against a local stand-in for the object
/// store: back up a peer volume, complete the backup, refuse to overwrite
/// it, verify and restore it onto an empty volume, refuse a volume with
/// channel data unless forced, and keep the old content when an archive is
/// damaged.
#[test]
fn backup_and_restore_scripts_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, remote, volume) = copy_setup(tmp.path());
    std::fs::write(volume.join(".hidden-state"), b"kept").unwrap();
    // Left by a restore that was interrupted: not part of the node's data.
    std::fs::create_dir_all(volume.join(".fabchart-restore/ledgersData")).unwrap();
    let remote_str = remote.to_str().unwrap();
    let volume_str = volume.to_str().unwrap();
    let archive = "harbor/peer0/peer.tar.gz";
    let base = |extra: &[(&'static str, String)]| {
        let mut env = vec![
            ("FAKE_REMOTE", remote_str.to_string()),
            ("REMOTE_ROOT", "backup:hlf-backup/prod".to_string()),
            ("BACKUP_KEY", "2025-01-31-023000".to_string()),
            ("ARCHIVE", archive.to_string()),
            ("ARCHIVES", archive.to_string()),
            (
                "PLAN",
                format!("{archive} <- data-hlf-peer--harbor--peer0-0"),
            ),
            ("DRY_RUN", "false".to_string()),
            ("KIND", "peer".to_string()),
            ("FORCE", "false".to_string()),
            ("STATEFULSET", "hlf-peer--harbor--peer0".to_string()),
            ("RUN_ID", "run-1".to_string()),
            ("RUN_CLAIMS", "data-hlf-peer--harbor--peer0-0".to_string()),
            ("CLAIM", "data-hlf-peer--harbor--peer0-0".to_string()),
        ];
        env.extend(extra.iter().cloned());
        env
    };

    let step = |name: &str, extra: &[(&'static str, String)]| {
        let env = base(extra);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_step(name, &path, &env)
    };
    let data = |dir: &str| [("DATA_DIR", dir.to_string())];
    // A restore of one volume: stage, then swap.
    let restore = |extra: &[(&'static str, String)]| {
        let (ok, log) = step("restore-stage", extra);
        if !ok {
            return (ok, log);
        }
        step("restore-swap", extra)
    };

    let (ok, log) = step(
        "backup-preflight",
        &[("REMOTE_ROOT", "backup:no-such-bucket".to_string())],
    );
    assert!(!ok && log.contains("cannot write"), "{log}");
    let (ok, log) = step("backup-preflight", &[]);
    assert!(ok, "{log}");
    let (ok, log) = step("backup-copy", &data(volume_str));
    assert!(ok, "{log}");
    // Without a manifest the backup is incomplete: restore refuses it.
    let (ok, log) = step("restore-preflight", &[]);
    assert!(!ok && log.contains("no complete backup"), "{log}");
    let (ok, log) = step("backup-manifest", &[]);
    assert!(ok, "{log}");
    let key_dir = remote.join("hlf-backup/prod/2025-01-31-023000");
    let manifest = std::fs::read_to_string(key_dir.join("manifest.sha256")).unwrap();
    assert!(manifest.ends_with(&format!("  {archive}\n")), "{manifest}");
    assert!(key_dir.join("plan.txt").is_file());
    // A complete backup is never overwritten.
    let (ok, log) = step("backup-preflight", &[]);
    assert!(!ok && log.contains("complete backup already"), "{log}");

    let (ok, log) = step("restore-preflight", &[]);
    assert!(ok, "{log}");
    let (ok, log) = step(
        "restore-preflight",
        &[(
            "ARCHIVES",
            format!("{archive}\nharbor/peer0/couchdb.tar.gz"),
        )],
    );
    assert!(!ok && log.contains("harbor/peer0/couchdb.tar.gz"), "{log}");
    let (ok, log) = step("restore-verify", &[]);
    assert!(ok, "{log}");
    let (ok, log) = step(
        "restore-verify",
        &[("ARCHIVE", "harbor/peer1/peer.tar.gz".to_string())],
    );
    assert!(!ok && log.contains("does not list"), "{log}");
    let (ok, log) = step(
        "restore-verify",
        &[("BACKUP_KEY", "2024-12-31-000000".to_string())],
    );
    assert!(!ok && log.contains("does not list"), "{log}");

    // Onto an empty volume: the same files, lost+found left alone.
    let target = tmp.path().join("target");
    std::fs::create_dir_all(target.join("lost+found")).unwrap();
    let target_str = target.to_str().unwrap();
    let (ok, log) = step("restore-check", &data(target_str));
    assert!(ok, "{log}");
    let (ok, log) = restore(&data(target_str));
    assert!(ok, "{log}");
    let mut expected = tree(&volume);
    expected.retain(|(p, _)| p != "lost+found" && !p.starts_with(".fabchart-restore"));
    let mut got = tree(&target);
    got.retain(|(p, _)| p != "lost+found" && p != ".fabchart-restored");
    assert_eq!(got, expected);
    assert!(target.join("lost+found").is_dir());
    // What put the content there: the run, the backup and the run's volumes.
    assert_eq!(
        std::fs::read_to_string(target.join(".fabchart-restored")).unwrap(),
        "run-1 2025-01-31-023000 data-hlf-peer--harbor--peer0-0\n"
    );

    // The volume now holds channel data: refused, unless forced.
    let (ok, log) = step("restore-check", &data(target_str));
    assert!(!ok && log.contains("restore.force=true"), "{log}");
    let (ok, log) = step("restore-stage", &data(target_str));
    assert!(!ok && log.contains("restore.force=true"), "{log}");
    std::fs::write(target.join("written-after-backup"), b"new").unwrap();
    let force = [
        ("DATA_DIR", target_str.to_string()),
        ("FORCE", "true".to_string()),
    ];
    let (ok, log) = restore(&force);
    assert!(ok, "{log}");
    assert!(!target.join("written-after-backup").exists());

    // A damaged archive: verify refuses, and so does the copy, keeping the
    // volume as it was.
    let stored = key_dir.join(archive);
    let mut bytes = std::fs::read(&stored).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&stored, bytes).unwrap();
    let (ok, log) = step("restore-verify", &[]);
    assert!(!ok && log.contains("damaged"), "{log}");
    std::fs::write(target.join("written-after-backup"), b"new").unwrap();
    let before = tree(&target);
    let (ok, log) = step("restore-stage", &force);
    assert!(
        !ok && log.contains("old content of the volume was kept"),
        "{log}"
    );
    assert_eq!(tree(&target), before);
    // Nothing staged: there is nothing to swap in.
    let (ok, log) = step("restore-swap", &force);
    assert!(!ok && log.contains("nothing is staged"), "{log}");
    assert_eq!(tree(&target), before);
    std::fs::remove_file(&stored).unwrap();
    let (ok, log) = step("restore-verify", &[]);
    assert!(!ok && log.contains("is missing"), "{log}");
}

/// A copy step stops when rclone fails, also where its output goes on
/// through a pipe and where the failure comes after the data: nothing is
/// read from a manifest or left beside an archive that way.
#[test]
fn copy_steps_stop_when_rclone_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, remote, volume) = copy_setup(tmp.path());
    let target = tmp.path().join("target");
    std::fs::create_dir_all(&target).unwrap();
    let archive = "harbor/peer0/peer.tar.gz";
    let key = "backup:hlf-backup/prod/2025-01-31-023000";
    let step = |name: &str, data_dir: &Path, fail: &str| {
        let env = [
            ("FAKE_REMOTE", remote.to_str().unwrap()),
            ("FAKE_RCLONE_FAIL", fail),
            ("REMOTE_ROOT", "backup:hlf-backup/prod"),
            ("BACKUP_KEY", "2025-01-31-023000"),
            ("ARCHIVE", archive),
            ("ARCHIVES", archive),
            (
                "PLAN",
                "harbor/peer0/peer.tar.gz <- data-hlf-peer--harbor--peer0-0",
            ),
            ("DRY_RUN", "false"),
            ("KIND", "peer"),
            ("FORCE", "false"),
            ("STATEFULSET", "hlf-peer--harbor--peer0"),
            ("DATA_DIR", data_dir.to_str().unwrap()),
            ("RUN_ID", "run-1"),
            ("RUN_CLAIMS", "data-hlf-peer--harbor--peer0-0"),
        ];
        run_step(name, &path, &env)
    };
    for name in ["backup-preflight", "backup-copy", "backup-manifest"] {
        let (ok, log) = step(name, &volume, "");
        assert!(ok, "{name}: {log}");
    }
    let checksum = remote.join("hlf-backup/prod/2025-01-31-023000/harbor/peer0/peer.tar.gz.sha256");
    assert!(checksum.is_file());

    // The manifest came whole, then rclone failed: it is not read.
    for name in ["restore-verify", "restore-stage"] {
        let (ok, log) = step(name, &target, &format!("cat {key}/manifest.sha256"));
        assert!(!ok && log.contains("cannot read"), "{name}: {log}");
    }
    assert_eq!(tree(&target), []);
    // The old checksum could not be deleted: no archive is written beside it.
    let (ok, log) = step("backup-copy", &volume, "deletefile");
    assert!(!ok && log.contains("cannot delete"), "{log}");
    // The upload failed (rclone rcat last in the pipe): no checksum follows.
    let (ok, log) = step("backup-copy", &volume, &format!("rcat {key}/{archive}"));
    assert!(!ok && log.contains("failed (fake)"), "{log}");
    assert!(!checksum.exists());
}
