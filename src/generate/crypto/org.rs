//! Per organization: what is reused from existing material (each key checked
//! against its certificate, each certificate against its CA), what must be
//! generated (like `cryptogen extend`), and the public files derived from the CAs.

use anyhow::{anyhow, bail, Result};
use rayon::prelude::*;
use rcgen::PublicKeyData;
use time::OffsetDateTime;

use super::ca::{leaf_subject, pem_certificate, read_key, Ca};
use super::cert::{self, Issuing, LeafProfile};
use super::layout::{self as msp, NodeType};
use super::output::Output;
use super::{CaFingerprints, CaKind, CaRule, Existing, Problem};
use crate::model::layout::{self, IdentityPaths};
use crate::model::material::OrgCrypto;
use crate::model::OrgKind;
use crate::tree::Tree;

/// One local MSP (a node or a user) of an organization.
struct Identity<'a> {
    paths: &'a IdentityPaths,
    node_type: NodeType,
    sans: &'a [String],
    /// Nodes get the admin's certificate in `admincerts/`, users their own.
    is_node: bool,
    new_sign: bool,
    new_tls: bool,
}

struct OrgPlan<'a> {
    index: usize,
    spec: &'a OrgCrypto,
    ca: Option<Ca>,
    tlsca: Option<Ca>,
    identities: Vec<Identity<'a>>,
    out: Output,
}

