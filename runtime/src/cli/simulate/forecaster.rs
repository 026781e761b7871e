//! The runtime's Forecaster as the simulator's [`OnlineForecaster`]: each step's mean goes in when the step ends, and
//! the forecast comes out as the AutoScalePolicy controller would read it from the Forecaster's status (quantiles,
//! peaks, skill, MASE and, while the series warms up, its history).

use augur_autoscale::{ForecastView, History};
use augur_crds::kinds::{autoscale_policy::ReplicaPolicy, forecaster::ForecastAlgorithm};
use augur_simulate::OnlineForecaster;

use crate::{
    models::forecast::{ForecastParams, Forecaster},
    time::Millis,
};

/// One series' Forecaster, fed online.
pub struct RuntimeForecaster {
    model: Forecaster,
    params: ForecastParams,
}

impl RuntimeForecaster {
    /// A fresh Forecaster with `params`.
    pub fn new(params: ForecastParams) -> Self {
        Self { model: Forecaster::new(params.clone()), params }
    }

    /// The Forecaster a policy of `policy` would read on a trace of `step_ms` steps (see [`forecast_params`]).
    pub fn for_policy(policy: &ReplicaPolicy, step_ms: Millis, algorithm: ForecastAlgorithm) -> Self {
        let lead_ms = i64::try_from(policy.lead_time.as_std().as_millis()).unwrap_or(i64::MAX / 4);
        Self::new(forecast_params(policy.quantile, lead_ms, step_ms, algorithm))
    }
}

impl OnlineForecaster for RuntimeForecaster {
    fn learn(&mut self, value: f64, made_at: Millis) -> Option<ForecastView> {
        self.model.update(value);
        let forecast = self.model.forecast();
        let accuracy = self.model.accuracy();
        let readiness = self.model.readiness();
        Some(ForecastView {
            start_ms: made_at,
            step_ms: self.params.step_ms,
            quantiles: forecast.quantiles,
            points: forecast.points,
            peaks: forecast.peaks,
            generated_at_ms: made_at,
            accuracy: accuracy.mase,
            skill: accuracy.skill,
            history: (!readiness.is_ready()).then_some(History { points: readiness.points, needed: readiness.needed }),
            model_ready: readiness.is_ready(),
        })
    }
}

/// The Forecaster defaults on the trace's step, with a horizon covering `lead_ms` and two steps more, and the
/// policy's `quantile` among the forecast ones (a Forecaster serving a policy is configured so; otherwise the engine
/// interpolates between the published quantiles, which is what it does in a cluster).
pub fn forecast_params(
    quantile: f64,
    lead_ms: Millis,
    step_ms: Millis,
    algorithm: ForecastAlgorithm,
) -> ForecastParams {
    let defaults = ForecastParams::default();
    let default_ms = defaults.horizon as i64 * defaults.step_ms;
    let step_ms = step_ms.max(1);
    let needed = (lead_ms.max(0) + step_ms - 1) / step_ms + 2;
    let horizon = ((default_ms + step_ms - 1) / step_ms).max(needed).clamp(1, 1000);
    let mut quantiles = defaults.quantiles.clone();
    if quantile > 0.0 && quantile < 1.0 && !quantiles.iter().any(|q| (q - quantile).abs() < 1e-9) {
        quantiles.push(quantile);
        quantiles.sort_by(f64::total_cmp);
    }
    ForecastParams { horizon: usize::try_from(horizon).unwrap_or(1), step_ms, quantiles, algorithm, ..defaults }
}
