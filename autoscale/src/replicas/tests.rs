//! The replica floor with an injected clock: bounds, step limits, cooldown, each gate, freezes.

use augur_crds::common::Duration;
use augur_crds::kinds::autoscale_policy::{Guardrails, LocalRef, ReplicaPolicy};

use super::*;
use crate::History;

const MIN: i64 = 60_000;
const NOW: i64 = 1_700_000_000_000;

fn policy() -> ReplicaPolicy {
    ReplicaPolicy {
        forecaster_ref: LocalRef { name: "load".into() },
        series: "rps".into(),
        quantile: 0.9,
        capacity_per_replica: 100.0,
        min_replicas: 2,
        max_replicas: 20,
        lead_time: Duration::from_secs(120),
    }
}

fn guardrails() -> Guardrails {
    Guardrails {
        max_step_up: 4,
        max_step_down: 2,
        cooldown: Duration::from_secs(300),
        min_forecast_skill: 0.0,
        max_forecast_error: None,
        freeze_scale_down_on: Vec::new(),
    }
}

/// A forecast made at `NOW` of one-minute steps whose 0.9 quantile is `loads` and median 80% of it.
fn forecast(loads: &[f64]) -> ForecastView {
    ForecastView {
        start_ms: NOW,
        step_ms: MIN,
        quantiles: vec![0.1, 0.5, 0.9],
        points: loads.iter().map(|&load| vec![load * 0.5, load * 0.8, load]).collect(),
        peaks: Vec::new(),
        generated_at_ms: NOW,
        accuracy: Some(0.6),
        skill: Some(0.3),
        history: None,
        model_ready: true,
    }
}

fn flat(load: f64) -> ForecastView {
    forecast(&[load; 30])
}

fn memory(floor: i32, changed_ago_ms: i64) -> FloorMemory {
    FloorMemory { floor: Some(floor), changed_at_ms: Some(NOW - changed_ago_ms) }
}

fn decide(f: Option<&ForecastView>, mem: FloorMemory, freeze: bool) -> ReplicaDecision {
    replica_floor(&policy(), &guardrails(), f, &mem, 1, freeze, NOW)
}

fn reason(d: &ReplicaDecision) -> Option<BlockReason> {
    d.block.as_ref().map(|block| block.reason)
}

#[test]
fn floor_is_ceil_of_load_over_capacity() {
    let d = decide(Some(&flat(530.0)), memory(5, 10 * MIN), false);
    assert_eq!(d.floor, 6);
    assert_eq!(d.recommended, Some(6));
    assert_eq!(d.forecast_load, Some(530.0));
    assert_eq!(d.block, None);
    // Exactly 5 pods of load needs 5, not 6.
    assert_eq!(decide(Some(&flat(500.0)), memory(5, 10 * MIN), false).floor, 5);
}

#[test]
fn uses_the_window_up_to_lead_time_plus_one_step() {
    // Lead 2 min + step 1 min: rows 0..3 count, the spike in row 3 does not.
    let mut loads = [300.0; 30];
    loads[2] = 700.0;
    loads[3] = 1900.0;
    let d = decide(Some(&forecast(&loads)), memory(3, 10 * MIN), false);
    assert_eq!(d.recommended, Some(7));
    assert_eq!(d.forecast_load, Some(700.0));
}

#[test]
fn interpolates_the_policy_quantile() {
    let mut p = policy();
    p.quantile = 0.7; // halfway between 0.5 (0.8·load) and 0.9 (load)
    let d = replica_floor(&p, &guardrails(), Some(&flat(1000.0)), &memory(9, 10 * MIN), 1, false, NOW);
    assert!((d.forecast_load.unwrap() - 900.0).abs() < 1e-9);
    assert_eq!(d.floor, 9);
}

#[test]
fn clamped_to_policy_bounds_and_never_below_the_hpa_floor() {
    assert_eq!(decide(Some(&flat(10.0)), memory(2, 10 * MIN), false).floor, 2);
    let d = decide(Some(&flat(100_000.0)), memory(18, 10 * MIN), false);
    assert_eq!(d.recommended, Some(20));
    assert_eq!(d.floor, 20);
    let d = replica_floor(&policy(), &guardrails(), Some(&flat(10.0)), &memory(5, 10 * MIN), 5, false, NOW);
    assert_eq!(d.recommended, Some(5));
    assert_eq!(d.floor, 5);
}