/// What one org came to: its plan, or why its CAs could not be used.
enum Planned<'a> {
    Local(Box<OrgPlan<'a>>),
    External(Output, Option<CaFingerprints>),
    Refused(Vec<Problem>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Sign,
    Tls,
}

/// Generates every org's material. Returns the tree, the generated and reused
/// files, each org's CA fingerprints (None for an external org whose public
/// MSP is not there yet) and the problems that keep recorded CAs from being
/// used; with problems, nothing was generated for those orgs.
#[allow(clippy::type_complexity)]
pub(crate) fn run(
    orgs: &[OrgCrypto],
    rules: &[CaRule],
    existing: Option<&Existing<'_>>,
    now: OffsetDateTime,
) -> Result<(
    Tree,
    Vec<String>,
    Vec<String>,
    Vec<Option<CaFingerprints>>,
    Vec<Problem>,
)> {
    let planned: Vec<Planned<'_>> = orgs
        .par_iter()
        .zip(rules.par_iter())
        .enumerate()
        .map(|(index, (org, rule))| {
            // A replaced local CA starts from nothing; a replaced external
            // one is whatever public MSP was copied in.
            let existing = match rule {
                CaRule::Replace if !org.external => None,
                _ => existing.filter(|e| e.tree.has_dir(&org.dir)),
            };
            if org.external {
                external(index, org, rule, existing)
            } else {
                plan(index, org, rule, existing)
            }
        })
        .collect::<Result<_>>()?;

    let mut fingerprints = vec![None; orgs.len()];
    let mut problems = Vec::new();
    let mut plans = Vec::new();
    let mut out = Output::new();
    for (index, planned) in planned.into_iter().enumerate() {
        match planned {
            Planned::Local(plan) => plans.push(*plan),
            Planned::External(org_out, prints) => {
                merge(&mut out, org_out);
                fingerprints[index] = prints;
            }
            Planned::Refused(found) => problems.extend(found),
        }
    }

    // New CAs, in parallel; each slot is filled by its own job.
    let missing: Vec<(usize, Which)> = plans
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let mut jobs = Vec::new();
            if p.ca.is_none() {
                jobs.push((i, Which::Sign));
            }
            if p.tlsca.is_none() {
                jobs.push((i, Which::Tls));
            }
            jobs
        })
        .collect();
    let created: Vec<Ca> = missing
        .par_iter()
        .map(|&(i, which)| {
            let p = &plans[i];
            match which {
                Which::Sign => Ca::create(p.spec, p.spec.ca_name(), &p.spec.ca_dir(), now),
                Which::Tls => Ca::create(p.spec, &p.spec.tlsca_name(), &p.spec.tlsca_dir(), now),
            }
        })
        .collect::<Result<_>>()?;
    for (&(i, which), ca) in missing.iter().zip(created) {
        let plan = &mut plans[i];
        plan.out.write(&ca.cert_path, ca.cert_pem().as_bytes());
        let key = ca.key.as_ref().expect("a created CA has its key");
        plan.out.write(
            &format!("{}/{}", ca.dir, layout::CA_KEY),
            cert::key_pem(key).as_bytes(),
        );
        match which {
            Which::Sign => plan.ca = Some(ca),
            Which::Tls => plan.tlsca = Some(ca),
        }
    }

    // New leaf identities, in parallel; results come back in job order.
    let jobs: Vec<(usize, usize, Which)> = plans
        .iter()
        .enumerate()
        .flat_map(|(o, p)| {
            p.identities.iter().enumerate().flat_map(move |(i, id)| {
                let mut jobs = Vec::new();
                if id.new_sign {
                    jobs.push((o, i, Which::Sign));
                }
                if id.new_tls {
                    jobs.push((o, i, Which::Tls));
                }
                jobs
            })
        })
        .collect();
    // Each CA that issues, prepared once for all its leaves.
    let issuing = |which: Which| -> Result<Vec<Option<Issuing<'_>>>> {
        plans
            .par_iter()
            .enumerate()
            .map(|(o, p)| {
                let ca = match which {
                    Which::Sign => &p.ca,
                    Which::Tls => &p.tlsca,
                };
                let issues = jobs.iter().any(|&(job, _, w)| job == o && w == which);
                match ca {
                    Some(ca) if issues => ca.issuing(),
                    _ => Ok(None),
                }
            })
            .collect()
    };
    let (signing, tls) = (issuing(Which::Sign)?, issuing(Which::Tls)?);
    let issued: Vec<(String, Vec<u8>)> = jobs
        .par_iter()
        .map(|&(o, i, which)| {
            let p = &plans[o];
            let id = &p.identities[i];
            let (ca, issuing, subject, profile) = match which {
                Which::Sign => {
                    let ou = p.spec.enable_node_ous.then(|| id.node_type.ou());
                    (
                        &p.ca,
                        &signing[o],
                        leaf_subject(p.spec, &id.paths.name, ou),
                        cert::SIGN_PROFILE,
                    )
                }
                Which::Tls => (
                    &p.tlsca,
                    &tls[o],
                    leaf_subject(p.spec, &id.paths.name, None),
                    cert::tls_profile(id.sans),
                ),
            };
            let ca = ca.as_ref().expect("every CA is loaded or created by now");
            let (key, der) = ca.issue(
                issuing.as_ref(),
                &subject,
                &profile as &LeafProfile<'_>,
                now,
            )?;
            Ok((key.pem(), der))
        })
        .collect::<Result<_>>()?;
    drop((signing, tls));
    let mut issued_to: Vec<Vec<_>> = plans.iter().map(|_| Vec::new()).collect();
    for (&(o, i, which), leaf) in jobs.iter().zip(issued) {
        issued_to[o].push((i, which, leaf));
    }

    // Each org's files, in parallel.
    plans
        .par_iter_mut()
        .zip(issued_to)
        .try_for_each(|(plan, issued)| {
            for (i, which, (key_pem, der)) in issued {
                let paths = plan.identities[i].paths;
                let (cert_rel, key_rel) = match which {
                    Which::Sign => (paths.signcert(), paths.key()),
                    Which::Tls => (paths.tls_cert(), paths.tls_key()),
                };
                plan.out.write(&cert_rel, cert::cert_pem(&der).as_bytes());
                plan.out.write(&key_rel, key_pem.as_bytes());
            }
            derived_files(plan)
        })?;
    for plan in plans {
        let ca = plan.ca.as_ref().expect("CA loaded or created");
        let tlsca = plan.tlsca.as_ref().expect("TLS CA loaded or created");
        fingerprints[plan.index] = Some(CaFingerprints {
            ca: vec![super::fingerprint(&ca.cert_der)],
            tlsca: vec![super::fingerprint(&tlsca.cert_der)],
        });
        merge(&mut out, plan.out);
    }
    let (tree, generated, reused) = out.finish();
    Ok((tree, generated, reused, fingerprints, problems))
}

fn merge(into: &mut Output, from: Output) {
    let (tree, generated, reused) = from.finish();
    into.tree.merge(tree);
    into.generated.extend(generated);
    into.reused.extend(reused);
}

