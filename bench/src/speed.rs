//! `augur-bench speed anomaly|forecast|logs`: single-threaded throughput of a default model: the anomaly detector and
//! the forecaster over 10,000 synthetic seasonal series with noise, interleaved as a real stream would be, and their
//! state size per series; the log miner over raw log lines, optionally against Drain3 on the same lines.

use std::{hint::black_box, sync::Arc, time::Instant};

use augur_runtime::{
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

/// Lines the log speed benchmark runs, at least (the input is repeated whole).
const LOG_LINES: usize = 320_000;

/// Drain3 over the lines of the file given as its argument, raw lines with masks for IPs, hex, ids and numbers
/// (written for this benchmark); prints `lines_per_sec=N` (wall clock) and `lines_per_cpu_sec=N` (its CPU time) for
/// the mining loop alone.
const DRAIN3: &str = r#"
import sys, time
from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig
from drain3.masking import MaskingInstruction
config = TemplateMinerConfig()
config.masking_instructions = [
    MaskingInstruction(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "IP"),
    MaskingInstruction(r"\b0x[0-9a-fA-F]+\b", "HEX"),
    MaskingInstruction(r"\b[0-9a-fA-F]{8,}\b", "ID"),
    MaskingInstruction(r"(?<![A-Za-z])[-+]?\d+(?:\.\d+)?(?![A-Za-z])", "NUM"),
]
miner = TemplateMiner(config=config)
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
started, cpu = time.perf_counter(), time.process_time()
for line in lines:
    miner.add_log_message(line)
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
print("lines=%d clusters=%d lines_per_sec=%.0f lines_per_cpu_sec=%.0f"
      % (len(lines), len(miner.drain.clusters), len(lines) / elapsed, len(lines) / cpu))
"#;

/// Runs the default miner, with a header learner, over the raw lines of `input` repeated to at least 320,000 lines,
/// on one thread, and prints the figures. With `drain3` (a Python interpreter that has Drain3), Drain3 first runs on
/// the same lines, written to a file, in the same run, and the ratio is printed.
pub fn logs(
    input: &std::path::Path,
    drain3: Option<&std::path::Path>,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    use augur_runtime::models::logs::{HeaderLearner, Miner, MinerSettings};
    let text = std::fs::read_to_string(input).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", input.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        anyhow::bail!("{} has no lines", input.display());
    }
    let repeats = LOG_LINES.div_ceil(lines.len());
    let total = repeats * lines.len();
    let drain3_per_sec = match drain3 {
        Some(python) => Some(run_drain3(python, &lines, repeats)?),
        None => None,
    };
    let mut miner = Miner::new(MinerSettings::default());
    let mut header = HeaderLearner::default();
    let (started, cpu) = (Instant::now(), thread_cpu_seconds());
    for _ in 0..repeats {
        for line in &lines {
            black_box(miner.add(header.content(line)));
        }
    }
    let lines_per_sec = total as f64 / started.elapsed().as_secs_f64();
    let lines_per_cpu_sec = cpu.zip(thread_cpu_seconds()).map(|(from, to)| total as f64 / (to - from).max(1e-9));
    writeln!(out, "lines={total}")?;
    writeln!(out, "templates={}", miner.templates())?;
    writeln!(out, "lines_per_sec={lines_per_sec:.0}")?;
    if let Some(per_cpu_sec) = lines_per_cpu_sec {
        writeln!(out, "lines_per_cpu_sec={per_cpu_sec:.0}")?;
    }
    if let Some(drain3) = drain3_per_sec {
        writeln!(out, "drain3_lines_per_sec={:.0}", drain3.wall)?;
        writeln!(out, "drain3_lines_per_cpu_sec={:.0}", drain3.cpu)?;
        writeln!(out, "ratio_to_drain3={:.1}", lines_per_sec / drain3.wall)?;
        if let Some(per_cpu_sec) = lines_per_cpu_sec {
            writeln!(out, "cpu_ratio_to_drain3={:.1}", per_cpu_sec / drain3.cpu)?;
        }
    }
    writeln!(out, "peak_rss_bytes={}", peak_rss_bytes().unwrap_or(0))?;
    Ok(())
}

/// Drain3's speed: lines per second of wall clock and of its CPU time.
struct Drain3Speed {
    wall: f64,
    cpu: f64,
}

/// This thread's CPU time so far (Linux `schedstat`, nanoseconds), so a shared machine's load does not count.
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanoseconds: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanoseconds as f64 / 1e9)
}

/// Drain3's speed on `lines` repeated `repeats` times (see [`DRAIN3`]).
fn run_drain3(python: &std::path::Path, lines: &[&str], repeats: usize) -> anyhow::Result<Drain3Speed> {
    let path = std::env::temp_dir().join(format!("augur-bench-drain3-{}.log", std::process::id()));
    let mut text = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum::<usize>() * repeats);
    for _ in 0..repeats {
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
    }
    std::fs::write(&path, text)?;
    let output = std::process::Command::new(python).arg("-c").arg(DRAIN3).arg(&path).output();
    let _ = std::fs::remove_file(&path);
    let output = output.map_err(|e| anyhow::anyhow!("cannot run {}: {e}", python.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        anyhow::bail!("Drain3 failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let figure = |name: &str| -> anyhow::Result<f64> {
        stdout
            .split_whitespace()
            .find_map(|field| field.strip_prefix(name))
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("Drain3 printed no {name}: {stdout}"))
    };
    Ok(Drain3Speed { wall: figure("lines_per_sec=")?, cpu: figure("lines_per_cpu_sec=")? })
}

/// The process's peak resident set (Linux `VmHWM`).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}
