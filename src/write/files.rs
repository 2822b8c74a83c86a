//! Writing a tree into a folder: each folder created once, files created
//! with their modes, by a pool of writer threads; and syncing.

use super::*;

/// Writes `tree` below `root` (which must not exist): folders 0755, files
/// 0600 (private keys) or 0644, each folder created once, each file created
/// with its mode.
pub fn write_tree(root: &Path, tree: &Tree) -> anyhow::Result<()> {
    fs::DirBuilder::new()
        .mode(0o755)
        .create(root)
        .with_context(|| format!("cannot create {}", root.display()))?;
    write_below(root, tree, None)
}

/// Writes `tree` into folder `root`, but for the files and folders of `skip`,
/// there already.
pub(super) fn write_below(root: &Path, tree: &Tree, skip: Option<&Written>) -> anyhow::Result<()> {
    write_layout(root, &Layout::of(tree, &tree.all_dirs(), skip))
}

/// Writes `layout` into folder `root`. Creating inodes is most of the time
/// it takes, so sibling folders are written in parallel, each relative to
/// its parent's descriptor.
pub(super) fn write_layout(root: &Path, layout: &Layout<'_>) -> anyhow::Result<()> {
    let fd = open_dir(rustix::fs::CWD, root, root)?;
    let fix_modes = umask().is_none_or(|mask| mask & 0o644 != 0);
    writers()?.install(|| layout.write(&fd, 0, root, fix_modes))
}

/// Threads that create files, started once: one per core, up to this many.
/// More threads than cores cost more than they save (measured on 2 cores:
/// 4 writers made a 100-org compile 15% slower than 2): the rest of compile
/// runs on the cores meanwhile, and idle pool threads spin before sleeping.
pub(super) const WRITE_THREADS: usize = 4;
/// Threads that remove a tree: on a file system that discards freed blocks
/// at once, each removal waits for the disk.
pub(super) const REMOVE_THREADS: usize = 16;

pub(super) fn writers() -> anyhow::Result<&'static rayon::ThreadPool> {
    static WRITERS: std::sync::OnceLock<Result<rayon::ThreadPool, String>> =
        std::sync::OnceLock::new();
    WRITERS
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            pool(cores.min(WRITE_THREADS)).map_err(|e| format!("{e:#}"))
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

pub(super) fn pool(threads: usize) -> anyhow::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start threads to write with")
}

/// Files and folders written ahead into a folder (see [`Stage::write_part`]).
pub(super) type Written = (BTreeSet<String>, BTreeSet<String>);

/// The folders of a tree to write, the root first, each with its files and
/// sub-folders.
pub(super) struct Layout<'a> {
    dirs: Vec<Folder<'a>>,
}

pub(super) struct Folder<'a> {
    /// Path below the root ("" for the root) and name in its parent.
    path: &'a str,
    /// Whether it is there already.
    exists: bool,
    files: Vec<(&'a str, &'a crate::tree::File)>,
    dirs: Vec<usize>,
}