/// Copies what exists of this org, loads its CAs (checked against the rule)
/// and decides which key pairs are new; each reused pair is checked.
fn plan<'a>(
    index: usize,
    org: &'a OrgCrypto,
    rule: &CaRule,
    existing: Option<&Existing<'_>>,
) -> Result<Planned<'a>> {
    let node_type = match org.kind {
        OrgKind::Peer => NodeType::Peer,
        OrgKind::Orderer => NodeType::Orderer,
    };
    let mut identities: Vec<Identity<'a>> = org
        .nodes
        .iter()
        .map(|n| Identity {
            paths: &n.paths,
            node_type,
            sans: &n.sans,
            is_node: true,
            new_sign: true,
            new_tls: true,
        })
        .collect();
    identities.extend(org.users.iter().map(|u| Identity {
        paths: &u.paths,
        // Without NodeOUs cryptogen treats the admin as a plain client.
        node_type: if u.admin && org.enable_node_ous {
            NodeType::Admin
        } else {
            NodeType::Client
        },
        sans: &[],
        is_node: false,
        new_sign: true,
        new_tls: true,
    }));

    let mut out = Output::new();
    let (mut ca, mut tlsca) = (None, None);
    if let Some(existing) = existing {
        let tree = existing.tree;
        ca = Ca::load(tree, existing.root, &org.ca_dir(), org.ca_name())?;
        tlsca = Ca::load(tree, existing.root, &org.tlsca_dir(), &org.tlsca_name())?;
    }
    if let CaRule::Pinned {
        ca: ca_pin,
        tlsca: tlsca_pin,
    } = rule
    {
        let mut problems = Vec::new();
        for (loaded, pin, which, dir) in [
            (&ca, ca_pin, CaKind::Signing, org.ca_dir()),
            (&tlsca, tlsca_pin, CaKind::Tls, org.tlsca_dir()),
        ] {
            match loaded {
                None => problems.push(Problem::Missing {
                    org: index,
                    which,
                    dir,
                }),
                Some(found) => {
                    let print = super::fingerprint(&found.cert_der);
                    if !pin.contains(&print) {
                        problems.push(Problem::Different {
                            org: index,
                            which,
                            path: found.cert_path.clone(),
                            found: print,
                        });
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Ok(Planned::Refused(problems));
        }
    }
    if let Some(existing) = existing {
        let tree = existing.tree;
        let root = existing.root;
        for sub in [org.ca_dir(), org.tlsca_dir(), org.msp_dir()] {
            out.copy_tree(tree, &sub);
        }
        // The CAs under the names the chart's Secrets read.
        for (loaded, cert, key) in [
            (&mut ca, org.ca_cert(), org.ca_key()),
            (&mut tlsca, org.tlsca_cert(), org.tlsca_key()),
        ] {
            if let Some(loaded) = loaded {
                out.rename(&loaded.cert_path, &cert);
                loaded.cert_path = cert;
                if let Some(from) = loaded.key_path.replace(key.clone()) {
                    out.rename(&from, &key);
                }
            }
        }
        for id in &mut identities {
            if !tree.has_dir(&id.paths.dir) {
                continue;
            }
            out.copy_tree(tree, &id.paths.dir);
            id.new_sign = !reuse_signing(&mut out, root, id, ca.as_ref())?;
            id.new_tls = !reuse_tls(&out, root, id, tlsca.as_ref())?;
        }
        for (loaded, dir, which) in [
            (&ca, org.ca_dir(), "signing"),
            (&tlsca, org.tlsca_dir(), "TLS"),
        ] {
            if loaded.is_some() {
                continue;
            }
            let reused = identities.iter().find(|id| match which {
                "signing" => !id.new_sign,
                _ => !id.new_tls,
            });
            if let Some(id) = reused {
                bail!(
                    "{root}/{dir} has no CA, but {root}/{} exists and was issued by that {which} CA: \
                     restore the CA certificate and key instead of creating a new CA",
                    id.paths.dir
                );
            }
        }
    }
    Ok(Planned::Local(Box::new(OrgPlan {
        index,
        spec: org,
        ca,
        tlsca,
        identities,
        out,
    })))
}

/// Whether the identity's signing certificate and key exist (both, or
/// neither: anything else is an error). An existing pair must match and the
/// certificate must be the CA's; it is then filed under cryptogen's names
/// (Fabric CA names keys by their SKI).
fn reuse_signing(out: &mut Output, root: &str, id: &Identity<'_>, ca: Option<&Ca>) -> Result<bool> {
    let paths = id.paths;
    let certs = out.files_in(&paths.signcerts());
    let keys = out.files_in(&paths.keystore());
    let cert_path = match (certs.as_slice(), keys.is_empty()) {
        ([], true) => return Ok(false),
        ([], false) => bail!(
            "{root}/{} exists but its certificate is missing from {root}/{}",
            keys[0],
            paths.signcerts()
        ),
        (_, true) => bail!(
            "{root}/{} exists but its private key is missing from {root}/{}",
            certs[0],
            paths.keystore()
        ),
        ([one], false) => one.clone(),
        (many, false) => {
            let preferred = paths.signcert();
            if many.contains(&preferred) {
                preferred
            } else {
                bail!(
                    "{root}/{}: cannot tell which of {} is the identity's certificate; keep only one",
                    paths.signcerts(),
                    many.join(", ")
                )
            }
        }
    };
    let cert_der = pem_certificate(
        out.get(&cert_path).unwrap_or_default(),
        &format!("{root}/{cert_path}"),
    )?;
    let public_key = public_key_of(&cert_der, &format!("{root}/{cert_path}"))?;
    let mut matching = None;
    for key_path in &keys {
        let key = read_key(
            out.get(key_path).unwrap_or_default(),
            &format!("{root}/{key_path}"),
        )?;
        if key.der_bytes() == public_key.as_slice() {
            matching = Some(key_path.clone());
            break;
        }
    }
    let Some(key_path) = matching else {
        bail!(
            "no private key in {root}/{} belongs to {root}/{cert_path}: restore the identity's key, \
             or remove its folder {root}/{} to have it issued again",
            paths.keystore(),
            paths.dir
        );
    };
    let ca = ca.ok_or_else(|| {
        anyhow!("{root}/{cert_path} exists, but its org has no signing CA to check it against")
    })?;
    check_issued(&cert_der, ca, &format!("{root}/{cert_path}"))?;
    // File them under the names the chart's Secrets read.
    for (from, to) in [(cert_path, paths.signcert()), (key_path, paths.key())] {
        if from != to {
            let file = out.tree.remove(&from).expect("listed above");
            out.tree.insert_file(to.clone(), file);
            out.reused.retain(|p| *p != from);
            out.reused.push(to);
        }
    }
    Ok(true)
}

/// Whether the identity's TLS certificate and key exist (both, or neither);
/// an existing pair must match and the certificate be the TLS CA's.
fn reuse_tls(out: &Output, root: &str, id: &Identity<'_>, tlsca: Option<&Ca>) -> Result<bool> {
    let paths = id.paths;
    let (cert_path, key_path) = (paths.tls_cert(), paths.tls_key());
    match (out.get(&cert_path), out.get(&key_path)) {
        (None, None) => Ok(false),
        (Some(_), None) => {
            bail!("{root}/{cert_path} exists but its private key {root}/{key_path} is missing")
        }
        (None, Some(_)) => {
            bail!("{root}/{key_path} exists but its certificate {root}/{cert_path} is missing")
        }
        (Some(cert), Some(key)) => {
            let shown = format!("{root}/{cert_path}");
            let cert_der = pem_certificate(cert, &shown)?;
            let key = read_key(key, &format!("{root}/{key_path}"))?;
            if key.der_bytes() != public_key_of(&cert_der, &shown)?.as_slice() {
                bail!(
                    "{root}/{key_path} does not hold the private key of {shown}: restore the pair, \
                     or remove both files to have them issued again"
                );
            }
            let tlsca = tlsca.ok_or_else(|| {
                anyhow!("{shown} exists, but its org has no TLS CA to check it against")
            })?;
            check_issued(&cert_der, tlsca, &shown)?;
            Ok(true)
        }
    }
}

fn public_key_of(cert_der: &[u8], path: &str) -> Result<Vec<u8>> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|e| anyhow!("{path}: not an X.509 certificate: {e}"))?;
    Ok(cert.public_key().subject_public_key.data.to_vec())
}

