//! Native crypto material vs cryptogen 2.5: the simple reference topology
//! (3 peer orgs, 1 orderer org, NodeOUs) must describe exactly like the
//! fixture made once from the real cryptogen 2.5.16 output, chain correctly,
//! and be reused byte for byte on the next compile.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use fabchart::generate::crypto::{self, describe_tree, CaRule, Existing, Generated};
use fabchart::model::layout::{self, IdentityPaths};
use fabchart::model::material::{CaSubject, NodeCrypto, OrgCrypto, UserCrypto};
use fabchart::model::OrgKind;
use fabchart::tree::Tree;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;

const FIXTURE: &str = "tests/fixtures/cryptogen/simple.expected";

fn now() -> OffsetDateTime {
    // 2026-11-24 19:38:41 UTC: certificates start at 19:34:00 like the reference.
    OffsetDateTime::from_unix_timestamp(1_795_549_121).unwrap()
}

/// The material of `orgs` (every CA adoptable), reusing `existing` (a
/// crypto-config/ folder on disk), written to `out`.
fn generate(
    orgs: &[OrgCrypto],
    existing: Option<&Path>,
    out: &Path,
    now: OffsetDateTime,
) -> anyhow::Result<Generated> {
    let tree = existing.map(|dir| Tree::read(dir).unwrap());
    let root = existing
        .map(|dir| dir.display().to_string())
        .unwrap_or_default();
    let existing = tree.as_ref().map(|tree| Existing { tree, root: &root });
    let rules = vec![CaRule::Adopt; orgs.len()];
    let generated = crypto::generate(orgs, &rules, existing.as_ref(), now)?;
    if out.exists() {
        fs::remove_dir(out).unwrap();
    }
    fabchart::write::write_tree(out, &generated.tree)?;
    Ok(generated)
}

fn node_in(kind: OrgKind, host: &str, domain: &str) -> NodeCrypto {
    let cn = format!("{host}.{domain}");
    NodeCrypto {
        sans: vec![cn.clone(), host.to_owned()],
        paths: IdentityPaths::node(&layout::org_dir(kind, domain), kind, &cn),
        common_name: cn,
    }
}

fn node(host: &str, domain: &str) -> NodeCrypto {
    node_in(OrgKind::Peer, host, domain)
}

fn user(name: &str, domain: &str, kind: OrgKind, admin: bool) -> UserCrypto {
    UserCrypto {
        common_name: name.to_owned(),
        admin,
        paths: IdentityPaths::user(&layout::org_dir(kind, domain), name),
    }
}

fn org(kind: OrgKind, domain: &str, nodes: Vec<NodeCrypto>, user_count: usize) -> OrgCrypto {
    let mut users: Vec<UserCrypto> = (1..=user_count)
        .map(|i| user(&format!("User{i}@{domain}"), domain, kind, false))
        .collect();
    users.push(user(&format!("Admin@{domain}"), domain, kind, true));
    OrgCrypto {
        kind,
        domain: domain.to_owned(),
        dir: layout::org_dir(kind, domain),
        enable_node_ous: true,
        ca: CaSubject {
            common_name: format!("ca.{domain}"),
            ..CaSubject::default()
        },
        nodes,
        users,
        external: false,
    }
}

/// `/work/shared/reference/fabric-2.5.16/cryptogen-simple/crypto-config.yaml`, by hand.
fn simple() -> Vec<OrgCrypto> {
    let mut orgs: Vec<OrgCrypto> = ["aptalkarga.tr", "nevergreen.nl", "atlantis.com"]
        .iter()
        .map(|d| org(OrgKind::Peer, d, vec![node("peer0", d)], 1))
        .collect();
    orgs.push(org(
        OrgKind::Orderer,
        "groeifabriek.nl",
        vec![node_in(OrgKind::Orderer, "orderer0", "groeifabriek.nl")],
        0,
    ));
    orgs
}

fn files(root: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(root).unwrap().display().to_string())
        .collect();
    out.sort();
    out
}

fn contents(root: &Path) -> BTreeMap<String, Vec<u8>> {
    files(root)
        .into_iter()
        .map(|f| (f.clone(), fs::read(root.join(&f)).unwrap()))
        .collect()
}

fn cert_der(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(&bytes).unwrap();
    assert_eq!(pem.label, "CERTIFICATE", "{}", path.display());
    pem.contents
}

fn ski(cert: &X509Certificate<'_>) -> Option<Vec<u8>> {
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        })
}

fn aki(cert: &X509Certificate<'_>) -> Option<Vec<u8>> {
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        })
}