impl<'a> Layout<'a> {
    /// The layout of `tree` but for the files and folders of `skip`, which
    /// are there already.
    pub(super) fn of(
        tree: &'a Tree,
        all_dirs: &'a BTreeSet<String>,
        skip: Option<&Written>,
    ) -> Layout<'a> {
        let none = Written::default();
        let (skip_files, skip_dirs) = skip.unwrap_or(&none);
        let mut dirs = vec![Folder {
            path: "",
            exists: true,
            files: Vec::new(),
            dirs: Vec::new(),
        }];
        let mut parents = vec![0];
        let mut index = std::collections::HashMap::with_capacity(all_dirs.len() + 1);
        index.insert("", 0);
        // Sorted, so every parent comes before its sub-folders.
        for dir in all_dirs {
            index.insert(dir.as_str(), dirs.len());
            parents.push(index[parent(dir)]);
            dirs.push(Folder {
                path: dir,
                exists: skip_dirs.contains(dir),
                files: Vec::new(),
                dirs: Vec::new(),
            });
        }
        for (path, file) in tree.files() {
            if !skip_files.contains(path) {
                dirs[index[parent(path)]].files.push((path, file));
            }
        }
        // A folder is visited when it is new or leads to something new.
        let mut visited = vec![false; dirs.len()];
        for at in (1..dirs.len()).rev() {
            if visited[at] || !dirs[at].exists || !dirs[at].files.is_empty() {
                visited[at] = true;
                visited[parents[at]] = true;
            }
        }
        for at in 1..dirs.len() {
            if visited[at] {
                dirs[parents[at]].dirs.push(at);
            }
        }
        Layout { dirs }
    }

    /// Writes the files of folder `at` (open as `fd`), then creates (unless
    /// there) and writes its sub-folders in parallel.
    fn write(&self, fd: &OwnedFd, at: usize, root: &Path, fix_modes: bool) -> anyhow::Result<()> {
        let folder = &self.dirs[at];
        for (path, file) in &folder.files {
            create_file_at(fd, name(path), &file.bytes, file.mode(), fix_modes)
                .with_context(|| format!("cannot write {}", root.join(path).display()))?;
        }
        folder.dirs.par_iter().try_for_each(|&sub| {
            let sub_folder = &self.dirs[sub];
            let shown = root.join(sub_folder.path);
            if !sub_folder.exists {
                rustix::fs::mkdirat(
                    fd,
                    name(sub_folder.path),
                    rustix::fs::Mode::from_raw_mode(0o755),
                )
                .map_err(std::io::Error::from)
                .with_context(|| format!("cannot create {}", shown.display()))?;
            }
            let sub_fd = open_dir(fd, name(sub_folder.path), &shown)?;
            self.write(&sub_fd, sub, root, fix_modes)
        })
    }
}

pub(super) fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |cut| &path[..cut])
}

pub(super) fn name(path: &str) -> &str {
    path.rfind('/').map_or(path, |cut| &path[cut + 1..])
}

/// Opens folder `path` (relative to `dir`) to create or remove entries in it.
pub(super) fn open_dir(
    dir: impl std::os::fd::AsFd,
    path: impl rustix::path::Arg,
    shown: &Path,
) -> anyhow::Result<OwnedFd> {
    use rustix::fs::OFlags;
    rustix::fs::openat(
        dir,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(std::io::Error::from)
    .with_context(|| format!("cannot open {}", shown.display()))
}

/// Creates file `name` in `dir` with `mode` from the start (so a key is never
/// readable by others) and writes `bytes`; `fix_mode` when the umask may have
/// taken bits the mode asked for.
pub(super) fn create_file_at(
    dir: &OwnedFd,
    name: &str,
    bytes: &[u8],
    mode: u32,
    fix_mode: bool,
) -> std::io::Result<()> {
    use rustix::fs::OFlags;
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        rustix::fs::Mode::from_raw_mode(mode),
    )?;
    let mut file = fs::File::from(fd);
    file.write_all(bytes)?;
    if fix_mode {
        file.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// The process's umask, read without changing it (Linux 4.7 and later).
pub(super) fn umask() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Umask:"))?;
    u32::from_str_radix(line["Umask:".len()..].trim(), 8).ok()
}

/// Creates `path` with `mode` from the start, so a key is never readable by others.
pub(super) fn write_new_file(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
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

pub(super) fn fsync_path(path: &Path) -> anyhow::Result<()> {
    let file = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    rustix::fs::fsync(&file)
        .map_err(std::io::Error::from)
        .with_context(|| format!("cannot sync {}", path.display()))
}

/// Flushes everything written on `path`'s file system: one call instead of
/// one fsync per file of the staged tree.
pub(super) fn sync_fs(path: &Path) -> anyhow::Result<()> {
    let file = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    rustix::fs::syncfs(&file)
        .map_err(std::io::Error::from)
        .with_context(|| format!("cannot sync the file system of {}", path.display()))
}
