//! Writing into the `crypto-config/` root: fixed file modes, byte-for-byte
//! copies of existing material, and the generated/reused bookkeeping.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::layout::file_mode;

pub(crate) struct Output {
    root: PathBuf,
    pub generated: Vec<PathBuf>,
    pub reused: Vec<PathBuf>,
}

impl Output {
    pub fn new(root: &Path) -> Result<Self> {
        fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        Ok(Output {
            root: root.to_path_buf(),
            generated: Vec::new(),
            reused: Vec::new(),
        })
    }

    pub fn path(&self, rel: &Path) -> PathBuf {
        self.root.join(rel)
    }

    pub fn exists(&self, rel: &Path) -> bool {
        self.path(rel).is_file()
    }

    pub fn mkdir(&self, rel: &Path) -> Result<()> {
        let dir = self.path(rel);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))
    }

    /// Writes a newly generated file (0600 for private keys, else 0644).
    pub fn write(&mut self, rel: &Path, bytes: &[u8]) -> Result<()> {
        write_with_mode(&self.path(rel), bytes)?;
        self.generated.push(rel.to_path_buf());
        Ok(())
    }

    /// Writes `bytes` unless a file is already there (e.g. copied from existing material).
    pub fn write_if_missing(&mut self, rel: &Path, bytes: &[u8]) -> Result<()> {
        if self.exists(rel) {
            return Ok(());
        }
        self.write(rel, bytes)
    }

    /// Copies every file below `from` (a folder of the existing material) to `rel`,
    /// byte for byte; modes follow the same rule as generated files.
    pub fn copy_tree(&mut self, from: &Path, rel: &Path) -> Result<()> {
        if !from.is_dir() {
            return Ok(());
        }
        self.mkdir(rel)?;
        let mut entries: Vec<_> = walkdir::WalkDir::new(from)
            .sort_by_file_name()
            .into_iter()
            .collect::<Result<_, _>>()
            .with_context(|| format!("reading {}", from.display()))?;
        entries.retain(|e| e.depth() > 0);
        for entry in entries {
            let sub = entry
                .path()
                .strip_prefix(from)
                .expect("walkdir stays below its root");
            let target_rel = rel.join(sub);
            if entry.file_type().is_dir() {
                self.mkdir(&target_rel)?;
            } else {
                let bytes = fs::read(entry.path())
                    .with_context(|| format!("reading {}", entry.path().display()))?;
                write_with_mode(&self.path(&target_rel), &bytes)?;
                self.reused.push(target_rel);
            }
        }
        Ok(())
    }

    pub fn finish(mut self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        self.generated.sort();
        self.generated.dedup();
        self.reused.sort();
        self.reused.dedup();
        (self.generated, self.reused)
    }
}

fn write_with_mode(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(file_mode(path)))
        .with_context(|| format!("setting the mode of {}", path.display()))
}

/// Files (not folders) directly inside `dir`, sorted; empty if `dir` does not exist.
pub(crate) fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}
