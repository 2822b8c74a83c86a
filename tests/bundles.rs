//! Public bundles between the clusters of samples/cross-cluster: what
//! export writes, what import takes and refuses, and what compile makes of
//! an imported bundle.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_yaml::Value;
use support::{fabchart, fabchart_ok as ok, root, CLUSTERS};

fn run(dir: &Path, args: &[&str]) -> Output {
    fabchart(dir).args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn refused(dir: &Path, args: &[&str], says: &str) -> String {
    let output = run(dir, args);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}:\n{text}");
    assert!(
        text.contains(says),
        "{args:?} does not say {says:?}:\n{text}"
    );
    text
}

fn clusters() -> tempfile::TempDir {
    support::exported_clusters()
}

fn export(dir: &Path, cluster: &str) -> PathBuf {
    let output = ok(dir, &["bundle", "export", cluster]);
    let file = dir.join(format!("{cluster}.bundle.yaml"));
    std::fs::write(&file, &output.stdout).unwrap();
    file
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn bundle(path: &Path) -> Value {
    serde_yaml::from_str(&read(path)).unwrap()
}

/// The org `msp_id` of a bundle.
fn org<'a>(bundle: &'a mut Value, msp_id: &str) -> &'a mut Value {
    bundle["orgs"]
        .as_sequence_mut()
        .unwrap()
        .iter_mut()
        .find(|o| o["mspId"].as_str() == Some(msp_id))
        .unwrap()
}

fn write(path: &Path, bundle: &Value) {
    std::fs::write(path, serde_yaml::to_string(bundle).unwrap()).unwrap();
}

