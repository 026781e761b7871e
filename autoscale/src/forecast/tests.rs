//! Reading forecasts: quantile interpolation, windows, peaks, conversion from a published forecast.

use super::*;

fn assert_close(actual: Option<f64>, expected: f64) {
    let actual = actual.unwrap();
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

fn view(points: Vec<Vec<f64>>) -> ForecastView {
    ForecastView {
        start_ms: 1_000,
        step_ms: 100,
        quantiles: vec![0.1, 0.5, 0.9],
        points,
        peaks: Vec::new(),
        generated_at_ms: 1_000,
        accuracy: Some(0.5),
        skill: Some(0.3),
        history: None,
        model_ready: true,
    }
}

#[test]
fn interpolates_between_published_quantiles() {
    let qs = [0.1, 0.5, 0.9];
    let vs = [10.0, 20.0, 40.0];
    assert_close(interpolate_quantile(&qs, &vs, 0.5), 20.0);
    assert_close(interpolate_quantile(&qs, &vs, 0.7), 30.0);
    assert_close(interpolate_quantile(&qs, &vs, 0.3), 15.0);
    assert_close(interpolate_quantile(&qs, &vs, 0.1), 10.0);
    assert_close(interpolate_quantile(&qs, &vs, 0.9), 40.0);
}

#[test]
fn extrapolates_monotonically_outside_the_published_range() {
    let qs = [0.5, 0.9];
    let vs = [20.0, 40.0];
    let high = interpolate_quantile(&qs, &vs, 0.95).unwrap();
    assert!((high - 42.5).abs() < 1e-9, "{high}");
    let low = interpolate_quantile(&qs, &vs, 0.1).unwrap();
    assert!((low - 0.0).abs() < 1e-9, "{low}");
    // A flat or inverted pair never extrapolates the wrong way.
    assert_close(interpolate_quantile(&[0.5, 0.9], &[30.0, 30.0], 0.99), 30.0);
}

#[test]
fn sorts_unordered_columns_and_crossed_rows() {
    assert_close(interpolate_quantile(&[0.9, 0.1, 0.5], &[40.0, 10.0, 20.0], 0.7), 30.0);
    // Crossed: the 0.9 value is below the 0.5 one; rearranged, 0.9 takes the larger.
    assert_close(interpolate_quantile(&[0.5, 0.9], &[50.0, 30.0], 0.9), 50.0);
}

#[test]
fn single_quantile_and_bad_input() {
    assert_close(interpolate_quantile(&[0.5], &[7.0], 0.9), 7.0);
    assert_eq!(interpolate_quantile(&[], &[], 0.9), None);
    assert_eq!(interpolate_quantile(&[0.5, 0.9], &[1.0], 0.9), None);
    assert_eq!(interpolate_quantile(&[0.5, 0.9], &[1.0, f64::NAN], 0.9), None);
    assert_eq!(interpolate_quantile(&[0.5, 0.9], &[1.0, 2.0], f64::INFINITY), None);
}

#[test]
fn window_max_takes_overlapping_points_only() {
    let v = view(vec![vec![1.0, 2.0, 3.0], vec![1.0, 5.0, 9.0], vec![1.0, 7.0, 20.0], vec![0.0, 100.0, 200.0]]);
    assert_eq!(v.end_ms(), 1_400);
    // [1000, 1200) overlaps rows 0 and 1.
    assert_eq!(v.window_max(0.5, 1_000, 1_200), Some(5.0));
    // [1150, 1201) touches rows 1 and 2.
    assert_eq!(v.window_max(0.9, 1_150, 1_201), Some(20.0));
    assert_eq!(v.window_max(0.9, 1_400, 1_500), None);
    assert_eq!(v.window_max(0.9, 0, 1_000), None);
}

#[test]
fn converts_a_published_forecast() {
    let yaml = r"
series: load
generatedAt: 2026-01-01T00:00:00Z
start: 2026-01-01T00:05:00Z
step: 5m
quantiles: [0.5, 0.9]
points: [[1.0, 2.0], [3.0, 4.0]]
peaks: [[1.0, 2.0], [3.5, 5.0]]
accuracy: {mase: 0.8, coverage: 0.9, skill: 0.25}
warmUp: {points: 100, needed: 300, readyAt: 2026-01-01T16:40:00Z}
";
    let published: PublishedForecast = serde_saphyr::from_str(yaml).unwrap();
    let v = ForecastView::from(&published);
    assert_eq!(v.step_ms, 300_000);
    assert_eq!(v.start_ms - v.generated_at_ms, 300_000);
    assert_eq!(v.accuracy, Some(0.8));
    assert_eq!(v.skill, Some(0.25));
    assert_eq!(v.history, Some(History { points: 100, needed: 300 }));
    assert!(v.model_ready);
    assert_close(v.quantile_at(1, 0.7), 3.5);
    assert_close(v.window_peak(0.9, v.start_ms, v.end_ms()), 5.0);
}

#[test]
fn window_peak_reads_the_peak_row_of_the_window_end() {
    let mut v = view(vec![vec![1.0, 2.0, 3.0], vec![1.0, 5.0, 9.0], vec![1.0, 7.0, 20.0]]);
    // Without peaks: the largest per-step quantile.
    assert_eq!(v.window_peak(0.9, 1_000, 1_200), Some(9.0));
    // The quantile of the largest value over rows 0..=1 is above both steps' own 0.9 quantiles.
    v.peaks = vec![vec![1.0, 2.0, 3.0], vec![2.0, 6.0, 12.0], vec![2.0, 8.0, 24.0]];
    assert_eq!(v.window_peak(0.9, 1_000, 1_200), Some(12.0));
    assert_eq!(v.window_peak(0.9, 1_150, 1_300), Some(24.0));
    // A peak row below one of its steps' quantiles is not believed.
    v.peaks[2] = vec![1.0, 1.0, 1.0];
    assert_eq!(v.window_peak(0.9, 1_150, 1_300), Some(20.0));
    assert_eq!(v.window_peak(0.9, 1_300, 1_400), None);
}

#[test]
fn history_fraction_is_bounded() {
    assert_eq!(History { points: 50, needed: 200 }.fraction(), 0.25);
    assert_eq!(History { points: 500, needed: 200 }.fraction(), 1.0);
    assert!(History { points: 200, needed: 200 }.complete());
    assert_eq!(History { points: 0, needed: 0 }.fraction(), 1.0);
}
