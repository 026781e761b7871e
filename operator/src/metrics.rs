//! The operator's metrics (`augur_operator_*`), registered once and encoded for `/metrics`.

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

/// Labels of a reconcile: the kind and how it ended (applied, invalid_spec, or the error category).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReconcileLabels {
    /// The resource kind.
    pub kind: String,
    /// `applied`, `invalid_spec` or an error category.
    pub outcome: String,
}

/// Reconcile counts and durations.
pub struct Metrics {
    registry: Registry,
    /// Reconciles by kind and outcome.
    pub reconciles: Family<ReconcileLabels, Counter>,
    /// Reconcile duration in seconds, by kind.
    pub duration: Family<ReconcileLabels, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("augur_operator");
        let reconciles = Family::<ReconcileLabels, Counter>::default();
        let duration: Family<ReconcileLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]));
        registry.register("reconcile", "Reconciliations by kind and outcome", reconciles.clone());
        registry.register("reconcile_duration_seconds", "Time to reconcile one resource", duration.clone());
        Self { registry, reconciles, duration }
    }
}

impl Metrics {
    /// Records one reconcile.
    pub fn record(&self, kind: &str, outcome: &str, seconds: f64) {
        let labels = ReconcileLabels { kind: kind.to_owned(), outcome: outcome.to_owned() };
        self.reconciles.get_or_create(&labels).inc();
        self.duration.get_or_create(&labels).observe(seconds);
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Encoding into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_counts_and_durations_by_kind_and_outcome() {
        let metrics = Metrics::default();
        metrics.record("AnomalyDetector", "applied", 0.02);
        metrics.record("AnomalyDetector", "applied", 0.03);
        metrics.record("Forecaster", "ApplyFailed", 0.5);
        let text = metrics.encode();
        assert!(
            text.contains(r#"augur_operator_reconcile_total{kind="AnomalyDetector",outcome="applied"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"augur_operator_reconcile_total{kind="Forecaster",outcome="ApplyFailed"} 1"#),
            "{text}"
        );
        assert!(text.contains("augur_operator_reconcile_duration_seconds_bucket"), "{text}");
    }
}
