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
    /// Other clusters' orgs' public bundles, imported into `bundles/`, in file name order.
    pub bundles: Vec<Input<crate::bundle::Bundle>>,
}

pub fn load(dir: &Path) -> Result<Project, Diagnostics> {
    // Read and parsed side by side; the diagnostics in file order.
    let ((network, mut diagnostics), ((crypto_config, more), (configtx, last))) = rayon::join(
        || read_input(dir, NETWORK_FILE, false),
        || {
            rayon::join(
                || read_input(dir, CRYPTO_CONFIG_FILE, false),
                || read_input(dir, CONFIGTX_FILE, true),
            )
        },
    );
    diagnostics.0.extend(more.0);
    diagnostics.0.extend(last.0);
    let bundles = read_bundles(dir, &mut diagnostics);
    match (network, crypto_config, configtx) {
        (Some(network), Some(crypto_config), Some(configtx)) if diagnostics.is_empty() => {
            Ok(Project {
                dir: dir.to_path_buf(),
                network,
                crypto_config,
                configtx,
                bundles,
            })
        }
        _ => Err(diagnostics
            .into_result()
            .expect_err("a file failed to load")),
    }
}

/// The bundles imported into `dir/bundles/` (`*.yaml`, in name order), parsed.
fn read_bundles(dir: &Path, diagnostics: &mut Diagnostics) -> Vec<Input<crate::bundle::Bundle>> {
    let folder = dir.join(crate::bundle::BUNDLES_DIR);
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Vec::new();
    };
    let mut files: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.ends_with(".yaml") && !name.starts_with('.'))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for name in files {
        let file = format!("{}/{name}", crate::bundle::BUNDLES_DIR);
        let Some(input) = read_located::<crate::bundle::Bundle>(dir, &file, false, diagnostics)
        else {
            continue;
        };
        let faults = crate::bundle::file_faults(&input.source, &input.value);
        if !faults.is_empty() {
            for fault in faults {
                diagnostics.push(fault);
            }
            continue;
        }
        out.push(input);
    }
    out
}

/// The name a file is shown under in messages: the path the user gave, joined.
pub fn display_name(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

/// Input `file` of `dir`, or none, and what is wrong with it.
fn read_input<T: DeserializeOwned>(
    dir: &Path,
    file: &str,
    merge_keys: bool,
) -> (Option<Input<T>>, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let input = read_located(dir, file, merge_keys, &mut diagnostics);
    (input, diagnostics)
}

fn read_located<T: DeserializeOwned>(
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
    deserialize_reporting_all(source, value, diagnostics)
}

/// How many faults of one file are reported: more than a real file has,
/// few enough that a file of garbage ends quickly.
const MAX_FAULTS_PER_FILE: usize = 50;

/// serde stops at a file's first type error. To report all of them, each
/// faulty node is removed from the document and it is deserialized again,
/// until it deserializes or the bound is reached. A "missing field" that a
/// removal caused is a consequence and not reported (the node that lacks it
/// is removed in turn); positions are of the document as written (indexes
/// shifted by removals from sequences are mapped back).
fn deserialize_reporting_all<T: DeserializeOwned>(
    source: &SourceFile,
    mut value: serde_yaml::Value,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    let mut removed = Removed::default();
    let mut reported = 0;
    loop {
        let error = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(parsed) => return (reported == 0).then_some(parsed),
            Err(error) => error,
        };
        let current = segments(error.path());
        let written = removed.written(&current);
        let inner = error.inner().to_string();
        let missing = inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let caused = missing.is_some_and(|field| {
            let mut lacking = written.clone();
            lacking.push(Segment::Key(field.to_string()));
            removed.paths.contains(&pointer(&lacking))
                || removed.misspelled(&pointer(&written), field)
        });
        if !caused {
            let fault = diagnostic(source, &written, &inner);
            // A section merged into several places fails in each: once is enough.
            if !diagnostics.0.contains(&fault) {
                diagnostics.push(fault);
                reported += 1;
            }
        }
        if reported >= MAX_FAULTS_PER_FILE || !remove(&mut value, &current) {
            return None;
        }
        if inner.starts_with("unknown field") {
            if let Some((Segment::Key(key), parent)) = written.split_last() {
                removed.unknown.push((pointer(parent), key.clone()));
            }
        }
        removed.record(&written);
    }
}

fn diagnostic(source: &SourceFile, path: &[Segment], inner: &str) -> Diagnostic {
    let at = pointer(path);
    let location = if inner.starts_with("unknown field") {
        source.locate_key(&at)
    } else {
        source.locate(&at)
    };
    // Named as written, so that a fault in a merged section reads the same
    // wherever it was merged.
    let shown = shown_path(&source.written_path(&at).unwrap_or(at));
    let message = if shown.is_empty() {
        inner.to_string()
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
    Diagnostic::at(source, location, message).with_help(help)
}

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn segments(path: &serde_path_to_error::Path) -> Vec<Segment> {
    use serde_path_to_error::Segment as S;
    path.iter()
        .filter_map(|segment| match segment {
            S::Seq { index } => Some(Segment::Index(*index)),
            S::Map { key } => Some(Segment::Key(key.clone())),
            S::Enum { variant } => Some(Segment::Key(variant.clone())),
            S::Unknown => None,
        })
        .collect()
}

/// A pointer as serde_path_to_error shows a path: `network.channels[0].name`.
fn shown_path(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let key = segment.replace("~1", "/");
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{key}]"));
        } else if out.is_empty() {
            out.push_str(&key);
        } else {
            out.push_str(&format!(".{key}"));
        }
    }
    out
}

