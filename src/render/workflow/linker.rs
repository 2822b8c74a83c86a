//! The step scripts' linker: a step script (`workflow-templates/scripts/`)
//! with the libraries it sources inlined, cut down to the functions and
//! variables it reaches, so each step carries only what it runs.

use std::collections::HashSet;

use anyhow::{bail, Context};

use crate::render::templates::WORKFLOW_TEMPLATES;

/// A step script with every library it sources the same way (`lib.sh`,
/// `update-lib.sh`, `backup-lib.sh`: `. "$(dirname "$0")/<lib>.sh"`) in place
/// of the line that sources it, cut down to the library functions the step
/// calls (directly or through another function) and the library's top-level
/// assignments. A script must source at least one library.
pub fn script(name: &str) -> anyhow::Result<String> {
    let text = script_text(name)?;
    let mut libs = Vec::new();
    let mut own = String::new();
    for line in text.lines() {
        match sourced_lib(line) {
            Some(lib) => libs.push((lib, lib_pieces(script_text(lib)?))),
            None => {
                own.push_str(line);
                own.push('\n');
            }
        }
    }
    if libs.is_empty() {
        bail!("scripts/{name}.sh sources no library (lib.sh or another)");
    }
    let pieces: Vec<&LibPiece> = libs.iter().flat_map(|(_, p)| p).collect();
    let used = names_used(&own, &pieces);
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("# shellcheck source=") {
            continue;
        }
        match sourced_lib(line) {
            Some(lib) => {
                let (_, lib_pieces) = libs.iter().find(|(l, _)| *l == lib).expect("parsed above");
                let kept = lib_pieces
                    .iter()
                    .filter(|piece| piece.name.is_none_or(|n| used.contains(n)));
                for (i, piece) in kept.enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str(&piece.text);
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// `lib` of a line `. "$(dirname "$0")/lib.sh"`.
fn sourced_lib(line: &str) -> Option<&str> {
    line.strip_prefix(". \"$(dirname \"$0\")/")
        .and_then(|rest| rest.strip_suffix(".sh\""))
}

/// A top-level piece of a shell library, with the comment right above it: a
/// function definition or a variable assignment (kept when a step names it),
/// or any other statement (always kept).
#[derive(Debug, PartialEq)]
struct LibPiece<'a> {
    name: Option<&'a str>,
    text: String,
}

/// Splits a library into its pieces. A function starts with `name() {` or
/// `name() (` at the start of a line and ends on the same line or at the
/// first line that is only `}` or `)`. Comments separated by a blank line
/// from what follows (file headers, section titles) and `# shellcheck`
/// directives are left out.
fn lib_pieces(text: &str) -> Vec<LibPiece<'_>> {
    let mut pieces = Vec::new();
    let mut comment = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() {
            comment.clear();
            continue;
        }
        if line.starts_with('#') {
            if !line.starts_with("# shellcheck") {
                comment.push_str(line);
                comment.push('\n');
            }
            continue;
        }
        let mut text = std::mem::take(&mut comment);
        text.push_str(line);
        text.push('\n');
        let function = function_header(line);
        let assigned = line
            .split_once('=')
            .map(|(name, _)| name)
            .filter(|name| is_shell_name(name));
        if let Some((_, close)) = function {
            if !line.trim_end().ends_with(close) {
                for body in lines.by_ref() {
                    text.push_str(body);
                    text.push('\n');
                    if body.len() == 1 && body.starts_with(close) {
                        break;
                    }
                }
            }
        }
        pieces.push(LibPiece {
            name: function.map(|(name, _)| name).or(assigned),
            text,
        });
    }
    pieces
}

/// `(name, closing char)` of a line opening a function definition.
fn function_header(line: &str) -> Option<(&str, char)> {
    let (name, rest) = line.split_once("() ")?;
    let valid = is_shell_name(name);
    match rest.chars().next()? {
        '{' if valid => Some((name, '}')),
        '(' if valid => Some((name, ')')),
        _ => None,
    }
}

fn is_shell_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The library functions and variables `own` (a step's own text) names, and
/// those they name in turn. A name counts wherever it stands as a whole word,
/// comments included: keeping a piece too many is harmless, one too few is
/// not.
fn names_used<'a>(own: &str, pieces: &[&LibPiece<'a>]) -> HashSet<&'a str> {
    fn words(text: &str) -> HashSet<&str> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect()
    }
    let mut used = HashSet::new();
    let mut todo = vec![own];
    for piece in pieces.iter().filter(|p| p.name.is_none()) {
        todo.push(&piece.text);
    }
    while let Some(text) = todo.pop() {
        let named = words(text);
        for piece in pieces {
            if let Some(name) = piece.name {
                if named.contains(name) && used.insert(name) {
                    todo.push(&piece.text);
                }
            }
        }
    }
    used
}

/// [`script`], checking that the step sources library `scripts/<lib>.sh`.
pub fn script_with_lib(name: &str, lib: &str) -> anyhow::Result<String> {
    let source_line = format!(". \"$(dirname \"$0\")/{lib}.sh\"");
    if !script_text(name)?.lines().any(|l| l == source_line) {
        bail!("scripts/{name}.sh does not source {lib}.sh");
    }
    script(name)
}

/// Step script `scripts/<name>.sh` as it is.
pub fn script_text(name: &str) -> anyhow::Result<&'static str> {
    let path = format!("scripts/{name}.sh");
    WORKFLOW_TEMPLATES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, t)| *t)
        .with_context(|| format!("workflow template {path} is not embedded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &str = r#"# shellcheck shell=bash
# File header, not kept.

log() { printf '%s\n' "$*" >&2; }
STAGE=.x
set -u

# Says a.
a() {
  log a
}

# ---- section ----

b() (
  cd /tmp
)

c() {
  b "$STAGE"
}
"#;

    #[test]
    fn libraries_split_into_functions_with_their_comments() {
        let pieces = lib_pieces(LIB);
        let names: Vec<_> = pieces.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                Some("log"),
                Some("STAGE"),
                None,
                Some("a"),
                Some("b"),
                Some("c")
            ]
        );
        assert_eq!(pieces[3].text, "# Says a.\na() {\n  log a\n}\n");
        assert_eq!(pieces[4].text, "b() (\n  cd /tmp\n)\n");
    }

    #[test]
    fn steps_keep_the_functions_they_reach() {
        let pieces = lib_pieces(LIB);
        let refs: Vec<&LibPiece> = pieces.iter().collect();
        let used = |own: &str| {
            let mut v: Vec<_> = names_used(own, &refs).into_iter().collect();
            v.sort();
            v
        };
        assert_eq!(used("a\n"), ["a", "log"]);
        assert_eq!(used("x=$(c)\n"), ["STAGE", "b", "c"]);
        assert_eq!(used("echo cab\n"), Vec::<&str>::new());
    }

    #[test]
    fn every_step_is_cut_from_its_libraries() {
        let text = script("chaincode-org").unwrap();
        assert!(text.contains("\nload_org_admin() {"));
        assert!(!text.contains("legacy_deploy_action() {"));
        assert!(!text.contains("dirname \"$0\""));
    }
}
