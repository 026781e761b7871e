//! Streaming log template mining: masking by character class, a one-pass miner whose templates generalise as
//! variants arrive, ids derived from template content, and TF-IDF + hierarchical grouping of the templates.

mod grouping;
mod header;
mod masks;
mod metrics;
mod miner;
mod processor;
#[cfg(test)]
mod tests;

pub use grouping::{GroupingSettings, Linkage, TemplateText, Vectorizer, group};
pub use header::{HeaderLearner, content};
pub use masks::{is_named_value, is_variable_piece, is_variable_word};
pub use metrics::{EXPORTED_TEMPLATES, LogMetrics};
pub use miner::{Miner, MinerSettings, TemplateEvent, WILDCARD};
pub use processor::{Assignment, LogProcessor};

impl From<&augur_crds::runtime_config::LogConfig> for MinerSettings {
    fn from(config: &augur_crds::runtime_config::LogConfig) -> Self {
        Self {
            delimiters: config.delimiters.clone(),
            similarity: config.similarity_threshold,
            max_templates: config.max_templates as usize,
            ..Self::default()
        }
    }
}
