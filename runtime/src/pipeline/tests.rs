//! The runner: ordering, dead letters, commits after flush, backpressure and graceful shutdown.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering},
};

use tokio::sync::Semaphore;

use super::*;
use crate::record::{Batch, Position};

/// A source of numbered batches (`batches` of them, or endless when `None`); odd multiples of 7 fail to decode.
struct CountingSource {
    batches: Option<u64>,
    produced: Arc<AtomicU64>,
    commits: Arc<Mutex<Vec<Position>>>,
    closed: Arc<AtomicU64>,
}

impl CountingSource {
    fn new(batches: Option<u64>) -> Self {
        Self { batches, produced: Arc::default(), commits: Arc::default(), closed: Arc::default() }
    }
}

impl Source for CountingSource {
    type Item = u64;

    async fn next_step(&mut self) -> Result<Option<Step<u64>>, SourceError> {
        let n = self.produced.load(Ordering::SeqCst);
        if self.batches.is_some_and(|limit| n >= limit) {
            return Ok(None);
        }
        self.produced.fetch_add(1, Ordering::SeqCst);
        let records =
            (n * 10..n * 10 + 10)
                .map(|i| {
                    if i % 7 == 0 && i % 2 == 1 {
                        Err(DeadLetter::new(Position::default(), b"x", "bad"))
                    } else {
                        Ok(i)
                    }
                })
                .collect();
        tokio::task::yield_now().await;
        Ok(Some(Step::Records(Batch { records, end: Position { partition: 0, offset: (n as i64 + 1) * 10 } })))
    }

    async fn commit(&mut self, position: &Position) -> Result<(), SourceError> {
        self.commits.lock().unwrap_or_else(|e| e.into_inner()).push(position.clone());
        Ok(())
    }

