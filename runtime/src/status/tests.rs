//! A Forecaster pod's entries: selection, bounds, rounding, accuracy and honest progress.

use augur_crds::kinds::forecaster::{ForecastAccuracy, PublishedForecast};
use serde_json::json;

use super::*;
use crate::models::forecast::{Accuracy, Forecast, Readiness};

mod merging;
mod publishing;

const NOW: i64 = 1_800_000_000_000;
const STEP: i64 = 300_000;

fn forecast(columns: usize, rows: usize, base: f64) -> Forecast {
    let quantiles: Vec<f64> = (1..=columns).map(|i| i as f64 / (columns + 1) as f64).collect();
    let points: Vec<Vec<f64>> =
        (0..rows).map(|k| (0..columns).map(|c| base + k as f64 + c as f64 / 3.0).collect()).collect();
    let peaks = points.iter().map(|row| row.iter().map(|v| v + 0.5).collect()).collect();
    Forecast { quantiles, points, peaks }
}

fn entry<'a>(series: &'a str, forecast: &'a Forecast, points: u64, needed: u64) -> SeriesForecast<'a> {
    SeriesForecast {
        series,
        start: NOW + STEP,
        step_ms: STEP,
        forecast,
        accuracy: Accuracy { mase: Some(0.5), coverage: Some(0.8), skill: Some(0.25) },
        readiness: Readiness { points, needed },
    }
}

/// What `forecast_report` gives: the published forecasts, the accuracy, and the progress.
struct Published {
    forecasts: Vec<PublishedForecast>,
    accuracy: Option<ForecastAccuracy>,
    progress: ModelProgress,
}

