//! The operator's benchmarks, each printing its figures as `key=value` lines:
//! - [`reconcile`]: the reconciler alone against an in-process API server that answers at once (the operator's own
//!   cost per resource);
//! - [`cluster`]: the operator process with its controllers against a real API server (what a cluster sees).

pub mod cluster;
pub mod reconcile;

use serde_json::{Value, json};

/// A distinct AnomalyDetector numbered `index` in `namespace`.
pub fn detector_manifest(index: usize, namespace: &str) -> Value {
    json!({
        "apiVersion": "augur.dev/v1alpha1",
        "kind": "AnomalyDetector",
        "metadata": {"name": format!("detector-{index}"), "namespace": namespace},
        "spec": {"source": {"kafka": {"bootstrapServers": ["kafka:9092"], "topic": format!("metrics-{index}")}}, "parallelism": 1 + index % 3},
    })
}

/// The resident set of process `pid` (`"self"` for this one) from `/proc/<pid>/status`: (now, peak) in bytes.
pub fn resident_bytes(pid: &str) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