    async fn close(&mut self) -> Result<(), SourceError> {
        self.closed.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Doubles every input.
struct Doubler;

impl Processor for Doubler {
    type Input = u64;
    type Output = u64;

    fn process(&mut self, input: u64, out: &mut Vec<u64>) {
        out.push(input * 2);
    }
}

/// Collects what it is given; optionally waits for a permit before each write (to stall the pipeline).
pub(super) struct Collector<T> {
    items: Vec<T>,
    gate: Option<Arc<Semaphore>>,
    flushes: u64,
    closed: bool,
}

impl<T> Default for Collector<T> {
    fn default() -> Self {
        Self { items: Vec::new(), gate: None, flushes: 0, closed: false }
    }
}

impl<T: Clone + Send + Sync> Sink<T> for Collector<T> {
    async fn write(&mut self, items: &[T]) -> Result<(), SinkError> {
        if let Some(gate) = &self.gate {
            gate.acquire().await.map_err(|e| SinkError(e.to_string()))?.forget();
        }
        self.items.extend_from_slice(items);
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.flushes += 1;
        Ok(())
    }

    async fn close(&mut self) -> Result<(), SinkError> {
        self.closed = true;
        Ok(())
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_record_is_processed_in_order_and_dead_letters_are_kept() {
    runtime().block_on(async {
        let source = CountingSource::new(Some(5));
        let (commits, closed) = (source.commits.clone(), source.closed.clone());
        let (mut sink, mut dead) = (Collector::default(), Collector::default());
        let report =
            run(source, &mut Doubler, &mut sink, &mut dead, Shutdown::new(), RunSettings::default(), |_, _| {})
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        let expected: Vec<u64> = (0..50).filter(|i| !(i % 7 == 0 && i % 2 == 1)).map(|i| i * 2).collect();
        assert_eq!(sink.items, expected);
        assert_eq!(dead.items.len(), 4, "7, 21, 35 and 49 fail to decode");
        assert_eq!((report.records, report.dead_letters, report.outputs, report.committed), (46, 4, 46, Some((0, 50))));
        let offsets: Vec<i64> = commits.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|p| p.offset).collect();
        assert_eq!(offsets, [10, 20, 30, 40, 50], "every batch is committed, in order, after its flush");
        assert!(sink.closed && dead.closed);
        assert_eq!(closed.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_stalled_sink_stops_the_source_after_the_channel_fills() {
    runtime().block_on(async {
        let source = CountingSource::new(None);
        let produced = source.produced.clone();
        let gate = Arc::new(Semaphore::new(0));
        let mut sink = Collector { gate: Some(gate.clone()), ..Collector::default() };
        let shutdown = Shutdown::new();
        let settings = RunSettings { channel_capacity: 3, ..RunSettings::default() };
        let stop = shutdown.clone();
        let mut dead = Collector::default();
        let mut processor = Doubler;
        let run = run(source, &mut processor, &mut sink, &mut dead, shutdown, settings, move |report, _| {
            if report.records >= 30 {
                stop.fire();
            }
        });
        let watcher = async {
            // Let the source run until it blocks on the full channel, then release the sink.
            for _ in 0..1000 {
                tokio::task::yield_now().await;
            }
            let ahead = produced.load(Ordering::SeqCst);
            gate.add_permits(1_000);
            ahead
        };
        let (outcome, ahead) = tokio::join!(run, watcher);
        outcome.unwrap_or_else(|e| panic!("{e}"));
        // One batch is held by the blocked sink, `capacity` wait in the channel, one more waits to be sent.
        assert!(ahead <= 1 + 3 + 1, "the source ran {ahead} batches ahead of a stalled sink");
    });
}

#[test]
fn shutdown_drains_in_flight_batches_commits_and_closes() {
    runtime().block_on(async {
        let source = CountingSource::new(None);
        let (commits, closed) = (source.commits.clone(), source.closed.clone());
        let shutdown = Shutdown::new();
        let stop = shutdown.clone();
        let (mut sink, mut dead) = (Collector::default(), Collector::default());
        let report = run(source, &mut Doubler, &mut sink, &mut dead, shutdown, RunSettings::default(), move |r, _| {
            if r.records >= 100 {
                stop.fire();
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(report.records >= 100);
        assert_eq!(sink.items.len() as u64, report.outputs, "nothing processed is lost");
        let last = commits.lock().unwrap_or_else(|e| e.into_inner()).last().map(|p| p.offset);
        assert_eq!(last.map(|offset| (0, offset)), report.committed, "the last processed batch is committed");
        assert_eq!(closed.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn rates_come_from_the_injected_clock() {
    runtime().block_on(async {
        let clock = crate::time::ManualClock::new(1_000_000);
        let ticking = clock.clone();
        let settings = RunSettings { clock: Arc::new(clock), ..RunSettings::default() };
        let (mut sink, mut dead) = (Collector::default(), Collector::default());
        let mut processor = Doubler;
        let report = run(
            CountingSource::new(Some(4)),
            &mut processor,
            &mut sink,
            &mut dead,
            Shutdown::new(),
            settings,
            |_, _| {
                // Each processed batch takes half a second of (manual) wall-clock time.
                ticking.advance(500);
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        // The final report covers the whole run, the last batch's half second included.
        assert_eq!(report.elapsed_ms, 2_000);
        assert!((report.records_per_second() - report.records as f64 / 2.0).abs() < 1e-9);
    });
}

/// Fails on its second write.
struct FailingSink(u32);

impl Sink<u64> for FailingSink {
    async fn write(&mut self, _: &[u64]) -> Result<(), SinkError> {
        self.0 += 1;
        if self.0 >= 2 { Err(SinkError("disk full".into())) } else { Ok(()) }
    }
}

#[test]
fn a_failing_sink_stops_the_run_with_its_error_even_with_a_blocked_source() {
    runtime().block_on(async {
        let source = CountingSource::new(None);
        let closed = source.closed.clone();
        let settings = RunSettings { channel_capacity: 1, ..RunSettings::default() };
        let (mut sink, mut dead) = (FailingSink(0), Collector::default());
        let mut processor = Doubler;
        let run = run(source, &mut processor, &mut sink, &mut dead, Shutdown::new(), settings, |_, _| {});
        // A guard against a regression that would hang the run, not a timing assertion.
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(30), run).await;
        let error = outcome.unwrap_or_else(|_| panic!("the run hung after the sink failed")).err();
        assert!(matches!(error, Some(PipelineError::Sink(_))), "{error:?}");
        assert_eq!(closed.load(Ordering::SeqCst), 1, "the source is closed");
    });
}
