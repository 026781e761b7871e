//! `augur bench speed anomaly|forecast`: single-threaded throughput of a default model over 10,000 synthetic
//! seasonal series with noise, interleaved as a real stream would be, and its state size per series.

use std::{hint::black_box, sync::Arc, time::Instant};

use crate::{
    models::{
        SeriesModel,
        anomaly::{AnomalyDetector, DetectorParams},
        forecast::{ForecastParams, Forecaster},
        keyed::KeyedModels,
    },
    record::SeriesId,
};

/// Series in the benchmark.
pub const SERIES: usize = 10_000;

/// A deterministic pseudo-random generator (xorshift), so runs are comparable.
pub(super) struct XorShift(pub(super) u64);

impl XorShift {
    /// A uniform draw in [0, 1).
    pub(super) fn next_unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Runs `points_per_series` points through each of [`SERIES`] detectors and prints the figures.
pub fn anomaly(points_per_series: usize, out: &mut impl std::io::Write) -> std::io::Result<()> {
    // Shared by every series, as in a pipeline.
    let params = Arc::new(DetectorParams::default());
    let mut random = XorShift(0x9E37_79B9_7F4A_7C15);
    // A day of five-minute points, precomputed, so the benchmark measures the detector rather than `sin`.
    let day: Vec<f64> = (0..288).map(|i| 100.0 + 40.0 * (i as f64 / 288.0 * std::f64::consts::TAU).sin()).collect();
    let offsets: Vec<usize> = (0..SERIES).map(|_| (random.next_unit() * 288.0) as usize).collect();
    let value = |series: usize, step: usize, random: &mut XorShift| {
        day[(step + offsets[series]) % 288] + 5.0 * (random.next_unit() - 0.5)
    };

    let mut detectors: Vec<AnomalyDetector> = (0..SERIES).map(|_| AnomalyDetector::new(Arc::clone(&params))).collect();
    let started = Instant::now();
    for step in 0..points_per_series {
        let timestamp = step as i64 * 300_000;
        for (series, detector) in detectors.iter_mut().enumerate() {
            black_box(detector.update(timestamp, value(series, step, &mut random)));
        }
    }
    let points = (SERIES * points_per_series) as f64;
    let points_per_sec = points / started.elapsed().as_secs_f64();
    let state_bytes = detectors.iter().map(SeriesModel::state_bytes).sum::<usize>() / SERIES;

    let names: Vec<SeriesId> = (0..SERIES).map(|i| Arc::from(format!("svc-{i}/requests"))).collect();
    let mut keyed = KeyedModels::new(SERIES, |_| AnomalyDetector::new(Arc::clone(&params)));
    let keyed_steps = points_per_series.min(200);
    let started = Instant::now();
    for step in 0..keyed_steps {
        for (series, name) in names.iter().enumerate() {
            black_box(keyed.update(name, step as i64 * 300_000, value(series, step, &mut random)));
        }
    }
    let keyed_per_sec = (SERIES * keyed_steps) as f64 / started.elapsed().as_secs_f64();

    writeln!(out, "series={SERIES}")?;
    writeln!(out, "points={}", points as u64)?;
    writeln!(out, "points_per_sec={points_per_sec:.0}")?;
    writeln!(out, "keyed_points_per_sec={keyed_per_sec:.0}")?;
    writeln!(out, "state_bytes_per_series={state_bytes}")?;
    Ok(())
}

/// Runs `points_per_series` steps through each of [`SERIES`] default forecasters, then forecasts every series once,
/// and prints the figures.
pub fn forecast(points_per_series: usize, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let params = ForecastParams::default();
    let mut random = XorShift(0x2545_F491_4F6C_DD1D);
    let day: Vec<f64> = (0..288).map(|i| 100.0 + 40.0 * (i as f64 / 288.0 * std::f64::consts::TAU).sin()).collect();
    let offsets: Vec<usize> = (0..SERIES).map(|_| (random.next_unit() * 288.0) as usize).collect();
    let mut models: Vec<Forecaster> = (0..SERIES).map(|_| Forecaster::new(params.clone())).collect();
    let started = Instant::now();
    for step in 0..points_per_series {
        for (series, model) in models.iter_mut().enumerate() {
            model.update(day[(step + offsets[series]) % 288] + 5.0 * (random.next_unit() - 0.5));
        }
    }
    let points_per_sec = (SERIES * points_per_series) as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let forecast_values: usize = models.iter().map(|m| black_box(m.forecast()).points.len()).sum();
    let forecast_ms = started.elapsed().as_secs_f64() * 1000.0;
    let state_bytes = models.iter().map(Forecaster::state_bytes).sum::<usize>() / SERIES;
    writeln!(out, "series={SERIES}")?;
    writeln!(out, "horizon={}", params.horizon)?;
    writeln!(out, "points={}", SERIES * points_per_series)?;
    writeln!(out, "points_per_sec={points_per_sec:.0}")?;
    writeln!(out, "forecast_10k_series_ms={forecast_ms:.1}")?;
    writeln!(out, "forecast_steps={forecast_values}")?;
    writeln!(out, "state_bytes_per_series={state_bytes}")?;
    Ok(())
}

/// Runs the default miner over the raw lines of `input` (headers separated, default masking), repeated to at least
/// 300,000 lines, on one thread, and prints the figures.
pub fn logs(input: &std::path::Path, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(input).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", input.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        anyhow::bail!("{} has no lines", input.display());
    }
    let repeats = 300_000usize.div_ceil(lines.len());
    let mut miner = crate::models::logs::Miner::new(crate::models::logs::MinerSettings::default());
    let started = Instant::now();
    for _ in 0..repeats {
        for line in &lines {
            black_box(miner.add(crate::models::logs::content(line)));
        }
    }
    let total = repeats * lines.len();
    let lines_per_sec = total as f64 / started.elapsed().as_secs_f64();
    writeln!(out, "lines={total}")?;
    writeln!(out, "templates={}", miner.templates())?;
    writeln!(out, "lines_per_sec={lines_per_sec:.0}")?;
    writeln!(out, "peak_rss_bytes={}", peak_rss_bytes().unwrap_or(0))?;
    Ok(())
}

/// The process's peak resident set (Linux `VmHWM`).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}
