//! A Forecaster pod's entries, pure: per-series forecasts in, bounded [`PublishedForecast`]s and the models' progress
//! out. Only the series the policies reference (when a list is given), at most [`Limits::max_series`] of them, each
//! cut to a number of points that keeps the whole status small (etcd objects are limited to about 1.5 MB), values
//! rounded to 6 significant digits. A series still warming up is published with its `warmUp` (history seen and
//! needed, and when it will be ready), so a policy can give it partial trust instead of none; ready series come
//! first when the limit bites. No I/O, no clock (the caller passes `now`), so every bound and the progress wording
//! are tested directly.

use std::collections::BTreeSet;

use augur_crds::{
    AutoScalePolicy,
    common::Duration,
    kinds::forecaster::{ForecastAccuracy, ForecastWarmUp, PublishedForecast},
};
use k8s_openapi::{apimachinery::pkg::apis::meta::v1::Time, jiff::Timestamp};

use super::report::{KindEntries, ModelProgress};
use crate::{
    models::forecast::{Accuracy, Forecast, Readiness},
    time::Millis,
};

/// Most forecasts one pod publishes (the schema accepts 256 over all pods).
const SCHEMA_MAX_SERIES: usize = 32;
/// Most points per forecast the schema accepts.
const SCHEMA_MAX_POINTS: usize = 1000;
/// Most quantile columns per point the schema accepts.
const SCHEMA_MAX_COLUMNS: usize = 9;

/// How much of the forecasts goes into the status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most series published (the schema allows 32).
    pub max_series: usize,
    /// Most points (steps ahead) per series (the schema allows 1000).
    pub max_points: usize,
    /// Most numbers over all published points: keeps the status object small whatever the horizon.
    pub max_values: usize,
}

impl Default for Limits {
    /// 32 series, up to 288 points each (a day of 5-minute steps), 20 000 numbers in all (about 200 kB of JSON).
    fn default() -> Self {
        Self { max_series: SCHEMA_MAX_SERIES, max_points: 288, max_values: 20_000 }
    }
}

/// One series' latest forecast, as the forecast processor holds it.
#[derive(Clone, Copy, Debug)]
pub struct SeriesForecast<'a> {
    /// The series id.
    pub series: &'a str,
    /// Start of the first forecast step (ms since the epoch).
    pub start: Millis,
    /// Spacing of the points (ms).
    pub step_ms: Millis,
    /// Quantile columns and points.
    pub forecast: &'a Forecast,
    /// The series' rolling accuracy.
    pub accuracy: Accuracy,
    /// History seen and needed.
    pub readiness: Readiness,
}

impl<'a> SeriesForecast<'a> {
    /// Views one entry of `ForecastProcessor::forecasts()`, whose timestamp is the start of the last closed step:
    /// its forecast begins one step later.
    pub fn from_processor(
        entry: &'a (crate::record::SeriesId, Millis, Forecast, Accuracy, Readiness),
        step_ms: Millis,
    ) -> Self {
        let (series, last_closed, forecast, accuracy, readiness) = entry;
        Self {
            series,
            start: last_closed.saturating_add(step_ms),
            step_ms,
            forecast,
            accuracy: *accuracy,
            readiness: *readiness,
        }
    }
}

/// The series of Forecaster `forecaster` that `policies` (of its namespace) reference, sorted and deduplicated.
pub fn series_referenced_by(policies: &[AutoScalePolicy], forecaster: &str) -> Vec<String> {
    let mut series = BTreeSet::new();
    for spec in policies.iter().map(|p| &p.spec) {
        if let Some(replicas) = spec.replicas.as_ref().filter(|r| r.forecaster_ref.name == forecaster) {
            series.insert(replicas.series.clone());
        }
        let containers = spec.resources.iter().flat_map(|r| &r.containers);
        for container in containers.filter(|c| c.forecaster_ref.name == forecaster) {
            series.extend(container.cpu.iter().chain(&container.memory).map(|f| f.series.clone()));
        }
    }
    series.into_iter().collect()
}

