//! The options as given, Helm-style: `-f values.yaml` files merged in order,
//! then `--set key=value` (comma-separated pairs, `{a,b}` lists), into one
//! tree, remembering which file set each key and where.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{Map, Value};

use crate::load::{Diagnostic, Diagnostics, Location, SourceFile};
use crate::render::workflow::chart_values::{self, ChartValues};

/// Where an option's value came from.
enum Origin {
    /// The values file of this index, at this pointer (as written).
    File(usize, String),
    Set,
}

/// The merged options tree, nested by the words of their keys.
pub struct Values {
    pub(super) tree: Value,
    sources: Vec<SourceFile>,
    /// By the dotted key of each value set (a leaf).
    origins: HashMap<String, Origin>,
}

impl Values {
    /// Reads `files` (in order) then applies `sets` (in order). YAML faults
    /// of the files are reported at their line and column, all at once.
    pub fn load(files: &[impl AsRef<Path>], sets: &[impl AsRef<str>]) -> anyhow::Result<Values> {
        let mut values = Values {
            tree: Value::Object(Map::new()),
            sources: Vec::new(),
            origins: HashMap::new(),
        };
        let mut diagnostics = Diagnostics::default();
        for file in files {
            let file = file.as_ref();
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let source =
                SourceFile::from_text(file.to_path_buf(), file.display().to_string(), text);
            let parsed: Value = match serde_yaml::from_str(&source.text) {
                Ok(parsed) => parsed,
                Err(e) => {
                    let location =
                        e.location()
                            .map_or(Location { line: 1, column: 1 }, |l| Location {
                                line: l.line(),
                                column: l.column(),
                            });
                    let message = e.to_string();
                    let message = message.split(" at line ").next().unwrap_or_default();
                    diagnostics.push(
                        Diagnostic::at(&source, location, format!("invalid YAML: {message}"))
                            .with_help("fix the YAML syntax at this position"),
                    );
                    continue;
                }
            };
            match parsed {
                Value::Null => {}
                Value::Object(_) => {
                    let mut leaves = Vec::new();
                    collect_pointers(&parsed, String::new(), String::new(), &mut leaves);
                    for (key, pointer) in leaves {
                        let origin = Origin::File(values.sources.len(), pointer);
                        values.origins.insert(key, origin);
                    }
                    merge(&mut values.tree, nest_dotted_keys(parsed));
                }
                _ => diagnostics.push(
                    Diagnostic::at(
                        &source,
                        Location { line: 1, column: 1 },
                        "a values file is a mapping of options",
                    )
                    .with_help("write `key: value` lines, e.g. `retryCount: 6`"),
                ),
            }
            values.sources.push(source);
        }
        diagnostics.into_result()?;
        for set in sets {
            for key in apply_set(&mut values.tree, set.as_ref())? {
                values.origins.insert(key, Origin::Set);
            }
        }
        Ok(values)
    }

    /// The file that set `key` (a leaf's dotted key) and its pointer there;
    /// `None` when `--set` did.
    pub(super) fn origin(&self, key: &str) -> Option<(&SourceFile, &str)> {
        match self.origins.get(key) {
            Some(Origin::File(i, pointer)) => Some((&self.sources[*i], pointer.as_str())),
            _ => None,
        }
    }
}

/// Leaves of a values file by dotted key, with the pointer of each (as
/// [`collect_leaves`] finds them).
fn collect_pointers(value: &Value, key: String, pointer: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if key != "hostAliases" && !map.is_empty() => {
            for (k, v) in map {
                let child = if key.is_empty() {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                let at = format!("{pointer}/{}", k.replace('/', "~1"));
                collect_pointers(v, child, at, out);
            }
        }
        _ => out.push((key, pointer)),
    }
}

/// Leaves of a tree by dotted key, below `prefix`; `hostAliases` is a leaf
/// (a list), and so is an empty mapping.
pub(super) fn collect_leaves<'a>(
    value: &'a Value,
    prefix: String,
    out: &mut Vec<(String, &'a Value)>,
) {
    match value {
        Value::Object(map) if prefix != "hostAliases" && !map.is_empty() => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                collect_leaves(v, key, out);
            }
        }
        _ => out.push((prefix, value)),
    }
}

