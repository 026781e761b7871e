//! `augur-bench loghub --data DIR --out OUT [--raw] [--folds]`: mines templates from each system's Content column
//! (the published protocol) with ONE default configuration, writes `OUT/<System>.csv` with
//! `LineId,ClusterId,Template` for the loghub scorer, and prints each system's grouping accuracy (GA) against the
//! corrected ground truth and their mean. Each line's cluster is the id it got on arrival, resolved through the
//! generalisations that followed (as a consumer of the template events would). `--raw` feeds the whole raw lines
//! (`<System>_2k.log`) instead, each system a stream whose header the miner's header learner separates.
//!
//! `--folds` adds leave-one-system-out validation: every candidate configuration of [`candidates`] (the defaults
//! first) is scored on every system; for each fold the candidate with the best mean GA over the other systems is
//! chosen (ties go to the earlier candidate, so the defaults win unless beaten) and scored on the system left out.
//! A fold that picks the defaults scores what the in-sample run scores on that system; one that picks another
//! candidate shows that the defaults are tuned to the system left out.

use std::{fmt::Write as _, path::Path};

use anyhow::{Context, bail};

use super::ga::grouping_accuracy;
use augur_runtime::models::logs::{HeaderLearner, Miner, MinerSettings};

/// One system of the corpus.
pub struct System {
    /// Its name (the folder's).
    pub name: String,
    /// `(LineId, text)`: the Content column, or the raw lines.
    pub lines: Vec<(String, String)>,
    /// The corrected ground-truth event of each line, in the same order.
    pub truth: Vec<String>,
}

/// The systems under `data`, sorted by name: the Content column (or the raw lines) and the corrected ground truth.
pub fn load(data: &Path, raw: bool) -> anyhow::Result<Vec<System>> {
    let mut names: Vec<String> = std::fs::read_dir(data)
        .with_context(|| format!("cannot read {}", data.display()))?
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| data.join(name).join(format!("{name}_2k.log_structured.csv")).exists())
        .collect();
    names.sort();
    if names.is_empty() {
        bail!("no <System>/<System>_2k.log_structured.csv under {}", data.display());
    }
    names
        .into_iter()
        .map(|name| {
            let folder = data.join(&name);
            let structured = folder.join(format!("{name}_2k.log_structured.csv"));
            let content = column_pairs(&structured, "Content")?;
            let corrected = folder.join(format!("{name}_2k.log_structured_corrected.csv"));
            let events = column_pairs(if corrected.exists() { &corrected } else { &structured }, "EventId")?;
            let lines = if raw { raw_lines(&folder.join(format!("{name}_2k.log")))? } else { content };
            let truth: std::collections::HashMap<String, String> = events.into_iter().collect();
            let truth = lines.iter().map(|(id, _)| truth.get(id).cloned().unwrap_or_default()).collect();
            Ok(System { name, lines, truth })
        })
        .collect()
}

/// Mines one system's lines with `settings` (one stream, one miner); returns each line's resolved cluster and the
/// miner.
pub fn mine(system: &System, settings: &MinerSettings, raw: bool) -> (Vec<u64>, Miner) {
    let mut miner = Miner::new(settings.clone());
    let mut header = HeaderLearner::default();
    let assigned: Vec<u64> =
        system.lines.iter().map(|(_, line)| miner.add(if raw { header.content(line) } else { line })).collect();
    (assigned.into_iter().map(|id| miner.resolve(id)).collect(), miner)
}

/// Runs the benchmark with the defaults, writes the predictions, prints GA per system; with `folds`, also the
/// leave-one-system-out validation. Returns the mean in-sample GA.
pub fn run(data: &Path, out: &Path, raw: bool, folds: bool, report: &mut impl std::io::Write) -> anyhow::Result<f64> {
    let systems = load(data, raw)?;
    std::fs::create_dir_all(out)?;
    let started = std::time::Instant::now();
    let settings = MinerSettings::default();
    let mut scores = Vec::with_capacity(systems.len());
    for system in &systems {
        let (clusters, miner) = mine(system, &settings, raw);
        let mut csv = String::from("LineId,ClusterId,Template\n");
        for ((id, _), cluster) in system.lines.iter().zip(&clusters) {
            let text = miner.template(*cluster).unwrap_or_default().replace('"', "\"\"");
            let _ = writeln!(csv, "{id},{cluster:016x},\"{text}\"");
        }
        std::fs::write(out.join(format!("{}.csv", system.name)), csv)?;
        let ga = grouping_accuracy(&clusters, &system.truth);
        writeln!(report, "{:<10} GA {ga:.3}  {} lines, {} templates", system.name, clusters.len(), miner.templates())?;
        scores.push(ga);
    }
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    writeln!(report, "{:<10} GA {mean:.3}  in-sample, {:.0} ms", "MEAN", started.elapsed().as_secs_f64() * 1e3)?;
    if folds {
        cross_validate(&systems, raw, report)?;
    }
    writeln!(
        report,
        "predictions in {}; score with: python3 ../shared/bench/loghub2k/ga.py --corrected --pred-dir {} --gt-root \
         ../shared/bench/loghub2k",
        out.display(),
        out.display()
    )?;
    Ok(mean)
}

