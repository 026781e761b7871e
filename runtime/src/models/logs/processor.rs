//! The log pipeline stage: applies the user's masks, separates headers (for raw lines), mines each line's template,
//! keeps one sample line per template for people to read, and turns what the miner reports into [`LogEvent`]s:
//! a line's template, template changes, and (every grouping interval, on the injected clock) the groups of similar
//! templates whose members changed.
//!
//! Its state checkpoints as `AUGURLC2` and a postcard body: the miner's state (see `miner::snapshot`), the header
//! learner and the samples; a restored processor assigns every later line exactly as the original would have. Groups
//! are not checkpointed: the first grouping run after a restore publishes every group again.

use std::collections::HashMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{
    GroupingSettings, HeaderLearner, LogEvent, Miner, MinerSettings, TemplateChange, TemplateEvent, group,
    miner::MinerState, template_id,
};
use crate::{
    pipeline::{Processor, StateError},
    record::LogLine,
    time::Millis,
};

/// A user masking rule, compiled: text matching `pattern` becomes `<name>`.
#[derive(Clone, Debug)]
pub struct Mask {
    /// The placeholder's name.
    pub name: String,
    /// What it replaces.
    pub pattern: Regex,
}

/// Everything a log processor is configured with.
#[derive(Clone, Debug, Default)]
pub struct LogSettings {
    /// The miner's settings.
    pub miner: MinerSettings,
    /// Separate a header (timestamp, level, ...) from each line first.
    pub raw: bool,
    /// User masks, applied before mining, in order.
    pub masks: Vec<Mask>,
    /// Grouping of templates, and milliseconds between grouping runs.
    pub grouping: Option<(GroupingSettings, Millis)>,
}

/// Template mining for a pipeline.
pub struct LogProcessor {
    miner: Miner,
    settings: LogSettings,
    header: HeaderLearner,
    samples: HashMap<u64, String>,
    /// Group of each grouped template after the last run, and the groups' member lists.
    groups: HashMap<u64, u64>,
    members: HashMap<u64, Vec<u64>>,
    last_grouping: Option<Millis>,
    changed_since_grouping: bool,
    last_line: i64,
}

/// Longest sample line kept.
const SAMPLE_LENGTH: usize = 300;

impl LogProcessor {
    /// A processor with `settings`.
    pub fn new(settings: LogSettings) -> Self {
        Self {
            miner: Miner::new(settings.miner.clone()),
            settings,
            header: HeaderLearner::default(),
            samples: HashMap::new(),
            groups: HashMap::new(),
            members: HashMap::new(),
            last_grouping: None,
            changed_since_grouping: false,
            last_line: 0,
        }
    }

    /// The miner, for summaries and grouping.
    pub fn miner(&self) -> &Miner {
        &self.miner
    }

    /// A sample line of the template `id` (any id it had).
    pub fn sample(&self, id: u64) -> Option<&str> {
        self.samples.get(&id).map(String::as_str)
    }

    /// The group of template `id` after the last grouping run.
    pub fn group_of(&self, id: u64) -> Option<u64> {
        self.groups.get(&id).copied()
    }

    /// Groups after the last grouping run (`None` when grouping is off or has not run).
    pub fn groups(&self) -> Option<usize> {
        (self.settings.grouping.is_some() && self.last_grouping.is_some()).then_some(self.members.len())
    }

    /// The line with the user's masks applied.
    fn masked<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let mut text = std::borrow::Cow::Borrowed(text);
        for mask in &self.settings.masks {
            if mask.pattern.is_match(&text) {
                let placeholder = format!("<{}>", mask.name);
                text = std::borrow::Cow::Owned(mask.pattern.replace_all(&text, placeholder.as_str()).into_owned());
            }
        }
        text
    }

    /// Template events from the miner, as results.
    fn publish_changes(&mut self, line: &LogLine, out: &mut Vec<LogEvent>) {
        for event in self.miner.take_events() {
            self.changed_since_grouping = true;
            let (change, id, previous) = match event {
                TemplateEvent::Created(id) => (TemplateChange::Created, id, None),
                TemplateEvent::Generalised(old, new) => (TemplateChange::Generalised, new, Some(old)),
                TemplateEvent::Merged(old, into) => (TemplateChange::Merged, into, Some(old)),
                TemplateEvent::Evicted(id) => (TemplateChange::Evicted, id, None),
            };
            let count = self.miner.live_count(id).unwrap_or(0);
            out.push(LogEvent::Template {
                change,
                id: template_id(id),
                previous: previous.map(template_id),
                template: (change != TemplateChange::Evicted).then(|| self.miner.template(id)).flatten(),
                count,
                sample: (change == TemplateChange::Created).then(|| truncated(&line.text)),
                line: line.number,
            });
        }
    }

    /// Runs grouping over the live templates and publishes the groups whose members changed.
    fn regroup(&mut self, now: Millis, out: &mut Vec<LogEvent>) {
        let Some((settings, _)) = &self.settings.grouping else { return };
        self.last_grouping = Some(now);
        self.changed_since_grouping = false;
        let templates = self.miner.live_templates();
        let counts: HashMap<u64, u64> = templates.iter().map(|t| (t.id, t.count)).collect();
        let assignment = group(&templates, settings);
        let mut members: HashMap<u64, Vec<u64>> = HashMap::new();
        for (template, leader) in &assignment {
            members.entry(*leader).or_default().push(*template);
        }
        for list in members.values_mut() {
            list.sort_by_key(|id| (std::cmp::Reverse(counts.get(id).copied().unwrap_or(0)), *id));
        }
        let mut changed: Vec<(&u64, &Vec<u64>)> =
            members.iter().filter(|(leader, list)| list.len() > 1 && self.members.get(leader) != Some(*list)).collect();
        changed.sort_by_key(|(leader, _)| **leader);
        for (leader, list) in changed {
            out.push(LogEvent::Group {
                group: template_id(*leader),
                template: self.miner.template(*leader).unwrap_or_default(),
                templates: list.iter().map(|id| template_id(*id)).collect(),
                count: list.iter().map(|id| counts.get(id).copied().unwrap_or(0)).sum(),
            });
        }
        self.groups = assignment.into_iter().collect();
        self.members = members;
    }
}

