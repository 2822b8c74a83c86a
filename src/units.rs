//! Durations and byte sizes as Fabric's tools read them from configtx.yaml
//! and as the orderer reads them from a channel config, for compile and the
//! flows alike.

use std::fmt;

/// A fault in a duration or size text: where (characters from its start),
/// what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitError {
    pub offset: usize,
    pub message: String,
    pub help: String,
}

impl UnitError {
    fn new(offset: usize, message: impl Into<String>, help: impl Into<String>) -> UnitError {
        UnitError {
            offset,
            message: message.into(),
            help: help.into(),
        }
    }
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.help)
    }
}

impl std::error::Error for UnitError {}

const DURATION_HELP: &str =
    "write a Go duration: numbers with units ns, us, ms, s, m or h, e.g. 2s, 500ms or 1m30s";

/// Go's `time.ParseDuration`, which configtxgen (BatchTimeout, through its
/// decode hook) and the orderer (BatchTimeout, EtcdRaft TickInterval) use:
/// `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` or `0`, at most 2^63-1 ns. Returns
/// nanoseconds.
pub fn parse_go_duration(text: &str) -> Result<i64, UnitError> {
    let invalid = |offset: usize| UnitError::new(offset, "not a Go duration", DURATION_HELP);
    let overflow = || UnitError::new(0, "longer than Go's limit of 292 years", DURATION_HELP);
    let chars: Vec<char> = text.chars().collect();
    let mut pos = 0;
    let negative = chars.first() == Some(&'-');
    if matches!(chars.first(), Some('-' | '+')) {
        pos = 1;
    }
    if chars[pos..].iter().collect::<String>() == "0" {
        return Ok(0);
    }
    if pos == chars.len() {
        return Err(invalid(pos));
    }
    let mut total: u128 = 0;
    while pos < chars.len() {
        let start = pos;
        if !(chars[pos] == '.' || chars[pos].is_ascii_digit()) {
            return Err(invalid(pos));
        }
        let mut whole: u128 = 0;
        let mut pre = false;
        while pos < chars.len() && chars[pos].is_ascii_digit() {
            whole = whole * 10 + u128::from(chars[pos] as u8 - b'0');
            if whole > 1 << 63 {
                return Err(overflow());
            }
            pre = true;
            pos += 1;
        }
        let mut fraction: u128 = 0;
        let mut scale: u128 = 1;
        let mut post = false;
        if pos < chars.len() && chars[pos] == '.' {
            pos += 1;
            while pos < chars.len() && chars[pos].is_ascii_digit() {
                // Go stops adding digits once they could overflow; so do we.
                if scale < 1 << 62 {
                    fraction = fraction * 10 + u128::from(chars[pos] as u8 - b'0');
                    scale *= 10;
                }
                post = true;
                pos += 1;
            }
        }
        if !pre && !post {
            return Err(invalid(start));
        }
        let unit_start = pos;
        while pos < chars.len() && !(chars[pos] == '.' || chars[pos].is_ascii_digit()) {
            pos += 1;
        }
        let unit: String = chars[unit_start..pos].iter().collect();
        let nanos: u128 = match unit.as_str() {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => {
                return Err(UnitError::new(
                    unit_start,
                    "a number without a unit",
                    DURATION_HELP,
                ))
            }
            other => {
                return Err(UnitError::new(
                    unit_start,
                    format!("`{other}` is no unit of time"),
                    DURATION_HELP,
                ))
            }
        };
        total += whole * nanos + fraction * nanos / scale;
        if total > 1 << 63 {
            return Err(overflow());
        }
    }
    if negative {
        Ok((-(total as i128)) as i64)
    } else {
        i64::try_from(total).map_err(|_| overflow())
    }
}

const SIZE_HELP: &str =
    "write bytes, or a whole number with KB, MB or GB, e.g. 524288, 512 KB or 99 MB";

