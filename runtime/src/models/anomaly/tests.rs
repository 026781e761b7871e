//! Detector behaviour on series with known answers. Time is event time: nothing here sleeps.

use augur_crds::kinds::anomaly_detector::Direction;

use super::*;
use crate::models::SeriesModel;

const FIVE_MINUTES: i64 = 300_000;
const DAY_POINTS: usize = 288;

/// A deterministic noise source in [-0.5, 0.5).
fn noise(seed: &mut u64) -> f64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    (*seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}

fn daily(i: usize) -> f64 {
    100.0 + 30.0 * (i as f64 / DAY_POINTS as f64 * std::f64::consts::TAU).sin()
}

fn run(values: &[f64]) -> (AnomalyDetector, Vec<Assessment>) {
    let mut detector = AnomalyDetector::new(DetectorParams::default());
    let results = values.iter().enumerate().map(|(i, &v)| detector.update(i as i64 * FIVE_MINUTES, v)).collect();
    (detector, results)
}

fn reported(results: &[Assessment]) -> Vec<usize> {
    let threshold = DetectorParams::default().score_threshold;
    results.iter().enumerate().filter(|(_, a)| a.score >= threshold).map(|(i, _)| i).collect()
}

#[test]
fn a_known_spike_is_flagged_at_once_and_only_once() {
    let mut seed = 7;
    let mut values: Vec<f64> = (0..5 * DAY_POINTS).map(|i| daily(i) + 2.0 * noise(&mut seed)).collect();
    let spike = 3 * DAY_POINTS + 100;
    values[spike] += 80.0;
    let (_, results) = run(&values);
    assert_eq!(reported(&results), [spike], "the spike, and nothing else");
    let at_spike = &results[spike];
    assert_eq!(at_spike.deviation, Deviation::Up);
    assert!(at_spike.value_outside_band(values[spike]), "the spike lies above the band: {at_spike:?}");
    assert!((at_spike.expected - daily(spike)).abs() < 10.0, "expected follows the daily pattern: {at_spike:?}");
}

#[test]
fn a_drop_is_flagged_downwards() {
    let mut seed = 11;
    let mut values: Vec<f64> = (0..4 * DAY_POINTS).map(|i| daily(i) + 2.0 * noise(&mut seed)).collect();
    let start = 3 * DAY_POINTS;
    values[start..start + 20].iter_mut().for_each(|v| *v -= 60.0);
    let (_, results) = run(&values);
    let flagged = reported(&results);
    assert!(!flagged.is_empty() && flagged[0] >= start && flagged[0] < start + 3, "flagged at the start: {flagged:?}");
    assert_eq!(results[flagged[0]].deviation, Deviation::Down);
}

#[test]
fn flat_and_perfectly_periodic_series_raise_nothing() {
    let flat = vec![42.0; 3 * DAY_POINTS];
    let (_, results) = run(&flat);
    assert!(results.iter().all(|a| a.score == 0.0), "a flat line is never anomalous");

    let periodic: Vec<f64> = (0..6 * DAY_POINTS).map(daily).collect();
    let (_, results) = run(&periodic);
    assert_eq!(reported(&results), Vec::<usize>::new(), "a perfect daily pattern is never anomalous");
}

#[test]
fn the_daily_period_is_found() {
    let mut seed = 3;
    let values: Vec<f64> = (0..4 * DAY_POINTS).map(|i| daily(i) + noise(&mut seed)).collect();
    let (detector, _) = run(&values);
    assert_eq!(detector.period(), Some(86_400_000));

    let values: Vec<f64> = (0..4 * DAY_POINTS).map(|_| 50.0 + 5.0 * noise(&mut seed)).collect();
    let (detector, _) = run(&values);
    assert_eq!(detector.period(), None, "noise has no season");
}

#[test]
fn results_are_deterministic_and_warm_up_is_quiet() {
    let mut seed = 5;
    let values: Vec<f64> = (0..2 * DAY_POINTS).map(|i| daily(i) + 10.0 * noise(&mut seed)).collect();
    let (_, first) = run(&values);
    let (_, second) = run(&values);
    assert_eq!(first, second);
    let warm_up = DetectorParams::default().warm_up_points as usize;
    assert!(first[..warm_up - 1].iter().all(|a| a.reason == Reason::WarmingUp && a.score == 0.0));
}

