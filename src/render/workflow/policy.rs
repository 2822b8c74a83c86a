//! Signature policies (`OR('A.peer', AND('B.admin', 'C.member'))`) as the JSON
//! that `configtxlator proto_decode --type protos.ApplicationPolicy` prints for
//! the committed definition, so a flow compares definitions without protobuf.
//! Parsed by [`crate::policy`]; identities are numbered as Fabric's
//! `policydsl.FromString` meets them (a gate's inner gates first, then its own
//! principals), never deduplicated.

use serde_json::{json, Value};

use crate::policy::{SignaturePolicy, SignatureRule};

/// `{"signature_policy": {...}}` for a signature policy.
pub fn signature_policy_json(policy: &str) -> anyhow::Result<Value> {
    let parsed = SignaturePolicy::parse(policy)
        .map_err(|e| anyhow::anyhow!("cannot parse policy `{policy}`: {e}"))?;
    let mut identities = Vec::new();
    let rule = lower(&parsed.rule, &mut identities);
    Ok(json!({"signature_policy": {"version": 0, "rule": rule, "identities": identities}}))
}

/// `{"channel_config_policy_reference": path}`; Fabric's default is
/// `/Channel/Application/Endorsement`.
pub fn channel_config_policy_json(reference: &str) -> Value {
    json!({ "channel_config_policy_reference": reference })
}

pub const DEFAULT_ENDORSEMENT_POLICY: &str = "/Channel/Application/Endorsement";

/// A policy (as the functions above make it) in one short line that lib.sh's
/// `policy_text` (jq) writes the same way from the decoded committed policy:
/// `1(#0,#1);A.PEER,B.PEER` (rule; identities) for a signature policy,
/// `ref:<path>` for a channel config policy reference.
pub fn canonical_text(policy: &Value) -> String {
    fn rule(r: &Value) -> String {
        match r.get("signed_by") {
            Some(index) => format!("#{}", index.as_u64().unwrap_or(0)),
            None => {
                let rules: Vec<String> = r["n_out_of"]["rules"]
                    .as_array()
                    .map(|rules| rules.iter().map(rule).collect())
                    .unwrap_or_default();
                format!(
                    "{}({})",
                    r["n_out_of"]["n"].as_u64().unwrap_or(0),
                    rules.join(",")
                )
            }
        }
    }
    match policy.get("signature_policy") {
        Some(envelope) => {
            let identities: Vec<String> = envelope["identities"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| {
                    let p = &i["principal"];
                    format!(
                        "{}.{}",
                        p["msp_identifier"].as_str().unwrap_or_default(),
                        p["role"].as_str().unwrap_or("MEMBER")
                    )
                })
                .collect();
            format!("{};{}", rule(&envelope["rule"]), identities.join(","))
        }
        None => format!(
            "ref:{}",
            policy["channel_config_policy_reference"]
                .as_str()
                .unwrap_or_default()
        ),
    }
}

fn lower(rule: &SignatureRule, identities: &mut Vec<Value>) -> Value {
    let SignatureRule::OutOf { n, rules } = rule else {
        unreachable!("principals are lowered by their gate")
    };
    // Fabric's evaluator calls the inner gates before their caller numbers
    // its own principals.
    let inner: Vec<Option<Value>> = rules
        .iter()
        .map(|r| match r {
            SignatureRule::OutOf { .. } => Some(lower(r, identities)),
            SignatureRule::SignedBy(_) => None,
        })
        .collect();
    let mut lowered = Vec::new();
    for (r, done) in rules.iter().zip(inner) {
        match (r, done) {
            (SignatureRule::SignedBy(p), _) => {
                lowered.push(json!({ "signed_by": identities.len() }));
                identities.push(json!({
                    "principal_classification": "ROLE",
                    "principal": { "msp_identifier": p.msp_id, "role": p.role.proto_name() },
                }));
            }
            (_, Some(rule)) => lowered.push(rule),
            (_, None) => unreachable!("gates were lowered above"),
        }
    }
    json!({ "n_out_of": { "n": n, "rules": lowered } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn or_of_peers() {
        let v = signature_policy_json("OR('A.peer','B.peer')").unwrap();
        assert_eq!(
            v,
            json!({"signature_policy": {"version": 0,
                "rule": {"n_out_of": {"n": 1, "rules": [{"signed_by": 0}, {"signed_by": 1}]}},
                "identities": [
                    {"principal_classification": "ROLE", "principal": {"msp_identifier": "A", "role": "PEER"}},
                    {"principal_classification": "ROLE", "principal": {"msp_identifier": "B", "role": "PEER"}}]}})
        );
    }

    #[test]
    fn inner_calls_number_first() {
        let v = signature_policy_json("AND('A.member', OutOf(1, 'B.admin', 'C.client'))").unwrap();
        let ids: Vec<_> = v["signature_policy"]["identities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                i["principal"]["msp_identifier"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(ids, ["B", "C", "A"]);
        assert_eq!(
            v["signature_policy"]["rule"],
            json!({"n_out_of": {"n": 2, "rules": [{"signed_by": 2},
                {"n_out_of": {"n": 1, "rules": [{"signed_by": 0}, {"signed_by": 1}]}}]}})
        );
    }

    #[test]
    fn canonical_text_is_short_and_ordered() {
        let v = signature_policy_json("AND('A.member', OutOf(1, 'B.admin', 'C.client'))").unwrap();
        assert_eq!(
            canonical_text(&v),
            "2(#2,1(#0,#1));B.ADMIN,C.CLIENT,A.MEMBER"
        );
        assert_eq!(
            canonical_text(&channel_config_policy_json(DEFAULT_ENDORSEMENT_POLICY)),
            "ref:/Channel/Application/Endorsement"
        );
    }

    #[test]
    fn rejects_bad_roles() {
        assert!(signature_policy_json("OR('A.boss')").is_err());
        assert!(signature_policy_json("'A.peer'").is_err());
    }
}