/// This pod's forecast entries and its models' progress.
///
/// `wanted` lists the series to publish (those AutoScalePolicies reference); `None` publishes every series, by name,
/// up to the limit.
pub fn forecast_report(
    forecasts: &[SeriesForecast<'_>],
    wanted: Option<&[String]>,
    now: Millis,
    limits: &Limits,
) -> (KindEntries, ModelProgress) {
    let max_series = limits.max_series.clamp(1, SCHEMA_MAX_SERIES);
    let mut by_name: Vec<&SeriesForecast<'_>> = forecasts.iter().collect();
    by_name.sort_by(|a, b| a.series.cmp(b.series));
    let selected: Vec<&str> = match wanted {
        Some(wanted) => wanted.iter().map(String::as_str).collect::<BTreeSet<_>>().into_iter().collect(),
        None => by_name.iter().map(|f| f.series).collect(),
    };
    let find = |series: &str| by_name.binary_search_by(|f| f.series.cmp(series)).ok().map(|i| by_name[i]);

    let mut ready = Vec::new();
    let mut warming = Vec::new();
    let mut missing = Vec::new();
    for series in &selected {
        match find(series) {
            Some(forecast) if forecast.readiness.is_ready() && is_publishable(forecast.forecast) => {
                ready.push(forecast)
            }
            Some(forecast) => warming.push(forecast),
            None => missing.push(*series),
        }
    }
    let ready_count = ready.len();
    // Warming series follow the ready ones: partial trust is better than none, but never at a ready one's expense.
    let mut published: Vec<&SeriesForecast<'_>> = ready;
    published.extend(warming.iter().copied().filter(|f| !f.readiness.is_ready() && is_publishable(f.forecast)));
    let skipped = ready_count.saturating_sub(max_series);
    published.truncate(max_series);

    let columns_per_series: Vec<Vec<usize>> = published.iter().map(|f| select_columns(&f.forecast.quantiles)).collect();
    // Each row is published twice: its quantiles and its peaks.
    let total_columns: usize = 2 * columns_per_series.iter().map(Vec::len).sum::<usize>().max(1);
    let points = (limits.max_values / total_columns).clamp(1, limits.max_points.clamp(1, SCHEMA_MAX_POINTS));
    let published = published
        .iter()
        .zip(&columns_per_series)
        .map(|(forecast, columns)| publish_one(forecast, columns, points, now))
        .collect();
    let measured = forecasts.iter().filter(|f| f.accuracy.mase.is_some_and(f64::is_finite)).count();
    let entries = KindEntries::Forecasts { forecasts: published, accuracy: overall_accuracy(forecasts), measured };
    (entries, progress(selected.len(), ready_count, &warming, &missing, skipped))
}

/// Whether the forecast has points and only finite values (JSON has no NaN; the schema wants numbers).
fn is_publishable(forecast: &Forecast) -> bool {
    !forecast.points.is_empty() && forecast.points.iter().flatten().all(|v| v.is_finite())
}

/// The quantile columns to keep, at most the schema's 9: the median first, then the outermost pairs inwards, in
/// their original (ascending) order.
fn select_columns(quantiles: &[f64]) -> Vec<usize> {
    if quantiles.len() <= SCHEMA_MAX_COLUMNS {
        return (0..quantiles.len()).collect();
    }
    let median = quantiles
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - 0.5).abs().total_cmp(&(b.1 - 0.5).abs()))
        .map_or(0, |(i, _)| i);
    let mut keep = BTreeSet::from([median]);
    let (mut low, mut high) = (0, quantiles.len() - 1);
    while keep.len() < SCHEMA_MAX_COLUMNS && low <= high {
        keep.insert(low);
        if keep.len() < SCHEMA_MAX_COLUMNS {
            keep.insert(high);
        }
        low += 1;
        high = high.saturating_sub(1);
    }
    keep.into_iter().collect()
}

fn publish_one(forecast: &SeriesForecast<'_>, columns: &[usize], points: usize, now: Millis) -> PublishedForecast {
    let cut = |rows: &[Vec<f64>]| -> Vec<Vec<f64>> {
        let rows = rows.iter().take(points);
        rows.map(|row| columns.iter().filter_map(|&i| row.get(i).copied().map(round)).collect()).collect()
    };
    let readiness = forecast.readiness;
    let warm_up = (!readiness.is_ready()).then(|| {
        let left = i64::try_from(readiness.needed.saturating_sub(readiness.points)).unwrap_or(i64::MAX);
        ForecastWarmUp {
            points: i64::try_from(readiness.points).unwrap_or(i64::MAX),
            needed: i64::try_from(readiness.needed).unwrap_or(i64::MAX),
            ready_at: time(now.saturating_add(left.saturating_mul(forecast.step_ms))),
        }
    });
    PublishedForecast {
        series: forecast.series.to_owned(),
        pod: None,
        generated_at: time(now),
        start: time(forecast.start),
        step: Duration::from_millis(u64::try_from(forecast.step_ms).unwrap_or(0)),
        quantiles: columns.iter().filter_map(|&i| forecast.forecast.quantiles.get(i).copied()).collect(),
        points: cut(&forecast.forecast.points),
        peaks: cut(&forecast.forecast.peaks),
        accuracy: Some(accuracy(forecast.accuracy))
            .filter(|a| a.mase.is_some() || a.coverage.is_some() || a.skill.is_some()),
        warm_up,
    }
}