#[test]
fn scale_up_is_limited_per_change_but_ignores_cooldown() {
    let d = decide(Some(&flat(1500.0)), memory(3, 0), false);
    assert_eq!(d.recommended, Some(15));
    assert_eq!(d.floor, 7);
    assert_eq!(reason(&d), Some(BlockReason::StepLimit));
    let d = decide(Some(&flat(500.0)), memory(3, 0), false);
    assert_eq!((d.floor, d.block), (5, None));
}

#[test]
fn scale_down_waits_for_cooldown_then_steps() {
    let f = flat(300.0);
    let d = decide(Some(&f), memory(10, 4 * MIN), false);
    assert_eq!(d.floor, 10);
    assert_eq!(reason(&d), Some(BlockReason::Cooldown));
    assert!(d.block.unwrap().message.contains("60s"));
    let d = decide(Some(&f), memory(10, 5 * MIN), false);
    assert_eq!(d.floor, 8);
    assert_eq!(reason(&d), Some(BlockReason::StepLimit));
    let d = decide(Some(&f), memory(4, 5 * MIN), false);
    assert_eq!((d.floor, d.block), (3, None));
}

#[test]
fn the_first_decision_starts_from_the_hpa_floor_without_cooldown() {
    let d = decide(Some(&flat(300.0)), FloorMemory::default(), false);
    assert_eq!(d.floor, 3);
    let mem = FloorMemory::default().after(&d, NOW);
    assert_eq!(mem, FloorMemory { floor: Some(3), changed_at_ms: Some(NOW) });
    // An unchanged floor keeps the old change time.
    assert_eq!(mem.after(&d, NOW + MIN), mem);
}

#[test]
fn anomaly_freezes_scale_down_only() {
    let d = decide(Some(&flat(300.0)), memory(10, 60 * MIN), true);
    assert_eq!(d.floor, 10);
    assert_eq!(reason(&d), Some(BlockReason::AnomalyActive));
    let d = decide(Some(&flat(1200.0)), memory(10, 0), true);
    assert_eq!((d.floor, d.block), (12, None));
}

#[test]
fn no_forecast_releases_the_floor() {
    let d = decide(None, memory(10, 0), false);
    assert_eq!(d.floor, 1);
    assert_eq!(d.recommended, None);
    assert_eq!(reason(&d), Some(BlockReason::NoForecast));
    assert!(d.released());
}

#[test]
fn stale_forecast_releases_the_floor() {
    let mut f = flat(500.0);
    f.generated_at_ms = NOW - 3 * MIN;
    assert_eq!(decide(Some(&f), memory(5, 0), false).block, None);
    f.generated_at_ms = NOW - 3 * MIN - 1;
    let d = decide(Some(&f), memory(5, 0), false);
    assert_eq!((d.floor, reason(&d)), (1, Some(BlockReason::StaleForecast)));
}

#[test]
fn model_not_ready_without_history_releases_the_floor() {
    let mut f = flat(500.0);
    f.model_ready = false;
    let d = decide(Some(&f), memory(5, 0), false);
    assert_eq!((d.floor, reason(&d)), (1, Some(BlockReason::ModelNotReady)));
}

#[test]
fn unskilled_or_unmeasured_forecast_releases_the_floor() {
    let mut f = flat(500.0);
    f.skill = Some(0.0);
    assert_eq!(decide(Some(&f), memory(5, 0), false).floor, 5);
    f.skill = Some(-0.01);
    let d = decide(Some(&f), memory(5, 0), false);
    assert_eq!((d.floor, reason(&d)), (1, Some(BlockReason::LowForecastAccuracy)));
    assert_eq!(d.forecast_skill, Some(-0.01), "the skill is reported when it releases the floor too");
    assert!(d.block.unwrap().message.contains("skill -0.01"));
    f.skill = None;
    assert_eq!(reason(&decide(Some(&f), memory(5, 0), false)), Some(BlockReason::AccuracyUnknown));
}

#[test]
fn the_optional_mase_gate_applies_only_when_set() {
    let mut g = guardrails();
    let mut f = flat(500.0);
    f.accuracy = Some(2.5);
    assert_eq!(replica_floor(&policy(), &g, Some(&f), &memory(5, 0), 1, false, NOW).floor, 5);
    g.max_forecast_error = Some(2.0);
    let d = replica_floor(&policy(), &g, Some(&f), &memory(5, 0), 1, false, NOW);
    assert_eq!((d.floor, reason(&d)), (1, Some(BlockReason::LowForecastAccuracy)));
    assert!(d.block.unwrap().message.contains("(MASE) 2.50"));
}

