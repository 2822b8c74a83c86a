//! Faults in the input files found while resolving the model, each with the
//! position of the offending value.

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
}

impl<'a> Faults<'a> {
    pub fn new(project: &'a Project) -> Faults<'a> {
        Faults {
            project,
            diagnostics: Diagnostics::default(),
            warnings: Vec::new(),
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

    fn push(&mut self, file: File, location: Location, message: String, help: String) {
        let source = self.source(file);
        self.diagnostics
            .push(Diagnostic::at(source, location, message).with_help(help));
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

/// `a, b, c`, or `none`, for the help line of an unknown name.
pub(super) fn known_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}
