//! Sources: where records come from. A source hands out decoded batches in order and remembers positions, so the
//! pipeline can commit (acknowledge) what the sinks have durably written.
//!
//! - [`file`]: CSV, JSON lines or log lines from a file (`augur try`, benchmarks);
//! - [`kafka`]: a consumer-group member whose offsets follow the checkpoints;
//! - [`prometheus`]: a PromQL range query every step, with backfill.
//!
//! All three decode with [`crate::decode`].

pub mod file;
pub mod kafka;
pub mod prometheus;

use std::future::Future;

use crate::record::{Batch, Position};

/// What a source hands the runner next: records, or a change in the partitions it reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Step<T> {
    /// Records of one partition.
    Records(Batch<T>),
    /// The partition is now read here (consumer-group assignment, or a single-stream source starting). Its state is
    /// restored from `snapshot` when a checkpoint was found; records before the checkpoint's position are skipped by
    /// the source.
    Assigned {
        /// The partition.
        partition: i32,
        /// The checkpointed processor state, if any.
        snapshot: Option<Vec<u8>>,
    },
    /// The partition moved to another process: its state is dropped here, and records of it still in flight are
    /// ignored until it is assigned again.
    Revoked {
        /// The partition.
        partition: i32,
    },
    /// Nothing arrived for a while; lets the runner commit and notice shutdown while a stream is quiet.
    Idle,
}

/// Why a source failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The broker or server failed in a way retrying will not fix.
    #[error("{0}")]
    Remote(String),
    /// Reading failed.
    #[error("cannot read {what}: {error}")]
    Io {
        /// What was being read.
        what: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The source is misconfigured.
    #[error("{0}")]
    Config(String),
}

/// A source of records of type `T`, with lifecycle hooks.
pub trait Source: Send + 'static {
    /// The decoded record type.
    type Item: Send + 'static;

    /// Opens the source; called once before the first [`Source::next_step`].
    fn start(&mut self) -> impl Future<Output = Result<(), SourceError>> + Send {
        async { Ok(()) }
    }

    /// The next step, or `None` once a finite source (a file) is exhausted. Streaming sources wait for data.
    fn next_step(&mut self) -> impl Future<Output = Result<Option<Step<Self::Item>>, SourceError>> + Send;

    /// Records of `position.partition` before `position.offset` reached every sink and are checkpointed: they will not
    /// be needed again.
    fn commit(&mut self, position: &Position) -> impl Future<Output = Result<(), SourceError>> + Send {
        let _ = position;
        async { Ok(()) }
    }

    /// Progress of a finite source as (done, total) in its own unit, for progress bars.
    fn progress(&self) -> Option<(u64, u64)> {
        None
    }

    /// Releases resources; called once after the last batch.
    fn close(&mut self) -> impl Future<Output = Result<(), SourceError>> + Send {
        async { Ok(()) }
    }
}
