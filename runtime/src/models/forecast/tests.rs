//! Forecaster behaviour on series with known answers; time is steps, nothing sleeps.

use std::f64::consts::TAU;

use super::*;

const DAY: usize = 288;

fn params() -> ForecastParams {
    ForecastParams::default()
}

/// Deterministic noise in [-0.5, 0.5).
fn noise(seed: &mut u64) -> f64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    (*seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

fn daily(step: usize) -> f64 {
    100.0 + 40.0 * (step as f64 / DAY as f64 * TAU).sin()
}

#[test]
fn a_known_daily_pattern_is_forecast_within_tolerance() {
    let mut model = Forecaster::new(params());
    let mut seed = 1;
    let history = 5 * DAY + 37;
    (0..history).for_each(|step| model.update(daily(step) + 2.0 * noise(&mut seed)));
    let forecast = model.forecast();
    assert_eq!(forecast.points.len(), params().horizon);
    for k in 0..forecast.points.len() {
        let truth = daily(history + k);
        let median = forecast.median(k).unwrap_or(f64::NAN);
        assert!((median - truth).abs() < 5.0, "step {k}: forecast {median:.2}, truth {truth:.2}");
    }
}

#[test]
fn a_level_shift_is_followed() {
    let mut model = Forecaster::new(params());
    let mut seed = 2;
    (0..600).for_each(|_| model.update(100.0 + noise(&mut seed)));
    (0..60).for_each(|_| model.update(150.0 + noise(&mut seed)));
    let median = model.forecast().median(0).unwrap_or(f64::NAN);
    assert!((median - 150.0).abs() < 5.0, "after an hour at the new level the forecast follows it: {median:.2}");
}

#[test]
fn quantiles_are_ordered_at_every_step() {
    let mut model = Forecaster::new(params());
    let mut seed = 3;
    for step in 0..3 * DAY {
        model.update(daily(step) + 20.0 * noise(&mut seed) + if step % 97 == 0 { 300.0 } else { 0.0 });
        for row in model.forecast().points {
            assert!(row.windows(2).all(|pair| pair[0] <= pair[1]), "step {step}: {row:?}");
        }
    }
}

#[test]
fn interval_coverage_on_noise_is_near_nominal() {
    let mut model = Forecaster::new(params());
    let mut seed = 4;
    let (mut below_p90, mut above_p10, mut scored) = (0, 0, 0);
    let quantiles = params().quantiles;
    let (p10, p90) = (0, quantiles.len() - 1);
    for step in 0..20_000 {
        let value = 50.0 + 10.0 * (noise(&mut seed) + noise(&mut seed) + noise(&mut seed));
        if step >= 2_000 {
            let row = &model.forecast().points[0];
            below_p90 += usize::from(value <= row[p90]);
            above_p10 += usize::from(value >= row[p10]);
            scored += 1;
        }
        model.update(value);
    }
    let (upper, lower) = (below_p90 as f64 / scored as f64, above_p10 as f64 / scored as f64);
    assert!((0.85..=0.95).contains(&upper), "share at or below p{}: {upper:.3}", quantiles[p90] * 100.0);
    assert!((0.85..=0.95).contains(&lower), "share at or above p{}: {lower:.3}", quantiles[p10] * 100.0);
}

#[test]
fn readiness_reports_history_seen_and_needed() {
    let mut model = Forecaster::new(params());
    assert_eq!(model.readiness().points, 0);
    assert!(!model.readiness().is_ready());
    let needed = model.readiness().needed;
    assert!(needed >= 2, "a model needs some history: {needed}");
    (0..needed).for_each(|step| model.update(daily(step as usize)));
    assert!(model.readiness().is_ready());
    assert_eq!(model.readiness().points, needed);
    assert!(model.forecast().points.iter().flatten().all(|v| v.is_finite()));
}

#[test]
fn non_finite_input_is_ignored() {
    let mut model = Forecaster::new(params());
    (0..100).for_each(|_| model.update(10.0));
    [f64::NAN, f64::INFINITY, f64::NEG_INFINITY].into_iter().for_each(|v| model.update(v));
    assert_eq!(model.readiness().points, 100);
    assert!(model.forecast().points.iter().flatten().all(|v| v.is_finite()));
}

#[test]
fn the_processor_aligns_points_onto_steps_and_bridges_short_gaps() {
    use std::sync::Arc;

    use crate::{pipeline::Processor, record::MetricPoint};

    let mut processor = ForecastProcessor::new(params(), 10);
    let series: crate::record::SeriesId = Arc::from("rps");
    let mut out = Vec::new();
    let step = params().step_ms;
    // Two points in the first step, one in the second, then a gap of three steps.
    for (t, v) in [(0, 10.0), (step / 2, 20.0), (step, 30.0), (5 * step, 40.0)] {
        processor.process(MetricPoint { series: series.clone(), timestamp: t, value: v }, &mut out);
    }
    let closed: Vec<(i64, f64)> = out.iter().map(|s| (s.timestamp, s.value)).collect();
    assert_eq!(closed, [(0, 15.0), (step, 30.0)], "a step closes with the mean of its points");
    let flushed = processor.flush();
    assert_eq!(flushed.iter().map(|s| (s.timestamp, s.value)).collect::<Vec<_>>(), [(5 * step, 40.0)]);
    assert_eq!(flushed[0].readiness.points, 6, "two steps, three bridged, one flushed");
}

/// A daily rush: 100 at night, 1000 from step 108 to 216 of the day, exactly, every day.
fn rush(step: usize) -> f64 {
    if (108..216).contains(&(step % DAY)) { 1000.0 } else { 100.0 }
}

fn with_algorithm(algorithm: augur_crds::kinds::forecaster::ForecastAlgorithm) -> ForecastParams {
    ForecastParams { algorithm, ..params() }
}

#[test]
fn seasonal_naive_repeats_the_last_season_from_the_first_one_on() {
    use augur_crds::kinds::forecaster::ForecastAlgorithm;
    let mut model = Forecaster::new(with_algorithm(ForecastAlgorithm::SeasonalNaive));
    // One day and 100 steps: the next steps cross the rush's onset at step 108.
    let history = DAY + 100;
    (0..history).for_each(|step| model.update(rush(step) + 5.0 * ((step % 3) as f64 - 1.0)));
    let forecast = model.forecast();
    for k in 0..forecast.points.len() {
        let yesterday = rush(history + k) + 5.0 * (((history + k) % 3) as f64 - 1.0);
        assert_eq!(forecast.median(k), Some(yesterday), "step {k} repeats the value one day before");
    }
}

#[test]
fn a_named_model_forecasts_alone() {
    use augur_crds::kinds::forecaster::ForecastAlgorithm;
    // A ramp: Theta follows its drift, exponential smoothing without trend lags a level behind; Auto differs from
    // both. Each named model gives its own forecast.
    let ramp = |step: usize| 10.0 + step as f64;
    let forecast = |algorithm| {
        let mut model = Forecaster::new(ForecastParams { seasonal: false, ..with_algorithm(algorithm) });
        (0..400).for_each(|step| model.update(ramp(step)));
        model.forecast().median(5).unwrap_or(f64::NAN)
    };
    let (theta, smoothing, naive) = (
        forecast(ForecastAlgorithm::Theta),
        forecast(ForecastAlgorithm::ExponentialSmoothing),
        forecast(ForecastAlgorithm::SeasonalNaive),
    );
    assert_eq!(naive, ramp(399), "without a season, the last value");
    assert!(theta > ramp(399), "Theta extrapolates the drift: {theta}");
    assert!((smoothing - ramp(405)).abs() < 10.0, "damped-trend Holt follows a clean ramp: {smoothing}");
    assert!((theta - smoothing).abs() > 0.5 && (theta - naive).abs() > 0.5);
}

#[test]
fn a_sharp_daily_rush_is_anticipated_from_the_second_day() {
    let mut model = Forecaster::new(params());
    let mut seed = 5;
    // Two days and the night before the third rush; the rush starts two steps ahead.
    let history = 2 * DAY + 106;
    (0..history).for_each(|step| model.update(rush(step) * (1.0 + 0.05 * noise(&mut seed))));
    let forecast = model.forecast();
    let median = forecast.median(2).unwrap_or(f64::NAN);
    assert!(median > 700.0, "the onset two steps ahead is forecast: {median:.0}");
    let before = forecast.median(0).unwrap_or(f64::NAN);
    assert!(before < 300.0, "the step before it is still night: {before:.0}");
    // The peak of the first three steps, at the 0.9 quantile, is at least each step's own 0.9 quantile.
    let (peaks, top) = (&forecast.peaks, forecast.quantiles.len() - 1);
    assert!((0..=2).all(|k| peaks[2][top] >= forecast.points[k][top]), "{:?}", peaks[2]);
    assert!(peaks[2][top] > 800.0, "{:?}", peaks[2]);
    assert!(peaks.windows(2).all(|w| w[1].iter().zip(&w[0]).all(|(b, a)| b >= a)), "peaks grow with the window");
}

#[test]
fn skill_is_measured_against_the_last_value_and_restarts_with_the_full_model() {
    let mut model = Forecaster::new(params());
    let needed = model.readiness().needed as usize;
    let mut seed = 6;
    (0..needed - 1).for_each(|step| model.update(rush(step) * (1.0 + 0.05 * noise(&mut seed))));
    assert!(model.accuracy().skill.is_some(), "the warm-up models' skill is measured");
    model.update(rush(needed - 1));
    assert_eq!(model.accuracy().skill, None, "the full model starts unmeasured");
    (needed..needed + DAY).for_each(|step| model.update(rush(step) * (1.0 + 0.05 * noise(&mut seed))));
    let skill = model.accuracy().skill.unwrap_or(f64::NAN);
    assert!(skill > 0.3, "a day of the full model beats the last value on a daily rush: {skill:.2}");
}
