//! Real engines on every sample's chart: `helm lint --strict` and a render by a
//! real Helm engine, every object through `kubernetes-validate --strict` for
//! Kubernetes 1.29 and the newest it knows, with default values and with every
//! optional feature switched on. The tools come from `.ci/run`; when one is
//! missing the check fails, it never skips.

mod support;

use std::path::Path;
use std::process::Command;

fn check_chart(chart: &Path, values: &[&Path]) {
    let script = support::root().join("tests/conformance/check_chart.py");
    let mut cmd = Command::new("python3");
    cmd.arg(&script).arg(chart);
    for file in values {
        cmd.arg("--values").arg(file);
    }
    let output = cmd
        .output()
        .expect("python3 runs (install it, then `bash .ci/run`)");
    assert!(
        output.status.success(),
        "check_chart.py {} {:?} failed:\n{}\n{}",
        chart.display(),
        values,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_sample_chart_lints_renders_and_validates() {
    let all_features = support::root().join("tests/conformance/all-features-values.yaml");
    for sample in support::samples() {
        let (_tmp, chart) = support::compile_sample(&sample);
        check_chart(&chart, &[]);
        check_chart(&chart, &[&all_features]);
        let sample_values = sample.join("values.yaml");
        if sample_values.is_file() {
            check_chart(&chart, &[&sample_values]);
        }
    }
}
