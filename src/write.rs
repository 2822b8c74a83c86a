//! Write: the output appears whole or not at all. Everything is rendered into
//! a staging folder next to the destination and renamed into place, so a
//! failed compile leaves the previous output, and above all its keys, as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// A staging folder inside `out`, removed on drop unless committed.
pub struct Staging {
    dir: tempfile::TempDir,
    out: PathBuf,
}

impl Staging {
    pub fn new(out: &Path) -> anyhow::Result<Staging> {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let dir = tempfile::Builder::new()
            .prefix(".fabchart-staging-")
            .tempdir_in(out)
            .with_context(|| format!("cannot create a staging folder in {}", out.display()))?;
        Ok(Staging {
            dir,
            out: out.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces `out/<name>` with the staged `<name>`.
    pub fn commit(&self, name: &str) -> anyhow::Result<()> {
        let staged = self.dir.path().join(name);
        let target = self.out.join(name);
        let old = self.dir.path().join(format!(".{name}.previous"));
        if target.exists() {
            std::fs::rename(&target, &old)
                .with_context(|| format!("cannot move {} aside", target.display()))?;
        }
        if let Err(e) = std::fs::rename(&staged, &target) {
            // Put the previous output back before reporting.
            if old.exists() {
                let _ = std::fs::rename(&old, &target);
            }
            return Err(e)
                .with_context(|| format!("cannot move the new output to {}", target.display()));
        }
        Ok(())
    }
}

/// Every file below `root`, relative path -> bytes.
pub fn read_tree(root: &Path) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    if !root.exists() {
        return Ok(files);
    }
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot list {}", root.display()))?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(root).expect("below root");
            let bytes = std::fs::read(entry.path())
                .with_context(|| format!("cannot read {}", entry.path().display()))?;
            files.insert(rel.to_string_lossy().replace('\\', "/"), bytes);
        }
    }
    Ok(files)
}

/// Files added, changed and removed going from `old` to `new`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TreeDiff {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl TreeDiff {
    pub fn between(old: &BTreeMap<String, Vec<u8>>, new: &BTreeMap<String, Vec<u8>>) -> TreeDiff {
        let mut diff = TreeDiff::default();
        for (path, bytes) in new {
            match old.get(path) {
                None => diff.added.push(path.clone()),
                Some(previous) if previous != bytes => diff.changed.push(path.clone()),
                Some(_) => {}
            }
        }
        diff.removed = old
            .keys()
            .filter(|p| !new.contains_key(*p))
            .cloned()
            .collect();
        diff
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_each_kind_of_change() {
        let old = BTreeMap::from([
            ("a".to_string(), b"1".to_vec()),
            ("b".to_string(), b"2".to_vec()),
        ]);
        let new = BTreeMap::from([
            ("a".to_string(), b"1".to_vec()),
            ("b".to_string(), b"3".to_vec()),
            ("c".to_string(), vec![]),
        ]);
        let diff = TreeDiff::between(&old, &new);
        assert_eq!(diff.added, vec!["c"]);
        assert_eq!(diff.changed, vec!["b"]);
        assert!(diff.removed.is_empty());
        assert!(TreeDiff::between(&new, &old).removed == vec!["c"]);
    }

    #[test]
    fn commit_replaces_the_previous_output() {
        let out = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(out.path().join("chart")).unwrap();
        std::fs::write(out.path().join("chart/old.txt"), "old").unwrap();
        let staging = Staging::new(out.path()).unwrap();
        std::fs::create_dir_all(staging.path().join("chart")).unwrap();
        std::fs::write(staging.path().join("chart/new.txt"), "new").unwrap();
        staging.commit("chart").unwrap();
        drop(staging);
        assert!(out.path().join("chart/new.txt").exists());
        assert!(!out.path().join("chart/old.txt").exists());
        let leftovers: Vec<_> = std::fs::read_dir(out.path()).unwrap().flatten().collect();
        assert_eq!(leftovers.len(), 1, "only the chart remains: {leftovers:?}");
    }
}
