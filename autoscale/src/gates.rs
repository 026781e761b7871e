//! The checks a forecast must pass before the engine acts on it.
//!
//! Each failure names a [`BlockReason`] that releases the floor (or leaves requests untouched): the engine falls
//! back to reactive scaling rather than act on a forecast that is missing, old, too short, malformed, from a model
//! still warming up, or less accurate than the policy allows.

use crate::block::{Block, BlockReason};
use crate::forecast::ForecastView;

/// A forecast older than this many of its own steps is stale: the Forecaster has missed updates.
pub const STALE_AFTER_STEPS: i64 = 3;

/// Checks that `forecast` can be trusted for the load up to `needed_until_ms`, at `now_ms`.
pub(crate) fn check_forecast(
    forecast: Option<&ForecastView>,
    max_error: f64,
    needed_until_ms: i64,
    now_ms: i64,
) -> Result<&ForecastView, Block> {
    let Some(forecast) = forecast else {
        return Err(Block::new(BlockReason::NoForecast, "no forecast is published for the series yet"));
    };
    check_shape(forecast)?;
    if !forecast.model_ready {
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
    match forecast.accuracy {
        None => Err(Block::new(
            BlockReason::AccuracyUnknown,
            "the forecast's accuracy has not been measured yet, so it cannot be checked against maxForecastError",
        )),
        Some(error) if !error.is_finite() || error > max_error => Err(Block::new(
            BlockReason::LowForecastAccuracy,
            format!("forecast error (MASE) {error:.2} is above maxForecastError {max_error:.2}"),
        )),
        Some(_) => Ok(forecast),
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
    if let Some(row) = forecast.points.iter().position(|row| row.len() != forecast.quantiles.len()) {
        return invalid(format!("row {row} does not hold one value per quantile"));
    }
    if let Some(row) = forecast.points.iter().position(|row| row.iter().any(|v| !v.is_finite())) {
        return invalid(format!("row {row} holds a value that is not a finite number"));
    }
    Ok(())
}
