//! Stable, human-readable summaries of crypto material, free of random values
//! (keys, serials, dates, signatures), for reviewable golden snapshots.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rcgen::{KeyPair, PublicKeyData};
use sha2::{Digest, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::x509::X509Name;

/// Subject (raw DER) of each CA certificate in a tree → its Subject Key Identifier.
type Issuers = HashMap<Vec<u8>, Option<Vec<u8>>>;

/// Summary of one file: certificates and private keys get a description, any
/// other file None. Without the rest of the tree the Authority Key Identifier
/// can only be described by its length; see [`describe_tree`].
pub fn describe_file(rel_path: &Path, bytes: &[u8]) -> Option<String> {
    let _ = rel_path;
    describe(bytes, None, None)
}

/// Every file and empty folder below `root`, sorted, with its mode and description
/// (`sha256` of the content for non-crypto files). Certificates are checked against
/// the CA certificates of the same tree (`authorityKeyIdentifier: issuer-ski`), and
/// private keys against their sibling certificate.
pub fn describe_tree(root: &Path) -> Result<String> {
    let mut files = Vec::new();
    let mut empty_dirs = Vec::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.with_context(|| format!("reading {}", root.display()))?;
        let rel = entry
            .path()
            .strip_prefix(root)
            .expect("below root")
            .to_path_buf();
        if entry.file_type().is_dir() {
            if entry.depth() > 0 && std::fs::read_dir(entry.path())?.next().is_none() {
                empty_dirs.push(rel);
            }
        } else {
            files.push(rel);
        }
    }
    let mut contents = HashMap::new();
    let mut issuers = Issuers::new();
    for rel in &files {
        let bytes =
            std::fs::read(root.join(rel)).with_context(|| format!("reading {}", rel.display()))?;
        if let Some(der) = pem_block(&bytes, "CERTIFICATE") {
            if let Ok((_, cert)) = x509_parser::parse_x509_certificate(&der) {
                if cert.is_ca() {
                    issuers.insert(cert.subject().as_raw().to_vec(), subject_key_id(&cert));
                }
            }
        }
        contents.insert(rel.clone(), bytes);
    }

    let mut entries: Vec<(PathBuf, String)> = Vec::new();
    for rel in &files {
        let bytes = &contents[rel];
        let mode = std::fs::metadata(root.join(rel))?.permissions().mode() & 0o7777;
        let sibling = sibling_certificate(rel, &files).map(|s| (s.clone(), &contents[&s]));
        let text = describe(
            bytes,
            Some(&issuers),
            sibling.as_ref().map(|(p, b)| (p.as_path(), b.as_slice())),
        )
        .unwrap_or_else(|| format!("sha256 {}", hex::encode(Sha256::digest(bytes))));
        entries.push((
            rel.clone(),
            format!("{mode:04o} {}\n{}", rel.display(), indent(&text)),
        ));
    }
    for rel in empty_dirs {
        entries.push((rel.clone(), format!("dir  {}/\n  (empty)\n", rel.display())));
    }
    entries.sort();
    Ok(entries.into_iter().map(|(_, text)| text).collect())
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// The certificate a private key belongs to, when the layout says so.
fn sibling_certificate(key: &Path, files: &[PathBuf]) -> Option<PathBuf> {
    let name = key.file_name()?.to_str()?;
    let dir = key.parent()?;
    if let Some(stem) = name.strip_suffix(".key") {
        let cert = dir.join(format!("{stem}.crt"));
        return files.contains(&cert).then_some(cert);
    }
    if !name.ends_with("_sk") {
        return None;
    }
    let cert_dir = if dir.file_name()? == "keystore" {
        dir.parent()?.join("signcerts")
    } else {
        dir.to_path_buf()
    };
    let mut certs = files.iter().filter(|f| {
        f.parent() == Some(cert_dir.as_path()) && f.extension().is_some_and(|e| e == "pem")
    });
    let first = certs.next()?.clone();
    certs.next().is_none().then_some(first)
}

fn pem_block(bytes: &[u8], label: &str) -> Option<Vec<u8>> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(bytes).ok()?;
    (pem.label == label).then_some(pem.contents)
}

