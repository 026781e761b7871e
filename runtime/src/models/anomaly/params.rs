//! Detector parameters, resolved from the RuntimeConfig's anomaly settings.

use augur_crds::{
    kinds::anomaly_detector::{DetectorSettings, Direction},
    runtime_config::{AnomalyConfig, SeasonalityConfig},
};

/// Everything a detector needs to know, shared by all series of a pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectorParams {
    /// Points at or above this score are reported.
    pub score_threshold: f64,
    /// Points before reporting starts.
    pub warm_up_points: u32,
    /// Reported directions.
    pub direction: Direction,
    /// Fixed seasonal periods in milliseconds; empty means detect automatically (unless `seasonal` is false).
    pub periods_ms: Vec<i64>,
    /// Whether to model seasonality at all.
    pub seasonal: bool,
}

impl From<&AnomalyConfig> for DetectorParams {
    fn from(config: &AnomalyConfig) -> Self {
        let (seasonal, periods_ms) = match &config.seasonality {
            SeasonalityConfig::Auto => (true, Vec::new()),
            SeasonalityConfig::None => (false, Vec::new()),
            SeasonalityConfig::Fixed(periods) => {
                (true, periods.iter().map(|p| i64::try_from(p.as_std().as_millis()).unwrap_or(i64::MAX)).collect())
            }
        };
        Self {
            score_threshold: config.score_threshold,
            warm_up_points: config.warm_up_points,
            direction: config.direction,
            periods_ms,
            seasonal,
        }
    }
}

impl Default for DetectorParams {
    /// The AnomalyDetector defaults, resolved as the operator renders a manifest with only a source.
    fn default() -> Self {
        Self::from(&AnomalyConfig::from(&DetectorSettings::default()))
    }
}
