//! The two CAs of an organization (signing `ca/` and TLS `tlsca/`): created like
//! `ca.NewCA`, or loaded from existing material like `cryptogen extend` does.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use rcgen::{KeyPair, PublicKeyData};
use time::OffsetDateTime;
use x509_parser::extensions::ParsedExtension;

use super::cert::{self, LeafProfile, Subject};
use super::output::files_in;
use super::spec::{CaSubject, OrgCrypto};

pub(crate) struct Ca {
    /// The CA's name: the file names `<name>-cert.pem` derive from it.
    pub name: String,
    pub cert_der: Vec<u8>,
    /// Its Subject Key Identifier, which new leaves carry as Authority Key Identifier.
    pub ski: Option<Vec<u8>>,
    pub key: Option<KeyPair>,
    /// Where the certificate came from, for error messages.
    pub cert_path: PathBuf,
    /// The folder holding the CA (for error messages about a missing key).
    pub dir: PathBuf,
}

fn or_default(value: &str, default: &str) -> String {
    if value.is_empty() {
        default.to_owned()
    } else {
        value.to_owned()
    }
}

/// Country, province, locality (with cryptogen's defaults), OU, street and postal code.
fn base_subject(ca: &CaSubject) -> Subject {
    Subject {
        country: or_default(&ca.country, "US"),
        province: or_default(&ca.province, "California"),
        locality: or_default(&ca.locality, "San Francisco"),
        street_address: ca.street_address.clone(),
        postal_code: ca.postal_code.clone(),
        organization: String::new(),
        organizational_units: if ca.organizational_unit.is_empty() {
            Vec::new()
        } else {
            vec![ca.organizational_unit.clone()]
        },
        common_name: String::new(),
    }
}

/// A CA subject: the base fields, O = domain, CN = the CA name.
pub(crate) fn ca_subject(org: &OrgCrypto, name: &str) -> Subject {
    Subject {
        organization: org.domain.clone(),
        common_name: name.to_owned(),
        ..base_subject(&org.ca)
    }
}

/// A leaf subject: the base fields (no O), the node OU appended, CN.
pub(crate) fn leaf_subject(org: &OrgCrypto, common_name: &str, node_ou: Option<&str>) -> Subject {
    let mut subject = base_subject(&org.ca);
    subject
        .organizational_units
        .extend(node_ou.map(str::to_owned));
    subject.common_name = common_name.to_owned();
    subject
}

impl Ca {
    pub fn create(org: &OrgCrypto, name: &str, dir: &Path, now: OffsetDateTime) -> Result<Ca> {
        let key = cert::generate_key()?;
        let cert_der = cert::self_signed_ca(&ca_subject(org, name), &key, now)
            .with_context(|| format!("creating CA {name}"))?;
        Ok(Ca {
            name: name.to_owned(),
            ski: Some(cert::subject_key_id(&key)),
            cert_der,
            key: Some(key),
            cert_path: dir.join(super::layout::cert_file(name)),
            dir: dir.to_path_buf(),
        })
    }

    /// Loads `dir` of existing material: the certificate is `<name>-cert.pem` or the only
    /// `*.pem`, the key `priv_sk` or the only `*_sk` (what cryptogen and Fabric CA write).
    /// None when neither exists.
    pub fn load(dir: &Path, name: &str) -> Result<Option<Ca>> {
        let files = files_in(dir);
        let cert_path = pick(dir, &files, &super::layout::cert_file(name), |n| {
            n.ends_with(".pem")
        })?;
        let key_path = pick(dir, &files, "priv_sk", |n| n.ends_with("_sk"))?;
        let cert_path = match (cert_path, key_path.as_ref()) {
            (None, None) => return Ok(None),
            (None, Some(key)) => bail!(
                "{} exists but the CA certificate next to it is missing: put {} back",
                key.display(),
                dir.join(super::layout::cert_file(name)).display()
            ),
            (Some(cert), _) => cert,
        };
        let cert_der = read_certificate(&cert_path)?;
        let (_, parsed) = x509_parser::parse_x509_certificate(&cert_der)
            .map_err(|e| anyhow!("{}: not an X.509 certificate: {e}", cert_path.display()))?;
        let ski = parsed
            .extensions()
            .iter()
            .find_map(|ext| match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                _ => None,
            });
        let key = match key_path {
            None => None,
            Some(key_path) => {
                let key = read_key(&key_path)?;
                if key.der_bytes() != parsed.public_key().subject_public_key.data.as_ref() {
                    bail!(
                        "{} does not hold the private key of {}",
                        key_path.display(),
                        cert_path.display()
                    );
                }
                Some(key)
            }
        };
        Ok(Some(Ca {
            name: name.to_owned(),
            cert_der,
            ski,
            key,
            cert_path,
            dir: dir.to_path_buf(),
        }))
    }

    /// A new key and a certificate for it, issued by this CA.
    pub fn issue(
        &self,
        subject: &Subject,
        profile: &LeafProfile<'_>,
        now: OffsetDateTime,
    ) -> Result<(KeyPair, Vec<u8>)> {
        let Some(ca_key) = &self.key else {
            bail!(
                "{} has no private key next to it (expected {}), but `{}` needs a new certificate \
                 from this CA: copy the CA's private key there, or provide the missing identity",
                self.cert_path.display(),
                self.dir.join("priv_sk").display(),
                subject.common_name
            );
        };
        let key = cert::generate_key()?;
        let der = cert::signed_leaf(
            subject,
            &key,
            profile,
            &self.cert_der,
            self.ski.as_deref(),
            ca_key,
            now,
        )
        .with_context(|| {
            format!(
                "issuing {} with {}",
                subject.common_name,
                self.cert_path.display()
            )
        })?;
        Ok((key, der))
    }

    pub fn cert_pem(&self) -> String {
        cert::cert_pem(&self.cert_der)
    }
}

/// `preferred` if present, else the single file matching `matches`.
fn pick(
    dir: &Path,
    files: &[PathBuf],
    preferred: &str,
    matches: impl Fn(&str) -> bool,
) -> Result<Option<PathBuf>> {
    let preferred = dir.join(preferred);
    if files.contains(&preferred) {
        return Ok(Some(preferred));
    }
    let candidates: Vec<&PathBuf> = files
        .iter()
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&matches))
        .collect();
    match candidates.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
        many => bail!(
            "{}: cannot tell which of {} to use; keep only one",
            dir.display(),
            many.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub(crate) fn read_certificate(path: &Path) -> Result<Vec<u8>> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(&bytes)
        .map_err(|e| anyhow!("{}: not a PEM certificate: {e}", path.display()))?;
    if pem.label != "CERTIFICATE" {
        bail!(
            "{}: expected a CERTIFICATE PEM block, found {}",
            path.display(),
            pem.label
        );
    }
    Ok(pem.contents)
}

fn read_key(path: &Path) -> Result<KeyPair> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let key = KeyPair::from_pem(&text).map_err(|e| {
        anyhow!(
            "{}: not a PKCS#8 (`PRIVATE KEY`) EC P-256 private key: {e}",
            path.display()
        )
    })?;
    if key.algorithm() != &rcgen::PKCS_ECDSA_P256_SHA256 {
        bail!("{}: only EC P-256 CA keys are supported", path.display());
    }
    Ok(key)
}
