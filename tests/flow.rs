//! `fabchart flow`: golden workflows per sample, Argo schema + shellcheck,
//! Argo placeholders reaching the output, the scripts' "already done?"
//! decisions against recorded Fabric 2.5 output, the backup and restore
//! scripts against recorded kubectl output, volume layouts and a stand-in for
//! rclone, and workflow size.

mod support;

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

/// Every (project, variant) pinned by a golden and checked against the schema.
fn pinned() -> Vec<(PathBuf, &'static Variant)> {
    let samples = support::samples()
        .into_iter()
        .flat_map(|s| VARIANTS.iter().map(move |v| (s.clone(), v)));
    let fixtures = support::fixture_projects()
        .into_iter()
        .flat_map(|s| FIXTURE_VARIANTS.iter().map(move |v| (s.clone(), v)));
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

// ---- the scripts' decisions, against recorded output of the stock tools ----

fn fixture(name: &str) -> PathBuf {
    support::root().join("tests/fixtures/flow").join(name)
}

/// The shell options the bash steps set (their `set -` and `shopt -s` lines),
/// so that library functions run here as they run in a step.
fn bash_step_options() -> String {
    let step = std::fs::read_to_string(
        support::root().join("workflow-templates/scripts/chaincode-commit.sh"),
    )
    .unwrap();
    let options: Vec<&str> = step
        .lines()
        .filter(|l| l.starts_with("set -") || l.starts_with("shopt -s "))
        .collect();
    assert!(!options.is_empty());
    options.join("; ")
}

/// Runs `call` in bash with lib.sh and update-lib.sh sourced, under the steps'
/// shell options, in the fixtures folder, stdin from fixture `stdin_file`
/// (none: empty); returns its exit code, stdout and stderr.
fn bash_lib(call: &str, stdin_file: Option<&str>, env: &[(&str, &str)]) -> (i32, String, String) {
    let scripts = support::root().join("workflow-templates/scripts");
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!(
            "{}; . \"$SCRIPTS/lib.sh\"; . \"$SCRIPTS/update-lib.sh\"; {call}",
            bash_step_options()
        ))
        .env("SCRIPTS", scripts)
        .current_dir(support::root().join("tests/fixtures/flow"))
        .envs(env.iter().copied());
    cmd.stdin(match stdin_file {
        Some(file) => std::process::Stdio::from(std::fs::File::open(fixture(file)).unwrap()),
        None => std::process::Stdio::null(),
    });
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `call` (a lib.sh function call), stdin from `stdin_file`; returns
/// whether it succeeded and its stdout.
fn lib(call: &str, stdin_file: &str, env: &[(&str, String)]) -> (bool, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, out, _) = bash_lib(call, Some(stdin_file), &env);
    (code == 0, out)
}

/// The answer of decision `call` on fixture `stdin_file`: Some(true) (exit
/// status 0), Some(false) (1), or None: an error, which stops the step.
fn decision(call: &str, stdin_file: &str, env: &[(&str, &str)]) -> Option<bool> {
    match bash_lib(call, Some(stdin_file), env).0 {
        0 => Some(true),
        1 => Some(false),
        _ => None,
    }
}

fn decides(call: &str, stdin_file: &str) -> bool {
    decision(call, stdin_file, &[])
        .unwrap_or_else(|| panic!("{call} < {stdin_file}: an error, not an answer"))
}

#[test]
fn channel_listed_by_osnadmin() {
    assert!(decides(
        "osn_channel_listed trade",
        "osnadmin-list-trade.txt"
    ));
    assert!(!decides(
        "osn_channel_listed harbor-quarry",
        "osnadmin-list-trade.txt"
    ));
    assert!(!decides(
        "osn_channel_listed trade",
        "osnadmin-list-empty.txt"
    ));
    assert!(decides("osn_status_ok", "osnadmin-join-created.txt"));
    assert!(!decides("osn_status_ok", "osnadmin-join-exists.txt"));
}

#[test]
fn peer_already_joined() {
    assert!(decides(
        "peer_channel_joined trade",
        "peer-channel-list-joined.txt"
    ));
    assert!(!decides(
        "peer_channel_joined trade",
        "peer-channel-list-other.txt"
    ));
    // A prefix of a joined channel's name is not that channel.
    assert!(!decides(
        "peer_channel_joined harbor",
        "peer-channel-list-other.txt"
    ));
}

#[test]
fn anchor_peers_already_set() {
    let want = r#"[{"host":"hlf-peer--atlantis--peer0","port":7051}]"#;
    let call = format!("anchor_peers_set AtlantisMSP '{want}'");
    assert!(decides(&call, "config-with-anchors.json"));
    assert!(!decides(&call, "config-without-anchors.json"));
    assert!(!decides(
        r#"anchor_peers_set AtlantisMSP '[{"host":"other","port":7051}]'"#,
        "config-with-anchors.json"
    ));
    // The update sets exactly the wanted anchors and touches nothing else.
    let (ok, updated) = lib(
        &format!("anchor_peers_update AtlantisMSP '{want}'"),
        "config-without-anchors.json",
        &[],
    );
    assert!(ok);
    let updated: serde_json::Value = serde_json::from_str(&updated).unwrap();
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("config-with-anchors.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(updated, expected);
}

const HARBOR_PACKAGE: &str =
    "ledger-notes_harbor:e64acecd24902ab6889e2126c08fd9eed4a64b8cce736377a614761b9b46af7c";

#[test]
fn package_already_installed() {
    assert!(decides(
        &format!("package_installed {HARBOR_PACKAGE}"),
        "queryinstalled.json"
    ));
    assert!(!decides(
        &format!("package_installed {HARBOR_PACKAGE}"),
        "queryinstalled-empty.json"
    ));
    assert!(!decides(
        "package_installed ledger-notes_harbor:00",
        "queryinstalled.json"
    ));
}

/// The chaincode step computes each package's ID from the package file the
/// chart ships; it must be the ID the chart gives its chaincode servers.
#[test]
fn package_ids_computed_in_the_step_match_the_charts() {
    let (_tmp, chart) = support::compile_sample(&support::root().join("samples/simple"));
    let topology: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(chart.join("topology.json")).unwrap())
            .unwrap();
    let ids = topology["packageIds"].as_object().unwrap();
    assert!(!ids.is_empty());
    for (file, id) in ids {
        let (ok, out) = lib(
            "package_id \"$PKG\"",
            "queryinstalled.json",
            &[("PKG", chart.join(file).display().to_string())],
        );
        assert!(ok, "package_id failed on {file}");
        assert_eq!(out.trim(), id.as_str().unwrap(), "{file}");
    }
}

/// The desired definition as the workflow passes it: the policy in fabchart's
/// canonical one-line form.
fn desired(version: &str, policy: &str) -> Vec<(&'static str, String)> {
    let policy = flow::policy::signature_policy_json(policy).unwrap();
    vec![
        ("CC_VERSION", version.to_string()),
        ("CC_INIT_REQUIRED", "false".to_string()),
        ("CC_POLICY", flow::policy::canonical_text(&policy)),
        ("CC_COLLECTIONS", "[]".to_string()),
    ]
}

const LEDGER_POLICY: &str = "OR('HarborMSP.peer','MeadowMSP.peer','QuarryMSP.peer')";

fn matches(file: &str, env: &[(&str, String)]) -> bool {
    let decoded = std::fs::read_to_string(fixture("validation-parameter-decoded.json")).unwrap();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("DECODED", decoded.as_str()));
    decision("definition_matches \"$DECODED\"", file, &env)
        .unwrap_or_else(|| panic!("definition_matches < {file}: an error, not an answer"))
}

#[test]
fn committed_definition_compared_with_the_desired_one() {
    assert!(matches(
        "querycommitted.json",
        &desired("1.0", LEDGER_POLICY)
    ));
    assert!(!matches(
        "querycommitted.json",
        &desired("2.0", LEDGER_POLICY)
    ));
    assert!(!matches(
        "querycommitted.json",
        &desired(
            "1.0",
            "AND('HarborMSP.peer','MeadowMSP.peer','QuarryMSP.peer')"
        )
    ));
    let mut init = desired("1.0", LEDGER_POLICY);
    init[1].1 = "true".into();
    assert!(!matches("querycommitted.json", &init));
    assert_eq!(
        lib("definition_sequence", "querycommitted.json", &[])
            .1
            .trim(),
        "1"
    );
}