#[test]
fn the_window_is_sized_by_its_peak_quantile() {
    // Every step's 0.9 quantile is 300, but the 0.9 quantile of the largest of three steps is 450.
    let mut f = flat(300.0);
    f.peaks = (0..30).map(|row| vec![150.0, 240.0 + 30.0 * row as f64, 300.0 + 75.0 * row as f64]).collect();
    let d = decide(Some(&f), memory(3, 10 * MIN), false);
    assert_eq!(d.forecast_load, Some(450.0));
    assert_eq!(d.floor, 5);
}

#[test]
fn partial_history_follows_a_share_of_the_rise() {
    let mut f = flat(900.0);
    f.model_ready = false;
    f.history = Some(History { points: 50, needed: 100 });
    // The forecast asks for 9; the HPA's own floor is 1; half of the 8 above it is trusted.
    let d = decide(Some(&f), memory(5, 10 * MIN), false);
    assert_eq!(d.floor, 5);
    assert_eq!((d.partial_trust, d.forecast_skill), (Some(0.5), Some(0.3)));
    assert_eq!(reason(&d), Some(BlockReason::PartialHistory));
    assert!(!d.released());
    // 50 steps of a minute are left.
    assert!(d.block.unwrap().message.contains("50m"), "the message gives the time left");
    f.history = Some(History { points: 100, needed: 100 });
    assert_eq!(decide(Some(&f), memory(5, 10 * MIN), false).floor, 9);
}

#[test]
fn scale_down_is_held_while_the_load_returns_within_cooldown_and_lead() {
    // Load is low for six minutes and back at minute 6: within cooldown (5) + lead (2) + one step.
    let mut loads = [900.0; 30];
    loads[..6].fill(200.0);
    let d = decide(Some(&forecast(&loads)), memory(9, 10 * MIN), false);
    assert_eq!(d.recommended, Some(2));
    assert_eq!((d.floor, reason(&d)), (9, Some(BlockReason::LoadReturning)));
    // Back only at minute 9: out of the window, so the floor may fall (by the step limit).
    loads[..9].fill(200.0);
    let d = decide(Some(&forecast(&loads)), memory(9, 10 * MIN), false);
    assert_eq!((d.floor, reason(&d)), (7, Some(BlockReason::StepLimit)));
    // Partly back: the floor falls only to what the returning load needs.
    let mut loads = [600.0; 30];
    loads[..6].fill(200.0);
    let d = decide(Some(&forecast(&loads)), memory(7, 10 * MIN), false);
    assert_eq!((d.floor, d.block), (6, None));
}

#[test]
fn short_or_malformed_forecast_releases_the_floor() {
    let short = forecast(&[500.0]);
    assert_eq!(reason(&decide(Some(&short), memory(5, 0), false)), Some(BlockReason::ForecastTooShort));
    let mut bad = flat(500.0);
    bad.points[1][2] = f64::NAN;
    assert_eq!(reason(&decide(Some(&bad), memory(5, 0), false)), Some(BlockReason::InvalidForecast));
    let mut ragged = flat(500.0);
    ragged.points[0].pop();
    assert_eq!(reason(&decide(Some(&ragged), memory(5, 0), false)), Some(BlockReason::InvalidForecast));
    let mut empty = flat(500.0);
    empty.points.clear();
    assert_eq!(reason(&decide(Some(&empty), memory(5, 0), false)), Some(BlockReason::InvalidForecast));
}

#[test]
fn release_is_held_by_an_active_anomaly() {
    let d = decide(None, memory(10, 0), true);
    assert_eq!(d.floor, 10);
    assert_eq!(reason(&d), Some(BlockReason::AnomalyActive));
    assert!(d.block.unwrap().message.contains("no forecast"));
}

#[test]
fn bad_capacity_is_an_invalid_policy() {
    let mut p = policy();
    p.capacity_per_replica = 0.0;
    let d = replica_floor(&p, &guardrails(), Some(&flat(500.0)), &memory(5, 0), 1, false, NOW);
    assert_eq!((d.floor, reason(&d)), (1, Some(BlockReason::InvalidPolicy)));
}

#[test]
fn reasons_are_camel_case_strings() {
    assert_eq!(BlockReason::LowForecastAccuracy.to_string(), "LowForecastAccuracy");
    assert_eq!(BlockReason::AnomalyActive.as_str(), "AnomalyActive");
    assert!(!BlockReason::Cooldown.releases_floor());
}
