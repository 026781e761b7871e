//! Checkpoints: each partition's processor state stored together with the source position it reflects, so a
//! restarted or rebalanced runtime resumes exactly where the state left off instead of warming up again.
//!
//! A checkpoint is written only after the sinks have flushed every result up to its position, and the source position
//! is committed only after the checkpoint is stored: together that is at-least-once, with duplicates limited to what
//! was processed after the last checkpoint. Stores: a local file ([`FileStore`]) and a compacted Kafka topic
//! ([`KafkaStore`]). A checkpoint that cannot be read is reported and skipped: the partition starts fresh.

mod envelope;
mod file;
mod kafka;
mod restore;
#[cfg(test)]
mod tests;

use std::{future::Future, pin::Pin};

pub use envelope::{decode, encode};
pub use file::FileStore;
pub use kafka::KafkaStore;
pub use restore::{Restorer, Start};

/// The state of one partition's processor and the position it reflects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Source partition (0 for single-stream sources).
    pub partition: i32,
    /// The next record to read: every record before it is reflected in `state`.
    pub next_offset: i64,
    /// The processor's snapshot.
    pub state: Vec<u8>,
}

/// Why a checkpoint could not be stored or read.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The bytes are damaged.
    #[error("the checkpoint is damaged ({0})")]
    Corrupt(String),
    /// Written by another format version or for another kind of model.
    #[error("the checkpoint is incompatible ({0})")]
    Incompatible(String),
    /// The store failed.
    #[error("checkpoint store: {0}")]
    Store(String),
}

/// A boxed future, so stores can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a load finds: each partition that has a checkpoint, with the checkpoint or why it cannot be read.
pub type Loaded = Vec<(i32, Result<Checkpoint, CheckpointError>)>;

/// Where checkpoints live.
pub trait CheckpointStore: Send + Sync {
    /// The latest checkpoint of each of `partitions` that has one. Each unreadable checkpoint is an `Err` in its
    /// partition's slot, so one damaged partition does not cost the others their state.
    fn load<'a>(&'a self, partitions: &'a [i32]) -> BoxFuture<'a, Result<Loaded, CheckpointError>>;

    /// Stores `checkpoints` durably (replacing earlier ones of the same partitions) before returning.
    fn save<'a>(&'a self, checkpoints: &'a [Checkpoint]) -> BoxFuture<'a, Result<(), CheckpointError>>;
}
