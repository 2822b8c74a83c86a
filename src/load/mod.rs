//! Load: read the project folder's three input files, parse them and report
//! every syntax and shape error with its file, line and column.

pub mod configtx;
pub mod crypto_config;
pub mod diagnostic;
pub mod network;
pub mod source;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use source::{Location, SourceFile};

pub const NETWORK_FILE: &str = "network.yaml";
pub const CRYPTO_CONFIG_FILE: &str = "crypto-config.yaml";
pub const CONFIGTX_FILE: &str = "configtx.yaml";

/// A parsed input file together with its source, for locating later errors.
#[derive(Debug)]
pub struct Input<T> {
    pub value: T,
    pub source: SourceFile,
}

/// The project folder as read from disk, not yet checked for consistency.
#[derive(Debug)]
pub struct Project {
    pub dir: PathBuf,
    pub network: Input<network::NetworkFile>,
    pub crypto_config: Input<crypto_config::CryptoConfigFile>,
    pub configtx: Input<configtx::ConfigtxFile>,
}

pub fn load(dir: &Path) -> Result<Project, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let network = read_input(dir, NETWORK_FILE, false, &mut diagnostics);
    let crypto_config = read_input(dir, CRYPTO_CONFIG_FILE, false, &mut diagnostics);
    let configtx = read_input(dir, CONFIGTX_FILE, true, &mut diagnostics);
    match (network, crypto_config, configtx) {
        (Some(network), Some(crypto_config), Some(configtx)) if diagnostics.is_empty() => {
            Ok(Project {
                dir: dir.to_path_buf(),
                network,
                crypto_config,
                configtx,
            })
        }
        _ => Err(diagnostics
            .into_result()
            .expect_err("a file failed to load")),
    }
}

/// The name a file is shown under in messages: the path the user gave, joined.
pub fn display_name(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

fn read_input<T: DeserializeOwned>(
    dir: &Path,
    file: &str,
    merge_keys: bool,
    diagnostics: &mut Diagnostics,
) -> Option<Input<T>> {
    let path = dir.join(file);
    let display = display_name(dir, file);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            diagnostics.push(
                Diagnostic::file(&display, "file not found").with_help(format!(
                    "a fabchart project folder holds {NETWORK_FILE}, {CRYPTO_CONFIG_FILE} and \
                     {CONFIGTX_FILE}; see samples/simple for a complete example"
                )),
            );
            return None;
        }
        Err(e) => {
            diagnostics.push(Diagnostic::file(&display, format!("cannot read: {e}")));
            return None;
        }
    };
    let source = SourceFile::from_text(path, display, text);
    let value = parse(&source, merge_keys, diagnostics)?;
    Some(Input { value, source })
}

/// Parses YAML text into `T`, turning serde's errors into located diagnostics.
pub fn parse<T: DeserializeOwned>(
    source: &SourceFile,
    merge_keys: bool,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    let mut value: serde_yaml::Value = match serde_yaml::from_str(&source.text) {
        Ok(serde_yaml::Value::Null) => serde_yaml::Value::Mapping(Default::default()),
        Ok(value) => value,
        Err(e) => {
            let location = e
                .location()
                .map(|l| Location {
                    line: l.line(),
                    column: l.column(),
                })
                .unwrap_or(Location { line: 1, column: 1 });
            diagnostics.push(
                Diagnostic::at(
                    source,
                    location,
                    format!("invalid YAML: {}", strip_position(&e)),
                )
                .with_help("fix the YAML syntax at this position"),
            );
            return None;
        }
    };
    if merge_keys {
        if let Err(e) = value.apply_merge() {
            diagnostics.push(Diagnostic::file(
                &source.display,
                format!("invalid merge key: {e}"),
            ));
            return None;
        }
    }
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(parsed) => Some(parsed),
        Err(e) => {
            let path = pointer(e.path());
            let inner = e.inner().to_string();
            let location = if inner.starts_with("unknown field") {
                source.locate_key(&path)
            } else {
                source.locate(&path)
            };
            let shown = e.path().to_string();
            let message = if shown == "." {
                inner.clone()
            } else {
                format!("{shown}: {inner}")
            };
            let help = if inner.starts_with("unknown field") {
                "remove or rename the key; the accepted keys are listed above"
            } else if inner.starts_with("missing field") {
                "add the missing key"
            } else {
                "change the value to the expected type"
            };
            diagnostics.push(Diagnostic::at(source, location, message).with_help(help));
            None
        }
    }
}

/// serde_path_to_error's path as the `/a/0/b` pointer the source index uses.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", key.replace('/', "~1"))),
            Segment::Enum { variant } => out.push_str(&format!("/{variant}")),
            Segment::Unknown => {}
        }
    }
    out
}

/// serde_yaml appends " at line X column Y"; the diagnostic shows that itself.
fn strip_position(e: &serde_yaml::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}