/// `cert_der` must carry `ca`'s signature.
fn check_issued(cert_der: &[u8], ca: &Ca, path: &str) -> Result<()> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|e| anyhow!("{path}: not an X.509 certificate: {e}"))?;
    let (_, issuer) = x509_parser::parse_x509_certificate(&ca.cert_der)
        .map_err(|e| anyhow!("{}: not an X.509 certificate: {e}", ca.cert_path))?;
    cert.verify_signature(Some(issuer.public_key())).map_err(|_| {
        anyhow!(
            "{path} was not issued by the org's CA {}{}: it belongs to another CA; \
             restore the matching material, or remove the identity's folder to have it issued again",
            ca.root,
            ca.cert_path
        )
    })
}

/// The public files every MSP holds, written where existing material did not provide them.
fn derived_files(p: &mut OrgPlan<'_>) -> Result<()> {
    let org = p.spec;
    let ca_pem = p.ca.as_ref().expect("CA loaded or created").cert_pem();
    let tlsca_pem = p
        .tlsca
        .as_ref()
        .expect("TLS CA loaded or created")
        .cert_pem();
    let ca_file = org.cacert_file();
    let tlsca_file = org.tlscacert_file();
    let config = msp::node_ous_config(&ca_file);
    let out = &mut p.out;

    let admin_cert = match org.admin() {
        Some(admin) if !org.enable_node_ous => own_signcert(out, &admin.paths),
        _ => None,
    };

    let msp = |out: &mut Output, msp: &str, own_cert: Option<(String, Vec<u8>)>| {
        let cacerts = format!("{msp}/cacerts");
        let tlscacerts = format!("{msp}/tlscacerts");
        // Under the name the chart's Secrets read, also where other tools
        // named the file their own way.
        out.write_if_missing(&format!("{cacerts}/{ca_file}"), ca_pem.as_bytes());
        out.write_if_missing(&format!("{tlscacerts}/{tlsca_file}"), tlsca_pem.as_bytes());
        if org.enable_node_ous {
            out.write_if_missing(&format!("{msp}/config.yaml"), config.as_bytes());
        } else if let Some((name, bytes)) = own_cert.or_else(|| admin_cert.clone()) {
            out.write_if_missing(
                &format!("{msp}/admincerts/{}", layout::cert_file(&name)),
                &bytes,
            );
        }
    };

    msp(out, &org.msp_dir(), None);
    for id in &p.identities {
        let own = if id.is_node || org.enable_node_ous {
            None
        } else {
            own_signcert(out, id.paths)
        };
        msp(out, &id.paths.msp(), own);
        out.mkdir(&id.paths.keystore());
        out.write_if_missing(&id.paths.tls_ca(), tlsca_pem.as_bytes());
    }
    Ok(())
}

