//! Workflow size as the network grows.

use super::*;

// ---- size ----

/// A project folder with `peer_orgs` x `peers`, `orderer_orgs` x `orderers`,
/// `channels` channels (each with a rotating third of the peer orgs, at least
/// 2) and `chaincodes` chaincodes.
pub(crate) fn synthetic_project(
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
pub(crate) fn critical_path(workflow: &serde_yaml::Value) -> usize {
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
