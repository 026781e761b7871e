//! LogClusterer: streaming log template mining, with TF-IDF + hierarchical grouping of the templates.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Duration, LogSource, Output, RuntimeSettings, RuntimeStatus, compare_durations, name_rule, rule};

/// Mines log templates from a stream of log lines in one pass, masks variable parts, and groups similar templates.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "augur.dev",
    version = "v1alpha1",
    kind = "LogClusterer",
    namespaced,
    status = "LogClustererStatus",
    derive = "PartialEq",
    shortname = "lc",
    category = "augur",
    doc = "Streaming log template mining and clustering.",
    validation = name_rule(),
    printcolumn(name = "Ready", type_ = "string", json_path = r#".status.conditions[?(@.type=="Ready")].status"#),
    printcolumn(name = "Templates", type_ = "integer", json_path = ".status.templates"),
    printcolumn(name = "Groups", type_ = "integer", json_path = ".status.groups"),
    printcolumn(name = "Lines/s", type_ = "number", json_path = ".status.recordsPerSecond"),
    printcolumn(name = "Lag", type_ = "integer", json_path = ".status.lagRecords", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rule(
    "!self.emitAssignments || has(self.output.kafka)",
    "emitAssignments needs output.kafka: per-line assignments are published to that topic",
))]
pub struct LogClustererSpec {
    /// Where the log lines come from.
    pub source: LogSource,
    /// How lines are tokenised, masked and matched to templates.
    #[serde(default)]
    pub parsing: Parsing,
    /// How templates are grouped into higher-level clusters.
    #[serde(default)]
    pub grouping: Grouping,
    /// Where template events go, besides the status summary. Per-template counts and rates are metrics.
    #[serde(default)]
    pub output: Output,
    /// Also publish every line's template id on `output.kafka` (high volume).
    #[serde(default)]
    pub emit_assignments: bool,
    /// Runtime pods, resources, limits and checkpointing.
    #[serde(flatten)]
    pub runtime: RuntimeSettings,
}

/// Template mining settings.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Parsing {
    /// Which variable parts of a line are replaced by placeholders before matching.
    #[serde(default)]
    pub masking: Masking,
    /// Characters that separate tokens, in addition to whitespace.
    #[serde(default = "default_delimiters")]
    #[schemars(length(max = 32))]
    pub delimiters: String,
    /// Share of tokens a line must have in common with a template to join it (0..1]. Lower merges more.
    #[serde(default = "default_similarity")]
    #[schemars(range(min = 0.0, max = 1.0), extend("exclusiveMinimum" = true))]
    pub similarity_threshold: f64,
    /// Depth of the prefix tree that narrows the candidate templates for a line.
    #[serde(default = "default_depth")]
    #[schemars(range(min = 3, max = 16))]
    pub depth: i32,
    /// Most templates kept. Past it the least recently matched template is evicted (its id is reported in an
    /// update event), so memory stays bounded.
    #[serde(default = "default_max_templates")]
    #[schemars(range(min = 1, max = 1_000_000))]
    pub max_templates: i32,
}

impl Default for Parsing {
    fn default() -> Self {
        Self {
            masking: Masking::default(),
            delimiters: default_delimiters(),
            similarity_threshold: default_similarity(),
            depth: default_depth(),
            max_templates: default_max_templates(),
        }
    }
}

fn default_delimiters() -> String {
    "=:,;()[]{}<>|\"'".to_owned()
}

fn default_similarity() -> f64 {
    0.5
}

fn default_depth() -> i32 {
    4
}

fn default_max_templates() -> i32 {
    10_000
}

/// Masking of variable tokens.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Masking {
    /// Apply the built-in masks: IP addresses, numbers, hex, UUIDs, paths, URLs, timestamps, sizes and durations.
    #[serde(default = "enabled")]
    pub builtin: bool,
    /// Extra masks, applied before the built-in ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32), extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub rules: Vec<MaskRule>,
}

impl Default for Masking {
    fn default() -> Self {
        Self { builtin: true, rules: Vec::new() }
    }
}

fn enabled() -> bool {
    true
}

/// A user masking rule: text matching `pattern` becomes `<name>`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MaskRule {
    /// Name of the mask, used as the placeholder `<name>`.
    #[schemars(length(min = 1, max = 63))]
    #[x_kube(validation = rule(
        "self.matches('^[A-Za-z][A-Za-z0-9_]*$')",
        "a mask name starts with a letter and uses only letters, digits and '_'",
    ))]
    pub name: String,
    /// Regular expression (RE2 syntax, no look-around) for the text to mask.
    #[schemars(length(min = 1, max = 1024))]
    pub pattern: String,
}

/// Hierarchical grouping of templates.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Grouping {
    /// Group templates at all.
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// How template text becomes vectors: `TfIdf` (CountVectorizer weighted by inverse document frequency) or
    /// `Count`.
    #[serde(default)]
    pub vectorizer: Vectorizer,
    /// How the distance between two groups is measured when merging.
    #[serde(default)]
    pub linkage: Linkage,
    /// Groups closer than this cosine distance (0..1] are merged. Lower makes more, tighter groups.
    #[serde(default = "default_distance")]
    #[schemars(range(min = 0.0, max = 1.0), extend("exclusiveMinimum" = true))]
    pub distance_threshold: f64,
    /// How often grouping is re-run over the current templates.
    #[serde(default = "default_interval")]
    #[x_kube(validation = compare_durations("self", ">=", "'1s'", "grouping.interval must be at least 1s"))]
    pub interval: Duration,
}

impl Default for Grouping {
    fn default() -> Self {
        Self {
            enabled: true,
            vectorizer: Vectorizer::default(),
            linkage: Linkage::default(),
            distance_threshold: default_distance(),
            interval: default_interval(),
        }
    }
}

fn default_distance() -> f64 {
    0.5
}

fn default_interval() -> Duration {
    Duration::from_secs(60)
}

/// Template vectorisation.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Vectorizer {
    /// Token counts weighted by inverse document frequency.
    #[default]
    TfIdf,
    /// Raw token counts.
    Count,
}

/// Agglomerative clustering linkage.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Linkage {
    /// Mean distance between members.
    #[default]
    Average,
    /// Largest distance between members.
    Complete,
    /// Smallest distance between members.
    Single,
}

/// Observed state of a LogClusterer.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogClustererStatus {
    /// Runtime health and live figures.
    #[serde(flatten)]
    pub runtime: RuntimeStatus,
    /// Templates currently known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<i64>,
    /// Template groups after the last grouping run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<i64>,
    /// Log lines per second over all runtime pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines_per_second: Option<f64>,
    /// The most frequent templates (a few per runtime pod); a template mined by several pods shows the counts of
    /// the pod that published it last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256), extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["id"]))]
    pub top_templates: Vec<TemplateSummary>,
}

/// One template and how often it matched.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSummary {
    /// Stable id, derived from the template text.
    #[schemars(length(max = 64))]
    pub id: String,
    /// The runtime pod that published it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub pod: Option<String>,
    /// The template, with placeholders such as `<num>`.
    #[schemars(length(max = 4096))]
    pub template: String,
    /// Lines matched since the runtime started.
    pub count: i64,
    /// The group (id of its leading template) after the last grouping run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub group: Option<String>,
}
