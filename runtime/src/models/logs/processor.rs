//! The log pipeline stage: separates headers (for raw lines), mines each line's template, and keeps one sample line
//! per template for people to read.

use std::collections::HashMap;

use super::{LogMetrics, Miner, MinerSettings, content};
use crate::{pipeline::Processor, sources::file::LogLine};

/// A line's template, as assigned when the line arrived.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Assignment {
    /// Line number.
    pub line: i64,
    /// Template id at arrival (follow the miner's aliases for the current one).
    pub template: String,
}

/// Template mining for a pipeline.
pub struct LogProcessor {
    miner: Miner,
    raw: bool,
    samples: HashMap<u64, String>,
    metrics: LogMetrics,
    since_refresh: u64,
}

/// Lines between refreshes of the per-template metrics.
const METRICS_REFRESH_LINES: u64 = 4096;

/// Longest sample line kept.
const SAMPLE_LENGTH: usize = 300;

impl LogProcessor {
    /// A miner with `settings`; `raw` separates headers from raw lines first.
    pub fn new(settings: MinerSettings, raw: bool) -> Self {
        Self {
            miner: Miner::new(settings),
            raw,
            samples: HashMap::new(),
            metrics: LogMetrics::default(),
            since_refresh: 0,
        }
    }

    /// The miner, for summaries and grouping.
    pub fn miner(&self) -> &Miner {
        &self.miner
    }

    /// The pipeline's log metrics, refreshed every few thousand lines.
    pub fn metrics(&self) -> &LogMetrics {
        &self.metrics
    }

    /// A sample line of the template `id` (any id it had).
    pub fn sample(&self, id: u64) -> Option<&str> {
        self.samples.get(&id).map(String::as_str)
    }
}

impl Processor for LogProcessor {
    type Input = LogLine;
    type Output = Assignment;

    fn process(&mut self, line: LogLine, out: &mut Vec<Assignment>) {
        let text = if self.raw { content(&line.text) } else { line.text.as_str() };
        let id = self.miner.add(text);
        let current = self.miner.resolve(id);
        if !self.samples.contains_key(&current) {
            // Bounded like the templates: a sample per live template, dropped with evicted ones at the next sweep.
            if self.samples.len() > 2 * self.miner.templates() + 1024 {
                let miner = &self.miner;
                self.samples.retain(|id, _| miner.template(*id).is_some());
            }
            self.samples.insert(current, line.text.chars().take(SAMPLE_LENGTH).collect());
        }
        self.metrics.count_lines(1);
        self.since_refresh += 1;
        if self.since_refresh >= METRICS_REFRESH_LINES {
            self.metrics.refresh(&self.miner);
            self.since_refresh = 0;
        }
        out.push(Assignment { line: line.number, template: format!("{id:016x}") });
    }
}
