//! Golden tests: each sample's whole chart, pinned as one reviewable snapshot.

mod support;

use std::io::Read;
use std::path::Path;

use fabchart::generate::crypto::describe::describe_file;
use fabchart::tree::Tree;
use support::goldens::{self, Output};

/// One text document describing every file of the chart: text verbatim,
/// crypto described (keys and signatures are random), packages listed.
fn describe_chart(chart: &Path) -> String {
    let mut out = String::new();
    for (path, file) in Tree::read(chart).unwrap().files() {
        // sha256 of random keys; tests/cli.rs checks the manifest itself.
        if path == fabchart::write::MANIFEST {
            continue;
        }
        let bytes = file.bytes.clone();
        out.push_str(&format!("=== {path}\n"));
        if let Some(description) = describe_file(Path::new(&path), &bytes) {
            out.push_str(&description);
            out.push('\n');
        } else if path.ends_with(".tar.gz") {
            out.push_str(&describe_package(&bytes));
        } else if path == "topology.json" {
            out.push_str(&redact_checksums(&String::from_utf8(bytes).unwrap()));
        } else {
            out.push_str(
                &String::from_utf8(bytes).expect("chart files other than crypto are text"),
            );
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

fn describe_package(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        if name.ends_with(".tar.gz") {
            out.push_str(&format!("{name}:\n"));
            for line in describe_package(&content).lines() {
                out.push_str(&format!("  {line}\n"));
            }
        } else {
            out.push_str(&format!("{name}: {}\n", String::from_utf8_lossy(&content)));
        }
    }
    out
}

/// Secret checksums hash random key material; everything else in the topology is stable.
fn redact_checksums(json: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(json).unwrap();
    if let Some(map) = value.get_mut("checksums").and_then(|c| c.as_object_mut()) {
        for v in map.values_mut() {
            *v = serde_json::Value::String("[sha256 of the secret's files]".into());
        }
    }
    serde_json::to_string_pretty(&value).unwrap() + "\n"
}

#[test]
fn samples_match_their_golden_charts() {
    let outputs: Vec<Output> = support::samples()
        .iter()
        .map(|sample| {
            let project = support::project_name(sample);
            let (_tmp, chart) = support::compile_sample(sample);
            Output {
                snapshot: format!("chart-{project}"),
                text: describe_chart(&chart),
                project,
            }
        })
        .collect();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(support::root().join("golden"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    goldens::check(&outputs, &settings);
}

/// Every snapshot in golden/ but the workflows' (tests/flow.rs checks those)
/// is the chart of a sample that stores its own.
#[test]
fn every_chart_snapshot_is_read() {
    let read: Vec<String> = support::samples()
        .iter()
        .map(|sample| support::project_name(sample))
        .filter(|project| goldens::same_as(project).is_none())
        .map(|project| format!("chart-{project}"))
        .collect();
    let unread: Vec<String> = goldens::unread("", &read)
        .into_iter()
        .filter(|file| !file.starts_with("flow-"))
        .collect();
    assert!(
        unread.is_empty(),
        "snapshots no test reads (of a sample removed, or of one in SAME_OUTPUT): {unread:?}"
    );
}
