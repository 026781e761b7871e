//! The log pipeline stage: separates headers (for raw lines), mines each line's template, and keeps one sample line
//! per template for people to read.
//!
//! Its state checkpoints as `AUGURLC2` and a postcard body: the miner's state (see `miner::snapshot`), the header
//! learner and the samples; a restored processor assigns every later line exactly as the original would have.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{HeaderLearner, LogMetrics, Miner, MinerSettings, miner::MinerState};
use crate::{
    pipeline::{Processor, StateError},
    sources::file::LogLine,
};

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
    header: HeaderLearner,
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
            header: HeaderLearner::default(),
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

/// Magic and version at the head of a log state snapshot; a snapshot of another format or version is refused.
const SNAPSHOT_HEADER: &[u8; 8] = b"AUGURLC2";

/// A log state snapshot: the miner's state, the sample lines by template id, and the lines since the last metrics
/// refresh.
#[derive(Serialize, Deserialize)]
struct Snapshot {
    miner: MinerState,
    header: HeaderLearner,
    samples: Vec<(u64, String)>,
    since_refresh: u64,
}

impl Processor for LogProcessor {
    type Input = LogLine;
    type Output = Assignment;

    fn process(&mut self, line: LogLine, out: &mut Vec<Assignment>) {
        let text = if self.raw { self.header.content(&line.text) } else { line.text.as_str() };
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

    /// Header, then the postcard body: the miner's live templates, aliases and clock, and the samples.
    fn checkpoint(&self) -> Result<Vec<u8>, StateError> {
        let mut samples: Vec<(u64, String)> = self.samples.iter().map(|(id, line)| (*id, line.clone())).collect();
        samples.sort_unstable();
        let snapshot = Snapshot {
            miner: self.miner.state(),
            header: self.header.clone(),
            samples,
            since_refresh: self.since_refresh,
        };
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
        self.since_refresh = decoded.since_refresh;
        self.metrics.refresh(&self.miner);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic noise.
    fn next(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    /// A raw sshd-style log: headers, events whose variable words arrive over time (so templates keep generalising
    /// and merging after any checkpoint), a variable first word (templates merge across buckets), two-valued words
    /// that stay two events, and rare one-off lines.
    fn raw_log(lines: std::ops::Range<u64>) -> Vec<LogLine> {
        const USERS: [&str; 12] =
            ["root", "admin", "oracle", "git", "test", "ubuntu", "pi", "guest", "nagios", "ftp", "mysql", "www"];
        const UNITS: [&str; 9] =
            ["cron", "sshd", "nginx", "docker", "kubelet", "containerd", "chronyd", "rsyslog", "auditd"];
        const STATES: [&str; 2] = ["up", "down"];
        const RARE: [&str; 5] = ["kernel panic avoided", "fan speed high", "lid closed", "battery low", "clock skew"];
        lines
            .map(|number| {
                let mut seed = number.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
                let r = next(&mut seed);
                // Variants widen as the log goes on, so the second half brings words never seen in the first.
                let spread = 1 + (number as usize / 150);
                let pick = |list: &[&'static str], r: u64| list[(r as usize % spread.min(list.len())) % list.len()];
                let content = match r % 11 {
                    0 | 1 => format!(
                        "Accepted password for {} from 10.0.{}.{} port {} ssh2",
                        pick(&USERS, r >> 8),
                        r % 7,
                        r % 250,
                        r % 60000
                    ),
                    2 => format!("Invalid user {} from 173.234.{}.{}", pick(&USERS, r >> 12), r % 31, r % 200),
                    3 => {
                        format!("pam_unix(sshd:session): session opened for user {} by (uid=0)", pick(&USERS, r >> 16))
                    }
                    4 => format!(
                        "{} started successfully with pid {} and config version {}",
                        pick(&UNITS, r >> 20),
                        r % 30000,
                        r % 9
                    ),
                    5 => format!("interface eth{} link {}", r % 2, STATES[(r >> 24) as usize % 2]),
                    6 => format!("Received disconnect from 10.1.{}.{}: 11: Bye Bye [preauth]", r % 3, r % 99),
                    7 => format!("Connection closed by {} port {} [preauth]", pick(&USERS, r >> 28), r % 65535),
                    8 => format!("{} {}", RARE[(r >> 32) as usize % RARE.len()], number),
                    9 if number < 2900 => "pam_unix(sshd:auth): check pass; user unknown".to_owned(),
                    // An event first seen late, of a shape no other event has: its templates are created and merge
                    // after any checkpoint.
                    9 => format!(
                        "Session of {} expired after {} idle minutes",
                        USERS[(number as usize - 2900) / 40 % USERS.len()],
                        r % 60
                    ),
                    _ => format!(
                        "disk /dev/sd{} usage {}% on {}",
                        ["a", "b", "c"][r as usize % 3],
                        r % 100,
                        pick(&UNITS, r >> 36)
                    ),
                };
                LogLine {
                    number: number as i64,
                    text: format!(
                        "Dec 10 {:02}:{:02}:{:02} LabSZ sshd[{}]: {content}",
                        number / 3600 % 24,
                        number / 60 % 60,
                        number % 60,
                        20_000 + r % 9000
                    ),
                }
            })
            .collect()
    }

    fn feed(processor: &mut LogProcessor, input: Vec<LogLine>) -> Vec<Assignment> {
        let mut out = Vec::new();
        input.into_iter().for_each(|line| processor.process(line, &mut out));
        out
    }

    fn checkpoint(processor: &LogProcessor) -> Vec<u8> {
        processor.checkpoint().unwrap_or_else(|e| panic!("{e}"))
    }

    /// What a processor's state shows: every live template (id, text, count) and the sample of each.
    fn observable(processor: &LogProcessor) -> Vec<(u64, Option<String>, u64, Option<String>)> {
        let miner = processor.miner();
        let sample = |id| processor.sample(id).map(str::to_owned);
        miner.live_templates().iter().map(|t| (t.id, miner.template(t.id), t.count, sample(t.id))).collect()
    }

    fn assert_continues_exactly(settings: MinerSettings, lines: u64) {
        let mut original = LogProcessor::new(settings.clone(), true);
        let first = feed(&mut original, raw_log(0..lines / 2));
        let snapshot = checkpoint(&original);
        eprintln!(
            "log snapshot: {} bytes for {} templates ({} bytes/template)",
            snapshot.len(),
            original.miner().templates(),
            snapshot.len() / original.miner().templates().max(1)
        );

        let mut restored = LogProcessor::new(settings, true);
        restored.restore(&snapshot).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(observable(&restored), observable(&original));
        let restored_snapshot = checkpoint(&restored);
        let at_checkpoint = observable(&original);
        let expected = feed(&mut original, raw_log(lines / 2..lines));
        let actual = feed(&mut restored, raw_log(lines / 2..lines));
        let live =
            |state: &[(u64, Option<String>, u64, Option<String>)]| -> Vec<u64> { state.iter().map(|t| t.0).collect() };
        let (before, after) = (live(&at_checkpoint), live(&observable(&original)));
        assert!(
            after.iter().any(|id| !before.contains(id)),
            "templates are created or generalised after the checkpoint"
        );
        assert!(before.iter().any(|id| !after.contains(id)), "templates are merged or evicted after the checkpoint");
        assert_eq!(actual, expected, "the same template ids for every line as if never stopped");
        assert_eq!(observable(&restored), observable(&original), "the same templates, counts and samples");
        for id in first.iter().chain(&expected).filter_map(|a| u64::from_str_radix(&a.template, 16).ok()) {
            assert_eq!(restored.miner().resolve(id), original.miner().resolve(id), "{id:016x} resolves alike");
        }
        assert_eq!(restored_snapshot, snapshot, "a restored processor checkpoints the same bytes");
        assert_eq!(checkpoint(&restored), checkpoint(&original), "and the same state later");
    }

    #[test]
    fn a_restored_log_processor_assigns_exactly_as_the_original_would_have() {
        let mut original = LogProcessor::new(MinerSettings::default(), true);
        feed(&mut original, raw_log(0..3000));
        let texts = observable(&original).into_iter().filter_map(|(_, text, _, _)| text);
        assert!(texts.filter(|text| text.contains(super::super::WILDCARD)).count() >= 5, "the log generalises");
        assert_continues_exactly(MinerSettings::default(), 6000);
    }

    #[test]
    fn a_restored_log_processor_evicts_exactly_as_the_original_would_have() {
        assert_continues_exactly(MinerSettings { max_templates: 12, ..MinerSettings::default() }, 4000);
    }

    #[test]
    fn corrupt_truncated_or_foreign_log_snapshots_are_refused_and_the_state_kept() {
        let mut processor = LogProcessor::new(MinerSettings::default(), true);
        feed(&mut processor, raw_log(0..500));
        let snapshot = checkpoint(&processor);
        let before = observable(&processor);
        let bad: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"hello world".to_vec(),
            SNAPSHOT_HEADER.to_vec(),
            [&SNAPSHOT_HEADER[..], &[0xff; 64]].concat(),
            [&b"AUGURLC1"[..], &snapshot[8..]].concat(),
            [&b"AUGURFC1"[..], &snapshot[8..]].concat(),
            snapshot[..snapshot.len() / 2].to_vec(),
            snapshot[..snapshot.len() - 1].to_vec(),
            [&snapshot[..], &[0]].concat(),
        ];
        for bytes in &bad {
            let error = processor.restore(bytes).err().unwrap_or_else(|| panic!("{} bytes accepted", bytes.len()));
            assert!(error.0.contains("log miner snapshot"), "{error}");
        }
        assert_eq!(observable(&processor), before, "a refused snapshot leaves the state as it was");
        // Damaged bytes are refused or decode to some consistent state; they never panic.
        for at in 8..snapshot.len() {
            let mut damaged = snapshot.clone();
            damaged[at] ^= 0x5a;
            let mut scratch = LogProcessor::new(MinerSettings::default(), true);
            if scratch.restore(&damaged).is_ok() {
                feed(&mut scratch, raw_log(500..600));
            }
        }
    }
}
