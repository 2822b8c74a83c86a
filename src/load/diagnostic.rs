//! Errors in the user's input: what is wrong, where, and how to fix it.

use std::fmt;

use super::source::{Location, SourceFile};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub location: Option<Location>,
    /// The source line the location points into, for the caret display.
    pub line_text: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error about the whole file (missing, unreadable).
    pub fn file(file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_string(),
            location: None,
            line_text: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn at(source: &SourceFile, location: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: source.display.clone(),
            location: Some(location),
            line_text: Some(source.line_text(location.line).to_string()),
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(at) => writeln!(
                f,
                "{}:{}:{}: {}",
                self.file, at.line, at.column, self.message
            )?,
            None => writeln!(f, "{}: {}", self.file, self.message)?,
        }
        if let (Some(at), Some(text)) = (self.location, &self.line_text) {
            let gutter = at.line.to_string().len();
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{} | {}", at.line, text)?;
            writeln!(f, "{:gutter$} | {:>col$}", "", "^", col = at.column)?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "  = help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem found in the input, reported together.
#[derive(Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was found, the collected errors otherwise.
    pub fn into_result(mut self) -> Result<(), Diagnostics> {
        if self.0.is_empty() {
            return Ok(());
        }
        self.0.sort_by(|a, b| {
            (file_rank(&a.file), &a.file, a.location).cmp(&(
                file_rank(&b.file),
                &b.file,
                b.location,
            ))
        });
        self.0.dedup();
        Err(self)
    }
}

/// Files in the order their faults cause others: crypto-config.yaml declares
/// the orgs that configtx.yaml defines, and network.yaml refers to both; a
/// file of another name (a flow's values file) last.
fn file_rank(file: &str) -> u8 {
    let name = std::path::Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match name {
        super::CRYPTO_CONFIG_FILE => 0,
        super::CONFIGTX_FILE => 1,
        super::NETWORK_FILE => 2,
        _ => 3,
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            write!(f, "error: {diagnostic}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "{n} error{} in the input; nothing was written",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}