/// Asserts `leaf` is signed by `ca` (signature, issuer name, AKI = SKI).
fn assert_issued_by(leaf_path: &Path, ca_path: &Path) {
    let (leaf_der, ca_der) = (cert_der(leaf_path), cert_der(ca_path));
    let (_, leaf) = x509_parser::parse_x509_certificate(&leaf_der).unwrap();
    let (_, ca) = x509_parser::parse_x509_certificate(&ca_der).unwrap();
    leaf.verify_signature(Some(ca.public_key()))
        .unwrap_or_else(|e| {
            panic!(
                "{} not signed by {}: {e}",
                leaf_path.display(),
                ca_path.display()
            )
        });
    assert_eq!(
        leaf.issuer().as_raw(),
        ca.subject().as_raw(),
        "{}",
        leaf_path.display()
    );
    if leaf_path == ca_path {
        // cryptogen's self-signed CAs carry a SKI but no AKI.
        assert!(
            aki(&ca).is_none() && ski(&ca).is_some(),
            "{}",
            ca_path.display()
        );
        return;
    }
    assert_eq!(aki(&leaf), ski(&ca), "{}", leaf_path.display());
    assert!(
        ski(&leaf).is_none(),
        "{} has a SKI, cryptogen leaves have none",
        leaf_path.display()
    );
}

fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1);
        }
    }
    format!(
        "lengths differ: expected {} lines, got {}",
        expected.lines().count(),
        actual.lines().count()
    )
}

#[test]
fn simple_topology_matches_the_cryptogen_reference() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crypto-config");
    let report = generate(&simple(), None, &out, now()).unwrap();
    assert!(report.reused.is_empty());
    assert_eq!(report.generated, files(&out));

    let actual = describe_tree(&out).unwrap();
    let expected = fs::read_to_string(FIXTURE).unwrap();
    assert!(
        actual == expected,
        "differs from {FIXTURE}: {}",
        first_difference(&expected, &actual)
    );
}

#[test]
fn every_certificate_chains_to_its_ca_and_keys_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crypto-config");
    generate(&simple(), None, &out, now()).unwrap();
    for org in simple() {
        let org_dir = out.join(&org.dir);
        let ca = org_dir.join(format!("ca/ca.{}-cert.pem", org.domain));
        let tlsca = org_dir.join(format!("tlsca/tlsca.{}-cert.pem", org.domain));
        assert_issued_by(&ca, &ca);
        assert_issued_by(&tlsca, &tlsca);
        let nodes = match org.kind {
            OrgKind::Peer => "peers",
            OrgKind::Orderer => "orderers",
        };
        let ids = org
            .nodes
            .iter()
            .map(|n| (org_dir.join(nodes).join(&n.common_name), "server"))
            .chain(
                org.users
                    .iter()
                    .map(|u| (org_dir.join("users").join(&u.common_name), "client")),
            );
        for (id, prefix) in ids {
            let name = id.file_name().unwrap().to_str().unwrap().to_owned();
            assert_issued_by(&id.join(format!("msp/signcerts/{name}-cert.pem")), &ca);
            assert_issued_by(&id.join(format!("tls/{prefix}.crt")), &tlsca);
        }
    }
    let tree = describe_tree(&out).unwrap();
    assert!(
        !tree.contains("DOES NOT MATCH") && !tree.contains("MISMATCH"),
        "{tree}"
    );
    assert_eq!(
        tree.matches(", matches ").count(),
        2 * 4 + 2 * 11,
        "every key has its certificate"
    );
    for f in files(&out) {
        let mode = fs::metadata(out.join(&f)).unwrap().permissions().mode() & 0o777;
        let name = f.rsplit('/').next().unwrap();
        let key = name == "priv_sk" || name.ends_with(".key");
        assert_eq!(mode, if key { 0o600 } else { 0o644 }, "{f}");
    }
}

#[test]
fn second_compile_reuses_everything_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    generate(&simple(), None, &first, now()).unwrap();
    let report = generate(&simple(), Some(&first), &second, now()).unwrap();
    assert_eq!(report.generated, Vec::<String>::new());
    assert_eq!(report.reused, files(&first));
    assert_eq!(contents(&first), contents(&second));
}

#[test]
fn a_new_peer_is_the_only_thing_generated_and_chains_to_the_old_ca() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    generate(&simple(), None, &first, now()).unwrap();
    let mut orgs = simple();
    orgs[0].nodes.push(node("peer1", "aptalkarga.tr"));
    let report = generate(&orgs, Some(&first), &second, now()).unwrap();

    let peer1 = Path::new("peerOrganizations/aptalkarga.tr/peers/peer1.aptalkarga.tr");
    assert!(!report.generated.is_empty());
    for f in &report.generated {
        assert!(
            Path::new(f).starts_with(peer1),
            "unexpectedly generated {f}"
        );
    }
    assert_eq!(report.reused, files(&first));
    let org = second.join("peerOrganizations/aptalkarga.tr");
    let old_org = first.join("peerOrganizations/aptalkarga.tr");
    assert_issued_by(
        &second
            .join(peer1)
            .join("msp/signcerts/peer1.aptalkarga.tr-cert.pem"),
        &old_org.join("ca/ca.aptalkarga.tr-cert.pem"),
    );
    assert_issued_by(
        &second.join(peer1).join("tls/server.crt"),
        &old_org.join("tlsca/tlsca.aptalkarga.tr-cert.pem"),
    );
    assert_eq!(
        fs::read(second.join(peer1).join("tls/ca.crt")).unwrap(),
        fs::read(org.join("tlsca/tlsca.aptalkarga.tr-cert.pem")).unwrap()
    );
}

