//! `augur-bench forecast`: the rolling-origin protocol of `shared/bench/forecast/evaluate.py`, run by streaming each
//! series once through a Forecaster with the Forecaster defaults and forecasting at each origin from the data up to
//! it (updated incrementally, never refitted, never looking ahead).
//!
//! Per series and origin: MASE = MAE over the horizon / mean |y_t - y_{t-m}| over the origin's training data;
//! averaged over origins, then mean and median over series. Also sMAPE (M4) and quantile coverage.

use std::{collections::BTreeMap, fmt::Write as _, path::Path};

use anyhow::{Context, bail};

use augur_runtime::{
    decode::read_series,
    models::forecast::{ForecastParams, Forecaster},
    time::{Millis, format_timestamp},
};

/// The protocol's settings.
#[derive(Clone, Debug)]
pub struct Protocol {
    /// Steps ahead.
    pub horizon: usize,
    /// Season length of the MASE scale.
    pub season: usize,
    /// Number of origins.
    pub origins: usize,
    /// Steps between origins.
    pub step: usize,
}

/// Figures of one series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeriesScore {
    /// Mean MASE over origins.
    pub mase: f64,
    /// Mean sMAPE over origins.
    pub smape: f64,
}

/// Figures of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Per series.
    pub series: BTreeMap<String, SeriesScore>,
    /// Share of actuals at or below each quantile's forecast.
    pub coverage: Vec<(f64, f64)>,
    /// Share of actuals inside the outermost band.
    pub inside: f64,
}

impl Summary {
    /// Mean and median of a per-series figure.
    pub fn mean_median(&self, figure: impl Fn(&SeriesScore) -> f64) -> (f64, f64) {
        let mut values: Vec<f64> = self.series.values().map(figure).filter(|v| v.is_finite()).collect();
        if values.is_empty() {
            return (f64::NAN, f64::NAN);
        }
        values.sort_by(f64::total_cmp);
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let middle = values.len() / 2;
        let median = if values.len() % 2 == 1 { values[middle] } else { (values[middle - 1] + values[middle]) / 2.0 };
        (mean, median)
    }
}

/// Runs the protocol on `data`, writing the cross-validation rows to `out` and the figures to `report`.
pub fn run(data: &Path, protocol: &Protocol, out: &Path, report: &mut impl std::io::Write) -> anyhow::Result<Summary> {
    let series = read_series(data)?;
    if series.is_empty() {
        bail!("{} holds no series", data.display());
    }
    let started = std::time::Instant::now();
    let mut params = ForecastParams { horizon: protocol.horizon, ..ForecastParams::default() };
    let columns: Vec<String> =
        params.quantiles.iter().filter(|q| (**q - 0.5).abs() > 1e-12).map(|q| quantile_name(*q)).collect();
    let mut csv = format!("unique_id,ds,cutoff,y,p50{}\n", columns.iter().map(|c| format!(",{c}")).collect::<String>());
    let mut summary = Summary::default();
    let mut below = vec![0u64; params.quantiles.len()];
    let (mut inside, mut scored) = (0u64, 0u64);
    for (name, points) in &series {
        params.step_ms = typical_interval(points);
        let score = score_series(name, points, protocol, &params, &mut csv, &mut below, &mut inside, &mut scored);
        summary.series.insert(name.clone(), score);
    }
    summary.coverage =
        params.quantiles.iter().zip(&below).map(|(q, n)| (*q, *n as f64 / scored.max(1) as f64)).collect();
    summary.inside = inside as f64 / scored.max(1) as f64;
    std::fs::write(out, csv).with_context(|| format!("cannot write {}", out.display()))?;
    write_report(report, &summary, protocol, series.len(), started.elapsed(), out)?;
    Ok(summary)
}

fn quantile_name(q: f64) -> String {
    format!("p{}", (q * 100.0).round() as i64)
}

/// The median gap between consecutive points: the series' step.
fn typical_interval(points: &[(Millis, f64)]) -> Millis {
    let mut gaps: Vec<Millis> = points.windows(2).map(|w| w[1].0 - w[0].0).filter(|g| *g > 0).collect();
    gaps.sort_unstable();
    gaps.get(gaps.len() / 2).copied().unwrap_or(60_000)
}

