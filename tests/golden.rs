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
        } else if path.ends_with("templates/_material.tpl") {
            out.push_str(&describe_material(&String::from_utf8(bytes).unwrap()));
        } else if path == "credentials.yaml" {
            out.push_str(&redact_passwords(&String::from_utf8(bytes).unwrap()));
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

/// The material library chart: its named templates and the keys each
/// renders (values are random keys and certificates).
fn describe_material(text: &str) -> String {
    let mut out = String::new();
    let mut current = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("{{- define \"") {
            current = rest.split('"').next().unwrap().to_string();
            out.push_str(&format!("define {current}:\n"));
        } else if line.starts_with("{{- end }}") {
            current.clear();
        } else if current.ends_with(".topology") {
            // A part of topology.json (pinned above), compact.
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
            out.push_str(&format!("  [JSON with {keys:?}]\n"));
        } else if current.contains(".connection-profile.") {
            // The profile, each certificate (random) redacted.
            let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
            redact_pems(&mut value);
            for l in serde_json::to_string_pretty(&value).unwrap().lines() {
                out.push_str(&format!("  {l}\n"));
            }
        } else if !current.is_empty() {
            let key = line.split(':').next().unwrap();
            out.push_str(&format!("  {key}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn redact_pems(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "pem" {
                    *v = serde_json::Value::String("[PEM]".into());
                } else {
                    redact_pems(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_pems),
        _ => {}
    }
}

fn redact_passwords(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once("password: ") {
            Some((head, _)) => format!("{head}password: [generated]\n"),
            None => format!("{l}\n"),
        })
        .collect()
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
