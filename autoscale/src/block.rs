//! Why a decision differs from what the forecast alone asks for: a machine-readable reason and a message.
//!
//! The reason strings are the values of `status.blocked.reason` on an AutoScalePolicy and the reasons of its Events,
//! so they are stable, CamelCase and few.

use std::fmt;

/// Why the engine held a recommendation back or released the floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockReason {
    /// No forecast has been published for the series.
    NoForecast,
    /// The latest forecast is older than [`STALE_AFTER_STEPS`](crate::STALE_AFTER_STEPS) steps.
    StaleForecast,
    /// The forecast ends before the time the new capacity has to be ready.
    ForecastTooShort,
    /// The forecast is malformed: no points, non-finite values, a step of zero or mismatched quantile columns.
    InvalidForecast,
    /// The Forecaster's model for the series is still warming up.
    ModelNotReady,
    /// The forecast's skill (or, when `maxForecastError` is set, its MASE) has not been measured yet.
    AccuracyUnknown,
    /// The forecast's skill is below `guardrails.minForecastSkill`, or its MASE above `guardrails.maxForecastError`.
    LowForecastAccuracy,
    /// The series has less history than its full model needs: the floor follows the forecast only in proportion.
    PartialHistory,
    /// The forecast shows the load returning within the cooldown and lead time: scale-down is held.
    LoadReturning,
    /// A referenced AnomalyDetector reports an active anomaly: scale-down is frozen.
    AnomalyActive,
    /// The last change was less than `guardrails.cooldown` ago: scale-down waits.
    Cooldown,
    /// The change was cut to `guardrails.maxStepUp` or `guardrails.maxStepDown`.
    StepLimit,
    /// A `min` or `max` quantity of a resource policy cannot be parsed.
    InvalidBounds,
    /// The policy itself cannot be applied, e.g. a capacity per replica that is not positive.
    InvalidPolicy,
}

impl BlockReason {
    /// The CamelCase reason written to status and Events.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoForecast => "NoForecast",
            Self::StaleForecast => "StaleForecast",
            Self::ForecastTooShort => "ForecastTooShort",
            Self::InvalidForecast => "InvalidForecast",
            Self::ModelNotReady => "ModelNotReady",
            Self::AccuracyUnknown => "AccuracyUnknown",
            Self::LowForecastAccuracy => "LowForecastAccuracy",
            Self::PartialHistory => "PartialHistory",
            Self::LoadReturning => "LoadReturning",
            Self::AnomalyActive => "AnomalyActive",
            Self::Cooldown => "Cooldown",
            Self::StepLimit => "StepLimit",
            Self::InvalidBounds => "InvalidBounds",
            Self::InvalidPolicy => "InvalidPolicy",
        }
    }

    /// Whether the reason means the forecast was not used at all (the floor falls back to the HPA's own).
    pub const fn releases_floor(self) -> bool {
        matches!(
            self,
            Self::NoForecast
                | Self::StaleForecast
                | Self::ForecastTooShort
                | Self::InvalidForecast
                | Self::ModelNotReady
                | Self::AccuracyUnknown
                | Self::LowForecastAccuracy
                | Self::InvalidPolicy
        )
    }
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reason with an explanation for people.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// Machine-readable reason.
    pub reason: BlockReason,
    /// What happened and what the engine did instead, in a sentence.
    pub message: String,
}

impl Block {
    /// A block with its message.
    pub fn new(reason: BlockReason, message: impl Into<String>) -> Self {
        Self { reason, message: message.into() }
    }
}
