//! The kinds of option values, as serde `deserialize_with` functions. Each
//! takes what a values file and Helm's `--set` can give (YAML reads `2` as a
//! number, `--set` reads `2.0` as a string) and refuses anything else with a
//! [`ValueFault`]: what was expected, how to fix it, and where inside the
//! value. The loader adds the option's key and position.

use serde::de::{Deserialize, Deserializer, Error};
use serde_json::Value;

use super::HostAlias;
use crate::policy::AnyPolicy;
use crate::units;

/// Marks a serde error's message as an encoded [`ValueFault`].
const MARK: char = '\u{0}';

const TYPE_HELP: &str = "see `fabchart flow --help` for every option and its type";

/// What is wrong with one option's value. serde errors carry only text, so
/// it travels through serde encoded in the message.
#[derive(Debug, PartialEq)]
pub(super) struct ValueFault {
    /// The message after the option's key, e.g. " must be true or false, not 3".
    pub after_key: String,
    pub help: String,
    /// Character offset of the fault inside a string value.
    pub offset: usize,
}

impl ValueFault {
    fn error<E: Error>(after_key: String, help: impl Into<String>, offset: usize) -> E {
        E::custom(format!(
            "{MARK}{after_key}{MARK}{}{MARK}{offset}",
            help.into()
        ))
    }

    /// The fault a serde error message encodes, if it is one.
    pub(super) fn decode(message: &str) -> Option<ValueFault> {
        let mut parts = message.strip_prefix(MARK)?.splitn(3, MARK);
        Some(ValueFault {
            after_key: parts.next()?.to_string(),
            help: parts.next()?.to_string(),
            offset: parts.next()?.parse().ok()?,
        })
    }
}

fn expected<E: Error>(what: &str, value: &Value) -> E {
    ValueFault::error(format!(" must be {what}, not {value}"), TYPE_HELP, 0)
}

/// `true` or `false` (also as strings).
pub(super) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(b) => Ok(b),
        Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
        other => Err(expected("true or false", &other)),
    }
}

/// A non-negative whole number (as a string, at most 32 bits).
pub(super) fn number<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<T, D::Error> {
    let value = Value::deserialize(d)?;
    let number = match &value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse::<u32>().ok().map(u64::from),
        _ => None,
    };
    number
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| expected("a non-negative number", &value))
}

/// Text; a number or boolean as written (`2.0` stays `2.0`).
pub(super) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(expected("a string", &other)),
    }
}

/// A list of names (`{a,b}` on the command line); one name is a list of one.
pub(super) fn names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s]),
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(items
            .into_iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect()),
        other => Err(expected("a list of names, e.g. {a,b}", &other)),
    }
}

/// `[{ip, hostnames: [...]}]`, as a pod's `hostAliases`.
pub(super) fn host_aliases<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<HostAlias>, D::Error> {
    let value = Value::deserialize(d)?;
    let well_formed = |item: &Value| {
        item.as_object().is_some_and(|o| {
            o.keys().all(|k| k == "ip" || k == "hostnames")
                && o.get("ip").is_some_and(Value::is_string)
                && o.get("hostnames")
                    .and_then(Value::as_array)
                    .is_some_and(|h| h.iter().all(Value::is_string))
        })
    };
    match &value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) if items.iter().all(well_formed) => {
            serde_json::from_value(value).map_err(D::Error::custom)
        }
        _ => Err(expected("a list of {ip, hostnames: [...]}", &value)),
    }
}

/// A channel-config setting's text, checked by `check` as the orderer or
/// configtxgen reads it; empty means not set.
fn setting<'de, D: Deserializer<'de>>(
    d: D,
    numbers: bool,
    check: impl Fn(&str) -> Result<(), (String, String, usize)>,
) -> Result<String, D::Error> {
    let text = match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) if numbers => n.to_string(),
        other => return Err(expected("a string", &other)),
    };
    if text.is_empty() {
        return Ok(text);
    }
    check(&text).map_err(|(detail, help, offset)| {
        ValueFault::error(format!(" = `{text}`: {detail}"), help, offset)
    })?;
    Ok(text)
}

/// A Go duration above zero, e.g. `2s` (empty: not set).
pub(super) fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    setting(d, true, |text| match units::parse_go_duration(text) {
        Ok(nanos) if nanos > 0 => Ok(()),
        Ok(_) => Err((
            "not longer than zero".into(),
            "the orderer refuses it; e.g. 2s".into(),
            0,
        )),
        Err(e) => Err((e.message, e.help, e.offset)),
    })
}

/// A configtxgen byte size above zero, e.g. `99 MB` (empty: not set).
pub(super) fn size<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    setting(d, true, |text| match units::parse_byte_size(text) {
        Ok(0) => Err((
            "0 bytes".into(),
            "give a size above 0, e.g. 99 MB".into(),
            0,
        )),
        Ok(_) => Ok(()),
        Err(e) => Err((e.message, e.help, e.offset)),
    })
}

/// A 32-bit count above zero (empty: not set).
pub(super) fn count<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    setting(d, true, |text| {
        if text.parse::<u32>().is_ok_and(|n| n > 0) {
            Ok(())
        } else {
            Err((
                "not a count from 1 to 4294967295".into(),
                "e.g. 500".into(),
                0,
            ))
        }
    })
}

/// `true` or `false` as a channel-config setting (empty: not set).
pub(super) fn switch<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = match Value::deserialize(d)? {
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s,
        other => return Err(expected("true or false", &other)),
    };
    if text.is_empty() || text == "true" || text == "false" {
        Ok(text)
    } else {
        Err(ValueFault::error(
            format!(" = `{text}`: not true or false"),
            "write true or false",
            0,
        ))
    }
}

/// An ImplicitMeta or signature policy rule (empty: not set).
pub(super) fn policy<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    setting(d, false, |text| {
        AnyPolicy::parse(text)
            .map(|_| ())
            .map_err(|e| (e.message, e.help, e.offset))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fault(result: Result<impl std::fmt::Debug, serde_json::Error>) -> ValueFault {
        ValueFault::decode(&result.unwrap_err().to_string()).expect("an encoded fault")
    }

    #[test]
    fn helm_and_yaml_spellings_are_taken() {
        assert!(flag(json!("true")).unwrap());
        assert_eq!(number::<_, u32>(json!("7")).unwrap(), 7);
        assert_eq!(text(json!(2)).unwrap(), "2");
        assert_eq!(names(json!("a")).unwrap(), ["a"]);
        assert!(names(json!(null)).unwrap().is_empty());
    }

    #[test]
    fn faults_say_what_was_expected() {
        assert_eq!(
            fault(flag(json!("maybe"))).after_key,
            " must be true or false, not \"maybe\""
        );
        assert!(number::<_, u32>(json!(-1)).is_err());
        assert!(number::<_, u32>(json!(1u64 << 32)).is_err());
        let f = fault(duration(json!("1x")));
        assert_eq!(
            (f.after_key.as_str(), f.offset),
            (" = `1x`: `x` is no unit of time", 1)
        );
        assert!(policy(json!(5)).is_err());
        assert_eq!(size(json!("")).unwrap(), "");
    }
}
