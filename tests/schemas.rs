//! topology.json and the flows' org table are typed: each is one serde
//! struct, whose JSON schema is committed in schemas/. The committed schemas
//! must be the ones the types give (`make docs` writes them), and what
//! fabchart emits for every sample must validate against them (the
//! conformance run validates with Python's jsonschema).

mod support;

use std::process::Command;

#[test]
fn committed_schemas_are_the_types_schemas() {
    for (name, schema) in fabchart::render::schemas() {
        let path = support::root().join("schemas").join(name);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fabchart::render::schema_text(&schema),
            "{} is out of date: run `make docs`",
            path.display()
        );
    }
}

#[test]
fn every_samples_topology_and_org_tables_validate() {
    let mut documents = Vec::new();
    let tmp = tempfile::tempdir().unwrap();
    for sample in support::all_projects() {
        let name = sample.file_name().unwrap().to_string_lossy().to_string();
        let dir = tmp.path().join(&name);
        support::copy_tree(&sample, &dir.join("project"));
        support::compile_in(&dir, &[]);
        documents.push(("topology", dir.join("out/hlf-kube/topology.json")));
        for flow in ["channel", "chaincode", "peer-org"] {
            let output = support::fabchart(&dir)
                .args(["flow", flow, "project"])
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let workflow: serde_yaml::Value = serde_yaml::from_slice(&output.stdout).unwrap();
            let orgs = workflow["spec"]["arguments"]["parameters"]
                .as_sequence()
                .unwrap()
                .iter()
                .find(|p| p["name"] == "orgs")
                .and_then(|p| p["value"].as_str())
                .expect("every flow passes the org table")
                .to_string();
            let path = dir.join(format!("orgs-{flow}.json"));
            std::fs::write(&path, orgs).unwrap();
            documents.push(("org-table", path));
        }
    }
    let script = r#"
import json, sys, jsonschema
for kind, path in zip(sys.argv[1::2], sys.argv[2::2]):
    schema = json.load(open(f"schemas/{kind}.schema.json"))
    jsonschema.validate(json.load(open(path)), schema)
    print("valid", kind, path)
"#;
    let mut cmd = Command::new("python3");
    cmd.current_dir(support::root()).args(["-c", script]);
    for (kind, path) in &documents {
        cmd.arg(kind).arg(path);
    }
    let output = cmd
        .output()
        .expect("python3 runs (install it, then `bash .ci/run`)");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
