//! The identity record (`fabchart.lock`): per org, the fingerprints of its CA
//! and TLS CA certificates, written at the first compile and committed with
//! the inputs. It holds no secret. A compile never creates a CA for an org it
//! records: the org's material must be found, and must be the recorded one.
//! An org's CA is its identity on every channel; a new one is a new org.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::generate::crypto::{CaFingerprints, CaRule};
use crate::load::{Diagnostics, SourceFile};
use crate::model::{Network, OrgKind};

/// The record's file, in the project folder.
pub const RECORD_FILE: &str = "fabchart.lock";

const HEADER: &str = "\
# fabchart's identity record: the CA certificates of this network's orgs,
# by SHA-256 fingerprint (hex of the certificate's DER), written by
# `fabchart compile`. Commit it with the inputs; it holds no secret.
# fabchart never makes a new CA for an org listed here: it reuses the
# recorded CA, found with the org's keys, or refuses (see the README,
# \"Identity record\").
";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordFile {
    version: u32,
    #[serde(default)]
    orgs: BTreeMap<String, OrgRecord>,
}

/// One org, keyed by its MSP ID in the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrgRecord {
    pub name: String,
    pub kind: OrgKind,
    pub domain: String,
    /// Run by another cluster: its public MSP was copied (or imported) in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    pub ca: Fingerprints,
    pub tlsca: Fingerprints,
}

/// One fingerprint, or (an external org trusting several roots) a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Fingerprints {
    One(String),
    Many(Vec<String>),
}

impl Fingerprints {
    fn from_vec(mut prints: Vec<String>) -> Fingerprints {
        if prints.len() == 1 {
            Fingerprints::One(prints.remove(0))
        } else {
            Fingerprints::Many(prints)
        }
    }

    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Fingerprints::One(one) => vec![one.clone()],
            Fingerprints::Many(many) => many.clone(),
        }
    }

    /// The first 16 hex digits in groups of four: short enough to read out.
    pub fn short(&self) -> String {
        self.to_vec()
            .iter()
            .map(|p| short_fingerprint(p))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub fn short_fingerprint(print: &str) -> String {
    print
        .chars()
        .take(16)
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The record as read from the project folder (empty when there is none yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    orgs: BTreeMap<String, OrgRecord>,
    /// The file's bytes, when it exists.
    pub text: Option<String>,
}

impl Record {
    pub fn load(project_dir: &Path) -> anyhow::Result<Record> {
        let path = project_dir.join(RECORD_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Record::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let source = SourceFile::from_text(
            path.clone(),
            crate::load::display_name(project_dir, RECORD_FILE),
            text.clone(),
        );
        let mut diagnostics = Diagnostics::default();
        let Some(file) = crate::load::parse::<RecordFile>(&source, false, &mut diagnostics) else {
            return Err(diagnostics.into_result().expect_err("parse failed").into());
        };
        if file.version != 1 {
            bail!(
                "{}: version {} is not one this fabchart reads (1); use the fabchart that wrote it",
                path.display(),
                file.version
            );
        }
        Ok(Record {
            orgs: file.orgs,
            text: Some(text),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty()
    }

    pub fn get(&self, msp_id: &str) -> Option<&OrgRecord> {
        self.orgs.get(msp_id)
    }

    pub fn orgs(&self) -> impl Iterator<Item = (&str, &OrgRecord)> {
        self.orgs.iter().map(|(id, r)| (id.as_str(), r))
    }

    /// What may happen to each org's CAs (in `network.orgs` order). `replace`
    /// holds the MSP IDs whose CAs the user replaces on purpose.
    pub fn rules(&self, network: &Network, replace: &[String]) -> Vec<CaRule> {
        network
            .orgs
            .iter()
            .map(|org| {
                if replace.contains(&org.msp_id) {
                    return CaRule::Replace;
                }
                match self.orgs.get(&org.msp_id) {
                    Some(record) => CaRule::Pinned {
                        ca: record.ca.to_vec(),
                        tlsca: record.tlsca.to_vec(),
                    },
                    None => CaRule::Adopt,
                }
            })
            .collect()
    }

    /// The record after a compile: every org with known CAs, in MSP ID order;
    /// `forget` (MSP IDs) dropped, other recorded orgs kept.
    pub fn updated(
        &self,
        network: &Network,
        fingerprints: &[Option<CaFingerprints>],
        forget: &[String],
    ) -> Record {
        let mut orgs = self.orgs.clone();
        orgs.retain(|id, _| !forget.contains(id));
        // A forgotten org that stays on as another cluster's is re-pinned below.
        for (org, prints) in network.orgs.iter().zip(fingerprints) {
            let Some(prints) = prints else { continue };
            orgs.insert(
                org.msp_id.clone(),
                OrgRecord {
                    name: org.name.clone(),
                    kind: org.kind,
                    domain: org.domain.clone(),
                    external: org.external,
                    ca: Fingerprints::from_vec(prints.ca.clone()),
                    tlsca: Fingerprints::from_vec(prints.tlsca.clone()),
                },
            );
        }
        let text = Some(render(&orgs));
        Record { orgs, text }
    }
}

impl Record {
    /// The record with org `msp_id` pinned as `record` (an imported bundle's
    /// org), the others as they are.
    pub fn pinned(&self, msp_id: &str, record: OrgRecord) -> Record {
        let mut orgs = self.orgs.clone();
        orgs.insert(msp_id.to_string(), record);
        let text = Some(render(&orgs));
        Record { orgs, text }
    }
}

impl OrgRecord {
    /// An imported bundle's org, as the record pins it.
    pub fn external(
        name: &str,
        kind: OrgKind,
        domain: &str,
        ca: &[String],
        tlsca: &[String],
    ) -> Self {
        OrgRecord {
            name: name.to_string(),
            kind,
            domain: domain.to_string(),
            external: true,
            ca: Fingerprints::from_vec(ca.to_vec()),
            tlsca: Fingerprints::from_vec(tlsca.to_vec()),
        }
    }
}

fn render(orgs: &BTreeMap<String, OrgRecord>) -> String {
    let file = RecordFile {
        version: 1,
        orgs: orgs.clone(),
    };
    format!(
        "{HEADER}{}",
        serde_yaml::to_string(&file).expect("the record serializes")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_fingerprints_are_four_groups() {
        assert_eq!(
            short_fingerprint("3f2a9b1c00aa12efdeadbeef"),
            "3f2a 9b1c 00aa 12ef"
        );
    }

    #[test]
    fn record_round_trips() {
        let mut orgs = BTreeMap::new();
        orgs.insert(
            "HarborMSP".to_string(),
            OrgRecord {
                name: "Harbor".into(),
                kind: OrgKind::Peer,
                domain: "harbor.example".into(),
                external: false,
                ca: Fingerprints::One("aa".into()),
                tlsca: Fingerprints::Many(vec!["bb".into(), "cc".into()]),
            },
        );
        let text = render(&orgs);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(RECORD_FILE), &text).unwrap();
        let record = Record::load(dir.path()).unwrap();
        assert_eq!(record.orgs, orgs);
        assert!(text.starts_with("# fabchart's identity record"));
    }
}
