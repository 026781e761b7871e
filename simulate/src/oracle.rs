//! The oracle: knows the demand ahead, keeps exactly enough pods ready (demand in pods, rounded up, within the
//! replica bounds) and starts each pod exactly one start-up time before it is needed. It bounds what any strategy
//! can reach: no under-provisioning below the bounds, and the fewest pod-hours that achieve it.

use crate::Millis;

use crate::{
    Scenario,
    hpa::{SYNC_MS, ceil_replicas},
    replay::{Recorder, StrategyRun},
    trace::Trace,
    workload::Workload,
};

/// Replays the oracle over `trace`.
pub fn replay(trace: &Trace, scenario: &Scenario) -> StrategyRun {
    let ticks: Vec<Millis> = (trace.start_ms..trace.end_ms()).step_by(SYNC_MS as usize).collect();
    let needed: Vec<i32> = ticks
        .iter()
        .map(|&tick| {
            let (first, last) = (trace.index_at(tick), trace.index_at(tick + SYNC_MS - 1));
            let peak = trace.values[first..=last].iter().copied().fold(0.0, f64::max);
            ceil_replicas(peak / scenario.capacity).clamp(scenario.min_replicas, scenario.max_replicas)
        })
        .collect();
    // A pod needed at tick j runs from j - startup: the pods alive at tick i are the most needed over the next
    // start-up time.
    let ahead = usize::try_from((scenario.startup_ms + SYNC_MS - 1) / SYNC_MS).unwrap_or(0);
    let mut recorder = Recorder::new(trace);
    let mut previous: Option<i32> = None;
    for (i, &tick) in ticks.iter().enumerate() {
        let alive = needed[i..needed.len().min(i + ahead + 1)].iter().copied().max().unwrap_or(needed[i]);
        let changed = previous.is_some_and(|p| p != alive);
        previous = Some(alive);
        let ready = Workload::ready(needed[i], tick);
        let shortfall = ready.shortfall(trace, scenario.capacity, tick, tick + SYNC_MS);
        recorder.record(tick, needed[i], alive, shortfall, changed);
    }
    recorder.finish()
}
