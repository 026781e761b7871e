//! One trace through every strategy: the HPA alone at each target utilisation of the frontier and at the
//! scenario's own, the HPA under Augur's floor at the scenario's target, and the oracle.

use crate::{
    Millis, Setup,
    floor::{AugurFloor, FloorStats, Forecasts},
    frontier::{EqualCost, Frontier, FrontierPoint},
    oracle,
    replay::{self, StrategyRun},
    trace::Trace,
};

/// The strategies over one trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The HPA alone at each target of the frontier, by target.
    pub frontier: Vec<(f64, StrategyRun)>,
    /// The HPA alone at the scenario's target.
    pub hpa: StrategyRun,
    /// The HPA at the scenario's target with Augur's floor.
    pub augur: StrategyRun,
    /// The oracle.
    pub oracle: StrategyRun,
    /// How Augur's floor behaved.
    pub floor: FloorStats,
}

impl Outcome {
    /// The HPA's frontier over the steps from `from` on.
    pub fn frontier_from(&self, from: Millis) -> Frontier {
        let points = self
            .frontier
            .iter()
            .map(|(target, run)| FrontierPoint { target: *target, figures: run.figures_from(from) })
            .collect();
        Frontier { points }
    }

    /// Augur against the frontier, both over the steps from `from` on.
    pub fn equal_cost_from(&self, from: Millis) -> Option<EqualCost> {
        self.frontier_from(from).equal_cost(&self.augur.figures_from(from))
    }
}

/// Simulates every strategy over `trace`, Augur's floor from `forecasts` (see
/// [`forecast_trace`](crate::forecast_trace)), the frontier at `targets` (fractions); `on_step` is told each step
/// reached, once per replay.
pub fn simulate(
    trace: &Trace,
    setup: &Setup,
    forecasts: &Forecasts,
    targets: &[f64],
    on_step: &mut dyn FnMut(usize),
) -> Outcome {
    let scenario = &setup.scenario;
    let min_replicas = scenario.min_replicas;
    let mut hpa_at = |target: f64| replay::replay(trace, scenario, target, &mut |_| min_replicas, on_step);
    let frontier: Vec<(f64, StrategyRun)> = targets.iter().map(|&target| (target, hpa_at(target))).collect();
    let hpa = match frontier.iter().find(|(target, _)| (target - scenario.target).abs() < 1e-9) {
        Some((_, run)) => run.clone(),
        None => hpa_at(scenario.target),
    };
    let (augur, floor) = augur_run(trace, setup, forecasts, scenario.target, on_step);
    let oracle = oracle::replay(trace, scenario);
    Outcome { frontier, hpa, augur, oracle, floor }
}

/// The HPA at `target` under Augur's floor, and how the floor behaved.
pub fn augur_run(
    trace: &Trace,
    setup: &Setup,
    forecasts: &Forecasts,
    target: f64,
    on_step: &mut dyn FnMut(usize),
) -> (StrategyRun, FloorStats) {
    let scenario = &setup.scenario;
    let mut floor = AugurFloor::new(&setup.policy, &setup.guardrails, scenario.min_replicas, trace, forecasts);
    let run = replay::replay(trace, scenario, target, &mut |now| floor.floor_at(now), on_step);
    (run, floor.stats)
}
