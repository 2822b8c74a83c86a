//! Certificate and key construction with the exact profile of cryptogen 2.5
//! (`internal/cryptogen/ca`): P-256 keys in PKCS#8, random 128-bit serials,
//! validity from the rounded minute minus five minutes for 3650 days, and the
//! extensions in the order and criticality Go's x509 package writes them.

use std::net::IpAddr;

use anyhow::{anyhow, Context, Result};
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue, IsCa, KeyPair,
    PublicKeyData, SerialNumber, SignatureAlgorithm, SigningKey,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime, UtcOffset};

use super::der;

const OID_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const OID_SUBJECT_KEY_ID: &[u64] = &[2, 5, 29, 14];
const OID_AUTHORITY_KEY_ID: &[u64] = &[2, 5, 29, 35];
const OID_SUBJECT_ALT_NAME: &[u64] = &[2, 5, 29, 17];
const OID_SERVER_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 1];
const OID_CLIENT_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];
const OID_OU: &[u64] = &[2, 5, 4, 11];
const OID_STREET: &[u64] = &[2, 5, 4, 9];
const OID_POSTAL_CODE: &[u64] = &[2, 5, 4, 17];

/// cryptogen's certificate lifetime: 3650 days.
pub(crate) const VALIDITY_DAYS: i64 = 3650;

/// Key usage bits, numbered as in RFC 5280 (digitalSignature = 0).
#[derive(Clone, Copy)]
pub(crate) enum KeyUsage {
    DigitalSignature = 0,
    KeyEncipherment = 2,
    KeyCertSign = 5,
    CrlSign = 6,
}

#[derive(Clone, Copy)]
pub(crate) enum ExtKeyUsage {
    ServerAuth,
    ClientAuth,
}

/// The subject attributes cryptogen puts in a name, in Go's `pkix.Name` order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subject {
    pub country: String,
    pub province: String,
    pub locality: String,
    pub street_address: String,
    pub postal_code: String,
    pub organization: String,
    pub organizational_units: Vec<String>,
    pub common_name: String,
}

impl Subject {
    fn distinguished_name(&self) -> Result<DistinguishedName> {
        let mut dn = DistinguishedName::new();
        let mut push = |ty: DnType, value: &str| -> Result<()> {
            if !value.is_empty() {
                dn.push(ty, dn_value(value));
            }
            Ok(())
        };
        push(DnType::CountryName, &self.country)?;
        push(DnType::StateOrProvinceName, &self.province)?;
        push(DnType::LocalityName, &self.locality)?;
        push(
            DnType::CustomDnType(OID_STREET.to_vec()),
            &self.street_address,
        )?;
        push(
            DnType::CustomDnType(OID_POSTAL_CODE.to_vec()),
            &self.postal_code,
        )?;
        push(DnType::OrganizationName, &self.organization)?;
        match self.organizational_units.as_slice() {
            [] => {}
            [ou] => push(DnType::OrganizationalUnitName, ou)?,
            // Go puts several OUs in one multi-valued RDN; rcgen has one value per
            // attribute type, so the second OU goes in its own RDN under the same OID.
            [first, second] => {
                push(DnType::OrganizationalUnitName, first)?;
                push(DnType::CustomDnType(OID_OU.to_vec()), second)?;
            }
            more => {
                return Err(anyhow!(
                    "at most two organizational units are supported, got {more:?}"
                ))
            }
        }
        push(DnType::CommonName, &self.common_name)?;
        Ok(dn)
    }
}

/// Go's encoding/asn1 writes a PrintableString when every character allows it,
/// otherwise a UTF8String (e.g. for `Admin@org`). rcgen's PrintableString has
/// the same character set.
fn dn_value(value: &str) -> DnValue {
    match rcgen::string::PrintableString::try_from(value) {
        Ok(printable) => DnValue::PrintableString(printable),
        Err(_) => DnValue::Utf8String(value.to_owned()),
    }
}

/// A freshly generated (or loaded) P-256 key.
pub(crate) fn generate_key() -> Result<KeyPair> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).context("generating a P-256 key")
}

/// PKCS#8 `PRIVATE KEY` PEM, as cryptogen's `priv_sk`.
pub(crate) fn key_pem(key: &KeyPair) -> String {
    key.serialize_pem()
}

/// The new P-256 key of a leaf identity, which never signs here: its PKCS#8
/// document and public key. (rcgen's `KeyPair` loads a generated key again to
/// sign with it, deriving the public key a second time: a third of a leaf's
/// cost, for a key that only goes into a file.)
pub(crate) struct LeafKey {
    pkcs8: Vec<u8>,
    public: Vec<u8>,
}

