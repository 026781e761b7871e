//! The records that flow through a pipeline, and what happens to the ones that fail to decode.

use std::sync::Arc;

use crate::time::Millis;

/// Identity of a series: its name, or its labels rendered as `name{k="v",...}`.
pub type SeriesId = Arc<str>;

/// One observation of one metric series.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricPoint {
    /// The series.
    pub series: SeriesId,
    /// Event time.
    pub timestamp: Millis,
    /// The observed value.
    pub value: f64,
}

/// One log line and its position: the 1-based line number of a file, or the offset in a Kafka partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Line number in the file, or offset in the partition.
    pub number: i64,
    /// The line, without its newline (invalid UTF-8 replaced).
    pub text: String,
}

/// Where a record came from, so a dead letter or a checkpoint can name it.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Position {
    /// Partition (Kafka) or 0 for single-stream sources.
    pub partition: i32,
    /// Offset within the partition; the line number for files (1-based, header included).
    pub offset: i64,
}

/// A record that could not be decoded: kept with its position and the reason, never silently dropped.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DeadLetter {
    /// Where it came from.
    pub position: Position,
    /// The raw bytes, lossily as text, truncated to [`DeadLetter::MAX_PAYLOAD`] bytes.
    pub payload: String,
    /// Why it failed.
    pub reason: String,
}

impl DeadLetter {
    /// Longest payload kept in a dead letter.
    pub const MAX_PAYLOAD: usize = 4096;

    /// A dead letter for `payload` at `position`.
    pub fn new(position: Position, payload: &[u8], reason: impl Into<String>) -> Self {
        let mut text = String::from_utf8_lossy(&payload[..payload.len().min(Self::MAX_PAYLOAD)]).into_owned();
        // Invalid bytes become U+FFFD (three bytes each), so the text may be longer than the bytes: cut it at the
        // last character boundary within the bound.
        let mut end = text.len().min(Self::MAX_PAYLOAD);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        Self { position, payload: text, reason: reason.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_letters_of_invalid_utf8_are_cut_at_a_character_boundary() {
        // Found by the `metric_event` fuzz target: 4,096 invalid bytes are 12,288 bytes of U+FFFD, and byte 4,096
        // falls inside one of them.
        let letter = DeadLetter::new(Position::default(), &[0xff; 5000], "bad");
        assert_eq!(letter.payload.len(), 4095);
        assert!(letter.payload.chars().all(|c| c == char::REPLACEMENT_CHARACTER));
        let mixed: Vec<u8> = b"ok ".iter().copied().chain([0xc3; 4093]).collect();
        let letter = DeadLetter::new(Position::default(), &mixed, "bad");
        assert!(letter.payload.starts_with("ok \u{fffd}") && letter.payload.len() <= DeadLetter::MAX_PAYLOAD);
        let plain = DeadLetter::new(Position::default(), "é".repeat(3000).as_bytes(), "bad");
        assert_eq!(plain.payload, "é".repeat(2048), "valid text is kept whole up to the bound");
    }
}

/// The outcome of decoding one raw record.
pub type Decoded<T> = Result<T, DeadLetter>;

/// A batch of decoded records and the source position after its last record.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch<T> {
    /// Records in source order; failures stay in place as dead letters.
    pub records: Vec<Decoded<T>>,
    /// Position after the batch: committing it acknowledges every record in it.
    pub end: Position,
}
