//! Forecast metrics of the series AutoScalePolicies use (`augur_forecast_*`), so a dashboard can put each step's
//! actual value beside what was forecast for it, with the band:
//! - `augur_forecast_actual{series}`: the mean of the step that just closed;
//! - `augur_forecast_predicted{series, bound}`: what the forecast made one step earlier said of that same step, its
//!   `lower` and `upper` (outermost quantiles) and `median`; aligned with `actual`, so no query needs an offset;
//! - `augur_forecast_skill{series}`: the series' rolling skill against repeating the last value, once measured (what a
//!   policy's `minForecastSkill` gate reads; above 0 beats the last value);
//! - `augur_forecast_mase{series}`: the series' rolling MASE, once measured (what `maxForecastError` reads).
//!
//! Series are unbounded, so only the series policies reference get a series here (at most [`MAX_SERIES`]; a pod
//! that cannot list policies exports none), and a series no longer referenced loses its series.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Mutex,
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{family::Family, gauge::Gauge},
    registry::Registry,
};

use super::StepForecast;

/// Most series exported (as many as one pod publishes in status).
pub const MAX_SERIES: usize = 32;

/// A float gauge.
type FloatGauge = Gauge<f64, std::sync::atomic::AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeriesLabel {
    series: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BoundLabels {
    series: String,
    bound: &'static str,
}

/// The forecast metrics of one pipeline.
#[derive(Debug)]
pub struct ForecastMetrics {
    actual: Family<SeriesLabel, FloatGauge>,
    predicted: Family<BoundLabels, FloatGauge>,
    mase: Family<SeriesLabel, FloatGauge>,
    skill: Family<SeriesLabel, FloatGauge>,
    state: Mutex<Exported>,
}

/// Which series are exported, and per series the forecast of the step now being filled: (lower, median, upper).
#[derive(Debug, Default)]
struct Exported {
    series: BTreeSet<String>,
    pending: HashMap<String, (f64, f64, f64)>,
}

impl ForecastMetrics {
    /// Registers the forecast metrics in `registry` (prefixed `augur_forecast` by the caller).
    pub fn register(registry: &mut Registry) -> Self {
        let (actual, predicted) = (Family::default(), Family::default());
        let (mase, skill) = (Family::default(), Family::default());
        registry.register("actual", "Mean of the step that just closed, per policy-referenced series", actual.clone());
        registry.register(
            "predicted",
            "What was forecast one step earlier for the step that just closed: lower, median and upper bound",
            predicted.clone(),
        );
        registry.register("mase", "Rolling mean absolute scaled error, per policy-referenced series", mase.clone());
        registry.register(
            "skill",
            "Rolling skill against repeating the last value (above 0 beats it), per policy-referenced series",
            skill.clone(),
        );
        Self { actual, predicted, mase, skill, state: Mutex::default() }
    }

    /// Exports `wanted` from now on (at most [`MAX_SERIES`] of them); series no longer wanted lose their series.
    pub fn export(&self, wanted: &[String]) {
        let wanted: BTreeSet<String> = wanted.iter().take(MAX_SERIES).cloned().collect();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.series == wanted {
            return;
        }
        let state = &mut *state;
        for gone in state.series.difference(&wanted) {
            let series = SeriesLabel { series: gone.clone() };
            self.actual.remove(&series);
            self.mase.remove(&series);
            self.skill.remove(&series);
            for bound in ["lower", "median", "upper"] {
                self.predicted.remove(&BoundLabels { series: gone.clone(), bound });
            }
            state.pending.remove(gone);
        }
        state.series = wanted;
    }

    /// Takes closed steps into account, in order.
    pub fn observe(&self, steps: &[StepForecast]) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let state = &mut *state;
        for step in steps.iter().filter(|s| state.series.contains(s.series.as_ref())) {
            let series = step.series.to_string();
            self.actual.get_or_create(&SeriesLabel { series: series.clone() }).set(step.value);
            if let Some((lower, median, upper)) = state.pending.insert(series.clone(), step.next) {
                for (bound, value) in [("lower", lower), ("median", median), ("upper", upper)] {
                    self.predicted.get_or_create(&BoundLabels { series: series.clone(), bound }).set(value);
                }
            }
            let label = SeriesLabel { series };
            if let Some(mase) = step.accuracy.mase.filter(|m| m.is_finite()) {
                self.mase.get_or_create(&label).set(mase);
            }
            if let Some(skill) = step.accuracy.skill.filter(|s| s.is_finite()) {
                self.skill.get_or_create(&label).set(skill);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::forecast::{Accuracy, Readiness};

    fn step(series: &str, value: f64, next: (f64, f64, f64)) -> StepForecast {
        StepForecast {
            series: series.into(),
            timestamp: 0,
            value,
            next,
            readiness: Readiness { points: 1, needed: 1 },
            accuracy: Accuracy { mase: Some(0.5), coverage: None, skill: Some(0.25) },
        }
    }

    fn encode(registry: &Registry) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, registry).unwrap_or_default();
        text
    }

    #[test]
    fn the_actual_sits_beside_what_was_forecast_for_the_same_step() {
        let mut registry = Registry::default();
        let metrics = ForecastMetrics::register(registry.sub_registry_with_prefix("augur_forecast"));
        metrics.export(&["rps".to_owned()]);
        metrics.observe(&[step("rps", 100.0, (90.0, 110.0, 130.0)), step("other", 5.0, (1.0, 2.0, 3.0))]);
        let text = encode(&registry);
        assert!(text.contains(r#"augur_forecast_actual{series="rps"} 100.0"#), "{text}");
        assert!(!text.contains("augur_forecast_predicted{"), "nothing was forecast for the first step: {text}");
        assert!(!text.contains("other"), "only the series policies use: {text}");
        metrics.observe(&[step("rps", 120.0, (95.0, 115.0, 140.0))]);
        let text = encode(&registry);
        assert!(text.contains(r#"augur_forecast_actual{series="rps"} 120.0"#), "{text}");
        assert!(text.contains(r#"augur_forecast_predicted{series="rps",bound="median"} 110.0"#), "{text}");
        assert!(text.contains(r#"augur_forecast_predicted{series="rps",bound="upper"} 130.0"#), "{text}");
        assert!(text.contains(r#"augur_forecast_mase{series="rps"} 0.5"#), "{text}");
        assert!(text.contains(r#"augur_forecast_skill{series="rps"} 0.25"#), "{text}");
        metrics.export(&[]);
        assert!(!encode(&registry).contains(r#"series="rps""#), "a series no policy uses any more goes");
    }
}
