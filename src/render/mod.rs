//! Render: the model (and what generate made) as files. Two renderers: the
//! Helm chart (`chart`, written by compile) and the Argo workflows
//! (`workflow`, printed by `fabchart flow`). Both embed their templates from
//! `chart-templates/` and `workflow-templates/` (`templates`).

pub mod chart;
pub mod templates;
pub mod workflow;
