//! The real binary on good and bad input: exit codes, stdout, stderr.

#[path = "../support/mod.rs"]
mod support;

mod refusals;

use std::path::Path;
use std::process::Output;

use support::replace_in;

fn run(cwd: &Path, args: &[&str]) -> Output {
    support::fabchart(cwd).args(args).output().unwrap()
}

/// Exit code, stdout and stderr together, as one reviewable text.
fn transcript(output: &Output) -> String {
    format!(
        "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn project_with(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    support::copy_tree(
        &support::root().join("samples/simple"),
        &tmp.path().join("project"),
    );
    edit(&tmp.path().join("project"));
    tmp
}

#[test]
fn compile_writes_the_chart_and_says_so_on_stderr_only() {
    let tmp = project_with(|_| {});
    let output = run(tmp.path(), &["compile", "project"]);
    assert!(output.status.success(), "{}", transcript(&output));
    assert!(output.stdout.is_empty(), "compile prints nothing on stdout");
    assert!(tmp.path().join("project/out/hlf-kube/Chart.yaml").is_file());
    assert!(tmp
        .path()
        .join("project/out/hlf-kube/configtx.yaml")
        .is_file());
}

#[test]
fn dangling_references_are_all_reported_with_positions() {
    let tmp = project_with(|p| {
        replace_in(
            &p.join("network.yaml"),
            "orgs: [Harbor, Meadow, Quarry]",
            "orgs: [Harbor, Medow, Quarry]",
        );
        replace_in(
            &p.join("network.yaml"),
            "- name: harbor-quarry\n          orgs",
            "- name: harbour-quarry\n          orgs",
        );
    });
    let output = run(tmp.path(), &["compile", "project"]);
    insta::assert_snapshot!(transcript(&output));
    assert!(
        !tmp.path().join("project/out").exists(),
        "nothing is written on error"
    );
}

#[test]
fn unknown_keys_name_the_accepted_ones() {
    let tmp = project_with(|p| replace_in(&p.join("network.yaml"), "  channels:", "  chanels:"));
    let output = run(tmp.path(), &["compile", "project"]);
    insta::assert_snapshot!(transcript(&output));
}

#[test]
fn bad_names_and_capabilities_are_refused() {
    let tmp = project_with(|p| {
        replace_in(
            &p.join("network.yaml"),
            "- name: trade",
            "- name: Trade_Floor",
        );
        replace_in(&p.join("configtx.yaml"), "V2_5: true", "V2_6: true");
    });
    let output = run(tmp.path(), &["compile", "project"]);
    insta::assert_snapshot!(transcript(&output));
}

#[test]
fn missing_files_are_named() {
    let tmp = project_with(|p| std::fs::remove_file(p.join("configtx.yaml")).unwrap());
    let output = run(tmp.path(), &["compile", "project"]);
    insta::assert_snapshot!(transcript(&output));
}

#[test]
fn a_failed_compile_leaves_the_previous_output_untouched() {
    let tmp = project_with(|_| {});
    assert!(run(tmp.path(), &["compile", "project"]).status.success());
    let before = fabchart::tree::Tree::read(&tmp.path().join("project/out")).unwrap();
    replace_in(
        &tmp.path().join("project/network.yaml"),
        "orgs: [Harbor, Quarry]",
        "orgs: [Nobody]",
    );
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    let after = fabchart::tree::Tree::read(&tmp.path().join("project/out")).unwrap();
    assert!(before == after, "the previous output changed");
}

#[test]
fn recompiling_is_byte_identical_and_check_passes() {
    let tmp = project_with(|_| {});
    assert!(run(tmp.path(), &["compile", "project"]).status.success());
    let first = fabchart::tree::Tree::read(&tmp.path().join("project/out")).unwrap();
    assert!(run(tmp.path(), &["compile", "project"]).status.success());
    let second = fabchart::tree::Tree::read(&tmp.path().join("project/out")).unwrap();
    assert!(first == second, "a second compile changed the output");
    let check = run(tmp.path(), &["compile", "project", "--check"]);
    assert!(check.status.success(), "{}", transcript(&check));
}