impl PublicKeyData for LeafKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl LeafKey {
    pub(crate) fn generate() -> Result<LeafKey> {
        let rng = ring::rand::SystemRandom::new();
        let doc = ring::signature::EcdsaKeyPair::generate_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &rng,
        )
        .map_err(|_| anyhow!("generating a P-256 key failed"))?;
        let pkcs8 = doc.as_ref().to_vec();
        let public = pkcs8_public_key(&pkcs8)
            .ok_or_else(|| anyhow!("a new P-256 key has no public key in its PKCS#8 document"))?
            .to_vec();
        Ok(LeafKey { pkcs8, public })
    }

    /// PKCS#8 `PRIVATE KEY` PEM, as cryptogen's `priv_sk` (what
    /// [`key_pem`] writes for the same key).
    pub(crate) fn pem(&self) -> String {
        der::pem_encode("PRIVATE KEY", &self.pkcs8)
    }
}

/// The public key (uncompressed point) in a PKCS#8 EC private key document:
/// PrivateKeyInfo { version, algorithm, OCTET STRING { ECPrivateKey {
/// version, privateKey, [0] parameters?, [1] { BIT STRING publicKey } } } }.
fn pkcs8_public_key(pkcs8: &[u8]) -> Option<&[u8]> {
    let (_, info, _) = der::read_tlv(pkcs8)?;
    let (_, _, rest) = der::read_tlv(info)?; // version
    let (_, _, rest) = der::read_tlv(rest)?; // algorithm
    let (tag, octets, _) = der::read_tlv(rest)?;
    if tag != der::TAG_OCTET_STRING {
        return None;
    }
    let (_, ec_key, _) = der::read_tlv(octets)?;
    let mut rest = ec_key;
    while !rest.is_empty() {
        let (tag, content, next) = der::read_tlv(rest)?;
        if tag == 0xa1 {
            let (tag, bits, _) = der::read_tlv(content)?;
            // No unused bits, then the point.
            return (tag == der::TAG_BIT_STRING && bits.first() == Some(&0)).then(|| &bits[1..]);
        }
        rest = next;
    }
    None
}

/// `CERTIFICATE` PEM the way Go's `pem.Encode` writes it.
pub(crate) fn cert_pem(der_bytes: &[u8]) -> String {
    der::pem_encode("CERTIFICATE", der_bytes)
}

/// Subject Key Identifier as cryptogen computes it: SHA-256 of the uncompressed point.
pub(crate) fn subject_key_id(key: &impl PublicKeyData) -> Vec<u8> {
    Sha256::digest(key.der_bytes()).to_vec()
}

/// `time.Now().Round(time.Minute).Add(-5 * time.Minute).UTC()`.
pub(crate) fn not_before(now: OffsetDateTime) -> OffsetDateTime {
    let now = now.to_offset(UtcOffset::UTC);
    let minute: i128 = 60_000_000_000;
    let nanos = now.unix_timestamp_nanos();
    let rem = nanos.rem_euclid(minute);
    let rounded = if rem * 2 >= minute {
        nanos - rem + minute
    } else {
        nanos - rem
    };
    OffsetDateTime::from_unix_timestamp_nanos(rounded).expect("time in range")
        - Duration::minutes(5)
}

fn random_serial() -> Result<SerialNumber> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow!("system random number generator failed"))?;
    Ok(SerialNumber::from(bytes.to_vec()))
}

fn extension(oid: &[u64], critical: bool, content: Vec<u8>) -> CustomExtension {
    let mut ext = CustomExtension::from_oid_content(oid, content);
    ext.set_criticality(critical);
    ext
}

/// KeyUsage BIT STRING the way Go trims it: only up to the last set bit.
fn key_usage_ext(usages: &[KeyUsage]) -> CustomExtension {
    let bits = usages
        .iter()
        .fold(0u16, |acc, u| acc | (0x8000 >> (*u as u16)));
    let bytes = bits.to_be_bytes();
    let len = if bytes[1] != 0 { 2 } else { 1 };
    let last = bytes[len - 1];
    let unused = if last == 0 {
        0
    } else {
        last.trailing_zeros() as u8
    };
    let mut content = vec![unused];
    content.extend_from_slice(&bytes[..len]);
    extension(OID_KEY_USAGE, true, der::tlv(der::TAG_BIT_STRING, &content))
}

