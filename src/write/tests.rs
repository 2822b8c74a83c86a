use super::*;

fn tree(files: &[(&str, &str)]) -> Tree {
    let mut tree = Tree::new();
    for (path, text) in files {
        tree.insert(*path, *text);
    }
    tree
}

#[test]
fn replace_swaps_the_folder_and_cleans_up() {
    let out = tempfile::tempdir().unwrap();
    let ws = Workspace::open(out.path(), false).unwrap();
    ws.replace_dir("chart", &tree(&[("old.txt", "old")]))
        .unwrap();
    let new = tree(&[("new.txt", "new"), ("keys/priv_sk", "k")]);
    ws.check_owned("chart", &ws.read("chart").unwrap().tree, &new, Legacy::None)
        .unwrap();
    ws.replace_dir("chart", &new).unwrap();
    assert!(out.path().join("chart/new.txt").exists());
    assert!(!out.path().join("chart/old.txt").exists());
    let mode = fs::metadata(out.path().join("chart/keys/priv_sk"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        !out.path().join(WORK_DIR).exists(),
        "the work folder is removed"
    );
}

#[test]
fn foreign_and_changed_files_are_refused() {
    let out = tempfile::tempdir().unwrap();
    let ws = Workspace::open(out.path(), false).unwrap();
    ws.replace_dir("chart", &tree(&[("a.txt", "a"), ("b.txt", "b")]))
        .unwrap();
    fs::write(out.path().join("chart/mine.yaml"), "x").unwrap();
    fs::write(out.path().join("chart/b.txt"), "edited").unwrap();
    let err = ws
        .check_owned(
            "chart",
            &ws.read("chart").unwrap().tree,
            &tree(&[("a.txt", "a2")]),
            Legacy::None,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("mine.yaml (not written by fabchart)"), "{err}");
    assert!(
        err.contains("b.txt (changed since fabchart wrote it)"),
        "{err}"
    );
    // Files the new tree keeps byte for byte are not lost.
    ws.check_owned(
        "chart",
        &ws.read("chart").unwrap().tree,
        &tree(&[("mine.yaml", "x"), ("b.txt", "edited")]),
        Legacy::None,
    )
    .unwrap();
}

#[test]
fn a_folder_without_manifest_is_not_replaced() {
    let out = tempfile::tempdir().unwrap();
    fs::create_dir(out.path().join("chart")).unwrap();
    fs::write(out.path().join("chart/Chart.yaml"), "name: other").unwrap();
    let ws = Workspace::open(out.path(), false).unwrap();
    let err = ws
        .check_owned(
            "chart",
            &ws.read("chart").unwrap().tree,
            &Tree::new(),
            Legacy::None,
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("fabchart did not write it"),
        "{err}"
    );
}

#[test]
fn an_interrupted_journal_replacement_is_rolled_back() {
    let out = tempfile::tempdir().unwrap();
    let ws = Workspace::open(out.path(), false).unwrap();
    ws.replace_dir("chart", &tree(&[("keep.txt", "old")]))
        .unwrap();
    drop(ws);
    // What a kill between the two renames leaves.
    let work = out.path().join(WORK_DIR);
    fs::create_dir(&work).unwrap();
    fs::write(work.join(JOURNAL), "chart\n").unwrap();
    fs::rename(out.path().join("chart"), work.join(ASIDE)).unwrap();
    assert!(
        Workspace::open(out.path(), true).is_err(),
        "--check says so"
    );
    let ws = Workspace::open(out.path(), false).unwrap();
    assert_eq!(
        fs::read_to_string(out.path().join("chart/keep.txt")).unwrap(),
        "old"
    );
    assert!(!ws.path().join(WORK_DIR).exists());
}

#[test]
fn a_second_writer_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let _first = Workspace::open(out.path(), false).unwrap();
    let err = Workspace::open(out.path(), false).err().unwrap();
    assert!(err.to_string().contains("another fabchart"), "{err}");
}

fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).unwrap().ino()
}

/// Files with their modes, and folders, as on disk.
fn on_disk(dir: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .display()
            .to_string();
        let mode = entry.metadata().unwrap().permissions().mode();
        let bytes = match entry.file_type().is_file() {
            true => fs::read(entry.path()).unwrap(),
            false => Vec::new(),
        };
        out.push((rel, mode, bytes));
    }
    out
}

