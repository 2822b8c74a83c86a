//! Real engines on every sample's chart: `helm lint --strict` and a render by a
//! real Helm engine, every object through `kubernetes-validate --strict` for
//! Kubernetes 1.29 and the newest it knows, with default values and with every
//! optional feature switched on. The tools come from `.ci/run`; when one is
//! missing the check fails, it never skips.

mod support;

use std::path::Path;
use std::process::Command;

/// Runs check_chart.py on `chart` with `args` and asserts it passed.
fn check_chart_with(chart: &Path, args: &[&std::ffi::OsStr]) {
    let script = support::root().join("tests/conformance/check_chart.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(chart)
        .args(args)
        .output()
        .expect("python3 runs (install it, then `bash .ci/run`)");
    assert!(
        output.status.success(),
        "check_chart.py {} {:?} failed:\n{}\n{}",
        chart.display(),
        args,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Compiles `sample` into a temp dir with extra compile arguments.
fn compile_with(sample: &str, extra: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    support::copy_tree(&support::root().join(sample), &tmp.path().join("project"));
    support::compile_in(tmp.path(), extra);
    tmp
}

fn conformance_file(name: &str) -> std::path::PathBuf {
    support::root().join("tests/conformance").join(name)
}

/// The Prometheus Operator's ServiceMonitor CRD, whose schema validates the
/// chart's ServiceMonitor.
fn crd_args() -> Vec<std::ffi::OsString> {
    let crd =
        support::root().join("tests/fixtures/crds/monitoring.coreos.com_servicemonitors.yaml");
    vec!["--crd".into(), crd.into_os_string()]
}

/// Runs a check script of tests/conformance on `args` and asserts it passed.
fn check_script(script: &str, args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new("python3")
        .arg(conformance_file(script))
        .args(args)
        .output()
        .expect("python3 runs (install it, then `bash .ci/run`)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The clusters of samples/cross-cluster after exchanging their bundles:
/// each chart through Helm and the Kubernetes schemas with its nodes exposed
/// (ingress, LoadBalancers), and each cluster's channel and chaincode
/// workflows through Argo's schema and shellcheck.
#[test]
fn cross_cluster_charts_and_flows_validate() {
    let tmp = support::exchanged_clusters();
    let mut workflows = Vec::new();
    for cluster in ["one", "two", "three"] {
        let chart = tmp.path().join(cluster).join("out/hlf-kube");
        check_chart_with(&chart, &[]);
        let exposed: Vec<&std::ffi::OsStr> = [
            "--set-json",
            r#"{"peer": {"ingress": {"enabled": true}, "externalService": {"enabled": true}},
                "orderer": {"ingress": {"enabled": true}, "externalService": {"enabled": true}}}"#,
        ]
        .iter()
        .map(std::ffi::OsStr::new)
        .collect();
        check_chart_with(&chart, &exposed);
        for flow in ["channel", "chaincode", "peer-org"] {
            let output = support::fabchart(tmp.path())
                .args(["flow", flow, cluster])
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "flow {flow} {cluster}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let file = tmp.path().join(format!("{cluster}-{flow}.yaml"));
            std::fs::write(&file, &output.stdout).unwrap();
            workflows.push(file);
        }
    }
    let output = Command::new("python3")
        .arg(support::root().join("tests/conformance/check_workflow.py"))
        .args(&workflows)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "check_workflow.py failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every sample's chart through Helm and the Kubernetes schemas, with its
/// default values, every feature on, the sample's values and the OpenShift
/// mode; every pod of every rendering held to Pod Security "restricted"
/// (the dind sidecar the documented exception).
#[test]
fn every_sample_chart_lints_renders_and_validates() {
    let all_features = conformance_file("all-features-values.yaml");
    let openshift = conformance_file("openshift-values.yaml");
    for sample in support::all_projects() {
        let (tmp, chart) = support::compile_sample(&sample);
        let mut renderings = vec![
            Vec::new(),
            vec![all_features.clone()],
            vec![openshift.clone()],
        ];
        let sample_values = sample.join("values.yaml");
        if sample_values.is_file() {
            renderings.push(vec![sample_values]);
        }
        let mut dumps = Vec::new();
        for (i, values) in renderings.iter().enumerate() {
            let dump = tmp.path().join(format!("objects-{i}.json"));
            let mut args: Vec<std::ffi::OsString> = crd_args();
            for file in values {
                args.extend(["--values".into(), file.clone().into_os_string()]);
            }
            args.extend(["--dump-objects".into(), dump.clone().into_os_string()]);
            let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
            check_chart_with(&chart, &args);
            dumps.push(dump);
        }
        let mut args: Vec<&std::ffi::OsStr> = vec!["--exception".as_ref(), "dind".as_ref()];
        for dump in &dumps {
            args.extend(["--objects".as_ref(), dump.as_os_str()]);
        }
        check_script("check_pod_security.py", &args);
    }
}

/// checkov (a static analyzer of Kubernetes objects) over the richest
/// sample's chart, with default values and every feature on: at most two
/// failed checks per workload, not counting the checks
/// checkov-not-applicable.txt lists or the dind sidecar's (the documented
/// exception).
#[test]
fn checkov_finds_at_most_two_faults_per_workload() {
    let (tmp, chart) = support::compile_sample(&support::root().join("samples/scaled-raft-tls"));
    let all_features = conformance_file("all-features-values.yaml");
    for (name, values) in [("defaults", None), ("all-features", Some(&all_features))] {
        let dump = tmp.path().join(format!("{name}.json"));
        let mut args: Vec<std::ffi::OsString> = crd_args();
        if let Some(file) = values {
            args.extend(["--values".into(), file.clone().into_os_string()]);
        }
        args.extend(["--dump-objects".into(), dump.clone().into_os_string()]);
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        check_chart_with(&chart, &args);
        let report = check_script(
            "check_checkov.py",
            &[dump.as_os_str(), "--exception".as_ref(), "dind".as_ref()],
        );
        println!("checkov, {name}:\n{report}");
    }
}

/// Every pod every flow starts, for every sample, held to Pod Security
/// "restricted", with the chart's default values and in the OpenShift mode.
#[test]
fn every_flow_pod_is_restricted() {
    let openshift = conformance_file("openshift-values.yaml");
    for sample in support::samples() {
        let tmp = tempfile::tempdir().unwrap();
        let mut workflows = Vec::new();
        for (flow, sets) in [
            ("channel", vec![]),
            ("chaincode", vec!["flow.invoke.enabled=true"]),
            ("peer-org", vec![]),
            ("upgrade-check", vec![]),
            ("rollout", vec![]),
            (
                "channel-update",
                vec!["update.scope=orderer", "update.orderer.batchTimeout=3s"],
            ),
            ("backup", vec!["backup.target.secret=s3"]),
            (
                "restore",
                vec!["backup.target.secret=s3", "backup.key=2025-01-31-023000"],
            ),
        ] {
            for (mode, values) in [("defaults", None), ("openshift", Some(&openshift))] {
                let mut command = support::fabchart(&support::root());
                command.args(["flow", flow, "-p"]).arg(&sample);
                for set in &sets {
                    command.args(["--set", set]);
                }
                if let Some(file) = values {
                    command.arg("-f").arg(file);
                }
                let output = command.output().unwrap();
                if !output.status.success() {
                    // A flow the sample has nothing for (backup without
                    // persistence): nothing to check.
                    continue;
                }
                let file = tmp.path().join(format!("{flow}-{mode}.yaml"));
                std::fs::write(&file, &output.stdout).unwrap();
                workflows.push(file);
            }
        }
        assert!(
            workflows.len() >= 8,
            "{}: flows rendered: {workflows:?}",
            sample.display()
        );
        let mut args: Vec<&std::ffi::OsStr> = Vec::new();
        for file in &workflows {
            args.extend(["--workflow".as_ref(), file.as_os_str()]);
        }
        check_script("check_pod_security.py", &args);
    }
}

/// The rendered objects of `chart` (default values), by apiVersion/kind/name.
fn render_objects(chart: &Path) -> std::collections::BTreeMap<String, serde_json::Value> {
    let dump = chart.with_file_name("objects.json");
    check_chart_with(chart, &["--dump-objects".as_ref(), dump.as_os_str()]);
    let objects: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&dump).unwrap()).unwrap();
    objects
        .into_iter()
        .map(|o| {
            let id = format!(
                "{}/{}/{}",
                o["apiVersion"].as_str().unwrap(),
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            );
            (id, o)
        })
        .collect()
}

fn append_after(path: &Path, anchor: &str, text: &str) {
    support::replace_in(path, anchor, &format!("{anchor}{text}"));
}

/// Issue #4's promise: adding an org (and peers) to the inputs and compiling
/// again keeps every existing object of the running network as it was; only
/// new objects appear, plus the two that describe the whole network (the
/// configtx ConfigMap gains the new org's MSP; the package ConfigMap and
/// RBAC are untouched).
#[test]
fn extending_the_network_keeps_every_existing_object() {
    let tmp = compile_with("samples/simple", &[]);
    let chart = tmp.path().join("out/hlf-kube");
    let before = render_objects(&chart);
    let project = tmp.path().join("project");
    append_after(
        &project.join("crypto-config.yaml"),
        "PeerOrgs:\n",
        "  - Name: Orchard\n    Domain: orchard.example\n    EnableNodeOUs: true\n    Template:\n      Count: 2\n    Users:\n      Count: 1\n\n",
    );
    append_after(
        &project.join("configtx.yaml"),
        "Organizations:\n",
        "  - &Orchard\n    Name: OrchardMSP\n    ID: OrchardMSP\n    MSPDir: crypto-config/peerOrganizations/orchard.example/msp\n\n",
    );
    append_after(
        &project.join("configtx.yaml"),
        "Organizations: [*Harbor, *Meadow, *Quarry",
        ", *Orchard",
    );
    append_after(
        &project.join("network.yaml"),
        "orgs: [Harbor, Meadow, Quarry",
        ", Orchard",
    );
    support::compile_in(tmp.path(), &[]);
    let after = render_objects(&chart);

    let mut changed = Vec::new();
    for (id, object) in &before {
        match after.get(id) {
            None => panic!("{id} is gone after the extension"),
            Some(new) if new != object => changed.push(id.as_str()),
            Some(_) => {}
        }
    }
    assert_eq!(changed, ["v1/ConfigMap/hlf-configtx"], "objects changed");
    let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    for expected in [
        "apps/v1/StatefulSet/hlf-peer--orchard--peer0",
        "apps/v1/StatefulSet/hlf-peer--orchard--peer1",
        "v1/Secret/hlf-admin--orchard",
    ] {
        assert!(
            added.iter().any(|k| *k == expected),
            "{expected} not added: {added:?}"
        );
    }
}

/// Compiled with --keys-dir: the chart renders no identity Secret, the keys
/// folder's manifest holds them, and together they validate with no object twice.
#[test]
fn keys_outside_the_chart_validate_with_the_secrets_manifest() {
    let tmp = compile_with("samples/scaled-raft-tls", &["--keys-dir", "keys"]);
    let manifest = tmp.path().join("keys/hlf-kube-secrets.yaml");
    check_chart_with(
        &tmp.path().join("out/hlf-kube"),
        &["--manifest".as_ref(), manifest.as_os_str()],
    );
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

/// The e2e harness (tests/e2e/run.py: opt-in, as root, on Fabric binaries)
/// starts every pod from the rendered chart. Its stand-ins for the kubelet
/// are checked here without root or Fabric, on every sample's chart: each
/// container's env (values, valueFrom, `$(VAR)`), command, args and
/// volumeMounts reach its launch, and the check it runs on /proc catches an
/// env var that is missing, different or extra (tests/e2e/test_run.py).
#[test]
fn e2e_harness_starts_pods_as_the_chart_says() {
    let script = support::root().join("tests/e2e/test_run.py");
    for sample in support::all_projects() {
        let (_tmp, chart) = support::compile_sample(&sample);
        let output = Command::new("python3")
            .arg(&script)
            .arg(&sample)
            .arg(&chart)
            .output()
            .expect("python3 runs (install it, then `bash .ci/run`)");
        assert!(
            output.status.success(),
            "test_run.py {} failed:\n{}\n{}",
            sample.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
