//! `make bench`: how long `fabchart compile` takes and how much memory it uses,
//! on the samples and on synthetic networks from 10 to 100 peer orgs, and how
//! long `fabchart flow` takes to print each workflow and how big it is.
//! Each time is the median of several runs of the real binary.

// getrusage is the one way to read a finished child's peak RSS.
#![allow(unsafe_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fabchart::synthetic::{self, Shape};

const RUNS: usize = 5;

struct Measure {
    median: Duration,
    max_rss_kib: i64,
}

/// Runs `fabchart compile project -o out` RUNS times from scratch (fresh
/// output, so all crypto is generated) and reports the median wall time and
/// the largest peak RSS.
fn measure(bin: &Path, project: &Path, from_scratch: bool) -> Measure {
    let out = project.join("out");
    let mut times = Vec::new();
    let mut max_rss = 0;
    for _ in 0..RUNS {
        if from_scratch {
            let _ = std::fs::remove_dir_all(&out);
        }
        let start = Instant::now();
        let status = Command::new(bin)
            .arg("compile")
            .arg(project)
            .arg("-o")
            .arg(&out)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run fabchart");
        times.push(start.elapsed());
        assert!(status.success(), "compile failed for {}", project.display());
        max_rss = max_rss.max(children_max_rss_kib());
    }
    times.sort();
    Measure {
        median: times[RUNS / 2],
        max_rss_kib: max_rss,
    }
}

/// Peak RSS of the largest child reaped so far (Linux reports KiB).
fn children_max_rss_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a complete rusage into the pointer it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss
}

fn row(name: &str, project: &Path, bin: &Path) {
    let fresh = measure(bin, project, true);
    let again = measure(bin, project, false);
    println!(
        "| {name:<34} | {:>9.1} ms | {:>9.1} ms | {:>7.1} MB |",
        fresh.median.as_secs_f64() * 1e3,
        again.median.as_secs_f64() * 1e3,
        fresh.max_rss_kib.max(again.max_rss_kib) as f64 / 1024.0
    );
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
    println!("| network                            | from scratch | recompile    | peak RSS   |");
    println!("|------------------------------------|--------------|--------------|------------|");
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
        big = Some(dir);
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