impl Values {
    /// Takes the chart's values out of the tree (keys the chart's schema
    /// has and no flow option is, e.g. `global.imageRegistry`,
    /// `peer.logLevel`), returning them over the chart's defaults.
    pub(super) fn take_chart_values(&mut self) -> ChartValues {
        let mut chart = ChartValues::default();
        let mut leaves = Vec::new();
        collect_leaves(&self.tree, String::new(), &mut leaves);
        let taken: Vec<String> = leaves
            .iter()
            .filter(|(key, _)| {
                // A flow's option, or a section of them (`flow: 5`), is
                // the flow's to read or refuse.
                let section = format!("{key}.");
                let flows = super::schema::all_keys();
                !flows
                    .iter()
                    .any(|(o, _)| o.key == *key || o.key.starts_with(&section))
                    && chart_values::is_chart_key(key)
            })
            .map(|(key, value)| {
                chart.set(key, (*value).clone());
                key.clone()
            })
            .collect();
        for key in taken {
            remove_leaf(&mut self.tree, &key);
        }
        chart
    }
}

/// Removes the leaf at dotted `key` and the mappings it leaves empty.
fn remove_leaf(tree: &mut Value, key: &str) {
    fn go(node: &mut Value, parts: &[&str]) {
        let Some(map) = node.as_object_mut() else {
            return;
        };
        match parts {
            [] => {}
            [last] => {
                map.shift_remove(*last);
            }
            [first, rest @ ..] => {
                if let Some(child) = map.get_mut(*first) {
                    go(child, rest);
                    if child.as_object().is_some_and(Map::is_empty) {
                        map.shift_remove(*first);
                    }
                }
            }
        }
    }
    let parts: Vec<&str> = key.split('.').collect();
    go(tree, &parts);
}

/// A file may write `flow.channel: {parallel: false}`: the tree is nested by
/// words, as `--set` makes it, so that every path is an option's key.
fn nest_dotted_keys(value: Value) -> Value {
    let Value::Object(map) = value else {
        return value;
    };
    let mut out = Value::Object(Map::new());
    for (key, value) in map {
        let mut nested = nest_dotted_keys(value);
        let words: Vec<&str> = key.split('.').collect();
        if words.iter().any(|w| w.is_empty()) {
            merge(&mut out, Value::Object(Map::from_iter([(key, nested)])));
            continue;
        }
        for word in words.iter().rev() {
            nested = Value::Object(Map::from_iter([(word.to_string(), nested)]));
        }
        merge(&mut out, nested);
    }
    out
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Applies one `--set` argument: `a.b=1,c={x,y}`; the keys it set.
fn apply_set(values: &mut Value, arg: &str) -> anyhow::Result<Vec<String>> {
    let mut keys = Vec::new();
    for pair in split_top_level(arg) {
        let (key, raw) = pair
            .split_once('=')
            .with_context(|| format!("--set `{pair}` is not key=value"))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            bail!("--set `{pair}` has an empty key");
        }
        let mut node = &mut *values;
        let parts: Vec<&str> = key.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let map = match node {
                Value::Object(map) => map,
                _ => bail!("--set `{key}`: `{}` is not a mapping", parts[..i].join(".")),
            };
            if i + 1 == parts.len() {
                map.insert(part.to_string(), parse_scalar(raw));
                break;
            }
            node = map
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        keys.push(key.to_string());
    }
    Ok(keys)
}

/// Splits on commas outside `{...}`.
fn split_top_level(arg: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in arg.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&arg[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&arg[start..]);
    out
}

/// Helm's `--set` typing: `{a,b}` lists, true/false, integers; else a string
/// (so `2.0` stays the string "2.0").
fn parse_scalar(raw: &str) -> Value {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        return Value::Array(
            inner
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.into()))
                .collect(),
        );
    }
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => match raw.parse::<u64>() {
            Ok(n) if !raw.starts_with('0') || raw == "0" => Value::from(n),
            _ => Value::String(raw.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn helm_style_sets() {
        let values = Values::load(
            &[] as &[&Path],
            &[
                "chaincode.version=2.0",
                "flow.chaincode.include={a,b},retryCount=7",
            ],
        )
        .unwrap();
        assert_eq!(
            values.tree,
            json!({"chaincode": {"version": "2.0"}, "flow": {"chaincode": {"include": ["a", "b"]}}, "retryCount": 7})
        );
    }

    #[test]
    fn dotted_keys_of_a_file_nest() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("v.yaml");
        std::fs::write(
            &file,
            "flow.channel:\n  parallel: false\nflow:\n  channel.include: [a]\n",
        )
        .unwrap();
        let values = Values::load(&[&file], &[] as &[&str]).unwrap();
        assert_eq!(
            values.tree,
            json!({"flow": {"channel": {"parallel": false, "include": ["a"]}}})
        );
        let (_, pointer) = values.origin("flow.channel.include").unwrap();
        assert_eq!(pointer, "/flow/channel.include");
    }
}
