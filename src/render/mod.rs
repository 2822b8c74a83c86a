//! Render: the chart and the workflows, from the model and what generate made.

pub mod chart;
pub mod secrets;
pub mod templates;
