//! Fabric's policy language, parsed once for compile and the flows.
//!
//! Signature policies are what Fabric's `policydsl.FromString`
//! (common/policydsl/policyparser.go) accepts: gates `AND`, `OR` and
//! `OutOf(n, ...)` (each written all upper case, all lower case or as here)
//! over quoted principals `'MSPID.role'`, where the MSP ID is ASCII letters,
//! digits, `.` and `-` and the role one of member, admin, client, peer,
//! orderer. ImplicitMeta rules are what `policies.ImplicitMetaFromString`
//! (common/policies/implicitmetaparser.go) accepts: `ANY|ALL|MAJORITY
//! <SubPolicy>`, split on exactly one space.
//!
//! Where Fabric accepts a policy that can never do what its author meant,
//! this parser refuses it too: `OutOf(0, ...)` (satisfied without any
//! signature), more signatures than principals (never satisfied), and a
//! sub-policy that is no valid policy name (never found).
//!
//! Errors carry the character offset inside the policy text, so a
//! diagnostic can point at the exact character.

use std::fmt;

/// A fault in a policy text: where (characters from its start), what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub offset: usize,
    pub message: String,
    pub help: String,
}

impl PolicyError {
    fn new(offset: usize, message: impl Into<String>, help: impl Into<String>) -> PolicyError {
        PolicyError {
            offset,
            message: message.into(),
            help: help.into(),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at character {}; {})",
            self.message,
            self.offset + 1,
            self.help
        )
    }
}

impl std::error::Error for PolicyError {}

/// A policy's `Type` in configtx.yaml, as configtxgen's encoder knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    Signature,
    ImplicitMeta,
}

impl PolicyType {
    /// `Signature` or `ImplicitMeta`, spelled exactly so (configtxgen compares
    /// the strings as they are).
    pub fn from_name(name: &str) -> Option<PolicyType> {
        match name {
            "Signature" => Some(PolicyType::Signature),
            "ImplicitMeta" => Some(PolicyType::ImplicitMeta),
            _ => None,
        }
    }
}

/// An MSP role a principal names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Admin,
    Client,
    Peer,
    Orderer,
}

impl Role {
    const ALL: [(&'static str, Role); 5] = [
        ("member", Role::Member),
        ("admin", Role::Admin),
        ("client", Role::Client),
        ("peer", Role::Peer),
        ("orderer", Role::Orderer),
    ];

    fn from_name(name: &str) -> Option<Role> {
        Role::ALL.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
    }

    /// The name of the role in Fabric's protobuf (`MSPRole.MSPRoleType`).
    pub fn proto_name(self) -> &'static str {
        match self {
            Role::Member => "MEMBER",
            Role::Admin => "ADMIN",
            Role::Client => "CLIENT",
            Role::Peer => "PEER",
            Role::Orderer => "ORDERER",
        }
    }
}

/// `'MSPID.role'` in a signature policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub msp_id: String,
    pub role: Role,
    /// Offset of the MSP ID's first character in the policy text.
    pub offset: usize,
}

/// A signature policy's rule: a principal's signature, or `n` of some rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureRule {
    SignedBy(Principal),
    OutOf { n: usize, rules: Vec<SignatureRule> },
}

/// A parsed signature policy; its top is always a gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignaturePolicy {
    pub rule: SignatureRule,
}

impl SignaturePolicy {
    pub fn parse(text: &str) -> Result<SignaturePolicy, PolicyError> {
        let mut parser = Parser {
            chars: text.chars().collect(),
            pos: 0,
        };
        parser.skip_space();
        if parser.at_end() {
            return Err(PolicyError::new(
                0,
                "the signature policy is empty",
                "write a gate over principals, e.g. OR('Org1MSP.member')",
            ));
        }
        if matches!(parser.peek(), Some('\'' | '"')) {
            return Err(PolicyError::new(
                parser.pos,
                "a signature policy starts with a gate, not a principal",
                "wrap the principal in a gate: OR('Org1MSP.peer')",
            ));
        }
        let rule = parser.gate(0)?;
        parser.skip_space();
        if !parser.at_end() {
            return Err(PolicyError::new(
                parser.pos,
                "unexpected text after the policy",
                "the policy is one gate; remove the rest or put it inside the gate",
            ));
        }
        Ok(SignaturePolicy { rule })
    }

