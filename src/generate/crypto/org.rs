//! Per organization: what is reused from existing material, what must be
//! generated (like `cryptogen extend`), and the public files derived from the CAs.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use rayon::prelude::*;
use time::OffsetDateTime;

use super::ca::{leaf_subject, Ca};
use super::cert::{self, LeafProfile};
use super::layout::{self, NodeType};
use super::output::{files_in, Output};
use super::spec::{OrgCrypto, OrgKind};

/// One local MSP (a node or a user) of an organization.
struct Identity<'a> {
    rel: PathBuf,
    common_name: &'a str,
    node_type: NodeType,
    sans: &'a [String],
    /// Nodes get the admin's certificate in `admincerts/`, users their own.
    is_node: bool,
    new_sign: bool,
    new_tls: bool,
}

struct OrgPlan<'a> {
    spec: &'a OrgCrypto,
    ca_name: String,
    tlsca_name: String,
    ca: Option<Ca>,
    tlsca: Option<Ca>,
    identities: Vec<Identity<'a>>,
}

#[derive(Clone, Copy)]
enum Which {
    Sign,
    Tls,
}

pub(crate) fn run(
    orgs: &[OrgCrypto],
    existing: Option<&Path>,
    out: &mut Output,
    now: OffsetDateTime,
) -> Result<()> {
    let mut plans = Vec::new();
    for org in orgs {
        let existing_org = existing.filter(|root| root.join(&org.dir).is_dir());
        if org.external {
            external(org, existing_org, out)?;
        } else {
            plans.push(plan(org, existing_org, out)?);
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
            let (name, sub) = match which {
                Which::Sign => (&p.ca_name, "ca"),
                Which::Tls => (&p.tlsca_name, "tlsca"),
            };
            Ca::create(p.spec, name, &p.spec.dir.join(sub), now)
        })
        .collect::<Result<_>>()?;
    for (&(i, which), ca) in missing.iter().zip(created) {
        let sub = match which {
            Which::Sign => "ca",
            Which::Tls => "tlsca",
        };
        let dir = plans[i].spec.dir.join(sub);
        out.write(
            &dir.join(layout::cert_file(&ca.name)),
            ca.cert_pem().as_bytes(),
        )?;
        let key = ca.key.as_ref().expect("a created CA has its key");
        out.write(&dir.join("priv_sk"), cert::key_pem(key).as_bytes())?;
        match which {
            Which::Sign => plans[i].ca = Some(ca),
            Which::Tls => plans[i].tlsca = Some(ca),
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
    let issued: Vec<(String, Vec<u8>)> = jobs
        .par_iter()
        .map(|&(o, i, which)| {
            let p = &plans[o];
            let id = &p.identities[i];
            let (ca, subject, profile) = match which {
                Which::Sign => {
                    let ou = p.spec.enable_node_ous.then(|| id.node_type.ou());
                    (
                        &p.ca,
                        leaf_subject(p.spec, id.common_name, ou),
                        cert::SIGN_PROFILE,
                    )
                }
                Which::Tls => (
                    &p.tlsca,
                    leaf_subject(p.spec, id.common_name, None),
                    cert::tls_profile(id.sans),
                ),
            };
            let ca = ca.as_ref().expect("every CA is loaded or created by now");
            let (key, der) = ca.issue(&subject, &profile as &LeafProfile<'_>, now)?;
            Ok((cert::key_pem(&key), der))
        })
        .collect::<Result<_>>()?;
    for (&(o, i, which), (key_pem, der)) in jobs.iter().zip(issued) {
        let id = &plans[o].identities[i];
        let (cert_rel, key_rel) = match which {
            Which::Sign => (
                id.rel
                    .join("msp/signcerts")
                    .join(layout::cert_file(id.common_name)),
                id.rel.join("msp/keystore/priv_sk"),
            ),
            Which::Tls => {
                let prefix = id.node_type.tls_prefix();
                (
                    id.rel.join(format!("tls/{prefix}.crt")),
                    id.rel.join(format!("tls/{prefix}.key")),
                )
            }
        };
        out.write(&cert_rel, cert::cert_pem(&der).as_bytes())?;
        out.write(&key_rel, key_pem.as_bytes())?;
    }

    for p in &plans {
        derived_files(p, out)?;
    }
    Ok(())
}

/// Copies what exists of this org, loads its CAs and decides which key pairs are new.
/// `existing_root` is the existing `crypto-config/` root when it has this org.
fn plan<'a>(
    org: &'a OrgCrypto,
    existing_root: Option<&Path>,
    out: &mut Output,
) -> Result<OrgPlan<'a>> {
    let ca_name = layout::ca_name(org);
    let tlsca_name = layout::tlsca_name(org);
    let nodes_dir = org.dir.join(layout::nodes_dir(org.kind));
    let node_type = match org.kind {
        OrgKind::Peer => NodeType::Peer,
        OrgKind::Orderer => NodeType::Orderer,
    };
    let mut identities: Vec<Identity<'a>> = org
        .nodes
        .iter()
        .map(|n| Identity {
            rel: nodes_dir.join(&n.common_name),
            common_name: &n.common_name,
            node_type,
            sans: &n.sans,
            is_node: true,
            new_sign: true,
            new_tls: true,
        })
        .collect();
    identities.extend(org.users.iter().map(|u| Identity {
        rel: org.dir.join("users").join(&u.common_name),
        common_name: &u.common_name,
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

    let (mut ca, mut tlsca) = (None, None);
    if let Some(root) = existing_root {
        let existing = root.join(&org.dir);
        for sub in ["ca", "tlsca", "msp"] {
            out.copy_tree(&existing.join(sub), &org.dir.join(sub))?;
        }
        ca = Ca::load(&existing.join("ca"), &ca_name)?;
        tlsca = Ca::load(&existing.join("tlsca"), &tlsca_name)?;
        for id in &mut identities {
            let dir = root.join(&id.rel);
            out.copy_tree(&dir, &id.rel)?;
            id.new_sign = !pair_exists(&dir.join("msp/signcerts"), &dir.join("msp/keystore"))?;
            let prefix = id.node_type.tls_prefix();
            id.new_tls = !file_pair_exists(
                &dir.join(format!("tls/{prefix}.crt")),
                &dir.join(format!("tls/{prefix}.key")),
            )?;
        }
        for (loaded, sub, name, which) in [
            (&ca, "ca", &ca_name, "signing"),
            (&tlsca, "tlsca", &tlsca_name, "TLS"),
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
                    "{} is missing, but {} exists and was issued by that {which} CA: \
                     restore the CA certificate and key instead of creating a new CA",
                    existing.join(sub).join(layout::cert_file(name)).display(),
                    root.join(&id.rel).display()
                );
            }
        }
    }
    Ok(OrgPlan {
        spec: org,
        ca_name,
        tlsca_name,
        ca,
        tlsca,
        identities,
    })
}

/// A certificate folder and a key folder: both filled (reuse), both empty (generate),
/// anything else is an error naming what is missing.
fn pair_exists(cert_dir: &Path, key_dir: &Path) -> Result<bool> {
    let certs = files_in(cert_dir);
    let keys = files_in(key_dir);
    match (certs.first(), keys.first()) {
        (Some(_), Some(_)) => Ok(true),
        (None, None) => Ok(false),
        (Some(cert), None) => bail!(
            "{} exists but its private key is missing from {}",
            cert.display(),
            key_dir.display()
        ),
        (None, Some(key)) => bail!(
            "{} exists but its certificate is missing from {}",
            key.display(),
            cert_dir.display()
        ),
    }
}

fn file_pair_exists(cert: &Path, key: &Path) -> Result<bool> {
    match (cert.is_file(), key.is_file()) {
        (true, true) => Ok(true),
        (false, false) => Ok(false),
        (true, false) => bail!(
            "{} exists but its private key {} is missing",
            cert.display(),
            key.display()
        ),
        (false, true) => bail!(
            "{} exists but its certificate {} is missing",
            key.display(),
            cert.display()
        ),
    }
}

/// The public files every MSP holds, written where existing material did not provide them.
fn derived_files(p: &OrgPlan<'_>, out: &mut Output) -> Result<()> {
    let org = p.spec;
    let ca = p.ca.as_ref().expect("CA loaded or created");
    let tlsca = p.tlsca.as_ref().expect("TLS CA loaded or created");
    let ca_file = layout::cert_file(&p.ca_name);
    let tlsca_file = layout::cert_file(&p.tlsca_name);
    let ca_pem = ca.cert_pem();
    let tlsca_pem = tlsca.cert_pem();
    let config = layout::node_ous_config(&ca_file);

    let admin_cert = match layout::admin_name(org) {
        Some(admin) if !org.enable_node_ous => {
            let signcerts = out.path(&org.dir.join("users").join(admin).join("msp/signcerts"));
            let preferred = signcerts.join(layout::cert_file(admin));
            let file = if preferred.is_file() {
                Some(preferred)
            } else {
                files_in(&signcerts).into_iter().next()
            };
            match file {
                Some(file) => Some((admin.to_owned(), std::fs::read(&file)?)),
                None => None,
            }
        }
        _ => None,
    };

    let msp = |out: &mut Output, msp: &Path, own_cert: Option<(&str, Vec<u8>)>| -> Result<()> {
        out.mkdir(&msp.join("cacerts"))?;
        out.mkdir(&msp.join("tlscacerts"))?;
        if files_in(&out.path(&msp.join("cacerts"))).is_empty() {
            out.write(&msp.join("cacerts").join(&ca_file), ca_pem.as_bytes())?;
        }
        if files_in(&out.path(&msp.join("tlscacerts"))).is_empty() {
            out.write(
                &msp.join("tlscacerts").join(&tlsca_file),
                tlsca_pem.as_bytes(),
            )?;
        }
        if org.enable_node_ous {
            out.write_if_missing(&msp.join("config.yaml"), config.as_bytes())?;
        } else if let Some((name, bytes)) =
            own_cert.or_else(|| admin_cert.as_ref().map(|(n, b)| (n.as_str(), b.clone())))
        {
            out.write_if_missing(
                &msp.join("admincerts").join(layout::cert_file(name)),
                &bytes,
            )?;
        }
        Ok(())
    };

    msp(out, &org.dir.join("msp"), None)?;
    for id in &p.identities {
        let own = if id.is_node || org.enable_node_ous {
            None
        } else {
            let signcerts = out.path(&id.rel.join("msp/signcerts"));
            let preferred = signcerts.join(layout::cert_file(id.common_name));
            let file = if preferred.is_file() {
                Some(preferred)
            } else {
                files_in(&signcerts).into_iter().next()
            };
            match file {
                Some(file) => Some((id.common_name, std::fs::read(&file)?)),
                None => None,
            }
        };
        msp(out, &id.rel.join("msp"), own)?;
        out.mkdir(&id.rel.join("msp/keystore"))?;
        out.write_if_missing(&id.rel.join("tls/ca.crt"), tlsca_pem.as_bytes())?;
    }
    Ok(())
}

/// An org run elsewhere: only the placeholder folders, plus whatever public
/// material the user copied into the existing tree there.
fn external(org: &OrgCrypto, existing_root: Option<&Path>, out: &mut Output) -> Result<()> {
    let existing = existing_root.map(|root| root.join(&org.dir));
    let mut dirs = vec![org.dir.join("msp/cacerts"), org.dir.join("msp/tlscacerts")];
    if org.kind == OrgKind::Orderer {
        for node in &org.nodes {
            dirs.push(org.dir.join("orderers").join(&node.common_name).join("tls"));
        }
    }
    if let Some(existing) = &existing {
        out.copy_tree(&existing.join("msp"), &org.dir.join("msp"))?;
        for dir in &dirs[2..] {
            let sub = dir.strip_prefix(&org.dir).expect("below the org");
            out.copy_tree(&existing.join(sub), dir)?;
        }
    }
    for dir in &dirs {
        out.mkdir(dir)?;
    }
    Ok(())
}
