//! The pipeline's side of publishing: one report per publication interval, on the injected clock, with the
//! figures every kind shares (partitions, records and their rate, dead letters, the last result). This is the only
//! rate limit on the way to the status: the publishing task applies every report it is handed.

use super::{KindEntries, ModelProgress, PodReport, PublisherHandle};
use crate::{pipeline::RunReport, time::Millis};

/// When reports are due, and where they go.
pub struct Publication {
    handle: Option<PublisherHandle>,
    interval_ms: Millis,
    last: Option<Millis>,
    previous: Option<(u64, Millis)>,
    last_result: Option<Millis>,
}

impl Publication {
    /// Reports every `interval_ms` to `handle`; without a handle nothing is published (no cluster, `augur try`).
    pub fn new(handle: Option<PublisherHandle>, interval_ms: Millis) -> Self {
        Self { handle, interval_ms: interval_ms.max(1), last: None, previous: None, last_result: None }
    }

    /// Notes that results were produced at `now`.
    pub fn results_at(&mut self, now: Millis) {
        self.last_result = Some(now);
    }

    /// Whether a report is due at `now` (always true the first time). `false` without a publisher.
    pub fn due(&self, now: Millis) -> bool {
        self.handle.is_some() && self.last.is_none_or(|last| now.saturating_sub(last) >= self.interval_ms)
    }

    /// The series the policies want published, when known.
    pub fn wanted(&self) -> Option<Vec<String>> {
        self.handle.as_ref().and_then(PublisherHandle::wanted)
    }

    /// When a report is due at `now`, builds the kind's part with `part` and hands the report over; otherwise does
    /// nothing (and builds nothing). Returns whether a report was handed over.
    pub fn offer(
        &mut self,
        now: Millis,
        run: &RunReport,
        partitions: impl FnOnce() -> Vec<i32>,
        series_tracked: i64,
        part: impl FnOnce(Option<&[String]>) -> (KindEntries, ModelProgress),
    ) -> bool {
        if !self.due(now) {
            return false;
        }
        let wanted = self.wanted();
        let part = part(wanted.as_deref());
        self.send(now, run, partitions(), series_tracked, part);
        true
    }

    /// Hands over a report made of the run's figures and the kind's part.
    pub fn send(
        &mut self,
        now: Millis,
        run: &RunReport,
        partitions: Vec<i32>,
        series_tracked: i64,
        (entries, model): (KindEntries, ModelProgress),
    ) {
        let Some(handle) = &self.handle else { return };
        let records_per_second = match self.previous {
            Some((records, at)) if now > at => run.records.saturating_sub(records) as f64 * 1000.0 / (now - at) as f64,
            _ => run.records_per_second(),
        };
        handle.send(PodReport {
            partitions,
            series_tracked,
            records: run.records,
            records_per_second,
            dead_letters: run.dead_letters,
            last_result: self.last_result,
            model,
            entries,
        });
        self.previous = Some((run.records, now));
        self.last = Some(now);
    }

    /// The publisher's handle, when publishing.
    pub fn handle(&self) -> Option<&PublisherHandle> {
        self.handle.as_ref()
    }
}