fn publish(all: &[SeriesForecast<'_>], wanted: Option<&[String]>, limits: &Limits) -> Published {
    match forecast_report(all, wanted, NOW, limits) {
        (KindEntries::Forecasts { forecasts, accuracy, .. }, progress) => Published { forecasts, accuracy, progress },
        other => panic!("{other:?}"),
    }
}

#[test]
fn publishes_only_the_wanted_ready_series_with_times_step_and_quantiles() {
    let (a, b) = (forecast(3, 12, 100.0), forecast(3, 12, 200.0));
    let all = [entry("rps", &a, 400, 288), entry("unrelated", &b, 400, 288)];
    let wanted = vec!["rps".to_owned()];
    let status = publish(&all, Some(&wanted), &Limits::default());
    assert_eq!(status.forecasts.len(), 1);
    let published = &status.forecasts[0];
    assert_eq!(published.series, "rps");
    assert_eq!(published.quantiles, vec![0.25, 0.5, 0.75]);
    assert_eq!(published.points.len(), 12);
    assert_eq!(published.points[1], vec![101.0, 101.333, 101.667], "six significant digits");
    assert_eq!(published.peaks[1], vec![101.5, 101.833, 102.167], "peaks are published with the points");
    assert_eq!(published.warm_up, None);
    assert_eq!(published.step.as_std().as_secs(), 300);
    assert_eq!(published.start.0.as_millisecond(), NOW + STEP);
    assert_eq!(published.generated_at.0.as_millisecond(), NOW);
    assert!(status.progress.ready);
    assert_eq!(status.progress.message, "1 of 1 series ready");
    let accuracy = ForecastAccuracy { mase: Some(0.5), coverage: Some(0.8), skill: Some(0.25) };
    assert_eq!(status.accuracy, Some(accuracy.clone()));
    assert_eq!(published.accuracy, Some(accuracy));
}

#[test]
fn warming_series_are_published_with_their_history_and_make_model_ready_false() {
    let (a, b) = (forecast(3, 4, 1.0), forecast(3, 4, 1.0));
    let all = [entry("young", &b, 48, 288), entry("ready", &a, 400, 288)];
    let wanted = vec!["ready".to_owned(), "young".to_owned(), "absent".to_owned()];
    let status = publish(&all, Some(&wanted), &Limits::default());
    assert_eq!(status.forecasts.iter().map(|f| f.series.as_str()).collect::<Vec<_>>(), ["ready", "young"]);
    let warm_up = status.forecasts[1].warm_up.clone().unwrap();
    assert_eq!((warm_up.points, warm_up.needed), (48, 288));
    assert_eq!(warm_up.ready_at.0.as_millisecond(), NOW + 240 * STEP, "240 steps of 5 minutes left");
    assert!(!status.progress.ready);
    assert_eq!(
        status.progress.message,
        "1 of 3 series ready; warming up: young: 48 of 288 steps of history, about 20h left (published with partial \
         trust); no points yet: absent"
    );
}

#[test]
fn ready_series_come_first_when_the_limit_bites() {
    let forecasts: Vec<Forecast> = (0..3).map(|i| forecast(3, 4, f64::from(i))).collect();
    let all =
        [entry("a", &forecasts[0], 10, 288), entry("b", &forecasts[1], 400, 288), entry("c", &forecasts[2], 400, 288)];
    let limits = Limits { max_series: 2, ..Limits::default() };
    let status = publish(&all, None, &limits);
    assert_eq!(status.forecasts.iter().map(|f| f.series.as_str()).collect::<Vec<_>>(), ["b", "c"]);
}

#[test]
fn nothing_seen_is_not_ready() {
    let status = publish(&[], None, &Limits::default());
    assert!(status.forecasts.is_empty());
    assert!(!status.progress.ready);
    assert_eq!(status.progress.message, "no series seen yet");
    assert!(status.accuracy.is_none());
}

#[test]
fn series_points_and_values_are_bounded() {
    let forecasts: Vec<Forecast> = (0..40).map(|i| forecast(3, 1000, f64::from(i))).collect();
    let names: Vec<String> = (0..40).map(|i| format!("s{i:02}")).collect();
    let all: Vec<SeriesForecast<'_>> = names.iter().zip(&forecasts).map(|(n, f)| entry(n, f, 400, 288)).collect();
    let limits = Limits { max_series: 100, max_points: 5000, max_values: 9_600 };
    let status = publish(&all, None, &limits);
    assert_eq!(status.forecasts.len(), 32, "one pod's limit");
    assert!(
        status.forecasts.iter().all(|f| f.points.len() == 50 && f.peaks.len() == 50),
        "9600 values over 32 series of 3 columns, points and peaks"
    );
    assert!(status.progress.message.ends_with("; 8 ready series not published (limit reached)"));
    let bytes = serde_json::to_vec(&status.forecasts).unwrap_or_default().len();
    assert!(bytes < 200_000, "{bytes} bytes");
}

#[test]
fn more_than_nine_quantiles_keep_the_median_and_the_outermost() {
    let wide = Forecast {
        quantiles: vec![0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99],
        points: vec![(0..11).map(f64::from).collect()],
        peaks: vec![(0..11).map(f64::from).collect()],
    };
    let status = publish(&[entry("rps", &wide, 400, 288)], None, &Limits::default());
    let published = &status.forecasts[0];
    assert_eq!(published.quantiles, vec![0.01, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99]);
    assert_eq!(published.points[0], vec![0.0, 1.0, 2.0, 3.0, 5.0, 7.0, 8.0, 9.0, 10.0]);
}

#[test]
fn non_finite_forecasts_are_withheld() {
    let mut broken = forecast(3, 4, 1.0);
    broken.points[2][1] = f64::NAN;
    let status = publish(&[entry("rps", &broken, 400, 288)], None, &Limits::default());
    assert!(status.forecasts.is_empty());
    assert_eq!(status.progress.message, "0 of 1 series ready; warming up: rps: forecast not finite");
}

#[test]
fn the_processors_entries_start_one_step_after_the_last_closed_step() {
    let entry = ("rps".into(), NOW, forecast(3, 2, 1.0), Accuracy::default(), Readiness { points: 1, needed: 1 });
    let view = SeriesForecast::from_processor(&entry, STEP);
    assert_eq!(view.start, NOW + STEP);
    assert_eq!(view.series, "rps");
}

#[test]
fn referenced_series_come_from_replicas_and_container_forecasts_of_this_forecaster() {
    let policy = |name: &str, forecaster: &str, series: &str| {
        serde_json::from_value::<augur_crds::AutoScalePolicy>(json!({
            "apiVersion": "augur.dev/v1alpha1", "kind": "AutoScalePolicy",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {
                "targetRef": {"kind": "Deployment", "name": "checkout"},
                "replicas": {"forecasterRef": {"name": forecaster}, "series": series, "capacityPerReplica": 10.0, "maxReplicas": 5},
                "resources": {"containers": [{"containerName": "app", "forecasterRef": {"name": forecaster},
                    "cpu": {"series": format!("{series}/cpu")}, "memory": {"series": format!("{series}/mem")}}]},
            },
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let policies = [policy("a", "load", "rps"), policy("b", "other", "x"), policy("c", "load", "rps")];
    assert_eq!(series_referenced_by(&policies, "load"), ["rps", "rps/cpu", "rps/mem"]);
}
