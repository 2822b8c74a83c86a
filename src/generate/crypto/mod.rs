//! Fabric MSP and TLS material generated natively, field for field as
//! `cryptogen` 2.5 writes it, and extended like `cryptogen extend`: whatever an
//! earlier `crypto-config/` already holds is copied byte for byte and only the
//! missing identities are generated, signed by the existing CA keys.
//!
//! Module map: `spec` (input), `layout` (names, config.yaml, modes), `cert`
//! (certificate profile on top of rcgen), `der` (the small DER/PEM encodings),
//! `ca` (creating and loading CAs), `org` (reuse/generate decisions per org),
//! `output` (writing and bookkeeping), `describe` (snapshot summaries).

mod ca;
mod cert;
mod der;
pub mod describe;
mod layout;
mod org;
mod output;
pub mod spec;

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

pub(crate) use der::base64;
pub use describe::{describe_file, describe_tree};
pub use layout::is_private_key;
pub use spec::{CaSubject, NodeCrypto, OrgCrypto, OrgKind, UserCrypto};

/// What [`generate`] wrote, as paths relative to `out`, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CryptoReport {
    /// Files newly written: new keys and certificates and the public files derived from the CAs.
    pub generated: Vec<PathBuf>,
    /// Files copied byte for byte from the existing material.
    pub reused: Vec<PathBuf>,
}

/// Fills `out` (a `crypto-config/` root, created if needed and expected empty) with the
/// material of `orgs`. Files found in `existing` (an earlier `crypto-config/`, from this
/// compiler, cryptogen or a CA) for the identities of `orgs` are reused; missing ones are
/// generated. New certificates have cryptogen's validity: from `now` rounded to the
/// minute, minus five minutes, for 3650 days.
pub fn generate(
    orgs: &[OrgCrypto],
    existing: Option<&Path>,
    out: &Path,
    now: OffsetDateTime,
) -> anyhow::Result<CryptoReport> {
    let mut output = output::Output::new(out)?;
    org::run(orgs, existing, &mut output, now)?;
    let (generated, reused) = output.finish();
    Ok(CryptoReport { generated, reused })
}
