//! One golden per distinct output. A project whose outputs are another
//! project's, byte for byte once its name is read as the other's, stores no
//! snapshots of its own: its outputs are checked against the other's, which
//! are checked against their snapshots.

use super::root;

/// Projects whose every output is another project's once renamed: (project,
/// the project it equals). simple-persistent is simple with its ledgers on
/// persistent volumes, which is its values.yaml: neither the chart nor the
/// workflows carry it.
pub const SAME_OUTPUT: &[(&str, &str)] = &[("simple-persistent", "simple")];

/// An output pinned by snapshot `snapshot` of golden/, whose name holds its
/// project's name.
pub struct Output {
    pub project: String,
    pub snapshot: String,
    pub text: String,
}

/// The project `project` is checked against, if it is in [`SAME_OUTPUT`].
pub fn same_as(project: &str) -> Option<&'static str> {
    SAME_OUTPUT
        .iter()
        .find(|(alias, _)| *alias == project)
        .map(|(_, same)| *same)
}

/// The name of `output`'s snapshot once its project is `project`.
fn renamed(output: &Output, project: &str) -> String {
    output.snapshot.replace(&output.project, project)
}

/// Whether `output` reads as `other` once its project is `other`'s.
fn reads_as(output: &Output, other: &Output) -> bool {
    renamed(output, &other.project) == other.snapshot
        && output.text.replace(&output.project, &other.project) == other.text
}

/// Checks `outputs`: the output of a project in [`SAME_OUTPUT`] must equal
/// the other project's; every other output must differ from every other
/// project's (else it is declared there, not stored twice), and matches its
/// snapshot in golden/.
pub fn check(outputs: &[Output], settings: &insta::Settings) {
    let find = |project: &str, snapshot: &str| {
        outputs
            .iter()
            .find(|o| o.project == project && o.snapshot == snapshot)
    };
    for (alias, same) in SAME_OUTPUT {
        assert!(
            outputs.iter().any(|o| o.project == *alias),
            "SAME_OUTPUT names {alias}, which has no outputs here"
        );
        for output in outputs.iter().filter(|o| o.project == *alias) {
            let snapshot = renamed(output, same);
            let theirs = find(same, &snapshot)
                .unwrap_or_else(|| panic!("{same} has no output {snapshot}, which {alias} equals"));
            assert!(
                reads_as(output, theirs),
                "{} is no longer {snapshot} with `{alias}` read as `{same}`: remove \
                 (\"{alias}\", \"{same}\") from SAME_OUTPUT (tests/support/goldens.rs) and review \
                 {alias}'s own snapshots (make golden)",
                output.snapshot
            );
        }
    }
    let stored: Vec<&Output> = outputs
        .iter()
        .filter(|o| same_as(&o.project).is_none())
        .collect();
    for output in &stored {
        for other in &stored {
            // The one to declare: the later name.
            let (alias, kept) = match output.project > other.project {
                true => (&output.project, &other.project),
                false => (&other.project, &output.project),
            };
            assert!(
                other.project == output.project || !reads_as(output, other),
                "{} is {} with `{}` read as `{}`: add (\"{alias}\", \"{kept}\") to SAME_OUTPUT \
                 (tests/support/goldens.rs) rather than store both",
                output.snapshot,
                other.snapshot,
                output.project,
                other.project,
            );
        }
    }
    for output in stored {
        settings.bind(|| insta::assert_snapshot!(output.snapshot.clone(), output.text));
    }
}

/// The snapshots in golden/ named `<prefix>...` that are not in `read`
/// (snapshot names), sorted.
pub fn unread(prefix: &str, read: &[String]) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join("golden"))
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let file = entry.file_name().to_string_lossy().to_string();
            let stem = file.strip_suffix(".snap")?.to_string();
            (stem.starts_with(prefix) && !read.contains(&stem)).then_some(file)
        })
        .collect();
    out.sort();
    out
}
