//! Bad input refused with its file, position and fix: policies, orderer
//! settings, template counts, flow values files.

use super::*;

/// Compiles a copy of samples/simple with each `(file, from, to)` edit
/// applied, expecting it to fail without writing anything; the transcript.
pub(crate) fn refused_compile(edits: &[(&str, &str, &str)]) -> String {
    let tmp = project_with(|p| {
        for (file, from, to) in edits {
            replace_in(&p.join(file), from, to);
        }
    });
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    assert!(
        !tmp.path().join("project/out").exists(),
        "nothing is written on error"
    );
    transcript(&output)
}

#[test]
fn fabric_version_is_an_exact_release() {
    insta::assert_snapshot!(refused_compile(&[(
        "network.yaml",
        "tlsEnabled: true",
        "fabricVersion: '2.5.16; rm -rf /'\ntlsEnabled: true",
    )]));
}

#[test]
fn fabric_version_lines_compare_as_numbers() {
    insta::assert_snapshot!(refused_compile(&[(
        "network.yaml",
        "tlsEnabled: true",
        "fabricVersion: 2.50.1\ntlsEnabled: true",
    )]));
}

/// The chaincode policies network.yaml gives are parsed at compile, as the
/// flows parse them, and faults point at the character.
#[test]
fn chaincode_policy_with_an_unclosed_gate_is_refused() {
    insta::assert_snapshot!(refused_compile(&[(
        "network.yaml",
        "policy: AND('HarborMSP.peer','QuarryMSP.peer')",
        "policy: OR('HarborMSP.admin'",
    )]));
}

#[test]
fn chaincode_policy_with_a_dangling_comma_is_refused() {
    insta::assert_snapshot!(refused_compile(&[(
        "network.yaml",
        "policy: AND('HarborMSP.peer','QuarryMSP.peer')",
        "policy: AND('HarborMSP.peer',",
    )]));
}

#[test]
fn chaincode_policy_naming_an_unknown_msp_is_refused() {
    insta::assert_snapshot!(refused_compile(&[(
        "network.yaml",
        "policy: AND('HarborMSP.peer','QuarryMSP.peer')",
        "policy: AND('HarbourMSP.peer','QuarryMSP.peer')",
    )]));
}

#[test]
fn implicit_meta_rule_must_be_any_all_or_majority() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "Admins: {Type: ImplicitMeta, Rule: \"MAJORITY Admins\"}\n    LifecycleEndorsement",
        "Admins: {Type: ImplicitMeta, Rule: \"SOME Admins\"}\n    LifecycleEndorsement",
    )]));
}

#[test]
fn policy_type_must_be_signature_or_implicit_meta() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "Admins: {Type: Signature, Rule: \"OR('QuarryMSP.admin')\"}",
        "Admins: {Type: Bogus, Rule: \"OR('QuarryMSP.admin')\"}",
    )]));
}

#[test]
fn principal_roles_are_fabrics() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "Admins: {Type: Signature, Rule: \"OR('QuarryMSP.admin')\"}",
        "Admins: {Type: Signature, Rule: \"OR('QuarryMSP.pear')\"}",
    )]));
}

#[test]
fn org_policy_naming_an_unknown_msp_is_refused() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "Admins: {Type: Signature, Rule: \"OR('QuarryMSP.admin')\"}",
        "Admins: {Type: Signature, Rule: \"OR('QuaryMSP.admin')\"}",
    )]));
}

#[test]
fn policies_need_admins_readers_and_writers() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "      Readers: {Type: Signature, Rule: \"OR('QuarryMSP.admin', 'QuarryMSP.peer', 'QuarryMSP.client')\"}\n",
        "",
    )]));
}

#[test]
fn batch_timeout_is_a_go_duration() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "BatchTimeout: 2s",
        "BatchTimeout: soon",
    )]));
}