/// What was removed from the document, by the paths it was written at.
#[derive(Default)]
struct Removed {
    paths: std::collections::HashSet<String>,
    /// Sequence (as written) -> the indexes (as written) removed from it, sorted.
    indexes: std::collections::HashMap<String, Vec<usize>>,
    /// Unknown keys removed, as (mapping as written, key).
    unknown: Vec<(String, String)>,
}

impl Removed {
    /// Whether an unknown key removed from `mapping` looks like a misspelt
    /// `field`: then `field` missing there is the same fault.
    fn misspelled(&self, mapping: &str, field: &str) -> bool {
        self.unknown
            .iter()
            .any(|(at, key)| at == mapping && similar(key, field))
    }

    /// The path as written of a path into the pruned document.
    fn written(&self, current: &[Segment]) -> Vec<Segment> {
        let mut out: Vec<Segment> = Vec::new();
        for segment in current {
            let mapped = match segment {
                Segment::Index(index) => {
                    let mut at = *index;
                    for gone in self.indexes.get(&pointer(&out)).into_iter().flatten() {
                        if *gone <= at {
                            at += 1;
                        }
                    }
                    Segment::Index(at)
                }
                key => key.clone(),
            };
            out.push(mapped);
        }
        out
    }

    fn record(&mut self, written: &[Segment]) {
        self.paths.insert(pointer(written));
        if let Some((Segment::Index(index), parent)) = written.split_last() {
            let gone = self.indexes.entry(pointer(parent)).or_default();
            let at = gone.partition_point(|g| g < index);
            gone.insert(at, *index);
        }
    }
}

/// Whether two key names are close enough to be one misspelt as the other:
/// equal but for case, or at most two edits apart.
pub fn similar(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (
        a.to_lowercase().chars().collect(),
        b.to_lowercase().chars().collect(),
    );
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()] <= 2
}

/// Removes the node at `path` (of the current document); false if there is none.
fn remove(value: &mut serde_yaml::Value, path: &[Segment]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let mut node = value;
    for segment in parent {
        let next = match (segment, node) {
            (Segment::Key(key), serde_yaml::Value::Mapping(map)) => map
                .iter_mut()
                .find(|(k, _)| key_text(k) == *key)
                .map(|(_, v)| v),
            (Segment::Index(index), serde_yaml::Value::Sequence(items)) => items.get_mut(*index),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return false,
        }
    }
    match (last, node) {
        (Segment::Key(key), serde_yaml::Value::Mapping(map)) => {
            let found = map.keys().find(|k| key_text(k) == *key).cloned();
            found.is_some_and(|k| map.remove(&k).is_some())
        }
        (Segment::Index(index), serde_yaml::Value::Sequence(items)) if *index < items.len() => {
            items.remove(*index);
            true
        }
        _ => false,
    }
}

/// A mapping key as serde_path_to_error names it.
fn key_text(key: &serde_yaml::Value) -> String {
    match key {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// A path as the `/a/0/b` pointer the source index uses.
fn pointer(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Index(index) => out.push_str(&format!("/{index}")),
            Segment::Key(key) => out.push_str(&format!("/{}", key.replace('/', "~1"))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
        flag: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        name: String,
        count: Option<u32>,
    }

    fn faults(text: &str) -> Vec<String> {
        let source = SourceFile::from_text("t.yaml".into(), "t.yaml".into(), text.into());
        let mut diagnostics = Diagnostics::default();
        assert!(parse::<Doc>(&source, true, &mut diagnostics).is_none());
        diagnostics
            .0
            .iter()
            .map(|d| {
                let at = d.location.unwrap();
                format!("{}:{} {}", at.line, at.column, d.message)
            })
            .collect()
    }

    #[test]
    fn every_type_error_of_a_file_at_written_positions() {
        let found = faults(concat!(
            "items:\n",
            "  - count: 1\n",
            "  - name: b\n",
            "    count: many\n",
            "  - name: [c]\n",
            "    count: 2\n",
            "flag: perhaps\n",
        ));
        assert_eq!(
            found,
            [
                "2:5 items[0]: missing field `name`",
                "4:12 items[1].count: invalid type: string \"many\", expected u32",
                "5:11 items[2].name: invalid type: sequence, expected a string",
                "7:7 flag: invalid type: string \"perhaps\", expected a boolean",
            ],
            "the missing `name` of items[2] is the removal's consequence, not reported"
        );
    }

    #[test]
    fn a_misspelt_key_is_one_fault_not_two() {
        let found = faults("items:\n  - nmae: a\n  - Name: b\n  - naem: c\n    cuont: 1\n");
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(
            found.iter().all(|f| f.contains("unknown field")),
            "{found:#?}"
        );
    }

    #[test]
    fn a_merged_section_fails_once() {
        let found = faults("items:\n  - &b\n    name: [x]\n  - *b\n  - <<: *b\n    count: 1\n");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].starts_with("3:11 items[0].name"), "{found:#?}");
    }

    #[test]
    fn faults_are_bounded() {
        let text: String = std::iter::once("items:\n".to_string())
            .chain((0..200).map(|i| format!("  - {{name: n{i}, count: x}}\n")))
            .collect();
        assert_eq!(faults(&text).len(), MAX_FAULTS_PER_FILE);
    }
}