    /// Every principal, in the order the text names them.
    pub fn principals(&self) -> Vec<&Principal> {
        fn walk<'a>(rule: &'a SignatureRule, out: &mut Vec<&'a Principal>) {
            match rule {
                SignatureRule::SignedBy(p) => out.push(p),
                SignatureRule::OutOf { rules, .. } => rules.iter().for_each(|r| walk(r, out)),
            }
        }
        let mut out = Vec::new();
        walk(&self.rule, &mut out);
        out
    }
}

/// The rule of an ImplicitMeta policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaRule {
    Any,
    All,
    Majority,
}

impl MetaRule {
    pub fn name(self) -> &'static str {
        match self {
            MetaRule::Any => "ANY",
            MetaRule::All => "ALL",
            MetaRule::Majority => "MAJORITY",
        }
    }
}

/// `MAJORITY Admins`: a rule over the sub-policy of that name in each sub-group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImplicitMetaPolicy {
    pub rule: MetaRule,
    pub sub_policy: String,
}

impl ImplicitMetaPolicy {
    pub fn parse(text: &str) -> Result<ImplicitMetaPolicy, PolicyError> {
        const HELP: &str =
            "write ANY, ALL or MAJORITY, one space and a policy name, e.g. MAJORITY Admins";
        let words: Vec<&str> = text.split(' ').collect();
        if words.len() != 2 {
            // Point at the first space too many, or at the end when one is missing.
            let offset = match text.find("  ") {
                _ if words.len() < 2 => text.chars().count(),
                Some(at) => text[..at].chars().count() + 1,
                None if text.starts_with(' ') => 0,
                None => text.trim_end().chars().count(),
            };
            return Err(PolicyError::new(
                offset,
                "an ImplicitMeta rule is two words separated by exactly one space",
                HELP,
            ));
        }
        let (rule, sub_policy) = (words[0], words[1]);
        let rule = match rule {
            "ANY" => MetaRule::Any,
            "ALL" => MetaRule::All,
            "MAJORITY" => MetaRule::Majority,
            other => {
                return Err(PolicyError::new(
                    0,
                    format!("unknown ImplicitMeta rule `{other}`"),
                    "use ANY, ALL or MAJORITY (upper case), e.g. MAJORITY Admins",
                ))
            }
        };
        let sub_offset = words[0].chars().count() + 1;
        if sub_policy.is_empty() {
            return Err(PolicyError::new(
                sub_offset,
                "the ImplicitMeta rule names no sub-policy",
                HELP,
            ));
        }
        if let Some((at, c)) = sub_policy
            .chars()
            .enumerate()
            .find(|(_, c)| !is_config_name_char(*c))
        {
            return Err(PolicyError::new(
                sub_offset + at,
                format!("`{c}` cannot be part of the policy name `{sub_policy}`"),
                "policy names are ASCII letters, digits, `.` and `-` (Fabric refuses other config keys), e.g. Admins",
            ));
        }
        Ok(ImplicitMetaPolicy {
            rule,
            sub_policy: sub_policy.to_string(),
        })
    }
}

/// A rule of either type, told apart by its first word: a channel-update
/// option takes both (`MAJORITY Admins`, `OR('A.admin')`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyPolicy {
    Signature(SignaturePolicy),
    ImplicitMeta(ImplicitMetaPolicy),
}

impl AnyPolicy {
    pub fn parse(text: &str) -> Result<AnyPolicy, PolicyError> {
        let first = text.split(' ').next().unwrap_or_default();
        let meta = ["ANY", "ALL", "MAJORITY"].contains(&first)
            || (!text.contains('(') && !text.contains('\''));
        if meta {
            ImplicitMetaPolicy::parse(text).map(AnyPolicy::ImplicitMeta)
        } else {
            SignaturePolicy::parse(text).map(AnyPolicy::Signature)
        }
    }
}

/// A character Fabric allows in the name of a config group, value or policy
/// (`[a-zA-Z0-9.-]`, common/configtx/validator.go), and in a principal's MSP
/// ID (`[[:alnum:].-]`, policyparser.go).
pub fn is_config_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

/// Why `name` cannot name a config group or policy, if it cannot: Fabric
/// refuses a channel config with such a key (common/configtx/validator.go).
pub fn config_name_fault(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name == "." || name == ".." {
        return Some(format!("`{name}` is reserved"));
    }
    if name.len() > 249 {
        return Some(format!("has {} characters, more than 249", name.len()));
    }
    name.chars()
        .find(|c| !is_config_name_char(*c))
        .map(|c| format!("contains `{c}`; only ASCII letters, digits, `.` and `-` are allowed"))
}