fn describe(
    bytes: &[u8],
    issuers: Option<&Issuers>,
    sibling: Option<(&Path, &[u8])>,
) -> Option<String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(bytes).ok()?;
    match pem.label.as_str() {
        "CERTIFICATE" => Some(match x509_parser::parse_x509_certificate(&pem.contents) {
            Ok((_, cert)) => describe_certificate(&cert, issuers),
            Err(e) => format!("unparsable certificate: {e}"),
        }),
        "PRIVATE KEY" => Some(describe_key(bytes, sibling)),
        "EC PRIVATE KEY" => Some("EC private key (SEC1, not PKCS#8)".to_owned()),
        other => Some(format!("PEM {other}")),
    }
}

fn describe_key(bytes: &[u8], sibling: Option<(&Path, &[u8])>) -> String {
    let Ok(key) = std::str::from_utf8(bytes)
        .map_err(|_| ())
        .and_then(|t| KeyPair::from_pem(t).map_err(|_| ()))
    else {
        return "unparsable private key (PKCS#8)".to_owned();
    };
    let mut text = if key.algorithm() == &rcgen::PKCS_ECDSA_P256_SHA256 {
        "EC P-256 private key (PKCS#8)".to_owned()
    } else {
        format!("private key (PKCS#8) {:?}", key.algorithm())
    };
    if let Some((path, cert_bytes)) = sibling {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let cert_key = pem_block(cert_bytes, "CERTIFICATE").and_then(|der| {
            x509_parser::parse_x509_certificate(&der)
                .ok()
                .map(|(_, c)| c.public_key().subject_public_key.data.to_vec())
        });
        match cert_key {
            Some(pk) if pk == key.der_bytes() => write!(text, ", matches {name}").unwrap(),
            _ => write!(text, ", DOES NOT MATCH {name}").unwrap(),
        }
    }
    text
}

fn subject_key_id(cert: &X509Certificate<'_>) -> Option<Vec<u8>> {
    cert.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        })
}

