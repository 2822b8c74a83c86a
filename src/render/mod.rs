//! Render: the model (and what generate made) as files. Two renderers: the
//! Helm chart (`chart`, written by compile) and the Argo workflows
//! (`workflow`, printed by `fabchart flow`). Both embed their templates from
//! `chart-templates/` and `workflow-templates/` (`templates`).

pub mod chart;
pub mod templates;
pub mod workflow;

/// The schemas of what fabchart emits for templates and scripts to read,
/// by the file name they are committed under in schemas/.
pub fn schemas() -> Vec<(&'static str, schemars::Schema)> {
    vec![
        ("topology.schema.json", chart::topology_schema()),
        ("org-table.schema.json", workflow::org_table_schema()),
    ]
}

/// A schema as committed: pretty JSON, a final newline.
pub fn schema_text(schema: &schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema serializes");
    text.push('\n');
    text
}
