//! `augur try` for a LogClusterer: the top templates with counts and a sample line, when new templates appeared, the
//! template events and groups a pod would publish, and a plot of the rates of new, bursting and frequent templates
//! over time ([`super::log_plot`]).

use std::{collections::HashMap, io::Write};

use anyhow::Context;
use augur_crds::runtime_config::{LogConfig, RuntimeConfig};

use super::{
    TryOptions, display,
    log_plot::{Axis, BUCKETS, Notable, Row, noteworthy},
    run_file, truncate,
};
use crate::{
    job::LogKind,
    models::logs::{LogEvent, TemplateChange},
    pipeline::{Sink, SinkError},
    plot::{Panel, PlotPoint},
    sources::file::LineFileSource,
};

/// Templates plotted.
const PLOTTED: usize = 6;

/// Counts per template id at arrival: lines per chunk of the input and the first line. A chunk starts as one line and
/// doubles (merging neighbours) whenever the input passes `MAX_CHUNKS` chunks, so the tally stays bounded by
/// templates × `MAX_CHUNKS` whatever the input's length, and always finer than the plot's buckets. Ids are resolved
/// to the current templates once the input is done.
struct Tally {
    chunk_lines: i64,
    chunks: HashMap<u64, Vec<(i64, u64)>>,
    first_seen: HashMap<u64, i64>,
    /// Template events by change, and group events: what a pod publishes to its topic.
    changes: HashMap<&'static str, u64>,
}

/// Most chunks kept per template.
const MAX_CHUNKS: i64 = 4096;

impl Default for Tally {
    fn default() -> Self {
        Self { chunk_lines: 1, chunks: HashMap::new(), first_seen: HashMap::new(), changes: HashMap::new() }
    }
}

impl Tally {
    /// Doubles the chunk length, merging neighbouring chunks.
    fn coarsen(&mut self) {
        self.chunk_lines *= 2;
        for counts in self.chunks.values_mut() {
            let mut merged: Vec<(i64, u64)> = Vec::with_capacity(counts.len() / 2 + 1);
            for &(chunk, count) in counts.iter() {
                match merged.last_mut() {
                    Some((last, total)) if *last == chunk / 2 => *total += count,
                    _ => merged.push((chunk / 2, count)),
                }
            }
            *counts = merged;
        }
    }
}

impl Sink<LogEvent> for Tally {
    async fn write(&mut self, items: &[LogEvent]) -> Result<(), SinkError> {
        for event in items {
            let (line, template) = match event {
                LogEvent::Line { line, template } => (*line, template),
                LogEvent::Template { change, .. } => {
                    let name = match change {
                        TemplateChange::Created => "created",
                        TemplateChange::Generalised => "generalised",
                        TemplateChange::Merged => "merged",
                        TemplateChange::Evicted => "evicted",
                    };
                    *self.changes.entry(name).or_default() += 1;
                    continue;
                }
                LogEvent::Group { .. } => {
                    *self.changes.entry("group").or_default() += 1;
                    continue;
                }
            };
            let id = u64::from_str_radix(template, 16).unwrap_or(0);
            self.first_seen.entry(id).or_insert(line);
            while (line - 1) / self.chunk_lines >= MAX_CHUNKS {
                self.coarsen();
            }
            let chunk = (line - 1) / self.chunk_lines;
            let counts = self.chunks.entry(id).or_default();
            match counts.last_mut() {
                Some((last, count)) if *last == chunk => *count += 1,
                _ => counts.push((chunk, 1)),
            }
        }
        Ok(())
    }
}

/// What the plot of a LogClusterer shows.
pub struct LogPlot {
    /// One panel per template, new and bursting ones first.
    pub panels: Vec<Panel>,
    /// What the lines and marks mean.
    pub legend: String,
    /// Whether the horizontal axis is time (the lines carry timestamps) rather than line numbers.
    pub by_time: bool,
}

