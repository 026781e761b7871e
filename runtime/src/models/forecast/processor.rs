//! The forecast pipeline stage: aligns each series onto the configured step (mean of the points in a step; short gaps
//! carried forward so seasonal phases stay aligned), feeds its forecaster, and emits one result per closed step.

use std::collections::HashMap;

use super::{Accuracy, Forecast, ForecastParams, Forecaster, Readiness};
use crate::{
    pipeline::Processor,
    record::{MetricPoint, SeriesId},
    time::Millis,
};

/// Longest gap (in steps) bridged by carrying the last value forward; a longer outage restarts the step clock.
const MAX_GAP_STEPS: i64 = 288;

/// One closed step of one series, with the forecast made after it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StepForecast {
    /// The series.
    pub series: SeriesId,
    /// Start of the step (ms).
    pub timestamp: Millis,
    /// Mean of the step's points.
    pub value: f64,
    /// The forecast of the next step: (lower, median, upper) of the outermost quantiles.
    pub next: (f64, f64, f64),
    /// History seen and needed.
    pub readiness: Readiness,
    /// Rolling accuracy.
    pub accuracy: Accuracy,
}

/// A series' forecaster and the step being filled.
struct SeriesState {
    model: Forecaster,
    step_start: Millis,
    sum: f64,
    count: u32,
    last_value: Option<f64>,
}

/// Per-series forecasting for a pipeline.
pub struct ForecastProcessor {
    params: ForecastParams,
    series: HashMap<SeriesId, SeriesState>,
    max_series: usize,
}

impl ForecastProcessor {
    /// Forecasters with `params`, at most `max_series` series (new series beyond it are ignored and counted).
    pub fn new(params: ForecastParams, max_series: usize) -> Self {
        Self { params, series: HashMap::new(), max_series: max_series.max(1) }
    }

    /// The latest full forecast of every series: (series, start of the last closed step, forecast, accuracy,
    /// readiness), by series name.
    pub fn forecasts(&self) -> Vec<(SeriesId, Millis, Forecast, Accuracy, Readiness)> {
        let mut all: Vec<_> = self
            .series
            .iter()
            .map(|(name, state)| {
                let last_closed = state.step_start - self.params.step_ms;
                (name.clone(), last_closed, state.model.forecast(), state.model.accuracy(), state.model.readiness())
            })
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Closes every series' open step (end of a finite input) and returns the results.
    pub fn flush(&mut self) -> Vec<StepForecast> {
        let mut out = Vec::new();
        let mut series: Vec<SeriesId> = self.series.keys().cloned().collect();
        series.sort();
        for name in series {
            if let Some(mut state) = self.series.remove(&name) {
                self.close_step(&name, &mut state, &mut out);
                state.step_start += self.params.step_ms;
                self.series.insert(name, state);
            }
        }
        out
    }

    fn close_step(&self, series: &SeriesId, state: &mut SeriesState, out: &mut Vec<StepForecast>) {
        if state.count == 0 {
            return;
        }
        let value = state.sum / f64::from(state.count);
        state.model.update(value);
        state.last_value = Some(value);
        let forecast = state.model.forecast();
        let next = forecast
            .points
            .first()
            .map_or((value, value, value), |row| (row[0], forecast.median(0).unwrap_or(value), row[row.len() - 1]));
        out.push(StepForecast {
            series: series.clone(),
            timestamp: state.step_start,
            value,
            next,
            readiness: state.model.readiness(),
            accuracy: state.model.accuracy(),
        });
        (state.sum, state.count) = (0.0, 0);
    }
}

impl Processor for ForecastProcessor {
    type Input = MetricPoint;
    type Output = StepForecast;

    fn process(&mut self, point: MetricPoint, out: &mut Vec<StepForecast>) {
        let step = self.params.step_ms;
        let bucket = point.timestamp.div_euclid(step) * step;
        if !self.series.contains_key(&point.series) {
            if self.series.len() >= self.max_series {
                return;
            }
            let model = Forecaster::new(self.params.clone());
            self.series.insert(
                point.series.clone(),
                SeriesState { model, step_start: bucket, sum: 0.0, count: 0, last_value: None },
            );
        }
        let Some(mut state) = self.series.remove(&point.series) else { return };
        if bucket < state.step_start {
            // A late point of a closed step: already accounted for by the step's mean; dropped.
        } else {
            if bucket > state.step_start {
                self.close_step(&point.series, &mut state, out);
                let missing = (bucket - state.step_start) / step - 1;
                if let (true, Some(last)) = ((1..=MAX_GAP_STEPS).contains(&missing), state.last_value) {
                    (0..missing).for_each(|_| state.model.update(last));
                }
                state.step_start = bucket;
            }
            state.sum += point.value;
            state.count += 1;
        }
        self.series.insert(point.series, state);
    }
}