/// An identity's signing certificate, for `admincerts/`.
fn own_signcert(out: &Output, paths: &IdentityPaths) -> Option<(String, Vec<u8>)> {
    out.get(&paths.signcert())
        .map(|bytes| (paths.name.clone(), bytes.to_vec()))
}

/// An org run elsewhere: only the placeholder folders, plus whatever public
/// material the user copied into the existing tree there, which must match
/// a recorded org's fingerprints.
fn external<'a>(
    index: usize,
    org: &OrgCrypto,
    rule: &CaRule,
    existing: Option<&Existing<'_>>,
) -> Result<Planned<'a>> {
    let mut out = Output::new();
    let msp = org.msp_dir();
    let mut dirs = vec![format!("{msp}/cacerts"), format!("{msp}/tlscacerts")];
    if org.kind == OrgKind::Orderer {
        for node in &org.nodes {
            dirs.push(format!("{}/tls", node.paths.dir));
        }
    }
    if let Some(existing) = existing {
        out.copy_tree(existing.tree, &msp);
        for dir in &dirs[2..] {
            out.copy_tree(existing.tree, dir);
        }
        // A BFT consenter's enrollment certificate (its Identity), when there.
        for node in &org.nodes {
            out.copy_tree(existing.tree, &format!("{}/msp/signcerts", node.paths.dir));
        }
    }
    for dir in &dirs {
        out.mkdir(dir);
    }
    let root = existing.map_or("", |e| e.root);
    let prints = |dir: &str| -> Result<Vec<String>> {
        let mut prints = out
            .files_in(dir)
            .iter()
            .map(|path| {
                let der =
                    pem_certificate(out.get(path).unwrap_or_default(), &format!("{root}/{path}"))?;
                Ok(super::fingerprint(&der))
            })
            .collect::<Result<Vec<String>>>()?;
        prints.sort();
        Ok(prints)
    };
    let found = CaFingerprints {
        ca: prints(&dirs[0])?,
        tlsca: prints(&dirs[1])?,
    };
    if let CaRule::Pinned { ca, tlsca } = rule {
        let mut problems = Vec::new();
        for (pin, seen, which, dir) in [
            (ca, &found.ca, CaKind::Signing, &dirs[0]),
            (tlsca, &found.tlsca, CaKind::Tls, &dirs[1]),
        ] {
            if seen.is_empty() {
                problems.push(Problem::Missing {
                    org: index,
                    which,
                    dir: dir.clone(),
                });
            } else if seen != pin {
                problems.push(Problem::Different {
                    org: index,
                    which,
                    path: dir.clone(),
                    found: seen.join(","),
                });
            }
        }
        if !problems.is_empty() {
            return Ok(Planned::Refused(problems));
        }
    }
    let prints = (!found.ca.is_empty() && !found.tlsca.is_empty()).then_some(found);
    Ok(Planned::External(out, prints))
}
