//! The Prometheus source: a PromQL range query every step against a Prometheus server. Each returned series is
//! keyed by its labels. The position is the end of the last range read (ms), checkpointed with the state: after a
//! restart or an outage the missing range is read (at most `backfill` back, in chunks the server accepts), so gaps
//! are filled rather than skipped. Server errors are retried with backoff; a refused query is reported and retried
//! every step, since it may be fixed by a change on the server side. Ranges end a little behind now, so the samples
//! of the last scrape are in.

mod client;
mod response;

use std::{collections::VecDeque, sync::Arc, time::Duration};

use augur_crds::runtime_config::PrometheusInput;
pub use client::PrometheusClient;
pub use response::{QueryError, parse as parse_response, series_id};

use crate::{
    checkpoint::{CheckpointStore, Restorer, Start},
    record::{Batch, MetricPoint, Position},
    sources::{Source, SourceError, Step},
    status::Health,
    time::{Clock, Millis},
};

/// Most steps asked for in one query (Prometheus refuses more than 11,000 points per series).
const MAX_STEPS_PER_QUERY: i64 = 10_000;
/// Longest a query may take.
const QUERY_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest pause between two attempts after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Points from a PromQL range query, polled every step.
pub struct PrometheusSource {
    client: PrometheusClient,
    query: String,
    step_ms: Millis,
    backfill_ms: Millis,
    /// How far behind now ranges end, so the last scrape's samples have arrived.
    lag_ms: Millis,
    clock: Arc<dyn Clock>,
    /// Reads the checkpoint before the first query (retried while the store cannot be read).
    restorer: Option<Restorer>,
    last_end: Option<Millis>,
    pending: VecDeque<Step<MetricPoint>>,
    backoff: Duration,
}

impl PrometheusSource {
    /// A source for `input`, reading time from `clock`; checkpoints are loaded from `store` when given.
    pub fn new(
        input: &PrometheusInput,
        clock: Arc<dyn Clock>,
        store: Option<Arc<dyn CheckpointStore>>,
    ) -> Result<Self, SourceError> {
        let client = PrometheusClient::new(input, QUERY_TIMEOUT).map_err(SourceError::Config)?;
        let step_ms = i64::try_from(input.step.as_std().as_millis()).unwrap_or(i64::MAX).max(1000);
        let backfill_ms = i64::try_from(input.backfill.as_std().as_millis()).unwrap_or(i64::MAX);
        Ok(Self {
            client,
            query: input.query.clone(),
            step_ms,
            backfill_ms,
            lag_ms: step_ms.min(30_000),
            restorer: store.map(|store| Restorer::new(store, clock.clone(), Health::new())),
            clock,
            last_end: None,
            pending: VecDeque::new(),
            backoff: Duration::from_secs(1),
        })
    }

    /// Reports restore problems (a checkpoint store that cannot be read yet, a state reset) to `health`.
    pub fn with_health(mut self, health: Health) -> Self {
        self.restorer = self.restorer.map(|restorer| restorer.with_health(health));
        self
    }

    /// Sets how far behind now ranges end (tests that scrape fast shorten it).
    pub fn with_lag(mut self, lag_ms: Millis) -> Self {
        self.lag_ms = lag_ms.max(0);
        self
    }

    fn align(&self, time: Millis) -> Millis {
        time.div_euclid(self.step_ms) * self.step_ms
    }

    /// The next range to read, if one is complete: (start, end), both aligned, inclusive.
    fn next_range(&self, now: Millis) -> Option<(Millis, Millis)> {
        let end = self.align(now - self.lag_ms);
        let earliest = self.align(now - self.backfill_ms);
        let start = self.last_end.map_or(earliest, |last| last + self.step_ms).max(earliest);
        (start <= end).then(|| (start, end.min(start + (MAX_STEPS_PER_QUERY - 1) * self.step_ms)))
    }

