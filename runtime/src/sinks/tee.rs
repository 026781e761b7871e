//! Tee: writes every batch to two sinks (e.g. a summary and a file).

use crate::pipeline::{Sink, SinkError};

/// Both sinks receive everything; the second is optional.
pub struct Tee<A, B>(pub A, pub Option<B>);

impl<T: Sync, A: Sink<T>, B: Sink<T>> Sink<T> for Tee<A, B> {
    async fn write(&mut self, items: &[T]) -> Result<(), SinkError> {
        self.0.write(items).await?;
        if let Some(second) = &mut self.1 {
            second.write(items).await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.0.flush().await?;
        if let Some(second) = &mut self.1 {
            second.flush().await?;
        }
        Ok(())
    }

    async fn close(&mut self) -> Result<(), SinkError> {
        self.0.close().await?;
        if let Some(second) = &mut self.1 {
            second.close().await?;
        }
        Ok(())
    }
}
