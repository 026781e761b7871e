//! Restoring the checkpoints of newly assigned partitions, without ever trading learned state for a slow read.
//!
//! A partition waits until its checkpoint has been read: when the store cannot be read now (a timeout, the broker
//! briefly away), the read is retried with backoff (1 s doubling to 30 s) while the source holds the partition's
//! records, and the process reports `CheckpointUnreadable` (blocking: `/readyz` fails, the pod's status entry says
//! which partitions wait). Starting fresh would let the next save overwrite the last good checkpoint, so it happens
//! only when there is no checkpoint, or when one was read and is damaged or of another version or model kind; that
//! is reported as `StateReset` for as long as the partition is read here.

use std::{collections::BTreeSet, sync::Arc};

use augur_crds::common::reason;

use super::{CheckpointError, CheckpointStore};
use crate::{
    status::Health,
    time::{Clock, Millis},
};

/// First pause after a failed read.
const FIRST_BACKOFF_MS: Millis = 1_000;
/// Longest pause between two reads.
const MAX_BACKOFF_MS: Millis = 30_000;
/// The problem subject of the reads that wait.
const UNREADABLE: &str = "checkpoint/load";

/// How a partition starts once its checkpoint is settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// From its checkpoint: records before `next_offset` are already reflected in `state`.
    Resume {
        /// The next record to read.
        next_offset: i64,
        /// The processor's snapshot.
        state: Vec<u8>,
    },
    /// Fresh: it has no checkpoint, or the one it has cannot be used (reported).
    Fresh,
}

/// The partitions whose checkpoints are still to be read, and when to try next.
pub struct Restorer {
    store: Arc<dyn CheckpointStore>,
    clock: Arc<dyn Clock>,
    health: Health,
    waiting: BTreeSet<i32>,
    failures: u32,
    retry_at: Millis,
}

impl Restorer {
    /// Restores from `store`, timing retries on `clock` and reporting to `health`.
    pub fn new(store: Arc<dyn CheckpointStore>, clock: Arc<dyn Clock>, health: Health) -> Self {
        Self { store, clock, health, waiting: BTreeSet::new(), failures: 0, retry_at: Millis::MIN }
    }

    /// Reports to `health` instead.
    pub fn with_health(mut self, health: Health) -> Self {
        self.health = health;
        self
    }

    /// Partitions just assigned: their checkpoints are read at the next [`Restorer::poll`].
    pub fn add(&mut self, partitions: &[i32]) {
        self.waiting.extend(partitions);
        // A new assignment is worth a read at once, even during a backoff.
        self.retry_at = Millis::MIN;
    }

    /// A partition moved away: it no longer waits, and what was reported about it is over.
    pub fn remove(&mut self, partition: i32) {
        self.waiting.remove(&partition);
        self.health.clear(&reset_subject(partition));
        if self.waiting.is_empty() {
            self.health.clear(UNREADABLE);
        }
    }

    /// Whether `partition` still waits for its checkpoint.
    pub fn is_waiting(&self, partition: i32) -> bool {
        self.waiting.contains(&partition)
    }

    /// Whether any partition waits.
    pub fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Milliseconds until the next read is due (0 when due now), if any partition waits.
    pub fn due_in(&self) -> Option<Millis> {
        self.has_waiting().then(|| (self.retry_at.saturating_sub(self.clock.now())).max(0))
    }

    /// Reads the waiting partitions' checkpoints when a read is due; returns the partitions settled by it, in
    /// order, each with how it starts. Partitions the store could not be read for keep waiting.
    pub async fn poll(&mut self) -> Vec<(i32, Start)> {
        if self.due_in() != Some(0) {
            return Vec::new();
        }
        let partitions: Vec<i32> = self.waiting.iter().copied().collect();
        let found = match self.store.load(&partitions).await {
            Ok(found) => found,
            Err(CheckpointError::Store(message)) => {
                self.failed(&partitions, &message);
                return Vec::new();
            }
            // The store read, and what it read is unusable as a whole (a damaged checkpoint file).
            Err(unusable) => partitions.iter().map(|partition| (*partition, Err(unusable.clone()))).collect(),
        };
        let mut settled = Vec::new();
        let mut unreadable = Vec::new();
        for partition in partitions {
            match found.iter().find(|(p, _)| *p == partition).map(|(_, checkpoint)| checkpoint) {
                None => settled.push((partition, Start::Fresh)),
                Some(Ok(checkpoint)) => settled.push((
                    partition,
                    Start::Resume { next_offset: checkpoint.next_offset, state: checkpoint.state.clone() },
                )),
                Some(Err(CheckpointError::Store(message))) => unreadable.push((partition, message.clone())),
                Some(Err(error)) => {
                    self.health.report(
                        &reset_subject(partition),
                        reason::STATE_RESET,
                        format!("partition {partition} started fresh: {error}"),
                        false,
                    );
                    settled.push((partition, Start::Fresh));
                }
            }
        }
        for (partition, _) in &settled {
            self.waiting.remove(partition);
        }
        match unreadable.first() {
            Some((_, message)) => {
                let waiting: Vec<i32> = unreadable.iter().map(|(partition, _)| *partition).collect();
                self.failed(&waiting, message);
            }
            None => {
                self.failures = 0;
                self.health.clear(UNREADABLE);
            }
        }
        settled
    }

    /// A read failed: back off, and say which partitions wait and why.
    fn failed(&mut self, partitions: &[i32], message: &str) {
        let backoff = (FIRST_BACKOFF_MS << self.failures.min(16)).min(MAX_BACKOFF_MS);
        self.failures = self.failures.saturating_add(1);
        self.retry_at = self.clock.now().saturating_add(backoff);
        self.health.report(
            UNREADABLE,
            reason::CHECKPOINT_UNREADABLE,
            format!(
                "the checkpoints of partitions {partitions:?} cannot be read yet ({message}); they wait (their records held) and \
                 the read is retried (attempt {}, next in {} s)",
                self.failures,
                backoff / 1000
            ),
            true,
        );
    }
}

/// The problem subject of a partition that started fresh.
fn reset_subject(partition: i32) -> String {
    format!("checkpoint/{partition}")
}

#[cfg(test)]
mod tests;