#[test]
fn a_certificate_without_its_key_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    generate(&simple(), None, &first, now()).unwrap();
    let peer0 = first.join("peerOrganizations/nevergreen.nl/peers/peer0.nevergreen.nl");
    fs::remove_file(peer0.join("msp/keystore/priv_sk")).unwrap();
    let err = generate(&simple(), Some(&first), &dir.path().join("second"), now()).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains(
            &peer0
                .join("msp/signcerts/peer0.nevergreen.nl-cert.pem")
                .display()
                .to_string()
        ),
        "{text}"
    );
    assert!(
        text.contains(&peer0.join("msp/keystore").display().to_string()),
        "{text}"
    );

    generate(&simple(), None, &dir.path().join("third"), now()).unwrap();
    let tls = dir
        .path()
        .join("third/ordererOrganizations/groeifabriek.nl/orderers/orderer0.groeifabriek.nl/tls");
    fs::remove_file(tls.join("server.crt")).unwrap();
    let err = generate(
        &simple(),
        Some(&dir.path().join("third")),
        &dir.path().join("fourth"),
        now(),
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains(&tls.join("server.key").display().to_string()),
        "{err:#}"
    );
}

#[test]
fn a_ca_without_its_key_is_fine_until_something_needs_signing() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    generate(&simple(), None, &first, now()).unwrap();
    let ca_dir = first.join("peerOrganizations/atlantis.com/ca");
    fs::remove_file(ca_dir.join("priv_sk")).unwrap();
    generate(&simple(), Some(&first), &dir.path().join("second"), now()).unwrap();

    let mut orgs = simple();
    orgs[2].users.insert(
        1,
        user("User2@atlantis.com", "atlantis.com", OrgKind::Peer, false),
    );
    let err = generate(&orgs, Some(&first), &dir.path().join("third"), now()).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains(
            &ca_dir
                .join("ca.atlantis.com-cert.pem")
                .display()
                .to_string()
        ),
        "{text}"
    );
    assert!(text.contains("User2@atlantis.com"), "{text}");
}

#[test]
fn external_orgs_get_placeholders_and_keep_copied_public_material() {
    let dir = tempfile::tempdir().unwrap();
    let mut orgs = simple();
    orgs[1].external = true;
    orgs[3].external = true;
    let elsewhere = dir.path().join("elsewhere");
    generate(&simple(), None, &elsewhere, now()).unwrap();
    let existing = dir.path().join("existing");
    let msp = "peerOrganizations/nevergreen.nl/msp";
    let copied = [
        format!("{msp}/cacerts/ca.nevergreen.nl-cert.pem"),
        format!("{msp}/tlscacerts/tlsca.nevergreen.nl-cert.pem"),
    ];
    for rel in &copied {
        fs::create_dir_all(existing.join(rel).parent().unwrap()).unwrap();
        fs::copy(elsewhere.join(rel), existing.join(rel)).unwrap();
    }
    let out = dir.path().join("out");
    let report = generate(&orgs, Some(&existing), &out, now()).unwrap();
    assert_eq!(report.reused, copied.to_vec());
    let ca = cert_der(&existing.join(&copied[0]));
    assert_eq!(
        report.fingerprints[1].as_ref().unwrap().ca,
        vec![crypto::fingerprint(&ca)],
        "the copied MSP is the org's identity"
    );
    assert_eq!(
        report.fingerprints[3], None,
        "an empty placeholder has none"
    );
    assert!(out
        .join("peerOrganizations/nevergreen.nl/msp/tlscacerts")
        .is_dir());
    let tls =
        out.join("ordererOrganizations/groeifabriek.nl/orderers/orderer0.groeifabriek.nl/tls");
    assert!(tls.is_dir() && fs::read_dir(&tls).unwrap().next().is_none());
    assert!(files(&out.join("ordererOrganizations")).is_empty());
    assert!(!out.join("peerOrganizations/nevergreen.nl/peers").exists());
}

