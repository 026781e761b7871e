//! The runner: a source task feeds decoded batches through a bounded channel (so a slow sink slows the source
//! instead of growing memory) to the processor, whose outputs go to the sink and whose dead letters go to the
//! dead-letter sink. A batch's source position is committed only after both sinks have flushed it: at-least-once.
//!
//! Shutdown is graceful: when the [`Shutdown`] handle fires, the source stops reading, batches already in flight
//! are processed and flushed, their positions committed, and every component is closed.

mod shutdown;
#[cfg(test)]
mod tests;

use std::future::Future;

pub use shutdown::Shutdown;
use tokio::sync::mpsc;

use std::sync::Arc;

use crate::{
    record::{Batch, DeadLetter, Position},
    sources::{Source, SourceError},
    time::{Clock, SystemClock},
};

/// Turns inputs into outputs; owns the per-series state.
pub trait Processor: Send + 'static {
    /// Input records.
    type Input;
    /// Results.
    type Output;

    /// Processes one record, appending its results to `out`.
    fn process(&mut self, input: Self::Input, out: &mut Vec<Self::Output>);

    /// A snapshot of all state, for a checkpoint taken together with the source position. Stateless processors
    /// return an empty snapshot.
    fn checkpoint(&self) -> Result<Vec<u8>, StateError> {
        Ok(Vec::new())
    }

    /// Replaces the state with a snapshot from [`Processor::checkpoint`], so processing continues without warming
    /// up again. A snapshot that cannot be read is an error; the caller then starts fresh.
    fn restore(&mut self, snapshot: &[u8]) -> Result<(), StateError> {
        if snapshot.is_empty() { Ok(()) } else { Err(StateError("this processor keeps no state".into())) }
    }
}

/// Why a state snapshot could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state snapshot: {0}")]
pub struct StateError(pub String);

/// Why a sink failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// A destination for results, with lifecycle hooks.
pub trait Sink<T>: Send {
    /// Writes a batch (it may buffer).
    fn write(&mut self, items: &[T]) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// Makes everything written so far durable (or delivered); after it returns, positions may be committed.
    fn flush(&mut self) -> impl Future<Output = Result<(), SinkError>> + Send {
        async { Ok(()) }
    }

    /// Releases resources.
    fn close(&mut self) -> impl Future<Output = Result<(), SinkError>> + Send {
        async { Ok(()) }
    }
}

/// A borrowed sink is a sink, so callers can keep ownership (and read the results) after a run.
impl<T: Sync, S: Sink<T>> Sink<T> for &mut S {
    fn write(&mut self, items: &[T]) -> impl Future<Output = Result<(), SinkError>> + Send {
        (**self).write(items)
    }

    fn flush(&mut self) -> impl Future<Output = Result<(), SinkError>> + Send {
        (**self).flush()
    }

    fn close(&mut self) -> impl Future<Output = Result<(), SinkError>> + Send {
        (**self).close()
    }
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The source failed.
    #[error("source: {0}")]
    Source(#[from] SourceError),
    /// A sink failed.
    #[error("sink: {0}")]
    Sink(#[from] SinkError),
    /// The source task panicked or was cancelled.
    #[error("the source task ended abnormally: {0}")]
    Task(String),
}

/// Tuning of a run.
#[derive(Clone)]
pub struct RunSettings {
    /// Batches in flight between source and processor.
    pub channel_capacity: usize,
    /// Wall-clock time, for the run's rates (injected, so tests need not wait).
    pub clock: Arc<dyn Clock>,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self { channel_capacity: 8, clock: Arc::new(SystemClock) }
    }
}

/// Counts of a finished run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Records decoded and processed.
    pub records: u64,
    /// Records that failed to decode (sent to the dead-letter sink).
    pub dead_letters: u64,
    /// Results produced.
    pub outputs: u64,
    /// Last committed position.
    pub committed: Option<(i32, i64)>,
    /// Wall-clock milliseconds since the run started.
    pub elapsed_ms: i64,
}

