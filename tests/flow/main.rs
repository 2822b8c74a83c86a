//! `fabchart flow`: golden workflows per sample, Argo schema + shellcheck,
//! Argo placeholders reaching the output, the scripts' "already done?"
//! decisions against recorded Fabric 2.5 output, the backup and restore
//! scripts against recorded kubectl output, volume layouts and a stand-in for
//! rclone, and workflow size.

#[path = "../support/mod.rs"]
mod support;

mod backup;
mod config_update;
mod consenters;
mod decisions;
mod failures;
mod faults;
mod size;

use backup::*;
use config_update::*;
use decisions::*;
use failures::*;

use std::path::{Path, PathBuf};
use std::process::Command;

use fabchart::cmd::flow::render;
use fabchart::render::workflow::{self as flow, Flow, FlowOptions};
use support::goldens::{self, Output};

/// The items a step loops over: its `withItems`, or the workflow parameter
/// its `withParam` names (JSON).
fn step_items(workflow: &serde_yaml::Value, step: &serde_yaml::Value) -> serde_yaml::Value {
    if let Some(items) = step.get("withItems") {
        return items.clone();
    }
    let reference = step["withParam"].as_str().expect("withItems or withParam");
    let name = reference
        .strip_prefix("{{workflow.parameters.")
        .and_then(|r| r.strip_suffix("}}"))
        .expect("a workflow parameter");
    let parameter = workflow["spec"]["arguments"]["parameters"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .expect("the parameter exists");
    serde_yaml::from_str(parameter["value"].as_str().unwrap()).unwrap()
}

fn options(flow: Flow, sets: &[&str]) -> FlowOptions {
    FlowOptions::load(flow, &[] as &[&Path], sets).unwrap()
}

fn golden_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(support::root().join("golden"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// (variant suffix, flow, --set values) pinned for every sample.
const VARIANTS: &[(&str, Flow, &[&str])] = &[
    ("", Flow::Channel, &[]),
    ("", Flow::Chaincode, &[]),
    (
        "sequential",
        Flow::Channel,
        &[
            "flow.channel.parallel=false",
            "flow.channel.include={trade}",
        ],
    ),
    (
        "upgrade",
        Flow::Chaincode,
        &[
            "chaincode.version=2.0",
            "flow.chaincode.include={price-board}",
        ],
    ),
    (
        "invoke",
        Flow::Chaincode,
        &[
            "flow.invoke.enabled=true",
            "flow.install.enabled=false",
            "retryCount=2",
        ],
    ),
    ("", Flow::PeerOrg, &[]),
    ("hand-on", Flow::PeerOrg, &["flow.sendUpdate.channel.enabled=false"]),
    (
        "capabilities",
        Flow::ChannelUpdate,
        &[
            "update.scope=application",
            "update.application.capabilities.version=V2_5",
        ],
    ),
    (
        "batch-timeout",
        Flow::ChannelUpdate,
        &["update.scope=orderer", "update.orderer.batchTimeout=5s"],
    ),
    (
        "json-path",
        Flow::ChannelUpdate,
        &[
            "update.scope=application",
            "update.application.type=jsonPath",
            "update.application.jsonPath.key=.channel_group.groups.Application.policies.Admins.policy.value.rule",
            "update.application.jsonPath.value=ANY",
        ],
    ),
    (
        "update-file",
        Flow::ChannelUpdate,
        &[
            "update.scope=application",
            "flow.channel.include={trade}",
            "update.file=tests/fixtures/flow/config-update-trade.pb",
        ],
    ),
    ("", Flow::UpgradeCheck, &[]),
    ("", Flow::Rollout, &[]),
    ("", Flow::Backup, &["backup.target.secret=backup-s3"]),
    (
        "azure",
        Flow::Backup,
        &[
            "backup.target.type=azureblob",
            "backup.target.secret=backup-azure",
            "backup.target.prefix=fabric/prod",
            "flow.backup.parallel=true",
            "flow.orderer.backup.rolling=true",
            "flow.ca.backup.enabled=true",
        ],
    ),
    (
        "dry-run",
        Flow::Backup,
        &[
            "backup.target.secret=backup-minio",
            "backup.target.endpoint=http://minio.minio:9000",
            "backup.key=before-upgrade",
            "backup.dryRun=true",
        ],
    ),
    (
        "components",
        Flow::Backup,
        &[
            "backup.target.type=gcs",
            "backup.target.envAuth=true",
            "flow.couchdb.backup.enabled=false",
            "flow.orderer.backup.enabled=false",
        ],
    ),
    (
        "",
        Flow::Restore,
        &[
            "backup.key=2025-01-31-023000",
            "backup.target.secret=backup-s3",
        ],
    ),
    (
        "force",
        Flow::Restore,
        &[
            "backup.key=2025-01-31-023000",
            "backup.target.secret=backup-s3",
            "backup.target.region=eu-central-1",
            "restore.force=true",
            "flow.backup.include={Harbor,Beacon/orderer0}",
            "flow.ca.backup.enabled=true",
        ],
    ),
    (
        "dry-run",
        Flow::Restore,
        &[
            "backup.key=2025-01-31-023000",
            "backup.target.secret=backup-s3",
            "backup.dryRun=true",
        ],
    ),
];

/// Variants pinned for the test projects of tests/fixtures/projects (the
/// chaincode flow: legacy-lifecycle channels).
const FIXTURE_VARIANTS: &[(&str, Flow, &[&str])] = &[
    ("", Flow::Chaincode, &[]),
    (
        "invoke",
        Flow::Chaincode,
        &[
            "flow.invoke.enabled=true",
            "flow.install.enabled=false",
            "retryCount=2",
        ],
    ),
];

type Variant = (&'static str, Flow, &'static [&'static str]);

/// Variants pinned for samples/bft (Fabric 3, BFT ordering): what differs
/// from the Raft samples' flows (the consenters, their tolerance, the tools
/// image), without the other samples' names.
const BFT_VARIANTS: &[(&str, Flow, &[&str])] = &[
    ("", Flow::Channel, &[]),
    ("", Flow::Chaincode, &[]),
    ("", Flow::PeerOrg, &[]),
    (
        "batch-timeout",
        Flow::ChannelUpdate,
        &["update.scope=orderer", "update.orderer.batchTimeout=5s"],
    ),
    (
        "smart-bft",
        Flow::ChannelUpdate,
        &[
            "update.scope=orderer",
            "update.orderer.smartBft.requestBatchMaxCount=90",
            "update.orderer.smartBft.requestMaxBytes=1 MB",
            "update.orderer.smartBft.viewChangeTimeout=30s",
            "update.orderer.smartBft.syncOnStart=true",
        ],
    ),
    ("", Flow::UpgradeCheck, &[]),
];

/// The variants pinned for test project `project`: none for bft-grow and
/// raft-grow, whose flows are samples/bft's and samples/simple's (they differ
/// in their charts: an orderer node more, no consenter at first).
fn fixture_variants(project: &Path) -> &'static [Variant] {
    match support::project_name(project).as_str() {
        "bft-grow" | "raft-grow" => &[],
        _ => FIXTURE_VARIANTS,
    }
}

/// The variants pinned for sample `project`.
fn sample_variants(project: &Path) -> &'static [Variant] {
    match support::project_name(project).as_str() {
        "bft" => BFT_VARIANTS,
        _ => VARIANTS,
    }
}

/// Every (project, variant) pinned by a golden and checked against the schema.
fn pinned() -> Vec<(PathBuf, &'static Variant)> {
    let samples = support::samples()
        .into_iter()
        .flat_map(|s| sample_variants(&s).iter().map(move |v| (s.clone(), v)));
    let fixtures = support::fixture_projects()
        .into_iter()
        .flat_map(|s| fixture_variants(&s).iter().map(move |v| (s.clone(), v)));
    samples.chain(fixtures).collect()
}

/// The snapshot of a project's variant: `flow-<project>-<flow>[-<variant>]`.
fn snapshot_name(project: &str, (variant, kind, _): &Variant) -> String {
    match *variant {
        "" => format!("flow-{project}-{}", kind.name()),
        v => format!("flow-{project}-{}-{v}", kind.name()),
    }
}

#[test]
fn golden_workflows() {
    let outputs: Vec<Output> = pinned()
        .into_iter()
        .map(|(project, variant)| {
            let (_, kind, sets) = variant;
            let name = support::project_name(&project);
            Output {
                snapshot: snapshot_name(&name, variant),
                text: render(&project, &options(*kind, sets)).unwrap(),
                project: name,
            }
        })
        .collect();
    goldens::check(&outputs, &golden_settings());
}

/// Every workflow snapshot in golden/ is a pinned variant of a project that
/// stores its own.
#[test]
fn every_flow_snapshot_is_read() {
    let read: Vec<String> = pinned()
        .into_iter()
        .map(|(project, variant)| (support::project_name(&project), variant))
        .filter(|(project, _)| goldens::same_as(project).is_none())
        .map(|(project, variant)| snapshot_name(&project, variant))
        .collect();
    let unread = goldens::unread("flow-", &read);
    assert!(
        unread.is_empty(),
        "workflow snapshots no test reads (of a project or variant removed, or of a project \
         in SAME_OUTPUT): {unread:?}"
    );
}

fn write_workflows(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (i, (project, (_, kind, sets))) in pinned().into_iter().enumerate() {
        let name = support::project_name(&project);
        let file = dir.join(format!("{name}-{}-{i}.yaml", kind.name()));
        std::fs::write(&file, render(&project, &options(*kind, sets)).unwrap()).unwrap();
        files.push(file);
    }
    files
}

/// Argo's schema with unknown fields rejected, and shellcheck on every script,
/// by the shared conformance checker.
#[test]
fn workflows_pass_argo_schema_and_shellcheck() {
    let tmp = tempfile::tempdir().unwrap();
    let files = write_workflows(tmp.path());
    let checker = support::root().join("tests/conformance/check_workflow.py");
    let mut cmd = Command::new("python3");
    cmd.arg(&checker);
    let out = cmd.args(&files).output().expect("python3 runs");
    assert!(
        out.status.success(),
        "check_workflow.py failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Steps carry only the library functions they use: every library function a
/// workflow's script names is defined in that script.
#[test]
fn steps_define_every_library_function_they_name() {
    let scripts = support::root().join("workflow-templates/scripts");
    let mut library = Vec::new();
    for entry in std::fs::read_dir(&scripts).unwrap().flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        if file.ends_with("lib.sh") {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            library.extend(text.lines().filter_map(defined_function));
        }
    }
    assert!(library.contains(&"load_org_admin".to_string()));
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for file in write_workflows(tmp.path()) {
        let workflow: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        for template in workflow["spec"]["templates"].as_sequence().unwrap() {
            let Some(source) = template["script"]["source"].as_str() else {
                continue;
            };
            let defined: Vec<String> = source.lines().filter_map(defined_function).collect();
            let words: std::collections::HashSet<&str> = source
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .collect();
            for function in &library {
                assert!(
                    !words.contains(function.as_str()) || defined.contains(function),
                    "{}: template {} names {function} but does not define it",
                    file.display(),
                    template["name"].as_str().unwrap()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} scripts");
}

/// `name` of a line `name() {` / `name() (`.
fn defined_function(line: &str) -> Option<String> {
    let (name, rest) = line.split_once("() ")?;
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && (rest.starts_with('{') || rest.starts_with('('));
    ok.then(|| name.to_string())
}

#[test]
fn script_files_pass_shellcheck() {
    let dir = support::root().join("workflow-templates/scripts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let out = Command::new("shellcheck")
        .arg("-x")
        .current_dir(&dir)
        .args(files.iter().map(|f| f.file_name().unwrap()))
        .output()
        .expect("shellcheck is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn argo_placeholders_reach_the_output_intact() {
    let sample = support::root().join("samples/simple");
    let text = render(&sample, &options(Flow::Chaincode, &[])).unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let templates = workflow["spec"]["templates"].as_sequence().unwrap();
    let org = templates
        .iter()
        .find(|t| t["name"] == "chaincode-org")
        .unwrap();
    assert_eq!(
        org["volumes"][0]["projected"]["sources"][0]["secret"]["name"],
        "{{inputs.parameters.secret}}"
    );
    assert_eq!(
        org["volumes"][1]["configMap"]["items"][0]["key"],
        "{{inputs.parameters.package-key}}"
    );
    let env = org["script"]["env"].as_sequence().unwrap();
    assert!(env
        .iter()
        .any(|e| e["value"] == "{{workflow.parameters.orgs}}"));
    assert!(text.contains("withParam: '{{inputs.parameters.orgs}}'"));
    // Scripts hold no `{{`: Argo would try to substitute it.
    for t in templates {
        if let Some(source) = t["script"]["source"].as_str() {
            assert!(
                !source.contains("{{"),
                "template {:?} script has {{{{",
                t["name"]
            );
        }
    }
}

#[test]
fn bad_options_are_errors() {
    let sample = support::root().join("samples/simple");
    let e = render(
        &sample,
        &options(Flow::Chaincode, &["flow.chaincode.include={nope}"]),
    )
    .unwrap_err();
    assert!(
        format!("{e:#}").contains("ledger-notes, price-board"),
        "{e:#}"
    );
    let e = FlowOptions::load(Flow::Chaincode, &[] as &[&Path], &["flow.bogus=1"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("valid options") && e.contains("flow.invoke.enabled"),
        "{e}"
    );
}

#[test]
fn host_aliases_come_from_values_files() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("hostAliases.yaml");
    std::fs::write(
        &file,
        "hostAliases:\n  - ip: 10.0.0.7\n    hostnames: [orderer0.beacon.example]\n",
    )
    .unwrap();
    let opts = FlowOptions::load(Flow::Channel, &[&file], &[] as &[&str]).unwrap();
    let text = render(&support::root().join("samples/scaled-raft-tls"), &opts).unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(workflow["spec"]["hostAliases"][0]["ip"], "10.0.0.7");
}
