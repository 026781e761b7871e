//! Streaming log template mining: masking by character class, a one-pass miner whose templates generalise as
//! variants arrive, ids derived from template content, and TF-IDF + hierarchical grouping of the templates.

mod events;
mod grouping;
mod header;
mod masks;
mod metrics;
mod miner;
mod processor;
#[cfg(test)]
mod tests;

use augur_crds::runtime_config::LogConfig;
pub use events::{LogEvent, TemplateChange, template_id};
pub use grouping::{GroupingSettings, Linkage, TemplateText, Vectorizer, group};
pub use header::{HeaderLearner, content};
pub use masks::{is_named_value, is_variable_piece, is_variable_word};
pub use metrics::{EXPORTED_TEMPLATES, LogMetrics};
pub use miner::{Miner, MinerSettings, TemplateEvent, WILDCARD};
pub use processor::{LogProcessor, LogSettings, Mask};

impl From<&LogConfig> for MinerSettings {
    fn from(config: &LogConfig) -> Self {
        Self {
            delimiters: config.delimiters.clone(),
            similarity: config.similarity_threshold,
            max_templates: config.max_templates as usize,
            ..Self::default()
        }
    }
}

impl TryFrom<&LogConfig> for LogSettings {
    type Error = String;

    /// The settings a LogClusterer's RuntimeConfig describes; a mask whose pattern does not compile is an error that
    /// names it.
    fn try_from(config: &LogConfig) -> Result<Self, String> {
        let masks = config
            .masks
            .iter()
            .map(|mask| {
                regex::Regex::new(&mask.pattern)
                    .map(|pattern| Mask { name: mask.name.clone(), pattern })
                    .map_err(|e| format!("masking rule {:?}: {e}", mask.name))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let grouping = config.grouping.as_ref().map(|g| {
            let settings = GroupingSettings {
                vectorizer: g.vectorizer,
                linkage: g.linkage,
                distance_threshold: g.distance_threshold,
                ..GroupingSettings::default()
            };
            (settings, i64::try_from(g.interval.as_std().as_millis()).unwrap_or(i64::MAX))
        });
        Ok(Self { miner: MinerSettings::from(config), raw: true, masks, grouping })
    }
}
