//! Fabric MSP and TLS material generated natively, field for field as
//! `cryptogen` 2.5 writes it, and extended like `cryptogen extend`: whatever an
//! earlier `crypto-config/` already holds is copied byte for byte (each key
//! checked against its certificate, each certificate against its CA) and only
//! the missing identities are generated, signed by the existing CA keys. The
//! identity record decides, per org, whether a CA may be created at all.
//!
//! Module map: `layout` (node OUs, config.yaml), `cert` (certificate profile
//! on top of rcgen), `der` (the small DER/PEM encodings), `ca` (creating and
//! loading CAs), `org` (reuse/generate decisions per org), `output` (the tree
//! and bookkeeping), `describe` (snapshot summaries). File and folder names
//! come from the model (`crate::model::layout`).

mod ca;
mod cert;
mod der;
pub mod describe;
mod layout;
mod org;
mod output;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub use describe::{describe_file, describe_tree};

use crate::model::material::OrgCrypto;
use crate::tree::Tree;

/// What [`generate`] made: the `crypto-config/` tree and its bookkeeping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generated {
    pub tree: Tree,
    /// Files newly made: new keys and certificates and the public files derived from the CAs.
    pub generated: Vec<String>,
    /// Files copied byte for byte from the existing material.
    pub reused: Vec<String>,
    /// Per org (in the order given): its CA certificates' fingerprints; None
    /// for an external org whose public MSP has not been copied in yet.
    pub fingerprints: Vec<Option<CaFingerprints>>,
    /// Why recorded CAs could not be used; the orgs named here got nothing.
    pub problems: Vec<Problem>,
}

/// The SHA-256 fingerprints (lower-case hex of the DER) of an org's CA and
/// TLS CA certificates. An external org's MSP may trust several of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaFingerprints {
    pub ca: Vec<String>,
    pub tlsca: Vec<String>,
}

/// What the identity record allows for one org's CAs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaRule {
    /// Not recorded: reuse the CAs found, else create them.
    Adopt,
    /// Recorded: the CAs must be found with these fingerprints; never created.
    Pinned { ca: Vec<String>, tlsca: Vec<String> },
    /// Replaced on purpose: existing material is ignored and new CAs made.
    Replace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaKind {
    Signing,
    Tls,
}

impl CaKind {
    pub fn label(self) -> &'static str {
        match self {
            CaKind::Signing => "CA",
            CaKind::Tls => "TLS CA",
        }
    }
}

/// A recorded CA that the existing material does not provide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not there: folder `dir` (relative to the material's root) has none.
    Missing {
        org: usize,
        which: CaKind,
        dir: String,
    },
    /// Another certificate is there (`path`, relative to the root).
    Different {
        org: usize,
        which: CaKind,
        path: String,
        found: String,
    },
}

/// Existing material: a `crypto-config/` tree, and how to name its root in messages.
pub struct Existing<'a> {
    pub tree: &'a Tree,
    pub root: &'a str,
}

/// The fingerprint of a certificate: lower-case hex SHA-256 of its DER.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// Builds the material of `orgs` (with `rules[i]` for `orgs[i]`). Files found
/// in `existing` (an earlier `crypto-config/`, from this compiler, cryptogen
/// or a CA) for the identities of `orgs` are reused; missing ones are
/// generated. New certificates have cryptogen's validity: from `now` rounded
/// to the minute, minus five minutes, for 3650 days.
pub fn generate(
    orgs: &[OrgCrypto],
    rules: &[CaRule],
    existing: Option<&Existing<'_>>,
    now: OffsetDateTime,
) -> anyhow::Result<Generated> {
    assert_eq!(orgs.len(), rules.len(), "one rule per org");
    let (tree, generated, reused, fingerprints, problems) = org::run(orgs, rules, existing, now)?;
    Ok(Generated {
        tree,
        generated,
        reused,
        fingerprints,
        problems,
    })
}

/// Whether `path` names a private key (`*_sk`, `*.key`).
pub fn is_private_key(path: &str) -> bool {
    crate::tree::is_private_key(path)
}
