//! The two CAs of an organization (signing `ca/` and TLS `tlsca/`): created like
//! `ca.NewCA`, or loaded from existing material like `cryptogen extend` does.

use anyhow::{anyhow, bail, Context, Result};
use rcgen::{KeyPair, PublicKeyData};
use time::OffsetDateTime;
use x509_parser::extensions::ParsedExtension;

use super::cert::{self, Issuing, LeafKey, LeafProfile, Subject};
use crate::model::layout;
use crate::model::material::{CaSubject, OrgCrypto};
use crate::tree::Tree;

pub(crate) struct Ca {
    pub cert_der: Vec<u8>,
    /// Its Subject Key Identifier, which new leaves carry as Authority Key Identifier.
    pub ski: Option<Vec<u8>>,
    pub key: Option<KeyPair>,
    /// Where the key came from (relative to the `crypto-config/` root).
    pub key_path: Option<String>,
    /// Where the certificate came from (relative to the `crypto-config/` root), for messages.
    pub cert_path: String,
    /// The folder holding the CA, relative to the `crypto-config/` root.
    pub dir: String,
    /// The root as messages name it: where the existing material was read
    /// from, empty for a new CA.
    pub root: String,
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
    pub fn create(org: &OrgCrypto, name: &str, dir: &str, now: OffsetDateTime) -> Result<Ca> {
        let key = cert::generate_key()?;
        let cert_der = cert::self_signed_ca(&ca_subject(org, name), &key, now)
            .with_context(|| format!("creating CA {name}"))?;
        Ok(Ca {
            ski: Some(cert::subject_key_id(&key)),
            cert_der,
            key: Some(key),
            key_path: Some(format!("{dir}/{}", layout::CA_KEY)),
            cert_path: format!("{dir}/{}", layout::cert_file(name)),
            dir: dir.to_string(),
            root: String::new(),
        })
    }