fn ext_key_usage_ext(usages: &[ExtKeyUsage]) -> CustomExtension {
    let oids: Vec<Vec<u8>> = usages
        .iter()
        .map(|u| match u {
            ExtKeyUsage::ServerAuth => der::oid(OID_SERVER_AUTH),
            ExtKeyUsage::ClientAuth => der::oid(OID_CLIENT_AUTH),
        })
        .collect();
    extension(OID_EXT_KEY_USAGE, false, der::sequence(&oids))
}

fn basic_constraints_ext(ca: bool) -> CustomExtension {
    let content = if ca {
        der::sequence(&[der::tlv(der::TAG_BOOLEAN, &[0xff])])
    } else {
        der::sequence(&[])
    };
    extension(OID_BASIC_CONSTRAINTS, true, content)
}

fn subject_key_id_ext(ski: &[u8]) -> CustomExtension {
    extension(
        OID_SUBJECT_KEY_ID,
        false,
        der::tlv(der::TAG_OCTET_STRING, ski),
    )
}

fn authority_key_id_ext(aki: &[u8]) -> CustomExtension {
    extension(
        OID_AUTHORITY_KEY_ID,
        false,
        der::sequence(&[der::tlv(0x80, aki)]),
    )
}

/// Go lists DNS names first, then IP addresses, each in the given order; an
/// IPv4-mapped IPv6 address is written as 4 bytes like `net.IP.To4` does.
fn subject_alt_name_ext(sans: &[String]) -> Option<CustomExtension> {
    if sans.is_empty() {
        return None;
    }
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    for san in sans {
        match san.parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => ips.push(der::tlv(0x87, &v4.octets())),
            Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => ips.push(der::tlv(0x87, &v4.octets())),
                None => ips.push(der::tlv(0x87, &v6.octets())),
            },
            Err(_) => dns.push(der::tlv(0x82, san.as_bytes())),
        }
    }
    dns.extend(ips);
    Some(extension(OID_SUBJECT_ALT_NAME, false, der::sequence(&dns)))
}

fn base_params(subject: &Subject, now: OffsetDateTime) -> Result<CertificateParams> {
    let mut params = CertificateParams::default();
    params.not_before = not_before(now);
    params.not_after = params.not_before + Duration::days(VALIDITY_DAYS);
    params.serial_number = Some(random_serial()?);
    params.distinguished_name = subject.distinguished_name()?;
    // Every extension is a custom one, so rcgen adds no SKI/AKI/BC of its own.
    params.is_ca = IsCa::NoCa;
    params.use_authority_key_identifier_extension = false;
    Ok(params)
}

/// What a leaf certificate is for.
pub(crate) struct LeafProfile<'a> {
    pub key_usages: &'a [KeyUsage],
    pub ext_key_usages: &'a [ExtKeyUsage],
    pub sans: &'a [String],
}

pub(crate) const SIGN_PROFILE: LeafProfile<'static> = LeafProfile {
    key_usages: &[KeyUsage::DigitalSignature],
    ext_key_usages: &[],
    sans: &[],
};

pub(crate) fn tls_profile(sans: &[String]) -> LeafProfile<'_> {
    LeafProfile {
        key_usages: &[KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment],
        ext_key_usages: &[ExtKeyUsage::ServerAuth, ExtKeyUsage::ClientAuth],
        sans,
    }
}

/// A self-signed CA certificate like `ca.NewCA`.
pub(crate) fn self_signed_ca(
    subject: &Subject,
    key: &KeyPair,
    now: OffsetDateTime,
) -> Result<Vec<u8>> {
    let mut params = base_params(subject, now)?;
    params.custom_extensions = vec![
        key_usage_ext(&[
            KeyUsage::DigitalSignature,
            KeyUsage::KeyEncipherment,
            KeyUsage::KeyCertSign,
            KeyUsage::CrlSign,
        ]),
        ext_key_usage_ext(&[ExtKeyUsage::ClientAuth, ExtKeyUsage::ServerAuth]),
        basic_constraints_ext(true),
        subject_key_id_ext(&subject_key_id(key)),
    ];
    let cert = params
        .self_signed(&LowS(key))
        .context("signing CA certificate")?;
    Ok(cert.der().to_vec())
}

/// A CA ready to issue leaves: rcgen's issuer (its name parsed from the CA
/// certificate once, not once per leaf) and the CA's subject name as encoded
/// in its certificate, which every leaf's issuer name must equal.
pub(crate) struct Issuing<'a> {
    issuer: rcgen::Issuer<'static, LowS<'a>>,
    der: &'a [u8],
    subject: Vec<u8>,
}

