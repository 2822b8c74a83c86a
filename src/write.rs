//! Write: an output folder is replaced in one step, and only by what fabchart
//! wrote into it.
//!
//! A [`Workspace`] is a folder fabchart writes into (OUT, or the keys folder).
//! Opening one locks it against a second fabchart and finishes or rolls back
//! whatever an interrupted run left in its work folder. A new tree is written
//! into the work folder (`.fabchart/`, mode 0700, ignored by git), synced, and
//! swapped with the old one by `renameat2(RENAME_EXCHANGE)`: at every moment
//! either the old or the new folder is in place. Where the file system cannot
//! exchange, a journal names the folder moved aside, and the next run puts it
//! back. Each folder fabchart writes carries a manifest of its files and
//! their sha256; a file in the way that fabchart did not write is never
//! deleted: the write is refused and the file named.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::os::fd::OwnedFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rustix::fs::{FlockOperation, RenameFlags};
use sha2::{Digest, Sha256};

use crate::tree::Tree;

/// The work folder inside a workspace: staging, the folder being replaced,
/// and the journal. Private, ignored by git, and removed after each write.
pub const WORK_DIR: &str = ".fabchart";
/// Every file fabchart wrote into a folder, as `sha256sum` lines (so
/// `sha256sum -c` checks it too).
pub const MANIFEST: &str = ".fabchart-files.sha256";
const JOURNAL: &str = "journal";
const STAGE: &str = "new";
const ASIDE: &str = "old";

/// A folder fabchart writes into, locked while this lives.
pub struct Workspace {
    dir: PathBuf,
    _lock: Option<OwnedFd>,
}

/// Who may have written a folder that has no manifest.
#[derive(Debug, Clone, Copy)]
pub enum Legacy {
    /// Written by a fabchart older than manifests: its files are fabchart's
    /// when `owned` says so.
    Fabchart(fn(&str, &[u8]) -> bool),
    /// Nothing fabchart wrote would lack a manifest.
    None,
}

