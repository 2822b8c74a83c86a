//! YAML printed from a JSON value, in block style: what serde_yaml prints
//! for the same value, read back the same, but without its emitter, which
//! takes most of compile's time for the developers' connection profiles
//! (megabytes of certificates in a 100-org network).
//!
//! Maps keep their order; an empty map or list is `{}` or `[]`; a string is
//! plain when nothing could read it as anything else, a literal block (`|`)
//! when it is lines ending in one newline (a PEM), and double-quoted
//! otherwise (JSON's escapes are YAML's).

use std::fmt::Write as _;

use serde_json::Value;

/// `value` as a YAML document.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => map_body(map, 0, &mut out),
        Value::Array(items) if !items.is_empty() => list_body(items, 0, &mut out),
        scalar => {
            inline(scalar, 2, &mut out);
            out.push('\n');
        }
    }
    out
}

/// The entries of a map, each on its own line at `indent`.
fn map_body(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    for (i, (key, value)) in map.iter().enumerate() {
        // The first entry of a list item follows its "- ".
        if i > 0 || !out.ends_with("- ") {
            pad(indent, out);
        }
        scalar_string(key, out);
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                map_body(inner, indent + 2, out);
            }
            // Lists under a key at the key's indentation, as serde_yaml does.
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                list_body(items, indent, out);
            }
            scalar => {
                out.push(' ');
                inline(scalar, indent + 2, out);
                out.push('\n');
            }
        }
    }
}

fn list_body(items: &[Value], indent: usize, out: &mut String) {
    for item in items {
        pad(indent, out);
        out.push_str("- ");
        match item {
            Value::Object(inner) if !inner.is_empty() => map_body(inner, indent + 2, out),
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                list_body(inner, indent + 2, out);
            }
            scalar => {
                inline(scalar, indent + 2, out);
                out.push('\n');
            }
        }
    }
}

/// A value on the current line; a block scalar's lines at `indent`.
fn inline(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => string(s, indent, out),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// `s` on one line: plain, else double-quoted.
fn scalar_string(s: &str, out: &mut String) {
    if plain(s) {
        out.push_str(s);
    } else {
        out.push_str(&serde_json::to_string(s).expect("a string serializes"));
    }
}

fn string(s: &str, indent: usize, out: &mut String) {
    if literal_block(s) {
        out.push('|');
        for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
            out.push('\n');
            if !line.is_empty() {
                pad(indent, out);
                out.push_str(line);
            }
        }
    } else {
        scalar_string(s, out);
    }
}

/// Whether `s` reads back as itself unquoted: letters, digits and a few
/// marks, not starting like a number or an indicator, and not a word YAML
/// (1.1 or 1.2) reads as a boolean or null.
fn plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && !s.ends_with(':')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@'))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null"
        )
}

/// Whether `s` prints as a `|` block: lines ending in exactly one newline,
/// printable, the first not starting with a space (which would need an
/// indentation indicator).
fn literal_block(s: &str) -> bool {
    s.ends_with('\n')
        && !s.ends_with("\n\n")
        && s.len() > 1
        && !s.starts_with(' ')
        && !s.starts_with('\n')
        && s.chars().all(|c| c == '\n' || !c.is_control())
        && !s.contains('\u{feff}')
}

fn pad(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What serde_yaml's parser reads back from our YAML.
    fn read_back(value: &Value) -> Value {
        let text = to_string(value);
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
    }

    #[test]
    fn strings_read_back_as_themselves() {
        let tricky = [
            "",
            "a",
            "true",
            "True",
            "no",
            "Off",
            "y",
            "null",
            "~",
            "1",
            "1.0.0",
            "0x1F",
            ".inf",
            "-",
            "-x",
            "a: b",
            "a:",
            "key: value #comment",
            "#x",
            "x #y",
            "grpcs://peer0.atlantis:7051",
            "user@example.com",
            "*alias",
            "&anchor",
            "!tag",
            "%dir",
            "@at",
            "`tick",
            "'single'",
            "\"double\"",
            "[a]",
            "{a}",
            "a, b",
            "ü",
            " leading",
            "trailing ",
            "tab\there",
            "line\n",
            "two\nlines\n",
            "no final newline\nhere",
            "blank\n\nline\n",
            "two finals\n\n",
            "\n",
            "\nstarts with newline\n",
            " indented\nblock\n",
            "  deeper\n   lines\n",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "cr\r\n",
            "bell\u{7}",
            "bom\u{feff}",
        ];
        for s in tricky {
            for value in [
                json!(s),
                json!({ s: s }),
                json!({ "k": [s, { s: s, "n": { "deep": s } }] }),
                json!([[s]]),
            ] {
                assert_eq!(read_back(&value), value, "{s:?} as {}", to_string(&value));
            }
        }
    }

    #[test]
    fn scalars_and_empty_containers_read_back() {
        let value = json!({
            "null": null, "t": true, "f": false, "int": 7, "neg": -3, "float": 1.5,
            "empty map": {}, "empty list": [], "list": [1, "two", null, {}, []],
            "nested": { "a": { "b": [ { "c": 1, "d": [ "e" ] } ] } },
        });
        assert_eq!(read_back(&value), value);
    }

    #[test]
    fn prints_as_serde_yaml_does_for_a_profile_shape() {
        let value = json!({
            "name": "hlf-kube-atlantis",
            "organizations": { "Atlantis": { "mspid": "AtlantisMSP", "peers": ["peer0", "peer1"] } },
            "peers": { "peer0": { "url": "grpcs://peer0:7051", "tlsCACerts": { "pem": "-----BEGIN X-----\nAB\n-----END X-----\n" } } },
        });
        assert_eq!(to_string(&value), serde_yaml::to_string(&value).unwrap());
    }
}