#[test]
fn an_unchanged_folder_is_not_rewritten() {
    let out = tempfile::tempdir().unwrap();
    let ws = Workspace::open(out.path(), false).unwrap();
    let files = tree(&[("a/b.txt", "b"), ("keys/priv_sk", "k")]);
    ws.replace_dir("chart", &files).unwrap();
    let before = inode(&out.path().join("chart"));
    let wrote = ws
        .update_dir("chart", &files, &ws.read("chart").unwrap(), None, || Ok(()))
        .unwrap();
    assert!(!wrote);
    assert_eq!(inode(&out.path().join("chart")), before, "left as it was");
    // A mode that is not fabchart's is written again.
    let key = out.path().join("chart/keys/priv_sk");
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let wrote = ws
        .update_dir("chart", &files, &ws.read("chart").unwrap(), None, || Ok(()))
        .unwrap();
    assert!(wrote);
    assert_eq!(
        fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // So is a folder with a file more.
    fs::write(out.path().join("chart/a/extra.txt"), "x").unwrap();
    assert!(!ws
        .read("chart")
        .unwrap()
        .is(&files, &manifest(&files).unwrap()));
}

#[test]
fn a_folder_written_in_parts_is_the_folder_written_whole() {
    let whole = tree(&[
        ("Chart.yaml", "c"),
        ("crypto/org/msp/cert.pem", "cert"),
        ("crypto/org/tls/server.key", "k"),
        ("crypto/org/new.txt", "written with the rest"),
        ("templates/a.yaml", "a"),
    ]);
    let mut part = tree(&[
        ("crypto/org/msp/cert.pem", "cert"),
        ("crypto/org/tls/server.key", "k"),
    ]);
    part.insert_dir("crypto/org/keystore");
    let mut whole_with_dir = whole.clone();
    whole_with_dir.insert_dir("crypto/org/keystore");

    let at_once = tempfile::tempdir().unwrap();
    Workspace::open(at_once.path(), false)
        .unwrap()
        .replace_dir("chart", &whole_with_dir)
        .unwrap();
    let in_parts = tempfile::tempdir().unwrap();
    let ws = Workspace::open(in_parts.path(), false).unwrap();
    let mut stage = ws.stage("chart").unwrap();
    stage.write_part(&part).unwrap();
    stage.start_sync().unwrap();
    let current = ws.read("chart").unwrap();
    ws.update_dir("chart", &whole_with_dir, &current, Some(stage), || Ok(()))
        .unwrap();
    assert_eq!(
        on_disk(&in_parts.path().join("chart")),
        on_disk(&at_once.path().join("chart"))
    );
    assert!(!in_parts.path().join(WORK_DIR).exists());
}

/// A new version given up before it is swapped in: dropped, or refused
/// by the last check with or without a part written ahead.
#[test]
fn a_version_given_up_leaves_the_folder_as_it_was() {
    let out = tempfile::tempdir().unwrap();
    let ws = Workspace::open(out.path(), false).unwrap();
    ws.replace_dir("chart", &tree(&[("old.txt", "old")]))
        .unwrap();
    let new = tree(&[("new/priv_sk", "key"), ("old.txt", "new")]);
    for (ahead, refused) in [(true, false), (false, true), (true, true)] {
        let stage = ahead.then(|| {
            let mut stage = ws.stage("chart").unwrap();
            stage.write_part(&tree(&[("new/priv_sk", "key")])).unwrap();
            stage.start_sync().unwrap();
            stage
        });
        if refused {
            let current = ws.read("chart").unwrap();
            let err = ws
                .update_dir("chart", &new, &current, stage, || anyhow::bail!("too big"))
                .unwrap_err();
            assert_eq!(err.to_string(), "too big");
        } else {
            drop(stage);
        }
        assert_eq!(
            fs::read_to_string(out.path().join("chart/old.txt")).unwrap(),
            "old"
        );
        assert!(!out.path().join("chart/new").exists());
        assert!(
            !out.path().join(WORK_DIR).exists(),
            "nothing staged is left"
        );
    }
}