/// Collections as the peer CLI prints a committed definition (Go's
/// encoding/json of the protobuf structs; recorded from a Fabric 2.5 peer
/// whose definition was approved and committed with collections-ledger.json)
/// against the desired ones fabchart makes from that collections file.
#[test]
fn collections_compared_field_by_field() {
    let file = std::fs::read_to_string(fixture("collections-ledger.json")).unwrap();
    let with = |collections: &str| {
        let mut env = desired("1.0", LEDGER_POLICY);
        env[3].1 = flow::collections::canonical(collections)
            .unwrap()
            .to_string();
        matches("querycommitted-collections.json", &env)
    };
    assert!(with(&file));
    let changed = |from: &str, to: &str| {
        assert!(file.contains(from), "{from}");
        !with(&file.replacen(from, to, 1))
    };
    assert!(changed(r#""maxPeerCount": 2"#, r#""maxPeerCount": 3"#));
    assert!(changed(
        r#""requiredPeerCount": 1"#,
        r#""requiredPeerCount": 0"#
    ));
    assert!(changed(r#""blockToLive": 100"#, r#""blockToLive": 0"#));
    assert!(changed(
        r#""memberOnlyRead": true"#,
        r#""memberOnlyRead": false"#
    ));
    assert!(changed("'MeadowMSP.member'", "'QuarryMSP.member'"));
    assert!(changed("OR('QuarryMSP.peer')", "OR('QuarryMSP.admin')"));
    assert!(changed(r#""name": "audit""#, r#""name": "audits""#));
    // Fabric compares definitions as bytes: the order of collections counts.
    let list: serde_json::Value = serde_json::from_str(&file).unwrap();
    let reversed: Vec<_> = list.as_array().unwrap().iter().rev().cloned().collect();
    assert!(!with(&serde_json::to_string(&reversed).unwrap()));
    // A definition without collections differs from one with them.
    let mut none = desired("1.0", LEDGER_POLICY);
    assert!(!matches("querycommitted-collections.json", &none));
    none[3].1 = flow::collections::canonical(&file).unwrap().to_string();
    assert!(!matches("querycommitted.json", &none));
}

#[test]
fn org_approval_compared_with_the_desired_one() {
    let mut env = desired("1.0", LEDGER_POLICY);
    env.push(("CC_PACKAGE_ID", HARBOR_PACKAGE.to_string()));
    assert!(matches("queryapproved.json", &env));
    env.last_mut().unwrap().1 = "ledger-notes_harbor:0000".into();
    assert!(!matches("queryapproved.json", &env));
}

#[test]
fn absent_definitions_are_told_from_unreachable_peers() {
    assert!(decides("definition_absent", "querycommitted-absent.err"));
    assert!(decides("definition_absent", "queryapproved-absent.err"));
    assert!(!decides(
        "definition_absent",
        "querycommitted-unreachable.err"
    ));
}

#[test]
fn init_is_done_once_per_version() {
    assert!(decides("already_initialized", "init-already.err"));
    assert!(!decides("already_initialized", "init-unreachable.err"));
}

#[test]
fn endorsers_and_approvers_come_from_the_org_table() {
    let orgs = r#"{"Harbor": {"mspId": "HarborMSP", "mspDir": "msp/harbor", "peers": ["p0.harbor:7051", "p1.harbor:7051"]},
                   "Quarry": {"mspId": "QuarryMSP", "mspDir": "msp/quarry", "peers": ["p0.quarry:7051"]}}"#;
    let env = |tls: &str| {
        vec![
            ("ORGS", orgs.to_string()),
            ("ENDORSERS", r#"["Quarry","Harbor"]"#.to_string()),
            ("EXTERNAL_APPROVERS", r#"["AtlantisMSP"]"#.to_string()),
            ("TLS_ENABLED", tls.to_string()),
        ]
    };
    let (ok, out) = lib(
        r#"endorser_args; printf '%s\n' "${PEER_ARGS[@]}"; approvers"#,
        "queryinstalled.json",
        &env("false"),
    );
    assert!(ok);
    assert_eq!(
        out,
        "--peerAddresses\np0.quarry:7051\n--peerAddresses\np0.harbor:7051\n\
         [\"QuarryMSP\",\"HarborMSP\",\"AtlantisMSP\"]\n"
    );
}

#[test]
fn commit_waits_for_the_approvals_of_the_chaincodes_orgs() {
    let missing = |approvers: &str, file: &str| {
        let (ok, out) = lib(
            "approvals_missing \"$APPROVERS\"",
            file,
            &[("APPROVERS", approvers.to_string())],
        );
        ok.then_some(out)
    };
    let all = r#"["HarborMSP","MeadowMSP","QuarryMSP"]"#;
    assert_eq!(
        missing(all, "checkcommitreadiness-ready.json").as_deref(),
        Some("")
    );
    assert_eq!(
        missing(all, "checkcommitreadiness-waiting.json").as_deref(),
        Some("MeadowMSP\n")
    );
    // Meadow does not run this chaincode: the channel's lifecycle policy
    // decides whether the others' approvals are enough.
    assert_eq!(
        missing(
            r#"["HarborMSP","QuarryMSP"]"#,
            "checkcommitreadiness-waiting.json"
        )
        .as_deref(),
        Some("")
    );
    // An org the channel lacks never approves.
    assert_eq!(
        missing(
            r#"["HarborMSP","AtlantisMSP"]"#,
            "checkcommitreadiness-ready.json"
        )
        .as_deref(),
        Some("AtlantisMSP\n")
    );
    // Anything but a readiness report is an error, not "all approved".
    assert_eq!(missing(all, "queryinstalled.json"), None);

    // Only approvals owed by other clusters' orgs are waited for.
    let listed = |ids: &str, list: &str| {
        lib(
            "all_listed \"$IDS\" \"$LIST\"",
            "checkcommitreadiness-ready.json",
            &[("IDS", ids.to_string()), ("LIST", list.to_string())],
        )
        .0
    };
    assert!(listed("MeadowMSP\n", r#"["MeadowMSP"]"#));
    assert!(!listed("MeadowMSP\nQuarryMSP", r#"["MeadowMSP"]"#));
    assert!(!listed("QuarryMSP", "[]"));
}

// ---- legacy lifecycle ----

#[test]
fn legacy_install_only_when_the_version_is_missing() {
    let installed = "peer-chaincode-list-installed.txt";
    assert!(decides("legacy_installed price-board 1.0", installed));
    // price-board-archive 2.0 is installed: a name that starts with this
    // one's is another chaincode.
    assert!(decides(
        "legacy_installed price-board-archive 2.0",
        installed
    ));
    assert!(!decides("legacy_installed price-board 2.0", installed));
    assert!(!decides("legacy_installed price 1.0", installed));
    assert!(!decides(
        "legacy_installed price-board 1.0",
        "peer-chaincode-list-installed-empty.txt"
    ));
}

#[test]
fn legacy_instantiate_or_upgrade_once_per_version() {
    let action = |name: &str, version: &str, file: &str| {
        let (ok, out) = lib(&format!("legacy_deploy_action {name} {version}"), file, &[]);
        assert!(ok);
        out.trim().to_string()
    };
    let listed = "peer-chaincode-list-instantiated.txt";
    assert_eq!(action("price-board", "1.0", listed), "none");
    assert_eq!(action("price-board", "2.0", listed), "upgrade");
    // Listed without a path (not installed on the asked peer) still counts.
    assert_eq!(action("ledger-notes", "2.0", listed), "none");
    assert_eq!(action("price", "1.0", listed), "instantiate");
    assert_eq!(
        action(
            "price-board",
            "1.0",
            "peer-chaincode-list-instantiated-empty.txt"
        ),
        "instantiate"
    );
}

/// Runs a lib.sh `call` without stdin; returns success, stdout and stderr.
fn lib_call(call: &str, env: &[(&str, String)]) -> (bool, String, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, out, err) = bash_lib(call, None, &env);
    (code == 0, out, err)
}

/// A lifecycle package shaped like fabchart's `type: source` ones, whose
/// code.tar.gz holds `files` (named in it: `src/...`, `META-INF/...`).
fn source_package(path: &Path, language: &str, files: &[(&str, &str)]) {
    fn tar_gz(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        ));
        for (name, content) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o100644);
            header.set_uid(500);
            header.set_gid(500);
            tar.append_data(&mut header, name, content.as_slice())
                .unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap()
    }
    let code = tar_gz(
        &files
            .iter()
            .map(|(n, c)| (n.to_string(), c.as_bytes().to_vec()))
            .collect::<Vec<_>>(),
    );
    let metadata = format!(r#"{{"path":"cc","type":"{language}","label":"cc_org"}}"#);
    std::fs::write(
        path,
        tar_gz(&[
            ("metadata.json".into(), metadata.into_bytes()),
            ("code.tar.gz".into(), code),
        ]),
    )
    .unwrap();
}

#[test]
fn legacy_install_takes_the_source_from_the_lifecycle_package() {
    let tmp = tempfile::tempdir().unwrap();
    let count = std::cell::Cell::new(0);
    let unpack = |language: &str, files: &[(&str, &str)]| {
        count.set(count.get() + 1);
        let package = tmp.path().join(format!("{}.tar.gz", count.get()));
        source_package(&package, language, files);
        let dest = tmp.path().join(count.get().to_string());
        let (ok, out, err) = lib_call(
            r#"legacy_source "$PKG" "$DEST" "$LANG_" cc
               printf '%s|%s|%s' "$LEGACY_PATH" "${GOPATH:-}" "${GO111MODULE:-}""#,
            &[
                ("PKG", package.display().to_string()),
                ("DEST", dest.display().to_string()),
                ("LANG_", language.to_string()),
            ],
        );
        assert!(ok, "{err}");
        (dest, out)
    };
    let index = "META-INF/statedb/couchdb/indexes/byOwner.json";

    // node (and java): `-p` is the unpacked folder, package.json at its top
    // and META-INF back in it, where `peer chaincode install` looks.
    let (dest, out) = unpack(
        "node",
        &[
            (index, "{}"),
            ("src/package.json", "{}"),
            ("src/lib/board.js", ""),
        ],
    );
    let path = format!("{}/code/src", dest.display());
    assert_eq!(out, format!("{path}||"));
    let path = Path::new(&path);
    assert!(path.join("package.json").is_file());
    assert!(path.join("lib/board.js").is_file());
    assert!(path.join(index).is_file());
    assert!(!dest.join("code/META-INF").exists());

    // A Go module: the folder too, with a GOPATH and cache of its own.
    let (dest, out) = unpack(
        "golang",
        &[
            (index, "{}"),
            ("src/go.mod", "module example.com/cc\n"),
            ("src/main.go", ""),
        ],
    );
    assert_eq!(out, format!("{0}/code/src|{0}/gopath|", dest.display()));
    assert!(dest.join("code/src").join(index).is_file());

    // Without META-INF nothing moves.
    let (dest, out) = unpack("java", &[("src/build.gradle", "")]);
    assert_eq!(out, format!("{}/code/src||", dest.display()));
    assert!(dest.join("code/src/build.gradle").is_file());
    assert!(!dest.join("code/src/META-INF").exists());

    // Go without go.mod: the package is already at src/<name>, so the
    // unpacked code is the GOPATH and `-p` the import path (the chaincode
    // name); META-INF goes into the package's folder.
    let (dest, out) = unpack(
        "golang",
        &[
            (index, "{}"),
            ("src/cc/main.go", ""),
            ("src/cc/store/store.go", ""),
        ],
    );
    assert_eq!(out, format!("cc|{}/code|off", dest.display()));
    assert!(dest.join("code/src/cc/main.go").is_file());
    assert!(dest.join("code/src/cc/store/store.go").is_file());
    assert!(dest.join("code/src/cc").join(index).is_file());
    assert!(!dest.join("code/META-INF").exists());
}

#[test]
fn legacy_definition_flags() {
    let args = |kind: &str, text: &str| {
        lib_call(
            r#"legacy_definition_args; printf '%s\n' "${LEGACY_ARGS[@]}""#,
            &[
                ("CC_POLICY_KIND", kind.to_string()),
                ("CC_POLICY_TEXT", text.to_string()),
            ],
        )
    };
    let (ok, out, _) = args("signature", "AND('HarborMSP.peer','QuarryMSP.peer')");
    assert!(ok);
    assert!(
        out.starts_with("-P\nAND('HarborMSP.peer','QuarryMSP.peer')\n"),
        "{out}"
    );
    let (ok, _, err) = args("channelConfig", "/Channel/Application/Endorsement");
    assert!(!ok && err.contains("no channel-config policies"), "{err}");
}

/// A copy of the legacy-lifecycle test project with each (file, edit) applied.
fn edited_legacy_project(edits: &[(&str, &dyn Fn(String) -> String)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    support::copy_tree(
        &support::root().join("tests/fixtures/projects/legacy-lifecycle"),
        tmp.path(),
    );
    for (name, edit) in edits {
        let file = tmp.path().join(name);
        let text = std::fs::read_to_string(&file).unwrap();
        let edited = edit(text.clone());
        assert_ne!(edited, text, "the edit changes {name}");
        std::fs::write(&file, edited).unwrap();
    }
    tmp
}

/// network.yaml with ccaas chaincode ledger-notes on the legacy channel too.
fn ccaas_on_archive(text: String) -> String {
    text.replace(
        "          policy: OR('HarborMSP.peer','MeadowMSP.peer','QuarryMSP.peer')\n",
        "          policy: OR('HarborMSP.peer','MeadowMSP.peer','QuarryMSP.peer')\n        - name: archive\n          orgs: [Harbor]\n",
    )
}

#[test]
fn ccaas_on_a_legacy_channel_is_refused_with_its_position() {
    let project = edited_legacy_project(&[("network.yaml", &ccaas_on_archive)]);
    let e = format!(
        "{:#}",
        render(project.path(), &options(Flow::Chaincode, &[])).unwrap_err()
    );
    assert!(e.contains("network.yaml:26:17"), "{e}");
    assert!(
        e.contains("chaincode `ledger-notes` runs as a service")
            && e.contains("channel `archive`")
            && e.contains("V1_4_2"),
        "{e}"
    );
    assert!(
        e.contains("to V2_0")
            && e.contains("type: source")
            && e.contains("peer.docker.dind.enabled"),
        "{e}"
    );
}

#[test]
fn channel_config_policy_on_a_legacy_channel_is_refused() {
    let project = edited_legacy_project(&[("network.yaml", &|t: String| {
        t.replace(
            "policy: AND('HarborMSP.peer','QuarryMSP.peer')",
            "channelConfigPolicy: /Channel/Application/Endorsement",
        )
    })]);
    let e = format!(
        "{:#}",
        render(project.path(), &options(Flow::Chaincode, &[])).unwrap_err()
    );
    assert!(
        e.contains("no channel-config endorsement policies") && e.contains("signature `policy`"),
        "{e}"
    );
}

#[test]
fn a_refused_capability_does_not_make_a_channel_legacy() {
    // The unknown capability is reported and left out of the list; the
    // channel is then not judged, so no legacy-lifecycle error follows.
    let project = edited_legacy_project(&[
        ("network.yaml", &ccaas_on_archive),
        ("configtx.yaml", &|t: String| {
            t.replace("V1_4_2: true", "V1_4_9: true")
        }),
    ]);
    let e = format!(
        "{:#}",
        render(project.path(), &options(Flow::Chaincode, &[])).unwrap_err()
    );
    assert!(e.contains("`V1_4_9` is unknown"), "{e}");
    assert!(!e.contains("legacy lifecycle"), "{e}");
}

#[test]
fn legacy_steps_only_where_a_channel_needs_them() {
    let legacy = render(
        &support::root().join("tests/fixtures/projects/legacy-lifecycle"),
        &options(Flow::Chaincode, &[]),
    )
    .unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&legacy).unwrap();
    let items = step_items(&workflow, &workflow["spec"]["templates"][0]["steps"][0][0]);
    let items = items.as_sequence().unwrap();
    let board = items
        .iter()
        .find(|i| i["chaincode"] == "price-board")
        .unwrap();
    let orgs = |key: &str| -> Vec<String> {
        board[key]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|o| o["org"].as_str().unwrap().to_string())
            .collect()
    };
    // Meadow is on the v2 channel only; Harbor and Quarry on both kinds.
    assert_eq!(orgs("orgs"), ["Harbor", "Meadow", "Quarry"]);
    assert_eq!(orgs("legacyOrgs"), ["Harbor", "Quarry"]);
    assert_eq!(board["commits"][0]["channel"], "trade");
    assert_eq!(board["legacyChannels"][0]["channel"], "archive");
    assert_eq!(board["legacyChannels"][0]["language"], "node");

    for sample in support::samples() {
        let text = render(&sample, &options(Flow::Chaincode, &[])).unwrap();
        assert!(!text.contains("chaincode-legacy"), "{}", sample.display());
    }
}

// ---- the config-update flows' decisions (peer-org, channel-update) ----

/// Runs `call` (a lib.sh or update-lib.sh function call), stdin from fixture
/// `stdin_file` (none: empty); returns whether it succeeded and its stdout.
fn update_lib(call: &str, stdin_file: Option<&str>, env: &[(&str, &str)]) -> (bool, String) {
    let (code, out, _) = bash_lib(call, stdin_file, env);
    (code == 0, out)
}

fn update_decides(call: &str, stdin_file: &str, env: &[(&str, &str)]) -> bool {
    decision(call, stdin_file, env)
        .unwrap_or_else(|| panic!("{call} < {stdin_file}: an error, not an answer"))
}

fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

/// The orgs of the recorded config: Application AtlantisMSP, KargaMSP,
/// NevergreenMSP; Orderer GroeifabriekMSP.
const CONFIG: &str = "config-with-anchors.json";

/// An org table as the config-update flows carry it (`orgs` parameter).
const ORG_TABLE: &str = r#"{
    "Atlantis": {"mspId": "AtlantisMSP", "secret": "hlf-admin--atlantis"},
    "Karga": {"mspId": "KargaMSP", "secret": "hlf-admin--karga"},
    "Cimmeria": {"mspId": "CimmeriaMSP", "secret": "hlf-admin--cimmeria"},
    "Valhalla": {"mspId": "ValhallaMSP"},
    "Groeifabriek": {"mspId": "GroeifabriekMSP", "secret": "hlf-admin--groeifabriek"}}"#;

#[test]
fn peer_org_adds_only_missing_orgs() {
    let missing = |want: &str| {
        let (ok, out) = update_lib(
            "channel_orgs_missing \"$WANT\" \"$ORGS\"",
            Some(CONFIG),
            &[("WANT", want), ("ORGS", ORG_TABLE)],
        );
        assert!(ok);
        out
    };
    assert_eq!(missing(r#"["Atlantis","Karga"]"#), "", "members already");
    assert_eq!(
        missing(r#"["Atlantis","Cimmeria","Valhalla"]"#),
        "Cimmeria\nValhalla\n"
    );

    // The group configtxgen -printOrg printed lands under its MSP ID, and
    // nothing else changes.
    let group = fixture_json("printorg-cimmeria.json");
    let groups = serde_json::json!({ "CimmeriaMSP": group }).to_string();
    let (ok, updated) = update_lib(
        "add_org_groups \"$GROUPS\"",
        Some(CONFIG),
        &[("GROUPS", &groups)],
    );
    assert!(ok);
    let updated: serde_json::Value = serde_json::from_str(&updated).unwrap();
    let mut expected = fixture_json(CONFIG);
    expected["channel_group"]["groups"]["Application"]["groups"]["CimmeriaMSP"] = group;
    assert_eq!(updated, expected);
}

#[test]
fn only_member_admins_sign() {
    let candidates = r#"{"Application": ["Atlantis", "Cimmeria"],
        "Orderer": ["Groeifabriek", "Karga"]}"#;
    let (ok, signers) = update_lib(
        "member_signers \"$CANDIDATES\" \"$ORGS\"",
        Some(CONFIG),
        &[("CANDIDATES", candidates), ("ORGS", ORG_TABLE)],
    );
    assert!(ok);
    let signers: serde_json::Value = serde_json::from_str(&signers).unwrap();
    assert_eq!(
        signers,
        serde_json::json!([
            {"org": "Atlantis", "secret": "hlf-admin--atlantis"},
            {"org": "Groeifabriek", "secret": "hlf-admin--groeifabriek"}
        ])
    );
}

/// `[{path, value}]` as `fabchart flow channel-update` emits it for `sets`.
fn desired_values(sets: &[&str]) -> String {
    desired_values_for(&options(Flow::ChannelUpdate, sets))
}

fn desired_values_for(options: &FlowOptions) -> String {
    let text = render(&support::root().join("samples/simple"), options).unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let items = &step_items(&workflow, &workflow["spec"]["templates"][0]["steps"][0][0]);
    serde_json::to_string(
        &serde_yaml::from_value::<serde_json::Value>(items[0]["desired"].clone()).unwrap(),
    )
    .unwrap()
}

#[test]
fn channel_update_changes_only_values_that_differ() {
    let application_v2_5 = desired_values(&[
        "update.scope=application",
        "update.application.capabilities.version=V2_5",
    ]);
    let differ = |desired: &str| {
        let (ok, out) = update_lib(
            "config_values_differ \"$DESIRED\"",
            Some(CONFIG),
            &[("DESIRED", desired)],
        );
        assert!(ok);
        out
    };
    assert_eq!(differ(&application_v2_5), "", "V2_5 is set already");
    let batch = desired_values(&[
        "update.scope=orderer",
        "update.orderer.batchTimeout=2s",
        "update.orderer.batchSize.absoluteMaxBytes=99 MB",
        "update.orderer.batchSize.maxMessageCount=10",
    ]);
    assert_eq!(differ(&batch), "", "the recorded config has these values");
    let changed = desired_values(&[
        "update.scope=orderer",
        "update.orderer.capabilities.version=V2_0",
        "update.orderer.batchTimeout=5s",
        "update.orderer.policies.Admins=ANY Admins",
    ]);
    assert_eq!(
        differ(&changed),
        ".channel_group.groups.Orderer.values.BatchTimeout.value.timeout\n\
         .channel_group.groups.Orderer.policies.Admins.policy\n"
    );

    // Setting them changes exactly those values, after which they hold.
    let (ok, updated) = update_lib(
        "config_set_values \"$DESIRED\"",
        Some(CONFIG),
        &[("DESIRED", &changed)],
    );
    assert!(ok);
    let updated: serde_json::Value = serde_json::from_str(&updated).unwrap();
    let mut expected = fixture_json(CONFIG);
    let orderer = &mut expected["channel_group"]["groups"]["Orderer"];
    orderer["values"]["BatchTimeout"]["value"]["timeout"] = "5s".into();
    orderer["policies"]["Admins"]["policy"]["value"]["rule"] = "ANY".into();
    assert_eq!(updated, expected);

    // A JSON path may create a policy: it gets mod_policy Admins. (A JSON
    // object comes as a string from a values file: --set reads {..} as a list.)
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("values.yaml");
    std::fs::write(
        &values,
        "update:\n  scope: application\n  application:\n    type: jsonPath\n    jsonPath:\n      \
         key: .channel_group.groups.Application.policies.Auditors.policy\n      \
         value: '{\"type\": 3, \"value\": {\"rule\": \"ANY\", \"sub_policy\": \"Readers\"}}'\n",
    )
    .unwrap();
    let created = desired_values_for(
        &FlowOptions::load(Flow::ChannelUpdate, &[&values], &[] as &[&str]).unwrap(),
    );
    let (ok, updated) = update_lib(
        "config_set_values \"$DESIRED\"",
        Some(CONFIG),
        &[("DESIRED", &created)],
    );
    assert!(ok, "{created}");
    let updated: serde_json::Value = serde_json::from_str(&updated).unwrap();
    assert_eq!(
        updated["channel_group"]["groups"]["Application"]["policies"]["Auditors"],
        serde_json::json!({"mod_policy": "Admins",
            "policy": {"type": 3, "value": {"rule": "ANY", "sub_policy": "Readers"}}})
    );
}

#[test]
fn a_rejected_update_is_told_apart_by_cause() {
    assert!(update_decides(
        "update_lacks_signatures",
        "channel-update-lacks-signatures.err",
        &[]
    ));
    assert!(update_decides(
        "update_lacks_signatures",
        "channel-update-signature-policy.err",
        &[]
    ));
    assert!(!update_decides(
        "update_lacks_signatures",
        "channel-update-stale.err",
        &[]
    ));
    assert!(!update_decides(
        "update_lacks_signatures",
        "querycommitted-unreachable.err",
        &[]
    ));
    assert!(update_decides(
        "channel_absent",
        "channel-fetch-not-found.err",
        &[]
    ));
    assert!(!update_decides(
        "channel_absent",
        "channel-fetch-forbidden.err",
        &[]
    ));
}

#[test]
fn update_files_are_checked_for_their_channel() {
    let decoded = "config-update-trade.json";
    assert!(update_decides("is_config_update_for trade", decoded, &[]));
    assert!(!update_decides(
        "is_config_update_for harbor-quarry",
        decoded,
        &[]
    ));
    assert!(!update_decides("is_config_update_for trade", CONFIG, &[]));
    // The decode (what the fake configtxlator prints) is that of the
    // recorded envelope: the same outer signature.
    let (_, _, outer) = envelope_parts(&std::fs::read(fixture("config-update-trade.pb")).unwrap());
    assert_eq!(fixture_json(decoded)["signature"], base64(&outer[0]));

    // A given update is signed now: waiting for one supplied on resume does
    // not go with it, and is refused rather than ignored.
    let e = render(
        &support::root().join("samples/simple"),
        &options(
            Flow::ChannelUpdate,
            &[
                "update.scope=application",
                "flow.channel.include={trade}",
                "update.file=tests/fixtures/flow/config-update-trade.pb",
                "flow.createUpdate.channel.enabled=false",
            ],
        ),
    )
    .unwrap_err();
    let e = format!("{e:#}");
    assert!(
        e.contains("update.file") && e.contains("flow.createUpdate.channel.enabled=false"),
        "{e}"
    );
}

/// `bytes` in base64, as configtxlator prints them in JSON.
fn base64(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// The top-level fields of one protobuf message, in order (varints as
/// decimal text): enough to take the recorded envelopes apart and compare
/// their parts byte for byte.
fn pb_fields(data: &[u8]) -> Vec<(u64, Vec<u8>)> {
    fn varint(data: &[u8], pos: &mut usize) -> u64 {
        let mut value = 0;
        let mut shift = 0;
        loop {
            let byte = data[*pos];
            *pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                return value;
            }
        }
    }
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let tag = varint(data, &mut pos);
        match tag & 7 {
            0 => out.push((tag >> 3, varint(data, &mut pos).to_string().into_bytes())),
            2 => {
                let len = varint(data, &mut pos) as usize;
                out.push((tag >> 3, data[pos..pos + len].to_vec()));
                pos += len;
            }
            other => panic!("wire type {other}"),
        }
    }
    out
}

fn pb_field(data: &[u8], number: u64) -> Vec<Vec<u8>> {
    pb_fields(data)
        .into_iter()
        .filter(|(n, _)| *n == number)
        .map(|(_, v)| v)
        .collect()
}

/// (payload.header, payload.data, signatures) of an Envelope: data is the
/// ConfigUpdateEnvelope of a config update, the signatures the envelope's
/// own (outer) one, if any.
fn envelope_parts(envelope: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<Vec<u8>>) {
    let payload = &pb_field(envelope, 1)[0];
    (
        pb_field(payload, 1).remove(0),
        pb_field(payload, 2).remove(0),
        pb_field(envelope, 2),
    )
}

/// The submit step merges the sign steps' signatures byte for byte into the
/// update (update-lib.sh). Against `peer channel signconfigtx` (recorded,
/// fixtures/flow/README.md): MeadowMSP's signature merged into HarborMSP's
/// signed update gives the very ConfigUpdateEnvelope that MeadowMSP's admin
/// signing after HarborMSP's wrote, under the update's own header; the sign
/// step's output is the signature signconfigtx added.
#[test]
fn signatures_merge_as_signconfigtx_adds_them() {
    let tmp = tempfile::tempdir().unwrap();
    let merged = tmp.path().join("merged.pb");
    let merged_arg = merged.to_str().unwrap();
    let (ok, _) = update_lib(
        "envelope_add_signatures config-update-trade.pb \"$OUT\" config-signature-meadow.pb",
        None,
        &[("OUT", merged_arg)],
    );
    assert!(ok);
    let (header, data, _) =
        envelope_parts(&std::fs::read(fixture("config-update-trade.pb")).unwrap());
    let (_, signed_in_turn, _) =
        envelope_parts(&std::fs::read(fixture("config-update-trade-meadow.pb")).unwrap());
    assert_ne!(data, signed_in_turn);
    let (merged_header, merged_data, outer) = envelope_parts(&std::fs::read(&merged).unwrap());
    assert_eq!(merged_header, header, "the update's header is kept");
    assert_eq!(
        merged_data, signed_in_turn,
        "the ConfigUpdateEnvelope signconfigtx writes"
    );
    assert!(outer.is_empty(), "the outer signature is dropped");

    // The sign step's output: the signature signconfigtx added last, as
    // configtxlator encodes it alone.
    let (ok, last) = update_lib(
        "last_signature config-update-trade-meadow.pb | base64 -w0",
        None,
        &[],
    );
    assert!(ok);
    let (ok, expected) = update_lib("base64 -w0 config-signature-meadow.pb", None, &[]);
    assert!(ok);
    assert_eq!(last, expected);

    // Merging nothing keeps the update as it is (outer signature aside).
    let (ok, _) = update_lib(
        "envelope_add_signatures config-update-trade.pb \"$OUT\"",
        None,
        &[("OUT", merged_arg)],
    );
    assert!(ok);
    let unchanged = envelope_parts(&std::fs::read(&merged).unwrap());
    assert_eq!(unchanged, (header, data, vec![]));
}

#[test]
fn config_update_outputs_are_read_only_where_they_exist() {
    // Argo leaves a reference to a skipped step's outputs unresolved; so every
    // step whose outputs another step reads must run whenever that one does:
    // it is in an earlier group of the same template and has no `when`.
    for (flow, sets) in [
        (Flow::PeerOrg, &[][..]),
        (Flow::ChannelUpdate, CHANNEL_UPDATE),
    ] {
        let text = render(
            &support::root().join("samples/simple"),
            &options(flow, sets),
        )
        .unwrap();
        let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        for template in workflow["spec"]["templates"].as_sequence().unwrap() {
            let Some(groups) = template["steps"].as_sequence() else {
                continue;
            };
            let mut earlier: Vec<&serde_yaml::Value> = Vec::new();
            for group in groups {
                let steps = group.as_sequence().unwrap();
                for step in steps {
                    let text = serde_yaml::to_string(step).unwrap();
                    for reference in text.split("{{steps.").skip(1) {
                        let name = reference.split('.').next().unwrap();
                        let producer =
                            earlier
                                .iter()
                                .find(|s| s["name"] == name)
                                .unwrap_or_else(|| {
                                    panic!(
                                        "{:?}: `{name}` is not an earlier step",
                                        template["name"]
                                    )
                                });
                        assert!(
                            producer.get("when").is_none(),
                            "{:?}: step `{name}` may be skipped",
                            template["name"]
                        );
                    }
                }
                earlier.extend(steps);
            }
        }
        // The wait step takes an update on resume, or nothing (its default).
        let wait = workflow["spec"]["templates"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "config-update-wait")
            .unwrap();
        assert_eq!(wait["outputs"]["parameters"][0]["valueFrom"]["default"], "");
        assert!(wait["outputs"]["parameters"][0]["valueFrom"]["supplied"].is_mapping());
    }
}

/// A channel-update option set for the size and structure tests.
const CHANNEL_UPDATE: &[&str] = &[
    "update.scope=channel",
    "update.channel.capabilities.version=V2_0",
    "update.channel.policies.Admins=MAJORITY Admins",
];

// ---- failures stop the steps ----

/// A decision on output it cannot read is an error that stops the step, not
/// a "no" that reads as "not joined", "not installed" or "different".
#[test]
fn decisions_on_unreadable_output_are_errors() {
    let not_json = "querycommitted-unreachable.err";
    for call in [
        "osn_channel_listed trade",
        "package_installed ledger-notes_harbor:00",
        "anchor_peers_set AtlantisMSP '[]'",
        "is_config_update_for trade",
    ] {
        assert_eq!(decision(call, not_json, &[]), None, "{call}");
    }
    // A validation parameter that did not decode.
    let env = desired("1.0", LEDGER_POLICY);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        decision("definition_matches ''", "querycommitted.json", &env),
        None
    );
    // A principal that is no MSP role is one no desired policy has: an answer.
    let decoded = fixture_json("validation-parameter-decoded.json").to_string();
    let identity = decoded.replacen(r#""principal":""#, r#""principal":"EgRub3Rh"#, 1);
    assert_ne!(identity, decoded);
    assert_eq!(
        decision(
            "definition_matches \"$DECODED\"",
            "querycommitted.json",
            &[env.as_slice(), &[("DECODED", identity.as_str())]].concat()
        ),
        Some(false)
    );
}

/// Every step stops on any error: bash steps with `set -euo pipefail` and
/// `inherit_errexit` (a failure inside `$(...)` counts), the rclone image's sh
/// steps with `set -o pipefail`, before anything else runs. No script loops
/// over `< <(...)` or declares `local x=$(...)`: no option reports a failure
/// there.
#[test]
fn steps_stop_on_every_error() {
    let dir = support::root().join("workflow-templates/scripts");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for line in text.lines() {
            let code = line.trim_start();
            if code.starts_with('#') {
                continue;
            }
            assert!(!code.contains("< <("), "{name}: {line}");
            assert!(
                !code
                    .strip_prefix("local ")
                    .is_some_and(|rest| rest.contains("=$(")),
                "{name}: {line}"
            );
        }
        if name.ends_with("lib.sh") {
            continue;
        }
        let wanted: &[&str] = if text.starts_with("#!/usr/bin/env bash\n") {
            &["set -euo pipefail", "shopt -s inherit_errexit"]
        } else {
            assert!(text.starts_with("#!/bin/sh\n"), "{name}");
            &["set -eu", "set -o pipefail"]
        };
        let first: Vec<&str> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .take(wanted.len())
            .collect();
        assert_eq!(first, wanted, "{name}");
        checked += 1;
    }
    assert!(checked > 15, "only {checked} steps");
}

/// Fakes of the Fabric CLIs for [`Pod`]: (command, sh body). They answer with
/// the recorded outputs in fixtures/flow/ (FAKE_QUERYINSTALLED and
/// FAKE_OSN_LIST name other files) and write what is asked of them.
const FAKE_FABRIC: &[(&str, &str)] = &[
    (
        "peer",
        r#"case "$1 $2" in
  "channel list") cat "$FIXTURES/peer-channel-list-joined.txt" ;;
  "channel fetch") printf 'block' > "$4" ;;
  "lifecycle chaincode")
    case $3 in
      queryinstalled) cat "${FAKE_QUERYINSTALLED:-$FIXTURES/queryinstalled.json}" ;;
      querycommitted) cat "$FIXTURES/querycommitted.json" ;;
      queryapproved) cat "$FIXTURES/queryapproved.json" ;;
      checkcommitreadiness) cat "$FIXTURES/checkcommitreadiness-ready.json" ;;
    esac
    ;;
esac"#,
    ),
    (
        "osnadmin",
        r#"case "$1 $2" in
  "channel list") cat "${FAKE_OSN_LIST:-$FIXTURES/osnadmin-list-trade.txt}" ;;
  "channel join") cat "$FIXTURES/osnadmin-join-created.txt" ;;
