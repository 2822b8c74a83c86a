//! `make bench`: how long `fabchart compile` takes and how much memory it uses,
//! on the samples and on synthetic networks from 10 to 100 peer orgs; with a
//! `cryptogen`, fabchart's from-scratch compile against `cryptogen generate`
//! on the same crypto-config.yaml, timed in turn; and how long `fabchart flow`
//! takes to print each workflow and how big it is. Each time is the median of
//! several runs of the real binary.
//!
//! Outputs of earlier runs are moved aside, not deleted, before a run and
//! deleted at the end: on a file system that keeps freed inodes from reuse
//! for a while (ext4 without a journal), deleting some 11,000 files just
//! before a run makes every inode that run creates slower, which would time
//! the benchmark's clean-up rather than the tool.

// wait4 is the one way to read a finished child's own peak RSS.
#![allow(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fabchart::synthetic::{self, Shape};

const RUNS: usize = 5;
/// fabchart and cryptogen runs, in turn, per network.
const PAIRS: usize = 11;

struct Measure {
    median: Duration,
    max_rss_kib: i64,
}

/// One finished run: wall time, CPU time (user + system) and peak RSS.
struct Run {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
}

/// Where earlier outputs go until the end of the benchmark.
struct Trash {
    dir: PathBuf,
    count: std::cell::Cell<usize>,
}

impl Trash {
    fn new(dir: PathBuf) -> Trash {
        std::fs::create_dir_all(&dir).unwrap();
        Trash {
            dir,
            count: std::cell::Cell::new(0),
        }
    }

    /// Moves `path` aside when it exists.
    fn set_aside(&self, path: &Path) {
        if path.exists() {
            let n = self.count.get();
            self.count.set(n + 1);
            std::fs::rename(path, self.dir.join(n.to_string())).unwrap();
        }
    }

    /// Deletes what was moved aside, many folders at a time (on a disk that
    /// discards each freed block at once, one at a time takes minutes).
    fn empty(&self) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(16)
            .build()
            .unwrap();
        let dir = &self.dir;
        pool.install(|| remove_tree(dir));
    }
}

fn remove_tree(dir: &Path) {
    use rayon::prelude::*;
    let entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.par_iter().for_each(|entry| {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            remove_tree(&path);
            std::fs::remove_dir(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    });
}

/// Runs `command` once, after a sync, and measures it.
#[allow(
    clippy::zombie_processes,
    reason = "wait_with_rusage reaps the child with wait4"
)]
fn run(mut command: Command) -> Run {
    // Nothing written before (the other tool's output, the trash) is left
    // for this run to flush: fabchart syncs its output, cryptogen does not,
    // so without this fabchart would pay for writing back cryptogen's files.
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let start = Instant::now();
    let child = command
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run the benchmarked command");
    let (status, usage) = wait_with_rusage(child.id());
    let wall = start.elapsed();
    assert!(status == 0, "{command:?} failed");
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Run {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss,
    }
}

/// Runs `command` RUNS times, from scratch (after moving `out` aside, so all
/// crypto is generated) or over the previous run's output, and reports the
/// median wall time and the largest peak RSS of the command's own process.
fn measure(
    command: impl Fn() -> Command,
    out: &Path,
    from_scratch: bool,
    trash: &Trash,
) -> Measure {
    let mut times = Vec::new();
    let mut max_rss = 0;
    for _ in 0..RUNS {
        if from_scratch {
            fresh(out, trash);
        }
        let run = run(command());
        times.push(run.wall);
        max_rss = max_rss.max(run.max_rss_kib);
    }
    times.sort();
    Measure {
        median: times[RUNS / 2],
        max_rss_kib: max_rss,
    }
}

/// Before a from-scratch run: the output moved aside, and the identity
/// record removed (with it, compile refuses to mint the CAs it records).
fn fresh(out: &Path, trash: &Trash) {
    trash.set_aside(out);
    if let Some(project) = out.parent() {
        let _ = std::fs::remove_file(project.join(fabchart::identity::RECORD_FILE));
    }
}

/// Waits for the child `pid` and returns its wait status and its own
/// resource use (peak RSS in KiB on Linux). Its `Child` handle is not waited
/// on after this.
fn wait_with_rusage(pid: u32) -> (i32, libc::rusage) {
    let pid = libc::pid_t::try_from(pid).expect("a pid fits pid_t");
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 reaps our own child and, when it returns the pid, has
    // written a complete rusage into the pointer it is given.
    let usage = unsafe {
        assert_eq!(libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()), pid);
        usage.assume_init()
    };
    (status, usage)
}

/// `fabchart compile project -o project/out`, and that output folder.
fn compile(bin: &Path, project: &Path) -> (impl Fn() -> Command, PathBuf) {
    let out = project.join("out");
    let (bin, project, to) = (bin.to_owned(), project.to_owned(), out.clone());
    let command = move || {
        let mut command = Command::new(&bin);
        command.arg("compile").arg(&project).arg("-o").arg(&to);
        command
    };
    (command, out)
}

