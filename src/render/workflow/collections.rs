//! Private data collections: a collections config file read the way the peer
//! CLI reads it (`--collections-config`), turned into one canonical JSON shape
//! that the chaincode steps also make from what `peer lifecycle chaincode
//! querycommitted|queryapproved --output json` prints (lib.sh
//! `definition_matches`). A changed policy, count, time to live or endorsement
//! policy under an unchanged collection name is then a changed definition.
//!
//! The peer CLI prints those definitions with Go's encoding/json over the
//! generated protobuf structs: oneofs appear under their Go names
//! (`{"Payload": {"StaticCollectionConfig": ...}}`, `{"Type": {"SignedBy": 0}}`),
//! zero values are left out, enums are numbers and an identity's principal
//! is the base64 of its serialized `MSPRole`. The canonical shape has every
//! field, with that principal encoding.

use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use super::policy;
use crate::encoding::base64;

/// The canonical list of the collections in `file` (a JSON list, as for
/// `peer lifecycle chaincode approveformyorg --collections-config`), and the
/// file's text.
pub fn load(file: &Path) -> anyhow::Result<(Value, String)> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let list =
        canonical(&text).with_context(|| format!("collections config {}", file.display()))?;
    Ok((list, text))
}

/// The canonical list of the collections in the JSON `text`.
pub fn canonical(text: &str) -> anyhow::Result<Value> {
    let parsed: Value = serde_json::from_str(text).context("not JSON")?;
    let list = parsed
        .as_array()
        .context("not a JSON list of collections ([{\"name\": ..., \"policy\": ...}])")?;
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        out.push(collection(item).with_context(|| format!("collection #{}", i + 1))?);
    }
    Ok(Value::Array(out))
}

fn collection(item: &Value) -> anyhow::Result<Value> {
    let fields = item.as_object().context("not a JSON object")?;
    let name = string(fields, "name")?.unwrap_or_default();
    if name.is_empty() {
        bail!("has no `name`");
    }
    let policy_text = string(fields, "policy")?.unwrap_or_default();
    let member_orgs_policy =
        signature_policy(&policy_text).with_context(|| format!("collection `{name}`: `policy`"))?;
    let endorsement = match field(fields, "endorsementPolicy") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Object(e)) => {
            let signature = string(e, "signaturePolicy")?.unwrap_or_default();
            let reference = string(e, "channelConfigPolicy")?.unwrap_or_default();
            match (signature.is_empty(), reference.is_empty()) {
                (true, true) => Value::Null,
                (false, false) => bail!(
                    "collection `{name}`: `endorsementPolicy` has both `signaturePolicy` and \
                     `channelConfigPolicy`; keep one"
                ),
                (false, true) => json!({
                    "signature_policy": signature_policy(&signature).with_context(|| {
                        format!("collection `{name}`: `endorsementPolicy.signaturePolicy`")
                    })?
                }),
                (true, false) => json!({ "channel_config_policy_reference": reference }),
            }
        }
        Some(_) => bail!("collection `{name}`: `endorsementPolicy` is not an object"),
    };
    Ok(json!({
        "name": name,
        "member_orgs_policy": member_orgs_policy,
        // The peer CLI's defaults when a count is left out.
        "required_peer_count": integer(fields, "requiredPeerCount")?.unwrap_or(0),
        "maximum_peer_count": integer(fields, "maxPeerCount")?.unwrap_or(1),
        "block_to_live": integer(fields, "blockToLive")?.unwrap_or(0),
        "member_only_read": boolean(fields, "memberOnlyRead")?,
        "member_only_write": boolean(fields, "memberOnlyWrite")?,
        "endorsement_policy": endorsement,
    }))
}

/// A field by name; Go's encoding/json matches names case-insensitively.
fn field<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.get(name).or_else(|| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn string(fields: &Map<String, Value>, name: &str) -> anyhow::Result<Option<String>> {
    match field(fields, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => bail!("`{name}` must be a string, not {other}"),
    }
}

fn integer(fields: &Map<String, Value>, name: &str) -> anyhow::Result<Option<i64>> {
    match field(fields, name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if n >= 0 => Ok(Some(n)),
            _ => bail!("`{name}` must be a whole number of at least 0, not {v}"),
        },
    }
}

fn boolean(fields: &Map<String, Value>, name: &str) -> anyhow::Result<bool> {
    match field(fields, name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => bail!("`{name}` must be true or false, not {other}"),
    }
}

