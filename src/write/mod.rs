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
//! deleted: the write is refused and the file named. A folder that is
//! already what would be written (files, modes, manifest) is left alone.
//! The new tree may be written in parts, the first while the rest is still
//! being made (a [`Stage`]); it is swapped in only whole.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rayon::prelude::*;
use rustix::fs::{FlockOperation, RenameFlags};
use sha2::{Digest, Sha256};

use crate::tree::Tree;

mod files;
#[cfg(test)]
mod tests;

pub use files::write_tree;
use files::*;

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
    /// Taken when the folder exists (see [`Workspace::create`]).
    lock: std::sync::OnceLock<OwnedFd>,
}

/// A folder as it is on disk, read once: its files, and whether it holds
/// only files and folders with the modes fabchart writes them with.
pub struct OnDisk {
    pub tree: Tree,
    as_written: bool,
}

impl OnDisk {
    /// Whether this is exactly what writing `tree` with `manifest` makes:
    /// the same files with the same bytes and modes, the same folders, and
    /// nothing else.
    fn is(&self, tree: &Tree, manifest: &[u8]) -> bool {
        self.as_written
            && self.tree.len() == tree.len() + 1
            && self.tree.get(MANIFEST) == Some(manifest)
            && tree
                .files()
                .all(|(path, file)| self.tree.file(path) == Some(file))
            && self.tree.all_dirs() == tree.all_dirs()
    }

    /// Whether it has every file of `tree` (paths below the folder), with
    /// the same bytes and mode, and all as written.
    pub fn has(&self, tree: &Tree) -> bool {
        self.as_written
            && tree
                .files()
                .all(|(path, file)| self.tree.file(path) == Some(file))
    }
}

/// A new version of a workspace's folder, written into the work folder part
/// by part, so that writing can start before all of it is made, and swapped
/// in whole by [`Stage::commit`]. Dropped before that, it is removed.
pub struct Stage<'a> {
    ws: &'a Workspace,
    name: String,
    root: PathBuf,
    /// What [`Stage::write_part`] wrote: files and folders.
    written: (BTreeSet<String>, BTreeSet<String>),
    syncing: Option<std::thread::JoinHandle<rustix::io::Result<()>>>,
    committed: bool,
}

impl Stage<'_> {
    /// Writes `part` of the new version, once: files the whole of it (see
    /// [`Stage::commit`]) has with the same bytes.
    pub fn write_part(&mut self, part: &Tree) -> anyhow::Result<()> {
        assert!(self.written.0.is_empty(), "one part is written ahead");
        let dirs = part.all_dirs();
        write_layout(&self.root, &Layout::of(part, &dirs, None))?;
        self.written = (
            part.files().map(|(path, _)| path.to_string()).collect(),
            dirs,
        );
        Ok(())
    }

    /// Starts making what is written so far durable, on a thread of its
    /// own: done while the rest is still being made, it leaves the sync of
    /// [`Stage::commit`] little to wait for.
    pub fn start_sync(&mut self) -> anyhow::Result<()> {
        let root = fs::File::open(&self.root)
            .with_context(|| format!("cannot open {}", self.root.display()))?;
        self.syncing = Some(std::thread::spawn(move || rustix::fs::syncfs(&root)));
        Ok(())
    }

    /// Waits for the sync [`Stage::start_sync`] started, if any. Its outcome
    /// does not matter: [`Stage::commit`] syncs again.
    fn synced(&mut self) {
        if let Some(syncing) = self.syncing.take() {
            let _ = syncing.join();
        }
    }

    /// Writes the rest of `tree`, the whole new folder (of which what
    /// [`Stage::write_part`] wrote must be a part), and its manifest (None:
    /// made while the rest is written); makes it durable and, unless `ready`
    /// says otherwise, swaps it in for the folder.
    fn commit(
        mut self,
        tree: &Tree,
        manifest: Option<&[u8]>,
        ready: impl FnOnce() -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let written = &self.written;
        assert!(
            written.0.iter().all(|path| tree.contains(path)),
            "the part written ahead is part of the whole"
        );
        let skip = (!written.0.is_empty()).then_some(written);
        let (written, made) = rayon::join(
            || write_below(&self.root, tree, skip),
            || match manifest {
                Some(_) => Ok(None),
                None => Some(self::manifest(tree)).transpose(),
            },
        );
        written?;
        let made = made?;
        let manifest = manifest.or(made.as_deref()).expect("given or made");
        write_new_file(&self.root.join(MANIFEST), manifest, 0o644)?;
        self.synced();
        sync_fs(&self.root)?;
        ready()?;
        // From here on, what a failure leaves is for `recover` to settle.
        self.committed = true;
        self.ws
            .swap_in(&self.root, &self.ws.dir.join(&self.name), &self.name)?;
        remove_work(&self.ws.dir)
    }
}

