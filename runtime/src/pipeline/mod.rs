//! The runner: a source task feeds decoded batches through a bounded channel (so a slow sink slows the source
//! instead of growing memory) to the processor, whose outputs go to the sink and whose dead letters go to the
//! dead-letter sink. A batch's source position is committed only after both sinks have flushed it: at-least-once.
//!
//! With checkpointing, positions are committed only after a checkpoint of every partition's state at those
//! positions is stored ([`crate::checkpoint`]); partitions come and go with [`Step::Assigned`] and
//! [`Step::Revoked`], and records of a partition revoked meanwhile are ignored.
//!
//! Shutdown is graceful: when the [`Shutdown`] handle fires, the source stops reading, batches already in flight
//! are processed and flushed, a last checkpoint is taken, positions are committed, and every component is closed.

#[cfg(test)]
mod checkpoint_tests;
mod shutdown;
mod stage;
#[cfg(test)]
mod tests;

use std::{
    collections::{BTreeMap, BTreeSet},
    future::Future,
    sync::Arc,
    time::Duration,
};

pub use shutdown::Shutdown;
pub use stage::{Partitioned, Stage};
use tokio::sync::mpsc;

use crate::{
    checkpoint::{Checkpoint, CheckpointStore},
    record::{DeadLetter, Position},
    sources::{Source, SourceError, Step},
    time::{Clock, Millis, SystemClock},
};

/// Turns inputs into outputs; owns the per-series state.
pub trait Processor: Send + 'static {
    /// Input records.
    type Input;
    /// Results.
    type Output;

    /// Processes one record, appending its results to `out`.
    fn process(&mut self, input: Self::Input, out: &mut Vec<Self::Output>);

    /// Called after every batch and at least once a second on the injected clock's time `now`, for work done on
    /// wall-clock intervals (regrouping log templates); results go to `out` like those of records.
    fn on_time(&mut self, now: Millis, out: &mut Vec<Self::Output>) {
        let _ = (now, out);
    }

    /// Called once when a finite source (a file) is exhausted, for results due at the end of the input.
    fn finish(&mut self, now: Millis, out: &mut Vec<Self::Output>) {
        let _ = (now, out);
    }

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

/// An optional sink: `None` takes everything and keeps nothing (an output that is not configured).
impl<T: Sync, S: Sink<T>> Sink<T> for Option<S> {
    async fn write(&mut self, items: &[T]) -> Result<(), SinkError> {
        match self {
            Some(sink) => sink.write(items).await,
            None => Ok(()),
        }
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        match self {
            Some(sink) => sink.flush().await,
            None => Ok(()),
        }
    }