esac"#,
    ),
    (
        "configtxlator",
        r#"type="" output="" previous=""
for arg in "$@"; do
  case $previous in
    --type) type=$arg ;;
    --output) output=$arg ;;
  esac
  previous=$arg
done
case "$1 $type" in
  "proto_decode common.Block")
    jq '{data: {data: [{payload: {data: {config: .}}}]}}' "$FIXTURES/config-with-anchors.json" ;;
  "proto_decode protos.ApplicationPolicy") cat "$FIXTURES/validation-parameter-decoded.json" ;;
  "proto_decode common.Envelope") cat "$FIXTURES/config-update-trade.json" ;;
  "proto_decode common.ConfigUpdate") echo '{}' ;;
  *) printf 'pb' > "$output" ;;
esac"#,
    ),
    (
        "configtxgen",
        r#"output="" previous=""
for arg in "$@"; do
  [ "$previous" != -outputBlock ] || output=$arg
  previous=$arg
done
[ -z "$output" ] || printf 'block' > "$output""#,
    ),
];

/// A bash step as the workflow carries it (libraries inlined), run with the
/// pod's folders (/tmp, /crypto, /configtx, /package) moved into a temporary
/// folder and the fakes of [`FAKE_FABRIC`] first on PATH. Every fake logs its
/// command line, and fails (printing an error, or the file FAKE_ERR) when
/// that line contains FAKE_FAIL.
struct Pod {
    dir: tempfile::TempDir,
}