/// Where `cryptogen` is, when the machine has one: `$CRYPTOGEN`, else
/// `$FABRIC_BIN/cryptogen` (a Fabric release's bin/, as `make e2e` takes
/// it), else on PATH. A named one that is not there is an error, not a
/// benchmark without cryptogen.
fn cryptogen() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    let named = var("CRYPTOGEN")
        .map(PathBuf::from)
        .or_else(|| var("FABRIC_BIN").map(|bin| PathBuf::from(bin).join("cryptogen")));
    if let Some(path) = named {
        assert!(path.is_file(), "no cryptogen at {}", path.display());
        return Some(path);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("cryptogen"))
        .find(|path| path.is_file())
}

/// What `cryptogen version` says of itself, on one line.
fn cryptogen_version(cryptogen: &Path) -> String {
    let out = Command::new(cryptogen)
        .arg("version")
        .output()
        .expect("run cryptogen version");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        // Its first line is a heading: `cryptogen:`.
        .filter(|line| !line.is_empty() && !line.ends_with(':'))
        .collect::<Vec<_>>()
        .join(", ")
}

fn row(name: &str, project: &Path, bin: &Path, trash: &Trash) {
    let (command, out) = compile(bin, project);
    let fresh = measure(&command, &out, true, trash);
    let again = measure(&command, &out, false, trash);
    print_row(name, &fresh, Some(&again));
}

fn print_row(name: &str, fresh: &Measure, again: Option<&Measure>) {
    let again_ms = again.map_or("-".to_owned(), |again| {
        format!("{:.1} ms", again.median.as_secs_f64() * 1e3)
    });
    let rss = again.map_or(fresh.max_rss_kib, |again| {
        fresh.max_rss_kib.max(again.max_rss_kib)
    });
    println!(
        "| {name:<42} | {:>9.1} ms | {again_ms:>12} | {:>7.1} MB |",
        fresh.median.as_secs_f64() * 1e3,
        rss as f64 / 1024.0
    );
}

/// `cryptogen generate` on the crypto-config.yaml of `project`, into
/// `project/cryptogen-out`, and that folder.
fn cryptogen_generate(project: &Path, cryptogen: &Path) -> (impl Fn() -> Command, PathBuf) {
    let out = project.join("cryptogen-out");
    let (config, to, cryptogen) = (
        project.join("crypto-config.yaml"),
        out.clone(),
        cryptogen.to_owned(),
    );
    let command = move || {
        let mut command = Command::new(&cryptogen);
        command
            .arg("generate")
            .arg(format!("--config={}", config.display()))
            .arg(format!("--output={}", to.display()));
        command
    };
    (command, out)
}

/// `cryptogen generate` alone on the crypto-config.yaml of `project`, to set
/// beside fabchart's whole compile of it (crypto, packages and chart).
fn cryptogen_row(name: &str, project: &Path, cryptogen: &Path, trash: &Trash) {
    let (command, out) = cryptogen_generate(project, cryptogen);
    print_row(name, &measure(command, &out, true, trash), None);
}

/// fabchart's whole compile from scratch and `cryptogen generate` on the same
/// crypto-config.yaml, PAIRS times each, in turn (who goes first alternates),
/// so that both see the same machine: their medians and the median of each
/// pair's ratio, of wall and of CPU time.
fn in_turn(name: &str, project: &Path, bin: &Path, cryptogen: &Path, trash: &Trash) {
    let (fabchart, fab_out) = compile(bin, project);
    let (cryptogen, cg_out) = cryptogen_generate(project, cryptogen);
    let load = loadavg();
    let (mut fab, mut cg) = (Vec::new(), Vec::new());
    for pair in 0..PAIRS {
        for first in [pair % 2 == 0, pair % 2 != 0] {
            if first {
                fresh(&fab_out, trash);
                fab.push(run(fabchart()));
            } else {
                fresh(&cg_out, trash);
                cg.push(run(cryptogen()));
            }
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[0], v[v.len() - 1])
    };
    let ms = |runs: &[Run]| median(runs.iter().map(|r| r.wall.as_secs_f64() * 1e3).collect()).0;
    let ratio = |of: fn(&Run) -> Duration| {
        median(
            fab.iter()
                .zip(&cg)
                .map(|(f, c)| of(f).as_secs_f64() / of(c).as_secs_f64())
                .collect(),
        )
    };
    let (wall, low, high) = ratio(|r| r.wall);
    let (cpu, _, _) = ratio(|r| r.cpu);
    println!(
        "| {name:<26} | {:>8.0} ms | {:>8.0} ms | {wall:>5.2} ({low:.2}-{high:.2}) | {cpu:>9.2} | {load} -> {} |",
        ms(&fab),
        ms(&cg),
        loadavg()
    );
}

