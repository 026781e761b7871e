//! Augur's autoscaling simulator: replays load traces through the Kubernetes HPA alone, the HPA under Augur's
//! forecast floor, and an oracle, and compares them at equal cost; replays per-pod usage through Augur's requests
//! and the VPA recommender's.
//!
//! - [`hpa`]: the HPA's algorithm and default behaviour; [`workload`]: pods that take a start-up time to serve.
//! - [`replay`]: a trace through an HPA whose floor a strategy sets, measured per step.
//! - [`floor`]: Augur's floor, the `augur-autoscale` engine fed by forecasts made online ([`OnlineForecaster`]).
//! - [`oracle`]: knows the load ahead; the bound no strategy beats.
//! - [`frontier`]: the HPA at several target utilisations, and a strategy read against it at equal cost.
//! - [`simulation`]: all of the above over one trace.
//! - [`vpa`]: the VPA recommender's rule; [`requests`]: container requests replayed against one pod's usage, Augur's
//!   against the VPA's frontier of safety margins.
//!
//! Pure and deterministic: no I/O, no clock, no threads. The caller reads traces and policies, and supplies the
//! forecaster (the runtime's, in `augur simulate` and the benchmarks), so the simulator depends on the engine and
//! the API types only.

pub mod floor;
pub mod frontier;
pub mod hpa;
pub mod oracle;
pub mod replay;
pub mod requests;
pub mod simulation;
pub mod trace;
pub mod vpa;
pub mod workload;

use augur_crds::kinds::autoscale_policy::{Guardrails, ReplicaPolicy};

pub use floor::{AugurFloor, FloorStats, Forecasts, OnlineForecaster, Tally, forecast_trace};
pub use frontier::{
    CostPoint, EqualCost, FRONTIER_TARGETS, Frontier, FrontierPoint, Reading, change_percent, equal_cost,
};
pub use replay::{Figures, Sample, StrategyRun};
pub use simulation::{Outcome, simulate};
pub use trace::{Trace, TraceError};

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;

/// What the strategies share.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Load one replica serves.
    pub capacity: f64,
    /// Time from creating a pod to it serving load.
    pub startup_ms: Millis,
    /// The HPA's target utilisation, a fraction (Augur's floor runs under the HPA at this target).
    pub target: f64,
    /// The HPA's own `minReplicas`.
    pub min_replicas: i32,
    /// The HPA's `maxReplicas`.
    pub max_replicas: i32,
}

/// A policy and the scenario it is simulated in.
#[derive(Clone, Debug, PartialEq)]
pub struct Setup {
    /// The policy's replica settings (with the capacity the scenario uses).
    pub policy: ReplicaPolicy,
    /// The policy's guardrails.
    pub guardrails: Guardrails,
    /// The scenario.
    pub scenario: Scenario,
}

impl Setup {
    /// The scenario of `policy`: its capacity and bounds for the HPA too.
    pub fn new(policy: ReplicaPolicy, guardrails: Guardrails, startup_ms: Millis, target: f64) -> Self {
        let scenario = Scenario {
            capacity: policy.capacity_per_replica,
            startup_ms,
            target,
            min_replicas: policy.min_replicas.max(1),
            max_replicas: policy.max_replicas.max(policy.min_replicas.max(1)),
        };
        Self { policy, guardrails, scenario }
    }
}
