//! Failures stop the steps: every script under a fake Fabric that fails
//! each tool in turn.

use super::*;

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
pub(crate) const FAKE_FABRIC: &[(&str, &str)] = &[
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
pub(crate) struct Pod {
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
pub(crate) fn pod_paths(script: &str, root: &Path) -> String {
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
pub(crate) const POD_ORGS: &str = r#"{"Atlantis": {"mspId": "AtlantisMSP", "mspDir": "peerOrganizations/atlantis/msp",
    "secret": "hlf-admin--atlantis", "peers": ["hlf-peer--atlantis--peer0:7051"],
    "anchorPeers": [{"host": "hlf-peer--atlantis--peer0", "port": 7051}],
    "adminFiles": [{"key": "cert", "mount": "msp/signcerts/cert.pem"}]}}"#;

/// The environment every pod step gets: Atlantis's admin, the orderer.
pub(crate) fn pod_env(vars: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
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
pub(crate) fn env_set(env: &mut Vec<(&'static str, String)>, vars: &[(&'static str, &str)]) {
    for (key, value) in vars {
        env.retain(|(k, _)| k != key);
        env.push((key, value.to_string()));
    }
}

pub(crate) fn with(
    env: &[(&'static str, String)],
    vars: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let mut env = env.to_vec();
    env_set(&mut env, vars);
    env
}

/// The desired definition of ledger-notes on trade: the committed one of
/// querycommitted.json.
pub(crate) fn ledger_definitions() -> String {
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

/// ORDERER_CONFIG of a Raft channel whose consenters are `(id, host)`, all
/// of GroeifabriekMSP (the org of fixtures/flow's config).
fn orderer_config(consenters: &[(u32, &str)], tolerated: usize) -> String {
    let consenters: Vec<_> = consenters
        .iter()
        .map(|(id, host)| {
            serde_json::json!({
                "id": id, "host": host, "port": 7050, "mspId": "GroeifabriekMSP",
                "endpoint": format!("{host}:7050"),
                "tlsCert": "crypto-config/o/tls/server.crt",
                "identity": "crypto-config/o/msp/signcerts/o.pem",
            })
        })
        .collect();
    serde_json::json!({ "type": "etcdraft", "tolerated": tolerated, "consenters": consenters })
        .to_string()
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
        (
            "ORDERER_CONFIG",
            &orderer_config(&[(1, "orderer0.groeifabriek.nl")], 0),
        ),
    ]);
    let (ok, log) = pod.run("channel-orderers", &orderers);
    assert!(
        ok && log.contains("every reachable consenter has joined trade"),
        "{log}"
    );
    // An unreachable consenter is tolerated only while a reachable one has
    // the channel: alone, whether the channel exists cannot be told.
    let (ok, log) = pod.run(
        "channel-orderers",
        &with(
            &orderers,
            &[
                ("FAKE_FAIL", "osnadmin channel list"),
                (
                    "ORDERER_CONFIG",
                    &orderer_config(&[(1, "orderer0.groeifabriek.nl")], 1),
                ),
            ],
        ),
    );
    assert!(
        !ok && log.contains("cannot be asked whether it has it"),
        "{log}"
    );
    assert!(!pod.calls().contains("channel join"), "{}", pod.calls());
    assert!(!pod.calls().contains("configtxgen"), "{}", pod.calls());
    // A consenter the inputs list and the channel's config lacks is added
    // by a config update signed by the orderer admins; an update that does
    // not show in the config fetched next stops the step.
    std::fs::write(pod.path("configtx/new-tls"), "TLS PEM").unwrap();
    // Raft: the TLS certificate only (no enrollment certificate is public).
    std::fs::write(
        pod.path("configtx/items"),
        "new-tls crypto-config/o/tls/server.crt\n",
    )
    .unwrap();
    let grown = orderer_config(
        &[
            (1, "orderer0.groeifabriek.nl"),
            (2, "orderer1.groeifabriek.nl"),
        ],
        0,
    );
    let (ok, log) = pod.run(
        "channel-orderers",
        &with(
            &orderers,
            &[("ORDERER_CONFIG", &grown), ("CONFIG_WAIT_SECONDS", "2")],
        ),
    );
    assert!(
        !ok && log.contains("adds orderer1.groeifabriek.nl:7050 to trade's consenters is not in its config after 2 s"),
        "{log}"
    );
    assert!(!log.contains("is now a consenter"), "{log}");
    let calls = pod.calls();
    assert!(
        calls.contains("peer channel update -f ")
            && calls.contains("/consenter-update.pb -c trade"),
        "{calls}"
    );
    assert!(calls.contains("compute_update"), "{calls}");
    std::fs::write(pod.path("configtx/items"), "").unwrap();
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
            "more than the 0 it tolerates",
        ),
        (
            &[("FAKE_OSN_LIST", garbled.to_str().unwrap())][..],
            "osn_channel_listed: cannot decide",
        ),
        (&[("CONSENTERS", "[")][..], "parse error"),
    ] {
        let (ok, log) = pod.run("channel-orderers", &with(&orderers, vars));
        assert!(!ok && log.contains(error), "{log}");
        assert!(!log.contains("has joined trade"), "{log}");
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