#[test]
fn an_unchanged_recompile_writes_nothing() {
    use std::os::unix::fs::MetadataExt;
    let tmp = project_with(|_| {});
    let inode = |path: &str| std::fs::metadata(tmp.path().join(path)).unwrap().ino();
    for extra in [&[][..], &["--keys-dir", "keys"][..]] {
        let compile = [&["compile", "project"][..], extra].concat();
        assert!(run(tmp.path(), &compile).status.success());
        let folders = [
            "project/out/hlf-kube",
            "project/out/connection-profiles",
            "project/fabchart.lock",
        ];
        let before: Vec<u64> = folders.iter().map(|f| inode(f)).collect();
        let keys = (!extra.is_empty()).then(|| {
            (
                inode("keys/crypto-config"),
                inode("keys/hlf-kube-secrets.yaml"),
            )
        });
        let output = run(tmp.path(), &compile);
        assert!(output.status.success(), "{}", transcript(&output));
        let after: Vec<u64> = folders.iter().map(|f| inode(f)).collect();
        assert_eq!(before, after, "{extra:?}: the output was written again");
        let keys_after = (!extra.is_empty()).then(|| {
            (
                inode("keys/crypto-config"),
                inode("keys/hlf-kube-secrets.yaml"),
            )
        });
        assert_eq!(keys, keys_after, "the keys were written again");
    }
}

#[test]
fn a_chart_too_big_for_its_release_is_refused_and_nothing_is_written() {
    use fabchart::synthetic::{self, Shape};
    // The material is written while the release is estimated; it must not
    // reach the output.
    let tmp = tempfile::tempdir().unwrap();
    let shape = Shape {
        peer_orgs: 120,
        peers: 4,
        channels: 10,
        ..Shape::REFERENCE
    };
    synthetic::write(&tmp.path().join("project"), shape).unwrap();
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`helm install` would fail"), "{stderr}");
    assert!(
        stderr.contains("Compile with --keys-dir DIR: the identity Secrets (about"),
        "{stderr}"
    );
    let out = tmp.path().join("project/out");
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    assert!(!tmp.path().join("project/fabchart.lock").exists());
}

#[test]
fn check_reports_stale_output() {
    let tmp = project_with(|_| {});
    assert!(run(tmp.path(), &["compile", "project"]).status.success());
    replace_in(
        &tmp.path().join("project/network.yaml"),
        "version: \"1.0\"",
        "version: \"1.1\"",
    );
    let check = run(tmp.path(), &["compile", "project", "--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", transcript(&check));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        stderr.contains("changed: project/out/hlf-kube/topology.json"),
        "{stderr}"
    );
}

#[test]
fn extending_the_network_only_adds_files() {
    let tmp = project_with(|_| {});
    assert!(run(tmp.path(), &["compile", "project"]).status.success());
    let crypto = tmp.path().join("project/out/hlf-kube/crypto-config");
    let before = fabchart::tree::Tree::read(&crypto).unwrap();
    replace_in(
        &tmp.path().join("project/crypto-config.yaml"),
        "Count: 1\n    Users",
        "Count: 2\n    Users",
    );
    let output = run(tmp.path(), &["compile", "project"]);
    assert!(output.status.success(), "{}", transcript(&output));
    let after = fabchart::tree::Tree::read(&crypto).unwrap();
    let diff = fabchart::tree::TreeDiff::between(&before, &after);
    assert!(
        diff.changed.is_empty() && diff.removed.is_empty(),
        "{diff:?}"
    );
    assert!(
        diff.added
            .iter()
            .any(|p| p.contains("peer1.harbor.example")),
        "{diff:?}"
    );
}

