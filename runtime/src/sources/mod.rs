//! Sources: where records come from. A source hands out decoded batches in order and remembers positions, so the
//! pipeline can commit (acknowledge) what the sinks have durably written.

pub mod file;

use std::future::Future;

use crate::record::{Batch, Position};

/// Why a source failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
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

    /// Opens the source; called once before the first [`Source::next_batch`].
    fn start(&mut self) -> impl Future<Output = Result<(), SourceError>> + Send {
        async { Ok(()) }
    }

    /// The next batch, or `None` once a finite source (a file) is exhausted. Streaming sources wait for data.
    fn next_batch(&mut self) -> impl Future<Output = Result<Option<Batch<Self::Item>>, SourceError>> + Send;

    /// Records up to `position` reached every sink and are checkpointed: they will not be needed again.
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