/// A byte size as configtxgen's decode hook reads a 32-bit size
/// (common/viperutil/config_util.go, `byteSizeDecodeHook`): a whole number
/// of bytes, or `<n> K|M|G` with an optional `B` (any case, powers of 1024),
/// at most 4294967295 bytes. Zero is returned; callers refuse it where
/// configtxgen would take it for "unset".
///
/// Stricter than the hook in two corners no one means: a leading zero (Go
/// reads `010 MB` as octal, 8 MB) and bytes in hex or octal notation.
pub fn parse_byte_size(text: &str) -> Result<u32, UnitError> {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return Err(UnitError::new(0, "not a size", SIZE_HELP));
    }
    if digits > 1 && text.starts_with('0') {
        return Err(UnitError::new(
            0,
            "starts with 0, which configtxgen reads as an octal number",
            "write the number without leading zeros",
        ));
    }
    let rest = &text[digits..];
    let unit = rest.trim_start_matches([' ', '\t', '\n', '\r', '\x0c']);
    let unit_at = text.len() - unit.len();
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" if rest.is_empty() => 0,
        "k" | "kb" => 10,
        "m" | "mb" => 20,
        "g" | "gb" => 30,
        _ => {
            return Err(UnitError::new(
                unit_at,
                format!("`{unit}` is no size unit"),
                SIZE_HELP,
            ))
        }
    };
    let too_big = || {
        UnitError::new(
            0,
            "more than 4 GB (4294967295 bytes), the most a channel config holds",
            "use a smaller size",
        )
    };
    let number: u64 = text[..digits].parse().map_err(|_| too_big())?;
    let bytes = number
        .checked_mul(1 << shift)
        .and_then(|b| u32::try_from(b).ok())
        .ok_or_else(too_big)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_go_parses_them() {
        for (text, nanos) in [
            ("2s", 2_000_000_000),
            ("500ms", 500_000_000),
            ("1m30s", 90_000_000_000),
            ("1.5s", 1_500_000_000),
            (".5s", 500_000_000),
            ("5.s", 5_000_000_000),
            ("0", 0),
            ("-0", 0),
            ("+2h", 7_200_000_000_000),
            ("-1s", -1_000_000_000),
            ("1\u{b5}s", 1_000),
            ("1\u{3bc}s", 1_000),
            ("2562047h47m16.854775807s", i64::MAX),
        ] {
            assert_eq!(parse_go_duration(text), Ok(nanos), "{text}");
        }
        for (text, offset) in [
            ("soon", 0),
            ("", 0),
            ("2", 1),
            ("2 s", 1),
            ("2x", 1),
            (".s", 0),
            ("s", 0),
            ("1s2", 3),
            ("--1s", 1),
        ] {
            assert_eq!(
                parse_go_duration(text).map_err(|e| e.offset),
                Err(offset),
                "{text}"
            );
        }
        assert!(parse_go_duration("2562047h47m16.854775808s").is_err());
        assert!(parse_go_duration("99999999999999999999s").is_err());
    }

    #[test]
    fn sizes_as_configtxgen_reads_them() {
        for (text, bytes) in [
            ("99 MB", 103_809_024),
            ("512 KB", 524_288),
            ("512kb", 524_288),
            ("2 m", 2_097_152),
            ("1Gb", 1 << 30),
            ("4096", 4096),
            ("4294967295", u32::MAX),
            ("0", 0),
        ] {
            assert_eq!(parse_byte_size(text), Ok(bytes), "{text}");
        }
        for (text, offset) in [
            ("99 ZB", 3),
            ("4 GB", 0),
            ("4294967296", 0),
            ("99999999999999999999999 KB", 0),
            ("ten MB", 0),
            ("010 MB", 0),
            ("0x10", 1),
            ("1 MiB", 2),
            (" 1 MB", 0),
            ("1 MB ", 2),
            ("", 0),
        ] {
            assert_eq!(
                parse_byte_size(text).map_err(|e| e.offset),
                Err(offset),
                "{text}"
            );
        }
    }
}