impl<'a> Issuing<'a> {
    pub(crate) fn new(issuer_der: &'a [u8], issuer_key: &'a KeyPair) -> Result<Issuing<'a>> {
        let issuer = rcgen::Issuer::from_ca_cert_der(&issuer_der.into(), LowS(issuer_key))
            .context("re-encoding the issuer name of the CA certificate")?;
        let (_, subject) =
            names(issuer_der).ok_or_else(|| anyhow!("the CA certificate is not DER"))?;
        Ok(Issuing {
            issuer,
            der: issuer_der,
            subject: subject.to_vec(),
        })
    }
}

/// A leaf certificate like `ca.SignCertificate`, issued by `issuing`.
/// `issuer_ski` is the issuer's Subject Key Identifier (no AKI is written
/// without one, as Go does).
pub(crate) fn signed_leaf(
    subject: &Subject,
    public_key: &impl PublicKeyData,
    profile: &LeafProfile<'_>,
    issuing: &Issuing<'_>,
    issuer_ski: Option<&[u8]>,
    now: OffsetDateTime,
) -> Result<Vec<u8>> {
    let mut params = base_params(subject, now)?;
    let mut exts = vec![key_usage_ext(profile.key_usages)];
    if !profile.ext_key_usages.is_empty() {
        exts.push(ext_key_usage_ext(profile.ext_key_usages));
    }
    exts.push(basic_constraints_ext(false));
    if let Some(ski) = issuer_ski {
        exts.push(authority_key_id_ext(ski));
    }
    exts.extend(subject_alt_name_ext(profile.sans));
    params.custom_extensions = exts;
    let cert = params
        .signed_by(public_key, &issuing.issuer)
        .context("signing certificate")?;
    let der = cert.der().to_vec();
    // rcgen re-encodes the issuer name from the parsed CA subject; chain
    // building compares names byte for byte, so refuse anything that did not
    // round-trip.
    if names(&der).map(|(issuer, _)| issuer) != Some(issuing.subject.as_slice()) {
        let (_, ca) =
            x509_parser::parse_x509_certificate(issuing.der).context("parsing CA certificate")?;
        return Err(anyhow!(
            "the CA subject `{}` cannot be reproduced exactly as an issuer name \
             (multi-valued or repeated name attributes are not supported)",
            ca.subject()
        ));
    }
    Ok(der)
}

/// The issuer and subject names of a DER certificate, each as its whole
/// encoding: Certificate { TBSCertificate { [0] version?, serialNumber,
/// signature, issuer, validity, subject, ... }, ... }.
fn names(cert_der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, cert, _) = der::read_tlv(cert_der)?;
    let (_, tbs, _) = der::read_tlv(cert)?;
    let mut fields = Vec::with_capacity(6);
    let mut rest = tbs;
    while fields.len() < 6 && !rest.is_empty() {
        let (tag, _, next) = der::read_tlv(rest)?;
        let whole = &rest[..rest.len() - next.len()];
        if !(fields.is_empty() && tag == 0xa0) {
            fields.push(whole);
        }
        rest = next;
    }
    // serialNumber, signature, issuer, validity, subject
    (fields.len() >= 5).then(|| (fields[2], fields[4]))
}

/// Signs with the wrapped key and normalizes ECDSA signatures to low-S, as
/// Fabric's and cryptogen's signer do.
pub(crate) struct LowS<'a>(pub &'a KeyPair);

impl PublicKeyData for LowS<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.der_bytes()
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.0.algorithm()
    }
}

impl SigningKey for LowS<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let sig = self.0.sign(msg)?;
        Ok(to_low_s(&sig).unwrap_or(sig))
    }
}

/// P-256 group order n, big-endian.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

fn to_32(magnitude: &[u8]) -> Option<[u8; 32]> {
    let start = magnitude.iter().take_while(|b| **b == 0).count();
    let m = &magnitude[start..];
    if m.len() > 32 {
        return None;
    }
    let mut out = [0u8; 32];
    out[32 - m.len()..].copy_from_slice(m);
    Some(out)
}

fn sub_32(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = a[i] as i16 - b[i] as i16 - borrow;
        borrow = if d < 0 { 1 } else { 0 };
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

fn half_order() -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u8;
    for (i, b) in P256_ORDER.iter().enumerate() {
        out[i] = (b >> 1) | (carry << 7);
        carry = b & 1;
    }
    out
}