impl Workspace {
    /// Opens `dir` (which need not exist yet). Unless `read_only`, takes its
    /// lock and recovers what an interrupted write left; read-only, it only
    /// refuses when such a leftover would change what is there.
    pub fn open(dir: &Path, read_only: bool) -> anyhow::Result<Workspace> {
        let work = dir.join(WORK_DIR);
        if !dir.is_dir() {
            return Ok(Workspace {
                dir: dir.to_path_buf(),
                _lock: None,
            });
        }
        if read_only {
            if let Some(name) = pending_journal(&work)? {
                if !dir.join(&name).exists() {
                    bail!(
                        "an interrupted fabchart compile left {} moved aside to {}; \
                         run `fabchart compile` without --check to put it back",
                        dir.join(&name).display(),
                        work.join(ASIDE).display()
                    );
                }
            }
            return Ok(Workspace {
                dir: dir.to_path_buf(),
                _lock: None,
            });
        }
        let lock = lock(dir)?;
        recover(dir)?;
        Ok(Workspace {
            dir: dir.to_path_buf(),
            _lock: Some(lock),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Refuses when replacing `name` with `new` would delete or overwrite a
    /// file fabchart did not write (or that was changed since), and when
    /// `name` exists without a manifest and is not a legacy fabchart output.
    /// Returns the files there now.
    pub fn check_owned(&self, name: &str, new: &Tree, legacy: Legacy) -> anyhow::Result<Tree> {
        let dest = self.dir.join(name);
        if fs::symlink_metadata(&dest).is_ok_and(|m| m.file_type().is_symlink()) {
            bail!(
                "{} is a symbolic link; fabchart replaces the folder itself, so point it at the real folder",
                dest.display()
            );
        }
        let current = Tree::read(&dest)?;
        if !dest.exists() {
            return Ok(current);
        }
        if !dest.is_dir() {
            bail!(
                "{} exists and is not a folder; move it away or write elsewhere",
                dest.display()
            );
        }
        let manifest = match current.get(MANIFEST) {
            Some(bytes) => Some(parse_manifest(&dest.join(MANIFEST), bytes)?),
            None => None,
        };
        if manifest.is_none() {
            let Legacy::Fabchart(owned) = legacy else {
                if current.is_empty() {
                    return Ok(current);
                }
                bail!(
                    "{} exists but fabchart did not write it (it has no {MANIFEST}); \
                     fabchart replaces this folder whole, so move it away or write elsewhere",
                    dest.display()
                );
            };
            let foreign: Vec<&str> = current
                .files()
                .filter(|(path, file)| {
                    new.get(path) != Some(file.bytes.as_slice())
                        && !new.contains(path)
                        && !owned(path, &file.bytes)
                })
                .map(|(path, _)| path)
                .collect();
            return refuse_foreign(&dest, &foreign, &[]).map(|()| current);
        }
        let manifest = manifest.unwrap_or_default();
        let mut foreign = Vec::new();
        let mut changed = Vec::new();
        for (path, file) in current.files().filter(|(p, _)| *p != MANIFEST) {
            if new.get(path) == Some(file.bytes.as_slice()) {
                continue;
            }
            match manifest.get(path) {
                None => foreign.push(path),
                Some(hash) if *hash != sha256_hex(&file.bytes) => changed.push(path),
                Some(_) => {}
            }
        }
        refuse_foreign(&dest, &foreign, &changed).map(|()| current)
    }

    /// Replaces folder `name` with `tree` (plus its manifest) in one step.
    pub fn replace_dir(&self, name: &str, tree: &Tree) -> anyhow::Result<()> {
        let dest = self.dir.join(name);
        let work = self.work()?;
        let stage = work.join(STAGE);
        write_tree(&stage, tree)?;
        let mut manifest = Vec::new();
        for (path, file) in tree.files() {
            writeln!(manifest, "{}  {path}", sha256_hex(&file.bytes))?;
        }
        write_new_file(&stage.join(MANIFEST), &manifest, 0o644)?;
        sync_fs(&stage)?;
        self.swap_in(&stage, &dest, name)?;
        remove_work(&self.dir)
    }

    /// Replaces file `name` with `bytes` in one step.
    pub fn replace_file(&self, name: &str, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
        let dest = self.dir.join(name);
        let work = self.work()?;
        let staged = work.join(STAGE);
        write_new_file(&staged, bytes, mode)?;
        fsync_path(&staged)?;
        fs::rename(&staged, &dest)
            .with_context(|| format!("cannot move the new {} into place", dest.display()))?;
        fsync_path(&self.dir)?;
        remove_work(&self.dir)
    }

    /// The work folder, created private and ignored by git.
    fn work(&self) -> anyhow::Result<PathBuf> {
        let work = self.dir.join(WORK_DIR);
        if work.exists() {
            remove_all(&work)?;
        }
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&work)
            .with_context(|| format!("cannot create {}", work.display()))?;
        fs::set_permissions(&work, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", work.display()))?;
        write_new_file(
            &work.join(".gitignore"),
            b"# fabchart's work folder: staged output and private keys. Never commit it.\n*\n",
            0o644,
        )?;
        Ok(work)
    }

    fn swap_in(&self, stage: &Path, dest: &Path, name: &str) -> anyhow::Result<()> {
        if !dest.exists() {
            match rustix::fs::renameat_with(
                rustix::fs::CWD,
                stage,
                rustix::fs::CWD,
                dest,
                RenameFlags::NOREPLACE,
            ) {
                Ok(()) => {}
                Err(e) if unsupported(e) => fs::rename(stage, dest)
                    .with_context(|| format!("cannot move the new output to {}", dest.display()))?,
                Err(e) => {
                    return Err(std::io::Error::from(e)).with_context(|| {
                        format!("cannot move the new output to {}", dest.display())
                    })
                }
            }
            return fsync_path(&self.dir);
        }
        if !force_journal() {
            match rustix::fs::renameat_with(
                rustix::fs::CWD,
                stage,
                rustix::fs::CWD,
                dest,
                RenameFlags::EXCHANGE,
            ) {
                Ok(()) => return fsync_path(&self.dir),
                Err(e) if unsupported(e) => {}
                Err(e) => {
                    return Err(std::io::Error::from(e)).with_context(|| {
                        format!("cannot swap the new output with {}", dest.display())
                    })
                }
            }
        }
        // No exchange here: move the old folder aside under a journal that
        // the next run completes or rolls back.
        let work = stage.parent().expect("the stage is in the work folder");
        let journal_tmp = work.join(format!("{JOURNAL}.tmp"));
        write_new_file(&journal_tmp, format!("{name}\n").as_bytes(), 0o600)?;
        fsync_path(&journal_tmp)?;
        fs::rename(&journal_tmp, work.join(JOURNAL))
            .with_context(|| format!("cannot write the journal in {}", work.display()))?;
        fsync_path(work)?;
        fs::rename(dest, work.join(ASIDE))
            .with_context(|| format!("cannot move {} aside", dest.display()))?;
        fs::rename(stage, dest)
            .with_context(|| format!("cannot move the new output to {}", dest.display()))?;
        fsync_path(&self.dir)
    }
}

/// Test hook: take the journal path even where the file system can exchange.
fn force_journal() -> bool {
    std::env::var_os("FABCHART_TEST_NO_EXCHANGE").is_some()
}

fn unsupported(e: rustix::io::Errno) -> bool {
    e == rustix::io::Errno::INVAL
        || e == rustix::io::Errno::NOSYS
        || e == rustix::io::Errno::OPNOTSUPP
}

fn lock(dir: &Path) -> anyhow::Result<OwnedFd> {
    let fd = rustix::fs::open(
        dir,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(std::io::Error::from)
    .with_context(|| format!("cannot open {}", dir.display()))?;
    match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(fd),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => bail!(
            "another fabchart is writing {}; wait for it to finish",
            dir.display()
        ),
        Err(e) => {
            Err(std::io::Error::from(e)).with_context(|| format!("cannot lock {}", dir.display()))
        }
    }
}

/// The folder name a journal says was being replaced, if one is there.
fn pending_journal(work: &Path) -> anyhow::Result<Option<String>> {
    let journal = work.join(JOURNAL);
    match fs::read_to_string(&journal) {
        Ok(text) => {
            let name = text.trim();
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                bail!(
                    "{} is damaged; remove it after checking {}",
                    journal.display(),
                    work.display()
                );
            }
            Ok(Some(name.to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", journal.display())),
    }
}

/// Finishes or rolls back an interrupted replacement, then removes the work
/// folder: whatever else is in it is a stage that never went live, or an old
/// folder already replaced.
fn recover(dir: &Path) -> anyhow::Result<()> {
    let work = dir.join(WORK_DIR);
    if !work.exists() {
        return Ok(());
    }
    if let Some(name) = pending_journal(&work)? {
        let dest = dir.join(&name);
        let aside = work.join(ASIDE);
        if !dest.exists() && aside.exists() {
            fs::rename(&aside, &dest).with_context(|| {
                format!(
                    "cannot put {} back to {} (an interrupted compile moved it aside)",
                    aside.display(),
                    dest.display()
                )
            })?;
            fsync_path(dir)?;
            crate::console::warn(format_args!(
                "put {} back where an interrupted compile had moved it aside",
                dest.display()
            ));
        }
    }
    remove_work(dir)
}

fn remove_work(dir: &Path) -> anyhow::Result<()> {
    let work = dir.join(WORK_DIR);
    // The journal goes first: once it is gone, nothing in the folder matters.
    match fs::remove_file(work.join(JOURNAL)) {
        Ok(()) => fsync_path(&work)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot remove {}", work.display())),
    }
    if work.exists() {
        remove_all(&work)?;
    }
    Ok(())
}

fn remove_all(dir: &Path) -> anyhow::Result<()> {
    // Folders fabchart made private may have lost their write bit in a copy.
    fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))
}

fn refuse_foreign(dest: &Path, foreign: &[&str], changed: &[&str]) -> anyhow::Result<()> {
    if foreign.is_empty() && changed.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "{} holds files fabchart did not write; replacing the folder would lose them:",
        dest.display()
    );
    const SHOWN: usize = 20;
    for (label, paths) in [
        ("not written by fabchart", foreign),
        ("changed since fabchart wrote it", changed),
    ] {
        for path in paths.iter().take(SHOWN) {
            message.push_str(&format!("\n  {path} ({label})"));
        }
        if paths.len() > SHOWN {
            message.push_str(&format!(
                "\n  ... and {} more ({label})",
                paths.len() - SHOWN
            ));
        }
    }
    message.push_str(
        "\nfabchart replaces this folder whole. Move these files out of it (values for \
         `helm install -f` belong next to the chart, not in it) or delete them, then compile again.",
    );
    bail!(message)
}

fn parse_manifest(path: &Path, bytes: &[u8]) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::str::from_utf8(bytes).with_context(|| {
        format!(
            "{} is not text; fabchart wrote it as sha256sum lines",
            path.display()
        )
    })?;
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let Some((hash, file)) = line.split_once("  ") else {
            bail!(
                "{}:{}: not a `<sha256>  <path>` line; restore the file from git or delete the folder's extra files by hand",
                path.display(),
                n + 1
            );
        };
        out.insert(file.to_string(), hash.to_string());
    }
    Ok(out)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `tree` below `root` (which must not exist): folders 0755, files
/// 0600 (private keys) or 0644, each folder created once.
pub fn write_tree(root: &Path, tree: &Tree) -> anyhow::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.mode(0o755);
    builder
        .create(root)
        .with_context(|| format!("cannot create {}", root.display()))?;
    for dir in tree.all_dirs() {
        let path = root.join(&dir);
        builder
            .create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
    }
    for (path, file) in tree.files() {
        write_new_file(&root.join(path), &file.bytes, file.mode())?;
    }
    Ok(())
}

/// Creates `path` with `mode` from the start, so a key is never readable by others.
fn write_new_file(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    // The umask may have taken bits the mode asked for.
    file.set_permissions(fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {}", path.display()))
}

fn fsync_path(path: &Path) -> anyhow::Result<()> {
    let file = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    rustix::fs::fsync(&file)
        .map_err(std::io::Error::from)
        .with_context(|| format!("cannot sync {}", path.display()))
}

/// Flushes everything written on `path`'s file system: one call instead of
/// one fsync per file of the staged tree.
fn sync_fs(path: &Path) -> anyhow::Result<()> {
    let file = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    rustix::fs::syncfs(&file)
        .map_err(std::io::Error::from)
        .with_context(|| format!("cannot sync the file system of {}", path.display()))
}

#[cfg(test)]
mod tests {
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
        ws.check_owned("chart", &new, Legacy::None).unwrap();
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
            .check_owned("chart", &tree(&[("a.txt", "a2")]), Legacy::None)
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
            .check_owned("chart", &Tree::new(), Legacy::None)
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
}