/// Runs a LogClusterer's miner over the input, prints the summary and returns the plot.
pub async fn run(
    options: &TryOptions,
    config: &RuntimeConfig,
    logs: &LogConfig,
    out: &mut impl Write,
) -> anyhow::Result<LogPlot> {
    let mut kind = LogKind::new(logs).map_err(anyhow::Error::msg).context("the LogClusterer's masks")?;
    let mut tally = Tally::default();
    let source = LineFileSource::open(&options.input)?;
    let ran = run_file(options, source, &mut kind, &mut tally).await?;
    let (report, elapsed) = (ran.report, ran.elapsed);
    let Some(processor) = ran.stage.get(0) else {
        writeln!(out, "{} {} on {}: no lines", config.resource.kind, config.resource.name, display(&options.input))?;
        return Ok(LogPlot { panels: Vec::new(), legend: String::new(), by_time: false });
    };
    let miner = processor.miner();
    let lines = report.records as i64;
    let axis = Axis::of(&options.input, lines, tally.chunk_lines)?;

    // Counts and first appearances per current template.
    let mut first_seen: HashMap<u64, i64> = HashMap::new();
    for (&id, &line) in &tally.first_seen {
        let first = first_seen.entry(miner.resolve(id)).or_insert(line);
        *first = (*first).min(line);
    }
    let mut per_bucket: HashMap<u64, Vec<u64>> = HashMap::new();
    for (&id, counts) in &tally.chunks {
        let row = per_bucket.entry(miner.resolve(id)).or_insert_with(|| vec![0; BUCKETS as usize]);
        for &(chunk, count) in counts {
            row[axis.bucket_of_chunk(chunk) as usize] += count;
        }
    }
    let templates = miner.live_templates();
    let groups: Option<Vec<(u64, u64)>> = logs
        .grouping
        .as_ref()
        .map(|_| templates.iter().filter_map(|t| processor.group_of(t.id).map(|g| (t.id, g))).collect());

    writeln!(out, "{} {} on {}", config.resource.kind, config.resource.name, display(&options.input))?;
    let group_count = groups.as_ref().map(|g| {
        let mut leaders: Vec<u64> = g.iter().map(|(_, leader)| *leader).collect();
        leaders.sort_unstable();
        leaders.dedup();
        leaders.len()
    });
    writeln!(
        out,
        "  {} lines, {} templates{}, {:.0} ms",
        report.records,
        templates.len(),
        group_count.map_or_else(String::new, |n| format!(", {n} groups")),
        elapsed.as_secs_f64() * 1000.0
    )?;
    writeln!(out, "\n  top templates")?;
    writeln!(out, "  {:>8}  {:<60}  sample", "lines", "template")?;
    for template in templates.iter().take(options.top) {
        let text = miner.template(template.id).unwrap_or_default();
        let sample = processor.sample(template.id).unwrap_or_default();
        writeln!(out, "  {:>8}  {:<60}  {}", template.count, truncate(&text, 60), truncate(sample, 60))?;
    }
    let bucket_of_line = |line: i64| ((line - 1) * BUCKETS / lines.max(1)).clamp(0, BUCKETS - 1);
    let mut new_per_bucket = vec![0u64; BUCKETS as usize];
    first_seen.values().for_each(|line| new_per_bucket[bucket_of_line(*line) as usize] += 1);
    let tenths: Vec<String> =
        new_per_bucket.chunks(BUCKETS as usize / 10).map(|c| c.iter().sum::<u64>().to_string()).collect();
    writeln!(out, "\n  new templates per tenth of the input: {}", tenths.join(" "))?;
    let count = |name: &str| tally.changes.get(name).copied().unwrap_or(0);
    writeln!(
        out,
        "  published to the topic: {} new, {} generalised, {} merged, {} evicted templates; {} group changes",
        count("created"),
        count("generalised"),
        count("merged"),
        count("evicted"),
        count("group")
    )?;
    if let Some(groups) = &groups {
        let mut members: HashMap<u64, Vec<u64>> = HashMap::new();
        groups.iter().for_each(|(template, leader)| members.entry(*leader).or_default().push(*template));
        let mut shared: Vec<(u64, Vec<u64>)> = members.into_iter().filter(|(_, m)| m.len() > 1).collect();
        shared.sort_by_key(|(leader, m)| (std::cmp::Reverse(m.len()), *leader));
        writeln!(out, "\n  groups of similar templates ({} with more than one template)", shared.len())?;
        for (leader, members) in shared.iter().take(options.top) {
            let text = miner.template(*leader).unwrap_or_default();
            writeln!(out, "  {:>3} templates like  {}", members.len(), truncate(&text, 80))?;
        }
    }

    let rows: Vec<Row> = templates
        .iter()
        .filter_map(|t| {
            let counts = per_bucket.remove(&t.id)?;
            let first = first_seen.get(&t.id).copied().unwrap_or(1);
            Some(Row { id: t.id, counts, first_bucket: axis.bucket_of_line(first), first_line: first })
        })
        .collect();
    let chosen = noteworthy(&rows, PLOTTED);
    writeln!(out, "\n  plotted: new and bursting templates first, then the most frequent")?;
    let panels = chosen
        .iter()
        .map(|(row, notable)| {
            let text = miner.template(row.id).unwrap_or_default();
            let why = match notable {
                Notable::New => format!("new at {}", axis.label(axis.position_of_line(row.first_line))),
                Notable::Burst(ratio) => format!("burst: {ratio:.0}x its mean rate"),
                Notable::Frequent => "frequent".to_owned(),
            };
            let total: u64 = row.counts.iter().sum();
            let _ = writeln!(out, "  {:>8}  {:<60}  {why}", total, truncate(&text, 60));
            Panel {
                title: format!("{} ({why}, {total} lines)", truncate(&text, 90)),
                points: row
                    .counts
                    .iter()
                    .enumerate()
                    .map(|(b, count)| PlotPoint {
                        time: axis.bucket_start(b as i64),
                        value: *count as f64,
                        expected: None,
                        band: None,
                        marked: *notable == Notable::New && b as i64 == row.first_bucket,
                    })
                    .collect(),
            }
        })
        .collect();
    let legend = format!(
        "lines matching each template per {}; new and bursting templates first; orange: where a new template first \
         appears",
        axis.bucket_text
    );
    Ok(LogPlot { panels, legend, by_time: axis.by_time })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_stays_bounded_and_keeps_every_line() {
        let mut tally = Tally::default();
        let assignments: Vec<LogEvent> =
            (1..=100_000).map(|line| LogEvent::Line { line, template: format!("{:016x}", line % 3) }).collect();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(tally.write(&assignments)).unwrap_or_else(|e| panic!("{e}"));
        assert!(tally.chunks.values().all(|c| c.len() as i64 <= MAX_CHUNKS), "bounded");
        let total: u64 = tally.chunks.values().flatten().map(|(_, count)| count).sum();
        assert_eq!(total, 100_000, "every line is counted");
        assert_eq!(tally.first_seen.get(&1), Some(&1));
    }
}