    /// Loads folder `dir` of existing material (`root` names it in messages):
    /// the certificate is `<name>-cert.pem` or the only `*.pem`, the key
    /// `priv_sk` or the only `*_sk` (what cryptogen and Fabric CA write).
    /// None when neither exists. The key must be the certificate's, and the
    /// certificate a CA's, signed by its own key.
    pub fn load(existing: &Tree, root: &str, dir: &str, name: &str) -> Result<Option<Ca>> {
        let files = existing.files_in(dir);
        let shown = |file: &str| format!("{root}/{dir}/{file}");
        let cert_file = pick(&files, &layout::cert_file(name), |n| n.ends_with(".pem"))
            .map_err(|many| anyhow!("{root}/{dir}: cannot tell which of {many} is the CA certificate; keep only one"))?;
        let key_file = pick(&files, layout::CA_KEY, |n| n.ends_with("_sk")).map_err(|many| {
            anyhow!("{root}/{dir}: cannot tell which of {many} is the CA key; keep only one")
        })?;
        let cert_file = match (cert_file, key_file) {
            (None, None) => return Ok(None),
            (None, Some(key)) => bail!(
                "{} exists but the CA certificate next to it is missing: put {} back",
                shown(key),
                shown(&layout::cert_file(name))
            ),
            (Some(cert), _) => cert,
        };
        let cert_path = shown(cert_file);
        let cert_der = pem_certificate(
            existing
                .get(&format!("{dir}/{cert_file}"))
                .unwrap_or_default(),
            &cert_path,
        )?;
        let (_, parsed) = x509_parser::parse_x509_certificate(&cert_der)
            .map_err(|e| anyhow!("{cert_path}: not an X.509 certificate: {e}"))?;
        if !parsed.is_ca() {
            bail!("{cert_path} is not a CA certificate (its basic constraints say so)");
        }
        parsed.verify_signature(None).map_err(|e| {
            anyhow!("{cert_path}: the CA certificate's self-signature does not verify ({e}); restore the original")
        })?;
        let ski = parsed
            .extensions()
            .iter()
            .find_map(|ext| match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                _ => None,
            });
        let key = match key_file {
            None => None,
            Some(key_file) => {
                let key_path = shown(key_file);
                let key = read_key(
                    existing
                        .get(&format!("{dir}/{key_file}"))
                        .unwrap_or_default(),
                    &key_path,
                )?;
                if key.der_bytes() != parsed.public_key().subject_public_key.data.as_ref() {
                    bail!("{key_path} does not hold the private key of {cert_path}");
                }
                Some(key)
            }
        };
        Ok(Some(Ca {
            cert_der,
            ski,
            key_path: key.as_ref().and(key_file).map(|f| format!("{dir}/{f}")),
            key,
            cert_path: format!("{dir}/{cert_file}"),
            dir: dir.to_string(),
            root: format!("{root}/"),
        }))
    }

    /// This CA, ready to issue leaves (None without its private key: see
    /// [`issue`]).
    pub fn issuing(&self) -> Result<Option<Issuing<'_>>> {
        self.key
            .as_ref()
            .map(|key| {
                Issuing::new(&self.cert_der, key)
                    .with_context(|| format!("loading the CA {}{}", self.root, self.cert_path))
            })
            .transpose()
    }

    /// A new key and a certificate for it, issued by this CA through
    /// `issuing` (this CA's [`Ca::issuing`]).
    pub fn issue(
        &self,
        issuing: Option<&Issuing<'_>>,
        subject: &Subject,
        profile: &LeafProfile<'_>,
        now: OffsetDateTime,
    ) -> Result<(LeafKey, Vec<u8>)> {
        let Some(issuing) = issuing else {
            bail!(
                "{root}{} has no private key next to it (expected {root}{}/{}), but `{}` needs a new \
                 certificate from this CA: copy the CA's private key there, or provide the missing identity",
                self.cert_path,
                self.dir,
                layout::CA_KEY,
                subject.common_name,
                root = self.root,
            );
        };
        let key = LeafKey::generate()?;
        let der = cert::signed_leaf(subject, &key, profile, issuing, self.ski.as_deref(), now)
            .with_context(|| {
                format!(
                    "issuing {} with {}{}",
                    subject.common_name, self.root, self.cert_path
                )
            })?;
        Ok((key, der))
    }

    pub fn cert_pem(&self) -> String {
        cert::cert_pem(&self.cert_der)
    }
}

/// `preferred` if present, else the single file matching `matches`; the
/// candidates, joined, when several match.
fn pick<'a>(
    files: &[&'a str],
    preferred: &str,
    matches: impl Fn(&str) -> bool,
) -> std::result::Result<Option<&'a str>, String> {
    if let Some(found) = files.iter().find(|f| **f == preferred) {
        return Ok(Some(found));
    }
    let candidates: Vec<&str> = files.iter().copied().filter(|f| matches(f)).collect();
    match candidates.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => Err(many.join(", ")),
    }
}

/// The DER of the first `CERTIFICATE` PEM block of `bytes`.
pub(crate) fn pem_certificate(bytes: &[u8], path: &str) -> Result<Vec<u8>> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(bytes)
        .map_err(|e| anyhow!("{path}: not a PEM certificate: {e}"))?;
    if pem.label != "CERTIFICATE" {
        bail!(
            "{path}: expected a CERTIFICATE PEM block, found {}",
            pem.label
        );
    }
    Ok(pem.contents)
}

/// A PKCS#8 private key (cryptogen's and Fabric CA's format).
pub(crate) fn read_key(bytes: &[u8], path: &str) -> Result<KeyPair> {
    let text = std::str::from_utf8(bytes).with_context(|| format!("{path}: not a PEM file"))?;
    let key = KeyPair::from_pem(text)
        .map_err(|e| anyhow!("{path}: not a PKCS#8 (`PRIVATE KEY`) private key: {e}"))?;
    if key.algorithm() != &rcgen::PKCS_ECDSA_P256_SHA256 {
        bail!("{path}: only EC P-256 keys are supported");
    }
    Ok(key)
}