#[test]
fn missing_points_and_irregular_timestamps_do_not_break_it() {
    let mut detector = AnomalyDetector::new(DetectorParams::default());
    let mut seed = 9;
    let mut time = 0;
    for i in 0..3 * DAY_POINTS {
        // Gaps of one to five intervals, and an hour-long outage of the source.
        time += FIVE_MINUTES * (1 + (noise(&mut seed) + 0.5).mul_add(4.0, 0.0) as i64)
            + if i == 500 { 3_600_000 } else { 0 };
        let assessment = detector.update(time, daily(i) + noise(&mut seed));
        assert!(assessment.score.is_finite() && (0.0..=1.0).contains(&assessment.score));
        assert!(assessment.expected.is_finite() && assessment.lower <= assessment.upper);
    }
}

#[test]
fn extreme_values_stay_finite() {
    let mut detector = AnomalyDetector::new(DetectorParams::default());
    for (i, value) in [0.0, 1e300, -1e300, 1e-300, 0.0].iter().cycle().take(2000).enumerate() {
        let assessment = detector.update(i as i64 * FIVE_MINUTES, *value);
        assert!((0.0..=1.0).contains(&assessment.score), "{assessment:?}");
    }
}

#[test]
fn a_deepening_drop_is_one_incident_with_its_start_peak_and_end() {
    let mut seed = 13;
    let mut values: Vec<f64> = (0..5 * DAY_POINTS).map(|i| daily(i) + 2.0 * noise(&mut seed)).collect();
    // A drop that deepens after ten points: the per-point score rises again, the incident stays one.
    let (start, length) = (3 * DAY_POINTS + 40, 30);
    values[start..start + length].iter_mut().enumerate().for_each(|(i, v)| *v -= if i < 10 { 12.0 } else { 60.0 });
    let (_, results) = run(&values);
    let raw_reports = reported(&results).into_iter().filter(|&i| (start..start + length).contains(&i)).count();
    assert!(raw_reports >= 2, "the raw score rises more than once during the drop: {raw_reports}");
    let incidents: Vec<(usize, &Incident)> =
        results.iter().enumerate().filter_map(|(i, a)| a.incident.as_ref().map(|incident| (i, incident))).collect();
    let opened: Vec<usize> =
        incidents.iter().filter(|(_, incident)| incident.status == IncidentStatus::Opened).map(|(i, _)| *i).collect();
    assert_eq!(opened.len(), 1, "one incident, though the raw score rose {raw_reports} times: {opened:?}");
    assert!((start..start + 3).contains(&opened[0]), "reported at its start: {opened:?}");
    let closed: Vec<&Incident> =
        incidents.iter().map(|(_, incident)| *incident).filter(|i| i.status == IncidentStatus::Closed).collect();
    assert_eq!(closed.len(), 1);
    let at = |index: usize| index as i64 * FIVE_MINUTES;
    assert_eq!(closed[0].start, at(opened[0]));
    assert!(closed[0].end.is_some_and(|end| end >= at(start) && end <= at(start + length + 2)), "{:?}", closed[0]);
    assert!(closed[0].peak.score >= results[opened[0]].score, "the peak is at least the opening score");
    assert!((at(start)..at(start + length)).contains(&closed[0].peak.timestamp), "the peak lies in the drop");
}

#[test]
fn the_direction_decides_which_deviations_open_incidents() {
    let mut seed = 17;
    let mut values: Vec<f64> = (0..4 * DAY_POINTS).map(|i| daily(i) + 2.0 * noise(&mut seed)).collect();
    let spike = 3 * DAY_POINTS + 100;
    values[spike] += 80.0;
    for (direction, expected) in [(Direction::Up, 1), (Direction::Down, 0), (Direction::Both, 1)] {
        let mut detector = AnomalyDetector::new(DetectorParams { direction, ..DetectorParams::default() });
        let opened = values
            .iter()
            .enumerate()
            .map(|(i, &v)| detector.update(i as i64 * FIVE_MINUTES, v))
            .filter(|a| a.incident.is_some_and(|i| i.status == IncidentStatus::Opened))
            .count();
        assert_eq!(opened, expected, "{direction:?}");
    }
}
