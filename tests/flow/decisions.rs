//! The channel and chaincode scripts' "already done?" decisions, against
//! recorded output of the stock tools, and the legacy lifecycle.

use super::*;

// ---- the scripts' decisions, against recorded output of the stock tools ----

pub(crate) fn fixture(name: &str) -> PathBuf {
    support::root().join("tests/fixtures/flow").join(name)
}

/// The shell options the bash steps set (their `set -` and `shopt -s` lines),
/// so that library functions run here as they run in a step.
pub(crate) fn bash_step_options() -> String {
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
pub(crate) fn bash_lib(
    call: &str,
    stdin_file: Option<&str>,
    env: &[(&str, &str)],
) -> (i32, String, String) {
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
pub(crate) fn lib(call: &str, stdin_file: &str, env: &[(&str, String)]) -> (bool, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, out, _) = bash_lib(call, Some(stdin_file), &env);
    (code == 0, out)
}

/// The answer of decision `call` on fixture `stdin_file`: Some(true) (exit
/// status 0), Some(false) (1), or None: an error, which stops the step.
pub(crate) fn decision(call: &str, stdin_file: &str, env: &[(&str, &str)]) -> Option<bool> {
    match bash_lib(call, Some(stdin_file), env).0 {
        0 => Some(true),
        1 => Some(false),
        _ => None,
    }
}

pub(crate) fn decides(call: &str, stdin_file: &str) -> bool {
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

pub(crate) const HARBOR_PACKAGE: &str =
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
pub(crate) fn desired(version: &str, policy: &str) -> Vec<(&'static str, String)> {
    let policy = flow::policy::signature_policy_json(policy).unwrap();
    vec![
        ("CC_VERSION", version.to_string()),
        ("CC_INIT_REQUIRED", "false".to_string()),
        ("CC_POLICY", flow::policy::canonical_text(&policy)),
        ("CC_COLLECTIONS", "[]".to_string()),
    ]
}

pub(crate) const LEDGER_POLICY: &str = "OR('HarborMSP.peer','MeadowMSP.peer','QuarryMSP.peer')";

pub(crate) fn matches(file: &str, env: &[(&str, String)]) -> bool {
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
pub(crate) fn lib_call(call: &str, env: &[(&str, String)]) -> (bool, String, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, out, err) = bash_lib(call, None, &env);
    (code == 0, out, err)
}

/// A lifecycle package shaped like fabchart's `type: source` ones, whose
/// code.tar.gz holds `files` (named in it: `src/...`, `META-INF/...`).
pub(crate) fn source_package(path: &Path, language: &str, files: &[(&str, &str)]) {
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
pub(crate) fn edited_legacy_project(
    edits: &[(&str, &dyn Fn(String) -> String)],
) -> tempfile::TempDir {
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
pub(crate) fn ccaas_on_archive(text: String) -> String {
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
