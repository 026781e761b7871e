//! The runner with checkpoints: commits follow stored checkpoints, state is restored on assignment and dropped on
//! revocation, checkpoints are taken on the injected clock's interval and at the end.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex},
};

use super::*;
use crate::{
    checkpoint::{BoxFuture, CheckpointError, Loaded},
    record::Batch,
    time::ManualClock,
};

/// Sums its inputs per partition; the sum is its state.
struct Summer(u64);

impl Processor for Summer {
    type Input = u64;
    type Output = u64;

    fn process(&mut self, input: u64, out: &mut Vec<u64>) {
        self.0 += input;
        out.push(self.0);
    }

    fn checkpoint(&self) -> Result<Vec<u8>, StateError> {
        Ok(self.0.to_le_bytes().to_vec())
    }

    fn restore(&mut self, snapshot: &[u8]) -> Result<(), StateError> {
        let bytes: [u8; 8] = snapshot.try_into().map_err(|_| StateError("not a sum".into()))?;
        self.0 = u64::from_le_bytes(bytes);
        Ok(())
    }
}

#[derive(Clone, Default)]
struct MemoryStore(Arc<Mutex<BTreeMap<i32, Checkpoint>>>);

impl MemoryStore {
    fn get(&self, partition: i32) -> Option<Checkpoint> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(&partition).cloned()
    }
}

impl CheckpointStore for MemoryStore {
    fn load<'a>(&'a self, partitions: &'a [i32]) -> BoxFuture<'a, Result<Loaded, CheckpointError>> {
        Box::pin(async move { Ok(partitions.iter().filter_map(|p| self.get(*p).map(|c| (*p, Ok(c)))).collect()) })
    }

    fn save<'a>(&'a self, checkpoints: &'a [Checkpoint]) -> BoxFuture<'a, Result<(), CheckpointError>> {
        Box::pin(async move {
            let mut stored = self.0.lock().unwrap_or_else(|e| e.into_inner());
            stored.extend(checkpoints.iter().map(|c| (c.partition, c.clone())));
            Ok(())
        })
    }
}

/// Replays scripted steps.
struct ScriptedSource {
    steps: VecDeque<(i64, Step<u64>)>,
    commits: Arc<Mutex<Vec<Position>>>,
}

/// Collects results; each write (one per batch, in the runner's order) first moves the clock by the batch's delay,
/// so checkpoint timing does not depend on how far the source task runs ahead.
struct ClockedSink {
    items: Vec<u64>,
    delays: VecDeque<i64>,
    clock: ManualClock,
}

impl Sink<u64> for ClockedSink {
    async fn write(&mut self, items: &[u64]) -> Result<(), SinkError> {
        self.clock.advance(self.delays.pop_front().unwrap_or_default());
        self.items.extend_from_slice(items);
        Ok(())
    }
}

fn records(partition: i32, values: &[u64], end: i64) -> Step<u64> {
    Step::Records(Batch { records: values.iter().map(|v| Ok(*v)).collect(), end: Position { partition, offset: end } })
}

impl Source for ScriptedSource {
    type Item = u64;

    async fn next_step(&mut self) -> Result<Option<Step<u64>>, SourceError> {
        Ok(self.steps.pop_front().map(|(_, step)| step))
    }

    async fn commit(&mut self, position: &Position) -> Result<(), SourceError> {
        self.commits.lock().unwrap_or_else(|e| e.into_inner()).push(position.clone());
        Ok(())
    }
}

struct Outcome {
    outputs: Vec<u64>,
    commits: Vec<Position>,
    report: RunReport,
}

/// Runs `steps` (each with the clock's advance when its batch is written) through summing processors.
fn run_script(steps: Vec<(i64, Step<u64>)>, store: &MemoryStore, interval_ms: i64) -> Outcome {
    let clock = ManualClock::new(0);
    let commits = Arc::new(Mutex::new(Vec::new()));
    let delays = steps.iter().filter(|(_, step)| matches!(step, Step::Records(_))).map(|(delay, _)| *delay).collect();
    let mut sink = ClockedSink { items: Vec::new(), delays, clock: clock.clone() };
    let source = ScriptedSource { steps: steps.into(), commits: commits.clone() };
    let mut stage = Partitioned::new(|| Summer(0));
    let mut dead_letters = super::tests::Collector::default();
    let settings = RunSettings {
        channel_capacity: 1,
        clock: Arc::new(clock),
        checkpoints: Some(Checkpointing { store: Arc::new(store.clone()), interval_ms }),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build();
    let runtime = runtime.unwrap_or_else(|e| panic!("{e}"));
    let report = runtime
        .block_on(run(source, &mut stage, &mut sink, &mut dead_letters, Shutdown::new(), settings, |_, _| {}))
        .unwrap_or_else(|e| panic!("{e}"));
    let commits = commits.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Outcome { outputs: sink.items, commits, report }
}

#[test]
fn positions_are_committed_only_with_a_stored_checkpoint() {
    let store = MemoryStore::default();
    let steps = vec![
        (0, Step::Assigned { partition: 0, snapshot: None }),
        (0, records(0, &[1, 2], 2)),
        (0, records(0, &[3], 3)),
    ];
    let outcome = run_script(steps, &store, 60_000);
    assert_eq!(outcome.outputs, vec![1, 3, 6]);
    // No interval elapsed: one checkpoint at the end, and the one commit after it.
    assert_eq!(outcome.commits, vec![Position { partition: 0, offset: 3 }]);
    assert_eq!(store.get(0).map(|c| (c.next_offset, c.state)), Some((3, 6u64.to_le_bytes().to_vec())));
    assert_eq!(outcome.report.checkpoints, 1);
}

#[test]
fn checkpoints_follow_the_interval_on_the_injected_clock() {
    let store = MemoryStore::default();
    let steps = vec![
        (0, records(0, &[1], 1)),
        (4_000, records(0, &[1], 2)),
        (2_000, records(0, &[1], 3)),
        (1_000, records(0, &[1], 4)),
        (5_000, records(0, &[1], 5)),
    ];
    let outcome = run_script(steps, &store, 5_000);
    let offsets: Vec<i64> = outcome.commits.iter().map(|p| p.offset).collect();
    // Due after 6 s (offset 3) and after 12 s (offset 5); the end has nothing new to checkpoint.
    assert_eq!(offsets, vec![3, 5]);
}

#[test]
fn state_follows_assignment_and_revoked_partitions_are_ignored() {
    let store = MemoryStore::default();
    let restored = 100u64.to_le_bytes().to_vec();
    let steps = vec![
        (0, Step::Assigned { partition: 1, snapshot: Some(restored) }),
        (0, Step::Assigned { partition: 2, snapshot: Some(b"damaged".to_vec()) }),
        (0, records(1, &[5], 11)),
        (0, records(2, &[7], 21)),
        (0, Step::Revoked { partition: 2 }),
        // Still in flight from before the revocation: ignored, neither processed nor committed.
        (0, records(2, &[9], 22)),
    ];
    let outcome = run_script(steps, &store, 60_000);
    // Partition 1 continues from its restored sum; partition 2's damaged snapshot starts it fresh.
    assert_eq!(outcome.outputs, vec![105, 7]);
    assert_eq!(outcome.commits, vec![Position { partition: 1, offset: 11 }]);
    assert!(store.get(2).is_none(), "a revoked partition is not checkpointed here");
}