/// Deeper nesting than any real policy, refused so a hostile text cannot
/// exhaust the stack.
const MAX_DEPTH: usize = 64;

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// `AND(...)`, `OR(...)` or `OutOf(n, ...)`, at the current position.
    fn gate(&mut self, depth: usize) -> Result<SignatureRule, PolicyError> {
        let start = self.pos;
        if depth > MAX_DEPTH {
            return Err(PolicyError::new(
                start,
                format!("gates nested deeper than {MAX_DEPTH} levels"),
                "flatten the policy",
            ));
        }
        let name = self.word();
        if name.is_empty() {
            let found = self
                .peek()
                .map_or("the end".to_string(), |c| format!("`{c}`"));
            return Err(PolicyError::new(
                start,
                format!("AND, OR or OutOf expected, found {found}"),
                "a signature policy is AND(...), OR(...) or OutOf(n, ...) over principals like 'Org1MSP.peer'",
            ));
        }
        let kind = match name.as_str() {
            "AND" | "And" | "and" => Gate::And,
            "OR" | "Or" | "or" => Gate::Or,
            "OUTOF" | "OutOf" | "outof" => Gate::OutOf,
            _ if self.peek() == Some('.') => {
                return Err(PolicyError::new(
                    start,
                    format!("principal `{name}.…` is not quoted"),
                    "quote principals, e.g. 'Org1MSP.peer'",
                ));
            }
            _ => {
                let lower = name.to_lowercase();
                let help = if ["and", "or", "outof"].contains(&lower.as_str()) {
                    "Fabric accepts a gate all upper case, all lower case or as AND, OR, OutOf"
                } else {
                    "the gates are AND, OR and OutOf"
                };
                return Err(PolicyError::new(
                    start,
                    format!("unknown gate `{name}`"),
                    help,
                ));
            }
        };
        self.skip_space();
        if self.peek() != Some('(') {
            return Err(PolicyError::new(
                self.pos,
                format!("`(` expected after {name}"),
                format!("write {name}(...)"),
            ));
        }
        let open = self.pos;
        self.pos += 1;
        self.skip_space();

        let mut n = None;
        if kind == Gate::OutOf {
            let number_at = self.pos;
            while self
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
            {
                self.pos += 1;
            }
            let digits: String = self.chars[number_at..self.pos].iter().collect();
            let count = digits
                .parse::<usize>()
                .ok()
                .filter(|_| digits.chars().all(|c| c.is_ascii_digit()));
            let Some(count) = count else {
                return Err(PolicyError::new(
                    number_at,
                    "OutOf needs the number of signatures first",
                    "write OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')",
                ));
            };
            if count == 0 {
                return Err(PolicyError::new(
                    number_at,
                    "OutOf(0, ...) is satisfied without any signature",
                    "ask for at least 1 signature",
                ));
            }
            n = Some((count, number_at));
            self.skip_space();
            if self.peek() != Some(',') {
                return Err(PolicyError::new(
                    self.pos,
                    "`,` expected after the number of OutOf",
                    "write OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer')",
                ));
            }
            self.pos += 1;
            self.skip_space();
        }

        let mut rules = Vec::new();
        if self.peek() == Some(')') {
            return Err(PolicyError::new(
                self.pos,
                format!("{name}() names no principal"),
                format!("write {name}('Org1MSP.peer', ...)"),
            ));
        }
        loop {
            rules.push(self.argument(depth)?);
            self.skip_space();
            match self.peek() {
                Some(',') => {
                    self.pos += 1;
                    self.skip_space();
                }
                Some(')') => {
                    self.pos += 1;
                    break;
                }
                None => {
                    return Err(PolicyError::new(
                        open,
                        format!("the `(` of {name} is never closed"),
                        "add the missing `)`",
                    ))
                }
                Some(c) => {
                    return Err(PolicyError::new(
                        self.pos,
                        format!("`,` or `)` expected, found `{c}`"),
                        "separate the principals and gates of a gate with `,`",
                    ))
                }
            }
        }
        let n = match (kind, n) {
            (Gate::And, _) => rules.len(),
            (Gate::Or, _) => 1,
            (Gate::OutOf, Some((count, at))) => {
                if count > rules.len() {
                    return Err(PolicyError::new(
                        at,
                        format!(
                            "OutOf({count}, ...) asks for {count} signatures of {} principal{}, so it is never satisfied",
                            rules.len(),
                            if rules.len() == 1 { "" } else { "s" }
                        ),
                        format!("lower the number to at most {}", rules.len()),
                    ));
                }
                count
            }
            (Gate::OutOf, None) => unreachable!("OutOf reads its number first"),
        };
        Ok(SignatureRule::OutOf { n, rules })
    }

    /// A quoted principal or a nested gate.
    fn argument(&mut self, depth: usize) -> Result<SignatureRule, PolicyError> {
        match self.peek() {
            Some(quote @ ('\'' | '"')) => self.principal(quote),
            Some(c) if c.is_ascii_alphabetic() => self.gate(depth + 1),
            found => Err(PolicyError::new(
                self.pos,
                match found {
                    Some(c) => format!("a principal or a gate expected, found `{c}`"),
                    None => "a principal or a gate expected, found the end".to_string(),
                },
                "principals are quoted, e.g. 'Org1MSP.peer'; gates are AND(...), OR(...), OutOf(n, ...)",
            )),
        }
    }

    fn principal(&mut self, quote: char) -> Result<SignatureRule, PolicyError> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        while self.peek().is_some_and(|c| c != quote) {
            self.pos += 1;
        }
        if self.at_end() {
            return Err(PolicyError::new(
                open,
                "this quote is never closed",
                format!("end the principal with {quote}"),
            ));
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        self.pos += 1;
        let Some((msp_id, role)) = text.rsplit_once('.') else {
            return Err(PolicyError::new(
                start,
                format!("principal `{text}` is not 'MSPID.role'"),
                "write the MSP ID, a dot and a role, e.g. 'Org1MSP.peer'",
            ));
        };
        let role_at = start + msp_id.chars().count() + 1;
        let Some(role) = Role::from_name(role) else {
            let help = if Role::from_name(&role.to_lowercase()).is_some() {
                "roles are lower case: member, admin, client, peer or orderer"
            } else {
                "use member, admin, client, peer or orderer"
            };
            return Err(PolicyError::new(
                role_at,
                format!("unknown role `{role}` in principal `{text}`"),
                help,
            ));
        };
        if msp_id.is_empty() {
            return Err(PolicyError::new(
                start,
                format!("principal `{text}` names no MSP ID"),
                "write the MSP ID before the dot, e.g. 'Org1MSP.peer'",
            ));
        }
        if let Some((at, c)) = msp_id
            .chars()
            .enumerate()
            .find(|(_, c)| !is_config_name_char(*c))
        {
            return Err(PolicyError::new(
                start + at,
                format!("`{c}` cannot be part of the MSP ID `{msp_id}` in a principal"),
                "Fabric's policy language takes MSP IDs of ASCII letters, digits, `.` and `-` only",
            ));
        }
        Ok(SignatureRule::SignedBy(Principal {
            msp_id: msp_id.to_string(),
            role,
            offset: start,
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    And,
    Or,
    OutOf,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> PolicyError {
        SignaturePolicy::parse(text).expect_err(text)
    }

    fn ids(policy: &SignaturePolicy) -> Vec<String> {
        policy
            .principals()
            .iter()
            .map(|p| format!("{}.{}", p.msp_id, p.role.proto_name()))
            .collect()
    }

    #[test]
    fn gates_principals_and_whitespace() {
        let p = SignaturePolicy::parse(" OR ( 'A.peer' ,\n\t\"B-2.x.admin\" ) ").unwrap();
        assert_eq!(ids(&p), ["A.PEER", "B-2.x.ADMIN"]);
        let SignatureRule::OutOf { n, rules } = &p.rule else {
            panic!()
        };
        assert_eq!((*n, rules.len()), (1, 2));
        assert_eq!(p.principals()[0].offset, 7);
        for text in [
            "and('A.member')",
            "And('A.member')",
            "AND('A.member')",
            "outof(1,'A.member')",
            "OUTOF(1,'A.member')",
        ] {
            assert!(SignaturePolicy::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn nested_out_of() {
        let p = SignaturePolicy::parse(
            "OutOf(2, 'A.peer', AND('B.peer', OutOf(1, 'C.client', 'D.orderer')), 'E.member')",
        )
        .unwrap();
        assert_eq!(
            ids(&p),
            ["A.PEER", "B.PEER", "C.CLIENT", "D.ORDERER", "E.MEMBER"]
        );
        let SignatureRule::OutOf { n, rules } = &p.rule else {
            panic!()
        };
        assert_eq!(*n, 2);
        assert!(matches!(&rules[1], SignatureRule::OutOf { n: 2, rules } if rules.len() == 2));
    }

    #[test]
    fn points_at_the_faulty_character() {
        // The brief's cases: an unclosed gate, a dangling comma, a bad role.
        let e = err("OR('HarborMSP.admin'");
        assert_eq!(e.offset, 2);
        assert!(e.message.contains("never closed"), "{e}");
        let e = err("AND('HarborMSP.peer',");
        assert_eq!(e.offset, 21);
        assert!(e.message.contains("found the end"), "{e}");
        let e = err("OR('QuarryMSP.pear')");
        assert_eq!(e.offset, 14);
        assert!(e.message.contains("unknown role `pear`"), "{e}");
        let e = err("OR('A.Admin')");
        assert!(e.help.contains("lower case"), "{e}");
    }

    #[test]
    fn refuses_what_fabric_refuses() {
        for (text, offset) in [
            ("", 0),
            ("   ", 0),
            ("'A.peer'", 0),
            ("OR()", 3),
            ("oR('A.peer')", 0),
            ("ANY('A.peer')", 0),
            ("OR 'A.peer'", 3),
            ("OR('A.peer' 'B.peer')", 12),
            ("OR('A.peer'))", 12),
            ("OR('A.peer') AND('B.peer')", 13),
            ("OR(A.peer)", 3),
            ("OR('A.peer)", 3),
            ("OR('Apeer')", 4),
            ("OR('.peer')", 4),
            ("OR('My_MSP.peer')", 6),
            ("OutOf('A.peer')", 6),
            ("OutOf(1 'A.peer')", 8),
            ("OutOf(-1, 'A.peer')", 6),
            ("OutOf(1.5, 'A.peer')", 6),
        ] {
            assert_eq!(err(text).offset, offset, "{text}: {}", err(text));
        }
    }

    #[test]
    fn refuses_out_of_that_never_or_always_holds() {
        let e = err("OutOf(3, 'A.peer', 'B.peer')");
        assert_eq!(e.offset, 6);
        assert!(e.message.contains("never satisfied"), "{e}");
        let e = err("OutOf(0, 'A.peer')");
        assert!(e.message.contains("without any signature"), "{e}");
        assert!(SignaturePolicy::parse("OutOf(2, 'A.peer', 'B.peer')").is_ok());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}'A.peer'{}", "OR(".repeat(100), ")".repeat(100));
        assert!(err(&deep).message.contains("nested deeper"));
        let fine = format!("{}'A.peer'{}", "OR(".repeat(10), ")".repeat(10));
        assert!(SignaturePolicy::parse(&fine).is_ok());
    }

    #[test]
    fn implicit_meta_rules() {
        let p = ImplicitMetaPolicy::parse("MAJORITY Admins").unwrap();
        assert_eq!(
            (p.rule, p.sub_policy.as_str()),
            (MetaRule::Majority, "Admins")
        );
        for (text, offset) in [
            ("SOME Admins", 0),
            ("any Admins", 0),
            ("ANY", 3),
            ("ANY  Admins", 4),
            (" ANY Admins", 0),
            ("ANY Admins ", 10),
            ("ANY Ad_mins", 6),
            ("ANY ", 4),
        ] {
            let e = ImplicitMetaPolicy::parse(text).expect_err(text);
            assert_eq!(e.offset, offset, "{text}: {e}");
        }
    }

    #[test]
    fn either_type_by_its_first_word() {
        assert!(matches!(
            AnyPolicy::parse("ANY Readers"),
            Ok(AnyPolicy::ImplicitMeta(_))
        ));
        assert!(matches!(
            AnyPolicy::parse("OR('A.peer')"),
            Ok(AnyPolicy::Signature(_))
        ));
        let e = AnyPolicy::parse("MOST Admins").unwrap_err();
        assert!(e.message.contains("unknown ImplicitMeta rule"), "{e}");
    }

    #[test]
    fn config_names() {
        assert_eq!(config_name_fault("Org1MSP.x-y"), None);
        assert!(config_name_fault("My_MSP").is_some());
        assert!(config_name_fault("..").is_some());
        assert!(config_name_fault("").is_some());
    }
}
