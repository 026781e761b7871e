//! File source: metric points from CSV (`timestamp,value[,series]`) or JSON lines, or raw log lines, read in
//! batches. Used by `augur try` and the benchmarks; malformed lines become dead letters with their line number.

#[cfg(test)]
mod tests;

use std::{
    io::{BufRead, BufReader, Read},
    path::Path,
    sync::Arc,
};

use super::{Source, SourceError, Step};
use crate::{
    decode::{MetricRows, decode_json_metric},
    record::{Batch, Decoded, LogLine, MetricPoint, Position, SeriesId},
};

/// Formats the file source reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// A header row, then `timestamp,value[,series]` (column names may vary; see
    /// [`CsvLayout`](crate::decode::CsvLayout)).
    Csv,
    /// One JSON metric event per line: `{"series": "...", "timestamp": ..., "value": ...}`.
    JsonLines,
}

impl FileFormat {
    /// Guesses the format from the file name: `.json`, `.jsonl` and `.ndjson` are JSON lines, anything else CSV.
    pub fn guess(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some("json" | "jsonl" | "ndjson") => Self::JsonLines,
            _ => Self::Csv,
        }
    }
}

/// Reads metric points from a file (or any reader) in batches.
pub struct MetricFileSource {
    rows: Rows,
    batch_size: usize,
    total_bytes: u64,
}

/// The rows of a metric file, by format.
enum Rows {
    /// CSV, through the shared parser.
    Csv(MetricRows<Box<dyn Read + Send>>),
    /// JSON lines.
    JsonLines {
        lines: Box<dyn BufRead + Send>,
        default_series: SeriesId,
        number: i64,
        bytes_read: u64,
        buffer: Vec<u8>,
    },
}

impl MetricFileSource {
    /// Opens `path`. Points without a series column belong to a series named after the file.
    pub fn open(path: &Path, format: FileFormat) -> Result<Self, SourceError> {
        let file =
            std::fs::File::open(path).map_err(|error| SourceError::Io { what: path.display().to_string(), error })?;
        let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "series".into());
        Ok(Self { total_bytes, ..Self::from_reader(file, format, &name) })
    }

    /// Reads from any reader; `default_series` names points that carry no series.
    pub fn from_reader(reader: impl Read + Send + 'static, format: FileFormat, default_series: &str) -> Self {
        let rows = match format {
            FileFormat::Csv => Rows::Csv(MetricRows::new(Box::new(reader), default_series)),
            FileFormat::JsonLines => Rows::JsonLines {
                lines: Box::new(BufReader::with_capacity(1 << 16, reader)),
                default_series: Arc::from(default_series),
                number: 0,
                bytes_read: 0,
                buffer: Vec::new(),
            },
        };
        Self { rows, batch_size: 4096, total_bytes: 0 }
    }

    /// Records per batch.
    pub fn with_batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.max(1);
        self
    }
}

impl Rows {
    /// The next point or dead letter; `None` at the end of the input.
    fn next(&mut self) -> Result<Option<Decoded<MetricPoint>>, SourceError> {
        match self {
            Self::Csv(rows) => rows.next_row().map_err(|error| SourceError::Io {
                what: format!("line {}", rows.line()),
                error: std::io::Error::other(error),
            }),
            Self::JsonLines { lines, default_series, number, bytes_read, buffer } => loop {
                buffer.clear();
                let read = lines
                    .read_until(b'\n', buffer)
                    .map_err(|error| SourceError::Io { what: format!("line {}", *number + 1), error })?;
                if read == 0 {
                    return Ok(None);
                }
                *bytes_read += read as u64;
                *number += 1;
                let line = buffer.trim_ascii();
                if !line.is_empty() {
                    let position = Position { partition: 0, offset: *number };
                    return Ok(Some(decode_json_metric(line, default_series, position)));
                }
            },
        }
    }

    /// The line of the last record read (1-based).
    fn position(&self) -> i64 {
        match self {
            Self::Csv(rows) => i64::try_from(rows.line().saturating_sub(1)).unwrap_or(i64::MAX),
            Self::JsonLines { number, .. } => *number,
        }
    }

    fn bytes_read(&self) -> u64 {
        match self {
            Self::Csv(rows) => rows.bytes_read(),
            Self::JsonLines { bytes_read, .. } => *bytes_read,
        }
    }
}

impl Source for MetricFileSource {
    type Item = MetricPoint;

    async fn next_step(&mut self) -> Result<Option<Step<MetricPoint>>, SourceError> {
        let mut records = Vec::with_capacity(self.batch_size);
        while records.len() < self.batch_size {
            match self.rows.next()? {
                Some(record) => records.push(record),
                None => break,
            }
        }
        if records.is_empty() {
            return Ok(None);
        }
        Ok(Some(Step::Records(Batch { records, end: Position { partition: 0, offset: self.rows.position() } })))
    }

    fn progress(&self) -> Option<(u64, u64)> {
        (self.total_bytes > 0).then_some((self.rows.bytes_read(), self.total_bytes))
    }
}

/// Reads log lines from a file in batches. Every line decodes (invalid UTF-8 is replaced), so nothing is dropped.
pub struct LineFileSource {
    lines: Box<dyn BufRead + Send>,
    number: i64,
    bytes_read: u64,
    total_bytes: u64,
    batch_size: usize,
}

impl LineFileSource {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let file =
            std::fs::File::open(path).map_err(|error| SourceError::Io { what: path.display().to_string(), error })?;
        let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Self {
            lines: Box::new(BufReader::with_capacity(1 << 16, file)),
            number: 0,
            bytes_read: 0,
            total_bytes,
            batch_size: 4096,
        })
    }
}

impl Source for LineFileSource {
    type Item = LogLine;

    async fn next_step(&mut self) -> Result<Option<Step<LogLine>>, SourceError> {
        let mut records = Vec::with_capacity(self.batch_size);
        let mut buffer = Vec::new();
        while records.len() < self.batch_size {
            buffer.clear();
            let read = self
                .lines
                .read_until(b'\n', &mut buffer)
                .map_err(|error| SourceError::Io { what: format!("line {}", self.number + 1), error })?;
            if read == 0 {
                break;
            }
            self.bytes_read += read as u64;
            self.number += 1;
            let text = String::from_utf8_lossy(&buffer).trim_end_matches(['\n', '\r']).to_owned();
            records.push(Ok(LogLine { number: self.number, text }));
        }
        if records.is_empty() {
            return Ok(None);
        }
        Ok(Some(Step::Records(Batch { records, end: Position { partition: 0, offset: self.number } })))
    }

    fn progress(&self) -> Option<(u64, u64)> {
        (self.total_bytes > 0).then_some((self.bytes_read, self.total_bytes))
    }
}
