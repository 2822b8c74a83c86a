//! Backup and restore faults: kills half-way, corrupted archives.

use super::*;

// ---- backup and restore faults ----

/// Three volumes of one backup (two peers and an orderer), their data, the
/// fake object store, and the copy steps run as the workflow runs them: each
/// in a process group of its own, so that a kill takes the whole step.
pub(crate) struct Drill {
    tmp: tempfile::TempDir,
    path: String,
}

/// (archive, claim, kind, folder) of the drill's volumes.
pub(crate) const DRILL_VOLUMES: [(&str, &str, &str, &str); 3] = [
    (
        "harbor/peer0/peer.tar.gz",
        "data-hlf-peer--harbor--peer0-0",
        "peer",
        "harbor",
    ),
    (
        "quarry/peer0/peer.tar.gz",
        "data-hlf-peer--quarry--peer0-0",
        "peer",
        "quarry",
    ),
    (
        "beacon/orderer0/orderer.tar.gz",
        "data-hlf-orderer--beacon--orderer0-0",
        "orderer",
        "beacon",
    ),
];

/// How a step ended: exit status, or killed.
#[derive(Debug, PartialEq)]
pub(crate) enum Ended {
    Ok,
    Failed,
    Killed,
}

impl Drill {
    fn new() -> Drill {
        let tmp = tempfile::tempdir().unwrap();
        let path = copy_tools(tmp.path());
        // A `mv` that can kill its step at its n-th call (KILL_AT_MV): the
        // swap is renames only, so this stops it between any two.
        {
            use std::os::unix::fs::PermissionsExt;
            let mv = tmp.path().join("bin/mv");
            std::fs::remove_file(&mv).unwrap();
            let busybox = std::fs::read_link(tmp.path().join("bin/sh")).unwrap();
            std::fs::write(
                &mv,
                format!(
                    "#!{busybox} sh\nn=$(cat \"$MV_COUNT\" 2>/dev/null || echo 0)\nn=$((n + 1))\necho \"$n\" > \"$MV_COUNT\"\n[ \"$n\" != \"${{KILL_AT_MV:-}}\" ] || kill -KILL 0\nexec {busybox} mv \"$@\"\n",
                    busybox = busybox.display()
                ),
            )
            .unwrap();
            std::fs::set_permissions(&mv, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::create_dir_all(tmp.path().join("remote/hlf-backup")).unwrap();
        let drill = Drill { tmp, path };
        for (_, _, kind, name) in DRILL_VOLUMES {
            let fixture = format!("volume-{kind}-ledger.txt");
            // What the backup holds, and the older data the targets hold.
            for (side, text) in [("source", "backed up"), ("target", "old")] {
                let dir = drill.dir(side, name);
                volume_tree(&dir, &fixture);
                std::fs::write(dir.join("which"), format!("{name} {text}\n")).unwrap();
            }
        }
        drill
    }

    fn dir(&self, side: &str, name: &str) -> PathBuf {
        self.tmp.path().join(side).join(name)
    }

    fn claims() -> String {
        DRILL_VOLUMES.map(|v| v.1).join(",")
    }

    /// Runs step `name` on volume `index` (None: no volume) of `side`.
    fn step(
        &self,
        name: &str,
        index: Option<usize>,
        side: &str,
        extra: &[(&str, &str)],
    ) -> (Ended, String) {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join(format!("{name}.sh"));
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        std::fs::write(&script, pod_paths(&flow::script(name).unwrap(), dir.path())).unwrap();
        let mut cmd = Command::new("sh");
        cmd.arg(&script)
            .env_clear()
            .env("PATH", &self.path)
            .env("FAKE_REMOTE", self.tmp.path().join("remote"))
            .env("MV_COUNT", dir.path().join("mv-count"))
            .env("REMOTE_ROOT", "backup:hlf-backup")
            .env("BACKUP_KEY", "nightly")
            .env("ARCHIVES", DRILL_VOLUMES.map(|v| v.0).join("\n"))
            .env("PLAN", "three volumes")
            .env("DRY_RUN", "false")
            .env("FORCE", "true")
            .env("RUN_ID", "run-1")
            .env("RUN_CLAIMS", Self::claims())
            .process_group(0);
        if let Some(i) = index {
            let (archive, claim, kind, folder) = DRILL_VOLUMES[i];
            cmd.env("ARCHIVE", archive)
                .env("CLAIM", claim)
                .env("KIND", kind)
                .env("STATEFULSET", folder)
                .env("DATA_DIR", self.dir(side, folder));
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let ended = if out.status.success() {
            Ended::Ok
        } else if std::os::unix::process::ExitStatusExt::signal(&out.status) == Some(9) {
            Ended::Killed
        } else {
            Ended::Failed
        };
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (ended, log)
    }

    fn backup(&self) {
        let (ended, log) = self.step("backup-preflight", None, "source", &[]);
        assert_eq!(ended, Ended::Ok, "{log}");
        for i in 0..DRILL_VOLUMES.len() {
            let (ended, log) = self.step("backup-copy", Some(i), "source", &[]);
            assert_eq!(ended, Ended::Ok, "{log}");
        }
        let (ended, log) = self.step("backup-manifest", None, "source", &[]);
        assert_eq!(ended, Ended::Ok, "{log}");
    }

    /// The workflow's settle: every volume's state, then each one's decision.
    fn settle(&self, run: &str) -> Vec<(Ended, String)> {
        let states: Vec<String> = (0..DRILL_VOLUMES.len())
            .map(|i| {
                let tmp = tempfile::tempdir().unwrap();
                // restore-inspect writes its output to /tmp/state; here its
                // library function prints the same line.
                let (_, folder) = (tmp, DRILL_VOLUMES[i].3);
                let (ok, line) = backup_lib(
                    "restore_state \"$DIR\" \"$CLAIM\"",
                    b"",
                    &[
                        ("DIR", self.dir("target", folder).to_str().unwrap()),
                        ("CLAIM", DRILL_VOLUMES[i].1),
                    ],
                );
                assert!(ok);
                line.trim_end().to_string()
            })
            .collect();
        let states = serde_json::to_string(&states).unwrap();
        (0..DRILL_VOLUMES.len())
            .map(|i| {
                self.step(
                    "restore-settle",
                    Some(i),
                    "target",
                    &[("STATES", &states), ("RUN_ID", run)],
                )
            })
            .collect()
    }

    /// Each target volume: "old", "backed up", or a mix within it.
    fn contents(&self) -> Vec<&'static str> {
        DRILL_VOLUMES
            .iter()
            .map(|(_, _, _, folder)| {
                let mut target = tree(&self.dir("target", folder));
                target.retain(|(p, _)| !p.starts_with(".fabchart-restore"));
                let mut source = tree(&self.dir("source", folder));
                source.retain(|(p, _)| p != "lost+found");
                let mut old = source.clone();
                for (p, content) in old.iter_mut() {
                    if p == "which" {
                        *content = format!("{folder} old\n").into_bytes();
                    }
                }
                let without_lost = |t: &Vec<(String, Vec<u8>)>| {
                    t.iter()
                        .filter(|(p, _)| p != "lost+found")
                        .cloned()
                        .collect::<Vec<_>>()
                };
                if without_lost(&target) == source {
                    "backed up"
                } else if without_lost(&target) == old {
                    "old"
                } else {
                    "mixed"
                }
            })
            .collect()
    }
}

/// A backup killed half-way (the upload of its second archive cut off) has
/// no manifest: restore refuses it, and a backup under the same key later
/// replaces its archives.
#[test]
fn a_backup_killed_half_way_is_refused_by_restore() {
    let drill = Drill::new();
    assert_eq!(
        drill.step("backup-preflight", None, "source", &[]).0,
        Ended::Ok
    );
    assert_eq!(
        drill.step("backup-copy", Some(0), "source", &[]).0,
        Ended::Ok
    );
    let (ended, log) = drill.step(
        "backup-copy",
        Some(1),
        "source",
        &[("FAKE_RCLONE_KILL", "rcat backup:hlf-backup/nightly/quarry")],
    );
    assert_eq!(ended, Ended::Killed, "{log}");
    let key = drill.tmp.path().join("remote/hlf-backup/nightly");
    assert!(!key.join("manifest.sha256").exists());
    assert!(!key.join("quarry/peer0/peer.tar.gz").exists());
    let (ended, log) = drill.step("restore-preflight", None, "target", &[]);
    assert!(
        ended == Ended::Failed && log.contains("no complete backup"),
        "{log}"
    );
    // The manifest step, had it run, would not write one either (rclone
    // reads a missing object as nothing).
    let (ended, log) = drill.step("backup-manifest", None, "source", &[]);
    assert!(
        ended == Ended::Failed && log.contains("does not describe quarry/peer0/peer.tar.gz"),
        "{log}"
    );
    assert!(!key.join("manifest.sha256").exists());
    // Run again, the backup completes under the same key.
    let (ended, log) = drill.step("backup-preflight", None, "source", &[]);
    assert!(
        ended == Ended::Ok && log.contains("incomplete backup"),
        "{log}"
    );
    drill.backup();
    assert_eq!(
        drill.step("restore-preflight", None, "target", &[]).0,
        Ended::Ok
    );
}

/// A restore killed while it stages (the download of its second archive cut
/// off) has touched no node's data: the next run's settle drops the staging,
/// and every volume keeps its old content.
#[test]
fn a_restore_killed_while_staging_leaves_the_old_data() {
    let drill = Drill::new();
    drill.backup();
    assert_eq!(
        drill.step("restore-stage", Some(0), "target", &[]).0,
        Ended::Ok
    );
    let (ended, log) = drill.step(
        "restore-stage",
        Some(1),
        "target",
        &[("FAKE_RCLONE_KILL", "cat backup:hlf-backup/nightly/quarry")],
    );
    assert_eq!(ended, Ended::Killed, "{log}");
    assert_eq!(drill.contents(), ["old", "old", "old"]);
    // A backup now would copy a volume that a restore left half-way: refused.
    // A backup now copies the old data: the staging is no part of it.
    let (ended, log) = drill.step("backup-copy", Some(1), "target", &[("BACKUP_KEY", "later")]);
    assert_eq!(ended, Ended::Ok, "{log}");
    // Had every volume been staged, a backup would refuse (the restore may
    // be swapping others).
    let (ended, log) = drill.step("backup-copy", Some(0), "target", &[("BACKUP_KEY", "later")]);
    assert!(
        ended == Ended::Failed && log.contains("rerun that restore"),
        "{log}"
    );
    for (ended, log) in drill.settle("run-2") {
        assert_eq!(ended, Ended::Ok, "{log}");
        assert!(
            log.contains("dropped the staging") || log.contains("no restore pending"),
            "{log}"
        );
    }
    assert_eq!(drill.contents(), ["old", "old", "old"]);
    for folder in ["harbor", "quarry", "beacon"] {
        let state = tree(&drill.dir("target", folder));
        assert!(
            state
                .iter()
                .all(|(p, _)| !p.starts_with(".fabchart-restore")),
            "{state:?}"
        );
    }
}

/// A restore killed while it swaps, at any rename of the swap of its second
/// volume: every volume was staged, so the settle of the next run (or of the
/// workflow's exit handler) finishes the swap everywhere. Never a mix.
#[test]
fn a_restore_killed_while_swapping_is_finished_by_the_next_settle() {
    // The harbor volume's swap: lost+found stays, then 4 old entries out
    // (ledgersData, lifecycle, transientstore, which) and 4 staged ones in.
    for kill_at in 1..=9 {
        let drill = Drill::new();
        drill.backup();
        for i in 0..DRILL_VOLUMES.len() {
            let (ended, log) = drill.step("restore-stage", Some(i), "target", &[]);
            assert_eq!(ended, Ended::Ok, "{log}");
        }
        assert_eq!(
            drill.step("restore-swap", Some(0), "target", &[]).0,
            Ended::Ok
        );
        let kill = kill_at.to_string();
        let (ended, log) = drill.step("restore-swap", Some(1), "target", &[("KILL_AT_MV", &kill)]);
        if ended == Ended::Ok {
            // Fewer renames than kill_at: all cases were covered.
            assert!(kill_at > 2, "{log}");
            break;
        }
        assert_eq!(ended, Ended::Killed, "kill at mv {kill_at}: {log}");
        assert_ne!(drill.contents(), ["old", "old", "old"]);
        for (ended, log) in drill.settle("run-2") {
            assert_eq!(ended, Ended::Ok, "kill at mv {kill_at}: {log}");
        }
        assert_eq!(
            drill.contents(),
            ["backed up", "backed up", "backed up"],
            "kill at mv {kill_at}"
        );
        // The same backup, restored again by the run that finished it, needs
        // no restore.force, on every volume (swapped before the kill or
        // after); another backup does.
        for i in 0..DRILL_VOLUMES.len() {
            let (ended, log) = drill.step(
                "restore-check",
                Some(i),
                "target",
                &[("FORCE", "false"), ("RUN_ID", "run-2")],
            );
            assert_eq!(ended, Ended::Ok, "kill at mv {kill_at}, volume {i}: {log}");
        }
        let (ended, log) = drill.step(
            "restore-check",
            Some(2),
            "target",
            &[("FORCE", "false"), ("RUN_ID", "run-3")],
        );
        assert!(
            ended == Ended::Failed && log.contains("restore.force"),
            "{log}"
        );
    }
}

/// A fabric-ca server's home (ca.persistence.enabled) goes with its org: its
/// volume is copied and put back like a node's, and one with a database is
/// replaced only with restore.force (a fresh one cannot be told apart).
#[test]
fn ca_volumes_are_backed_up_and_restored_with_their_org() {
    let tmp = tempfile::tempdir().unwrap();
    let path = copy_tools(tmp.path());
    std::fs::create_dir_all(tmp.path().join("remote/hlf-backup")).unwrap();
    let home = tmp.path().join("ca-home");
    volume_tree(&home, "volume-ca-registrations.txt");
    std::fs::write(
        home.join("fabric-ca-server.db"),
        b"SQLite format 3\0registrations",
    )
    .unwrap();
    let (ok, content) = backup_decides(
        "volume_content ca \"$DIR\"",
        &[("DIR", home.to_str().unwrap())],
    );
    assert!(ok && content == "data", "{content}");
    let empty = tmp.path().join("ca-new");
    std::fs::create_dir_all(empty.join("lost+found")).unwrap();
    let archive = "harbor/ca/ca.tar.gz";
    let claim = "data-hlf-ca--harbor-0";
    let step = |name: &str, dir: &Path| {
        let env = [
            (
                "FAKE_REMOTE",
                tmp.path().join("remote").to_str().unwrap().to_string(),
            ),
            ("REMOTE_ROOT", "backup:hlf-backup".to_string()),
            ("BACKUP_KEY", "nightly".to_string()),
            ("ARCHIVE", archive.to_string()),
            ("ARCHIVES", archive.to_string()),
            ("PLAN", format!("{archive} <- {claim}")),
            ("DRY_RUN", "false".to_string()),
            ("KIND", "ca".to_string()),
            ("FORCE", "false".to_string()),
            ("STATEFULSET", "hlf-ca--harbor".to_string()),
            ("RUN_ID", "run-1".to_string()),
            ("RUN_CLAIMS", claim.to_string()),
            ("DATA_DIR", dir.to_str().unwrap().to_string()),
        ];
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_step(name, &path, &env)
    };
    for name in ["backup-preflight", "backup-copy", "backup-manifest"] {
        let (ok, log) = step(name, &home);
        assert!(ok, "{name}: {log}");
    }
    for name in ["restore-check", "restore-stage", "restore-swap"] {
        let (ok, log) = step(name, &empty);
        assert!(ok, "{name}: {log}");
    }
    let mut got = tree(&empty);
    got.retain(|(p, _)| p != ".fabchart-restored");
    assert_eq!(got, tree(&home));
    // The restored CA holds registrations: not replaced again unless forced.
    let (ok, log) = step("restore-check", &empty);
    assert!(!ok && log.contains("restore.force=true"), "{log}");

    // The org's CA is in the org's turn; a node of the org alone leaves it out.
    let sample = support::root().join("samples/simple-persistent");
    let archives = |include: &str| {
        let mut sets = vec![
            "backup.target.secret=backup-s3",
            "backup.key=nightly",
            "flow.ca.backup.enabled=true",
        ];
        sets.push(include);
        let text = render(&sample, &options(Flow::Restore, &sets)).unwrap();
        let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let verify = step_items(&workflow, &workflow["spec"]["templates"][0]["steps"][1][0]);
        serde_yaml::to_string(&verify).unwrap()
    };
    assert_eq!(
        archives("flow.backup.include={Harbor,Beacon/orderer0}"),
        "- harbor/peer0/peer.tar.gz\n- harbor/peer0/couchdb.tar.gz\n- harbor/ca/ca.tar.gz\n- beacon/orderer0/orderer.tar.gz\n"
    );
    assert!(archives("flow.backup.include={Beacon}").contains("- beacon/ca/ca.tar.gz\n"));
}

/// The settle's decisions on the states of a run's volumes, including a run
/// it cannot judge because the pending restore covers volumes not selected.
#[test]
fn restores_stopped_half_way_are_judged_by_all_their_volumes() {
    let decide = |me: &str, lines: &str| {
        let (ok, out) = backup_lib(&format!("settle_decision {me}"), lines.as_bytes(), &[]);
        (ok, out.trim().to_string())
    };
    let run = |id: &str| format!("{id} nightly a,b,c");
    let lines = |states: [&str; 3]| {
        ["a", "b", "c"]
            .iter()
            .zip(states)
            .map(|(claim, state)| match state {
                "none" => format!("{claim} none\n"),
                s => format!("{claim} {s} {}\n", run("r1")),
            })
            .collect::<String>()
    };
    let ok = |s: &str| (true, s.to_string());
    assert_eq!(decide("a", &lines(["none", "none", "none"])), ok("nothing"));
    assert_eq!(
        decide("a", &lines(["staged", "staged", "staged"])),
        ok("finish")
    );
    assert_eq!(
        decide("b", &lines(["restored", "swapping", "staged"])),
        ok("finish")
    );
    // Swapped before the kill: marked as finished by this run too.
    assert_eq!(
        decide("a", &lines(["restored", "swapping", "staged"])),
        ok("adopt")
    );
    assert_eq!(
        decide("a", &lines(["restored", "restored", "restored"])),
        ok("nothing")
    );
    assert_eq!(
        decide("a", &lines(["staged", "partial", "none"])),
        ok("discard")
    );
    assert_eq!(
        decide("a", &lines(["staged", "staged", "none"])),
        ok("discard")
    );
    // Staged by another run: not this run's commit point.
    let other = format!(
        "a staged {}\nb staged {}\nc staged {}\n",
        run("r1"),
        run("r1"),
        run("r0")
    );
    assert_eq!(decide("a", &other), ok("discard"));
    // A staging without its run file (killed before it wrote one).
    assert_eq!(decide("a", "a partial \nb none\nc none\n"), ok("discard"));
    // A swap cannot have begun without every volume staged.
    assert!(!decide("b", &lines(["staged", "swapping", "none"])).0);
    // Volume c is not in this run: its state is unknown.
    assert!(
        !decide(
            "a",
            "a staged r1 nightly a,b,c\nb staged r1 nightly a,b,c\n"
        )
        .0
    );
    assert!(!decide("z", &lines(["none", "none", "none"])).0);
}

/// One flipped byte in an archive: refused by its sha256 by the verify step,
/// which runs before the restore stops any node, and by the stage, which
/// leaves the volume as it was.
#[test]
fn a_corrupted_archive_is_refused_before_anything_is_overwritten() {
    let drill = Drill::new();
    drill.backup();
    let stored = drill
        .tmp
        .path()
        .join("remote/hlf-backup/nightly/beacon/orderer0/orderer.tar.gz");
    let mut bytes = std::fs::read(&stored).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&stored, bytes).unwrap();
    let (ended, log) = drill.step("restore-verify", Some(2), "target", &[]);
    assert!(ended == Ended::Failed && log.contains("damaged"), "{log}");
    let before = tree(&drill.dir("target", "beacon"));
    let (ended, log) = drill.step("restore-stage", Some(2), "target", &[]);
    assert!(
        ended == Ended::Failed && log.contains("old content of the volume was kept"),
        "{log}"
    );
    assert_eq!(tree(&drill.dir("target", "beacon")), before);

    // In the workflow, every archive is verified before the restore stops a node.
    let text = render(
        &support::root().join("samples/simple-persistent"),
        &options(
            Flow::Restore,
            &["backup.target.secret=backup-s3", "backup.key=nightly"],
        ),
    )
    .unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let main: Vec<&str> = workflow["spec"]["templates"][0]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|group| group[0]["name"].as_str().unwrap())
        .collect();
    assert_eq!(main, ["preflight", "verify", "restore"]);
}