/// A signature policy in the canonical shape: `{version, rule, identities}`
/// with `{signed_by}` / `{n_out_of: {n, rules}}` rules and identities as
/// `{principal_classification: 0, principal: base64(MSPRole)}`.
fn signature_policy(text: &str) -> anyhow::Result<Value> {
    let decoded = policy::signature_policy_json(text)?;
    let envelope = &decoded["signature_policy"];
    let identities = envelope["identities"]
        .as_array()
        .expect("policy.rs lists identities")
        .iter()
        .map(|identity| {
            let principal = &identity["principal"];
            let msp = principal["msp_identifier"].as_str().unwrap_or_default();
            let role = principal["role"].as_str().unwrap_or_default();
            json!({
                "principal_classification": 0,
                "principal": base64(&msp_role(msp, role_number(role))),
            })
        })
        .collect::<Vec<_>>();
    Ok(json!({
        "version": 0,
        "rule": envelope["rule"].clone(),
        "identities": identities,
    }))
}

/// `common.MSPRole.MSPRoleType` numbers.
fn role_number(role: &str) -> u8 {
    match role {
        "ADMIN" => 1,
        "CLIENT" => 2,
        "PEER" => 3,
        "ORDERER" => 4,
        _ => 0, // MEMBER
    }
}

/// A serialized `common.MSPRole` (msp_identifier = 1, role = 2), as Go's
/// proto.Marshal writes it: fields in order, zero values left out.
fn msp_role(msp: &str, role: u8) -> Vec<u8> {
    let mut out = Vec::new();
    if !msp.is_empty() {
        out.push(0x0a);
        let mut len = msp.len();
        while len >= 0x80 {
            out.push((len as u8 & 0x7f) | 0x80);
            len >>= 7;
        }
        out.push(len as u8);
        out.extend_from_slice(msp.as_bytes());
    }
    if role != 0 {
        out.extend_from_slice(&[0x10, role]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_are_serialized_msp_roles() {
        // From a committed definition's validation parameter (Fabric 2.5).
        assert_eq!(base64(&msp_role("HarborMSP", 3)), "CglIYXJib3JNU1AQAw==");
        assert_eq!(base64(&msp_role("HarborMSP", 0)), "CglIYXJib3JNU1A=");
    }

    #[test]
    fn defaults_are_the_peer_clis() {
        let list = canonical(r#"[{"name": "deals", "policy": "OR('A.member')"}]"#).unwrap();
        let c = &list[0];
        assert_eq!(c["required_peer_count"], 0);
        assert_eq!(c["maximum_peer_count"], 1);
        assert_eq!(c["block_to_live"], 0);
        assert_eq!(c["member_only_read"], false);
        assert_eq!(c["endorsement_policy"], Value::Null);
        assert_eq!(
            c["member_orgs_policy"]["rule"],
            json!({"n_out_of": {"n": 1, "rules": [{"signed_by": 0}]}})
        );
    }

    #[test]
    fn keys_match_case_insensitively_like_go() {
        let list =
            canonical(r#"[{"Name": "deals", "POLICY": "OR('A.member')", "MaxPeerCount": 3}]"#)
                .unwrap();
        assert_eq!(list[0]["name"], "deals");
        assert_eq!(list[0]["maximum_peer_count"], 3);
    }

    #[test]
    fn endorsement_policies_take_one_kind() {
        let list = canonical(
            r#"[{"name": "a", "policy": "OR('A.member')",
                 "endorsementPolicy": {"channelConfigPolicy": "/Channel/Application/Writers"}}]"#,
        )
        .unwrap();
        assert_eq!(
            list[0]["endorsement_policy"],
            json!({"channel_config_policy_reference": "/Channel/Application/Writers"})
        );
        let both = canonical(
            r#"[{"name": "a", "policy": "OR('A.member')",
                 "endorsementPolicy": {"channelConfigPolicy": "x", "signaturePolicy": "OR('A.peer')"}}]"#,
        );
        assert!(format!("{:#}", both.unwrap_err()).contains("keep one"));
    }

    #[test]
    fn bad_collections_say_which_and_why() {
        let err = canonical(r#"[{"name": "a", "policy": "OR('A.boss')"}]"#).unwrap_err();
        assert!(
            format!("{err:#}").contains("collection `a`: `policy`"),
            "{err:#}"
        );
        let err = canonical(r#"[{"policy": "OR('A.member')"}]"#).unwrap_err();
        assert!(
            format!("{err:#}").contains("collection #1: has no `name`"),
            "{err:#}"
        );
        assert!(canonical(r#"{"name": "a"}"#).is_err());
        let err = canonical(r#"[{"name": "a", "policy": "OR('A.member')", "blockToLive": -1}]"#)
            .unwrap_err();
        assert!(format!("{err:#}").contains("blockToLive"), "{err:#}");
    }
}