    async fn query(&self, start: Millis, end: Millis) -> Result<Vec<MetricPoint>, QueryError> {
        let seconds = |ms: Millis| format!("{:.3}", ms as f64 / 1000.0);
        let (status, body) = self
            .client
            .query_range(&self.query, &seconds(start), &seconds(end), &seconds(self.step_ms))
            .await
            .map_err(|e| QueryError::Unavailable(format!("{}: {e}", self.client.authority())))?;
        response::parse(status, &body)
    }

    /// Sleeps `pause` (capped so the runner hears from the source at least every second) and reports idleness.
    async fn idle(pause: Duration) -> Option<Step<MetricPoint>> {
        tokio::time::sleep(pause.min(Duration::from_secs(1))).await;
        Some(Step::Idle)
    }
}

impl Source for PrometheusSource {
    type Item = MetricPoint;

    async fn start(&mut self) -> Result<(), SourceError> {
        if self.restorer.is_none() {
            self.pending.push_back(Step::Assigned { partition: 0, snapshot: None });
        }
        if let Some(restorer) = &mut self.restorer {
            restorer.add(&[0]);
        }
        Ok(())
    }

    async fn next_step(&mut self) -> Result<Option<Step<MetricPoint>>, SourceError> {
        if let Some(step) = self.pending.pop_front() {
            return Ok(Some(step));
        }
        // Nothing is queried before the state is back: the position is part of it.
        if let Some(restorer) = self.restorer.as_mut().filter(|restorer| restorer.has_waiting()) {
            return Ok(match restorer.poll().await.pop() {
                Some((_, Start::Resume { next_offset, state })) => {
                    self.last_end = Some(next_offset);
                    Some(Step::Assigned { partition: 0, snapshot: Some(state) })
                }
                Some((_, Start::Fresh)) => Some(Step::Assigned { partition: 0, snapshot: None }),
                None => Self::idle(Duration::from_millis(restorer.due_in().unwrap_or(0).max(1) as u64)).await,
            });
        }
        let now = self.clock.now();
        let Some((start, end)) = self.next_range(now) else {
            let next_end = self.last_end.map_or(now, |last| last + self.step_ms);
            let wait = (next_end + self.lag_ms - now).clamp(1, self.step_ms);
            return Ok(Self::idle(Duration::from_millis(wait as u64)).await);
        };
        match self.query(start, end).await {
            Ok(points) => {
                self.last_end = Some(end);
                self.backoff = Duration::from_secs(1);
                let records = points.into_iter().map(Ok).collect();
                Ok(Some(Step::Records(Batch { records, end: Position { partition: 0, offset: end } })))
            }
            Err(error) => {
                tracing::warn!(query = %self.query, %error, retry_in_s = self.backoff.as_secs(), "Prometheus query failed");
                let pause = self.backoff;
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                Ok(Self::idle(pause).await)
            }
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::time::ManualClock;

    fn source(clock: &ManualClock) -> PrometheusSource {
        let input = client::tests::input("http://127.0.0.1:9");
        PrometheusSource::new(&input, Arc::new(clock.clone()), None).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn ranges_start_at_the_backfill_then_follow_the_last_end() {
        let clock = ManualClock::new(10_000_000);
        let mut source = source(&clock);
        let now = clock.now();
        let (start, end) = source.next_range(now).unwrap_or_else(|| panic!("a first range"));
        assert_eq!((start, end), (source.align(now - 3_600_000), source.align(now - 30_000)));
        source.last_end = Some(end);
        assert_eq!(source.next_range(now), None, "nothing new within the same step");
        assert_eq!(source.next_range(now + 60_000), Some((end + 60_000, end + 60_000)));
        // After an outage longer than the backfill, reading resumes at the backfill's start, not before.
        let later = now + 10 * 3_600_000;
        assert_eq!(source.next_range(later).map(|r| r.0), Some(source.align(later - 3_600_000)));
    }

    #[test]
    fn long_ranges_are_read_in_chunks() {
        let clock = ManualClock::new(2_000_000_000);
        let mut source = source(&clock);
        source.backfill_ms = 30 * 86_400_000;
        let (start, end) = source.next_range(clock.now()).unwrap_or_else(|| panic!("a range"));
        assert_eq!((end - start) / source.step_ms + 1, MAX_STEPS_PER_QUERY);
    }
}
