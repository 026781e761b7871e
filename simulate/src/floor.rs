//! The Augur strategy's floor: forecasts made online over the trace, and the policy engine turning the latest one
//! into the HPA's `minReplicas`, exactly as the AutoScalePolicy controller would.
//!
//! A step's value reaches the forecaster when the step ends (it is the step's mean), and the forecast made then
//! starts at that moment, so every floor uses only the past. Forecasts are made once per trace ([`forecast_trace`])
//! and replayed under the HPA at any number of target utilisations. The forecaster itself is the caller's (the
//! runtime's Forecaster behind `augur simulate`), behind [`OnlineForecaster`], so this crate stays free of it.

use std::collections::BTreeMap;

use augur_autoscale::{BlockReason, FloorMemory, ForecastView, replica_floor};
use augur_crds::kinds::autoscale_policy::{Guardrails, ReplicaPolicy};

use crate::{Millis, trace::Trace};

/// Something that forecasts a series online.
pub trait OnlineForecaster {
    /// Learns the mean value of the step that ended at `made_at`, and returns the forecast it makes then (starting
    /// at `made_at`), or `None` while it has none.
    fn learn(&mut self, value: f64, made_at: Millis) -> Option<ForecastView>;
}

/// The forecasts made over a trace: entry `i` is the one made when step `i` ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Forecasts(pub Vec<Option<ForecastView>>);

impl Forecasts {
    /// The latest forecast made by `now`, if any.
    pub fn latest(&self, trace: &Trace, now: Millis) -> Option<&ForecastView> {
        let ended = (now - trace.start_ms).div_euclid(trace.step_ms.max(1));
        let index = usize::try_from(ended.checked_sub(1)?).ok()?;
        self.0.get(index.min(self.0.len().checked_sub(1)?))?.as_ref()
    }
}

/// Feeds every step of `trace` to `model` as it ends; `on_step` is told each step index.
pub fn forecast_trace(trace: &Trace, model: &mut dyn OnlineForecaster, on_step: &mut dyn FnMut(usize)) -> Forecasts {
    let forecasts = trace
        .values
        .iter()
        .enumerate()
        .map(|(index, &value)| {
            on_step(index);
            let made_at = trace.start_ms + (index as i64 + 1) * trace.step_ms;
            model.learn(value, made_at)
        })
        .collect();
    Forecasts(forecasts)
}

/// How often the floor was evaluated, and how.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// Evaluations (one per HPA sync).
    pub evaluations: u64,
    /// Evaluations that released the floor to the HPA's own, by reason.
    pub released: BTreeMap<&'static str, u64>,
    /// Evaluations that followed the forecast only in part (partial history).
    pub partial: u64,
    /// Evaluations that held a scale-down because the forecast shows the load returning.
    pub held: u64,
}

impl Tally {
    /// Share of evaluations that released the floor, in percent.
    pub fn released_percent(&self) -> f64 {
        self.released.values().sum::<u64>() as f64 * 100.0 / self.evaluations.max(1) as f64
    }

    /// Share of evaluations in `count`, in percent.
    pub fn percent(&self, count: u64) -> f64 {
        count as f64 * 100.0 / self.evaluations.max(1) as f64
    }
}

/// How Augur's floor behaved over a trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FloorStats {
    /// Changes of the floor.
    pub changes: u64,
    /// Every evaluation.
    pub all: Tally,
    /// Evaluations after the first day (a season of daily load: what the models need to be ready).
    pub after_first_day: Tally,
}

/// One day, in milliseconds.
pub const DAY_MS: Millis = 86_400_000;

/// The forecast-driven floor of one trace.
pub struct AugurFloor<'a> {
    policy: &'a ReplicaPolicy,
    guardrails: &'a Guardrails,
    hpa_min_replicas: i32,
    trace: &'a Trace,
    forecasts: &'a Forecasts,
    memory: FloorMemory,
    /// What happened so far.
    pub stats: FloorStats,
}

impl<'a> AugurFloor<'a> {
    /// The floor of `policy` over `trace`, from `forecasts` made over it.
    pub fn new(
        policy: &'a ReplicaPolicy,
        guardrails: &'a Guardrails,
        hpa_min_replicas: i32,
        trace: &'a Trace,
        forecasts: &'a Forecasts,
    ) -> Self {
        Self {
            policy,
            guardrails,
            hpa_min_replicas,
            trace,
            forecasts,
            memory: FloorMemory::default(),
            stats: FloorStats::default(),
        }
    }

