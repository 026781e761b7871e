//! The restorer against a scripted store, on a manual clock: unreadable stores are retried with backoff while the
//! partitions wait, damaged checkpoints start fresh and say so, found ones resume.

use std::sync::Mutex;

use super::*;
use crate::{
    checkpoint::{BoxFuture, Checkpoint, Loaded},
    time::ManualClock,
};

/// Answers each load with the next scripted answer (the last one repeats), counting loads.
struct Scripted {
    answers: Mutex<Vec<Result<Loaded, CheckpointError>>>,
    loads: Mutex<Vec<Vec<i32>>>,
}

impl Scripted {
    fn new(answers: Vec<Result<Loaded, CheckpointError>>) -> Arc<Self> {
        Arc::new(Self { answers: Mutex::new(answers), loads: Mutex::new(Vec::new()) })
    }

    fn loads(&self) -> Vec<Vec<i32>> {
        self.loads.lock().map(|loads| loads.clone()).unwrap_or_default()
    }
}

impl CheckpointStore for Scripted {
    fn load<'a>(&'a self, partitions: &'a [i32]) -> BoxFuture<'a, Result<Loaded, CheckpointError>> {
        Box::pin(async move {
            self.loads.lock().map(|mut loads| loads.push(partitions.to_vec())).unwrap_or_default();
            let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
            if answers.len() > 1 { answers.remove(0) } else { answers[0].clone() }
        })
    }

    fn save<'a>(&'a self, _: &'a [Checkpoint]) -> BoxFuture<'a, Result<(), CheckpointError>> {
        Box::pin(async { Ok(()) })
    }
}

fn checkpoint(partition: i32, next_offset: i64) -> Checkpoint {
    Checkpoint { partition, next_offset, state: vec![partition as u8; 3] }
}

fn unreachable() -> CheckpointError {
    CheckpointError::Store("the broker is away".into())
}

fn reasons(health: &Health) -> Vec<String> {
    health.problems(8).into_iter().map(|p| p.reason).collect()
}

#[tokio::test]
async fn an_unreadable_store_is_retried_with_backoff_while_the_partitions_wait() {
    let store = Scripted::new(vec![Err(unreachable()), Err(unreachable()), Ok(vec![(0, Ok(checkpoint(0, 42)))])]);
    let (clock, health) = (ManualClock::new(1_000_000), Health::new());
    let mut restorer = Restorer::new(store.clone(), Arc::new(clock.clone()), health.clone());
    restorer.add(&[0, 1]);

    assert_eq!(restorer.poll().await, [], "nothing settles while the store cannot be read");
    assert!(restorer.is_waiting(0) && restorer.is_waiting(1));
    assert!(!health.is_ready(), "waiting partitions fail readiness");
    assert_eq!(reasons(&health), ["CheckpointUnreadable"]);
    assert_eq!(restorer.due_in(), Some(1_000), "the first retry waits a second");

    clock.advance(999);
    assert_eq!(restorer.poll().await, []);
    assert_eq!(store.loads().len(), 1, "no read before the backoff is over");
    clock.advance(1);
    assert_eq!(restorer.poll().await, []);
    assert_eq!(restorer.due_in(), Some(2_000), "the backoff doubles");

    clock.advance(2_000);
    let settled = restorer.poll().await;
    assert_eq!(settled, [(0, Start::Resume { next_offset: 42, state: vec![0; 3] }), (1, Start::Fresh)]);
    assert_eq!(store.loads(), [vec![0, 1], vec![0, 1], vec![0, 1]]);
    assert!(!restorer.has_waiting() && health.is_ready() && health.problems(8).is_empty());
}

#[tokio::test]
async fn backoff_stops_growing_at_thirty_seconds_and_a_new_assignment_reads_at_once() {
    let store = Scripted::new(vec![Err(unreachable())]);
    let clock = ManualClock::new(0);
    let mut restorer = Restorer::new(store.clone(), Arc::new(clock.clone()), Health::new());
    restorer.add(&[3]);
    for _ in 0..8 {
        restorer.poll().await;
        clock.advance(restorer.due_in().unwrap_or_default());
    }
    restorer.poll().await;
    assert_eq!(restorer.due_in(), Some(30_000));
    restorer.add(&[4]);
    assert_eq!(restorer.due_in(), Some(0));
    restorer.poll().await;
    assert_eq!(store.loads().last(), Some(&vec![3, 4]));
}

#[tokio::test]
async fn only_damaged_or_incompatible_checkpoints_start_fresh_and_say_so_until_revoked() {
    let store = Scripted::new(vec![Ok(vec![
        (0, Err(CheckpointError::Corrupt("checksum mismatch".into()))),
        (1, Err(CheckpointError::Incompatible("written by a forecast model".into()))),
        (2, Err(CheckpointError::Store("chunk fetch timed out".into()))),
        (3, Ok(checkpoint(3, 7))),
    ])]);
    let health = Health::new();
    let mut restorer = Restorer::new(store, Arc::new(ManualClock::new(0)), health.clone());
    restorer.add(&[0, 1, 2, 3]);
    let settled = restorer.poll().await;
    assert_eq!(
        settled,
        [(0, Start::Fresh), (1, Start::Fresh), (3, Start::Resume { next_offset: 7, state: vec![3; 3] })]
    );
    assert!(restorer.is_waiting(2), "a chunk that could not be read is retried, not given up");
    let problems = health.problems(8);
    assert_eq!(reasons(&health), ["CheckpointUnreadable", "StateReset", "StateReset"]);
    assert!(problems.iter().any(|p| p.message.contains("partition 0 started fresh") && p.message.contains("checksum")));

    restorer.remove(0);
    restorer.remove(2);
    assert_eq!(reasons(&health), ["StateReset"], "revoked partitions clear what was said about them");
    assert!(health.is_ready());
}

#[tokio::test]
async fn a_store_unusable_as_a_whole_starts_every_partition_fresh() {
    let store = Scripted::new(vec![Err(CheckpointError::Corrupt("truncated entry".into()))]);
    let health = Health::new();
    let mut restorer = Restorer::new(store, Arc::new(ManualClock::new(0)), health.clone());
    restorer.add(&[0]);
    assert_eq!(restorer.poll().await, [(0, Start::Fresh)]);
    assert_eq!(reasons(&health), ["StateReset"]);
}