#[test]
fn keys_can_live_outside_the_chart() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = project_with(|_| {});
    let compile = ["compile", "project", "--keys-dir", "keys"];
    let output = run(tmp.path(), &compile);
    assert!(output.status.success(), "{}", transcript(&output));
    let chart = tmp.path().join("project/out/hlf-kube");
    let keys = tmp.path().join("keys");

    let chart_files = fabchart::tree::Tree::read(&chart).unwrap();
    // What configtx.yaml reads stays (org MSPs, consenter certificates);
    // node and user material lives in the keys folder only.
    assert!(chart_files.contains("crypto-config/peerOrganizations/harbor.example/msp/config.yaml"));
    assert!(chart_files.contains(
        "crypto-config/ordererOrganizations/beacon.example/orderers/orderer0.beacon.example/tls/server.crt"
    ));
    assert!(!chart_files
        .files()
        .any(|(p, _)| p.contains("/peers/") || p.contains("/users/")));
    let leaked: Vec<_> = chart_files
        .files()
        .map(|(p, _)| p)
        .filter(|p| fabchart::generate::crypto::is_private_key(p))
        .collect();
    assert!(leaked.is_empty(), "private keys in the chart: {leaked:?}");
    let topology = String::from_utf8(chart_files.get("topology.json").unwrap().to_vec()).unwrap();
    assert!(topology.contains("\"secretsOutside\": true"));

    let key_files = fabchart::tree::Tree::read(&keys).unwrap();
    let private: Vec<_> = key_files
        .files()
        .map(|(p, _)| p)
        .filter(|p| fabchart::generate::crypto::is_private_key(p))
        .collect();
    assert!(!private.is_empty());
    for path in private.iter().map(|p| keys.join(p)) {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
    let manifest = keys.join("hlf-kube-secrets.yaml");
    let mode = std::fs::metadata(&manifest).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(
        text.contains("name: hlf-peer--harbor--peer0-crypto"),
        "{text}"
    );
    // Every Secret the chart's pods mount is in the manifest.
    let network =
        fabchart::model::build(&fabchart::load::load(&tmp.path().join("project")).unwrap())
            .unwrap();
    for org in network.orgs.iter().filter(|o| !o.external) {
        for secret in org.identities.keys() {
            assert!(
                text.contains(&format!("name: {secret}\n")),
                "{secret} missing"
            );
        }
    }

    // Same input, same bytes, keys reused.
    let output = run(tmp.path(), &compile);
    assert!(output.status.success(), "{}", transcript(&output));
    assert!(fabchart::tree::Tree::read(&chart).unwrap() == chart_files);
    assert!(fabchart::tree::Tree::read(&keys).unwrap() == key_files);
    let check = run(
        tmp.path(),
        &["compile", "project", "--keys-dir", "keys", "--check"],
    );
    assert!(check.status.success(), "{}", transcript(&check));

    // Forgetting --keys-dir must not mint a new CA into a keyless chart.
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--keys-dir"));
    assert!(fabchart::tree::Tree::read(&chart).unwrap() == chart_files);
}

