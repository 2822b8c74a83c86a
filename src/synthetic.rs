//! Synthetic networks of any size, for benchmarks and scale tests: `peer_orgs`
//! peer orgs of `peers` peers, `orderer_orgs` orderer orgs of `orderers` Raft
//! nodes, `channels` channels and `chaincodes` chaincodes.

use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub peer_orgs: usize,
    pub peers: usize,
    pub orderer_orgs: usize,
    pub orderers: usize,
    pub channels: usize,
    pub chaincodes: usize,
    pub tls: bool,
}

impl Shape {
    /// The network the issues size their targets on.
    pub const REFERENCE: Shape = Shape {
        peer_orgs: 20,
        peers: 5,
        orderer_orgs: 3,
        orderers: 3,
        channels: 30,
        chaincodes: 10,
        tls: true,
    };
}

fn peer_org(i: usize) -> String {
    format!("Org{i}")
}

/// Writes network.yaml, crypto-config.yaml and configtx.yaml into `dir`.
/// Channel `c` holds up to 5 orgs starting at org `c % peer_orgs`, channel 0
/// holds them all; chaincode `k` runs on channels `k` and `k + chaincodes`.
pub fn write(dir: &Path, shape: Shape) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut crypto = String::from("OrdererOrgs:\n");
    for o in 0..shape.orderer_orgs {
        let _ = writeln!(crypto, "  - Name: Ord{o}\n    Domain: ord{o}.example\n    EnableNodeOUs: true\n    Template:\n      Count: {}", shape.orderers);
    }
    crypto.push_str("PeerOrgs:\n");
    for p in 0..shape.peer_orgs {
        let _ = writeln!(crypto, "  - Name: {}\n    Domain: org{p}.example\n    EnableNodeOUs: true\n    Template:\n      Count: {}\n    Users:\n      Count: 1", peer_org(p), shape.peers);
    }

    let channel_orgs = |c: usize| -> Vec<String> {
        if c == 0 {
            (0..shape.peer_orgs).map(peer_org).collect()
        } else {
            (0..shape.peer_orgs.min(5))
                .map(|k| peer_org((c + k) % shape.peer_orgs))
                .collect()
        }
    };
    let mut network = format!(
        "tlsEnabled: {}\nuseActualDomains: false\nnetwork:\n  channels:\n",
        shape.tls
    );
    for c in 0..shape.channels {
        let _ = writeln!(
            network,
            "    - name: ch{c}\n      orgs: [{}]",
            channel_orgs(c).join(", ")
        );
    }
    network.push_str("  chaincodes:\n");
    for k in 0..shape.chaincodes {
        let channels: Vec<usize> = [k, k + shape.chaincodes]
            .into_iter()
            .filter(|c| *c < shape.channels)
            .collect();
        let mut orgs: Vec<String> = channels.iter().flat_map(|c| channel_orgs(*c)).collect();
        orgs.sort();
        orgs.dedup();
        let _ = writeln!(network, "    - name: cc{k}\n      image: registry.example/cc{k}:1.0\n      version: \"1.0\"\n      orgs: [{}]\n      channels:", orgs.join(", "));
        for c in channels {
            let members: Vec<String> = channel_orgs(c)
                .iter()
                .map(|o| format!("'{o}MSP.peer'"))
                .collect();
            let _ = writeln!(
                network,
                "        - name: ch{c}\n          orgs: [{}]\n          policy: OR({})",
                channel_orgs(c).join(", "),
                members.join(",")
            );
        }
    }

    let mut configtx = String::from("Organizations:\n");
    for o in 0..shape.orderer_orgs {
        let _ = writeln!(configtx, "  - &Ord{o}\n    Name: Ord{o}MSP\n    ID: Ord{o}MSP\n    MSPDir: crypto-config/ordererOrganizations/ord{o}.example/msp");
    }
    for p in 0..shape.peer_orgs {
        let _ = writeln!(configtx, "  - &{0}\n    Name: {0}MSP\n    ID: {0}MSP\n    MSPDir: crypto-config/peerOrganizations/org{p}.example/msp", peer_org(p));
    }
    configtx.push_str("Capabilities:\n  Channel: &ChannelCaps {V2_0: true}\n  Orderer: &OrdererCaps {V2_0: true}\n  Application: &AppCaps {V2_5: true}\n");
    let orderer_refs: Vec<String> = (0..shape.orderer_orgs)
        .map(|o| format!("*Ord{o}"))
        .collect();
    configtx.push_str("Profiles:\n");
    for c in 0..shape.channels {
        let refs: Vec<String> = channel_orgs(c).iter().map(|o| format!("*{o}")).collect();
        let _ = writeln!(configtx, "  ch{c}:\n    Capabilities: *ChannelCaps\n    Orderer:\n      OrdererType: etcdraft\n      Organizations: [{}]\n      Capabilities: *OrdererCaps\n    Application:\n      Organizations: [{}]\n      Capabilities: *AppCaps", orderer_refs.join(", "), refs.join(", "));
    }
    std::fs::write(dir.join("crypto-config.yaml"), crypto)?;
    std::fs::write(dir.join("network.yaml"), network)?;
    std::fs::write(dir.join("configtx.yaml"), configtx)
}
