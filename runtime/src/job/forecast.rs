//! Forecaster: one forecaster per series in each partition's processor; the status carries the bounded forecasts of
//! the series AutoScalePolicies use, and so do the forecast metrics (which series those are is learnt when the status
//! is published).

use std::sync::Mutex;

use augur_crds::runtime_config::ForecastConfig;

use super::Kind;
use crate::{
    metrics::RuntimeMetrics,
    models::forecast::{ForecastParams, ForecastProcessor, StepForecast},
    pipeline::Partitioned,
    status::{KindEntries, Limits, ModelProgress, SeriesForecast, forecast_report},
    time::Millis,
};

/// A Forecaster's part of a pipeline.
pub struct ForecastKind {
    params: ForecastParams,
    max_series: usize,
    limits: Limits,
    /// The series policies reference, as last told by the status publisher.
    wanted: Mutex<Vec<String>>,
}

impl ForecastKind {
    /// The forecaster `config` describes, tracking at most `max_series` series per partition.
    pub fn new(config: &ForecastConfig, max_series: usize) -> Self {
        Self {
            params: ForecastParams::from_config(config),
            max_series,
            limits: Limits::default(),
            wanted: Mutex::default(),
        }
    }

    /// The forecast settings.
    pub fn params(&self) -> &ForecastParams {
        &self.params
    }
}

impl Kind for ForecastKind {
    type Processor = ForecastProcessor;
    type Output = StepForecast;

    fn factory(&self) -> Box<dyn Fn() -> ForecastProcessor + Send> {
        let (params, max_series) = (self.params.clone(), self.max_series);
        Box::new(move || ForecastProcessor::new(params.clone(), max_series))
    }

    fn observe(
        &mut self,
        _: &Partitioned<ForecastProcessor>,
        outputs: &[StepForecast],
        metrics: &RuntimeMetrics,
        _: Millis,
    ) {
        metrics.forecasts.export(&self.wanted.lock().unwrap_or_else(|e| e.into_inner()));
        metrics.forecasts.observe(outputs);
    }

    fn series_tracked(&self, stage: &Partitioned<ForecastProcessor>) -> i64 {
        stage.iter().map(|(_, processor)| processor.series() as i64).sum()
    }

    fn report(
        &self,
        stage: &Partitioned<ForecastProcessor>,
        wanted: Option<&[String]>,
        now: Millis,
    ) -> (KindEntries, ModelProgress) {
        if let Some(wanted) = wanted {
            *self.wanted.lock().unwrap_or_else(|e| e.into_inner()) = wanted.to_vec();
        }
        let entries: Vec<_> = stage.iter().flat_map(|(_, processor)| processor.forecasts()).collect();
        let views: Vec<SeriesForecast<'_>> =
            entries.iter().map(|entry| SeriesForecast::from_processor(entry, self.params.step_ms)).collect();
        forecast_report(&views, wanted, now, &self.limits)
    }
}
