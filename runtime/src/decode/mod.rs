//! Decoding raw records into pipeline inputs, shared by every source: JSON metric events (Kafka and JSON-lines
//! files), CSV rows (files) and log records (raw lines or a message inside JSON). A record that cannot be decoded
//! becomes a [`DeadLetter`](crate::record::DeadLetter) with its position and the reason; decoding never panics on
//! untrusted bytes.

pub mod csv;
mod logs;
mod metrics;

pub use csv::{CsvLayout, MetricRows, read_series};
pub use logs::LogDecoder;
pub use metrics::{MetricDecoder, decode_json_metric};

use crate::record::{Decoded, Position};

/// Turns a record's payload into an input of the pipeline.
pub trait Decode: Send + Sync + 'static {
    /// The decoded record.
    type Item: Send + 'static;

    /// Decodes `payload`, read at `position`; failures become dead letters with the reason.
    fn decode(&self, payload: &[u8], position: Position) -> Decoded<Self::Item>;
}
