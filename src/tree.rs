//! A folder of files held in memory: what generate and render produce and
//! write puts on disk in one step. Paths are relative, `/`-separated and
//! sorted, so the same input gives the same tree and the same bytes on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context;

/// One file: its bytes and whether it holds a secret (written 0600, else 0644).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub bytes: Vec<u8>,
    pub private: bool,
}

impl File {
    pub fn mode(&self) -> u32 {
        if self.private {
            0o600
        } else {
            0o644
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    files: BTreeMap<String, File>,
    /// Folders that must exist even when empty (placeholders a user fills).
    dirs: BTreeSet<String>,
}

impl Tree {
    pub fn new() -> Tree {
        Tree::default()
    }

    /// Adds or replaces a file; private keys are recognised by name (see
    /// [`is_private_key`]).
    pub fn insert(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        let path = path.into();
        let private = is_private_key(&path);
        self.files.insert(
            path,
            File {
                bytes: bytes.into(),
                private,
            },
        );
    }

    pub fn insert_file(&mut self, path: impl Into<String>, file: File) {
        self.files.insert(path.into(), file);
    }

    /// Keeps `path` as a folder even when nothing is put in it.
    pub fn insert_dir(&mut self, path: impl Into<String>) {
        self.dirs.insert(path.into());
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|f| f.bytes.as_slice())
    }

    pub fn file(&self, path: &str) -> Option<&File> {
        self.files.get(path)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    pub fn remove(&mut self, path: &str) -> Option<File> {
        self.files.remove(path)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn files(&self) -> impl Iterator<Item = (&str, &File)> {
        self.files.iter().map(|(p, f)| (p.as_str(), f))
    }

    pub fn dirs(&self) -> impl Iterator<Item = &str> {
        self.dirs.iter().map(String::as_str)
    }

    /// The names of the files directly in folder `dir` (not in its sub-folders), sorted.
    pub fn files_in(&self, dir: &str) -> Vec<&str> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.files
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .map(|(p, _)| &p[prefix.len()..])
            .filter(|rest| !rest.contains('/'))
            .collect()
    }

    /// Whether any file lies below folder `dir`.
    pub fn has_dir(&self, dir: &str) -> bool {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(p, _)| p.starts_with(&prefix))
            || self.dirs.contains(dir)
    }

    /// Every file of `other`, each below `prefix/`.
    pub fn extend_below(&mut self, prefix: &str, other: Tree) {
        for (path, file) in other.files {
            self.files.insert(format!("{prefix}/{path}"), file);
        }
        for dir in other.dirs {
            self.dirs.insert(format!("{prefix}/{dir}"));
        }
    }

    /// Every file and folder of `other`, at the same paths.
    pub fn merge(&mut self, other: Tree) {
        self.files.extend(other.files);
        self.dirs.extend(other.dirs);
    }

    /// The files below `prefix/`, with paths relative to it.
    pub fn subtree(&self, prefix: &str) -> Tree {
        let start = format!("{}/", prefix.trim_end_matches('/'));
        let mut out = Tree::new();
        for (path, file) in self
            .files
            .range(start.clone()..)
            .take_while(|(p, _)| p.starts_with(&start))
        {
            out.files
                .insert(path[start.len()..].to_string(), file.clone());
        }
        for dir in self.dirs.iter().filter(|d| d.starts_with(&start)) {
            out.dirs.insert(dir[start.len()..].to_string());
        }
        out
    }

    /// Total bytes of all files.
    pub fn size(&self) -> u64 {
        self.files.values().map(|f| f.bytes.len() as u64).sum()
    }

    /// Reads every file below `root` from disk (an absent root is an empty tree).
    /// Private keys keep their names' mode rule, not the mode on disk.
    pub fn read(root: &Path) -> anyhow::Result<Tree> {
        Ok(Tree::read_with(root, None)?.0)
    }

    /// [`Tree::read`], and whether the folder holds only files and folders
    /// with the modes a writer gives them: files [`File::mode`], folders
    /// `dir_mode` (the root's own mode is not looked at). A file with mode
    /// 0600 is read as private.
    pub fn read_with_modes(root: &Path, dir_mode: u32) -> anyhow::Result<(Tree, bool)> {
        Tree::read_with(root, Some(dir_mode))
    }

    fn read_with(root: &Path, dir_mode: Option<u32>) -> anyhow::Result<(Tree, bool)> {
        use std::io::Read as _;
        use std::os::unix::fs::PermissionsExt as _;
        let mut tree = Tree::new();
        let mut as_written = true;
        if !root.exists() {
            return Ok((tree, as_written));
        }
        for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
            let entry = entry.with_context(|| format!("cannot list {}", root.display()))?;
            let rel = entry
                .path()
                .strip_prefix(root)
                .expect("walkdir stays below its root")
                .to_string_lossy()
                .replace('\\', "/");
            if entry.file_type().is_dir() {
                if entry.depth() > 0 {
                    if let Some(mode) = dir_mode {
                        let meta = entry
                            .metadata()
                            .with_context(|| format!("cannot read {}", entry.path().display()))?;
                        as_written &= meta.permissions().mode() & 0o7777 == mode;
                    }
                    tree.dirs.insert(rel);
                }
            } else if entry.file_type().is_file() {
                // One open, one stat and the reads, as std::fs::read, but the
                // stat's mode is kept.
                let read = || -> std::io::Result<(Vec<u8>, u32)> {
                    let mut file = std::fs::File::open(entry.path())?;
                    let meta = file.metadata()?;
                    let mut bytes = Vec::with_capacity(meta.len() as usize);
                    file.read_to_end(&mut bytes)?;
                    Ok((bytes, meta.permissions().mode() & 0o7777))
                };
                let (bytes, mode) =
                    read().with_context(|| format!("cannot read {}", entry.path().display()))?;
                // Reading for modes, a file kept private (0600) is private
                // whatever its name (e.g. generated credentials).
                let private = is_private_key(&rel) || (dir_mode.is_some() && mode == 0o600);
                as_written &= mode == if private { 0o600 } else { 0o644 };
                tree.insert_file(rel, File { bytes, private });
            } else {
                as_written = false;
            }
        }
        // A folder is only worth keeping when nothing else creates it.
        let dirs: Vec<String> = tree.dirs.iter().cloned().collect();
        for dir in dirs {
            let prefix = format!("{dir}/");
            let non_empty = tree
                .files
                .range(prefix.clone()..)
                .next()
                .is_some_and(|(p, _)| p.starts_with(&prefix))
                || tree
                    .dirs
                    .range(prefix.clone()..)
                    .next()
                    .is_some_and(|d| d.starts_with(&prefix));
            if non_empty {
                tree.dirs.remove(&dir);
            }
        }
        Ok((tree, as_written))
    }