/// Before the exchange every cluster lists what it misses, and its channel
/// flow refuses; after importing the other two bundles, compile has every
/// external org's MSP and consenter certificates, and every pod and flow
/// step resolves the other clusters' nodes as their bundles say.
#[test]
fn bundles_complete_every_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for cluster in CLUSTERS {
        support::copy_tree(
            &root().join("samples/cross-cluster").join(cluster),
            &dir.join(cluster),
        );
        let text = stderr(&ok(dir, &["compile", cluster]));
        let expected = match cluster {
            "one" => "org Lighthouse (LighthouseMSP) of another cluster is not imported yet: its public MSP, consenter orderer0.lighthouse.example's TLS certificate missing, which configtxgen needs for channels trade, harbor-meadow",
            "two" => "org Quarry (QuarryMSP) of another cluster is not imported yet: its public MSP missing, which configtxgen needs for channel trade",
            _ => "org Beacon (BeaconMSP) of another cluster is not imported yet",
        };
        assert!(text.contains(expected), "{cluster}:\n{text}");
        refused(dir, &["flow", "channel", cluster], "is not imported yet");
        export(dir, cluster);
    }
    for cluster in CLUSTERS {
        for other in CLUSTERS.iter().filter(|c| **c != cluster) {
            let file = format!("{other}.bundle.yaml");
            ok(dir, &["bundle", "import", &file, cluster]);
        }
        let text = stderr(&ok(dir, &["compile", cluster]));
        assert!(!text.contains("not imported"), "{cluster}:\n{text}");
    }

    // Cluster one's chart holds Lighthouse's and Meadow's public files as
    // cluster two made them, private keys of neither.
    let two = dir.join("two/out/hlf-kube/crypto-config");
    let one = dir.join("one/out/hlf-kube/crypto-config");
    for file in [
        "peerOrganizations/meadow.example/msp/cacerts/ca.meadow.example-cert.pem",
        "peerOrganizations/meadow.example/msp/tlscacerts/tlsca.meadow.example-cert.pem",
        "peerOrganizations/meadow.example/msp/config.yaml",
        "ordererOrganizations/lighthouse.example/orderers/orderer0.lighthouse.example/tls/server.crt",
        "ordererOrganizations/lighthouse.example/orderers/orderer0.lighthouse.example/msp/signcerts/orderer0.lighthouse.example-cert.pem",
    ] {
        assert_eq!(read(&one.join(file)), read(&two.join(file)), "{file}");
    }
    let leaked: Vec<_> = walkdir::WalkDir::new(one.join("ordererOrganizations/lighthouse.example"))
        .into_iter()
        .flatten()
        .filter(|e| fabchart::tree::is_private_key(&e.path().display().to_string()))
        .collect();
    assert!(leaked.is_empty(), "{leaked:?}");

    // The addresses: cluster two's per-node IPs, cluster three's one IP.
    let topology: serde_json::Value =
        serde_json::from_str(&read(&dir.join("one/out/hlf-kube/topology.json"))).unwrap();
    let aliases = &topology["network"]["hostAliases"];
    assert_eq!(
        aliases,
        &serde_json::json!([
            {"ip": "198.51.100.20", "hostnames": ["hlf-orderer--lighthouse--orderer0"]},
            {"ip": "198.51.100.21", "hostnames": ["hlf-peer--meadow--peer0"]},
            {"ip": "198.51.100.22", "hostnames": ["hlf-peer--meadow--peer1"]},
            {"ip": "192.0.2.30", "hostnames": ["hlf-peer--quarry--peer0", "hlf-peer--quarry--peer1"]},
        ])
    );
    let material =
        read(&dir.join("one/out/hlf-kube/charts/hlf-kube-material/templates/_material.tpl"));
    assert!(material.contains(&format!(
        "{{{{- define \"hlf-kube-material.hostAliases\" -}}}}\n{}",
        serde_json::to_string(aliases).unwrap()
    )));
    let flow: Value = serde_yaml::from_slice(&ok(dir, &["flow", "channel", "one"]).stdout).unwrap();
    let flow_aliases = serde_json::to_value(&flow["spec"]["hostAliases"]).unwrap();
    assert_eq!(&flow_aliases, aliases);

    // Every cluster would make the same channel: the same consenters,
    // orderer endpoints and anchor peers (each org's nodes where its own
    // cluster addresses them), the same MSPs.
    let profile = |cluster: &str| -> Value {
        let text = read(&dir.join(cluster).join("out/hlf-kube/configtx.yaml"));
        serde_yaml::from_str::<Value>(&text).unwrap()["Profiles"]["trade"].clone()
    };
    assert_eq!(profile("one"), profile("two"));
    assert_eq!(profile("one"), profile("three"));
    let consenters =
        serde_yaml::to_string(&profile("one")["Orderer"]["EtcdRaft"]["Consenters"]).unwrap();
    assert!(
        consenters.contains("Host: hlf-orderer--lighthouse--orderer0"),
        "{consenters}"
    );
    for msp in [
        "peerOrganizations/quarry.example/msp",
        "ordererOrganizations/beacon.example/msp",
    ] {
        let tree = |cluster: &str| {
            fabchart::tree::Tree::read(
                &dir.join(cluster)
                    .join("out/hlf-kube/crypto-config")
                    .join(msp),
            )
            .unwrap()
        };
        assert_eq!(tree("two"), tree("three"), "{msp}");
    }

    // Importing the same bundle again changes nothing.
    let lock = read(&dir.join("one/fabchart.lock"));
    let kept = read(&dir.join("one/bundles/MeadowMSP.yaml"));
    let text = stderr(&ok(dir, &["bundle", "import", "two.bundle.yaml", "one"]));
    assert!(
        text.contains("unchanged: Meadow (MeadowMSP)") && text.contains("(as pinned)"),
        "{text}"
    );
    assert_eq!(read(&dir.join("one/fabchart.lock")), lock);
    assert_eq!(read(&dir.join("one/bundles/MeadowMSP.yaml")), kept);
    assert!(lock.contains("MeadowMSP:\n    name: Meadow\n    kind: peer\n    domain: meadow.example\n    external: true"), "{lock}");
}

