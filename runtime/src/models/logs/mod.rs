//! Streaming log template mining: masking by character class, a one-pass miner whose templates generalise as
//! variants arrive, and ids derived from template content.

mod header;
mod masks;
mod miner;
#[cfg(test)]
mod tests;

pub use header::content;
pub use masks::{is_variable_piece, is_variable_word};
pub use miner::{Miner, MinerSettings, TemplateEvent, WILDCARD};