/// `value` rounded to 6 significant digits: the models are not more precise than that, and the status stays small.
fn round(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let magnitude = value.abs().log10().floor() as i32;
    let scale = 10f64.powi(5 - magnitude);
    if scale.is_finite() && scale > 0.0 { (value * scale).round() / scale } else { value }
}

fn accuracy(accuracy: Accuracy) -> ForecastAccuracy {
    ForecastAccuracy {
        mase: accuracy.mase.filter(|v| v.is_finite()).map(round),
        coverage: accuracy.coverage.filter(|v| v.is_finite()).map(round),
        skill: accuracy.skill.filter(|v| v.is_finite()).map(round),
    }
}

/// Mean MASE, coverage and skill over every series that has them.
fn overall_accuracy(forecasts: &[SeriesForecast<'_>]) -> Option<ForecastAccuracy> {
    let mean = |values: Vec<f64>| (!values.is_empty()).then(|| round(values.iter().sum::<f64>() / values.len() as f64));
    let finite = |pick: fn(&Accuracy) -> Option<f64>| -> Vec<f64> {
        forecasts.iter().filter_map(|f| pick(&f.accuracy)).filter(|v| v.is_finite()).collect()
    };
    let overall = ForecastAccuracy {
        mase: mean(finite(|a| a.mase)),
        coverage: mean(finite(|a| a.coverage)),
        skill: mean(finite(|a| a.skill)),
    };
    (overall.mase.is_some() || overall.coverage.is_some() || overall.skill.is_some()).then_some(overall)
}

fn progress(
    selected: usize,
    ready: usize,
    warming: &[&SeriesForecast<'_>],
    missing: &[&str],
    skipped: usize,
) -> ModelProgress {
    let all_ready = selected > 0 && warming.is_empty() && missing.is_empty();
    let mut message =
        if selected == 0 { "no series seen yet".to_owned() } else { format!("{ready} of {selected} series ready") };
    let mut listed = warming.iter().take(3).map(|f| {
        let left = f.readiness.needed.saturating_sub(f.readiness.points);
        let eta_ms = i64::try_from(left).unwrap_or(i64::MAX).saturating_mul(f.step_ms);
        if f.readiness.is_ready() {
            format!("{}: forecast not finite", f.series)
        } else {
            format!(
                "{}: {} of {} steps of history, about {} left (published with partial trust)",
                f.series,
                f.readiness.points,
                f.readiness.needed,
                human(eta_ms)
            )
        }
    });
    let warming_text: Vec<String> = listed.by_ref().collect();
    if !warming_text.is_empty() {
        message.push_str("; warming up: ");
        message.push_str(&warming_text.join(", "));
        if warming.len() > 3 {
            message.push_str(&format!(" and {} more", warming.len() - 3));
        }
    }
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(3).copied().collect();
        message.push_str(&format!("; no points yet: {}", shown.join(", ")));
        if missing.len() > 3 {
            message.push_str(&format!(" and {} more", missing.len() - 3));
        }
    }
    if skipped > 0 {
        message.push_str(&format!("; {skipped} ready series not published (limit reached)"));
    }
    ModelProgress { ready: all_ready, message }
}

/// A duration in the largest fitting unit, e.g. `3h20m`, `45m`, `30s`.
pub(crate) fn human(ms: Millis) -> String {
    let secs = ms.max(0) / 1000;
    match secs {
        s if s >= 3600 && s % 3600 / 60 > 0 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        s if s >= 3600 => format!("{}h", s / 3600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A Kubernetes time from milliseconds since the epoch.
pub(crate) fn time(ms: Millis) -> Time {
    Time(Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH))
}