impl Pod {
    fn new() -> Pod {
        let pod = Pod {
            dir: tempfile::tempdir().unwrap(),
        };
        for folder in ["crypto/admin", "configtx", "package", "bin"] {
            std::fs::create_dir_all(pod.path(folder)).unwrap();
        }
        // The admin identity POD_ORGS lists, and a configtx tree of no files.
        std::fs::write(pod.path("crypto/admin/cert"), "cert").unwrap();
        std::fs::write(pod.path("configtx/items"), "").unwrap();
        for (name, body) in FAKE_FABRIC {
            pod.fake(name, body);
        }
        pod
    }

    /// Where absolute `path` of the pod is.
    fn path(&self, path: &str) -> PathBuf {
        self.dir.path().join(path.trim_start_matches('/'))
    }

    fn fake(&self, name: &str, body: &str) {
        use std::os::unix::fs::PermissionsExt;
        let file = self.path("bin").join(name);
        let text = format!(
            r#"#!/bin/sh
printf '%s\n' "{name} $*" >> "$FAKE_CALLS"
if [ -n "${{FAKE_FAIL:-}}" ]; then
  case "{name} $*" in
    *"$FAKE_FAIL"*)
      if [ -n "${{FAKE_ERR:-}}" ]; then cat "$FAKE_ERR" >&2; else echo "Error: {name} failed (fake)" >&2; fi
      exit 1
      ;;
  esac
fi
{body}
"#
        );
        std::fs::write(&file, text).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Runs step `name` with `env` in a fresh /tmp; returns whether it
    /// succeeded and its output.
    fn run(&self, name: &str, env: &[(&str, String)]) -> (bool, String) {
        self.run_script(&flow::script(name).unwrap(), env)
    }

    /// Runs `call` with lib.sh sourced as a step would.
    fn run_lib(&self, call: &str, env: &[(&str, String)]) -> (bool, String) {
        let lib =
            std::fs::read_to_string(support::root().join("workflow-templates/scripts/lib.sh"))
                .unwrap();
        let options = bash_step_options().replace("; ", "\n");
        self.run_script(&format!("{options}\n{lib}\n{call}\n"), env)
    }

    fn run_script(&self, text: &str, env: &[(&str, String)]) -> (bool, String) {
        let tmp = self.path("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).unwrap();
        let _ = std::fs::remove_file(self.path("calls"));
        let script = self.path("step.sh");
        std::fs::write(&script, pod_paths(text, self.dir.path())).unwrap();
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap()
        );
        let out = Command::new("bash")
            .arg(&script)
            .env_clear()
            .env("PATH", path)
            .env("FAKE_CALLS", self.path("calls"))
            .env("FIXTURES", fixture(""))
            // Where the mounts are, as a workflow step gets them, below the pod's folder.
            .envs(fabchart::model::pod::step_env().into_iter().map(|(k, v)| {
                let v = match v.strip_prefix('/') {
                    Some(rel) => self.dir.path().join(rel).display().to_string(),
                    None => v,
                };
                (k, v)
            }))
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// The command lines of the fakes the last run called.
    fn calls(&self) -> String {
        std::fs::read_to_string(self.path("calls")).unwrap_or_default()
    }
}

/// `script` with each word that starts with one of the pod's folders (/tmp,
/// /crypto, /configtx, /package) moved under `root`.
fn pod_paths(script: &str, root: &Path) -> String {
    const FOLDERS: [&str; 4] = ["/tmp", "/crypto", "/configtx", "/package"];
    let root = root.to_str().unwrap();
    let mut out = String::with_capacity(script.len());
    let mut previous = '\n';
    for (i, c) in script.char_indices() {
        let rest = &script[i..];
        let folder = FOLDERS.iter().any(|f| {
            rest.strip_prefix(f)
                .is_some_and(|after| after.starts_with(['/', ' ', '"', '\n']))
        });
        if folder && matches!(previous, ' ' | '\n' | '"' | '=' | '(' | '<' | '>') {
            out.push_str(root);
        }
        out.push(c);
        previous = c;
    }
    out
}

/// One org, Atlantis, with the anchor peer config-with-anchors.json has.
const POD_ORGS: &str = r#"{"Atlantis": {"mspId": "AtlantisMSP", "mspDir": "peerOrganizations/atlantis/msp",
    "secret": "hlf-admin--atlantis", "peers": ["hlf-peer--atlantis--peer0:7051"],
    "anchorPeers": [{"host": "hlf-peer--atlantis--peer0", "port": 7051}],
    "adminFiles": [{"key": "cert", "mount": "msp/signcerts/cert.pem"}]}}"#;

/// The environment every pod step gets: Atlantis's admin, the orderer.
fn pod_env(vars: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut env: Vec<(&'static str, String)> = [
        ("CHANNEL", "trade"),
        ("ORG", "Atlantis"),
        ("ORGS", POD_ORGS),
        ("TLS_ENABLED", "false"),
        ("ORDERER_ADDRESS", "hlf-orderer--beacon--orderer0:7050"),
        ("ORDERER_TLS_CA", "/tmp/configtx/tlsca.pem"),
        ("WORKFLOW_NAME", "flow-x"),
        ("WORKFLOW_NAMESPACE", "default"),
    ]
    .iter()
    .map(|(k, v)| (*k, v.to_string()))
    .collect();
    env_set(&mut env, vars);
    env
}

/// `env` with `vars` set (replaced where set already).
fn env_set(env: &mut Vec<(&'static str, String)>, vars: &[(&'static str, &str)]) {
    for (key, value) in vars {
        env.retain(|(k, _)| k != key);
        env.push((key, value.to_string()));
    }
}

