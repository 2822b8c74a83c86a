//! Reads a flow's options struct from the merged values, reporting every
//! fault of the values files at once, at its line and column (a `--set`
//! argument has no position: its first fault is the message). serde stops
//! at the first fault, so each faulty node is removed and the struct read
//! again, as `load` does for the input files.

use anyhow::bail;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::kinds::ValueFault;
use super::schema;
use super::values::{collect_leaves, Values};
use crate::load::{similar, Diagnostic, Diagnostics};
use crate::render::workflow::Flow;

/// How many faults are reported: more than a real values file has.
const MAX_FAULTS: usize = 50;

/// One fault: a message with help, and where a values file set it.
struct Fault {
    message: String,
    help: String,
    /// A one-line message for a `--set` key, which has no position.
    text: String,
    diagnostic: Option<Diagnostic>,
}

pub(super) fn typed<T: DeserializeOwned>(flow: Flow, values: &Values) -> anyhow::Result<T> {
    let mut tree = values.tree.clone();
    let mut diagnostics = Diagnostics::default();
    let mut from_set = None;
    for _ in 0..MAX_FAULTS {
        let error = match serde_path_to_error::deserialize::<_, T>(&tree) {
            Ok(options) if diagnostics.is_empty() && from_set.is_none() => return Ok(options),
            Ok(_) => break,
            Err(error) => error,
        };
        let path: Vec<String> = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            })
            .collect();
        let inner = error.inner().to_string();
        let Some(node) = node_at(&tree, &path) else {
            bail!("{inner}");
        };
        for fault in faults(flow, values, &path.join("."), node, &inner) {
            match fault.diagnostic {
                Some(diagnostic) => diagnostics.push(diagnostic.with_help(fault.help)),
                None => {
                    from_set.get_or_insert(fault.text);
                }
            }
        }
        if !remove(&mut tree, &path) {
            break;
        }
    }
    diagnostics.into_result()?;
    bail!("{}", from_set.unwrap_or_else(|| "faulty options".into()))
}

/// The faults serde's error `inner` at `key` (holding `node`) stands for.
fn faults(flow: Flow, values: &Values, key: &str, node: &Value, inner: &str) -> Vec<Fault> {
    if let Some(value) = ValueFault::decode(inner) {
        let message = format!("option `{key}`{}", value.after_key);
        let diagnostic = values.origin(key).map(|(source, pointer)| {
            let at = source.locate_in_scalar(pointer, value.offset);
            Diagnostic::at(source, at, message.clone())
        });
        return vec![Fault::new(message, value.help, diagnostic)];
    }
    if !inner.starts_with("unknown field") {
        // A section (`flow`) given a value rather than its keys.
        let message = format!("option `{key}` must be a mapping of options, not {node}");
        let diagnostic = values.origin(key).map(|(source, pointer)| {
            Diagnostic::at(source, source.locate(pointer), message.clone())
        });
        let help = format!("see `fabchart flow {} --help` for its options", flow.name());
        return vec![Fault::new(message, help, diagnostic)];
    }
    let mut leaves = Vec::new();
    collect_leaves(node, key.to_string(), &mut leaves);
    leaves
        .into_iter()
        .map(|(leaf, _)| match schema::flows_of(&leaf) {
            others if !others.is_empty() => other_flows(flow, values, &leaf, &others),
            _ => unknown(flow, values, &leaf),
        })
        .collect()
}

impl Fault {
    fn new(message: String, help: String, diagnostic: Option<Diagnostic>) -> Fault {
        Fault {
            text: format!("{message}; {help}"),
            message,
            help,
            diagnostic,
        }
    }
}

/// `backup.key` given to `fabchart flow channel`.
fn other_flows(flow: Flow, values: &Values, key: &str, flows: &[Flow]) -> Fault {
    let names: Vec<&str> = flows.iter().map(|f| f.name()).collect();
    let message = format!(
        "option `{key}` does not apply to `fabchart flow {}` (it is for: {})",
        flow.name(),
        names.join(" ")
    );
    let diagnostic = values.origin(key).map(|(source, pointer)| {
        Diagnostic::at(source, source.locate_key(pointer), message.clone())
    });
    let help = format!("see `fabchart flow {} --help`", flow.name());
    Fault::new(message, help, diagnostic)
}

/// A key no flow has: the closest of the flow's own keys (else of any flow's)
/// as a suggestion.
fn unknown(flow: Flow, values: &Values, key: &str) -> Fault {
    let own = schema::keys(flow);
    let close = own
        .iter()
        .map(|k| k.key.as_str())
        .find(|k| similar(k, key))
        .or_else(|| {
            schema::all_keys()
                .into_iter()
                .map(|(k, _)| k.key.as_str())
                .find(|k| similar(k, key))
        });
    let message = format!("unknown option `{key}`");
    let help = match close {
        Some(k) => format!("did you mean `{k}`? `fabchart flow --help` lists every option"),
        None => "`fabchart flow --help` lists every option".to_string(),
    };
    let diagnostic = values.origin(key).map(|(source, pointer)| {
        let at = source.locate_key(&unknown_part(key, pointer));
        Diagnostic::at(source, at, message.clone())
    });
    let valid: Vec<&str> = own.iter().map(|k| k.key.as_str()).collect();
    let mut fault = Fault::new(message, help, diagnostic);
    let suggestion = close
        .map(|k| format!(" did you mean `{k}`?"))
        .unwrap_or_default();
    fault.text = format!(
        "{};{suggestion} valid options of `fabchart flow {}`: {}",
        fault.message,
        flow.name(),
        valid.join(", ")
    );
    fault
}

/// The pointer (within `pointer`, a leaf's) of the first key of `key` that
/// no option has: `flow.chanel.parallel` -> the key `chanel`.
fn unknown_part(key: &str, pointer: &str) -> String {
    let words: Vec<&str> = key.split('.').collect();
    let all = schema::all_keys();
    let known = (0..words.len())
        .rev()
        .find(|n| {
            let prefix = format!("{}.", words[..*n].join("."));
            *n == 0 || all.iter().any(|(k, _)| k.key.starts_with(&prefix))
        })
        .unwrap_or(0);
    // Pointer segments may hold several dotted words (`flow.channel: ...`).
    let mut words_seen = 0;
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        out.push('/');
        out.push_str(segment);
        words_seen += segment.split('.').count();
        if words_seen > known {
            break;
        }
    }
    out
}

fn node_at<'a>(tree: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(tree, |node, key| node.get(key))
}

/// Removes the node at `path`; false if there is none (or it is the root).
fn remove(tree: &mut Value, path: &[String]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let parent = parent
        .iter()
        .try_fold(tree, |node, key| node.get_mut(key.as_str()));
    parent
        .and_then(Value::as_object_mut)
        .is_some_and(|map| map.shift_remove(last).is_some())
}