/// PIVT's cross-cluster and "extended" inputs: orgs of other clusters named
/// only in configtx.yaml (their MSP copied in by hand), raft consenters run by
/// another cluster, a channel that network.yaml grows beyond its profile, an
/// orderer org without NodeOUs, an anchor peer address fabchart does not make.
#[test]
fn other_clusters_orgs_come_from_configtx_yaml() {
    let tmp = project_with(|p| {
        replace_in(
            &p.join("crypto-config.yaml"),
            "    Domain: beacon.example\n    EnableNodeOUs: true\n",
            "    Domain: beacon.example\n",
        );
        replace_in(
            &p.join("configtx.yaml"),
            "Organizations:\n",
            "Organizations:\n  - &Distant\n    Name: DistantMSP\n    ID: DistantMSP\n    MSPDir: crypto-config/peerOrganizations/distant.example/msp\n    Policies:\n      Readers: {Type: Signature, Rule: \"OR('DistantMSP.member')\"}\n      Writers: {Type: Signature, Rule: \"OR('DistantMSP.member')\"}\n      Admins: {Type: Signature, Rule: \"OR('DistantMSP.admin')\"}\n      Endorsement: {Type: Signature, Rule: \"OR('DistantMSP.peer')\"}\n    AnchorPeers:\n      - {Host: peer0.distant.example, Port: 443}\n\n  - &Remote\n    Name: RemoteMSP\n    ID: RemoteMSP\n    MSPDir: crypto-config/ordererOrganizations/remote.example/msp\n    Policies:\n      Readers: {Type: Signature, Rule: \"OR('RemoteMSP.member')\"}\n      Writers: {Type: Signature, Rule: \"OR('RemoteMSP.member')\"}\n      Admins: {Type: Signature, Rule: \"OR('RemoteMSP.admin')\"}\n\n",
        );
        replace_in(
            &p.join("configtx.yaml"),
            "      Organizations: [*Beacon]\n    Application:\n      <<: *ApplicationDefaults\n      Organizations: [*Harbor, *Meadow, *Quarry]",
            "      Organizations: [*Beacon, *Remote]\n      EtcdRaft:\n        Consenters:\n          - {Host: hlf-orderer--beacon--orderer0, Port: 7050}\n          - {Host: orderer0.remote.example, Port: 443}\n    Application:\n      <<: *ApplicationDefaults\n      Organizations: [*Harbor, *Quarry, *Distant]",
        );
        replace_in(
            &p.join("configtx.yaml"),
            "      - Host: hlf-peer--harbor--peer0\n        Port: 7051",
            "      - Host: harbor-gateway.example\n        Port: 7051",
        );
    });
    let output = run(tmp.path(), &["compile", "project"]);
    assert!(output.status.success(), "{}", transcript(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("anchor peer `harbor-gateway.example`"),
        "{stderr}"
    );

    let network =
        fabchart::model::build(&fabchart::load::load(&tmp.path().join("project")).unwrap())
            .unwrap();
    let distant = network
        .orgs
        .iter()
        .find(|o| o.msp_id == "DistantMSP")
        .unwrap();
    assert!(distant.external && distant.name == "Distant");
    assert_eq!(
        distant.anchor_peers[0].address(),
        "peer0.distant.example:443"
    );
    let remote = network
        .orgs
        .iter()
        .find(|o| o.msp_id == "RemoteMSP")
        .unwrap();
    assert!(remote.external);
    assert_eq!(remote.nodes[0].fqdn, "orderer0.remote.example");

    let trade = network.channels.iter().find(|c| c.name == "trade").unwrap();
    // Meadow is on the channel in network.yaml, not in the profile: kept.
    assert!(trade.profile.application.orgs.iter().any(|o| o == "Meadow"));
    let consenter = trade
        .profile
        .orderer
        .consenters
        .iter()
        .find(|c| c.org == "Remote")
        .unwrap();
    assert_eq!(
        (consenter.host.as_str(), consenter.port),
        ("orderer0.remote.example", 443)
    );
    assert_eq!(
        consenter.tls_cert,
        "crypto-config/ordererOrganizations/remote.example/orderers/orderer0.remote.example/tls/server.crt"
    );

    // Beacon has no NodeOUs: its MSPs carry the admin certificate instead.
    let chart = tmp.path().join("project/out/hlf-kube");
    let beacon = network.orgs.iter().find(|o| o.name == "Beacon").unwrap();
    let secret = &beacon.nodes[0].secret;
    for file in beacon
        .files(secret)
        .iter()
        .chain(beacon.shared_files(secret))
    {
        assert!(chart.join(&file.source).is_file(), "{}", file.source);
    }
    // The org's admin certificate, from its public MSP.
    assert!(beacon.shared_files(secret).iter().any(|f| f.source
        == "crypto-config/ordererOrganizations/beacon.example/msp/admincerts/Admin@beacon.example-cert.pem"
        && f.mount == "msp/admincerts/Admin@beacon.example-cert.pem"));

    // Until their public material is copied in, compile warns per channel
    // and the channel and peer-org flows refuse to print a workflow that
    // would fail in the cluster.
    for expected in [
        "org Distant (DistantMSP) of another cluster is not imported yet: its public MSP missing, which configtxgen needs for channel trade. Import the org's bundle",
        "org Remote (RemoteMSP) of another cluster is not imported yet: its public MSP, consenter orderer0.remote.example's TLS certificate missing, which configtxgen needs for channel trade",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in:\n{stderr}");
    }
    assert!(
        stderr
            .lines()
            .filter(|l| l.contains("not imported yet"))
            .all(|l| !l.contains("harbor-quarry")),
        "{stderr}"
    );
    for flow in ["channel", "peer-org"] {
        let output = run(tmp.path(), &["flow", flow, "project"]);
        assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
        assert!(output.stdout.is_empty());
        assert!(
            String::from_utf8_lossy(&output.stderr)
                .contains("org Distant (DistantMSP) of another cluster is not imported yet"),
            "{}",
            transcript(&output)
        );
    }
    let output = run(
        tmp.path(),
        &[
            "flow",
            "channel",
            "project",
            "--set",
            "flow.channel.include={harbor-quarry}",
        ],
    );
    assert!(output.status.success(), "{}", transcript(&output));

    // The other clusters' material, copied into the chart's tree (here: made
    // by a second compile of the sample, under their names): recorded, and
    // the flows emit.
    let other = project_with(|_| {});
    assert!(run(other.path(), &["compile", "project"]).status.success());
    let from = other.path().join("project/out/hlf-kube/crypto-config");
    let to = chart.join("crypto-config");
    let copy = |src: &str, dst: &str| {
        let (src, dst) = (from.join(src), to.join(dst));
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    };
    for sub in [
        "cacerts/ca.meadow.example-cert.pem",
        "tlscacerts/tlsca.meadow.example-cert.pem",
        "config.yaml",
    ] {
        copy(
            &format!("peerOrganizations/meadow.example/msp/{sub}"),
            &format!("peerOrganizations/distant.example/msp/{sub}"),
        );
    }
    for sub in [
        "cacerts/ca.beacon.example-cert.pem",
        "tlscacerts/tlsca.beacon.example-cert.pem",
    ] {
        copy(
            &format!("ordererOrganizations/beacon.example/msp/{sub}"),
            &format!("ordererOrganizations/remote.example/msp/{sub}"),
        );
    }
    copy(
        "ordererOrganizations/beacon.example/orderers/orderer0.beacon.example/tls/server.crt",
        "ordererOrganizations/remote.example/orderers/orderer0.remote.example/tls/server.crt",
    );
    let output = run(tmp.path(), &["compile", "project"]);
    assert!(output.status.success(), "{}", transcript(&output));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("placeholder"));
    let record = std::fs::read_to_string(tmp.path().join("project/fabchart.lock")).unwrap();
    assert!(record.contains("  DistantMSP:\n    name: Distant\n    kind: peer\n    domain: distant.example\n    external: true\n"), "{record}");
    for flow in ["channel", "peer-org"] {
        let output = run(tmp.path(), &["flow", flow, "project"]);
        assert!(output.status.success(), "{}", transcript(&output));
    }

    // Another certificate in its place later is not the recorded org.
    std::fs::copy(
        from.join("peerOrganizations/quarry.example/msp/cacerts/ca.quarry.example-cert.pem"),
        to.join("peerOrganizations/distant.example/msp/cacerts/ca.meadow.example-cert.pem"),
    )
    .unwrap();
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("Distant (DistantMSP): the CA in"),
        "{}",
        transcript(&output)
    );
}

