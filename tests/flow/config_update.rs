//! The config-update flows' decisions (peer-org, channel-update), the
//! signature merge against real signconfigtx output.

use super::*;

// ---- the config-update flows' decisions (peer-org, channel-update) ----

/// Runs `call` (a lib.sh or update-lib.sh function call), stdin from fixture
/// `stdin_file` (none: empty); returns whether it succeeded and its stdout.
pub(crate) fn update_lib(
    call: &str,
    stdin_file: Option<&str>,
    env: &[(&str, &str)],
) -> (bool, String) {
    let (code, out, _) = bash_lib(call, stdin_file, env);
    (code == 0, out)
}

pub(crate) fn update_decides(call: &str, stdin_file: &str, env: &[(&str, &str)]) -> bool {
    decision(call, stdin_file, env)
        .unwrap_or_else(|| panic!("{call} < {stdin_file}: an error, not an answer"))
}

pub(crate) fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

/// The orgs of the recorded config: Application AtlantisMSP, KargaMSP,
/// NevergreenMSP; Orderer GroeifabriekMSP.
pub(crate) const CONFIG: &str = "config-with-anchors.json";

/// An org table as the config-update flows carry it (`orgs` parameter).
pub(crate) const ORG_TABLE: &str = r#"{
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
pub(crate) fn desired_values(sets: &[&str]) -> String {
    desired_values_for(&options(Flow::ChannelUpdate, sets))
}

pub(crate) fn desired_values_for(options: &FlowOptions) -> String {
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
pub(crate) fn base64(bytes: &[u8]) -> String {
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
pub(crate) fn pb_fields(data: &[u8]) -> Vec<(u64, Vec<u8>)> {
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

pub(crate) fn pb_field(data: &[u8], number: u64) -> Vec<Vec<u8>> {
    pb_fields(data)
        .into_iter()
        .filter(|(n, _)| *n == number)
        .map(|(_, v)| v)
        .collect()
}

/// (payload.header, payload.data, signatures) of an Envelope: data is the
/// ConfigUpdateEnvelope of a config update, the signatures the envelope's
/// own (outer) one, if any.
pub(crate) fn envelope_parts(envelope: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<Vec<u8>>) {
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
pub(crate) const CHANNEL_UPDATE: &[&str] = &[
    "update.scope=channel",
    "update.channel.capabilities.version=V2_0",
    "update.channel.policies.Admins=MAJORITY Admins",
];

/// `fabric3_blockers` (the upgrade-check flow): nothing in a Raft channel on
/// the new lifecycle with endpoints per orderer org; each thing Fabric 3
/// cannot run or V3_0 refuses on its own line, saying what to do.
#[test]
fn fabric3_blockers_read_from_the_config() {
    let (code, out, err) = bash_lib("fabric3_blockers", Some(CONFIG), &[]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let broken = format!(
        "jq '.channel_group.values.OrdererAddresses = {{mod_policy: \"/Channel/Orderer/Admins\", value: {{addresses: [\"o:7050\"]}}}}
          | .channel_group.groups.Application.values.Capabilities.value.capabilities = {{V1_4_2: {{}}}}
          | .channel_group.groups.Orderer.values.ConsensusType.value.type = \"kafka\"
          | del(.channel_group.groups.Orderer.groups[].values.Endpoints)' {CONFIG} | fabric3_blockers"
    );
    let (code, out, err) = bash_lib(&broken, None, &[]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    for (line, says) in lines.iter().zip([
        "orders with kafka: Fabric 3 orders with Raft (etcdraft) or BFT only",
        "Application capabilities (V1_4_2) use the legacy chaincode lifecycle",
        "global OrdererAddresses, which the V3_0 channel capability refuses",
        "orderer org GroeifabriekMSP lists no endpoints",
    ]) {
        assert!(line.contains(says), "{line:?} does not say {says:?}");
    }
    // V2_0 is the new lifecycle too.
    let v2_0 = format!(
        "jq '.channel_group.groups.Application.values.Capabilities.value.capabilities = {{V2_0: {{}}}}' {CONFIG} | fabric3_blockers"
    );
    assert_eq!(bash_lib(&v2_0, None, &[]).1, "");
}
