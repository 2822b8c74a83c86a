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

/// `fabchart flow peer-org` builds an external org's channel group with
/// `configtxgen -printOrg` from the `hlf-configtx` ConfigMap: so the emitted
/// configtx.yaml lists external orgs and, once their public MSP is copied into
/// the chart, the ConfigMap (as a real Helm engine renders it) carries it.
#[test]
fn external_orgs_reach_the_configtx_configmap() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    support::copy_tree(&support::root().join("samples/simple"), &project);
    let edit = |file: &str, from: &str, to: &str| {
        let path = project.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file}: {from}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    edit(
        "crypto-config.yaml",
        "PeerOrgs:",
        "ExternalPeerOrgs:\n  - Name: Valhalla\n    Domain: valhalla.example\n\nPeerOrgs:",
    );
    edit(
        "configtx.yaml",
        "Capabilities:\n  Channel",
        "  - &Valhalla\n    Name: ValhallaMSP\n    ID: ValhallaMSP\n    \
         MSPDir: crypto-config/peerOrganizations/valhalla.example/msp\n    Policies:\n      \
         Readers: {Type: Signature, Rule: \"OR('ValhallaMSP.member')\"}\n      \
         Writers: {Type: Signature, Rule: \"OR('ValhallaMSP.member')\"}\n      \
         Admins: {Type: Signature, Rule: \"OR('ValhallaMSP.admin')\"}\n\nCapabilities:\n  Channel",
    );
    edit(
        "network.yaml",
        "orgs: [Harbor, Meadow, Quarry]\n",
        "orgs: [Harbor, Meadow, Quarry]\n      externalOrgs: [Valhalla]\n",
    );
    let compile = || {
        let output = support::fabchart(tmp.path())
            .args(["compile", "project", "-o", "out"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    compile();
    let chart = tmp.path().join("out/hlf-kube");
    let configtx = std::fs::read_to_string(chart.join("configtx.yaml")).unwrap();
    assert!(configtx.contains("Name: \"ValhallaMSP\""), "{configtx}");
    // The other cluster's public MSP, copied in (here: Harbor's, as a stand-in).
    let msp = chart.join("crypto-config/peerOrganizations/valhalla.example/msp");
    for file in [
        "config.yaml",
        "cacerts/ca.harbor.example-cert.pem",
        "tlscacerts/tlsca.harbor.example-cert.pem",
    ] {
        std::fs::create_dir_all(msp.join(file).parent().unwrap()).unwrap();
        std::fs::copy(
            chart
                .join("crypto-config/peerOrganizations/harbor.example/msp")
                .join(file),
            msp.join(file),
        )
        .unwrap();
    }
    compile();
    let render = format!(
        "import sys, yaml\nsys.path.insert(0, {dir:?})\nimport check_chart\n\
         helm = check_chart.SdkHelm({chart:?}, [], [], [], 'hlf-kube', 'default')\n\
         for path, text in helm.render().items():\n    \
         if path.endswith('configtx-configmap.yaml'):\n        \
         print(yaml.safe_load(text)['data']['items'])\n",
        dir = support::root()
            .join("tests/conformance")
            .display()
            .to_string(),
        chart = chart.display().to_string(),
    );
    let output = Command::new("python3")
        .arg("-c")
        .arg(render)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let items = String::from_utf8_lossy(&output.stdout);
    for file in [
        "msp/config.yaml",
        "msp/cacerts/ca.harbor.example-cert.pem",
        "msp/tlscacerts/tlsca.harbor.example-cert.pem",
    ] {
        let path = format!("crypto-config/peerOrganizations/valhalla.example/{file}");
        assert!(
            items.contains(&path),
            "{path} is not in hlf-configtx:\n{items}"
        );
    }
}