/// PIVT's inputs were written for Fabric 1.4: Application V1_4_2 channels and
/// chaincodes with no `type`. They compile; such a chaincode is left off the
/// legacy channel with a warning that says how to raise the capability.
#[test]
fn untyped_chaincodes_are_left_off_legacy_channels_with_a_warning() {
    let tmp = project_with(|p| {
        replace_in(
            &p.join("configtx.yaml"),
            "  Application: &ApplicationCapabilities\n    V2_5: true",
            "  Application: &ApplicationCapabilities\n    V1_4_2: true",
        );
    });
    let output = run(tmp.path(), &["compile", "project"]);
    assert!(output.status.success(), "{}", transcript(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("chaincode `ledger-notes` (chaincode as a service by default) is left off channel `trade`")
            && stderr.contains("update.application.capabilities.version=V2_0"),
        "{stderr}"
    );
    let flow = run(tmp.path(), &["flow", "chaincode", "-p", "project"]);
    assert!(flow.status.success(), "{}", transcript(&flow));
    assert!(!String::from_utf8_lossy(&flow.stdout).contains("chaincode: ledger-notes"));
}

/// `fabchart flow channel-update|peer-org` refuses, before anything is
/// printed on stdout, what would break a channel or cannot work.
fn flow_transcript(args: &[&str]) -> String {
    let tmp = project_with(|_| {});
    let mut all = vec!["flow"];
    all.extend_from_slice(args);
    all.extend(["-p", "project"]);
    let output = run(tmp.path(), &all);
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    assert!(output.stdout.is_empty(), "nothing reaches argo submit");
    transcript(&output)
}

#[test]
fn channel_update_refuses_unknown_capabilities() {
    insta::assert_snapshot!(flow_transcript(&[
        "channel-update",
        "--set",
        "update.scope=application,update.application.capabilities.version=V1_4_3",
    ]));
}

#[test]
fn channel_update_refuses_json_paths_that_are_not_plain() {
    insta::assert_snapshot!(flow_transcript(&[
        "channel-update",
        "--set",
        "update.scope=application,update.application.type=jsonPath",
        "--set",
        "update.application.jsonPath.key=.channel_group.groups[\"Application\"] | del(.),update.application.jsonPath.value=ANY",
    ]));
}

#[test]
fn channel_update_refuses_smart_bft_options_on_raft_channels() {
    insta::assert_snapshot!(flow_transcript(&[
        "channel-update",
        "--set",
        "update.scope=orderer,update.orderer.smartBft.requestBatchMaxCount=90",
    ]));
}

#[test]
fn channel_update_refuses_smart_bft_options_of_the_wrong_kind() {
    insta::assert_snapshot!(flow_transcript(&[
        "channel-update",
        "--set",
        "update.scope=orderer,update.orderer.smartBft.syncOnStart=yes",
    ]));
}

#[test]
fn system_channel_updates_are_refused_without_a_system_channel() {
    insta::assert_snapshot!(flow_transcript(&[
        "peer-org",
        "--set",
        "flow.sendUpdate.systemChannel.enabled=true",
    ]));
}

#[test]
fn channel_update_names_a_missing_update_file() {
    insta::assert_snapshot!(flow_transcript(&[
        "channel-update",
        "--set",
        "update.scope=application,flow.channel.include={trade},update.file=signed.pb",
    ]));
}

/// `fabchart flow backup|restore` refuse, before printing anything, what
/// could not run: a restore without its key, an unknown storage type, no
/// credentials.
#[test]
fn backup_and_restore_options_are_checked_before_anything_is_printed() {
    let tmp = project_with(|_| {});
    let cases: [(&str, &[&str]); 4] = [
        (
            "restore without a key",
            &[
                "flow",
                "restore",
                "-p",
                "project",
                "--set",
                "backup.target.secret=backup-s3",
            ],
        ),
        (
            "unknown target type",
            &[
                "flow",
                "backup",
                "-p",
                "project",
                "--set",
                "backup.target.type=ftp,backup.target.secret=backup-ftp",
            ],
        ),
        ("no credentials", &["flow", "backup", "-p", "project"]),
        (
            "restore.force on a backup",
            &[
                "flow",
                "backup",
                "-p",
                "project",
                "--set",
                "backup.target.secret=backup-s3,restore.force=true",
            ],
        ),
    ];
    let mut out = String::new();
    for (what, args) in cases {
        let output = run(tmp.path(), args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{what}: {}",
            transcript(&output)
        );
        assert!(output.stdout.is_empty(), "{what}: nothing on stdout");
        out.push_str(&format!("=== {what}\n{}", transcript(&output)));
    }
    insta::assert_snapshot!(out);
}

/// The developer's profiles: each YAML file says what its JSON twin says,
/// in the common connection profile's plain shape (`tlsCACerts: {pem: ...}`,
/// no YAML tags), with a PEM certificate for every TLS endpoint.
#[test]
fn connection_profiles_in_yaml_say_what_the_json_says() {
    for sample in support::samples() {
        let (tmp, _) = support::compile_sample(&sample);
        let dir = tmp.path().join("out/connection-profiles");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let json_path = entry.unwrap().path();
            if json_path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let yaml_path = json_path.with_extension("yaml");
            let json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
            let yaml_text = std::fs::read_to_string(&yaml_path).unwrap();
            assert!(
                !yaml_text.contains(": !"),
                "{} has a YAML tag",
                yaml_path.display()
            );
            let yaml: serde_json::Value = serde_yaml::from_str(&yaml_text).unwrap();
            assert_eq!(json, yaml, "{} differs from its JSON", yaml_path.display());
            // A cluster that runs no orderer knows other clusters' only
            // from their bundles, which the samples do not import.
            let runs_orderers = std::fs::read_to_string(sample.join("crypto-config.yaml"))
                .unwrap()
                .contains("\nOrdererOrgs:");
            for section in ["peers", "orderers"] {
                let nodes = json[section].as_object().unwrap();
                if section == "orderers" && !runs_orderers {
                    continue;
                }
                assert!(!nodes.is_empty(), "{}: no {section}", json_path.display());
                for (name, node) in nodes {
                    let pem = node["tlsCACerts"]["pem"].as_str().unwrap_or_else(|| {
                        panic!("{}: {name} has no tlsCACerts.pem", json_path.display())
                    });
                    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{name}");
                }
            }
            checked += 1;
        }
        assert!(checked > 0, "{}: no profiles", dir.display());
    }
}
