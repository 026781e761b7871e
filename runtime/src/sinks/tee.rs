//! Tee: writes every batch to two sinks (e.g. a summary and a file).

use crate::pipeline::{Sink, SinkError};

/// Both sinks receive everything; the second is optional.
pub struct Tee<A, B>(pub A, pub Option<B>);

impl<T: Sync, A: Sink<T>, B: Sink<T>> Sink<T> for Tee<A, B> {
    async fn write(&mut self, items: &[T]) -> Result<(), SinkError> {
        self.0.write(items).await?;
        self.1.write(items).await
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.0.flush().await?;
        self.1.flush().await
    }

    async fn close(&mut self) -> Result<(), SinkError> {
        self.0.close().await?;
        self.1.close().await
    }
}
