//! CSV metric rows: the one CSV parser of the runtime (the `csv` crate: RFC 4180 quoting, `""` escapes, commas and
//! newlines inside quotes, CRLF), shared by the file source, `augur simulate` traces and the benchmarks.
//!
//! A header row names the columns ([`CsvLayout`]); each later row becomes a point or, when it does not decode, a
//! dead letter with its line number. Input is untrusted: a row is bounded by [`MAX_ROW_BYTES`] (the reader under the
//! parser refuses to hand out more), so one endless quoted field cannot grow memory without limit, and nothing here
//! panics on any bytes.

use std::{collections::BTreeMap, io::Read, path::Path, sync::Arc};

use csv::ByteRecord;

use crate::{
    record::{DeadLetter, Decoded, MetricPoint, Position, SeriesId},
    time::{Millis, parse_timestamp},
};

/// Largest row accepted; a longer one (an unterminated quote swallowing the file) ends the input with an error.
pub const MAX_ROW_BYTES: usize = 1 << 20;

/// Which CSV columns hold the timestamp, the value and (optionally) the series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvLayout {
    timestamp: usize,
    value: usize,
    series: Option<usize>,
    columns: usize,
}

const TIMESTAMP_NAMES: [&str; 5] = ["timestamp", "time", "ts", "ds", "date"];
const VALUE_NAMES: [&str; 3] = ["value", "y", "v"];
const SERIES_NAMES: [&str; 5] = ["series", "unique_id", "metric", "name", "id"];

impl CsvLayout {
    /// Reads the header row. Column names are matched case-insensitively: a timestamp column (`timestamp`, `time`,
    /// `ts`, `ds`, `date`), a value column (`value`, `y`, `v`) and optionally a series column (`series`,
    /// `unique_id`, `metric`, `name`, `id`).
    pub fn from_header(header: &ByteRecord) -> Result<Self, String> {
        let names: Vec<String> =
            header.iter().map(|name| String::from_utf8_lossy(name).trim().to_ascii_lowercase()).collect();
        let find = |candidates: &[&str]| names.iter().position(|name| candidates.contains(&name.as_str()));
        match (find(&TIMESTAMP_NAMES), find(&VALUE_NAMES)) {
            (Some(timestamp), Some(value)) => {
                Ok(Self { timestamp, value, series: find(&SERIES_NAMES), columns: names.len() })
            }
            _ => Err(format!(
                "the CSV header {:?} needs a timestamp column ({}) and a value column ({})",
                names.join(","),
                TIMESTAMP_NAMES.join(", "),
                VALUE_NAMES.join(", ")
            )),
        }
    }

    /// Decodes one data row.
    pub fn decode(&self, row: &ByteRecord, default_series: &SeriesId, position: Position) -> Decoded<MetricPoint> {
        let fail = |reason: String| DeadLetter::new(position.clone(), &joined(row), reason);
        if row.len() != self.columns {
            return Err(fail(format!("expected {} columns, found {}", self.columns, row.len())));
        }
        let field = |index: usize| -> Result<&str, DeadLetter> {
            let bytes = row.get(index).unwrap_or_default();
            std::str::from_utf8(bytes).map(str::trim).map_err(|_| fail(format!("column {} is not UTF-8", index + 1)))
        };
        let timestamp = parse_timestamp(field(self.timestamp)?).map_err(|e| fail(e.to_string()))?;
        let text = field(self.value)?;
        let value = parse_value(text).ok_or_else(|| fail(format!("{text:?} is not a number")))?;
        let series = match self.series {
            Some(index) if !field(index)?.is_empty() => Arc::from(field(index)?),
            _ => default_series.clone(),
        };
        Ok(MetricPoint { series, timestamp, value })
    }
}