fn with(
    env: &[(&'static str, String)],
    vars: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let mut env = env.to_vec();
    env_set(&mut env, vars);
    env
}

/// The desired definition of ledger-notes on trade: the committed one of
/// querycommitted.json.
fn ledger_definitions() -> String {
    let policy = flow::policy::signature_policy_json(LEDGER_POLICY).unwrap();
    serde_json::json!({"trade": {
        "initRequired": false,
        "policyKind": "signature",
        "policyText": LEDGER_POLICY,
        "policy": flow::policy::canonical_text(&policy),
        "collections": [],
        "collectionsConfig": null,
    }})
    .to_string()
}

/// plan_sequence: the committed definition's sequence, the next one for a
/// changed definition, 1 when none is committed; a tool that fails stops it
/// (a policy that did not decode is no changed definition).
#[test]
fn sequence_plans_stop_when_a_tool_fails() {
    let pod = Pod::new();
    let definitions = ledger_definitions();
    let plan = |vars: &[(&'static str, &str)]| {
        let mut env = pod_env(&[
            ("CC_NAME", "ledger-notes"),
            ("CC_VERSION", "1.0"),
            ("DEFINITIONS", definitions.as_str()),
        ]);
        env_set(&mut env, vars);
        let (ok, log) = pod.run_lib(
            "load_definition trade\nplan=$(plan_sequence trade)\necho \"plan: $plan\"",
            &env,
        );
        match log.split_once("plan: ") {
            Some((_, plan)) if ok => Ok(plan.trim().to_string()),
            _ => Err(log),
        }
    };
    assert_eq!(plan(&[]).as_deref(), Ok("1 true"));
    assert_eq!(plan(&[("CC_VERSION", "2.0")]).as_deref(), Ok("2 false"));
    let err = |name: &str| fixture(name).to_str().unwrap().to_string();
    let absent = err("querycommitted-absent.err");
    assert_eq!(
        plan(&[
            ("FAKE_FAIL", "chaincode querycommitted"),
            ("FAKE_ERR", absent.as_str())
        ])
        .as_deref(),
        Ok("1 false")
    );
    let unreachable = err("querycommitted-unreachable.err");
    let log = plan(&[
        ("FAKE_FAIL", "chaincode querycommitted"),
        ("FAKE_ERR", unreachable.as_str()),
    ])
    .unwrap_err();
    assert!(log.contains("failed to connect"), "{log}");
    let log = plan(&[("FAKE_FAIL", "configtxlator proto_decode")]).unwrap_err();
    assert!(log.contains("configtxlator failed"), "{log}");
}

/// The chaincode steps stop when the peer or configtxlator fails or answers
/// what they cannot read, instead of installing, approving or committing.
#[test]
fn chaincode_steps_stop_when_a_tool_fails() {
    let pod = Pod::new();
    let definitions = ledger_definitions();
    let commit = pod_env(&[
        ("CC_NAME", "ledger-notes"),
        ("CC_VERSION", "1.0"),
        ("DEFINITIONS", definitions.as_str()),
        ("ENDORSERS", r#"["Atlantis"]"#),
        ("EXTERNAL_APPROVERS", "[]"),
        ("APPROVAL_WAIT_MINUTES", "0"),
        ("INIT_ARGS", r#"{"Args":[]}"#),
    ]);
    let (ok, log) = pod.run("chaincode-commit", &commit);
    assert!(ok && log.contains("is committed on trade"), "{log}");
    // A committed policy that did not decode is no changed definition.
    let (ok, log) = pod.run(
        "chaincode-commit",
        &with(&commit, &[("FAKE_FAIL", "configtxlator proto_decode")]),
    );
    assert!(!ok && log.contains("configtxlator failed"), "{log}");
    assert!(
        !pod.calls().contains("checkcommitreadiness"),
        "{}",
        pod.calls()
    );

    source_package(
        &pod.path("/package/package.tar.gz"),
        "node",
        &[("src/package.json", "{}")],
    );
    let org = pod_env(&[
        ("CC_NAME", "ledger-notes"),
        ("CC_VERSION", "1.0"),
        ("DEFINITIONS", definitions.as_str()),
        ("CHANNELS", r#"["trade"]"#),
        ("INSTALL_ENABLED", "true"),
        ("APPROVE_ENABLED", "true"),
    ]);
    let (ok, log) = pod.run("chaincode-org", &org);
    assert!(
        ok && log.contains("installed cc_org:") && log.contains("Atlantis approved"),
        "{log}"
    );
    let not_json = fixture("querycommitted-unreachable.err");
    for (vars, error) in [
        (
            &[("FAKE_FAIL", "chaincode queryinstalled")][..],
            "peer failed",
        ),
        (
            &[("FAKE_QUERYINSTALLED", not_json.to_str().unwrap())][..],
            "package_installed: cannot decide",
        ),
    ] {
        let (ok, log) = pod.run("chaincode-org", &with(&org, vars));
        assert!(!ok && log.contains(error), "{log}");
        assert!(
            !pod.calls().contains("chaincode install"),
            "{}",
            pod.calls()
        );
    }
    for (vars, error) in [
        (&[("CHANNELS", "trade")][..], "parse error"),
        (
            &[("FAKE_FAIL", "configtxlator proto_decode")][..],
            "configtxlator failed",
        ),
    ] {
        let (ok, log) = pod.run("chaincode-org", &with(&org, vars));
        assert!(!ok && log.contains(error), "{log}");
        assert!(!pod.calls().contains("queryapproved"), "{}", pod.calls());
    }
    // A package tar cannot read has no package ID.
    std::fs::write(pod.path("/package/package.tar.gz"), "not a package").unwrap();
    let (ok, log) = pod.run("chaincode-org", &org);
    assert!(!ok, "{log}");
    assert!(
        !pod.calls().contains("chaincode install"),
        "{}",
        pod.calls()
    );
}

/// The channel steps stop when osnadmin, the peer or configtxlator fails or
/// answers what they cannot read, instead of joining or updating.
#[test]
fn channel_steps_stop_when_a_tool_fails() {
    let pod = Pod::new();
    let orderers = pod_env(&[
        ("PROFILE", "trade"),
        (
            "CONSENTERS",
            r#"[{"org": "beacon", "mspId": "BeaconMSP", "host": "hlf-orderer--beacon--orderer0",
                 "port": 7050, "adminPort": 7053}]"#,
        ),
    ]);
    let (ok, log) = pod.run("channel-orderers", &orderers);
    assert!(
        ok && log.contains("every consenter has joined trade"),
        "{log}"
    );
    let empty = fixture("osnadmin-list-empty.txt");
    let (ok, log) = pod.run(
        "channel-orderers",
        &with(&orderers, &[("FAKE_OSN_LIST", empty.to_str().unwrap())]),
    );
    assert!(ok && pod.calls().contains("osnadmin channel join"), "{log}");
    let garbled = pod.path("garbled.txt");
    std::fs::write(&garbled, "Status: 200\n<html>502 Bad Gateway</html>\n").unwrap();
    for (vars, error) in [
        (
            &[("FAKE_FAIL", "osnadmin channel list")][..],
            "osnadmin failed",
        ),
        (
            &[("FAKE_OSN_LIST", garbled.to_str().unwrap())][..],
            "osn_channel_listed: cannot decide",
        ),
        (&[("CONSENTERS", "[")][..], "parse error"),
    ] {
        let (ok, log) = pod.run("channel-orderers", &with(&orderers, vars));
        assert!(!ok && log.contains(error), "{log}");
        assert!(!log.contains("every consenter has joined"), "{log}");
        assert!(!pod.calls().contains("channel join"), "{}", pod.calls());
    }

    let org = pod_env(&[]);
    let (ok, log) = pod.run("channel-org", &org);
    assert!(
        ok && log.contains("has joined trade") && log.contains("are set"),
        "{log}"
    );
    let (ok, log) = pod.run(
        "channel-org",
        &with(&org, &[("FAKE_FAIL", "peer channel list")]),
    );
    assert!(!ok && log.contains("peer failed"), "{log}");
    assert!(!pod.calls().contains("channel join"), "{}", pod.calls());
    // A config block that did not decode holds no anchor peers.
    let (ok, log) = pod.run(
        "channel-org",
        &with(&org, &[("FAKE_FAIL", "--type common.Block")]),
    );
    assert!(!ok && log.contains("configtxlator failed"), "{log}");
    assert!(!pod.calls().contains("channel update"), "{}", pod.calls());
}

/// The config-update steps tell a channel that is not there from a fetch
/// that failed, and stop on a config that does not decode or signatures
/// they cannot read.
#[test]
fn config_update_steps_stop_when_a_tool_fails() {
    let pod = Pod::new();
    let peer_org = pod_env(&[
        ("DESIRED", r#"["Atlantis"]"#),
        ("CANDIDATES", r#"{"Application": ["Atlantis"]}"#),
        ("CREATE_ENABLED", "true"),
    ]);
    let (ok, log) = pod.run("peer-org-prepare", &peer_org);
    assert!(ok && log.contains("nothing to do"), "{log}");
    let err = |name: &str| fixture(name).to_str().unwrap().to_string();
    let not_found = err("channel-fetch-not-found.err");
    let (ok, log) = pod.run(
        "peer-org-prepare",
        &with(
            &peer_org,
            &[
                ("FAKE_FAIL", "peer channel fetch"),
                ("FAKE_ERR", not_found.as_str()),
            ],
        ),
    );
    assert!(ok && log.contains("does not exist yet"), "{log}");
    let forbidden = err("channel-fetch-forbidden.err");
    let (ok, log) = pod.run(
        "peer-org-prepare",
        &with(
            &peer_org,
            &[
                ("FAKE_FAIL", "peer channel fetch"),
                ("FAKE_ERR", forbidden.as_str()),
            ],
        ),
    );
    assert!(!ok && log.contains("FORBIDDEN"), "{log}");
    let (ok, log) = pod.run(
        "peer-org-prepare",
        &with(&peer_org, &[("FAKE_FAIL", "--type common.Block")]),
    );
    assert!(!ok && log.contains("configtxlator failed"), "{log}");
    assert!(!log.contains("does not exist yet"), "{log}");

    let desired = desired_values(&[
        "update.scope=application",
        "update.application.capabilities.version=V2_5",
    ]);
    let channel_update = pod_env(&[
        ("DESIRED", desired.as_str()),
        ("CANDIDATES", r#"{"Application": ["Atlantis"]}"#),
        ("CREATE_ENABLED", "true"),
    ]);
    let (ok, log) = pod.run("channel-update-prepare", &channel_update);
    assert!(ok && log.contains("holds every value already"), "{log}");
    for fail in ["peer channel fetch", "--type common.Block"] {
        let (ok, log) = pod.run(
            "channel-update-prepare",
            &with(&channel_update, &[("FAKE_FAIL", fail)]),
        );
        assert!(!ok && log.contains("failed (fake)"), "{log}");
    }

    let recorded = |name: &str| base64(&std::fs::read(fixture(name)).unwrap());
    let update = recorded("config-update-trade.pb");
    let signatures = serde_json::json!([recorded("config-signature-meadow.pb")]).to_string();
    let submit = pod_env(&[
        ("UPDATE", update.as_str()),
        ("SIGNATURES", signatures.as_str()),
        ("SEND_ENABLED", "true"),
    ]);
    let (ok, log) = pod.run("config-update-submit", &submit);
    assert!(
        ok && log.contains("merged 1 signature(s)") && log.contains("sent the config update"),
        "{log}"
    );
    // Signatures that cannot be read are not "no signatures".
    let (ok, log) = pod.run(
        "config-update-submit",
        &with(&submit, &[("SIGNATURES", "not json")]),
    );
    assert!(!ok && log.contains("parse error"), "{log}");
    assert!(!pod.calls().contains("channel update"), "{}", pod.calls());
}

// ---- backup and restore: decisions and scripts ----

/// The claims the flows copy are the ones the chart's StatefulSets make:
/// render every sample's chart with persistence on through a real Helm
/// engine and compare `<claim template>-<StatefulSet>-0` with the workflow.
#[test]
fn flows_copy_the_claims_the_chart_makes() {
    const RENDER: &str = r#"
import json, sys, yaml, helm_python
values = {k: {"persistence": {"enabled": True}} for k in ("peer", "orderer", "couchdb")}
values["ca"] = {"enabled": True, "persistence": {"enabled": True}}
with helm_python.Chart.load(sys.argv[1]) as chart:
    out = chart.render(values, name="hlf-kube", namespace="fabric", is_install=True)
claims = []
for path, text in out.items():
    if not path.endswith(".yaml"):
        continue
    for doc in yaml.safe_load_all(text):
        if doc and doc.get("kind") == "StatefulSet":
            name = doc["metadata"]["name"]
            mounts = [m["name"] for c in doc["spec"]["template"]["spec"]["containers"] for m in c.get("volumeMounts", [])]
            for t in doc["spec"].get("volumeClaimTemplates", []):
                if t["metadata"]["name"] in mounts and t["metadata"]["name"] != "docker":
                    claims.append(f'{t["metadata"]["name"]}-{name}-0')
print(json.dumps(sorted(claims)))
"#;
    for sample in support::samples() {
        let (_tmp, chart) = support::compile_sample(&sample);
        let out = Command::new("python3")
            .args(["-c", RENDER])
            .arg(&chart)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let chart_claims: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
        let text = render(
            &sample,
            &options(
                Flow::Backup,
                &[
                    "backup.target.secret=backup-s3",
                    "backup.dryRun=true",
                    "flow.ca.backup.enabled=true",
                ],
            ),
        )
        .unwrap();
        let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let main = &workflow["spec"]["templates"][0];
        let mut flow_claims: Vec<String> = step_items(&workflow, &main["steps"][1][0])
            .as_sequence()
            .unwrap()
            .iter()
            .map(|i| i["claim"].as_str().unwrap().to_string())
            .collect();
        flow_claims.sort();
        assert!(!flow_claims.is_empty());
        assert_eq!(flow_claims, chart_claims, "{}", sample.display());
    }
}

/// The shells the backup scripts are checked with: `sh`, and busybox's (the
/// rclone image's shell) when it is installed.
fn posix_shells() -> Vec<Vec<&'static str>> {
    let mut shells = vec![vec!["sh"]];
    if Command::new("busybox").arg("true").output().is_ok() {
        shells.push(vec!["busybox", "sh"]);
    }
    shells
}

/// Runs `call` (a backup-lib.sh function call) in every POSIX shell with the
/// library sourced and `stdin` as input; checks they agree and returns
/// whether it succeeded and its stdout.
fn backup_lib(call: &str, stdin: &[u8], env: &[(&str, &str)]) -> (bool, String) {
    use std::io::Write;
    let lib = support::root().join("workflow-templates/scripts/backup-lib.sh");
    let mut results = Vec::new();
    for shell in posix_shells() {
        let mut cmd = Command::new(shell[0]);
        cmd.args(&shell[1..])
            .arg("-c")
            .arg(format!("set -eu; . \"$LIB\"; {call}"))
            .env("LIB", &lib)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        results.push((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
    }
    assert!(
        results.windows(2).all(|w| w[0] == w[1]),
        "{call}: the shells disagree: {results:?}"
    );
    results.remove(0)
}

fn backup_decides(call: &str, env: &[(&str, &str)]) -> (bool, String) {
    let (ok, out) = backup_lib(call, b"", env);
    (ok, out.trim().to_string())
}

/// The jq filters the workflow's `get-statefulset` step runs (Argo applies
/// them to `kubectl get -o json`), by output name.
fn statefulset_filters() -> Vec<(String, String)> {
    let sample = support::root().join("samples/simple");
    let text = render(
        &sample,
        &options(Flow::Backup, &["backup.target.secret=backup-s3"]),
    )
    .unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let get = workflow["spec"]["templates"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "get-statefulset")
        .unwrap()
        .clone();
    get["outputs"]["parameters"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["valueFrom"]["jqFilter"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What the workflow's filters read from a recorded StatefulSet.
fn read_statefulset(fixture_name: &str) -> std::collections::HashMap<String, String> {
    statefulset_filters()
        .into_iter()
        .map(|(name, filter)| {
            let out = Command::new("jq")
                .args(["-rc", &filter])
                .arg(fixture(fixture_name))
                .output()
                .expect("jq is installed");
            assert!(out.status.success(), "jq {filter}");
            (
                name,
                String::from_utf8_lossy(&out.stdout).trim_end().to_string(),
            )
        })
        .collect()
}

/// (volume state, replicas to resume) for a recorded StatefulSet whose claim
/// read ended in `claim_phase`.
fn plan_for(fixture_name: &str, claim_phase: &str) -> (String, String) {
    let read = read_statefulset(fixture_name);
    let env = [
        ("CLAIMS", read["claims"].as_str()),
        ("PHASE", claim_phase),
        ("RESUME", read["resume"].as_str()),
        ("REPLICAS", read["replicas"].as_str()),
    ];
    let (ok, state) = backup_decides("volume_state \"$CLAIMS\" data \"$PHASE\"", &env);
    assert!(ok);
    let (ok, replicas) = backup_decides("replicas_to_resume \"$RESUME\" \"$REPLICAS\"", &env);
    assert!(ok);
    (state, replicas)
}

#[test]
fn statefulsets_are_read_and_judged_before_they_are_stopped() {
    let plan = |f: &str, phase: &str| {
        let (state, replicas) = plan_for(f, phase);
        (state, replicas)
    };
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        plan("statefulset-persistent.json", "Succeeded"),
        s("persistent", "1")
    );
    // Persistence off: the data is an emptyDir; refused whatever the claim.
    assert_eq!(
        plan("statefulset-emptydir.json", "Failed"),
        s("emptydir", "1")
    );
    // Left at 0 by an interrupted run: its annotation says what to come back to.
    assert_eq!(
        plan("statefulset-stopped-by-flow.json", "Succeeded"),
        s("persistent", "1")
    );
    // Persistence on, but no pod ever ran: no claim to copy.
    assert_eq!(
        plan("statefulset-launchpods-off.json", "Failed"),
        s("unclaimed", "0")
    );
    assert!(!backup_decides("replicas_to_resume '' ''", &[]).0);
    assert!(!backup_decides("replicas_to_resume 'one' 1", &[]).0);
}

#[test]
fn backups_are_complete_only_with_their_manifest() {
    let listing = |f: &str| std::fs::read(fixture(f)).unwrap();
    assert!(backup_lib("backup_complete", &listing("rclone-lsf-complete.txt"), &[]).0);
    assert!(
        !backup_lib(
            "backup_complete",
            &listing("rclone-lsf-incomplete.txt"),
            &[]
        )
        .0
    );
}

#[test]
fn manifests_are_looked_up_exactly() {
    let manifest = std::fs::read(fixture("manifest.sha256")).unwrap();
    let (ok, sum) = backup_lib("manifest_sum harbor/peer0/couchdb.tar.gz", &manifest, &[]);
    assert!(ok);
    assert_eq!(
        sum.trim(),
        "9a8b7c6d5e4f30211f2e3d4c5b6a798897a6b5c4d3e2f1000f1e2d3c4b5a6978"
    );
    assert!(!backup_lib("manifest_sum harbor/peer1/peer.tar.gz", &manifest, &[]).0);
    // A prefix of a listed archive is not that archive.
    assert!(!backup_lib("manifest_sum harbor/peer0/peer.tar", &manifest, &[]).0);
    let twice = [manifest.clone(), manifest.clone()].concat();
    assert!(!backup_lib("manifest_sum harbor/peer0/peer.tar.gz", &twice, &[]).0);

    let file = fixture("manifest.sha256");
    let file = file.to_str().unwrap();
    let (ok, missing) = backup_lib(
        &format!("missing_archives '{file}'"),
        b"harbor/peer0/peer.tar.gz\nbeacon/orderer0/orderer.tar.gz\n",
        &[],
    );
    assert!(ok && missing.is_empty(), "{missing}");
    let (ok, missing) = backup_lib(
        &format!("missing_archives '{file}'"),
        b"harbor/peer0/peer.tar.gz\nmeadow/peer0/peer.tar.gz\nmeadow/peer0/couchdb.tar.gz",
        &[],
    );
    assert!(!ok);
    assert_eq!(
        missing,
        "meadow/peer0/peer.tar.gz\nmeadow/peer0/couchdb.tar.gz\n"
    );
}

/// Builds the folder tree a volume listing fixture describes.
fn volume_tree(dir: &Path, listing: &str) {
    std::fs::create_dir_all(dir).unwrap();
    for line in std::fs::read_to_string(fixture(listing)).unwrap().lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let path = dir.join(line.trim_end_matches('/'));
        if line.ends_with('/') {
            std::fs::create_dir_all(&path).unwrap();
        } else {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"x").unwrap();
        }
    }
}

#[test]
fn volumes_are_told_empty_fresh_or_holding_channel_data() {
    let tmp = tempfile::tempdir().unwrap();
    let content = |kind: &str, dir: &Path| {
        let (ok, out) = backup_decides(
            &format!("volume_content {kind} \"$DIR\""),
            &[("DIR", dir.to_str().unwrap())],
        );
        assert!(ok, "volume_content {kind}");
        out
    };
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(empty.join("lost+found")).unwrap();
    std::fs::create_dir_all(empty.join(".fabchart-restore/ledgersData")).unwrap();
    for kind in ["peer", "couchdb", "orderer"] {
        assert_eq!(content(kind, &empty), "empty");
        for (state, expected) in [("fresh", "fresh"), ("ledger", "data")] {
            let dir = tmp.path().join(format!("{kind}-{state}"));
            volume_tree(&dir, &format!("volume-{kind}-{state}.txt"));
            assert_eq!(content(kind, &dir), expected, "{kind} {state}");
        }
    }
    // A peer's ledger on an orderer's volume is no orderer ledger (and back).
    assert_eq!(content("orderer", &tmp.path().join("peer-ledger")), "fresh");
    assert!(!backup_decides("volume_content kafka /", &[]).0);
    // A volume find cannot read is not one without channel databases.
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        bin.join("find"),
        "#!/bin/sh\necho \"find: $1: Input/output error\" >&2\nexit 1\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("find"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let dir = tmp.path().join("couchdb-fresh");
    let (ok, out) = backup_decides(
        "volume_content couchdb \"$DIR\"",
        &[("DIR", dir.to_str().unwrap()), ("PATH", &path)],
    );
    assert!(!ok, "{out}");

    for (content, force, allowed) in [
        ("empty", "false", true),
        ("fresh", "false", true),
        ("data", "false", false),
        ("data", "true", true),
    ] {
        assert_eq!(
            backup_decides(&format!("restore_allowed {content} {force}"), &[]).0,
            allowed,
            "{content} {force}"
        );
    }
}

#[test]
fn backup_selection_names_what_exists() {
    let sample = support::root().join("samples/scaled-raft-tls");
    let error = |sets: &[&str]| {
        let mut all = vec!["backup.target.secret=backup-s3"];
        all.extend(sets);
        format!(
            "{:#}",
            render(&sample, &options(Flow::Backup, &all)).unwrap_err()
        )
    };
    let e = error(&["flow.backup.include={Harbour}"]);
    assert!(
        e.contains("no org `Harbour`") && e.contains("Beacon, Lighthouse, Harbor"),
        "{e}"
    );
    let e = error(&["flow.backup.include={Harbor/peer7}"]);
    assert!(e.contains("its nodes: peer0, peer1"), "{e}");
    let e = error(&[
        "flow.backup.include={Beacon}",
        "flow.orderer.backup.enabled=false",
    ]);
    assert!(e.contains("nothing to copy"), "{e}");
    let e = error(&["backup.key=../other"]);
    assert!(e.contains("is not a backup key"), "{e}");

    // One node of an org: its peer and CouchDB, nothing else.
    let text = render(
        &sample,
        &options(
            Flow::Restore,
            &[
                "backup.target.secret=backup-s3",
                "backup.key=nightly",
                "flow.backup.include={Quarry/peer1}",
            ],
        ),
    )
    .unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let verify = &step_items(&workflow, &workflow["spec"]["templates"][0]["steps"][1][0]);
    assert_eq!(
        serde_yaml::to_string(verify).unwrap(),
        "- quarry/peer1/peer.tar.gz\n- quarry/peer1/couchdb.tar.gz\n"
    );
}

/// A folder of commands for the copy scripts: the rclone stand-in and
/// busybox's applets (as in the rclone image). The steps need busybox's sh:
/// they set pipefail, which dash lacks.
fn copy_tools(dir: &Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(fixture("fake-rclone"), bin.join("rclone")).unwrap();
    assert!(
        Command::new("busybox").arg("true").output().is_ok(),
        "busybox is not installed (Debian: apt-get install busybox; or bash .ci/run)"
    );
    for applet in [
        "sh",
        "tar",
        "gzip",
        "sha256sum",
        "mkfifo",
        "tee",
        "cut",
        "mktemp",
        "cat",
        "awk",
        "grep",
        "find",
        "head",
        "ls",
        "rm",
        "mkdir",
        "mv",
        "rmdir",
        "sync",
        "dirname",
        "touch",
        "printf",
        "wc",
        "tr",
        "sed",
        "cp",
    ] {
        std::os::unix::fs::symlink("/usr/bin/busybox", bin.join(applet)).unwrap_or_else(|_| {
            std::os::unix::fs::symlink("/bin/busybox", bin.join(applet)).unwrap()
        });
    }
    bin.display().to_string()
}

/// Runs step script `name` as the workflow would, with `env`.
/// Runs step `name` as the workflow carries it (its library inlined).
fn run_step(name: &str, path: &str, env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join(format!("{name}.sh"));
    // The pod's own /tmp: steps running in parallel must not share one.
    std::fs::create_dir(dir.path().join("tmp")).unwrap();
    std::fs::write(&script, pod_paths(&flow::script(name).unwrap(), dir.path())).unwrap();
    let mut cmd = Command::new("sh");
    cmd.arg(script).env_clear().env("PATH", path);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let content = if e.file_type().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (rel, content)
        })
        .collect();
    out.sort();
    out
}

/// The copy scripts end to end against a local stand-in for the object
/// store: back up a peer volume, complete the backup, refuse to overwrite
/// it, verify and restore it onto an empty volume, refuse a volume with
/// channel data unless forced, and keep the old content when an archive is
/// damaged.
#[test]
fn backup_and_restore_scripts_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let path = copy_tools(tmp.path());
    let remote = tmp.path().join("remote");
    std::fs::create_dir_all(remote.join("hlf-backup")).unwrap();
    let volume = tmp.path().join("volume");
    volume_tree(&volume, "volume-peer-ledger.txt");
    std::fs::write(volume.join(".hidden-state"), b"kept").unwrap();
    // Left by a restore that was interrupted: not part of the node's data.
    std::fs::create_dir_all(volume.join(".fabchart-restore/ledgersData")).unwrap();
    let remote_str = remote.to_str().unwrap();
    let volume_str = volume.to_str().unwrap();
    let archive = "harbor/peer0/peer.tar.gz";
    let base = |extra: &[(&'static str, String)]| {
        let mut env = vec![
            ("FAKE_REMOTE", remote_str.to_string()),
            ("REMOTE_ROOT", "backup:hlf-backup/prod".to_string()),
            ("BACKUP_KEY", "2025-01-31-023000".to_string()),
            ("ARCHIVE", archive.to_string()),
            ("ARCHIVES", archive.to_string()),
            (
                "PLAN",
                format!("{archive} <- data-hlf-peer--harbor--peer0-0"),
            ),
            ("DRY_RUN", "false".to_string()),
            ("KIND", "peer".to_string()),
            ("FORCE", "false".to_string()),
            ("STATEFULSET", "hlf-peer--harbor--peer0".to_string()),
            ("RUN_ID", "run-1".to_string()),
            ("RUN_CLAIMS", "data-hlf-peer--harbor--peer0-0".to_string()),
            ("CLAIM", "data-hlf-peer--harbor--peer0-0".to_string()),
        ];
        env.extend(extra.iter().cloned());
        env
    };

    let step = |name: &str, extra: &[(&'static str, String)]| {
        let env = base(extra);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_step(name, &path, &env)
    };
    let data = |dir: &str| [("DATA_DIR", dir.to_string())];
    // A restore of one volume: stage, then swap.
    let restore = |extra: &[(&'static str, String)]| {
        let (ok, log) = step("restore-stage", extra);
        if !ok {
            return (ok, log);
        }
        step("restore-swap", extra)
    };

    let (ok, log) = step(
        "backup-preflight",
        &[("REMOTE_ROOT", "backup:no-such-bucket".to_string())],
    );
    assert!(!ok && log.contains("cannot write"), "{log}");
    let (ok, log) = step("backup-preflight", &[]);
    assert!(ok, "{log}");
    let (ok, log) = step("backup-copy", &data(volume_str));
    assert!(ok, "{log}");
    // Without a manifest the backup is incomplete: restore refuses it.
    let (ok, log) = step("restore-preflight", &[]);
    assert!(!ok && log.contains("no complete backup"), "{log}");
    let (ok, log) = step("backup-manifest", &[]);
    assert!(ok, "{log}");
    let key_dir = remote.join("hlf-backup/prod/2025-01-31-023000");
    let manifest = std::fs::read_to_string(key_dir.join("manifest.sha256")).unwrap();
    assert!(manifest.ends_with(&format!("  {archive}\n")), "{manifest}");
    assert!(key_dir.join("plan.txt").is_file());
    // A complete backup is never overwritten.
    let (ok, log) = step("backup-preflight", &[]);
    assert!(!ok && log.contains("complete backup already"), "{log}");

    let (ok, log) = step("restore-preflight", &[]);
    assert!(ok, "{log}");
    let (ok, log) = step(
        "restore-preflight",
        &[(
            "ARCHIVES",
            format!("{archive}\nharbor/peer0/couchdb.tar.gz"),
        )],
    );
    assert!(!ok && log.contains("harbor/peer0/couchdb.tar.gz"), "{log}");
    let (ok, log) = step("restore-verify", &[]);
    assert!(ok, "{log}");
    let (ok, log) = step(
        "restore-verify",
        &[("ARCHIVE", "harbor/peer1/peer.tar.gz".to_string())],
    );
    assert!(!ok && log.contains("does not list"), "{log}");
    let (ok, log) = step(
        "restore-verify",
        &[("BACKUP_KEY", "2024-12-31-000000".to_string())],
    );
    assert!(!ok && log.contains("does not list"), "{log}");

    // Onto an empty volume: the same files, lost+found left alone.
    let target = tmp.path().join("target");
    std::fs::create_dir_all(target.join("lost+found")).unwrap();
    let target_str = target.to_str().unwrap();
    let (ok, log) = step("restore-check", &data(target_str));
    assert!(ok, "{log}");
    let (ok, log) = restore(&data(target_str));
    assert!(ok, "{log}");
    let mut expected = tree(&volume);
    expected.retain(|(p, _)| p != "lost+found" && !p.starts_with(".fabchart-restore"));
    let mut got = tree(&target);
    got.retain(|(p, _)| p != "lost+found" && p != ".fabchart-restored");
    assert_eq!(got, expected);
    assert!(target.join("lost+found").is_dir());
    // What put the content there: the run, the backup and the run's volumes.
    assert_eq!(
        std::fs::read_to_string(target.join(".fabchart-restored")).unwrap(),
        "run-1 2025-01-31-023000 data-hlf-peer--harbor--peer0-0\n"
    );

    // The volume now holds channel data: refused, unless forced.
    let (ok, log) = step("restore-check", &data(target_str));
    assert!(!ok && log.contains("restore.force=true"), "{log}");
    let (ok, log) = step("restore-stage", &data(target_str));
    assert!(!ok && log.contains("restore.force=true"), "{log}");
    std::fs::write(target.join("written-after-backup"), b"new").unwrap();
    let force = [
        ("DATA_DIR", target_str.to_string()),
        ("FORCE", "true".to_string()),
    ];
    let (ok, log) = restore(&force);
    assert!(ok, "{log}");
    assert!(!target.join("written-after-backup").exists());

    // A damaged archive: verify refuses, and so does the copy, keeping the
    // volume as it was.
    let stored = key_dir.join(archive);
    let mut bytes = std::fs::read(&stored).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&stored, bytes).unwrap();
    let (ok, log) = step("restore-verify", &[]);
    assert!(!ok && log.contains("damaged"), "{log}");
    std::fs::write(target.join("written-after-backup"), b"new").unwrap();
    let before = tree(&target);
    let (ok, log) = step("restore-stage", &force);
    assert!(
        !ok && log.contains("old content of the volume was kept"),
        "{log}"
    );
    assert_eq!(tree(&target), before);
    // Nothing staged: there is nothing to swap in.
    let (ok, log) = step("restore-swap", &force);
    assert!(!ok && log.contains("nothing is staged"), "{log}");
    assert_eq!(tree(&target), before);
    std::fs::remove_file(&stored).unwrap();
    let (ok, log) = step("restore-verify", &[]);
    assert!(!ok && log.contains("is missing"), "{log}");
}

/// A copy step stops when rclone fails, also where its output goes on
/// through a pipe and where the failure comes after the data: nothing is
/// read from a manifest or left beside an archive that way.
#[test]
fn copy_steps_stop_when_rclone_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let path = copy_tools(tmp.path());
    let remote = tmp.path().join("remote");
    std::fs::create_dir_all(remote.join("hlf-backup")).unwrap();
    let volume = tmp.path().join("volume");
    volume_tree(&volume, "volume-peer-ledger.txt");
    let target = tmp.path().join("target");
    std::fs::create_dir_all(&target).unwrap();
    let archive = "harbor/peer0/peer.tar.gz";
    let key = "backup:hlf-backup/prod/2025-01-31-023000";
    let step = |name: &str, data_dir: &Path, fail: &str| {
        let env = [
            ("FAKE_REMOTE", remote.to_str().unwrap()),
            ("FAKE_RCLONE_FAIL", fail),
            ("REMOTE_ROOT", "backup:hlf-backup/prod"),
            ("BACKUP_KEY", "2025-01-31-023000"),
            ("ARCHIVE", archive),
            ("ARCHIVES", archive),
            (
                "PLAN",
                "harbor/peer0/peer.tar.gz <- data-hlf-peer--harbor--peer0-0",
            ),
            ("DRY_RUN", "false"),
            ("KIND", "peer"),
            ("FORCE", "false"),
            ("STATEFULSET", "hlf-peer--harbor--peer0"),
            ("DATA_DIR", data_dir.to_str().unwrap()),
            ("RUN_ID", "run-1"),
            ("RUN_CLAIMS", "data-hlf-peer--harbor--peer0-0"),
        ];
        run_step(name, &path, &env)
    };
    for name in ["backup-preflight", "backup-copy", "backup-manifest"] {
        let (ok, log) = step(name, &volume, "");
        assert!(ok, "{name}: {log}");
    }
    let checksum = remote.join("hlf-backup/prod/2025-01-31-023000/harbor/peer0/peer.tar.gz.sha256");
    assert!(checksum.is_file());

    // The manifest came whole, then rclone failed: it is not read.
    for name in ["restore-verify", "restore-stage"] {
        let (ok, log) = step(name, &target, &format!("cat {key}/manifest.sha256"));
        assert!(!ok && log.contains("cannot read"), "{name}: {log}");
    }
    assert_eq!(tree(&target), []);
    // The old checksum could not be deleted: no archive is written beside it.
    let (ok, log) = step("backup-copy", &volume, "deletefile");
    assert!(!ok && log.contains("cannot delete"), "{log}");
    // The upload failed (rclone rcat last in the pipe): no checksum follows.
    let (ok, log) = step("backup-copy", &volume, &format!("rcat {key}/{archive}"));
    assert!(!ok && log.contains("failed (fake)"), "{log}");
    assert!(!checksum.exists());
}

// ---- backup and restore faults ----

/// Three volumes of one backup (two peers and an orderer), their data, the
/// fake object store, and the copy steps run as the workflow runs them: each
/// in a process group of its own, so that a kill takes the whole step.
struct Drill {
    tmp: tempfile::TempDir,
    path: String,
}

/// (archive, claim, kind, folder) of the drill's volumes.
const DRILL_VOLUMES: [(&str, &str, &str, &str); 3] = [
    (
        "harbor/peer0/peer.tar.gz",
        "data-hlf-peer--harbor--peer0-0",
        "peer",
        "harbor",
    ),
    (
        "quarry/peer0/peer.tar.gz",
        "data-hlf-peer--quarry--peer0-0",
        "peer",
        "quarry",
    ),
    (
        "beacon/orderer0/orderer.tar.gz",
        "data-hlf-orderer--beacon--orderer0-0",
        "orderer",
        "beacon",
    ),
];

/// How a step ended: exit status, or killed.
#[derive(Debug, PartialEq)]
enum Ended {
    Ok,
    Failed,
    Killed,
}

impl Drill {
    fn new() -> Drill {
        let tmp = tempfile::tempdir().unwrap();
        let path = copy_tools(tmp.path());
        // A `mv` that can kill its step at its n-th call (KILL_AT_MV): the
        // swap is renames only, so this stops it between any two.
        {
            use std::os::unix::fs::PermissionsExt;
            let mv = tmp.path().join("bin/mv");
            std::fs::remove_file(&mv).unwrap();
            let busybox = std::fs::read_link(tmp.path().join("bin/sh")).unwrap();
            std::fs::write(
                &mv,
                format!(
                    "#!{busybox} sh\nn=$(cat \"$MV_COUNT\" 2>/dev/null || echo 0)\nn=$((n + 1))\necho \"$n\" > \"$MV_COUNT\"\n[ \"$n\" != \"${{KILL_AT_MV:-}}\" ] || kill -KILL 0\nexec {busybox} mv \"$@\"\n",
                    busybox = busybox.display()
                ),
            )
            .unwrap();
            std::fs::set_permissions(&mv, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::create_dir_all(tmp.path().join("remote/hlf-backup")).unwrap();
        let drill = Drill { tmp, path };
        for (_, _, kind, name) in DRILL_VOLUMES {
            let fixture = format!("volume-{kind}-ledger.txt");
            // What the backup holds, and the older data the targets hold.
            for (side, text) in [("source", "backed up"), ("target", "old")] {
                let dir = drill.dir(side, name);
                volume_tree(&dir, &fixture);
                std::fs::write(dir.join("which"), format!("{name} {text}\n")).unwrap();
            }
        }
        drill
    }

    fn dir(&self, side: &str, name: &str) -> PathBuf {
        self.tmp.path().join(side).join(name)
    }

    fn claims() -> String {
        DRILL_VOLUMES.map(|v| v.1).join(",")
    }

    /// Runs step `name` on volume `index` (None: no volume) of `side`.
    fn step(
        &self,
        name: &str,
        index: Option<usize>,
        side: &str,
        extra: &[(&str, &str)],
    ) -> (Ended, String) {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join(format!("{name}.sh"));
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        std::fs::write(&script, pod_paths(&flow::script(name).unwrap(), dir.path())).unwrap();
        let mut cmd = Command::new("sh");
        cmd.arg(&script)
            .env_clear()
            .env("PATH", &self.path)
            .env("FAKE_REMOTE", self.tmp.path().join("remote"))
            .env("MV_COUNT", dir.path().join("mv-count"))
            .env("REMOTE_ROOT", "backup:hlf-backup")
            .env("BACKUP_KEY", "nightly")
            .env("ARCHIVES", DRILL_VOLUMES.map(|v| v.0).join("\n"))
            .env("PLAN", "three volumes")
            .env("DRY_RUN", "false")
            .env("FORCE", "true")
            .env("RUN_ID", "run-1")
            .env("RUN_CLAIMS", Self::claims())
            .process_group(0);
        if let Some(i) = index {
            let (archive, claim, kind, folder) = DRILL_VOLUMES[i];
            cmd.env("ARCHIVE", archive)
                .env("CLAIM", claim)
                .env("KIND", kind)
                .env("STATEFULSET", folder)
                .env("DATA_DIR", self.dir(side, folder));
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let ended = if out.status.success() {
            Ended::Ok
        } else if std::os::unix::process::ExitStatusExt::signal(&out.status) == Some(9) {
            Ended::Killed
        } else {
            Ended::Failed
        };
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (ended, log)
    }

    fn backup(&self) {
        let (ended, log) = self.step("backup-preflight", None, "source", &[]);
        assert_eq!(ended, Ended::Ok, "{log}");
        for i in 0..DRILL_VOLUMES.len() {
            let (ended, log) = self.step("backup-copy", Some(i), "source", &[]);
            assert_eq!(ended, Ended::Ok, "{log}");
        }
        let (ended, log) = self.step("backup-manifest", None, "source", &[]);
        assert_eq!(ended, Ended::Ok, "{log}");
    }

    /// The workflow's settle: every volume's state, then each one's decision.
    fn settle(&self, run: &str) -> Vec<(Ended, String)> {
        let states: Vec<String> = (0..DRILL_VOLUMES.len())
            .map(|i| {
                let tmp = tempfile::tempdir().unwrap();
                // restore-inspect writes its output to /tmp/state; here its
                // library function prints the same line.
                let (_, folder) = (tmp, DRILL_VOLUMES[i].3);
                let (ok, line) = backup_lib(
                    "restore_state \"$DIR\" \"$CLAIM\"",
                    b"",
                    &[
                        ("DIR", self.dir("target", folder).to_str().unwrap()),
                        ("CLAIM", DRILL_VOLUMES[i].1),
                    ],
                );
                assert!(ok);
                line.trim_end().to_string()
            })
            .collect();
        let states = serde_json::to_string(&states).unwrap();
        (0..DRILL_VOLUMES.len())
            .map(|i| {
                self.step(
                    "restore-settle",
                    Some(i),
                    "target",
                    &[("STATES", &states), ("RUN_ID", run)],
                )
            })
            .collect()
    }

    /// Each target volume: "old", "backed up", or a mix within it.
    fn contents(&self) -> Vec<&'static str> {
        DRILL_VOLUMES
            .iter()
            .map(|(_, _, _, folder)| {
                let mut target = tree(&self.dir("target", folder));
                target.retain(|(p, _)| !p.starts_with(".fabchart-restore"));
                let mut source = tree(&self.dir("source", folder));
                source.retain(|(p, _)| p != "lost+found");
                let mut old = source.clone();
                for (p, content) in old.iter_mut() {
                    if p == "which" {
                        *content = format!("{folder} old\n").into_bytes();
                    }
                }
                let without_lost = |t: &Vec<(String, Vec<u8>)>| {
                    t.iter()
                        .filter(|(p, _)| p != "lost+found")
                        .cloned()
                        .collect::<Vec<_>>()
                };
                if without_lost(&target) == source {
                    "backed up"
                } else if without_lost(&target) == old {
                    "old"
                } else {
                    "mixed"
                }
            })
            .collect()
    }
}

/// A backup killed half-way (the upload of its second archive cut off) has
/// no manifest: restore refuses it, and a backup under the same key later
/// replaces its archives.
#[test]
fn a_backup_killed_half_way_is_refused_by_restore() {
    let drill = Drill::new();
    assert_eq!(
        drill.step("backup-preflight", None, "source", &[]).0,
        Ended::Ok
    );
    assert_eq!(
        drill.step("backup-copy", Some(0), "source", &[]).0,
        Ended::Ok
    );
    let (ended, log) = drill.step(
        "backup-copy",
        Some(1),
        "source",
        &[("FAKE_RCLONE_KILL", "rcat backup:hlf-backup/nightly/quarry")],
    );
    assert_eq!(ended, Ended::Killed, "{log}");
    let key = drill.tmp.path().join("remote/hlf-backup/nightly");
    assert!(!key.join("manifest.sha256").exists());
    assert!(!key.join("quarry/peer0/peer.tar.gz").exists());
    let (ended, log) = drill.step("restore-preflight", None, "target", &[]);
    assert!(
        ended == Ended::Failed && log.contains("no complete backup"),
        "{log}"
    );
    // The manifest step, had it run, would not write one either (rclone
    // reads a missing object as nothing).
    let (ended, log) = drill.step("backup-manifest", None, "source", &[]);
    assert!(
        ended == Ended::Failed && log.contains("does not describe quarry/peer0/peer.tar.gz"),
        "{log}"
    );
    assert!(!key.join("manifest.sha256").exists());
    // Run again, the backup completes under the same key.
    let (ended, log) = drill.step("backup-preflight", None, "source", &[]);
    assert!(
        ended == Ended::Ok && log.contains("incomplete backup"),
        "{log}"
    );
    drill.backup();
    assert_eq!(
        drill.step("restore-preflight", None, "target", &[]).0,
        Ended::Ok
    );
}

/// A restore killed while it stages (the download of its second archive cut
/// off) has touched no node's data: the next run's settle drops the staging,
/// and every volume keeps its old content.
#[test]
fn a_restore_killed_while_staging_leaves_the_old_data() {
    let drill = Drill::new();
    drill.backup();
    assert_eq!(
        drill.step("restore-stage", Some(0), "target", &[]).0,
        Ended::Ok
    );
    let (ended, log) = drill.step(
        "restore-stage",
        Some(1),
        "target",
        &[("FAKE_RCLONE_KILL", "cat backup:hlf-backup/nightly/quarry")],
    );
    assert_eq!(ended, Ended::Killed, "{log}");
    assert_eq!(drill.contents(), ["old", "old", "old"]);
    // A backup now would copy a volume that a restore left half-way: refused.
    // A backup now copies the old data: the staging is no part of it.
    let (ended, log) = drill.step("backup-copy", Some(1), "target", &[("BACKUP_KEY", "later")]);
    assert_eq!(ended, Ended::Ok, "{log}");
    // Had every volume been staged, a backup would refuse (the restore may
    // be swapping others).
    let (ended, log) = drill.step("backup-copy", Some(0), "target", &[("BACKUP_KEY", "later")]);
    assert!(
        ended == Ended::Failed && log.contains("rerun that restore"),
        "{log}"
    );
    for (ended, log) in drill.settle("run-2") {
        assert_eq!(ended, Ended::Ok, "{log}");
        assert!(
            log.contains("dropped the staging") || log.contains("no restore pending"),
            "{log}"
        );
    }
    assert_eq!(drill.contents(), ["old", "old", "old"]);
    for folder in ["harbor", "quarry", "beacon"] {
        let state = tree(&drill.dir("target", folder));
        assert!(
            state
                .iter()
                .all(|(p, _)| !p.starts_with(".fabchart-restore")),
            "{state:?}"
        );
    }
}

/// A restore killed while it swaps, at any rename of the swap of its second
/// volume: every volume was staged, so the settle of the next run (or of the
/// workflow's exit handler) finishes the swap everywhere. Never a mix.
#[test]
fn a_restore_killed_while_swapping_is_finished_by_the_next_settle() {
    // The harbor volume's swap: lost+found stays, then 4 old entries out
    // (ledgersData, lifecycle, transientstore, which) and 4 staged ones in.
    for kill_at in 1..=9 {
        let drill = Drill::new();
        drill.backup();
        for i in 0..DRILL_VOLUMES.len() {
            let (ended, log) = drill.step("restore-stage", Some(i), "target", &[]);
            assert_eq!(ended, Ended::Ok, "{log}");
        }
        assert_eq!(
            drill.step("restore-swap", Some(0), "target", &[]).0,
            Ended::Ok
        );
        let kill = kill_at.to_string();
        let (ended, log) = drill.step("restore-swap", Some(1), "target", &[("KILL_AT_MV", &kill)]);
        if ended == Ended::Ok {
            // Fewer renames than kill_at: all cases were covered.
            assert!(kill_at > 2, "{log}");
            break;
        }
        assert_eq!(ended, Ended::Killed, "kill at mv {kill_at}: {log}");
        assert_ne!(drill.contents(), ["old", "old", "old"]);
        for (ended, log) in drill.settle("run-2") {
            assert_eq!(ended, Ended::Ok, "kill at mv {kill_at}: {log}");
        }
        assert_eq!(
            drill.contents(),
            ["backed up", "backed up", "backed up"],
            "kill at mv {kill_at}"
        );
        // The same backup, restored again by the run that finished it, needs
        // no restore.force, on every volume (swapped before the kill or
        // after); another backup does.
        for i in 0..DRILL_VOLUMES.len() {
            let (ended, log) = drill.step(
                "restore-check",
                Some(i),
                "target",
                &[("FORCE", "false"), ("RUN_ID", "run-2")],
            );
            assert_eq!(ended, Ended::Ok, "kill at mv {kill_at}, volume {i}: {log}");
        }
        let (ended, log) = drill.step(
            "restore-check",
            Some(2),
            "target",
            &[("FORCE", "false"), ("RUN_ID", "run-3")],
        );
        assert!(
            ended == Ended::Failed && log.contains("restore.force"),
            "{log}"
        );
    }
}

/// A fabric-ca server's home (ca.persistence.enabled) goes with its org: its
/// volume is copied and put back like a node's, and one with a database is
/// replaced only with restore.force (a fresh one cannot be told apart).
#[test]
fn ca_volumes_are_backed_up_and_restored_with_their_org() {
    let tmp = tempfile::tempdir().unwrap();
    let path = copy_tools(tmp.path());
    std::fs::create_dir_all(tmp.path().join("remote/hlf-backup")).unwrap();
    let home = tmp.path().join("ca-home");
    volume_tree(&home, "volume-ca-registrations.txt");
    std::fs::write(
        home.join("fabric-ca-server.db"),
        b"SQLite format 3\0registrations",
    )
    .unwrap();
    let (ok, content) = backup_decides(
        "volume_content ca \"$DIR\"",
        &[("DIR", home.to_str().unwrap())],
    );
    assert!(ok && content == "data", "{content}");
    let empty = tmp.path().join("ca-new");
    std::fs::create_dir_all(empty.join("lost+found")).unwrap();
    let archive = "harbor/ca/ca.tar.gz";
    let claim = "data-hlf-ca--harbor-0";
    let step = |name: &str, dir: &Path| {
        let env = [
            (
                "FAKE_REMOTE",
                tmp.path().join("remote").to_str().unwrap().to_string(),
            ),
            ("REMOTE_ROOT", "backup:hlf-backup".to_string()),
            ("BACKUP_KEY", "nightly".to_string()),
            ("ARCHIVE", archive.to_string()),
            ("ARCHIVES", archive.to_string()),
            ("PLAN", format!("{archive} <- {claim}")),
            ("DRY_RUN", "false".to_string()),
            ("KIND", "ca".to_string()),
            ("FORCE", "false".to_string()),
            ("STATEFULSET", "hlf-ca--harbor".to_string()),
            ("RUN_ID", "run-1".to_string()),
            ("RUN_CLAIMS", claim.to_string()),
            ("DATA_DIR", dir.to_str().unwrap().to_string()),
        ];
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_step(name, &path, &env)
    };
    for name in ["backup-preflight", "backup-copy", "backup-manifest"] {
        let (ok, log) = step(name, &home);
        assert!(ok, "{name}: {log}");
    }
    for name in ["restore-check", "restore-stage", "restore-swap"] {
        let (ok, log) = step(name, &empty);
        assert!(ok, "{name}: {log}");
    }
    let mut got = tree(&empty);
    got.retain(|(p, _)| p != ".fabchart-restored");
    assert_eq!(got, tree(&home));
    // The restored CA holds registrations: not replaced again unless forced.
    let (ok, log) = step("restore-check", &empty);
    assert!(!ok && log.contains("restore.force=true"), "{log}");

    // The org's CA is in the org's turn; a node of the org alone leaves it out.
    let sample = support::root().join("samples/simple-persistent");
    let archives = |include: &str| {
        let mut sets = vec![
            "backup.target.secret=backup-s3",
            "backup.key=nightly",
            "flow.ca.backup.enabled=true",
        ];
        sets.push(include);
        let text = render(&sample, &options(Flow::Restore, &sets)).unwrap();
        let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let verify = step_items(&workflow, &workflow["spec"]["templates"][0]["steps"][1][0]);
        serde_yaml::to_string(&verify).unwrap()
    };
    assert_eq!(
        archives("flow.backup.include={Harbor,Beacon/orderer0}"),
        "- harbor/peer0/peer.tar.gz\n- harbor/peer0/couchdb.tar.gz\n- harbor/ca/ca.tar.gz\n- beacon/orderer0/orderer.tar.gz\n"
    );
    assert!(archives("flow.backup.include={Beacon}").contains("- beacon/ca/ca.tar.gz\n"));
}

/// The settle's decisions on the states of a run's volumes, including a run
/// it cannot judge because the pending restore covers volumes not selected.
#[test]
fn restores_stopped_half_way_are_judged_by_all_their_volumes() {
    let decide = |me: &str, lines: &str| {
        let (ok, out) = backup_lib(&format!("settle_decision {me}"), lines.as_bytes(), &[]);
        (ok, out.trim().to_string())
    };
    let run = |id: &str| format!("{id} nightly a,b,c");
    let lines = |states: [&str; 3]| {
        ["a", "b", "c"]
            .iter()
            .zip(states)
            .map(|(claim, state)| match state {
                "none" => format!("{claim} none\n"),
                s => format!("{claim} {s} {}\n", run("r1")),
            })
            .collect::<String>()
    };
    let ok = |s: &str| (true, s.to_string());
    assert_eq!(decide("a", &lines(["none", "none", "none"])), ok("nothing"));
    assert_eq!(
        decide("a", &lines(["staged", "staged", "staged"])),
        ok("finish")
    );
    assert_eq!(
        decide("b", &lines(["restored", "swapping", "staged"])),
        ok("finish")
    );
    // Swapped before the kill: marked as finished by this run too.
    assert_eq!(
        decide("a", &lines(["restored", "swapping", "staged"])),
        ok("adopt")
    );
    assert_eq!(
        decide("a", &lines(["restored", "restored", "restored"])),
        ok("nothing")
    );
    assert_eq!(
        decide("a", &lines(["staged", "partial", "none"])),
        ok("discard")
    );
    assert_eq!(
        decide("a", &lines(["staged", "staged", "none"])),
        ok("discard")
    );
    // Staged by another run: not this run's commit point.
    let other = format!(
        "a staged {}\nb staged {}\nc staged {}\n",
        run("r1"),
        run("r1"),
        run("r0")
    );
    assert_eq!(decide("a", &other), ok("discard"));
    // A staging without its run file (killed before it wrote one).
    assert_eq!(decide("a", "a partial \nb none\nc none\n"), ok("discard"));
    // A swap cannot have begun without every volume staged.
    assert!(!decide("b", &lines(["staged", "swapping", "none"])).0);
    // Volume c is not in this run: its state is unknown.
    assert!(
        !decide(
            "a",
            "a staged r1 nightly a,b,c\nb staged r1 nightly a,b,c\n"
        )
        .0
    );
    assert!(!decide("z", &lines(["none", "none", "none"])).0);
}

/// One flipped byte in an archive: refused by its sha256 by the verify step,
/// which runs before the restore stops any node, and by the stage, which
/// leaves the volume as it was.
#[test]
fn a_corrupted_archive_is_refused_before_anything_is_overwritten() {
    let drill = Drill::new();
    drill.backup();
    let stored = drill
        .tmp
        .path()
        .join("remote/hlf-backup/nightly/beacon/orderer0/orderer.tar.gz");
    let mut bytes = std::fs::read(&stored).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&stored, bytes).unwrap();
    let (ended, log) = drill.step("restore-verify", Some(2), "target", &[]);
    assert!(ended == Ended::Failed && log.contains("damaged"), "{log}");
    let before = tree(&drill.dir("target", "beacon"));
    let (ended, log) = drill.step("restore-stage", Some(2), "target", &[]);
    assert!(
        ended == Ended::Failed && log.contains("old content of the volume was kept"),
        "{log}"
    );
    assert_eq!(tree(&drill.dir("target", "beacon")), before);

    // In the workflow, every archive is verified before the restore stops a node.
    let text = render(
        &support::root().join("samples/simple-persistent"),
        &options(
            Flow::Restore,
            &["backup.target.secret=backup-s3", "backup.key=nightly"],
        ),
    )
    .unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let main: Vec<&str> = workflow["spec"]["templates"][0]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|group| group[0]["name"].as_str().unwrap())
        .collect();
    assert_eq!(main, ["preflight", "verify", "restore"]);
}

// ---- size ----

/// A project folder with `peer_orgs` x `peers`, `orderer_orgs` x `orderers`,
/// `channels` channels (each with a rotating third of the peer orgs, at least
/// 2) and `chaincodes` chaincodes.
fn synthetic_project(
    dir: &Path,
    peer_orgs: usize,
    peers: usize,
    orderer_orgs: usize,
    orderers: usize,
    channels: usize,
    chaincodes: usize,
) {
    use std::fmt::Write;
    let mut crypto = String::from("OrdererOrgs:\n");
    let mut configtx = String::from("Organizations:\n");
    for o in 0..orderer_orgs {
        writeln!(
            crypto,
            "  - Name: Ord{o}\n    Domain: ord{o}.example\n    EnableNodeOUs: true\n    Specs:"
        )
        .unwrap();
        for n in 0..orderers {
            writeln!(crypto, "      - Hostname: orderer{n}").unwrap();
        }
        writeln!(configtx, "  - &Ord{o}\n    Name: Ord{o}MSP\n    ID: Ord{o}MSP\n    MSPDir: crypto-config/ordererOrganizations/ord{o}.example/msp\n    Policies:\n      Readers: {{Type: Signature, Rule: \"OR('Ord{o}MSP.member')\"}}\n      Writers: {{Type: Signature, Rule: \"OR('Ord{o}MSP.member')\"}}\n      Admins: {{Type: Signature, Rule: \"OR('Ord{o}MSP.admin')\"}}").unwrap();
    }
    crypto.push_str("PeerOrgs:\n");
    for p in 0..peer_orgs {
        writeln!(crypto, "  - Name: Org{p}\n    Domain: org{p}.example\n    EnableNodeOUs: true\n    Template:\n      Count: {peers}\n    Users:\n      Count: 1").unwrap();
        writeln!(configtx, "  - &Org{p}\n    Name: Org{p}MSP\n    ID: Org{p}MSP\n    MSPDir: crypto-config/peerOrganizations/org{p}.example/msp\n    Policies:\n      Readers: {{Type: Signature, Rule: \"OR('Org{p}MSP.member')\"}}\n      Writers: {{Type: Signature, Rule: \"OR('Org{p}MSP.member')\"}}\n      Admins: {{Type: Signature, Rule: \"OR('Org{p}MSP.admin')\"}}\n      Endorsement: {{Type: Signature, Rule: \"OR('Org{p}MSP.peer')\"}}").unwrap();
    }
    let consenters: String = (0..orderer_orgs)
        .flat_map(|o| {
            (0..orderers)
                .map(move |n| format!("      - {{Host: orderer{n}.ord{o}.example, Port: 7050}}\n"))
        })
        .collect();
    write!(configtx, "Capabilities:\n  Channel: &ChannelCapabilities {{V2_0: true}}\n  Orderer: &OrdererCapabilities {{V2_0: true}}\n  Application: &ApplicationCapabilities {{V2_5: true}}\nApplication: &ApplicationDefaults\n  Organizations:\n  Policies:\n    Readers: {{Type: ImplicitMeta, Rule: \"ANY Readers\"}}\n    Writers: {{Type: ImplicitMeta, Rule: \"ANY Writers\"}}\n    Admins: {{Type: ImplicitMeta, Rule: \"MAJORITY Admins\"}}\n    LifecycleEndorsement: {{Type: ImplicitMeta, Rule: \"MAJORITY Endorsement\"}}\n    Endorsement: {{Type: ImplicitMeta, Rule: \"MAJORITY Endorsement\"}}\n  Capabilities: *ApplicationCapabilities\nOrderer: &OrdererDefaults\n  OrdererType: etcdraft\n  EtcdRaft:\n    Consenters:\n{consenters}  BatchTimeout: 2s\n  BatchSize: {{MaxMessageCount: 10, AbsoluteMaxBytes: 99 MB, PreferredMaxBytes: 512 KB}}\n  Organizations:\n  Policies:\n    Readers: {{Type: ImplicitMeta, Rule: \"ANY Readers\"}}\n    Writers: {{Type: ImplicitMeta, Rule: \"ANY Writers\"}}\n    Admins: {{Type: ImplicitMeta, Rule: \"MAJORITY Admins\"}}\n    BlockValidation: {{Type: ImplicitMeta, Rule: \"ANY Writers\"}}\n  Capabilities: *OrdererCapabilities\nChannel: &ChannelDefaults\n  Policies:\n    Readers: {{Type: ImplicitMeta, Rule: \"ANY Readers\"}}\n    Writers: {{Type: ImplicitMeta, Rule: \"ANY Writers\"}}\n    Admins: {{Type: ImplicitMeta, Rule: \"MAJORITY Admins\"}}\n  Capabilities: *ChannelCapabilities\nProfiles:\n").unwrap();
    let ords: Vec<String> = (0..orderer_orgs).map(|o| format!("*Ord{o}")).collect();
    let mut network =
        String::from("tlsEnabled: true\nuseActualDomains: true\nnetwork:\n  channels:\n");
    let mut channel_orgs = Vec::new();
    for c in 0..channels {
        let size = (peer_orgs / 3).max(2);
        let members: Vec<usize> = (0..size).map(|i| (c + i) % peer_orgs).collect();
        let refs: Vec<String> = members.iter().map(|m| format!("*Org{m}")).collect();
        writeln!(configtx, "  ch{c}:\n    <<: *ChannelDefaults\n    Orderer:\n      <<: *OrdererDefaults\n      Organizations: [{}]\n    Application:\n      <<: *ApplicationDefaults\n      Organizations: [{}]", ords.join(", "), refs.join(", ")).unwrap();
        let names: Vec<String> = members.iter().map(|m| format!("Org{m}")).collect();
        writeln!(
            network,
            "    - name: ch{c}\n      orgs: [{}]",
            names.join(", ")
        )
        .unwrap();
        channel_orgs.push(names);
    }
    network.push_str("  chaincodes:\n");
    for k in 0..chaincodes {
        let channel = k % channels;
        let orgs = channel_orgs[channel].join(", ");
        writeln!(network, "    - name: cc{k}\n      image: ghcr.io/example/cc{k}:1.0\n      orgs: [{orgs}]\n      channels:\n        - name: ch{channel}\n          orgs: [{orgs}]").unwrap();
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("crypto-config.yaml"), crypto).unwrap();
    std::fs::write(dir.join("configtx.yaml"), configtx).unwrap();
    std::fs::write(dir.join("network.yaml"), network).unwrap();
}

/// Depth of the step tree: the sequential pod launches on the critical path.
fn critical_path(workflow: &serde_yaml::Value) -> usize {
    let templates = workflow["spec"]["templates"].as_sequence().unwrap();
    fn depth(templates: &[serde_yaml::Value], name: &str) -> usize {
        let t = templates.iter().find(|t| t["name"] == name).unwrap();
        match t["steps"].as_sequence() {
            // A suspend step waits for a person; it launches no pod.
            None if t.get("suspend").is_some() => 0,
            None => 1,
            Some(groups) => groups
                .iter()
                .map(|g| {
                    g.as_sequence()
                        .unwrap()
                        .iter()
                        .map(|s| depth(templates, s["template"].as_str().unwrap()))
                        .max()
                        .unwrap_or(0)
                })
                .sum(),
        }
    }
    depth(templates, "main")
}

#[test]
fn workflows_stay_small_as_the_network_grows() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("big");
    synthetic_project(&project, 20, 5, 3, 3, 30, 10);
    let channel = render(&project, &options(Flow::Channel, &[])).unwrap();
    let chaincode = render(
        &project,
        &options(Flow::Chaincode, &["flow.invoke.enabled=true"]),
    )
    .unwrap();
    let peer_org = render(&project, &options(Flow::PeerOrg, &[])).unwrap();
    let channel_update = render(&project, &options(Flow::ChannelUpdate, CHANNEL_UPDATE)).unwrap();
    eprintln!(
        "20x5, 3x3 orderers, 30 channels, 10 chaincodes: channel {} bytes, chaincode {} bytes, \
         peer-org {} bytes, channel-update {} bytes",
        channel.len(),
        chaincode.len(),
        peer_org.len(),
        channel_update.len()
    );
    for (name, text) in [("peer-org", &peer_org), ("channel-update", &channel_update)] {
        assert!(text.len() < 200_000, "{name} flow is {} bytes", text.len());
    }
    assert!(
        channel.len() < 200_000,
        "channel flow is {} bytes",
        channel.len()
    );
    assert!(
        chaincode.len() < 100_000,
        "chaincode flow is {} bytes",
        chaincode.len()
    );
    // The same targets on the network `make bench` builds (fabchart::synthetic),
    // where chaincode 0 runs on all 20 orgs.
    let reference = tmp.path().join("reference");
    fabchart::synthetic::write(&reference, fabchart::synthetic::Shape::REFERENCE).unwrap();
    let reference_channel = render(&reference, &options(Flow::Channel, &[])).unwrap();
    let reference_chaincode = render(
        &reference,
        &options(Flow::Chaincode, &["flow.invoke.enabled=true"]),
    )
    .unwrap();
    eprintln!(
        "synthetic reference: channel {} bytes, chaincode {} bytes",
        reference_channel.len(),
        reference_chaincode.len()
    );
    assert!(reference_channel.len() < 200_000);
    assert!(reference_chaincode.len() < 100_000);
    for text in [&channel, &chaincode, &peer_org, &channel_update] {
        let workflow: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
        assert!(
            critical_path(&workflow) <= 6,
            "critical path {}",
            critical_path(&workflow)
        );
    }

    let project = tmp.path().join("huge");
    synthetic_project(&project, 100, 4, 3, 3, 100, 10);
    let channel = render(&project, &options(Flow::Channel, &[])).unwrap();
    let chaincode = render(&project, &options(Flow::Chaincode, &[])).unwrap();
    let peer_org = render(&project, &options(Flow::PeerOrg, &[])).unwrap();
    let channel_update = render(&project, &options(Flow::ChannelUpdate, CHANNEL_UPDATE)).unwrap();
    eprintln!(
        "100x4, 100 channels: channel {} bytes, chaincode {} bytes, peer-org {} bytes, channel-update {} bytes",
        channel.len(),
        chaincode.len(),
        peer_org.len(),
        channel_update.len()
    );
    assert!(channel.len() < 1 << 20 && chaincode.len() < 1 << 20);
    assert!(peer_org.len() < 1 << 20 && channel_update.len() < 1 << 20);

    // Backup and restore: one unit per peer (with its CouchDB), every volume
    // listed once more for the exit handler. The template depth is what one
    // node goes through; an org's peers take turns, so a backup's real
    // critical path is that times the peers of the largest org (plus the
    // orderers, stopped together).
    let secret = "backup.target.secret=backup-s3";
    let backup = render(&project, &options(Flow::Backup, &[secret])).unwrap();
    let restore = render(
        &project,
        &options(Flow::Restore, &[secret, "backup.key=2025-01-31-023000"]),
    )
    .unwrap();
    eprintln!(
        "100x4 + 3x3 orderers: backup {} bytes, restore {} bytes",
        backup.len(),
        restore.len()
    );
    assert!(
        backup.len() < 400_000,
        "backup flow is {} bytes",
        backup.len()
    );
    // (Each of the fixed templates carries the chart's security context and
    // resources: a few KB whatever the size.)
    assert!(
        restore.len() < 320_000,
        "restore flow is {} bytes",
        restore.len()
    );
    // The restore's depth: stop, settle (what an earlier run left), check,
    // stage, swap, settle again, start.
    for (text, depth) in [(&backup, 20), (&restore, 17)] {
        let workflow: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
        assert_eq!(critical_path(&workflow), depth);
        assert!(
            workflow["spec"]["templates"].as_sequence().unwrap().len() <= 30,
            "a fixed set of templates, whatever the network's size"
        );
    }
}