#[test]
fn batch_sizes_are_configtxgen_sizes() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "AbsoluteMaxBytes: 99 MB",
        "AbsoluteMaxBytes: 99 ZB",
    )]));
}

#[test]
fn max_message_count_zero_is_refused() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "MaxMessageCount: 10",
        "MaxMessageCount: 0",
    )]));
}

#[test]
fn preferred_max_bytes_above_absolute_is_refused() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "PreferredMaxBytes: 512 KB",
        "PreferredMaxBytes: 512 MB",
    )]));
}

/// Two profiles merge OrdererDefaults: its fault is reported once, where it
/// is written.
#[test]
fn unknown_orderer_type_is_refused_once_where_written() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "OrdererType: etcdraft",
        "OrdererType: Bogus",
    )]));
}

#[test]
fn raft_options_are_checked_all_at_once() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "  OrdererType: etcdraft\n",
        "  OrdererType: etcdraft\n  EtcdRaft:\n    Options:\n      TickInterval: 0s\n      ElectionTick: 5\n      HeartbeatTick: 5\n      MaxInflightBlocks: 0\n      SnapshotIntervalSize: 16 XB\n",
    )]));
}

#[test]
fn unknown_raft_options_are_refused() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "  OrdererType: etcdraft\n",
        "  OrdererType: etcdraft\n  EtcdRaft:\n    Options:\n      TickIntervall: 500ms\n",
    )]));
}

/// An org refused for its counts is reported once: the channels, profiles and
/// chaincodes that name it say nothing more.
#[test]
fn template_count_is_bounded_without_consequential_errors() {
    insta::assert_snapshot!(refused_compile(&[(
        "crypto-config.yaml",
        "Count: 1\n    Users",
        "Count: 18446744073709551615\n    Users",
    )]));
}

#[test]
fn template_start_plus_count_cannot_wrap() {
    insta::assert_snapshot!(refused_compile(&[(
        "crypto-config.yaml",
        "Count: 1\n    Users",
        "Count: 2\n      Start: 18446744073709551615\n    Users",
    )]));
}

#[test]
fn users_count_is_bounded() {
    insta::assert_snapshot!(refused_compile(&[(
        "crypto-config.yaml",
        "Users:\n      Count: 1",
        "Users:\n      Count: 99999999",
    )]));
}

/// Faults of all three files at once, crypto-config.yaml's first (it
/// declares what the others refer to), then configtx.yaml's, then
/// network.yaml's.
#[test]
fn faults_of_every_file_are_reported_root_causes_first() {
    insta::assert_snapshot!(refused_compile(&[
        (
            "network.yaml",
            "policy: AND('HarborMSP.peer','QuarryMSP.peer')",
            "policy: AND('HarborMSP.peer','QuarryMSP.pear')",
        ),
        ("configtx.yaml", "BatchTimeout: 2s", "BatchTimeout: 0s"),
        (
            "crypto-config.yaml",
            "Users:\n      Count: 1",
            "Users:\n      Count: 99999999",
        ),
    ]));
}

/// serde stops at a file's first fault; compile reports all of them, and a
/// key missing because it was misspelt is one fault, not two.
#[test]
fn every_shape_error_of_a_file_is_reported_at_once() {
    insta::assert_snapshot!(refused_compile(&[
        ("network.yaml", "tlsEnabled: true", "tlsEnabled: maybe"),
        (
            "network.yaml",
            "    - name: harbor-quarry\n      orgs: [Harbor, Quarry]",
            "    - nmae: harbor-quarry\n      orgs: [Harbor, Quarry]",
        ),
        (
            "network.yaml",
            "      version: \"1.0\"",
            "      version: \"1.0\"\n      port: lots",
        ),
        (
            "network.yaml",
            "          orgs: [Harbor, Quarry]\n          policy",
            "          orgs: Harbor\n          policy",
        ),
    ]));
}

