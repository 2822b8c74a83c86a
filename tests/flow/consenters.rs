//! The channel flow's consenter set (update-lib.sh, used by
//! channel-orderers.sh), on configs configtxgen made: `config-bft.json`
//! (Fabric 3.1.5, samples/bft's `trade`: four BFT consenters in two orderer
//! orgs) and `config-with-anchors.json` (Fabric 2.5.16, one Raft consenter).

use super::*;

const BFT: &str = "config-bft.json";
const RAFT: &str = CONFIG;
const ORDERERS: &str = ".channel_group.groups.Orderer";

/// Runs `call` on fixture `stdin_file` and reads its stdout as JSON.
fn json_of(call: &str, stdin_file: Option<&str>) -> serde_json::Value {
    let (code, out, err) = bash_lib(call, stdin_file, &[]);
    assert_eq!(code, 0, "{call}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{call}: {e}: {out}"))
}

fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

/// The value at a jq-style path of plain keys.
fn at<'a>(value: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    path.trim_start_matches('.')
        .split('.')
        .fold(value, |v, key| &v[key])
}

#[test]
fn quorum_is_a_majority_for_raft_and_ceil_n_plus_f_plus_1_over_2_for_bft() {
    for (kind, n, want) in [
        ("etcdraft", 1, 1),
        ("etcdraft", 2, 2),
        ("etcdraft", 3, 2),
        ("etcdraft", 4, 3),
        ("etcdraft", 5, 3),
        ("BFT", 4, 3),
        ("BFT", 5, 4),
        ("BFT", 6, 4),
        ("BFT", 7, 5),
        ("BFT", 10, 7),
    ] {
        let (code, out, err) = bash_lib(&format!("quorum {kind} {n}"), None, &[]);
        assert_eq!(
            (code, out.trim()),
            (0, want.to_string().as_str()),
            "{kind} {n}: {err}"
        );
    }
}

/// Removing a BFT consenter drops it from the mapping, its address from its
/// org's endpoints (the org keeps its other one), and makes the
/// BlockValidation policy of the three that stay; adding it back (its ID
/// free again) gives the config configtxgen made, policy included: the
/// flow's policy is configtxgen's.
#[test]
fn bft_consenters_removed_and_added_as_configtxgen_makes_them() {
    let original = fixture_json(BFT);
    let mapping = &at(&original, ORDERERS)["values"]["Orderers"]["value"]["consenter_mapping"];
    let last = mapping[3].clone();
    let address = format!("{}:{}", last["host"].as_str().unwrap(), last["port"]);
    assert_eq!(address, "hlf-orderer--compass--orderer1:7050");

    let call = format!("without_consenter {address} BFT");
    let without = json_of(&call, Some(BFT));
    let orderer = at(&without, ORDERERS);
    let left = orderer["values"]["Orderers"]["value"]["consenter_mapping"]
        .as_array()
        .unwrap();
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|c| c["host"] != last["host"]));
    let rule = &orderer["policies"]["BlockValidation"]["policy"]["value"]["rule"]["n_out_of"];
    // N = 3: f = 0, n = ceil(4 / 2) = 2.
    assert_eq!(rule["n"], 2);
    assert_eq!(rule["rules"].as_array().unwrap().len(), 3);
    assert_eq!(
        orderer["groups"]["CompassMSP"]["values"]["Endpoints"]["value"]["addresses"],
        serde_json::json!(["hlf-orderer--compass--orderer0:7050"])
    );
    for (kind, file, count) in [("BFT", BFT, "4"), ("etcdraft", RAFT, "1")] {
        let (_, out, _) = bash_lib(&format!("consenter_count {kind}"), Some(file), &[]);
        assert_eq!(out.trim(), count, "{file}");
    }

    // Back: the same ID, host, port, MSP ID and certificates.
    let consenter = serde_json::json!({
        "id": last["id"], "host": last["host"], "port": last["port"], "mspId": last["msp_id"],
        "endpoint": address,
    });
    let back = format!(
        "without_consenter {address} BFT < {BFT} | with_consenter '{consenter}' BFT '{}' '{}'",
        last["client_tls_cert"].as_str().unwrap(),
        last["identity"].as_str().unwrap()
    );
    assert_eq!(json_of(&back, None), original);
}

/// A BFT consenter whose ID another holds gets one above the highest: a
/// member's ID never changes.
#[test]
fn an_added_bft_consenter_never_takes_a_members_id() {
    let consenter = serde_json::json!({
        "id": 2, "host": "hlf-orderer--compass--orderer2", "port": 7050, "mspId": "CompassMSP",
        "endpoint": "hlf-orderer--compass--orderer2:7050",
    });
    let call = format!("with_consenter '{consenter}' BFT dGxz aWQ=");
    let added = json_of(&call, Some(BFT));
    let orderer = at(&added, ORDERERS);
    let mapping = orderer["values"]["Orderers"]["value"]["consenter_mapping"]
        .as_array()
        .unwrap();
    assert_eq!(mapping.len(), 5);
    assert_eq!(mapping[4]["id"], 5);
    let rule = &orderer["policies"]["BlockValidation"]["policy"]["value"]["rule"]["n_out_of"];
    // N = 5: f = 1, n = ceil(7 / 2) = 4.
    assert_eq!(rule["n"], 4);
    assert_eq!(
        orderer["groups"]["CompassMSP"]["values"]["Endpoints"]["value"]["addresses"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

/// Raft: what the inputs list and the config lacks, and the reverse, by
/// host and port; a removal keeps the BlockValidation policy (Raft's is no
/// consenter list) and an org's only endpoint.
#[test]
fn raft_consenters_missing_extra_and_removed() {
    let want = serde_json::json!({"type": "etcdraft", "tolerated": 0, "consenters": [
        {"id": 1, "host": "orderer0.groeifabriek.nl", "port": 7050},
        {"id": 2, "host": "orderer1.groeifabriek.nl", "port": 7050},
    ]});
    let (code, missing, err) = bash_lib(&format!("consenters_missing '{want}'"), Some(RAFT), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(missing.lines().count(), 1);
    assert!(missing.contains("orderer1.groeifabriek.nl"), "{missing}");
    let (_, extra, _) = bash_lib(&format!("consenters_extra '{want}'"), Some(RAFT), &[]);
    assert_eq!(extra, "");
    let none = serde_json::json!({"type": "etcdraft", "tolerated": 0, "consenters": []});
    let (_, extra, _) = bash_lib(&format!("consenters_extra '{none}'"), Some(RAFT), &[]);
    assert_eq!(extra, "orderer0.groeifabriek.nl:7050\n");

    let original = fixture_json(RAFT);
    let without = json_of(
        "without_consenter orderer0.groeifabriek.nl:7050 etcdraft",
        Some(RAFT),
    );
    let orderer = at(&without, ORDERERS);
    assert_eq!(
        orderer["values"]["ConsensusType"]["value"]["metadata"]["consenters"],
        serde_json::json!([])
    );
    let before = at(&original, ORDERERS);
    assert_eq!(orderer["policies"], before["policies"]);
    assert_eq!(
        orderer["groups"], before["groups"],
        "the org's only endpoint stays"
    );
}
