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
    decode::{CsvLayout, decode_json_metric},
    record::{Batch, DeadLetter, LogLine, MetricPoint, Position, SeriesId},
};

/// Formats the file source reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// A header row, then `timestamp,value[,series]` (column names may vary; see [`CsvLayout`]).
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
    lines: Box<dyn BufRead + Send>,
    format: FileFormat,
    layout: Option<CsvLayout>,
    default_series: SeriesId,
    batch_size: usize,
    line_number: i64,
    bytes_read: u64,
    total_bytes: u64,
    buffer: String,
}

impl MetricFileSource {
    /// Opens `path`. Points without a series column belong to a series named after the file.
    pub fn open(path: &Path, format: FileFormat) -> Result<Self, SourceError> {
        let file =
            std::fs::File::open(path).map_err(|error| SourceError::Io { what: path.display().to_string(), error })?;
        let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "series".into());
        Ok(Self::from_reader(file, format, &name).with_total_bytes(total_bytes))
    }

    /// Reads from any reader; `default_series` names points that carry no series.
    pub fn from_reader(reader: impl Read + Send + 'static, format: FileFormat, default_series: &str) -> Self {
        Self {
            lines: Box::new(BufReader::with_capacity(1 << 16, reader)),
            format,
            layout: None,
            default_series: Arc::from(default_series),
            batch_size: 4096,
            line_number: 0,
            bytes_read: 0,
            total_bytes: 0,
            buffer: String::new(),
        }
    }

    fn with_total_bytes(mut self, total: u64) -> Self {
        self.total_bytes = total;
        self
    }

    /// Records per batch.
    pub fn with_batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.max(1);
        self
    }

    /// Reads the next line into the buffer (without its newline); `false` at end of input.
    fn read_line(&mut self) -> Result<bool, SourceError> {
        self.buffer.clear();
        let read = self
            .lines
            .read_line(&mut self.buffer)
            .map_err(|error| SourceError::Io { what: format!("line {}", self.line_number + 1), error })?;
        self.bytes_read += read as u64;
        self.line_number += 1;
        let trimmed = self.buffer.trim_end_matches(['\n', '\r']).len();
        self.buffer.truncate(trimmed);
        Ok(read > 0)
    }

    fn decode_line(&mut self) -> Option<Result<MetricPoint, DeadLetter>> {
        let position = Position { partition: 0, offset: self.line_number };
        let line = self.buffer.as_str();
        if line.trim().is_empty() {
            return None;
        }
        match self.format {
            FileFormat::JsonLines => Some(decode_json_metric(line.as_bytes(), &self.default_series, position)),
            FileFormat::Csv => match &self.layout {
                None => match CsvLayout::from_header(line) {
                    Ok(layout) => {
                        self.layout = Some(layout);
                        None
                    }
                    Err(reason) => Some(Err(DeadLetter::new(position, line.as_bytes(), reason))),
                },
                Some(layout) => Some(layout.decode(line, &self.default_series, position)),
            },
        }
    }
}

impl Source for MetricFileSource {
    type Item = MetricPoint;

    async fn next_step(&mut self) -> Result<Option<Step<MetricPoint>>, SourceError> {
        let mut records = Vec::with_capacity(self.batch_size);
        while records.len() < self.batch_size && self.read_line()? {
            if let Some(record) = self.decode_line() {
                records.push(record);
            }
        }
        if records.is_empty() {
            return Ok(None);
        }
        Ok(Some(Step::Records(Batch { records, end: Position { partition: 0, offset: self.line_number } })))
    }

    fn progress(&self) -> Option<(u64, u64)> {
        (self.total_bytes > 0).then_some((self.bytes_read, self.total_bytes))
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
