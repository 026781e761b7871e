//! Streaming forecasting, one [`Forecaster`] per series on a regular step: O(1) work per point, O(h) per forecast,
//! bounded state. Each forecast has a median and the configured quantiles, the same quantiles of the largest value
//! over the first `k` steps (its peaks), and each series measures its own accuracy (rolling MASE, skill against the
//! last value, interval coverage) as actual values arrive.

mod accuracy;
mod ar;
mod candidates;
mod metrics;
mod model;
mod params;
mod processor;
mod quantiles;
#[cfg(test)]
mod tests;

pub use accuracy::{Accuracy, AccuracyTracker};
pub use metrics::ForecastMetrics;
pub use model::Forecaster;
pub use params::ForecastParams;
pub use processor::{ForecastProcessor, StepForecast};

/// A forecast of the next `h` steps.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Forecast {
    /// The quantile levels of each row's values (sorted, always including 0.5).
    pub quantiles: Vec<f64>,
    /// One row per step ahead; each row holds one value per quantile, non-decreasing.
    pub points: Vec<Vec<f64>>,
    /// Row `k`: one value per quantile of the largest value over steps `0..=k`; never below `points` row `k`.
    pub peaks: Vec<Vec<f64>>,
}

impl Forecast {
    /// The median of step `k` (0-based), if forecast.
    pub fn median(&self, k: usize) -> Option<f64> {
        let column = self.quantiles.iter().position(|q| (*q - 0.5).abs() < 1e-12)?;
        self.points.get(k).map(|row| row[column])
    }
}

/// How much history a series has, and how much its models need before they forecast on their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Readiness {
    /// Points seen.
    pub points: u64,
    /// Points needed for the full model (one season, or the warm-up without season).
    pub needed: u64,
}

impl Readiness {
    /// Whether the full model is in use.
    pub fn is_ready(&self) -> bool {
        self.points >= self.needed
    }
}
