//! The checks a forecast must pass before the engine acts on it.
//!
//! Each failure names a [`BlockReason`] that releases the floor (or leaves requests untouched): the engine falls
//! back to reactive scaling rather than act on a forecast that is missing, old, too short, malformed, from a model
//! that is not ready and says nothing of its history, or less skilful than the policy asks.
//!
//! The skill gate compares the forecast with what reactive scaling does without one, repeating the last value:
//! below `minForecastSkill` the forecast adds nothing the HPA does not already do, so following it only adds cost.
//! The optional `maxForecastError` (rolling MASE, against repeating the last season) is checked after it.

use augur_crds::kinds::autoscale_policy::Guardrails;

use crate::block::{Block, BlockReason};
use crate::forecast::ForecastView;

/// A forecast older than this many of its own steps is stale: the Forecaster has missed updates.
pub const STALE_AFTER_STEPS: i64 = 3;

/// Checks that `forecast` can be trusted for the load up to `needed_until_ms`, at `now_ms`.
pub(crate) fn check_forecast<'a>(
    forecast: Option<&'a ForecastView>,
    guardrails: &Guardrails,
    needed_until_ms: i64,
    now_ms: i64,
) -> Result<&'a ForecastView, Block> {
    let Some(forecast) = forecast else {
        return Err(Block::new(BlockReason::NoForecast, "no forecast is published for the series yet"));
    };
    check_shape(forecast)?;
    // A forecast that says how much history it has is trusted in proportion to it (see `replicas`); one from a
    // model that is not ready and says nothing cannot be weighed, so it is not used.
    if !forecast.model_ready && forecast.history.is_none() {
        return Err(Block::new(BlockReason::ModelNotReady, "the forecasting model is still warming up"));
    }
    let age_ms = now_ms.saturating_sub(forecast.generated_at_ms);
    if age_ms > forecast.step_ms.saturating_mul(STALE_AFTER_STEPS) {
        return Err(Block::new(
            BlockReason::StaleForecast,
            format!(
                "the latest forecast is {}s old, more than {STALE_AFTER_STEPS} steps of {}s",
                age_ms / 1000,
                forecast.step_ms / 1000
            ),
        ));
    }
    if forecast.end_ms() < needed_until_ms {
        return Err(Block::new(
            BlockReason::ForecastTooShort,
            format!(
                "the forecast ends {}s before the new capacity must be ready; lengthen the Forecaster's horizon",
                (needed_until_ms - forecast.end_ms()) / 1000
            ),
        ));
    }
    check_skill(forecast, guardrails)?;
    Ok(forecast)
}

/// The skill gate, then the optional MASE gate.
fn check_skill(forecast: &ForecastView, guardrails: &Guardrails) -> Result<(), Block> {
    let min_skill = guardrails.min_forecast_skill;
    match forecast.skill {
        None => {
            return Err(Block::new(
                BlockReason::AccuracyUnknown,
                "the forecast's skill has not been measured yet, so it cannot be checked against minForecastSkill",
            ));
        }
        Some(skill) if !skill.is_finite() || skill < min_skill => {
            return Err(Block::new(
                BlockReason::LowForecastAccuracy,
                format!(
                    "forecast skill {skill:.2} is below minForecastSkill {min_skill:.2}: its errors are not enough \
                     smaller than those of repeating the last value, which the HPA does anyway"
                ),
            ));
        }
        Some(_) => {}
    }
    let Some(max_error) = guardrails.max_forecast_error else { return Ok(()) };
    match forecast.accuracy {
        None => Err(Block::new(
            BlockReason::AccuracyUnknown,
            "the forecast's MASE has not been measured yet, so it cannot be checked against maxForecastError",
        )),
        Some(error) if !error.is_finite() || error > max_error => Err(Block::new(
            BlockReason::LowForecastAccuracy,
            format!("forecast error (MASE) {error:.2} is above maxForecastError {max_error:.2}"),
        )),
        Some(_) => Ok(()),
    }
}

fn check_shape(forecast: &ForecastView) -> Result<(), Block> {
    let invalid =
        |problem: String| Err(Block::new(BlockReason::InvalidForecast, format!("the forecast is unusable: {problem}")));
    if forecast.step_ms <= 0 {
        return invalid("its step is not positive".to_owned());
    }
    if forecast.points.is_empty() {
        return invalid("it has no points".to_owned());
    }
    if forecast.quantiles.is_empty() || forecast.quantiles.iter().any(|q| !(q.is_finite() && *q > 0.0 && *q < 1.0)) {
        return invalid("its quantiles are not all strictly between 0 and 1".to_owned());
    }
    for (name, rows) in [("row", &forecast.points), ("peak row", &forecast.peaks)] {
        if let Some(row) = rows.iter().position(|row| row.len() != forecast.quantiles.len()) {
            return invalid(format!("{name} {row} does not hold one value per quantile"));
        }
        if let Some(row) = rows.iter().position(|row| row.iter().any(|v| !v.is_finite())) {
            return invalid(format!("{name} {row} holds a value that is not a finite number"));
        }
    }
    Ok(())
}
