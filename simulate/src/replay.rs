//! Replays a trace through an HPA whose `minReplicas` a strategy sets at every sync, and measures the result.
//!
//! Time advances in HPA sync periods. At each sync the strategy sets the floor, the HPA sets the replica count, and
//! the period is accounted: under-provisioning is demand in pods (load / capacity per replica) above the *ready*
//! pods, integrated exactly; cost is every pod, starting or ready, integrated; an action is a change of the replica
//! count. Each trace step keeps its own figures, so any stretch of the trace (e.g. "from the second day on") is
//! scored from the same run.

use serde::Serialize;

use crate::{
    Millis, Scenario,
    hpa::{Hpa, SYNC_MS, ceil_replicas},
    trace::Trace,
    workload::Workload,
};

/// A strategy's figures over a trace, or a stretch of one.
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

    /// Sums figures (of several stretches or traces).
    pub fn plus(self, other: Self) -> Self {
        Self {
            underprovisioned_pod_minutes: self.underprovisioned_pod_minutes + other.underprovisioned_pod_minutes,
            pod_hours: self.pod_hours + other.pod_hours,
            actions: self.actions + other.actions,
        }
    }
}

/// One trace step of a run: ready pods at their fewest and pods at their most during the step, and its figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Start of the step.
    pub time: Millis,
    /// Fewest ready pods.
    pub ready: i32,
    /// Most pods, starting or ready.
    pub replicas: i32,
    /// The step's figures.
    pub figures: Figures,
}

impl Sample {
    /// Whether demand exceeded ready capacity at some point of the step.
    pub fn short(&self) -> bool {
        self.figures.underprovisioned_pod_minutes > 0.0
    }
}

/// A strategy's samples, one per trace step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StrategyRun {
    /// One sample per trace step.
    pub samples: Vec<Sample>,
}

impl StrategyRun {
    /// Figures over the whole trace.
    pub fn figures(&self) -> Figures {
        self.figures_from(Millis::MIN)
    }

    /// Figures over the steps that start at `from` or later.
    pub fn figures_from(&self, from: Millis) -> Figures {
        self.samples.iter().filter(|s| s.time >= from).fold(Figures::default(), |sum, s| sum.plus(s.figures))
    }
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

    /// Records one sync period starting at `tick`: its ready pods, pods, shortfall (pod-ms) and whether the replica
    /// count changed.
    pub fn record(&mut self, tick: Millis, ready: i32, replicas: i32, shortfall: f64, changed: bool) {
        let index = self.trace.index_at(tick);
        let time = self.trace.start_ms + index as i64 * self.trace.step_ms;
        let mut figures = Figures { actions: u64::from(changed), ..Figures::default() };
        figures.add(shortfall, replicas, SYNC_MS);
        match self.samples.last_mut() {
            Some(last) if last.time == time => {
                last.ready = last.ready.min(ready);
                last.replicas = last.replicas.max(replicas);
                last.figures = last.figures.plus(figures);
            }
            _ => self.samples.push(Sample { time, ready, replicas, figures }),
        }
    }

    /// The run.
    pub fn finish(self) -> StrategyRun {
        StrategyRun { samples: self.samples }
    }
}

/// Replays `trace` through an HPA at `target` utilisation whose floor is `floor(now)`; `on_step` is told the index
/// of each step reached.
pub fn replay(
    trace: &Trace,
    scenario: &Scenario,
    target: f64,
    floor: &mut dyn FnMut(Millis) -> i32,
    on_step: &mut dyn FnMut(usize),
) -> StrategyRun {
    let mut hpa = Hpa::new(scenario.capacity, target, scenario.max_replicas);
    let first = trace.values.first().copied().unwrap_or(0.0);
    let initial =
        ceil_replicas(first / (scenario.capacity * target)).clamp(scenario.min_replicas, scenario.max_replicas);
    let mut pods = Workload::ready(initial, trace.start_ms);
    let mut recorder = Recorder::new(trace);
    let mut step = usize::MAX;
    for tick in (trace.start_ms..trace.end_ms()).step_by(SYNC_MS as usize) {
        let index = trace.index_at(tick);
        if index != step {
            step = index;
            on_step(index);
        }
        let min_replicas = floor(tick);
        let replicas = hpa.sync(tick, trace.load_at(tick), &pods, min_replicas);
        let changed = replicas != pods.replicas();
        if changed {
            pods.scale_to(replicas, tick, scenario.startup_ms);
        }
        let shortfall = pods.shortfall(trace, scenario.capacity, tick, tick + SYNC_MS);
        recorder.record(tick, pods.ready_at(tick), pods.replicas(), shortfall, changed);
    }
    recorder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_from_a_time_sum_only_the_later_steps() {
        let trace = Trace { name: "t".into(), start_ms: 0, step_ms: 60_000, values: vec![1.0; 4] };
        let mut recorder = Recorder::new(&trace);
        for tick in (0..240_000).step_by(SYNC_MS as usize) {
            let shortfall = if tick < 60_000 { 30_000.0 } else { 0.0 };
            recorder.record(tick, 1, 2, shortfall, tick == 120_000);
        }
        let run = recorder.finish();
        assert_eq!(run.samples.len(), 4);
        let all = run.figures();
        assert!((all.underprovisioned_pod_minutes - 2.0).abs() < 1e-9, "{all:?}");
        assert!((all.pod_hours - 8.0 / 60.0).abs() < 1e-9, "{all:?}");
        assert_eq!(all.actions, 1);
        let later = run.figures_from(60_000);
        assert_eq!(later.underprovisioned_pod_minutes, 0.0);
        assert!((later.pod_hours - 6.0 / 60.0).abs() < 1e-9);
        assert!(run.samples[0].short() && !run.samples[1].short());
    }
}