/// A finite number, or `None`.
pub(super) fn parse_value(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The row as one line again, for a dead letter.
fn joined(row: &ByteRecord) -> Vec<u8> {
    let mut line = Vec::with_capacity(row.as_slice().len() + row.len());
    for (index, field) in row.iter().enumerate() {
        if index > 0 {
            line.push(b',');
        }
        line.extend_from_slice(field);
    }
    line
}

/// Bytes the parser reads ahead of the row it is on.
const BUFFER_BYTES: usize = 1 << 16;

/// A reader of CSV rows as the runtime reads every CSV: any number of fields per row (a short row is a dead letter,
/// not the end of the file), no header handling (the caller reads it), blank lines skipped.
fn rows<R: Read>(input: R) -> csv::Reader<Bounded<R>> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(BUFFER_BYTES).from_reader(Bounded {
        inner: input,
        read: 0,
        limit: 0,
        last: None,
    })
}

/// The parser's input, which hands out bytes only up to `limit`: the row being read may not grow past
/// [`MAX_ROW_BYTES`] (plus the read-ahead). It also ends an input whose last line has no newline with one, so every
/// row is terminated and its first line can be told from where the parser stands after it.
struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
    last: Option<u8>,
}

/// The message of the I/O error [`Bounded`] raises at its limit.
const ROW_TOO_LONG: &str = "row too long";

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let room = usize::try_from(self.limit.saturating_sub(self.read)).unwrap_or(usize::MAX);
        if room == 0 && !buf.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, ROW_TOO_LONG));
        }
        let len = buf.len().min(room);
        let read = self.inner.read(&mut buf[..len])?;
        if read == 0 && self.last.is_some_and(|byte| byte != b'\n') && len > 0 {
            buf[0] = b'\n';
            self.last = Some(b'\n');
            return Ok(1);
        }
        if read > 0 {
            self.last = Some(buf[read - 1]);
        }
        self.read += read as u64;
        Ok(read)
    }
}

/// Why a CSV input could not be read any further.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The underlying reader failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A row longer than [`MAX_ROW_BYTES`] (usually an unterminated quote).
    #[error("line {line}: a row longer than {MAX_ROW_BYTES} bytes (an unterminated quote?)")]
    RowTooLong {
        /// Where the row starts.
        line: u64,
    },
}

/// Metric points from a CSV stream: the header row, then one point (or dead letter) per row, in order. Positions
/// are line numbers (1-based, the header included).
pub struct MetricRows<R> {
    reader: csv::Reader<Bounded<R>>,
    layout: Option<CsvLayout>,
    row: ByteRecord,
    default_series: SeriesId,
}

impl<R: Read> MetricRows<R> {
    /// Rows of `input`; points of a file without a series column belong to `default_series`.
    pub fn new(input: R, default_series: &str) -> Self {
        Self { reader: rows(input), layout: None, row: ByteRecord::new(), default_series: Arc::from(default_series) }
    }

    /// The next point or dead letter; `None` at the end of the input. A missing or unusable header is a dead letter
    /// at line 1 (each later row is then one too, since nothing says what it holds).
    pub fn next_row(&mut self) -> Result<Option<Decoded<MetricPoint>>, CsvError> {
        loop {
            let start = self.reader.position().clone();
            self.reader.get_mut().limit = start.byte() + (MAX_ROW_BYTES + BUFFER_BYTES) as u64;
            match self.reader.read_byte_record(&mut self.row) {
                Ok(false) => return Ok(None),
                Ok(true) => {}
                Err(error) => return Err(into_error(error, start.line())),
            }
            // The row's own first line: the parser counts blank lines it skipped into the row's position, so
            // count back from where it stands, past the row's terminator and the newlines inside its fields.
            let inside = self.row.as_slice().iter().filter(|byte| **byte == b'\n').count() as u64;
            let line = self.reader.position().line().saturating_sub(1 + inside).max(start.line());
            // A line holding only spaces is no row.
            if self.row.len() == 1 && self.row.get(0).is_some_and(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            let position = Position { partition: 0, offset: i64::try_from(line).unwrap_or(i64::MAX) };
            return Ok(match &self.layout {
                Some(layout) => Some(layout.decode(&self.row, &self.default_series, position)),
                None => match CsvLayout::from_header(&self.row) {
                    Ok(layout) => {
                        self.layout = Some(layout);
                        continue;
                    }
                    Err(reason) => Some(Err(DeadLetter::new(position, &joined(&self.row), reason))),
                },
            });
        }
    }

    /// Bytes of the input read so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.get_ref().read
    }

