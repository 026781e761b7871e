//! `augur try` for a LogClusterer: the top templates with counts and a sample line, when new templates appeared, the
//! template groups, and a plot of the top templates' rates over the input.

use std::{collections::HashMap, io::Write};

use augur_crds::runtime_config::{LogConfig, RuntimeConfig};

use super::{TryOptions, display, run_file, truncate};
use crate::{
    models::logs::{Assignment, GroupingSettings, LogProcessor, MinerSettings, group},
    pipeline::{Sink, SinkError},
    plot::{Panel, PlotPoint},
    sources::file::LineFileSource,
};

/// Buckets of the input for rates and for when templates appeared.
const BUCKETS: i64 = 50;
/// Templates plotted.
const PLOTTED: usize = 5;

/// Keeps every assignment (line, template at arrival): a local file is small enough.
#[derive(Default)]
struct Assignments(Vec<(i64, u64)>);

impl Sink<Assignment> for Assignments {
    async fn write(&mut self, items: &[Assignment]) -> Result<(), SinkError> {
        self.0.extend(items.iter().map(|a| (a.line, u64::from_str_radix(&a.template, 16).unwrap_or(0))));
        Ok(())
    }
}

/// Runs a LogClusterer's miner over the input, prints the summary and returns the plot panels.
pub async fn run(
    options: &TryOptions,
    config: &RuntimeConfig,
    logs: &LogConfig,
    out: &mut impl Write,
) -> anyhow::Result<Vec<Panel>> {
    let settings = MinerSettings {
        delimiters: logs.delimiters.clone(),
        similarity: logs.similarity_threshold,
        max_templates: logs.max_templates as usize,
        ..MinerSettings::default()
    };
    let mut processor = LogProcessor::new(settings, true);
    let mut assignments = Assignments::default();
    let source = LineFileSource::open(&options.input)?;
    let (report, elapsed) = run_file(options, source, &mut processor, &mut assignments).await?;
    let miner = processor.miner();
    let lines = report.records as i64;
    let bucket_of = |line: i64| ((line - 1) * BUCKETS / lines.max(1)).clamp(0, BUCKETS - 1);

    // Counts and first appearances per current template.
    let mut first_seen: HashMap<u64, i64> = HashMap::new();
    let mut per_bucket: HashMap<u64, Vec<u64>> = HashMap::new();
    for &(line, id) in &assignments.0 {
        let current = miner.resolve(id);
        first_seen.entry(current).or_insert(line);
        per_bucket.entry(current).or_insert_with(|| vec![0; BUCKETS as usize])[bucket_of(line) as usize] += 1;
    }
    let templates = miner.live_templates();
    let groups = logs.grouping.as_ref().map(|g| {
        let settings = GroupingSettings {
            vectorizer: g.vectorizer,
            linkage: g.linkage,
            distance_threshold: g.distance_threshold,
            ..GroupingSettings::default()
        };
        group(&templates, &settings)
    });

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
    let mut new_per_bucket = vec![0u64; BUCKETS as usize];
    first_seen.values().for_each(|line| new_per_bucket[bucket_of(*line) as usize] += 1);
    let tenths: Vec<String> =
        new_per_bucket.chunks(BUCKETS as usize / 10).map(|c| c.iter().sum::<u64>().to_string()).collect();
    writeln!(out, "\n  new templates per tenth of the input: {}", tenths.join(" "))?;
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
    let step = (lines / BUCKETS).max(1);
    Ok(templates
        .iter()
        .take(PLOTTED)
        .map(|template| Panel {
            title: truncate(&miner.template(template.id).unwrap_or_default(), 110),
            points: per_bucket
                .get(&template.id)
                .map(|counts| {
                    counts
                        .iter()
                        .enumerate()
                        .map(|(b, count)| PlotPoint {
                            time: b as i64 * step + 1,
                            value: *count as f64,
                            expected: None,
                            band: None,
                            marked: false,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect())
}
