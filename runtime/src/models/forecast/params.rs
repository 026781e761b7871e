//! Forecaster parameters, resolved from the RuntimeConfig's forecast settings.

use augur_crds::{
    kinds::forecaster::{ForecastAlgorithm, ForecastModel},
    runtime_config::{ForecastConfig, SeasonalityConfig},
};

/// What every series' forecaster of a pipeline shares.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ForecastParams {
    /// Steps ahead to forecast.
    pub horizon: usize,
    /// Step length in milliseconds.
    pub step_ms: i64,
    /// Quantile levels, sorted, including 0.5.
    pub quantiles: Vec<f64>,
    /// Seasonal periods in steps; empty with `seasonal` means detect among daily and weekly.
    pub periods: Vec<usize>,
    /// Whether to model seasonality.
    pub seasonal: bool,
    /// Which models forecast: the self-weighting combination of all (`Auto`) or one family.
    pub algorithm: ForecastAlgorithm,
}

impl ForecastParams {
    /// Parameters for `config`.
    pub fn from_config(config: &ForecastConfig) -> Self {
        let step_ms = i64::try_from(config.step.as_std().as_millis()).unwrap_or(i64::MAX).max(1);
        let horizon_ms = i64::try_from(config.horizon.as_std().as_millis()).unwrap_or(i64::MAX);
        let (seasonal, periods) = match &config.seasonality {
            SeasonalityConfig::Auto => (true, Vec::new()),
            SeasonalityConfig::None => (false, Vec::new()),
            SeasonalityConfig::Fixed(periods) => (
                true,
                periods
                    .iter()
                    .map(|p| (i64::try_from(p.as_std().as_millis()).unwrap_or(i64::MAX) / step_ms) as usize)
                    .filter(|p| *p >= 2)
                    .collect(),
            ),
        };
        Self {
            horizon: usize::try_from(horizon_ms / step_ms).unwrap_or(1).clamp(1, 1000),
            step_ms,
            quantiles: config.quantiles.clone(),
            periods,
            seasonal,
            algorithm: config.algorithm,
        }
    }

    /// Candidate seasonal periods in steps: the configured ones, or a day and a week when they span at least four
    /// steps.
    pub fn candidate_periods(&self) -> Vec<usize> {
        if !self.seasonal {
            return Vec::new();
        }
        if !self.periods.is_empty() {
            return self.periods.clone();
        }
        [86_400_000i64, 604_800_000].iter().map(|p| (p / self.step_ms) as usize).filter(|p| *p >= 4).collect()
    }
}

impl Default for ForecastParams {
    /// The Forecaster defaults, resolved as the operator renders a manifest with only a source.
    fn default() -> Self {
        Self::from_config(&ForecastConfig::from(&ForecastModel::default()))
    }
}