#[test]
fn without_node_ous_admin_certs_are_placed_like_cryptogen() {
    let dir = tempfile::tempdir().unwrap();
    let mut orgs = vec![simple().remove(0)];
    orgs[0].enable_node_ous = false;
    let out = dir.path().join("out");
    generate(&orgs, None, &out, now()).unwrap();
    let org = out.join("peerOrganizations/aptalkarga.tr");
    let admin =
        fs::read(org.join("users/Admin@aptalkarga.tr/msp/signcerts/Admin@aptalkarga.tr-cert.pem"))
            .unwrap();
    let user =
        fs::read(org.join("users/User1@aptalkarga.tr/msp/signcerts/User1@aptalkarga.tr-cert.pem"))
            .unwrap();
    for place in [
        "msp",
        "peers/peer0.aptalkarga.tr/msp",
        "users/Admin@aptalkarga.tr/msp",
    ] {
        assert_eq!(
            fs::read(
                org.join(place)
                    .join("admincerts/Admin@aptalkarga.tr-cert.pem")
            )
            .unwrap(),
            admin
        );
        assert!(!org.join(place).join("config.yaml").exists());
    }
    assert_eq!(
        fs::read(org.join("users/User1@aptalkarga.tr/msp/admincerts/User1@aptalkarga.tr-cert.pem"))
            .unwrap(),
        user
    );
    assert!(org
        .join("users/Admin@aptalkarga.tr/tls/client.key")
        .is_file());
    let tree = describe_tree(&out).unwrap();
    assert!(
        tree.contains(
            "subject: C=US, ST=California, L=San Francisco, CN=Admin@aptalkarga.tr(utf8)"
        ),
        "{tree}"
    );
    assert!(!tree.contains("OU="), "no node OUs without NodeOUs");
}

#[test]
fn a_foreign_ca_keeps_its_own_key_identifier_and_subject() {
    // A CA made by another tool: different subject, SKI method (rcgen's truncated SHA-256), key file name.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CountryName, "NL");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Nevergreen B.V.");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ca.nevergreen.nl");
    let ca = params.self_signed(&key).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("existing");
    let ca_dir = existing.join("peerOrganizations/nevergreen.nl/ca");
    fs::create_dir_all(&ca_dir).unwrap();
    fs::write(ca_dir.join("ca.nevergreen.nl-cert.pem"), ca.pem()).unwrap();
    fs::write(ca_dir.join("0123abcd_sk"), key.serialize_pem()).unwrap();

    let out = dir.path().join("out");
    let orgs = vec![simple().remove(1)];
    let report = generate(&orgs, Some(&existing), &out, now()).unwrap();
    assert_eq!(report.reused.len(), 2);
    let org = out.join("peerOrganizations/nevergreen.nl");
    for id in [
        "peers/peer0.nevergreen.nl/msp/signcerts/peer0.nevergreen.nl-cert.pem",
        "users/User1@nevergreen.nl/msp/signcerts/User1@nevergreen.nl-cert.pem",
    ] {
        assert_issued_by(&org.join(id), &ca_dir.join("ca.nevergreen.nl-cert.pem"));
    }
    // Byte for byte, under cryptogen's name (which the chart's Secrets read).
    assert_eq!(
        fs::read(org.join("ca/priv_sk")).unwrap(),
        key.serialize_pem().as_bytes()
    );
    assert_eq!(
        fs::metadata(org.join("ca/priv_sk"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
}

#[test]
fn ca_subject_fields_and_sans_are_ordered_like_go() {
    let mut o = org(
        OrgKind::Peer,
        "x.example",
        vec![node("peer0", "x.example")],
        0,
    );
    o.ca = CaSubject {
        common_name: "ca.x.example".into(),
        country: "NL".into(),
        province: "Utrecht".into(),
        locality: "Houten".into(),
        organizational_unit: "Fabric".into(),
        street_address: "Main 1".into(),
        postal_code: "3990".into(),
    };
    o.nodes[0].sans.splice(
        2..2,
        [
            "10.0.0.1".to_owned(),
            "alt.x.example".to_owned(),
            "::ffff:10.0.0.2".to_owned(),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    generate(&[o], None, dir.path(), now()).unwrap();
    let tree = describe_tree(dir.path()).unwrap();
    let ca = "C=NL, ST=Utrecht, L=Houten, street=Main 1, postalCode=3990, O=x.example, OU=Fabric, CN=ca.x.example";
    assert!(tree.contains(&format!("subject: {ca}\n")), "{tree}");
    // Go would put both OUs in one multi-valued RDN; rcgen writes two RDNs.
    assert!(tree.contains("subject: C=NL, ST=Utrecht, L=Houten, street=Main 1, postalCode=3990, OU=Fabric, OU=peer, CN=peer0.x.example\n"), "{tree}");
    assert!(tree.contains("subjectAltName: DNS:peer0.x.example, DNS:peer0, DNS:alt.x.example, IP:10.0.0.1, IP:10.0.0.2\n"), "{tree}");
    assert!(!tree.contains("MISMATCH"), "{tree}");
}
