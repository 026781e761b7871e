//! Augur's streaming runtime: the engine behind the `augur` binary.
//!
//! ```text
//! source (file | kafka | prometheus) -> decode -> per-series models -> sinks (stdout | JSON lines | kafka | metrics)
//! ```
//! - [`sources`], [`models`], [`sinks`]: the components, each with its own config, implementation and tests.
//! - [`pipeline`]: the runner that connects them with bounded channels (backpressure), commits source positions once
//!   sinks have written, and shuts down gracefully.
//! - [`decode`]: raw records into inputs, shared by every source; [`kafka`]: Kafka connection settings and topics.
//! - [`checkpoint`]: state and positions stored together.
//! - [`time`]: event timestamps and the injected clock; [`record`]: the records and dead letters.
//! - [`job`]: what a RuntimeConfig runs (processors, what each kind keeps and publishes), shared by `augur run` and
//!   `augur try`; [`metrics`]: the runtime's Prometheus metrics.
//! - [`status`]: each pod's part of its resource's status (figures, forecasts, anomalies, templates, problems).
//! - [`service`]: `augur run`, the pipeline as a long-running service with probes, metrics and checkpoints.
//! - [`cli`]: the `augur` command line; [`manifest`]: manifests validated as the API server would.

pub mod checkpoint;
pub mod cli;
pub mod decode;
pub mod job;
pub mod kafka;
pub mod manifest;
pub mod metrics;
pub mod models;
pub mod pipeline;
pub mod plot;
pub mod record;
pub mod service;
pub mod sinks;
pub mod sources;
pub mod status;
pub mod time;
