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