/// The configurations a fold may choose from: the defaults first, then each tunable setting moved one step either
/// way (one at a time), which is what a designer tuning on seven systems would try.
pub fn candidates() -> Vec<(String, MinerSettings)> {
    let base = MinerSettings::default();
    let mut out = vec![("defaults".to_owned(), base.clone())];
    for similarity in [base.similarity - 0.1, base.similarity + 0.1] {
        out.push((format!("similarity={similarity:.1}"), MinerSettings { similarity, ..base.clone() }));
    }
    for sibling_merge in [base.sibling_merge - 1, base.sibling_merge + 1] {
        out.push((format!("sibling_merge={sibling_merge}"), MinerSettings { sibling_merge, ..base.clone() }));
    }
    for max_mismatches in [base.max_mismatches - 1, base.max_mismatches + 1] {
        out.push((format!("max_mismatches={max_mismatches}"), MinerSettings { max_mismatches, ..base.clone() }));
    }
    for min_shared in [base.min_shared - 1, base.min_shared + 1] {
        out.push((format!("min_shared={min_shared}"), MinerSettings { min_shared, ..base.clone() }));
    }
    out
}

/// Leave-one-system-out over [`candidates`]; prints each fold and the mean and worst fold.
fn cross_validate(systems: &[System], raw: bool, report: &mut impl std::io::Write) -> anyhow::Result<()> {
    let candidates = candidates();
    let scores: Vec<Vec<f64>> = candidates
        .iter()
        .map(|(_, settings)| {
            systems.iter().map(|system| grouping_accuracy(&mine(system, settings, raw).0, &system.truth)).collect()
        })
        .collect();
    writeln!(report, "leave-one-system-out over {} candidate configurations:", candidates.len())?;
    let mut held_out = Vec::with_capacity(systems.len());
    for (fold, system) in systems.iter().enumerate() {
        let training = |c: usize| {
            scores[c].iter().enumerate().filter(|(s, _)| *s != fold).map(|(_, ga)| ga).sum::<f64>()
                / (systems.len() - 1).max(1) as f64
        };
        let mut chosen = 0;
        for c in 1..candidates.len() {
            if training(c) > training(chosen) + 1e-12 {
                chosen = c;
            }
        }
        let ga = scores[chosen][fold];
        writeln!(
            report,
            "fold {:<10} held-out GA {ga:.3}  (chose {}, training mean {:.3})",
            system.name,
            candidates[chosen].0,
            training(chosen)
        )?;
        held_out.push(ga);
    }
    let mean = held_out.iter().sum::<f64>() / held_out.len().max(1) as f64;
    let worst = held_out.iter().copied().fold(f64::INFINITY, f64::min);
    writeln!(report, "folds: mean held-out GA {mean:.3}, worst {worst:.3}")?;
    Ok(())
}

/// `(LineId, column)` of a structured CSV (quoted fields hold commas, quotes and newlines).
fn column_pairs(file: &Path, wanted: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let header = reader.headers().with_context(|| file.display().to_string())?.clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(line_id), Some(value)) = (column("LineId"), column(wanted)) else {
        bail!("{} has no LineId and {wanted} columns", file.display());
    };
    let mut pairs = Vec::new();
    for row in reader.records() {
        let row = row.with_context(|| file.display().to_string())?;
        if let (Some(id), Some(text)) = (row.get(line_id), row.get(value)) {
            pairs.push((id.to_owned(), text.to_owned()));
        }
    }
    Ok(pairs)
}

/// `(line number, line)` of a raw log, numbered from 1 like the structured CSV's LineId.
fn raw_lines(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text.split_terminator('\n').enumerate().map(|(i, line)| ((i + 1).to_string(), line.to_owned())).collect())
}