/// The 1-minute load average: other work on the machine while timing.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// Prints, per flow, the median time of `fabchart flow <kind> -p project
/// [--set ...]` (compiled already) and the size of the workflow it prints.
fn flow_rows(name: &str, project: &Path, bin: &Path) {
    let flows: &[(&str, &[&str])] = &[
        ("channel", &[]),
        ("chaincode", &["flow.invoke.enabled=true"]),
        ("peer-org", &[]),
        ("backup", &["backup.target.secret=backup-s3"]),
    ];
    for (kind, sets) in flows {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..RUNS {
            let mut cmd = Command::new(bin);
            cmd.args(["flow", kind, "-p"]).arg(project);
            for set in *sets {
                cmd.args(["--set", set]);
            }
            let start = Instant::now();
            let out = cmd.output().expect("run fabchart");
            times.push(start.elapsed());
            assert!(
                out.status.success(),
                "flow {kind} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            size = out.stdout.len();
        }
        times.sort();
        println!(
            "| {:<45} | {:>7.1} ms | {:>7.1} KB |",
            format!("{name}: {kind}"),
            times[RUNS / 2].as_secs_f64() * 1e3,
            size as f64 / 1000.0
        );
    }
}

fn main() {
    // `cargo test --all-targets` runs benches without `--bench`: keep that a smoke test.
    let full = std::env::args().any(|a| a == "--bench");
    let bin = Path::new(env!("CARGO_BIN_EXE_fabchart"));
    let tmp = tempfile::tempdir().unwrap();
    let trash = Trash::new(tmp.path().join("trash"));
    println!("fabchart compile, median of {RUNS} runs of the release binary");
    println!(
        "| network                                    | from scratch | recompile    | peak RSS   |"
    );
    println!(
        "|--------------------------------------------|--------------|--------------|------------|"
    );
    let simple = tmp.path().join("simple");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/simple"),
        &simple,
    );
    row("samples/simple", &simple, bin, &trash);
    if !full {
        trash.empty();
        return;
    }

    let reference = tmp.path().join("reference");
    synthetic::write(&reference, Shape::REFERENCE).unwrap();
    row(
        "20 orgs x 5 peers, 3x3 raft, 30 ch, 10 cc",
        &reference,
        bin,
        &trash,
    );
    let cryptogen = cryptogen();
    if let Some(cryptogen) = &cryptogen {
        cryptogen_row(
            "same, cryptogen generate alone",
            &reference,
            cryptogen,
            &trash,
        );
    }

    let mut big = None;
    for orgs in [10, 25, 50, 100] {
        let shape = Shape {
            peer_orgs: orgs,
            peers: 4,
            channels: orgs,
            chaincodes: 10,
            ..Shape::REFERENCE
        };
        let dir = tmp.path().join(format!("orgs-{orgs}"));
        synthetic::write(&dir, shape).unwrap();
        row(
            &format!("{orgs} orgs x 4 peers, {orgs} channels"),
            &dir,
            bin,
            &trash,
        );
        if let (Some(cryptogen), 100) = (&cryptogen, orgs) {
            cryptogen_row("same, cryptogen generate alone", &dir, cryptogen, &trash);
        }
        big = Some(dir);
    }
    let big = big.expect("ran");

    println!();
    match &cryptogen {
        Some(cryptogen) => {
            println!(
                "fabchart compile (from scratch, whole chart) / cryptogen generate, {PAIRS} runs each, in turn \
                 ({}: {}; {} cores)",
                cryptogen.display(),
                cryptogen_version(cryptogen),
                std::thread::available_parallelism().map_or(0, |n| n.get())
            );
            println!("| network                    | fabchart    | cryptogen   | wall ratio (min-max) | CPU ratio | load      |");
            println!("|----------------------------|-------------|-------------|----------------------|-----------|-----------|");
            in_turn("20 orgs x 5 peers", &reference, bin, cryptogen, &trash);
            in_turn("100 orgs x 4 peers", &big, bin, cryptogen, &trash);
        }
        None => println!(
            "NO CRYPTOGEN: none named by $CRYPTOGEN or $FABRIC_BIN, none on PATH, so no \
             comparison with cryptogen was made (e.g. make bench FABRIC_BIN=<Fabric release>/bin)"
        ),
    }

    println!();
    println!("fabchart flow, median of {RUNS} runs, and the workflow's size");
    println!("| network: flow                                 | emit time  | size       |");
    println!("|-----------------------------------------------|------------|------------|");
    flow_rows("20 x 5, 30 ch, 10 cc", &reference, bin);
    flow_rows("100 x 4, 100 ch, 10 cc", &big, bin);
    trash.empty();
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
