//! `augur bench nab --data DIR --out OUT`: scores every series of a NAB-layout corpus with the AnomalyDetector
//! defaults, one fresh detector per series, causally (each score uses only rows up to its own), no labels read.
//! Writes `OUT/<category>/<name>.csv` with `timestamp,value,anomaly_score` for NAB's scorer.

use std::{
    fmt::Write as _,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, bail};

use crate::{
    cli::progress::{Progress, compact},
    decode::CsvLayout,
    models::{
        SeriesModel,
        anomaly::{AnomalyDetector, DetectorParams},
    },
    record::Position,
};

/// Runs the benchmark; returns (series, points).
pub fn run(data: &Path, out: &Path, report: &mut impl std::io::Write) -> anyhow::Result<(usize, u64)> {
    let files = series_files(data)?;
    if files.is_empty() {
        bail!("no <category>/<name>.csv files under {}", data.display());
    }
    let params = DetectorParams::default();
    let mut progress = Progress::new("augur bench nab");
    let mut points = 0;
    for (index, (category, file)) in files.iter().enumerate() {
        let target = out.join(category).join(file.file_name().unwrap_or_default());
        points += score_file(file, &target, &params)?;
        progress.update(Some((index as u64 + 1, files.len() as u64)), &format!("{} points", compact(points)));
    }
    progress.finish();
    let seconds = progress.elapsed().as_secs_f64();
    writeln!(
        report,
        "scored {} series, {points} points in {seconds:.2} s ({:.0} points/s) into {}",
        files.len(),
        points as f64 / seconds.max(1e-9),
        out.display()
    )?;
    writeln!(report, "score with: python3 ../shared/bench/nab/score.py {} --subset --profile all", out.display())?;
    Ok((files.len(), points))
}

/// `(category, path)` of every `DIR/<category>/*.csv`, sorted.
fn series_files(data: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    let categories = std::fs::read_dir(data).with_context(|| format!("cannot read {}", data.display()))?;
    for category in categories.flatten().filter(|entry| entry.path().is_dir()) {
        let name = category.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(category.path())?.flatten() {
            if file.path().extension().is_some_and(|ext| ext == "csv") {
                files.push((name.clone(), file.path()));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Scores one series file; returns its point count.
fn score_file(input: &Path, output: &Path, params: &DetectorParams) -> anyhow::Result<u64> {
    let reader =
        BufReader::new(std::fs::File::open(input).with_context(|| format!("cannot open {}", input.display()))?);
    let mut lines = reader.lines();
    let header = lines.next().transpose()?.unwrap_or_default();
    let layout =
        CsvLayout::from_header(&header).map_err(anyhow::Error::msg).with_context(|| input.display().to_string())?;
    let series = Arc::from("series");
    let mut detector = AnomalyDetector::new(params.clone());
    let mut csv = String::from("timestamp,value,anomaly_score\n");
    let mut points = 0;
    for (index, line) in lines.enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let position = Position { partition: 0, offset: index as i64 + 2 };
        let point = layout
            .decode(&line, &series, position)
            .map_err(|dead| anyhow::anyhow!("{} line {}: {}", input.display(), dead.position.offset, dead.reason))?;
        let assessment = detector.update(point.timestamp, point.value);
        let timestamp = line.split(',').next().unwrap_or_default();
        let _ = writeln!(csv, "{timestamp},{},{:.6}", point.value, assessment.score);
        points += 1;
    }
    if let Some(parent) = output.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(output, csv).with_context(|| format!("cannot write {}", output.display()))?;
    Ok(points)
}
