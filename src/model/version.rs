//! The Fabric release network.yaml names, parsed: it ends up in image
//! references and decides which capabilities are known, so it is an exact
//! `MAJOR.MINOR.PATCH`, compared as numbers.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FabricVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl FabricVersion {
    /// The release fabchart targets when network.yaml names none.
    pub const DEFAULT: FabricVersion = FabricVersion {
        major: 2,
        minor: 5,
        patch: 16,
    };

    /// The release lines fabchart emits charts and flows for: 2.5 (the LTS
    /// line) and 3.x.
    pub fn is_supported(self) -> bool {
        (self.major, self.minor) == (2, 5) || self.major == 3
    }
}

impl FromStr for FabricVersion {
    type Err = String;

    /// Three dot-separated decimal numbers without leading zeros, as
    /// Hyperledger's image tags are written; nothing else (no `v`, no
    /// suffix, no spaces).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = text.split('.').collect();
        let number = |part: &str| -> Option<u32> {
            let digits = !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
            let canonical = part == "0" || !part.starts_with('0');
            digits.then_some(()).filter(|_| canonical)?;
            part.parse().ok()
        };
        match parts.as_slice() {
            [major, minor, patch] => match (number(major), number(minor), number(patch)) {
                (Some(major), Some(minor), Some(patch)) => Ok(FabricVersion {
                    major,
                    minor,
                    patch,
                }),
                _ => Err(format!("`{text}` is not MAJOR.MINOR.PATCH")),
            },
            _ => Err(format!("`{text}` is not MAJOR.MINOR.PATCH")),
        }
    }
}

impl fmt::Display for FabricVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// As its text, so topology.json and the templates print `2.5.16`.
impl Serialize for FabricVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl schemars::JsonSchema for FabricVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FabricVersion".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A Fabric release, MAJOR.MINOR.PATCH.",
            "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_versions_only() {
        let v: FabricVersion = "2.5.16".parse().unwrap();
        assert_eq!((v.major, v.minor, v.patch), (2, 5, 16));
        assert_eq!(v.to_string(), "2.5.16");
        assert_eq!(
            "3.0.0".parse::<FabricVersion>().unwrap().to_string(),
            "3.0.0"
        );
        for bad in [
            "2.5.16; rm -rf /",
            "2.5",
            "2.5.x",
            "v2.5.16",
            "2.5.16-beta",
            " 2.5.16",
            "2.05.1",
            "2..16",
            "2.5.16.1",
            "99999999999.0.0",
            "",
        ] {
            assert!(bad.parse::<FabricVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn supported_lines_compare_numbers_not_prefixes() {
        let supported = |t: &str| t.parse::<FabricVersion>().unwrap().is_supported();
        assert!(supported("2.5.0") && supported("2.5.16") && supported("3.1.2"));
        // "2.50.1" starts with "2.5"; it is no 2.5 release.
        assert!(!supported("2.50.1") && !supported("2.4.9") && !supported("4.0.0"));
        assert!(FabricVersion::DEFAULT.is_supported());
        assert!("2.5.10".parse::<FabricVersion>().unwrap() > "2.5.9".parse().unwrap());
    }
}
