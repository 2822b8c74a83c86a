//! The option lists of `fabchart flow --help`, `fabchart flow <flow> --help`
//! and README.md, made from the flows' schemas.

use anyhow::{bail, Context};

use super::schema::{self, OptionKey};
use crate::render::workflow::Flow;

/// The option list for `fabchart flow --help` (every option, with the flows
/// it applies to) or `fabchart flow <flow> --help` (that flow's options).
pub fn help(flow: Option<Flow>) -> String {
    let mut out = String::from("Options (--set key=value, -f values.yaml):\n");
    let listed: Vec<&OptionKey> = match flow {
        Some(flow) => schema::keys(flow).iter().collect(),
        None => schema::all_keys().into_iter().map(|(o, _)| o).collect(),
    };
    let width = listed.iter().map(|o| o.key.len()).max().unwrap_or_default();
    let line = |option: &OptionKey| {
        // An empty default is said by the help text itself ("default: all").
        let default = match &option.default {
            Some(value) => format!(" [default: {value}]"),
            None => String::new(),
        };
        format!("  {:<width$} {}{default}", option.key, option.help)
    };
    match flow {
        Some(flow) => {
            for option in schema::keys(flow) {
                out.push_str(&format!("{}\n", line(option)));
            }
        }
        None => {
            for (option, flows) in schema::all_keys() {
                out.push_str(&format!("{} ({})\n", line(option), flows_text(&flows)));
            }
        }
    }
    out
}

fn flows_text(flows: &[Flow]) -> String {
    if flows.len() == Flow::ALL.len() {
        return "all".into();
    }
    flows.iter().map(|f| f.name()).collect::<Vec<_>>().join(" ")
}

const BEGIN: &str = "<!-- options: ";
const END: &str = "<!-- /options -->";

/// The Markdown table of the options of `flows`, with a column of the flows
/// each applies to when there are several.
pub fn table(flows: &[Flow]) -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let several = flows.len() > 1;
    let mut out = String::new();
    if several {
        out.push_str("| option | flows | default | meaning |\n|---|---|---|---|\n");
    } else {
        out.push_str("| option | default | meaning |\n|---|---|---|\n");
    }
    for (option, applies) in schema::all_keys() {
        let applies: Vec<Flow> = applies.into_iter().filter(|f| flows.contains(f)).collect();
        if applies.is_empty() {
            continue;
        }
        let default = option
            .default
            .as_deref()
            .map(|d| format!("`{}`", cell(d)))
            .unwrap_or_default();
        let which = if applies.len() == flows.len() {
            if flows.len() == 2 { "both" } else { "all" }.to_string()
        } else {
            applies
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut cells = vec![format!("`{}`", option.key)];
        if several {
            cells.push(which);
        }
        cells.extend([default, cell(&option.help)]);
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// `readme` with the text between each `<!-- options: <flow>... -->` and
/// `<!-- /options -->` made anew.
pub fn update_readme(readme: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut lines = readme.split_inclusive('\n');
    while let Some(line) = lines.next() {
        out.push_str(line);
        let Some(names) = line.trim_end().strip_prefix(BEGIN) else {
            continue;
        };
        let names = names
            .strip_suffix("-->")
            .with_context(|| format!("README.md: `{}` does not end in -->", line.trim_end()))?;
        let mut flows = Vec::new();
        for name in names.split_whitespace() {
            let flow = Flow::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .with_context(|| {
                    format!("README.md: `{name}` in `{}` is no flow", line.trim_end())
                })?;
            flows.push(flow);
        }
        out.push_str(&table(&flows));
        match lines.by_ref().find(|l| l.trim_end() == END) {
            Some(end) => out.push_str(end),
            None => bail!("README.md: `{}` has no {END} after it", line.trim_end()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_option_lists_are_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let current = update_readme(&readme).unwrap();
        assert!(
            current == readme,
            "README.md's option lists differ from the option structs: run `make docs` \
             (cargo run --example readme_options) and commit README.md"
        );
        assert!(readme.contains(BEGIN), "README.md lists the options");
    }

    #[test]
    fn tables_replace_what_is_between_the_markers() {
        let text = "a\n<!-- options: restore -->\nstale\n<!-- /options -->\nb\n";
        let updated = update_readme(text).unwrap();
        assert!(updated.starts_with("a\n<!-- options: restore -->\n| option | default | meaning |"));
        assert!(
            updated.contains("| `restore.force` | `false` | replace volumes"),
            "{updated}"
        );
        assert!(updated.ends_with("<!-- /options -->\nb\n"));
        assert!(!updated.contains("stale"));
        assert!(update_readme("<!-- options: nope -->\n<!-- /options -->\n").is_err());
        assert!(update_readme("<!-- options: channel -->\n").is_err());
    }

    #[test]
    fn help_lists_defaults_but_not_empty_ones() {
        let channel = help(Some(Flow::Channel));
        assert!(channel.contains("flow.channel.parallel"), "{channel}");
        assert!(channel.contains("[default: true]"), "{channel}");
        assert!(!channel.contains("[default: ]"), "{channel}");
        assert!(!channel.contains("backup.key"), "{channel}");
        let all = help(None);
        assert!(all.contains("(backup restore)"), "{all}");
        // A key is listed with the flows that have it: rollout has no retries.
        let retry = all
            .lines()
            .find(|l| l.trim_start().starts_with("retryCount"))
            .expect("retryCount is listed");
        assert!(
            retry.contains("channel") && !retry.contains("rollout"),
            "{retry}"
        );
    }
}