    /// The floor at `now`, from the latest forecast made by then.
    pub fn floor_at(&mut self, now: Millis) -> i32 {
        let forecast = self.forecasts.latest(self.trace, now);
        let decision =
            replica_floor(self.policy, self.guardrails, forecast, &self.memory, self.hpa_min_replicas, false, now);
        let reason = decision.block.as_ref().map(|block| block.reason);
        let released = decision.released();
        // A guardrail's reason may stand in front of partial history, so that is read from the forecast.
        let partial = !released && forecast.and_then(|f| f.history).is_some_and(|h| !h.complete());
        let count = |tally: &mut Tally| {
            tally.evaluations += 1;
            tally.partial += u64::from(partial);
            match reason {
                Some(reason) if released => *tally.released.entry(reason.as_str()).or_default() += 1,
                Some(BlockReason::LoadReturning) => tally.held += 1,
                _ => {}
            }
        };
        count(&mut self.stats.all);
        if now >= self.trace.start_ms + DAY_MS {
            count(&mut self.stats.after_first_day);
        }
        if self.memory.floor.is_some_and(|floor| floor != decision.floor) {
            self.stats.changes += 1;
        }
        self.memory = self.memory.after(&decision, now);
        decision.floor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: Millis = 300_000;

    /// A forecast made at `made_at` of a flat `load`, 4 steps long, skill `skill`, full history.
    fn flat(load: f64, made_at: Millis, skill: Option<f64>) -> ForecastView {
        ForecastView {
            start_ms: made_at,
            step_ms: STEP,
            quantiles: vec![0.5, 0.9],
            points: vec![vec![load, load]; 4],
            peaks: Vec::new(),
            generated_at_ms: made_at,
            accuracy: None,
            skill,
            history: None,
            model_ready: true,
        }
    }

    /// Learns each value and forecasts that value flat: the forecast made at step `i`'s end knows step `i` only.
    struct Echo {
        skill: Option<f64>,
    }

    impl OnlineForecaster for Echo {
        fn learn(&mut self, value: f64, made_at: Millis) -> Option<ForecastView> {
            Some(flat(value, made_at, self.skill))
        }
    }

    fn trace(values: Vec<f64>) -> Trace {
        Trace { name: "t".into(), start_ms: 0, step_ms: STEP, values }
    }

    fn policy() -> ReplicaPolicy {
        serde_saphyr::from_str(
            "forecasterRef: {name: f}\nseries: s\ncapacityPerReplica: 100\nmaxReplicas: 50\nleadTime: 2m\n",
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_floor_sees_only_forecasts_made_before_it() {
        let trace = trace(vec![100.0, 900.0, 300.0]);
        let forecasts = forecast_trace(&trace, &mut Echo { skill: Some(0.5) }, &mut |_| {});
        assert_eq!(forecasts.latest(&trace, 0), None, "nothing is known during the first step");
        assert_eq!(forecasts.latest(&trace, STEP - 1), None);
        // During step 1 the latest forecast is the one made when step 0 ended: it knows 100, not 900.
        let during_second = forecasts.latest(&trace, STEP + 1).map(|f| f.points[0][0]);
        assert_eq!(during_second, Some(100.0));
        assert_eq!(forecasts.latest(&trace, 2 * STEP).map(|f| f.generated_at_ms), Some(2 * STEP));
        // After the trace, the last forecast stays the latest.
        assert_eq!(forecasts.latest(&trace, 10 * STEP).map(|f| f.points[0][0]), Some(300.0));
    }

    #[test]
    fn releases_are_counted_by_reason_and_after_the_first_day() {
        let steps = usize::try_from(2 * DAY_MS / STEP).unwrap_or(0);
        let trace = trace(vec![450.0; steps]);
        // Skill -2: the forecast errs three times as much as the last value, below the default gate of -1.
        let forecasts = forecast_trace(&trace, &mut Echo { skill: Some(-2.0) }, &mut |_| {});
        let (policy, guardrails) = (policy(), Guardrails::default());
        let mut floor = AugurFloor::new(&policy, &guardrails, 1, &trace, &forecasts);
        let floors: Vec<i32> = (0..trace.values.len() as i64).map(|i| floor.floor_at(i * STEP)).collect();
        assert!(floors.iter().all(|f| *f == 1), "released to the HPA's own minReplicas throughout");
        let stats = &floor.stats;
        assert_eq!(stats.all.evaluations, steps as u64);
        assert_eq!(stats.all.released.get("NoForecast"), Some(&1), "the first step has no forecast");
        assert_eq!(stats.all.released.get("LowForecastAccuracy"), Some(&(steps as u64 - 1)));
        assert_eq!(stats.after_first_day.evaluations, steps as u64 / 2);
        assert!((stats.after_first_day.released_percent() - 100.0).abs() < 1e-9);
        assert_eq!(stats.changes, 0);

        // A skilful forecast of the same load: 450 at 100 per replica needs 5 pods from the second step on.
        let forecasts = forecast_trace(&trace, &mut Echo { skill: Some(0.5) }, &mut |_| {});
        let mut floor = AugurFloor::new(&policy, &guardrails, 1, &trace, &forecasts);
        let floors: Vec<i32> = (0..4).map(|i| floor.floor_at(i * STEP)).collect();
        assert_eq!(floors, [1, 5, 5, 5]);
        assert_eq!((floor.stats.changes, floor.stats.all.released_percent()), (1, 25.0));
    }
}
