//! `augur-bench nab --data DIR --out OUT`: scores every series of a NAB-layout corpus with the AnomalyDetector
//! defaults, one fresh detector per series, causally (each score uses only rows up to its own; the detector never
//! sees a label). Writes `OUT/<category>/<name>.csv` with `timestamp,value,anomaly_score` for NAB's scorer, then,
//! when the corpus has its label file (`DIR/../labels/combined_windows.json`), prints the NAB figures of the three
//! profiles and the leave-one-category-out folds ([`super::nab_score`]); last, the calibration check on synthetic
//! anomaly-free series ([`super::calibration`]).

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Context, bail};

use super::nab_score::{self, Figure, Labels, PROFILES, ScoredSeries};
use augur_runtime::{
    cli::progress::{Progress, compact},
    decode::MetricRows,
    models::{
        SeriesModel,
        anomaly::{AnomalyDetector, DetectorParams},
    },
    time::format_timestamp,
};

/// Runs the benchmark; returns (series, points).
pub fn run(data: &Path, out: &Path, report: &mut impl std::io::Write) -> anyhow::Result<(usize, u64)> {
    let files = series_files(data)?;
    if files.is_empty() {
        bail!("no <category>/<name>.csv files under {}", data.display());
    }
    let params = Arc::new(DetectorParams::default());
    let mut progress = Progress::new("augur-bench nab");
    let mut points = 0;
    let mut scored = Vec::with_capacity(files.len());
    for (index, (category, file)) in files.iter().enumerate() {
        let name = file.file_name().unwrap_or_default();
        let series = score_file(file, &out.join(category).join(name), &params)?;
        points += series.scores.len() as u64;
        scored.push(ScoredSeries { key: format!("{category}/{}", name.to_string_lossy()), ..series });
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
    let labels_path = data.parent().map(|parent| parent.join("labels").join("combined_windows.json"));
    match labels_path.filter(|path| path.is_file()) {
        Some(path) => write_figures(&scored, &nab_score::load_labels(&path)?, report)?,
        None => writeln!(report, "no labels/combined_windows.json beside {}: figures not computed", data.display())?,
    }
    writeln!(report, "cross-check: python3 ../shared/bench/nab/score.py {} --subset --profile all", out.display())?;
    super::calibration::run(report)?;
    Ok((files.len(), points))
}

/// Prints the NAB figures of every profile, then the leave-one-category-out folds.
fn write_figures(series: &[ScoredSeries], labels: &Labels, report: &mut impl std::io::Write) -> anyhow::Result<()> {
    let all: Vec<&ScoredSeries> = series.iter().collect();
    let windows: usize = series.iter().map(|s| labels.get(&s.key).map_or(0, Vec::len)).sum();
    writeln!(report, "\nNAB scores, {} series, {windows} windows, one threshold for all (in-sample)", all.len())?;
    for profile in &PROFILES {
        let figure = nab_score::score(&all, labels, profile, None)?;
        writeln!(
            report,
            "  {:<20} threshold={:<9.6} raw={:>8.3}  NAB score={}",
            profile.name,
            figure.threshold,
            figure.raw,
            shown(&figure)
        )?;
    }
    writeln!(report, "\nleave one category out: threshold chosen on the other categories, scored on the one left out")?;
    writeln!(report, "  (own: the category at its own best threshold, for reference)")?;
    let folds: Vec<Vec<nab_score::Fold>> =
        PROFILES.iter().map(|profile| nab_score::folds(series, labels, profile)).collect::<anyhow::Result<_>>()?;
    write!(report, "  {:<24} {:>6} {:>7}", "category", "series", "windows")?;
    for profile in &PROFILES {
        write!(report, "  {:>22}", format!("{} (own)", short(profile.name)))?;
    }
    writeln!(report)?;
    for (index, fold) in folds[0].iter().enumerate() {
        write!(report, "  {:<24} {:>6} {:>7}", fold.category, fold.series, fold.windows)?;
        for profile_folds in &folds {
            let fold = &profile_folds[index];
            write!(report, "  {:>22}", format!("{} ({})", shown(&fold.held_out), shown(&fold.own)))?;
        }
        writeln!(report)?;
    }
    for (label, pick) in [("mean", false), ("worst", true)] {
        write!(report, "  {:<39}", format!("{label} of the folds with windows"))?;
        for profile_folds in &folds {
            let scores: Vec<f64> = profile_folds.iter().filter_map(|fold| fold.held_out.score).collect();
            let value = if pick {
                scores.iter().copied().fold(f64::INFINITY, f64::min)
            } else {
                scores.iter().sum::<f64>() / scores.len().max(1) as f64
            };
            write!(report, "  {value:>22.2}")?;
        }
        writeln!(report)?;
    }
    Ok(())
}

/// A normalised score, or the false positives of a category without windows.
fn shown(figure: &Figure) -> String {
    match figure.score {
        Some(score) => format!("{score:.2}"),
        None => format!("{} FP", figure.false_positives),
    }
}

fn short(profile: &str) -> &str {
    match profile {
        "reward_low_FP_rate" => "low FP",
        "reward_low_FN_rate" => "low FN",
        other => other,
    }
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

/// Scores one series file, writes the scored CSV and returns the scores (the key is left for the caller).
fn score_file(input: &Path, output: &Path, params: &Arc<DetectorParams>) -> anyhow::Result<ScoredSeries> {
    let file = std::fs::File::open(input).with_context(|| format!("cannot open {}", input.display()))?;
    let mut rows = MetricRows::new(file, "series");
    let mut detector = AnomalyDetector::new(Arc::clone(params));
    let mut csv = String::from("timestamp,value,anomaly_score\n");
    let mut scored = ScoredSeries { key: String::new(), timestamps: Vec::new(), scores: Vec::new() };
    while let Some(row) = rows.next_row().with_context(|| input.display().to_string())? {
        let point =
            row.map_err(|dead| anyhow::anyhow!("{} line {}: {}", input.display(), dead.position.offset, dead.reason))?;
        let assessment = detector.update(point.timestamp, point.value);
        let written = format!("{:.6}", assessment.score);
        // NAB's own layout, which the labels use.
        let _ = writeln!(csv, "{},{},{written}", format_timestamp(point.timestamp), point.value);
        // Scored as written, so these figures and the Python scorer's agree to the digit.
        scored.timestamps.push(point.timestamp);
        scored.scores.push(written.parse().unwrap_or(0.0));
    }
    if let Some(parent) = output.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(output, csv).with_context(|| format!("cannot write {}", output.display()))?;
    Ok(scored)
}