/// A bundle changed on its way is refused whole, and nothing is written.
#[test]
fn a_changed_bundle_is_refused_and_nothing_written() {
    let tmp = clusters();
    let dir = tmp.path();
    let one = bundle(&dir.join("one.bundle.yaml"));
    let three = bundle(&dir.join("three.bundle.yaml"));
    let quarry_ca = org(&mut three.clone(), "QuarryMSP")["files"]
        ["msp/cacerts/ca.quarry.example-cert.pem"]
        .clone();
    let beacon_tls = org(&mut one.clone(), "BeaconMSP")["files"]
        ["orderers/orderer0.beacon.example/tls/server.crt"]
        .clone();
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "another CA certificate, the fingerprints left",
            Box::new(move |b| {
                org(b, "MeadowMSP")["files"]["msp/cacerts/ca.meadow.example-cert.pem"] =
                    quarry_ca.clone();
            }),
            "the bundle was changed after it was made",
        ),
        (
            "a fingerprint changed",
            Box::new(|b| {
                let print = &mut org(b, "MeadowMSP")["fingerprints"]["tlsca"][0];
                let text = print.as_str().unwrap().to_string();
                let flipped = if text.starts_with('0') { "1" } else { "0" };
                *print = Value::String(format!("{flipped}{}", &text[1..]));
            }),
            "not the",
        ),
        (
            "an orderer's TLS certificate of another org",
            Box::new(move |b| {
                org(b, "LighthouseMSP")["files"]
                    ["orderers/orderer0.lighthouse.example/tls/server.crt"] = beacon_tls.clone();
            }),
            "was not issued by the org's TLS CA",
        ),
        (
            "a private key",
            Box::new(|b| {
                org(b, "LighthouseMSP")["files"]
                    ["orderers/orderer0.lighthouse.example/tls/server.key"] =
                    Value::String("-----BEGIN PRIVATE KEY-----\n".into());
            }),
            "is no file a bundle carries",
        ),
        (
            "a path out of the org's folder",
            Box::new(|b| {
                org(b, "MeadowMSP")["files"]["msp/cacerts/../../../../etc/x.pem"] =
                    Value::String("x".into());
            }),
            "is no file a bundle carries",
        ),
        (
            "an org twice",
            Box::new(|b| {
                let meadow = org(b, "MeadowMSP").clone();
                b["orgs"].as_sequence_mut().unwrap().push(meadow);
            }),
            "MeadowMSP is in the bundle twice",
        ),
        (
            "an address its certificate does not name",
            Box::new(|b| {
                org(b, "LighthouseMSP")["nodes"][0]["address"] =
                    Value::String("evil.example:7050".into());
            }),
            "does not name `evil.example`",
        ),
    ];
    for (what, change, says) in cases {
        let mut changed = bundle(&dir.join("two.bundle.yaml"));
        change(&mut changed);
        let file = dir.join("changed.yaml");
        write(&file, &changed);
        let lock = read(&dir.join("one/fabchart.lock"));
        let text = refused(dir, &["bundle", "import", "changed.yaml", "one"], says);
        assert!(
            text.contains("changed.yaml:"),
            "{what}: names the file and line:\n{text}"
        );
        assert!(!dir.join("one/bundles").exists(), "{what}: wrote a bundle");
        assert_eq!(
            read(&dir.join("one/fabchart.lock")),
            lock,
            "{what}: changed the record"
        );
    }
}

