//! Replays a trace through an HPA whose `minReplicas` a strategy sets at every sync, and measures the result.
//!
//! Time advances in HPA sync periods. At each sync the strategy sets the floor, the HPA sets the replica count, and
//! the period is accounted: under-provisioning is demand in pods (load / capacity per replica) above the *ready*
//! pods, integrated exactly; cost is every pod, starting or ready, integrated; an action is a change of the replica
//! count.

use serde::Serialize;

use crate::time::Millis;

use super::{
    Scenario,
    hpa::{Hpa, SYNC_MS, ceil_replicas},
    trace::Trace,
    workload::Workload,
};

/// A strategy's figures over a trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Demand above ready capacity, in pod-minutes.
    pub underprovisioned_pod_minutes: f64,
    /// Pods running (starting or ready), in pod-hours.
    pub pod_hours: f64,
    /// Changes of the replica count.
    pub actions: u64,
}

impl Figures {
    /// Accounts one period of `length` with `replicas` pods and a shortfall in pod-milliseconds.
    pub fn add(&mut self, shortfall_pod_ms: f64, replicas: i32, length: Millis) {
        self.underprovisioned_pod_minutes += shortfall_pod_ms / 60_000.0;
        self.pod_hours += f64::from(replicas) * length as f64 / 3_600_000.0;
    }

    /// Sums figures (of several traces).
    pub fn plus(self, other: Self) -> Self {
        Self {
            underprovisioned_pod_minutes: self.underprovisioned_pod_minutes + other.underprovisioned_pod_minutes,
            pod_hours: self.pod_hours + other.pod_hours,
            actions: self.actions + other.actions,
        }
    }
}

/// One trace step of a run, for plots: ready pods at their fewest and pods at their most during the step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Start of the step.
    pub time: Millis,
    /// Fewest ready pods.
    pub ready: i32,
    /// Most pods, starting or ready.
    pub replicas: i32,
    /// Whether demand exceeded ready capacity at some point of the step.
    pub short: bool,
}

/// A strategy's figures and its samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StrategyRun {
    /// The figures.
    pub figures: Figures,
    /// One sample per trace step.
    pub samples: Vec<Sample>,
}

/// Collects per-step samples from per-sync records.
pub struct Recorder<'a> {
    trace: &'a Trace,
    samples: Vec<Sample>,
}

impl<'a> Recorder<'a> {
    /// A recorder for `trace`.
    pub fn new(trace: &'a Trace) -> Self {
        Self { trace, samples: Vec::with_capacity(trace.values.len()) }
    }

    /// Records one sync period.
    pub fn record(&mut self, tick: Millis, ready: i32, replicas: i32, shortfall: f64) {
        let index = self.trace.index_at(tick);
        let time = self.trace.start_ms + index as i64 * self.trace.step_ms;
        match self.samples.last_mut() {
            Some(last) if last.time == time => {
                last.ready = last.ready.min(ready);
                last.replicas = last.replicas.max(replicas);
                last.short |= shortfall > 0.0;
            }
            _ => self.samples.push(Sample { time, ready, replicas, short: shortfall > 0.0 }),
        }
    }

    /// The samples.
    pub fn finish(self) -> Vec<Sample> {
        self.samples
    }
}

/// Replays `trace` through an HPA whose floor is `floor(now)`; `on_step` is told the index of each step reached.
pub fn replay(
    trace: &Trace,
    scenario: &Scenario,
    floor: &mut dyn FnMut(Millis) -> i32,
    on_step: &mut dyn FnMut(usize),
) -> StrategyRun {
    let mut hpa = Hpa::new(scenario.capacity, scenario.target, scenario.max_replicas);
    let first = trace.values.first().copied().unwrap_or(0.0);
    let initial = ceil_replicas(first / (scenario.capacity * scenario.target))
        .clamp(scenario.min_replicas, scenario.max_replicas);
    let mut pods = Workload::ready(initial, trace.start_ms);
    let mut recorder = Recorder::new(trace);
    let mut figures = Figures::default();
    let mut step = usize::MAX;
    for tick in (trace.start_ms..trace.end_ms()).step_by(SYNC_MS as usize) {
        let index = trace.index_at(tick);
        if index != step {
            step = index;
            on_step(index);
        }
        let min_replicas = floor(tick);
        let replicas = hpa.sync(tick, trace.load_at(tick), &pods, min_replicas);
        if replicas != pods.replicas() {
            figures.actions += 1;
            pods.scale_to(replicas, tick, scenario.startup_ms);
        }
        let shortfall = pods.shortfall(trace, scenario.capacity, tick, tick + SYNC_MS);
        figures.add(shortfall, pods.replicas(), SYNC_MS);
        recorder.record(tick, pods.ready_at(tick), pods.replicas(), shortfall);
    }
    StrategyRun { figures, samples: recorder.finish() }
}
