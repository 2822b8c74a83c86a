//! `make bench`: how long `fabchart compile` takes and how much memory it uses,
//! on the samples and on synthetic networks from 10 to 100 peer orgs, and how
//! long `fabchart flow` takes to print each workflow and how big it is.
//! Each time is the median of several runs of the real binary.

// wait4 is the one way to read a finished child's own peak RSS.
#![allow(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fabchart::synthetic::{self, Shape};

const RUNS: usize = 5;

struct Measure {
    median: Duration,
    max_rss_kib: i64,
}

/// Runs `command` RUNS times, from scratch (after removing `out`, so all
/// crypto is generated) or over the previous run's output, and reports the
/// median wall time and the largest peak RSS of the command's own process.
#[allow(
    clippy::zombie_processes,
    reason = "wait_with_rss reaps the child with wait4"
)]
fn measure(command: impl Fn() -> Command, out: &Path, from_scratch: bool) -> Measure {
    let mut times = Vec::new();
    let mut max_rss = 0;
    for _ in 0..RUNS {
        if from_scratch {
            let _ = std::fs::remove_dir_all(out);
            // The identity record too: with it, compile refuses to mint the
            // CAs it records.
            if let Some(project) = out.parent() {
                let _ = std::fs::remove_file(project.join(fabchart::identity::RECORD_FILE));
            }
        }
        let mut command = command();
        let start = Instant::now();
        let child = command
            .stderr(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("run the benchmarked command");
        let (status, rss_kib) = wait_with_rss(child.id());
        times.push(start.elapsed());
        assert!(status == 0, "{command:?} failed");
        max_rss = max_rss.max(rss_kib);
    }
    times.sort();
    Measure {
        median: times[RUNS / 2],
        max_rss_kib: max_rss,
    }
}

/// Waits for the child `pid` and returns its wait status and its own peak
/// RSS (Linux reports KiB). Its `Child` handle is not waited on after this.
fn wait_with_rss(pid: u32) -> (i32, i64) {
    let pid = libc::pid_t::try_from(pid).expect("a pid fits pid_t");
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 reaps our own child and, when it returns the pid, has
    // written a complete rusage into the pointer it is given.
    let usage = unsafe {
        assert_eq!(libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()), pid);
        usage.assume_init()
    };
    (status, usage.ru_maxrss)
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

/// Where `cryptogen` is, when the machine has one: `$CRYPTOGEN`, else PATH.
fn cryptogen() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CRYPTOGEN") {
        return Some(path.into());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("cryptogen"))
        .find(|path| path.is_file())
}

fn row(name: &str, project: &Path, bin: &Path) {
    let (command, out) = compile(bin, project);
    let fresh = measure(&command, &out, true);
    let again = measure(&command, &out, false);
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

/// `cryptogen generate` alone on the crypto-config.yaml of `project`, to set
/// beside fabchart's whole compile of it (crypto, packages and chart).
fn cryptogen_row(name: &str, project: &Path, cryptogen: &Path) {
    let out = project.join("cryptogen-out");
    let (config, to) = (project.join("crypto-config.yaml"), out.clone());
    let command = || {
        let mut command = Command::new(cryptogen);
        command
            .arg("generate")
            .arg(format!("--config={}", config.display()))
            .arg(format!("--output={}", to.display()));
        command
    };
    print_row(name, &measure(command, &out, true), None);
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
    row("samples/simple", &simple, bin);
    if !full {
        return;
    }

    let reference = tmp.path().join("reference");
    synthetic::write(&reference, Shape::REFERENCE).unwrap();
    row("20 orgs x 5 peers, 3x3 raft, 30 ch, 10 cc", &reference, bin);
    let cryptogen = cryptogen();
    if let Some(cryptogen) = &cryptogen {
        cryptogen_row("same, cryptogen generate alone", &reference, cryptogen);
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
        );
        if let (Some(cryptogen), 100) = (&cryptogen, orgs) {
            cryptogen_row("same, cryptogen generate alone", &dir, cryptogen);
        }
        big = Some(dir);
    }
    if cryptogen.is_none() {
        println!("(no cryptogen on PATH or in $CRYPTOGEN: no cryptogen rows)");
    }

    println!();
    println!("fabchart flow, median of {RUNS} runs, and the workflow's size");
    println!("| network: flow                                 | emit time  | size       |");
    println!("|-----------------------------------------------|------------|------------|");
    flow_rows("20 x 5, 30 ch, 10 cc", &reference, bin);
    flow_rows("100 x 4, 100 ch, 10 cc", &big.expect("ran"), bin);
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