/// An org's new CA (here: cluster two's keys made again) is another
/// identity: refused against the pin, taken with --replace-ca.
#[test]
fn another_ca_for_a_pinned_org_needs_replace_ca() {
    let tmp = clusters();
    let dir = tmp.path();
    ok(dir, &["bundle", "import", "two.bundle.yaml", "one"]);
    let pinned = read(&dir.join("one/fabchart.lock"));

    let again = tempfile::tempdir().unwrap();
    support::copy_tree(
        &root().join("samples/cross-cluster/two"),
        &again.path().join("two"),
    );
    ok(again.path(), &["compile", "two"]);
    let new = export(again.path(), "two");
    let new = new.display().to_string();
    let text = refused(
        dir,
        &["bundle", "import", &new, "one"],
        "fabchart.lock pins CA",
    );
    assert!(
        text.contains("--replace-ca LighthouseMSP") && text.contains("--replace-ca MeadowMSP"),
        "{text}"
    );
    assert_eq!(read(&dir.join("one/fabchart.lock")), pinned);

    // Naming one org is not enough for a bundle that changes two.
    refused(
        dir,
        &["bundle", "import", &new, "one", "--replace-ca", "Meadow"],
        "--replace-ca LighthouseMSP",
    );
    ok(
        dir,
        &[
            "bundle",
            "import",
            &new,
            "one",
            "--replace-ca",
            "Meadow,Lighthouse",
        ],
    );
    let record = read(&dir.join("one/fabchart.lock"));
    let meadow = org(&mut bundle(Path::new(&new)), "MeadowMSP")["fingerprints"]["ca"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(record.contains(&meadow) && record != pinned);
    ok(dir, &["compile", "one"]);
}

/// `--expect` holds the fingerprint read out by the other side.
#[test]
fn expect_takes_the_fingerprint_read_out() {
    let tmp = clusters();
    let dir = tmp.path();
    let quarry = org(&mut bundle(&dir.join("three.bundle.yaml")), "QuarryMSP")["fingerprints"]
        ["ca"][0]
        .as_str()
        .unwrap()
        .to_string();
    let spoken = fabchart::identity::short_fingerprint(&quarry);
    let mut wrong: Vec<char> = spoken.chars().collect();
    wrong[0] = if wrong[0] == 'a' { 'b' } else { 'a' };
    let wrong: String = wrong.into_iter().collect();
    let import_expecting = |expect: &str, says: &str| {
        let args = [
            "bundle",
            "import",
            "three.bundle.yaml",
            "one",
            "--expect",
            expect,
        ];
        refused(dir, &args, says)
    };
    import_expecting(
        &format!("QuarryMSP={wrong}"),
        "not the certificate Quarry's operator read out",
    );
    assert!(!dir.join("one/bundles").exists());
    import_expecting(
        "HarborMSP=0000 0000 0000 0000",
        "--expect HarborMSP: the bundle has no such org",
    );
    import_expecting("QuarryMSP=0e2b", "at least the 16 hex digits");
    let text = stderr(&ok(
        dir,
        &[
            "bundle",
            "import",
            "three.bundle.yaml",
            "one",
            "--expect",
            &format!("QuarryMSP={spoken}"),
        ],
    ));
    assert!(text.contains("(as expected)"), "{text}");
}

/// A cluster's own orgs are never taken from a bundle, at import or compile.
#[test]
fn a_bundle_of_an_org_run_here_is_refused() {
    let tmp = clusters();
    let dir = tmp.path();
    refused(
        dir,
        &["bundle", "import", "one.bundle.yaml", "one"],
        "Beacon (BeaconMSP) runs in this cluster",
    );
    std::fs::create_dir(dir.join("one/bundles")).unwrap();
    std::fs::copy(
        dir.join("one.bundle.yaml"),
        dir.join("one/bundles/BeaconMSP.yaml"),
    )
    .unwrap();
    refused(dir, &["compile", "one"], "one/bundles/BeaconMSP.yaml:");
}

/// A bundle changed in the project after its import stops compile, which
/// names the file and line, and leaves the chart as it was.
#[test]
fn compile_refuses_a_changed_imported_bundle() {
    let tmp = clusters();
    let dir = tmp.path();
    ok(dir, &["bundle", "import", "two.bundle.yaml", "one"]);
    ok(dir, &["compile", "one"]);
    let kept = dir.join("one/bundles/MeadowMSP.yaml");
    let chart = fabchart::tree::Tree::read(&dir.join("one/out/hlf-kube")).unwrap();
    let mut changed = bundle(&kept);
    let three = bundle(&dir.join("three.bundle.yaml"));
    org(&mut changed, "MeadowMSP")["files"]["msp/cacerts/ca.meadow.example-cert.pem"] =
        three["orgs"][0]["files"]["msp/cacerts/ca.quarry.example-cert.pem"].clone();
    write(&kept, &changed);
    let text = refused(dir, &["compile", "one"], "one/bundles/MeadowMSP.yaml:");
    assert!(
        text.contains("the bundle was changed after it was made"),
        "{text}"
    );
    assert_eq!(
        fabchart::tree::Tree::read(&dir.join("one/out/hlf-kube")).unwrap(),
        chart
    );

    // Consistent again, but with another CA: the record refuses it.
    let mut other = changed.clone();
    let quarry_ca = three["orgs"][0]["fingerprints"]["ca"].clone();
    org(&mut other, "MeadowMSP")["fingerprints"]["ca"] = quarry_ca;
    write(&kept, &other);
    refused(
        dir,
        &["compile", "one"],
        "Meadow (MeadowMSP): the CA in one/bundles/MeadowMSP.yaml is sha256",
    );
    assert_eq!(
        fabchart::tree::Tree::read(&dir.join("one/out/hlf-kube")).unwrap(),
        chart
    );
}

#[test]
fn export_needs_a_compiled_project_and_names_orgs_of_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    support::copy_tree(&root().join("samples/cross-cluster/one"), &dir.join("one"));
    refused(
        dir,
        &["bundle", "export", "one"],
        "run `fabchart compile one` first",
    );
    ok(dir, &["compile", "one"]);
    refused(
        dir,
        &["bundle", "export", "one", "--org", "Meadow"],
        "--org Meadow: no org of this cluster",
    );
    let only = ok(dir, &["bundle", "export", "one", "--org", "HarborMSP"]);
    let only: Value = serde_yaml::from_slice(&only.stdout).unwrap();
    assert_eq!(only["orgs"].as_sequence().unwrap().len(), 1);
    assert_eq!(only["orgs"][0]["name"].as_str(), Some("Harbor"));
    assert_eq!(
        only["orgs"][0]["anchorPeers"],
        serde_yaml::from_str::<Value>("[hlf-peer--harbor--peer0:7051]").unwrap()
    );
    // Nothing private in it, and the same bytes twice.
    let exported = ok(dir, &["bundle", "export", "one"]);
    assert!(
        !stderr(&exported).contains("expose"),
        "{}",
        stderr(&exported)
    );
    let text = String::from_utf8(exported.stdout).unwrap();
    assert!(!text.contains("PRIVATE KEY"));
    assert_eq!(
        text,
        String::from_utf8(ok(dir, &["bundle", "export", "one"]).stdout).unwrap()
    );
    // Without `expose`, Service names reach no other cluster: export says so.
    support::replace_in(
        &dir.join("one/network.yaml"),
        "expose:\n  ip: 203.0.113.10\n",
        "",
    );
    ok(dir, &["compile", "one"]);
    let text = stderr(&ok(dir, &["bundle", "export", "one"]));
    assert!(
        text.contains("Harbor: hlf-peer--harbor--peer0, hlf-peer--harbor--peer1 addressed by Service name, and network.yaml's `expose` gives no IP"),
        "{text}"
    );
}