impl RunReport {
    /// Records processed per second of wall-clock time so far.
    pub fn records_per_second(&self) -> f64 {
        if self.elapsed_ms <= 0 { 0.0 } else { self.records as f64 * 1000.0 / self.elapsed_ms as f64 }
    }
}

/// A message from the source task: a batch and the source's progress after it.
struct Delivery<T> {
    batch: Batch<T>,
    progress: Option<(u64, u64)>,
}

/// Runs `source -> processor -> sink` until the source ends or `shutdown` fires. `on_progress` is called after each
/// batch with the report so far and the source's (done, total) progress, for progress bars.
pub async fn run<S, P, K, D>(
    mut source: S,
    processor: &mut P,
    sink: &mut K,
    dead_letters: &mut D,
    shutdown: Shutdown,
    settings: RunSettings,
    mut on_progress: impl FnMut(&RunReport, Option<(u64, u64)>),
) -> Result<RunReport, PipelineError>
where
    S: Source,
    P: Processor<Input = S::Item>,
    K: Sink<P::Output>,
    D: Sink<DeadLetter>,
{
    let (batches_tx, mut batches_rx) = mpsc::channel::<Delivery<S::Item>>(settings.channel_capacity.max(1));
    let (commits_tx, mut commits_rx) = mpsc::unbounded_channel::<Position>();
    let source_shutdown = shutdown.clone();
    let source_task = tokio::spawn(async move {
        source.start().await?;
        let outcome = read_until_shutdown(&mut source, &batches_tx, &source_shutdown, &mut commits_rx).await;
        drop(batches_tx);
        // Commit what the processing side acknowledged after the last batch left.
        while let Some(position) = commits_rx.recv().await {
            source.commit(&position).await?;
        }
        source.close().await?;
        outcome
    });

    let started = settings.clock.now();
    let mut report = RunReport::default();
    let mut outputs = Vec::new();
    let mut failures = Vec::new();
    let processed = async {
        while let Some(Delivery { batch, progress }) = batches_rx.recv().await {
            outputs.clear();
            failures.clear();
            for record in batch.records {
                match record {
                    Ok(input) => {
                        report.records += 1;
                        processor.process(input, &mut outputs);
                    }
                    Err(dead) => failures.push(dead),
                }
            }
            report.outputs += outputs.len() as u64;
            report.dead_letters += failures.len() as u64;
            sink.write(&outputs).await?;
            dead_letters.write(&failures).await?;
            sink.flush().await?;
            dead_letters.flush().await?;
            report.committed = Some((batch.end.partition, batch.end.offset));
            report.elapsed_ms = settings.clock.now() - started;
            // The source task may already be closing; a lost commit is replayed at-least-once, never skipped.
            let _ = commits_tx.send(batch.end);
            on_progress(&report, progress);
        }
        Ok::<(), PipelineError>(())
    }
    .await;
    // Closing the channel wakes a source blocked on a full channel (after a sink failure), so it can finish.
    drop(batches_rx);
    drop(commits_tx);
    sink.close().await?;
    dead_letters.close().await?;
    let source_outcome = source_task.await.map_err(|e| PipelineError::Task(e.to_string()))?;
    processed?;
    source_outcome?;
    Ok(report)
}

async fn read_until_shutdown<S: Source>(
    source: &mut S,
    batches: &mpsc::Sender<Delivery<S::Item>>,
    shutdown: &Shutdown,
    commits: &mut mpsc::UnboundedReceiver<Position>,
) -> Result<(), PipelineError> {
    loop {
        while let Ok(position) = commits.try_recv() {
            source.commit(&position).await?;
        }
        let next = tokio::select! {
            biased;
            () = shutdown.fired() => return Ok(()),
            next = source.next_batch() => next?,
        };
        let Some(batch) = next else { return Ok(()) };
        let delivery = Delivery { batch, progress: source.progress() };
        tokio::select! {
            biased;
            () = shutdown.fired() => return Ok(()),
            sent = batches.send(delivery) => if sent.is_err() { return Ok(()) },
        }
    }
}