fn describe_certificate(cert: &X509Certificate<'_>, issuers: Option<&Issuers>) -> String {
    let mut out = String::new();
    let serial = cert.raw_serial();
    let serial_ok = serial.first().is_some_and(|b| b & 0x80 == 0)
        && serial.iter().skip_while(|b| **b == 0).count() <= 16;
    let sig = match cert.signature_algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256".to_owned(),
        other => other.to_owned(),
    };
    let spki = cert.public_key();
    let key = match (
        spki.algorithm.algorithm.to_id_string().as_str(),
        spki.algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string()),
    ) {
        ("1.2.840.10045.2.1", Some(curve)) if curve == "1.2.840.10045.3.1.7" => {
            "EC P-256".to_owned()
        }
        (alg, curve) => format!("{alg} {curve:?}"),
    };
    let validity = cert.validity();
    let seconds = (validity.not_after.timestamp() - validity.not_before.timestamp()) as f64;
    let days = seconds / 86400.0;
    let whole_minute = validity.not_before.timestamp() % 60 == 0;
    writeln!(
        out,
        "certificate v{}, serial {}, {sig}, {key} public key, valid {}{} days{}",
        cert.version().0 + 1,
        if serial_ok {
            "positive <=128 bits"
        } else {
            "UNUSUAL"
        },
        if days.fract() == 0.0 { "" } else { "~" },
        days.round(),
        if whole_minute {
            " from a whole minute"
        } else {
            ""
        },
    )
    .unwrap();
    let self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    writeln!(out, "subject: {}", name(cert.subject())).unwrap();
    if self_issued {
        writeln!(out, "issuer: self").unwrap();
    } else {
        writeln!(out, "issuer: {}", name(cert.issuer())).unwrap();
    }
    let own_ski = subject_key_id(cert);
    for ext in cert.extensions() {
        let critical = if ext.critical { " critical" } else { "" };
        let (label, value) = match ext.parsed_extension() {
            ParsedExtension::KeyUsage(ku) => ("keyUsage", ku.to_string()),
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let mut names = Vec::new();
                // x509-parser groups the known purposes; keep the encoded order instead.
                if let Ok((_, seq)) = x509_parser::der_parser::parse_der(ext.value) {
                    if let Ok(items) = seq.as_sequence() {
                        for item in items {
                            let oid = item.as_oid().map(|o| o.to_id_string()).unwrap_or_default();
                            names.push(match oid.as_str() {
                                "1.3.6.1.5.5.7.3.1" => "serverAuth".to_owned(),
                                "1.3.6.1.5.5.7.3.2" => "clientAuth".to_owned(),
                                _ => oid,
                            });
                        }
                    }
                }
                let _ = eku;
                ("extKeyUsage", names.join(", "))
            }
            ParsedExtension::BasicConstraints(bc) => (
                "basicConstraints",
                match (bc.ca, bc.path_len_constraint) {
                    (true, Some(n)) => format!("CA:TRUE, pathlen:{n}"),
                    (true, None) => "CA:TRUE".to_owned(),
                    (false, _) => "CA:FALSE".to_owned(),
                },
            ),
            ParsedExtension::SubjectKeyIdentifier(id) => (
                "subjectKeyIdentifier",
                if id.0 == Sha256::digest(spki.subject_public_key.data.as_ref()).as_slice() {
                    "sha256(public key point)".to_owned()
                } else {
                    format!("other method ({} bytes)", id.0.len())
                },
            ),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                let id = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
                let value = match (&id, issuers) {
                    (None, _) => "no key id".to_owned(),
                    (Some(id), _) if self_issued && own_ski.as_ref() == Some(id) => {
                        "own ski".to_owned()
                    }
                    (Some(id), Some(issuers)) => match issuers.get(cert.issuer().as_raw()) {
                        Some(Some(ski)) if ski == id => "issuer-ski".to_owned(),
                        Some(_) => "MISMATCH with issuer ski".to_owned(),
                        None => format!("{}-byte key id (issuer not found)", id.len()),
                    },
                    (Some(id), None) => format!("{}-byte key id", id.len()),
                };
                ("authorityKeyIdentifier", value)
            }
            ParsedExtension::SubjectAlternativeName(san) => (
                "subjectAltName",
                san.general_names
                    .iter()
                    .map(|n| match n {
                        GeneralName::DNSName(d) => format!("DNS:{d}"),
                        GeneralName::IPAddress(ip) => match ip.len() {
                            4 => format!(
                                "IP:{}",
                                std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3])
                            ),
                            16 => {
                                let b: [u8; 16] = (*ip).try_into().expect("16 bytes");
                                format!("IP:{}", std::net::Ipv6Addr::from(b))
                            }
                            _ => format!("IP:{ip:?}"),
                        },
                        other => format!("{other:?}"),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => (
                "",
                format!("{} ({} bytes)", ext.oid.to_id_string(), ext.value.len()),
            ),
        };
        let label = if label.is_empty() {
            "other".to_owned()
        } else {
            label.to_owned()
        };
        writeln!(out, "ext {label}{critical}: {value}").unwrap();
    }
    out
}

/// `C=US, ST=California, ..., CN=Admin@org(utf8)`: RDNs in order, multi-valued
/// RDNs joined with `+`, string types other than PrintableString marked.
fn name(name: &X509Name<'_>) -> String {
    name.iter()
        .map(|rdn| {
            rdn.iter()
                .map(|attr| {
                    let oid = attr.attr_type().to_id_string();
                    let short = match oid.as_str() {
                        "2.5.4.6" => "C",
                        "2.5.4.8" => "ST",
                        "2.5.4.7" => "L",
                        "2.5.4.9" => "street",
                        "2.5.4.17" => "postalCode",
                        "2.5.4.10" => "O",
                        "2.5.4.11" => "OU",
                        "2.5.4.3" => "CN",
                        other => other,
                    };
                    let value = attr.attr_value();
                    let text = String::from_utf8_lossy(value.data);
                    let kind = match value.header.tag().0 {
                        19 => "",
                        12 => "(utf8)",
                        22 => "(ia5)",
                        _ => "(other string type)",
                    };
                    format!("{short}={text}{kind}")
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect::<Vec<_>>()
        .join(", ")
}
