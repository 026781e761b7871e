//! Sinks: where results and dead letters go. Today: JSON lines to a file or standard output, and memory (for
//! summaries and tests).

mod json_lines;
mod memory;
mod tee;

pub use json_lines::JsonLinesSink;
pub use memory::MemorySink;
pub use tee::Tee;
