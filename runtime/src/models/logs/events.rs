//! What a LogClusterer publishes: a line's template (only when asked for, one record per line), a template that
//! appeared or changed (created, generalised, merged, evicted), and a group of templates whose members changed after
//! a grouping run. Each is one JSON record on the output topic (`docs/results.md`), keyed by template or group id.

use serde::Serialize;

/// A LogClusterer result.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum LogEvent {
    /// The template a line belongs to when it arrived.
    #[serde(rename_all = "camelCase")]
    Line {
        /// Line number (files) or offset in the partition (Kafka).
        line: i64,
        /// Template id at arrival (follow `merged` and `generalised` events for the current one).
        template: String,
    },
    /// A template appeared, generalised, merged into another, or was evicted by the bound.
    #[serde(rename_all = "camelCase")]
    Template {
        /// What happened.
        change: TemplateChange,
        /// The template's id now (the surviving one for `merged`, the new one for `generalised`).
        id: String,
        /// The id it had before (`generalised`, `merged`).
        #[serde(skip_serializing_if = "Option::is_none")]
        previous: Option<String>,
        /// The template text, with `<*>` for variable words (absent for `evicted`).
        #[serde(skip_serializing_if = "Option::is_none")]
        template: Option<String>,
        /// Lines matched so far.
        count: u64,
        /// A line that matched it (for `created`).
        #[serde(skip_serializing_if = "Option::is_none")]
        sample: Option<String>,
        /// The line that caused the change.
        line: i64,
    },
    /// A group of similar templates (TF-IDF + hierarchical clustering) whose members changed.
    #[serde(rename_all = "camelCase")]
    Group {
        /// The group's id: the id of its most frequent template.
        group: String,
        /// That template's text.
        template: String,
        /// Member template ids, most frequent first.
        templates: Vec<String>,
        /// Lines matched by all members.
        count: u64,
    },
}

/// What happened to a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TemplateChange {
    /// A new template.
    Created,
    /// A template gained a variable position and got a new id.
    Generalised,
    /// A template merged into another.
    Merged,
    /// A template was evicted by `maxTemplates`.
    Evicted,
}

impl LogEvent {
    /// The record key: the template or group id.
    pub fn key(&self) -> &str {
        match self {
            Self::Line { template, .. } => template,
            Self::Template { id, .. } => id,
            Self::Group { group, .. } => group,
        }
    }
}

/// A template id as published: 16 hex digits.
pub fn template_id(id: u64) -> String {
    format!("{id:016x}")
}
