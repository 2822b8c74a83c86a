//! Faults in the input files found while resolving the model, each with the
//! position of the offending value, and what was refused already, so that
//! its consequences elsewhere are not reported as faults of their own.

use std::collections::HashSet;

use crate::load::network::ChannelEntry;
use crate::load::{Diagnostic, Diagnostics, Location, Project, SourceFile};

/// Which input file a fault is in.
#[derive(Debug, Clone, Copy)]
pub(super) enum File {
    Network,
    CryptoConfig,
    Configtx,
}

pub(super) struct Faults<'a> {
    pub project: &'a Project,
    pub diagnostics: Diagnostics,
    /// Warnings found where no `warnings` list is passed along.
    pub warnings: Vec<String>,
    /// Orgs that are declared but were refused (and reported).
    refused_orgs: Vec<RefusedOrg>,
    /// Channels that list an org the network does not have (reported).
    pub channels_with_unknown_orgs: HashSet<String>,
}

/// What identifies a refused org wherever it is referred to.
struct RefusedOrg {
    name: String,
    msp_id: String,
    /// Lower-case name, as in object names.
    key: String,
    domain: String,
}

impl<'a> Faults<'a> {
    pub fn new(project: &'a Project) -> Faults<'a> {
        Faults {
            project,
            diagnostics: Diagnostics::default(),
            warnings: Vec::new(),
            refused_orgs: Vec::new(),
            channels_with_unknown_orgs: HashSet::new(),
        }
    }

    pub fn source(&self, file: File) -> &'a SourceFile {
        let project = self.project;
        match file {
            File::Network => &project.network.source,
            File::CryptoConfig => &project.crypto_config.source,
            File::Configtx => &project.configtx.source,
        }
    }

    /// Records a fault, once: a section merged into several channel profiles
    /// is checked for each, at the one place it is written.
    fn push(&mut self, file: File, location: Location, message: String, help: String) {
        let source = self.source(file);
        let diagnostic = Diagnostic::at(source, location, message).with_help(help);
        if !self.diagnostics.0.contains(&diagnostic) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// A fault in the value at `path`.
    pub fn value(&mut self, file: File, path: &str, message: String, help: String) {
        let location = self.source(file).locate(path);
        self.push(file, location, message, help);
    }

    /// A fault in the key of the mapping entry at `path`.
    pub fn key(&mut self, file: File, path: &str, message: String, help: String) {
        let location = self.source(file).locate_key(path);
        self.push(file, location, message, help);
    }

    /// A fault at character `offset` of the string at `path`.
    pub fn inside(&mut self, file: File, path: &str, offset: usize, message: String, help: String) {
        let location = self.source(file).locate_in_scalar(path, offset);
        self.push(file, location, message, help);
    }

    pub fn network(&mut self, path: &str, message: String, help: String) {
        self.value(File::Network, path, message, help);
    }

    pub fn crypto(&mut self, path: &str, message: String, help: String) {
        self.value(File::CryptoConfig, path, message, help);
    }

    pub fn configtx(&mut self, path: &str, message: String, help: String) {
        self.value(File::Configtx, path, message, help);
    }

    /// Channel `name` as network.yaml declares it (refused or not).
    pub fn declared_channel(&self, name: &str) -> Option<&'a ChannelEntry> {
        self.project
            .network
            .value
            .network
            .channels
            .iter()
            .find(|c| c.name == name)
    }
}

impl Faults<'_> {
    /// Records that an org, declared under this name, MSP ID and domain, was
    /// refused: references to it are consequences, not faults.
    pub fn refuse_org(&mut self, name: &str, msp_id: &str, domain: &str) {
        self.refused_orgs.push(RefusedOrg {
            name: name.to_string(),
            msp_id: msp_id.to_string(),
            key: name.to_lowercase(),
            domain: domain.to_lowercase(),
        });
    }

    /// Whether `name_or_msp_id` names an org that was refused.
    pub fn is_refused_org(&self, name_or_msp_id: &str) -> bool {
        self.refused_orgs
            .iter()
            .any(|o| o.name == name_or_msp_id || o.msp_id == name_or_msp_id)
    }

    /// Whether `host` (an fqdn or a Service name) is a node of a refused org.
    pub fn is_refused_host(&self, host: &str) -> bool {
        self.refused_orgs.iter().any(|o| {
            host.ends_with(&format!(".{}", o.domain)) || host.contains(&format!("--{}--", o.key))
        })
    }
}

/// `a, b, c`, or `none`, for the help line of an unknown name.
pub(super) fn known_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}