    async fn close(&mut self) -> Result<(), SinkError> {
        match self {
            Some(sink) => sink.close().await,
            None => Ok(()),
        }
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

/// Checkpointing of a run.
#[derive(Clone)]
pub struct Checkpointing {
    /// Where checkpoints go.
    pub store: Arc<dyn CheckpointStore>,
    /// Wall-clock milliseconds between checkpoints.
    pub interval_ms: Millis,
}

/// Tuning of a run.
#[derive(Clone)]
pub struct RunSettings {
    /// Batches in flight between source and processor.
    pub channel_capacity: usize,
    /// Wall-clock time, for the run's rates and checkpoint intervals (injected, so tests need not wait).
    pub clock: Arc<dyn Clock>,
    /// Checkpoints of state and positions; without them positions are committed after every flush.
    pub checkpoints: Option<Checkpointing>,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self { channel_capacity: 8, clock: Arc::new(SystemClock), checkpoints: None }
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
    /// Checkpoints stored (one per partition each time).
    pub checkpoints: u64,
    /// Wall-clock milliseconds since the run started.
    pub elapsed_ms: i64,
}

impl RunReport {
    /// Records processed per second of wall-clock time so far.
    pub fn records_per_second(&self) -> f64 {
        if self.elapsed_ms <= 0 { 0.0 } else { self.records as f64 * 1000.0 / self.elapsed_ms as f64 }
    }
}

/// A message from the source task: a step and the source's progress after it.
struct Delivery<T> {
    step: Step<T>,
    progress: Option<(u64, u64)>,
}

/// Where a partition read here stands: the position after its last flushed batch, and whether state changed since
/// its last checkpoint.
#[derive(Clone, Copy, Debug)]
struct Progress {
    next_offset: i64,
    dirty: bool,
}

/// Runs `source -> stage -> sink` until the source ends or `shutdown` fires. `on_progress` is called after each
/// batch with the report so far and the source's (done, total) progress, for progress bars.
pub async fn run<S, P, K, D>(
    source: S,
    stage: &mut P,
    sink: &mut K,
    dead_letters: &mut D,
    shutdown: Shutdown,
    settings: RunSettings,
    mut on_progress: impl FnMut(&RunReport, Option<(u64, u64)>),
) -> Result<RunReport, PipelineError>
where
    S: Source,
    P: Stage<Input = S::Item>,
    K: Sink<P::Output>,
    D: Sink<DeadLetter>,
{
    run_observed(source, stage, sink, dead_letters, shutdown, settings, |after| {
        if after.batch {
            on_progress(after.report, after.progress);
        }
    })
    .await
}

/// What the runner shows its observer after each flush.
pub struct AfterFlush<'a, P: Stage> {
    /// The run so far.
    pub report: &'a RunReport,
    /// The source's (done, total) progress, when it knows it.
    pub progress: Option<(u64, u64)>,
    /// The stage, to read what its models know.
    pub stage: &'a P,
    /// The results just written.
    pub outputs: &'a [P::Output],
    /// Whether records were processed (rather than a wake on time only).
    pub batch: bool,
    /// Now, on the run's clock.
    pub now: Millis,
}

/// How often an idle run wakes at least: to run the stage's timed work, checkpoint on time and let its observer
/// publish while the input is quiet.
const WAKE_MS: Millis = 1000;

/// [`run`], with `observe` called after every flush (records or a timed wake) with the stage and the results just
/// written, so the caller can publish what the models know.
pub async fn run_observed<S, P, K, D>(
    mut source: S,
    stage: &mut P,
    sink: &mut K,
    dead_letters: &mut D,
    shutdown: Shutdown,
    settings: RunSettings,
    mut observe: impl FnMut(AfterFlush<'_, P>),
) -> Result<RunReport, PipelineError>
where
    S: Source,
    P: Stage<Input = S::Item>,
    K: Sink<P::Output>,
    D: Sink<DeadLetter>,
{
    let (steps_tx, mut steps_rx) = mpsc::channel::<Delivery<S::Item>>(settings.channel_capacity.max(1));
    let (commits_tx, mut commits_rx) = mpsc::unbounded_channel::<Position>();
    let source_shutdown = shutdown.clone();
    let source_task = tokio::spawn(async move {
        source.start().await?;
        let outcome = read_until_shutdown(&mut source, &steps_tx, &source_shutdown, &mut commits_rx).await;
        drop(steps_tx);
        // Commit what the processing side acknowledged after the last batch left.
        while let Some(position) = commits_rx.recv().await {
            source.commit(&position).await?;
        }
        source.close().await?;
        outcome
    });

    let clock = settings.clock.clone();
    let started = clock.now();
    let mut report = RunReport::default();
    let mut outputs = Vec::new();
    let mut failures = Vec::new();
    let mut partitions: BTreeMap<i32, Progress> = BTreeMap::new();
    let mut revoked: BTreeSet<i32> = BTreeSet::new();
    let mut last_checkpoint = started;
    let wake_ms = settings.checkpoints.as_ref().map_or(WAKE_MS, |c| c.interval_ms.clamp(50, WAKE_MS));
    let wake = Duration::from_millis(wake_ms as u64);
    let processed = async {
        let mut exhausted = false;
        loop {
            // `None`: woken with nothing to do but the timed work.
            let delivery = tokio::time::timeout(wake, steps_rx.recv()).await.ok();
            let mut progress = None;
            let mut batch_end = None;
            outputs.clear();
            failures.clear();
            match delivery {
                Some(None) => exhausted = true,
                Some(Some(Delivery { step, progress: source_progress })) => match step {
                    Step::Assigned { partition, snapshot } => {
                        revoked.remove(&partition);
                        if let Err(error) = stage.assign(partition, snapshot.as_deref()) {
                            tracing::warn!(partition, %error, "state not restored; the partition starts fresh");
                        }
                    }
                    Step::Revoked { partition } => {
                        revoked.insert(partition);
                        partitions.remove(&partition);
                        stage.revoke(partition);
                    }
                    Step::Records(batch) if !revoked.contains(&batch.end.partition) => {
                        let partition = batch.end.partition;
                        for record in batch.records {
                            match record {
                                Ok(input) => {
                                    report.records += 1;
                                    stage.process(partition, input, &mut outputs);
                                }
                                Err(dead) => failures.push(dead),
                            }
                        }
                        batch_end = Some(batch.end);
                        progress = source_progress;
                    }
                    Step::Records(_) | Step::Idle => {}
                },
                None => {}
            }
            let now = clock.now();
            if exhausted {
                stage.finish(now, &mut outputs);
            } else {
                stage.on_time(now, &mut outputs);
            }
            report.outputs += outputs.len() as u64;
            report.dead_letters += failures.len() as u64;
            if !outputs.is_empty() || !failures.is_empty() || batch_end.is_some() {
                sink.write(&outputs).await?;
                dead_letters.write(&failures).await?;
                sink.flush().await?;
                dead_letters.flush().await?;
            }
            report.elapsed_ms = clock.now() - started;
            if let Some(end) = batch_end.clone() {
                if settings.checkpoints.is_some() {
                    partitions.insert(end.partition, Progress { next_offset: end.offset, dirty: true });
                } else {
                    report.committed = Some((end.partition, end.offset));
                    // The source task may already be closing; a lost commit is replayed at-least-once, never
                    // skipped.
                    let _ = commits_tx.send(end);
                }
            }
            if let Some(checkpoints) =
                settings.checkpoints.as_ref().filter(|c| clock.now() - last_checkpoint >= c.interval_ms)
            {
                store(checkpoints, snapshot(stage, &partitions), &mut partitions, &commits_tx, &mut report).await;
                last_checkpoint = clock.now();
            }
            observe(AfterFlush {
                report: &report,
                progress,
                stage,
                outputs: &outputs,
                batch: batch_end.is_some(),
                now: clock.now(),
            });
            if exhausted {
                break;
            }
        }
        if let Some(checkpoints) = &settings.checkpoints {
            store(checkpoints, snapshot(stage, &partitions), &mut partitions, &commits_tx, &mut report).await;
        }
        Ok::<(), PipelineError>(())
    }
    .await;
    // Closing the channel wakes a source blocked on a full channel (after a sink failure), so it can finish.
    drop(steps_rx);
    drop(commits_tx);
    sink.close().await?;
    dead_letters.close().await?;
    let source_outcome = source_task.await.map_err(|e| PipelineError::Task(e.to_string()))?;
    processed?;
    source_outcome?;
    report.elapsed_ms = clock.now() - started;
    Ok(report)
}

/// Snapshots every partition whose state changed since its last checkpoint.
fn snapshot<P: Stage>(stage: &P, partitions: &BTreeMap<i32, Progress>) -> Vec<Checkpoint> {
    let mut taken = Vec::new();
    for (partition, progress) in partitions.iter().filter(|(_, p)| p.dirty) {
        match stage.checkpoint(*partition) {
            Ok(state) => taken.push(Checkpoint { partition: *partition, next_offset: progress.next_offset, state }),
            Err(error) => tracing::warn!(partition, %error, "cannot snapshot the state; not checkpointed"),
        }
    }
    taken
}

/// Stores `taken`, then has the source commit their positions. A store failure is logged and retried at the next
/// interval: positions are simply not committed until one succeeds.
async fn store(
    checkpoints: &Checkpointing,
    taken: Vec<Checkpoint>,
    partitions: &mut BTreeMap<i32, Progress>,
    commits: &mpsc::UnboundedSender<Position>,
    report: &mut RunReport,
) {
    if taken.is_empty() {
        return;
    }
    if let Err(error) = checkpoints.store.save(&taken).await {
        tracing::warn!(%error, "checkpoint not stored; offsets stay uncommitted until the next one succeeds");
        return;
    }
    for checkpoint in &taken {
        if let Some(progress) =
            partitions.get_mut(&checkpoint.partition).filter(|p| p.next_offset == checkpoint.next_offset)
        {
            progress.dirty = false;
        }
        report.checkpoints += 1;
        report.committed = Some((checkpoint.partition, checkpoint.next_offset));
        let _ = commits.send(Position { partition: checkpoint.partition, offset: checkpoint.next_offset });
    }
}

async fn read_until_shutdown<S: Source>(
    source: &mut S,
    steps: &mpsc::Sender<Delivery<S::Item>>,
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
            next = source.next_step() => next?,
        };
        let Some(step) = next else { return Ok(()) };
        if matches!(step, Step::Idle) {
            continue;
        }
        let delivery = Delivery { step, progress: source.progress() };
        tokio::select! {
            biased;
            () = shutdown.fired() => return Ok(()),
            sent = steps.send(delivery) => if sent.is_err() { return Ok(()) },
        }
    }
}