    /// The line the next row starts on (1-based).
    pub fn line(&self) -> u64 {
        self.reader.position().line()
    }
}

fn into_error(error: csv::Error, line: u64) -> CsvError {
    match error.into_kind() {
        csv::ErrorKind::Io(error)
            if error.kind() == std::io::ErrorKind::InvalidData && error.to_string() == ROW_TOO_LONG =>
        {
            CsvError::RowTooLong { line }
        }
        csv::ErrorKind::Io(error) => CsvError::Io(error),
        // Byte records have no UTF-8 errors and flexible readers no length errors; keep whatever else as I/O.
        other => CsvError::Io(std::io::Error::other(format!("{other:?}"))),
    }
}

/// Every series of the CSV file at `path`, each sorted by time. A row that does not decode is an error naming its
/// line (traces and benchmark data are inputs a person prepared, so a bad row is a mistake to show, not to skip).
pub fn read_series(path: &Path) -> anyhow::Result<BTreeMap<String, Vec<(Millis, f64)>>> {
    let file = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let default_name = path.file_stem().map_or_else(|| "series".to_owned(), |s| s.to_string_lossy().into_owned());
    let mut rows = MetricRows::new(file, &default_name);
    let mut series: BTreeMap<String, Vec<(Millis, f64)>> = BTreeMap::new();
    while let Some(row) = rows.next_row().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))? {
        let point =
            row.map_err(|dead| anyhow::anyhow!("{} line {}: {}", path.display(), dead.position.offset, dead.reason))?;
        series.entry(point.series.to_string()).or_default().push((point.timestamp, point.value));
    }
    if series.is_empty() {
        anyhow::bail!("{} holds no points (a header row, then timestamp,value[,series] rows)", path.display());
    }
    series.values_mut().for_each(|points| points.sort_by_key(|(time, _)| *time));
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &[u8]) -> Vec<Decoded<MetricPoint>> {
        let mut rows = MetricRows::new(text, "file");
        std::iter::from_fn(|| rows.next_row().unwrap_or_else(|e| panic!("{e}"))).collect()
    }

    #[test]
    fn quoted_fields_keep_their_commas_quotes_and_newlines() {
        let text =
            "\"series\",value,timestamp\r\n\"checkout, eu\",1.5,2026-01-01T00:00:00Z\n\"say \"\"hi\"\"\nthere\",2,0\n";
        let points: Vec<MetricPoint> =
            all(text.as_bytes()).into_iter().map(|r| r.unwrap_or_else(|e| panic!("{e:?}"))).collect();
        assert_eq!(&*points[0].series, "checkout, eu");
        assert_eq!(points[0].value, 1.5);
        assert_eq!(&*points[1].series, "say \"hi\"\nthere");
        assert_eq!(points[1].timestamp, 0);
    }

    #[test]
    fn bad_rows_are_dead_letters_with_their_line_and_the_row() {
        let records = all(b"timestamp,value\n1,1\n\n1,\"2\n3\"\n1,2,3\n1,\xff\n");
        let dead: Vec<(i64, String)> =
            records.into_iter().filter_map(Result::err).map(|d| (d.position.offset, d.payload)).collect();
        assert_eq!(dead, [(4, "1,2\n3".to_owned()), (6, "1,2,3".to_owned()), (7, "1,\u{fffd}".to_owned())]);
    }

    #[test]
    fn an_unterminated_quote_ends_the_input_with_an_error_not_unbounded_memory() {
        let text = format!("timestamp,value\n1,\"{}", "x".repeat(MAX_ROW_BYTES + 2 * BUFFER_BYTES));
        let mut rows = MetricRows::new(text.as_bytes(), "file");
        assert!(matches!(rows.next_row(), Err(CsvError::RowTooLong { line: 2 })));
    }
}
