//! Augur's streaming runtime: the engine behind the `augur` binary.
//!
//! ```text
//! source (file | kafka | prometheus) -> decode -> per-series models -> sinks (stdout | JSON lines | kafka | metrics)
//! ```
//! - [`sources`], [`models`], [`sinks`]: the components, each with its own config, implementation and tests.
//! - [`pipeline`]: the runner that connects them with bounded channels (backpressure), commits source positions once
//!   sinks have written, and shuts down gracefully.
//! - [`checkpoint`]: state and positions stored together; [`kafka`]: the Kafka source, sinks and settings;
//!   [`prometheus`]: the PromQL source.
//! - [`time`]: event timestamps and the injected clock; [`record`]: the records and dead letters.
//! - [`publish`]: forecasts published into the Forecaster's status for AutoScalePolicies.
//! - [`service`]: `augur run`, the pipeline as a long-running service with probes, metrics and checkpoints.
//! - [`cli`]: the `augur` command line; [`manifest`]: manifests validated as the API server would.

pub mod checkpoint;
pub mod cli;
pub mod kafka;
pub mod manifest;
pub mod models;
pub mod pipeline;
pub mod plot;
pub mod prometheus;
pub mod publish;
pub mod record;
pub mod service;
pub mod sinks;
pub mod sources;
pub mod time;
