//! Seasonality settings shared by AnomalyDetector and Forecaster.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{duration::Duration, rules::rule};

/// Which seasonal periods a model uses.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = rule(
    "self.mode == 'Fixed' ? has(self.periods) && size(self.periods) > 0 : !has(self.periods)",
    "seasonality.periods must be listed when mode is Fixed, and only then",
))]
pub struct Seasonality {
    /// `Auto` finds each series' periods (e.g. daily and weekly) from its history; `None` assumes no seasonality;
    /// `Fixed` uses `periods`.
    #[serde(default)]
    pub mode: SeasonalityMode,
    /// With `mode: Fixed`: the periods, e.g. `[24h, 168h]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 3))]
    pub periods: Option<Vec<Duration>>,
}

/// How seasonal periods are chosen.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SeasonalityMode {
    /// Detect periods automatically, per series.
    #[default]
    Auto,
    /// No seasonality.
    None,
    /// Use the listed periods.
    Fixed,
}