    /// The folders a writer must create: every parent of a file and every kept folder.
    pub fn all_dirs(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut add_parents = |path: &str| {
            let mut at = path;
            while let Some(cut) = at.rfind('/') {
                at = &at[..cut];
                if !out.insert(at.to_string()) {
                    break;
                }
            }
        };
        for path in self.files.keys() {
            add_parents(path);
        }
        for dir in &self.dirs {
            add_parents(&format!("{dir}/x"));
        }
        out
    }
}

/// Private keys are the only files written with mode 0600: `*_sk` (MSP
/// keystores, CA keys) and `*.key` (TLS keys).
pub fn is_private_key(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with("_sk") || name.ends_with(".key")
}

/// Files added, changed and removed going from `old` to `new`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TreeDiff {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl TreeDiff {
    pub fn between(old: &Tree, new: &Tree) -> TreeDiff {
        let mut diff = TreeDiff::default();
        for (path, file) in &new.files {
            match old.files.get(path) {
                None => diff.added.push(path.clone()),
                Some(previous) if previous.bytes != file.bytes => diff.changed.push(path.clone()),
                Some(_) => {}
            }
        }
        diff.removed = old
            .files
            .keys()
            .filter(|p| !new.files.contains_key(*p))
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
    fn private_keys_by_name() {
        assert!(is_private_key("a/keystore/priv_sk"));
        assert!(is_private_key("a/tls/server.key"));
        assert!(!is_private_key("a/tls/server.crt"));
        let mut tree = Tree::new();
        tree.insert("a/tls/server.key", "k");
        tree.insert("a/tls/server.crt", "c");
        assert_eq!(tree.file("a/tls/server.key").unwrap().mode(), 0o600);
        assert_eq!(tree.file("a/tls/server.crt").unwrap().mode(), 0o644);
    }

    #[test]
    fn files_in_lists_one_level() {
        let mut tree = Tree::new();
        tree.insert("m/cacerts/a.pem", "a");
        tree.insert("m/cacerts/b.pem", "b");
        tree.insert("m/cacerts/sub/c.pem", "c");
        tree.insert("m/cacertsx/d.pem", "d");
        assert_eq!(tree.files_in("m/cacerts"), vec!["a.pem", "b.pem"]);
        assert!(tree.has_dir("m/cacerts/sub"));
        assert!(!tree.has_dir("m/none"));
    }

    #[test]
    fn diff_lists_each_kind_of_change() {
        let mut old = Tree::new();
        old.insert("a", "1");
        old.insert("b", "2");
        let mut new = Tree::new();
        new.insert("a", "1");
        new.insert("b", "3");
        new.insert("c", "");
        let diff = TreeDiff::between(&old, &new);
        assert_eq!(diff.added, vec!["c"]);
        assert_eq!(diff.changed, vec!["b"]);
        assert!(diff.removed.is_empty());
        assert_eq!(TreeDiff::between(&new, &old).removed, vec!["c"]);
    }

    #[test]
    fn all_dirs_are_the_parents_and_kept_folders() {
        let mut tree = Tree::new();
        tree.insert("a/b/c.txt", "x");
        tree.insert_dir("d/e");
        let dirs: Vec<String> = tree.all_dirs().into_iter().collect();
        assert_eq!(dirs, vec!["a", "a/b", "d", "d/e"]);
    }
}
