//! The runtime's Prometheus metrics, named `augur_<subsystem>_<name>_<unit>`, the same for `augur run` (served on
//! `/metrics`) and `augur try`. A runtime process runs one resource, so the metrics carry no per-resource labels
//! (the pod's labels say which resource) and no per-series labels (series are unbounded): label sets stay bounded
//! whatever the data. The exceptions are bounded by construction: `augur_logs_template_lines` has a series for
//! each of the most frequent templates only, and `augur_forecast_{actual,predicted,mase}` for the series
//! AutoScalePolicies reference only (at most 32).

use std::sync::Mutex;

use prometheus_client::{
    metrics::{counter::Counter, gauge::Gauge},
    registry::Registry,
};

use crate::{
    models::{forecast::ForecastMetrics, logs::LogMetrics},
    pipeline::RunReport,
};

/// Counters and gauges of one runtime process.
pub struct RuntimeMetrics {
    registry: Registry,
    records: Counter,
    dead_letters: Counter,
    results: Counter,
    checkpoints: Counter,
    last_checkpoint: Gauge<f64, std::sync::atomic::AtomicU64>,
    /// Records waiting in the source (Kafka: summed over the partitions read here).
    pub lag: Gauge,
    /// Points reported as anomalies.
    pub anomalies: Counter,
    /// Series whose latest point is in an open incident.
    pub active_anomalies: Gauge,
    /// Actual, forecast and accuracy of the series policies use.
    pub forecasts: ForecastMetrics,
    /// Forecast steps closed (one per series per step).
    pub forecast_steps: Counter,
    /// Results written to the Kafka result topic.
    pub published: Counter,
    /// Log lines, templates and the most frequent templates' counts.
    pub logs: LogMetrics,
    seen: Mutex<RunReport>,
}

impl Default for RuntimeMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl RuntimeMetrics {
    /// Registered, all zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let (records, dead_letters, results, published, checkpoints) =
            (Counter::default(), Counter::default(), Counter::default(), Counter::default(), Counter::default());
        let last_checkpoint = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        let runtime = registry.sub_registry_with_prefix("augur_runtime");
        runtime.register("records", "Records decoded and processed", records.clone());
        runtime.register(
            "dead_letters",
            "Records that failed to decode, sent to the dead-letter sink",
            dead_letters.clone(),
        );
        runtime.register("results", "Results produced by the model", results.clone());
        runtime.register("published", "Results written to the Kafka result topic", published.clone());
        runtime.register(
            "checkpoints",
            "Partition checkpoints stored (state and position together)",
            checkpoints.clone(),
        );
        runtime.register(
            "last_checkpoint_timestamp_seconds",
            "When the last checkpoint was stored (Unix seconds)",
            last_checkpoint.clone(),
        );
        let lag = Gauge::default();
        runtime.register(
            "lag_records",
            "Records waiting in the source (Kafka: summed over the partitions read here)",
            lag.clone(),
        );
        let (anomalies, active_anomalies) = (Counter::default(), Gauge::default());
        let anomaly = registry.sub_registry_with_prefix("augur_anomaly");
        anomaly.register("anomalies", "Points reported as anomalies", anomalies.clone());
        anomaly.register(
            "active_series",
            "Series whose latest point is in an open incident (scale-down freezes while above zero)",
            active_anomalies.clone(),
        );
        let logs = LogMetrics::register(registry.sub_registry_with_prefix("augur_logs"));
        let forecast_steps = Counter::default();
        let forecast = registry.sub_registry_with_prefix("augur_forecast");
        forecast.register("steps", "Forecast steps closed, one per series per step", forecast_steps.clone());
        let forecasts = ForecastMetrics::register(forecast);
        Self {
            registry,
            records,
            dead_letters,
            results,
            checkpoints,
            last_checkpoint,
            lag,
            anomalies,
            active_anomalies,
            forecasts,
            forecast_steps,
            published,
            logs,
            seen: Mutex::new(RunReport::default()),
        }
    }

    /// Brings the counters up to `report` (the run's cumulative counts); `now_seconds` stamps a new checkpoint.
    pub fn observe(&self, report: &RunReport, now_seconds: f64) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        self.records.inc_by(report.records.saturating_sub(seen.records));
        self.dead_letters.inc_by(report.dead_letters.saturating_sub(seen.dead_letters));
        self.results.inc_by(report.outputs.saturating_sub(seen.outputs));
        if report.checkpoints > seen.checkpoints {
            self.checkpoints.inc_by(report.checkpoints - seen.checkpoints);
            self.last_checkpoint.set(now_seconds);
        }
        *seen = *report;
    }

    /// The OpenMetrics exposition.
    pub fn encode(&self) -> String {
        augur_probes::render(&self.registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_follow_the_cumulative_report() {
        let metrics = RuntimeMetrics::new();
        metrics.observe(&RunReport { records: 10, dead_letters: 1, outputs: 9, ..RunReport::default() }, 1.0);
        metrics.observe(
            &RunReport { records: 25, dead_letters: 1, outputs: 20, checkpoints: 2, ..RunReport::default() },
            7.0,
        );
        let text = metrics.encode();
        for line in [
            "augur_runtime_records_total 25",
            "augur_runtime_dead_letters_total 1",
            "augur_runtime_results_total 20",
            "augur_runtime_checkpoints_total 2",
            "augur_runtime_last_checkpoint_timestamp_seconds 7.0",
            "augur_anomaly_anomalies_total 0",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
