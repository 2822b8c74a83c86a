//! Signature policies (`OR('A.peer', AND('B.admin', 'C.member'))`) as the JSON
//! that `configtxlator proto_decode --type protos.ApplicationPolicy` prints for
//! the committed definition, so a flow compares definitions without protobuf.
//! Mirrors Fabric's `policydsl.FromString`: identities are numbered as Fabric's
//! evaluator meets them (a call's inner calls first, then its own principals),
//! never deduplicated.

use anyhow::{bail, Context};
use serde_json::{json, Value};

#[derive(Debug)]
enum Expr {
    Principal(String, String),
    Call {
        n: Option<usize>,
        kind: String,
        args: Vec<Expr>,
    },
}

/// `{"signature_policy": {...}}` for a signature policy.
pub fn signature_policy_json(policy: &str) -> anyhow::Result<Value> {
    let tokens = tokenize(policy)?;
    let mut pos = 0;
    let expr =
        parse(&tokens, &mut pos).with_context(|| format!("cannot parse policy `{policy}`"))?;
    if pos != tokens.len() {
        bail!("cannot parse policy `{policy}`: unexpected text after the expression");
    }
    if !matches!(expr, Expr::Call { .. }) {
        bail!("policy `{policy}` must be OR(...), AND(...) or OutOf(...)");
    }
    let mut identities = Vec::new();
    let rule = lower(&expr, &mut identities)?;
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

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Open,
    Close,
    Comma,
}

fn tokenize(text: &str) -> anyhow::Result<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            ',' => {
                chars.next();
                out.push(Token::Comma);
            }
            '\'' | '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some(other) => s.push(other),
                        None => bail!("unterminated quote in policy `{text}`"),
                    }
                }
                out.push(Token::Quoted(s));
            }
            _ => {
                let mut s = String::new();
                while let Some(&w) = chars.peek() {
                    if w.is_ascii_alphanumeric() || w == '_' {
                        s.push(w);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if s.is_empty() {
                    bail!("unexpected `{c}` in policy `{text}`");
                }
                out.push(Token::Word(s));
            }
        }
    }
    Ok(out)
}

fn parse(tokens: &[Token], pos: &mut usize) -> anyhow::Result<Expr> {
    match tokens.get(*pos) {
        Some(Token::Quoted(p)) => {
            *pos += 1;
            let (msp, role) = p
                .rsplit_once('.')
                .with_context(|| format!("principal `{p}` is not 'MSP.role'"))?;
            Ok(Expr::Principal(msp.to_string(), role.to_string()))
        }
        Some(Token::Word(w)) => {
            *pos += 1;
            let kind = w.to_lowercase();
            if !["or", "and", "outof"].contains(&kind.as_str()) {
                bail!("unknown function `{w}`");
            }
            if tokens.get(*pos) != Some(&Token::Open) {
                bail!("`(` expected after {w}");
            }
            *pos += 1;
            let mut n = None;
            let mut args = Vec::new();
            if kind == "outof" {
                match tokens.get(*pos) {
                    Some(Token::Word(number)) => {
                        n =
                            Some(number.parse::<usize>().with_context(|| {
                                format!("OutOf needs a number, not `{number}`")
                            })?);
                        *pos += 1;
                    }
                    _ => bail!("OutOf needs a number first"),
                }
                if tokens.get(*pos) != Some(&Token::Comma) {
                    bail!("`,` expected after OutOf's number");
                }
                *pos += 1;
            }
            loop {
                args.push(parse(tokens, pos)?);
                match tokens.get(*pos) {
                    Some(Token::Comma) => *pos += 1,
                    Some(Token::Close) => {
                        *pos += 1;
                        break;
                    }
                    _ => bail!("`,` or `)` expected"),
                }
            }
            Ok(Expr::Call { n, kind, args })
        }
        _ => bail!("a principal or OR/AND/OutOf expected"),
    }
}

fn role_name(role: &str) -> anyhow::Result<&'static str> {
    Ok(match role {
        "member" => "MEMBER",
        "admin" => "ADMIN",
        "client" => "CLIENT",
        "peer" => "PEER",
        "orderer" => "ORDERER",
        other => bail!("unknown role `{other}`; use member, admin, client, peer or orderer"),
    })
}

fn lower(expr: &Expr, identities: &mut Vec<Value>) -> anyhow::Result<Value> {
    let Expr::Call { n, kind, args } = expr else {
        unreachable!("principals are lowered by their call")
    };
    // Fabric's evaluator calls the inner functions before their caller numbers
    // its own principals.
    let mut inner: Vec<Option<Value>> = Vec::new();
    for arg in args {
        inner.push(match arg {
            Expr::Call { .. } => Some(lower(arg, identities)?),
            Expr::Principal(..) => None,
        });
    }
    let mut rules = Vec::new();
    for (arg, lowered) in args.iter().zip(inner) {
        match (arg, lowered) {
            (Expr::Principal(msp, role), _) => {
                rules.push(json!({ "signed_by": identities.len() }));
                identities.push(json!({
                    "principal_classification": "ROLE",
                    "principal": { "msp_identifier": msp, "role": role_name(role)? },
                }));
            }
            (_, Some(rule)) => rules.push(rule),
            _ => unreachable!(),
        }
    }
    let n = match kind.as_str() {
        "or" => 1,
        "and" => args.len(),
        _ => n.unwrap_or(1),
    };
    if n > args.len() {
        bail!("OutOf({n}, ...) needs at least {n} arguments");
    }
    Ok(json!({ "n_out_of": { "n": n, "rules": rules } }))
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
