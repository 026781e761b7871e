//! Streaming anomaly detection, one [`AnomalyDetector`] per series: O(1) amortised work per point, bounded state,
//! no look-ahead. Each point gets a score in [0, 1], the expected value and band, a direction and a reason.

mod params;
mod processor;
#[cfg(test)]
mod tests;

use std::fmt;

pub use params::DetectorParams;
pub use processor::{AnomalyProcessor, ScoredPoint};

use super::SeriesModel;
use crate::time::Millis;

/// Which way a point deviates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Deviation {
    /// Above the band.
    Up,
    /// Below the band.
    Down,
    /// Inside the band.
    None,
}

/// Why a point scored as it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Not enough history yet.
    WarmingUp,
    /// Within the expected band.
    Normal,
    /// Far above the expected value.
    Spike,
    /// Far below the expected value.
    Dip,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::WarmingUp => "warming up",
            Self::Normal => "within the expected band",
            Self::Spike => "spike above the expected value",
            Self::Dip => "drop below the expected value",
        })
    }
}

/// The result for one point.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Assessment {
    /// Anomaly score in [0, 1].
    pub score: f64,
    /// What the model expected.
    pub expected: f64,
    /// Lower edge of the normal band.
    pub lower: f64,
    /// Upper edge of the normal band.
    pub upper: f64,
    /// Which way the point deviates.
    pub deviation: Deviation,
    /// Why.
    pub reason: Reason,
}

/// The per-series detector.
#[derive(Clone, Debug)]
pub struct AnomalyDetector {
    params: DetectorParams,
    points: u64,
    level: f64,
    spread: f64,
}

impl AnomalyDetector {
    /// A fresh detector.
    pub fn new(params: DetectorParams) -> Self {
        Self { params, points: 0, level: 0.0, spread: 0.0 }
    }

    /// Points seen so far.
    pub fn points(&self) -> u64 {
        self.points
    }
}

impl SeriesModel for AnomalyDetector {
    type Output = Assessment;

    fn update(&mut self, _timestamp: Millis, value: f64) -> Assessment {
        self.points += 1;
        if self.points == 1 {
            self.level = value;
        }
        let expected = self.level;
        let band = 3.0 * self.spread.max(f64::EPSILON);
        let deviation = value - expected;
        let z = deviation.abs() / band * 3.0;
        let warming_up = self.points <= u64::from(self.params.warm_up_points);
        let score = if warming_up { 0.0 } else { 1.0 - (-0.5 * (z / 3.0).powi(2)).exp() };
        let alpha = 0.05;
        self.level += alpha * deviation;
        self.spread += alpha * (deviation.abs() - self.spread);
        let (deviation_kind, reason) = if warming_up {
            (Deviation::None, Reason::WarmingUp)
        } else if score < self.params.score_threshold {
            (Deviation::None, Reason::Normal)
        } else if deviation > 0.0 {
            (Deviation::Up, Reason::Spike)
        } else {
            (Deviation::Down, Reason::Dip)
        };
        Assessment {
            score,
            expected,
            lower: expected - band,
            upper: expected + band,
            deviation: deviation_kind,
            reason,
        }
    }

    fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
    }
}
