//! JSON lines: one JSON object per result, to a file or standard output, buffered and flushed per batch.

use std::io::Write;

use serde::Serialize;

use crate::pipeline::{Sink, SinkError};

/// Writes each item as one line of JSON.
pub struct JsonLinesSink {
    writer: Box<dyn Write + Send>,
}

impl JsonLinesSink {
    /// Writes to any writer (a file, standard output).
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        Self { writer: Box::new(std::io::BufWriter::with_capacity(1 << 16, writer)) }
    }

    /// Creates (or truncates) `path`.
    pub fn create(path: &std::path::Path) -> Result<Self, SinkError> {
        let file =
            std::fs::File::create(path).map_err(|e| SinkError(format!("cannot create {}: {e}", path.display())))?;
        Ok(Self::new(file))
    }
}

impl<T: Serialize + Sync> Sink<T> for JsonLinesSink {
    async fn write(&mut self, items: &[T]) -> Result<(), SinkError> {
        for item in items {
            serde_json::to_writer(&mut self.writer, item).map_err(|e| SinkError(e.to_string()))?;
            self.writer.write_all(b"\n").map_err(|e| SinkError(e.to_string()))?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.writer.flush().map_err(|e| SinkError(e.to_string()))
    }
}