/// A line cut to [`SAMPLE_LENGTH`] characters.
fn truncated(text: &str) -> String {
    text.chars().take(SAMPLE_LENGTH).collect()
}

/// Magic and version at the head of a log state snapshot; a snapshot of another format or version is refused.
const SNAPSHOT_HEADER: &[u8; 8] = b"AUGURLC2";

/// A log state snapshot: the miner's state, the sample lines by template id, and the lines since the last metrics
/// refresh (kept for the format's sake).
#[derive(Serialize, Deserialize)]
struct Snapshot {
    miner: MinerState,
    header: HeaderLearner,
    samples: Vec<(u64, String)>,
    since_refresh: u64,
}

impl Processor for LogProcessor {
    type Input = LogLine;
    type Output = LogEvent;

    fn process(&mut self, line: LogLine, out: &mut Vec<LogEvent>) {
        let content = if self.settings.raw { self.header.content(&line.text) } else { line.text.as_str() };
        let masked = self.masked(content);
        let id = self.miner.add(&masked);
        let current = self.miner.resolve(id);
        if !self.samples.contains_key(&current) {
            // Bounded like the templates: a sample per live template, dropped with evicted ones at the next sweep.
            if self.samples.len() > 2 * self.miner.templates() + 1024 {
                let miner = &self.miner;
                self.samples.retain(|id, _| miner.template(*id).is_some());
            }
            self.samples.insert(current, truncated(&line.text));
        }
        self.last_line = line.number;
        self.publish_changes(&line, out);
        out.push(LogEvent::Line { line: line.number, template: template_id(id) });
    }

    /// Regroups once per grouping interval, when templates changed since the last run.
    fn on_time(&mut self, now: Millis, out: &mut Vec<LogEvent>) {
        let Some((_, interval)) = &self.settings.grouping else { return };
        let due = self.last_grouping.is_none_or(|last| now.saturating_sub(last) >= *interval);
        if due && self.changed_since_grouping {
            self.regroup(now, out);
        }
    }

    /// Groups what is left ungrouped at the end of a finite input.
    fn finish(&mut self, now: Millis, out: &mut Vec<LogEvent>) {
        if self.changed_since_grouping {
            self.regroup(now, out);
        }
    }

    /// Header, then the postcard body: the miner's live templates, aliases and clock, and the samples.
    fn checkpoint(&self) -> Result<Vec<u8>, StateError> {
        let mut samples: Vec<(u64, String)> = self.samples.iter().map(|(id, line)| (*id, line.clone())).collect();
        samples.sort_unstable();
        let snapshot = Snapshot { miner: self.miner.state(), header: self.header.clone(), samples, since_refresh: 0 };
        postcard::to_extend(&snapshot, SNAPSHOT_HEADER.to_vec())
            .map_err(|e| StateError(format!("cannot write the log miner snapshot: {e}")))
    }

    /// Replaces the miner's state and the samples with a snapshot's, all or nothing (a snapshot that cannot be read
    /// leaves the state as it was). The miner's settings stay this processor's.
    fn restore(&mut self, snapshot: &[u8]) -> Result<(), StateError> {
        let body = snapshot
            .strip_prefix(SNAPSHOT_HEADER.as_slice())
            .ok_or_else(|| StateError("not a log miner snapshot of this version".into()))?;
        let corrupt = |why: String| StateError(format!("corrupt log miner snapshot: {why}"));
        let (decoded, left): (Snapshot, _) = postcard::take_from_bytes(body).map_err(|e| corrupt(e.to_string()))?;
        if !left.is_empty() {
            return Err(corrupt(format!("{} trailing bytes", left.len())));
        }
        let header = decoded.header.checked().map_err(corrupt)?;
        self.miner.restore_state(decoded.miner).map_err(corrupt)?;
        self.header = header;
        self.samples = decoded.samples.into_iter().collect();
        self.changed_since_grouping = true;
        Ok(())
    }
}

#[cfg(test)]
#[path = "processor_tests.rs"]
mod tests;
