//! Sinks: where results and dead letters go.
//!
//! - [`kafka`]: JSON events keyed by series or template on a topic, delivered before positions are committed;
//! - [`results`]: what the service does with each result kind (metrics, which results are published) and dead
//!   letters (counted, logged, and sent to their topic);
//! - [`JsonLinesSink`] (a file or standard output), [`MemorySink`] (summaries and tests), [`Tee`] (two at once).

mod json_lines;
pub mod kafka;
mod memory;
pub mod results;
mod tee;

pub use json_lines::JsonLinesSink;
pub use memory::MemorySink;
pub use tee::Tee;
