//! The per-series forecaster.

use super::{
    Forecast, ForecastParams, Readiness,
    accuracy::{Accuracy, AccuracyTracker},
    quantiles::StreamingQuantiles,
};

/// Points a series needs before the level model replaces the last-value fallback.
const WARM_UP: u64 = 24;
/// Rate at which error quantiles follow new errors.
const ERROR_RATE: f64 = 0.01;

/// The forecaster of one series, fed one value per step.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Forecaster {
    #[serde(skip)]
    params: ForecastParams,
    points: u64,
    level: f64,
    scale: f64,
    last: f64,
    /// Seasonal profile of the first candidate period (offset per phase); empty without season.
    profile: Vec<f64>,
    phase: usize,
    /// The one-step forecast made at the previous step, to score against the next value.
    pending: Option<(f64, f64, f64)>,
    /// The value one season ago, for the accuracy's seasonal-naive reference.
    history: Vec<f64>,
    errors: StreamingQuantiles,
    accuracy: AccuracyTracker,
}

impl Forecaster {
    /// A fresh forecaster.
    pub fn new(params: ForecastParams) -> Self {
        let period = params.candidate_periods().first().copied().unwrap_or(0);
        let errors = StreamingQuantiles::new(&params.quantiles);
        Self {
            points: 0,
            level: 0.0,
            scale: 0.0,
            last: 0.0,
            profile: vec![0.0; period],
            phase: 0,
            pending: None,
            history: vec![f64::NAN; period.max(1)],
            errors,
            accuracy: AccuracyTracker::default(),
            params,
        }
    }

    /// Re-attaches the pipeline's parameters to a forecaster restored from a checkpoint.
    pub fn with_params(mut self, params: ForecastParams) -> Self {
        self.params = params;
        self
    }

    /// Feeds the value of the next step.
    pub fn update(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        let seasonal_naive = self.history[self.phase % self.history.len()];
        if let Some((median, lower, upper)) = self.pending.take() {
            self.errors.observe(value - median, ERROR_RATE);
            self.accuracy.observe(value, median, lower, upper, Some(seasonal_naive));
        }
        self.points += 1;
        let seasonal = self.profile.get(self.phase).copied().unwrap_or(0.0);
        if self.points == 1 {
            self.level = value;
        }
        let residual = value - self.level - seasonal;
        let bound = 3.0 * self.scale.max(f64::EPSILON);
        let rate = 0.2f64.max(1.0 / self.points as f64);
        self.scale += rate * (residual.abs().min(bound) - self.scale);
        self.level += rate * residual.clamp(-bound, bound);
        if let Some(offset) = self.profile.get_mut(self.phase) {
            *offset += 0.1 * (value - self.level - *offset).clamp(-bound, bound);
        }
        let slot = self.phase % self.history.len();
        self.history[slot] = value;
        self.last = value;
        self.phase = if self.profile.is_empty() { 0 } else { (self.phase + 1) % self.profile.len() };
        let next = self.forecast_steps(1);
        self.pending = next.points.first().map(|row| (self.median_of(row), row[0], row[row.len() - 1]));
    }

    fn median_of(&self, row: &[f64]) -> f64 {
        let column = self.params.quantiles.iter().position(|q| (*q - 0.5).abs() < 1e-12).unwrap_or(0);
        row[column]
    }

    /// Forecasts the configured horizon.
    pub fn forecast(&self) -> Forecast {
        self.forecast_steps(self.params.horizon)
    }

    fn forecast_steps(&self, steps: usize) -> Forecast {
        let ready = self.readiness().is_ready();
        let errors = self.errors.estimates();
        let points = (1..=steps)
            .map(|k| {
                let center = if ready {
                    let phase = if self.profile.is_empty() { 0 } else { (self.phase + k - 1) % self.profile.len() };
                    self.level + self.profile.get(phase).copied().unwrap_or(0.0)
                } else {
                    self.last
                };
                let widen = (k as f64).sqrt();
                let median_error = errors.get(self.median_column()).copied().unwrap_or(0.0);
                errors.iter().map(|e| center + (e - median_error) * widen).collect()
            })
            .collect();
        Forecast { quantiles: self.params.quantiles.clone(), points }
    }

    fn median_column(&self) -> usize {
        self.params.quantiles.iter().position(|q| (*q - 0.5).abs() < 1e-12).unwrap_or(0)
    }

    /// History seen and needed.
    pub fn readiness(&self) -> Readiness {
        let needed = WARM_UP.max(self.profile.len() as u64);
        Readiness { points: self.points, needed }
    }

    /// Rolling accuracy.
    pub fn accuracy(&self) -> Accuracy {
        self.accuracy.accuracy()
    }

    /// Bytes of state.
    pub fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + (self.profile.len() + self.history.len()) * 8 + self.params.quantiles.len() * 16
    }
}
