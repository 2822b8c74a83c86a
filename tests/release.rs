//! The Helm release size compile estimates, against the release a real Helm
//! engine renders (tests/conformance/release_size.py builds the Secret Helm
//! would store), and the large network installing in the default mode.

mod support;

use std::path::Path;
use std::process::Command;

use fabchart::synthetic::{self, Shape};

const LIMIT: f64 = 1024.0 * 1024.0;

/// Compiles `project` and returns the estimate compile printed, in bytes.
fn estimate(project: &Path) -> f64 {
    let out = support::fabchart(project)
        .args(["compile", "."])
        .output()
        .expect("run fabchart");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "compile {}: {stderr}",
        project.display()
    );
    let line = stderr
        .lines()
        .find(|l| l.contains("Helm release: about "))
        .unwrap_or_else(|| panic!("no release estimate in: {stderr}"));
    let size = line.split("about ").nth(1).unwrap();
    let (number, unit) = size.split_once(' ').unwrap();
    let number: f64 = number.parse().unwrap();
    match &unit[..3] {
        "KiB" => number * 1024.0,
        "MiB" => number * LIMIT,
        other => panic!("unit {other} in {line}"),
    }
}

/// The bytes of the release Secret Helm would store for the compiled chart.
fn real(project: &Path) -> f64 {
    let out = Command::new("python3")
        .arg(support::root().join("tests/conformance/release_size.py"))
        .arg("--json")
        .arg(project.join("out/hlf-kube"))
        .output()
        .expect("run release_size.py");
    assert!(
        out.status.success(),
        "release_size.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["stored_bytes"].as_f64().unwrap()
}

fn synthetic(peer_orgs: usize, peers: usize, channels: usize) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let shape = Shape {
        peer_orgs,
        peers,
        channels,
        ..Shape::REFERENCE
    };
    synthetic::write(tmp.path(), shape).unwrap();
    tmp
}

/// The estimate never says less than the release will take (a chart that
/// does not fit must not pass compile), and not much more.
#[test]
fn the_estimate_errs_high_and_close() {
    let mut projects = Vec::new();
    for sample in support::samples() {
        let tmp = tempfile::tempdir().unwrap();
        support::copy_tree(&sample, tmp.path());
        let _ = std::fs::remove_dir_all(tmp.path().join("out"));
        let _ = std::fs::remove_file(tmp.path().join("fabchart.lock"));
        projects.push(tmp);
    }
    projects.push(synthetic(8, 2, 4));
    for project in &projects {
        let (estimate, real) = (estimate(project.path()), real(project.path()));
        // The printed estimate is rounded up to a KiB.
        assert!(
            estimate >= real,
            "{}: estimated {estimate} < real {real}",
            project.path().display()
        );
        assert!(
            estimate <= real * 1.15 + 1024.0,
            "{}: estimated {estimate}, more than 15% over the real {real}",
            project.path().display()
        );
    }
}

/// 100 peer orgs x 4 peers x 100 channels, keys in the chart: compile
/// accepts it, and the real release is well under Helm's 1 MiB.
#[test]
fn the_large_network_fits_one_release_in_the_default_mode() {
    let project = synthetic(100, 4, 100);
    let estimate = estimate(project.path());
    let real = real(project.path());
    println!(
        "100 x 4 x 100: estimated {:.0}%, real {:.0}% of 1 MiB",
        100.0 * estimate / LIMIT,
        100.0 * real / LIMIT
    );
    assert!(estimate <= LIMIT * 0.95, "estimate {estimate}");
    assert!(real <= LIMIT * 0.85, "real release {real} bytes");
}
