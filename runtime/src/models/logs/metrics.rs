//! Per-template line counts as Prometheus metrics, bounded: only the most frequent templates get a series of their
//! own, so a stream of ever-new templates cannot grow the metrics without limit.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};

use super::Miner;

/// Templates exported with their own series.
pub const EXPORTED_TEMPLATES: usize = 100;

/// The template label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TemplateLabel {
    template: String,
}

/// The log metrics of one pipeline: `augur_logs_*`.
pub struct LogMetrics {
    registry: Registry,
    lines: Counter,
    templates: Gauge,
    per_template: Family<TemplateLabel, Gauge>,
}

impl Default for LogMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("augur_logs");
        let (lines, templates, per_template) =
            (Counter::default(), Gauge::default(), Family::<TemplateLabel, Gauge>::default());
        registry.register("lines", "Log lines mined", lines.clone());
        registry.register("templates", "Templates currently known", templates.clone());
        registry.register(
            "template_lines",
            "Lines matched per template (the most frequent templates only), as of the last refresh",
            per_template.clone(),
        );
        Self { registry, lines, templates, per_template }
    }
}

impl LogMetrics {
    /// Counts mined lines.
    pub fn count_lines(&self, lines: u64) {
        self.lines.inc_by(lines);
    }

    /// Refreshes the per-template series from the miner: the most frequent templates, by current id.
    pub fn refresh(&self, miner: &Miner) {
        let live = miner.live_templates();
        self.templates.set(i64::try_from(live.len()).unwrap_or(i64::MAX));
        self.per_template.clear();
        for template in live.iter().take(EXPORTED_TEMPLATES) {
            let label = TemplateLabel { template: format!("{:016x}", template.id) };
            self.per_template.get_or_create(&label).set(i64::try_from(template.count).unwrap_or(i64::MAX));
        }
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        augur_probes::render(&self.registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::logs::MinerSettings;

    #[test]
    fn exports_the_most_frequent_templates_only() {
        let mut miner = Miner::new(MinerSettings::default());
        for i in 0..300 {
            // 300 distinct events: the first word differs and too little follows it to merge them (a real
            // generalisation would); the first ones are far more frequent.
            let word: String = (0..5).map(|k| char::from(b'a' + ((i / 26usize.pow(k)) % 26) as u8)).collect();
            for _ in 0..(300 - i) / 50 + 1 {
                miner.add(&format!("{word} happened now"));
            }
        }
        let metrics = LogMetrics::default();
        metrics.count_lines(1234);
        metrics.refresh(&miner);
        let text = metrics.encode();
        assert!(text.contains("augur_logs_lines_total 1234"), "{text}");
        assert!(text.contains(&format!("augur_logs_templates {}", miner.templates())), "{text}");
        assert_eq!(text.matches("augur_logs_template_lines{").count(), EXPORTED_TEMPLATES, "bounded");
    }
}