/// Rewrites an ASN.1 ECDSA signature so that s <= n/2.
pub(crate) fn to_low_s(sig: &[u8]) -> Option<Vec<u8>> {
    let (tag, body, _) = der::read_tlv(sig)?;
    if tag != der::TAG_SEQUENCE {
        return None;
    }
    let (_, r, rest) = der::read_tlv(body)?;
    let (_, s, _) = der::read_tlv(rest)?;
    let s = to_32(s)?;
    if s <= half_order() {
        return Some(sig.to_vec());
    }
    let low = sub_32(&P256_ORDER, &s);
    Some(der::sequence(&[
        der::unsigned_integer(r),
        der::unsigned_integer(&low),
    ]))
}

#[cfg(test)]
pub(crate) fn is_low_s(sig: &[u8]) -> Option<bool> {
    let (_, body, _) = der::read_tlv(sig)?;
    let (_, _, rest) = der::read_tlv(body)?;
    let (_, s, _) = der::read_tlv(rest)?;
    Some(to_32(s)? <= half_order())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: i64, nanos: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(unix as i128 * 1_000_000_000 + nanos as i128)
            .unwrap()
    }

    #[test]
    fn not_before_rounds_to_the_minute_and_backdates_five() {
        // 2026-11-24 19:38:00 UTC
        let base = 1_795_549_080;
        assert_eq!(not_before(at(base + 29, 999_999_999)), at(base - 300, 0));
        assert_eq!(not_before(at(base + 30, 0)), at(base + 60 - 300, 0));
        let shifted = at(base + 30, 0).to_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(not_before(shifted), at(base + 60 - 300, 0));
        assert_eq!(not_before(shifted).offset(), UtcOffset::UTC);
    }

    #[test]
    fn leaf_keys_are_written_and_read_like_rcgen_keys() {
        let leaf = LeafKey::generate().unwrap();
        let pem = leaf.pem();
        let loaded = KeyPair::from_pem(&pem).unwrap();
        assert_eq!(
            loaded.serialize_pem(),
            pem,
            "the same PKCS#8 PEM as rcgen's"
        );
        assert_eq!(loaded.der_bytes(), leaf.der_bytes(), "the public key");
        assert_eq!(leaf.der_bytes().len(), 65);
    }

    #[test]
    fn names_are_found_in_the_der() {
        let key = generate_key().unwrap();
        let subject = Subject {
            country: "US".into(),
            organization: "org1.example.com".into(),
            common_name: "ca.org1.example.com".into(),
            ..Subject::default()
        };
        let now = OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap();
        let ca = self_signed_ca(&subject, &key, now).unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(&ca).unwrap();
        let (issuer, subject_raw) = names(&ca).unwrap();
        assert_eq!(issuer, parsed.issuer().as_raw());
        assert_eq!(subject_raw, parsed.subject().as_raw());
        let issuing = Issuing::new(&ca, &key).unwrap();
        let leaf_subject = Subject {
            common_name: "peer0.org1.example.com".into(),
            ..Subject::default()
        };
        let leaf = LeafKey::generate().unwrap();
        let der = signed_leaf(&leaf_subject, &leaf, &SIGN_PROFILE, &issuing, None, now).unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(names(&der).unwrap().0, parsed.issuer().as_raw());
        assert_eq!(parsed.issuer().as_raw(), subject_raw);
    }

    #[test]
    fn low_s_normalization() {
        let n_minus_1 = sub_32(&P256_ORDER, &to_32(&[1]).unwrap());
        let high = der::sequence(&[
            der::unsigned_integer(&[5]),
            der::unsigned_integer(&n_minus_1),
        ]);
        let low = to_low_s(&high).unwrap();
        assert_eq!(
            low,
            der::sequence(&[der::unsigned_integer(&[5]), der::unsigned_integer(&[1])])
        );
        assert_eq!(is_low_s(&high), Some(false));
        assert_eq!(is_low_s(&low), Some(true));
    }

    #[test]
    fn key_usage_bits_like_go() {
        let ext = key_usage_ext(&[KeyUsage::DigitalSignature]);
        assert_eq!(ext.content(), &[0x03, 0x02, 0x07, 0x80]);
        let ext = key_usage_ext(&[KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment]);
        assert_eq!(ext.content(), &[0x03, 0x02, 0x05, 0xa0]);
        let ext = key_usage_ext(&[
            KeyUsage::DigitalSignature,
            KeyUsage::KeyEncipherment,
            KeyUsage::KeyCertSign,
            KeyUsage::CrlSign,
        ]);
        assert_eq!(ext.content(), &[0x03, 0x02, 0x01, 0xa6]);
    }
}
