//! Log metrics (`augur_logs_*`): lines mined, templates known, template events by change (created, generalised,
//! merged, evicted: a fixed set), and per-template line counts, bounded: only the most frequent templates get a
//! series of their own, so a stream of ever-new templates cannot grow the metrics without limit. Registered in the runtime's registry ([`crate::metrics::RuntimeMetrics`]) and refreshed from every
//! partition's miner after each flush.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge},
    registry::Registry,
};

use super::{TemplateChange, TemplateText, template_id};

/// Templates exported with their own series.
pub const EXPORTED_TEMPLATES: usize = 100;

/// The template label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TemplateLabel {
    template: String,
}

/// The change label of template events.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChangeLabel {
    change: &'static str,
}

/// The log metrics of one pipeline: `augur_logs_*`.
pub struct LogMetrics {
    lines: Counter,
    templates: Gauge,
    per_template: Family<TemplateLabel, Gauge>,
    changes: Family<ChangeLabel, Counter>,
}

impl LogMetrics {
    /// Registers the log metrics in `registry` (prefixed `augur_logs` by the caller).
    pub fn register(registry: &mut Registry) -> Self {
        let (lines, templates, per_template) =
            (Counter::default(), Gauge::default(), Family::<TemplateLabel, Gauge>::default());
        registry.register("lines", "Log lines mined", lines.clone());
        registry.register("templates", "Templates currently known", templates.clone());
        registry.register(
            "template_lines",
            "Lines matched per template (the most frequent templates only), as of the last refresh",
            per_template.clone(),
        );
        let changes = Family::<ChangeLabel, Counter>::default();
        registry.register(
            "template_events",
            "Template events by change: created, generalised, merged, evicted",
            changes.clone(),
        );
        Self { lines, templates, per_template, changes }
    }

    /// Counts one template event.
    pub fn count_change(&self, change: TemplateChange) {
        let change = match change {
            TemplateChange::Created => "created",
            TemplateChange::Generalised => "generalised",
            TemplateChange::Merged => "merged",
            TemplateChange::Evicted => "evicted",
        };
        self.changes.get_or_create(&ChangeLabel { change }).inc();
    }

    /// Counts mined lines.
    pub fn count_lines(&self, lines: u64) {
        self.lines.inc_by(lines);
    }

    /// Refreshes the templates gauge and the per-template series from the live templates of every partition read
    /// here: counts of one template (same id) add up, and the most frequent get a series.
    pub fn refresh<'a>(&self, live: impl IntoIterator<Item = &'a TemplateText>) {
        let mut counts: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
        for template in live {
            *counts.entry(template.id).or_default() += template.count;
        }
        self.templates.set(i64::try_from(counts.len()).unwrap_or(i64::MAX));
        let mut ranked: Vec<(u64, u64)> = counts.into_iter().collect();
        ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        self.per_template.clear();
        for (id, count) in ranked.into_iter().take(EXPORTED_TEMPLATES) {
            let label = TemplateLabel { template: template_id(id) };
            self.per_template.get_or_create(&label).set(i64::try_from(count).unwrap_or(i64::MAX));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::logs::{Miner, MinerSettings};

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
        let mut registry = Registry::default();
        let metrics = LogMetrics::register(registry.sub_registry_with_prefix("augur_logs"));
        metrics.count_lines(1234);
        let live = miner.live_templates();
        metrics.refresh(live.iter().chain(live.iter().take(3)));
        let text = augur_probes::render(&registry);
        assert!(text.contains("augur_logs_lines_total 1234"), "{text}");
        assert!(text.contains(&format!("augur_logs_templates {}", miner.templates())), "{text}");
        assert_eq!(text.matches("augur_logs_template_lines{").count(), EXPORTED_TEMPLATES, "bounded");
        let top = &live[0];
        let doubled = format!("augur_logs_template_lines{{template=\"{}\"}} {}", template_id(top.id), 2 * top.count);
        assert!(text.contains(&doubled), "a template in two partitions counts twice: {doubled}\n{text}");
    }
}