#[allow(clippy::too_many_arguments)]
fn score_series(
    name: &str,
    points: &[(Millis, f64)],
    protocol: &Protocol,
    params: &ForecastParams,
    csv: &mut String,
    below: &mut [u64],
    inside: &mut u64,
    scored: &mut u64,
) -> SeriesScore {
    let (n, h, m) = (points.len(), protocol.horizon, protocol.season);
    let cutoffs: Vec<usize> = (0..protocol.origins)
        .filter_map(|k| (n + k * protocol.step).checked_sub(h + 1 + (protocol.origins - 1) * protocol.step))
        .collect();
    let median = params.quantiles.iter().position(|q| (*q - 0.5).abs() < 1e-12).unwrap_or(0);
    let mut model = Forecaster::new(params.clone());
    let (mut seasonal_sum, mut seasonal_count) = (0.0, 0u64);
    let (mut mase_sum, mut smape_sum, mut origins) = (0.0, 0.0, 0u64);
    for (i, &(_, y)) in points.iter().enumerate() {
        model.update(y);
        if i >= m {
            seasonal_sum += (y - points[i - m].1).abs();
            seasonal_count += 1;
        }
        if !cutoffs.contains(&i) {
            continue;
        }
        let forecast = model.forecast();
        let (mut abs_error, mut smape) = (0.0, 0.0);
        for (k, row) in forecast.points.iter().enumerate().take(h) {
            let Some(&(ds, actual)) = points.get(i + 1 + k) else { break };
            let predicted = row[median];
            abs_error += (actual - predicted).abs();
            let denominator = actual.abs() + predicted.abs();
            smape += if denominator == 0.0 { 0.0 } else { 200.0 * (actual - predicted).abs() / denominator };
            for (count, value) in below.iter_mut().zip(row) {
                *count += u64::from(actual <= *value);
            }
            *inside += u64::from(actual >= row[0] && actual <= row[row.len() - 1]);
            *scored += 1;
            let others: String =
                row.iter().enumerate().filter(|(j, _)| *j != median).map(|(_, v)| format!(",{v}")).collect();
            let _ = writeln!(
                csv,
                "{name},{},{},{actual},{predicted}{others}",
                format_timestamp(ds),
                format_timestamp(points[i].0)
            );
        }
        let scale = if seasonal_count > 0 { seasonal_sum / seasonal_count as f64 } else { f64::NAN };
        if scale > 0.0 {
            mase_sum += abs_error / h as f64 / scale;
        }
        smape_sum += smape / h as f64;
        origins += 1;
    }
    let origins = origins.max(1) as f64;
    SeriesScore { mase: mase_sum / origins, smape: smape_sum / origins }
}

fn write_report(
    report: &mut impl std::io::Write,
    summary: &Summary,
    protocol: &Protocol,
    series: usize,
    elapsed: std::time::Duration,
    out: &Path,
) -> std::io::Result<()> {
    let (mase_mean, mase_median) = summary.mean_median(|s| s.mase);
    let (smape_mean, smape_median) = summary.mean_median(|s| s.smape);
    writeln!(
        report,
        "{series} series, horizon {}, {} origins every {} steps, season {} ({:.0} ms)",
        protocol.horizon,
        protocol.origins,
        protocol.step,
        protocol.season,
        elapsed.as_secs_f64() * 1000.0
    )?;
    writeln!(report, "mase_mean={mase_mean:.4}")?;
    writeln!(report, "mase_median={mase_median:.4}")?;
    writeln!(report, "smape_mean={smape_mean:.2}")?;
    writeln!(report, "smape_median={smape_median:.2}")?;
    for (q, share) in &summary.coverage {
        writeln!(report, "coverage_{}={share:.3}", quantile_name(*q))?;
    }
    writeln!(report, "inside_band={:.3}", summary.inside)?;
    writeln!(report, "cross-validation rows written to {}", out.display())
}
