//! Streaming anomaly detection, one [`AnomalyDetector`] per series: O(1) amortised work per point, bounded state,
//! no look-ahead. Each point gets a score in [0, 1], the expected value and band, a direction and a reason, and the
//! [`Incident`] it belongs to: reported points are grouped so that one incident is reported once.

mod baseline;
mod calibrator;
mod detector;
mod incident;
mod params;
mod processor;
#[cfg(test)]
mod tests;

use std::fmt;

pub use detector::AnomalyDetector;
pub use incident::{Incident, IncidentStatus, Peak};
pub use params::DetectorParams;
pub use processor::{AnomalyProcessor, ScoredPoint};

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

/// Why a point scored as it did: the kind of surprise that dominated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Not enough history yet.
    WarmingUp,
    /// Nothing unusual.
    Normal,
    /// A sudden jump away from the short-term level.
    Spike,
    /// Outside what the (seasonal) baseline explains.
    OffBaseline,
    /// A deviation that persists over tens of points (a level shift).
    SustainedShift,
    /// A slow drift away from the baseline over hundreds of points.
    SlowDrift,
    /// Noisier than usual.
    VolatilityIncrease,
    /// Above the recent range.
    NewHigh,
    /// Below the recent range.
    NewLow,
}

impl Reason {
    /// The reason for the detector's feature `index`.
    fn from_feature(index: usize) -> Self {
        match index {
            0 => Self::Spike,
            1 => Self::OffBaseline,
            2 => Self::SustainedShift,
            3 => Self::SlowDrift,
            4 => Self::VolatilityIncrease,
            5 => Self::NewHigh,
            _ => Self::NewLow,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::WarmingUp => "warming up",
            Self::Normal => "within the expected band",
            Self::Spike => "sudden jump from the short-term level",
            Self::OffBaseline => "outside what the (seasonal) baseline explains",
            Self::SustainedShift => "sustained shift from the baseline",
            Self::SlowDrift => "slow drift from the baseline",
            Self::VolatilityIncrease => "more volatile than usual",
            Self::NewHigh => "new high beyond the recent range",
            Self::NewLow => "new low beyond the recent range",
        })
    }
}

impl Assessment {
    /// Whether `value` lies outside the band.
    pub fn value_outside_band(&self, value: f64) -> bool {
        value < self.lower || value > self.upper
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
    /// The incident this point belongs to, if any: opened here (the one report), ongoing, or closed here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<Incident>,
}