/// A fault in a section that profiles merge is reported once, where it is
/// written, with the path it is written at.
#[test]
fn a_shape_error_in_a_merged_section_is_reported_once() {
    insta::assert_snapshot!(refused_compile(&[
        ("configtx.yaml", "BatchTimeout: 2s", "BatchTimeout: 2"),
        (
            "configtx.yaml",
            "MaxMessageCount: 10",
            "MaxMessageCount: ten"
        ),
    ]));
}

/// Faults in a flow's values file are reported at their line and column, all
/// of them at once, with the settings checked as the orderer reads them.
#[test]
fn flow_values_file_faults_have_positions() {
    let tmp = project_with(|_| {});
    std::fs::write(
        tmp.path().join("values.yaml"),
        "retryCount: many\nflow:\n  chanel:\n    parallel: false\nupdate:\n  scope: orderer\n  orderer:\n    batchTimeout: soon\n    batchSize:\n      absoluteMaxBytes: 99 ZB\n    policies:\n      Admins: \"OR('BeaconMSP.pear')\"\n",
    )
    .unwrap();
    let output = run(
        tmp.path(),
        &[
            "flow",
            "channel-update",
            "-p",
            "project",
            "-f",
            "values.yaml",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    assert!(output.stdout.is_empty(), "nothing reaches argo submit");
    insta::assert_snapshot!(transcript(&output));
}

#[test]
fn flow_values_file_option_of_another_flow_has_a_position() {
    let tmp = project_with(|_| {});
    std::fs::write(tmp.path().join("values.yaml"), "backup:\n  key: nightly\n").unwrap();
    let output = run(
        tmp.path(),
        &["flow", "channel", "-p", "project", "-f", "values.yaml"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    insta::assert_snapshot!(transcript(&output));
}

/// Compiles a copy of `sample` with each `(file, from, to)` edit applied,
/// expecting it to fail without writing anything; the transcript.
fn refused_compile_of(sample: &str, edits: &[(&str, &str, &str)]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    support::copy_tree(&support::root().join(sample), &project);
    for (file, from, to) in edits {
        replace_in(&project.join(file), from, to);
    }
    let output = run(tmp.path(), &["compile", "project"]);
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    assert!(!project.join("out").exists(), "nothing is written on error");
    transcript(&output)
}

/// BFT on Fabric 2.5, with one orderer and no V3_0: each fault with its fix.
#[test]
fn bft_needs_fabric_3_four_consenters_and_v3_0() {
    insta::assert_snapshot!(refused_compile(&[(
        "configtx.yaml",
        "OrdererType: etcdraft",
        "OrdererType: BFT",
    )]));
}

#[test]
fn bft_consenter_mapping_and_options_are_checked() {
    insta::assert_snapshot!(refused_compile_of(
        "samples/bft",
        &[
            (
                "configtx.yaml",
                "  SmartBFT:\n",
                "  ConsenterMapping:\n    - {ID: 1, Host: orderer0.lighthouse.example, Port: 7050}\n    - {ID: 1, Host: orderer1.lighthouse.example, Port: 7050}\n    - {ID: 0, Host: orderer0.compass.example, Port: 0}\n    - {ID: 4, Host: orderer9.compass.example, Port: 7050}\n  SmartBFT:\n",
            ),
            (
                "configtx.yaml",
                "    RequestPoolSize: 100000\n",
                "    RequestPoolSize: 0\n    CollectTimeout: 1 second\n",
            ),
        ],
    ));
}

/// What Fabric 3 removed: solo (and kafka), and the legacy lifecycle.
#[test]
fn fabric_3_refuses_solo_and_the_legacy_lifecycle() {
    insta::assert_snapshot!(refused_compile_of(
        "samples/bft",
        &[
            ("configtx.yaml", "OrdererType: BFT", "OrdererType: solo"),
            ("configtx.yaml", "    V2_5: true", "    V1_4_2: true"),
        ],
    ));
}
