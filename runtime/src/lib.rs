//! Augur's streaming runtime: the engine behind the `augur` binary.
//!
//! ```text
//! source (file | kafka | prometheus) -> decode -> per-series models -> sinks (stdout | JSON lines | kafka | metrics)
//! ```
//! - [`sources`], [`models`], [`sinks`]: the components, each with its own config, implementation and tests.
//! - [`pipeline`]: the runner that connects them with bounded channels (backpressure), commits source positions once
//!   sinks have written, and shuts down gracefully.
//! - [`time`]: event timestamps and the injected clock; [`record`]: the records and dead letters.
//! - [`cli`]: the `augur` command line; [`manifest`]: manifests validated as the API server would.

pub mod cli;
pub mod manifest;
pub mod models;
pub mod pipeline;
pub mod plot;
pub mod record;
pub mod sinks;
pub mod sources;
pub mod time;
