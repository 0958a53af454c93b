//! The report: check outcomes merged into one document (`model`), the gate that decides the exit
//! code, and the renderers (`text`, `json`). Renderers see plain data only.

mod model;
mod text;

pub use model::{Gate, Report, SCHEMA};
pub use text::render_text;

/// Renders the report as pretty JSON (schema `plumbline-report/1`, docs/report.schema.json).
pub fn render_json(report: &Report) -> String {
    // Serialising plain data with string keys cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")) + "\n"
}