#[test]
fn expose_takes_ips_of_nodes_run_here() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    support::copy_tree(&root().join("samples/cross-cluster/two"), &dir.join("two"));
    support::replace_in(&dir.join("two/network.yaml"), "198.51.100.21", "lb.example");
    support::replace_in(
        &dir.join("two/network.yaml"),
        "peer1.meadow.example:",
        "peer7.meadow.example:",
    );
    let text = refused(dir, &["compile", "two"], "two/network.yaml:");
    assert!(text.contains("`lb.example` is no IP address"), "{text}");
    assert!(
        text.contains("`peer7.meadow.example` is no peer or orderer of this cluster"),
        "{text}"
    );
}

/// Another CA may name its certificates its own way: the flows dial the
/// other cluster's orderer with the TLS CA file the bundle carries.
#[test]
fn the_tls_ca_file_is_the_bundles() {
    let tmp = clusters();
    let dir = tmp.path();
    let mut two = bundle(&dir.join("two.bundle.yaml"));
    let files = org(&mut two, "LighthouseMSP")["files"]
        .as_mapping_mut()
        .unwrap();
    let pem = files
        .remove("msp/tlscacerts/tlsca.lighthouse.example-cert.pem")
        .unwrap();
    files.insert("msp/tlscacerts/lighthouse-tls-root.pem".into(), pem);
    write(&dir.join("renamed.yaml"), &two);
    ok(dir, &["bundle", "import", "renamed.yaml", "three"]);
    ok(dir, &["bundle", "import", "one.bundle.yaml", "three"]);
    ok(dir, &["compile", "three"]);
    let chart = dir.join("three/out/hlf-kube");
    let topology: serde_json::Value =
        serde_json::from_str(&read(&chart.join("topology.json"))).unwrap();
    let tls_ca = topology["network"]["flowOrderer"]["tlsCa"]
        .as_str()
        .unwrap();
    assert_eq!(
        tls_ca,
        "crypto-config/ordererOrganizations/lighthouse.example/msp/tlscacerts/lighthouse-tls-root.pem"
    );
    assert!(chart.join(tls_ca).is_file());
}