impl Drop for Stage<'_> {
    fn drop(&mut self) {
        self.synced();
        if !self.committed {
            // The next run removes what this leaves (see `recover`).
            let _ = remove_work(&self.ws.dir);
        }
    }
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
                lock: std::sync::OnceLock::new(),
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
                lock: std::sync::OnceLock::new(),
            });
        }
        let lock = lock(dir)?;
        recover(dir)?;
        Ok(Workspace {
            dir: dir.to_path_buf(),
            lock: lock.into(),
        })
    }

    /// Creates the folder if it does not exist yet, and takes its lock.
    pub fn create(&self) -> anyhow::Result<()> {
        if self.lock.get().is_some() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let lock = lock(&self.dir)?;
        recover(&self.dir)?;
        // One thread creates at a time: the lock above is exclusive.
        let _ = self.lock.set(lock);
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Folder `name` as it is now (see [`OnDisk`]); empty when absent.
    pub fn read(&self, name: &str) -> anyhow::Result<OnDisk> {
        let dir_mode = 0o755 & !umask().unwrap_or(0o022);
        let (tree, as_written) = Tree::read_with_modes(&self.dir.join(name), dir_mode)?;
        Ok(OnDisk { tree, as_written })
    }

    /// Refuses when replacing `name`, whose files are `current` (as
    /// [`Workspace::read`] found them), with `new` would delete or overwrite
    /// a file fabchart did not write (or that was changed since), and when
    /// `name` exists without a manifest and is not a legacy fabchart output.
    pub fn check_owned(
        &self,
        name: &str,
        current: &Tree,
        new: &Tree,
        legacy: Legacy,
    ) -> anyhow::Result<()> {
        let dest = self.dir.join(name);
        if fs::symlink_metadata(&dest).is_ok_and(|m| m.file_type().is_symlink()) {
            bail!(
                "{} is a symbolic link; fabchart replaces the folder itself, so point it at the real folder",
                dest.display()
            );
        }
        if !dest.exists() {
            return Ok(());
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
                    return Ok(());
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
            return refuse_foreign(&dest, &foreign, &[]);
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
        refuse_foreign(&dest, &foreign, &changed)
    }

    /// Replaces folder `name` with `tree` (plus its manifest) in one step.
    pub fn replace_dir(&self, name: &str, tree: &Tree) -> anyhow::Result<()> {
        self.stage(name)?
            .commit(tree, Some(&manifest(tree)?), || Ok(()))
    }

    /// [`Workspace::replace_dir`], unless `current` (folder `name` as read
    /// before) is already exactly what it would write: then nothing is
    /// written. `ahead` is the new version when it was begun already (see
    /// [`Stage`]). `ready` is the last check before the folder would change
    /// (or is found unchanged), made while the new version is written: an
    /// error from it leaves the folder as it is. Says whether it wrote.
    pub fn update_dir(
        &self,
        name: &str,
        tree: &Tree,
        current: &OnDisk,
        ahead: Option<Stage<'_>>,
        ready: impl FnOnce() -> anyhow::Result<()>,
    ) -> anyhow::Result<bool> {
        if let Some(stage) = ahead {
            assert_eq!(stage.name, name, "a stage is committed as its own folder");
            stage.commit(tree, None, ready)?;
            return Ok(true);
        }
        let manifest = manifest(tree)?;
        if current.is(tree, &manifest) {
            ready()?;
            return Ok(false);
        }
        self.stage(name)?.commit(tree, Some(&manifest), ready)?;
        Ok(true)
    }

    /// Starts a new version of folder `name` in the work folder (see
    /// [`Stage`]).
    pub fn stage(&self, name: &str) -> anyhow::Result<Stage<'_>> {
        let root = self.work()?.join(STAGE);
        fs::DirBuilder::new()
            .mode(0o755)
            .create(&root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        Ok(Stage {
            ws: self,
            name: name.to_string(),
            root,
            written: Default::default(),
            syncing: None,
            committed: false,
        })
    }

    /// [`Workspace::replace_file`], unless file `name` is there already with
    /// these bytes and this mode. Says whether it wrote.
    pub fn update_file(&self, name: &str, bytes: &[u8], mode: u32) -> anyhow::Result<bool> {
        let dest = self.dir.join(name);
        let same = fs::symlink_metadata(&dest)
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o7777 == mode)
            && fs::read(&dest).is_ok_and(|current| current == bytes);
        if same {
            return Ok(false);
        }
        self.replace_file(name, bytes, mode)?;
        Ok(true)
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

/// Removes folder `dir` and everything in it, each entry relative to its
/// folder's descriptor and no symbolic link followed; sub-folders in
/// parallel (see [`REMOVE_THREADS`]) when there are any.
fn remove_all(dir: &Path) -> anyhow::Result<()> {
    let fd = open_dir(rustix::fs::CWD, dir, dir)?;
    let entries = list(&fd, dir)?;
    if entries.iter().any(|(_, is_dir)| *is_dir) {
        pool(REMOVE_THREADS)?.install(|| remove_entries(&fd, dir, &entries))?;
    } else {
        remove_entries(&fd, dir, &entries)?;
    }
    drop(fd);
    fs::remove_dir(dir).with_context(|| format!("cannot remove {}", dir.display()))
}

/// The entries of folder `fd` (shown as `shown`): name, and whether it is a
/// folder.
fn list(fd: &OwnedFd, shown: &Path) -> anyhow::Result<Vec<(std::ffi::CString, bool)>> {
    use rustix::fs::{AtFlags, FileType};
    let mut entries = Vec::new();
    for entry in rustix::fs::Dir::read_from(fd)
        .map_err(std::io::Error::from)
        .with_context(|| format!("cannot list {}", shown.display()))?
    {
        let entry = entry
            .map_err(std::io::Error::from)
            .with_context(|| format!("cannot list {}", shown.display()))?;
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        let is_dir = match entry.file_type() {
            FileType::Directory => true,
            FileType::Unknown => rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW)
                .map(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
                .map_err(std::io::Error::from)
                .with_context(|| format!("cannot list {}", shown.display()))?,
            _ => false,
        };
        entries.push((name.to_owned(), is_dir));
    }
    Ok(entries)
}

/// Removes `entries` of folder `fd`, sub-folders with what they hold.
fn remove_entries(
    fd: &OwnedFd,
    shown: &Path,
    entries: &[(std::ffi::CString, bool)],
) -> anyhow::Result<()> {
    use rustix::fs::AtFlags;
    entries.par_iter().try_for_each(|(name, is_dir)| {
        let path = shown.join(std::ffi::OsStr::from_bytes(name.to_bytes()));
        if *is_dir {
            let sub = open_dir(fd, name.as_c_str(), &path)?;
            remove_entries(&sub, &path, &list(&sub, &path)?)?;
        }
        let flags = if *is_dir {
            AtFlags::REMOVEDIR
        } else {
            AtFlags::empty()
        };
        rustix::fs::unlinkat(fd, name.as_c_str(), flags)
            .map_err(std::io::Error::from)
            .with_context(|| format!("cannot remove {}", path.display()))
    })
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

/// The manifest of `tree`: a `sha256sum` line per file, hashed in parallel.
fn manifest(tree: &Tree) -> anyhow::Result<Vec<u8>> {
    let files: Vec<_> = tree.files().collect();
    let hashes: Vec<String> = files
        .par_iter()
        .map(|(_, file)| sha256_hex(&file.bytes))
        .collect();
    let mut manifest = Vec::new();
    for ((path, _), hash) in files.iter().zip(hashes) {
        writeln!(manifest, "{hash}  {path}")?;
    }
    Ok(manifest)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
