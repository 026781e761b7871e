//! The Augur strategy's floor: the runtime's Forecaster run online over the trace, and the policy engine turning its
//! latest forecast into the HPA's `minReplicas`, exactly as the AutoScalePolicy controller would.
//!
//! A step's value reaches the Forecaster when the step ends (it is the step's mean), and the forecast made then
//! starts at that moment, so every floor uses only the past. Until the model is ready (one season of history) and
//! its accuracy is measured, the engine releases the floor to the HPA's own `minReplicas`.

use std::collections::BTreeMap;

use augur_autoscale::{FloorMemory, ForecastView, replica_floor};
use augur_crds::kinds::autoscale_policy::{Guardrails, ReplicaPolicy};

use crate::{
    models::forecast::{ForecastParams, Forecaster},
    time::Millis,
};

use super::trace::Trace;

/// How often the floor changed and why it was released.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FloorStats {
    /// Evaluations (one per HPA sync).
    pub evaluations: u64,
    /// Changes of the floor.
    pub changes: u64,
    /// Evaluations that released the floor to the HPA's own, by reason.
    pub released: BTreeMap<&'static str, u64>,
}

/// The forecast-driven floor of one trace.
pub struct AugurFloor<'a> {
    policy: &'a ReplicaPolicy,
    guardrails: &'a Guardrails,
    hpa_min_replicas: i32,
    model: Forecaster,
    quantiles: Vec<f64>,
    fed: usize,
    view: Option<ForecastView>,
    memory: FloorMemory,
    /// What happened so far.
    pub stats: FloorStats,
}

impl<'a> AugurFloor<'a> {
    /// A floor for `policy` over a trace of `step_ms` steps, with a fresh Forecaster (the Forecaster defaults, on the
    /// trace's step, its horizon at least the policy's lead time plus two steps).
    pub fn new(policy: &'a ReplicaPolicy, guardrails: &'a Guardrails, hpa_min_replicas: i32, step_ms: Millis) -> Self {
        let params = forecast_params(policy, step_ms);
        Self {
            policy,
            guardrails,
            hpa_min_replicas,
            quantiles: params.quantiles.clone(),
            model: Forecaster::new(params),
            fed: 0,
            view: None,
            memory: FloorMemory::default(),
            stats: FloorStats::default(),
        }
    }

    /// The floor at `now`: feeds the steps that have ended, then asks the engine.
    pub fn floor_at(&mut self, now: Millis, trace: &Trace) -> i32 {
        while self.fed < trace.values.len() && trace.start_ms + (self.fed as i64 + 1) * trace.step_ms <= now {
            self.model.update(trace.values[self.fed]);
            self.fed += 1;
            let made_at = trace.start_ms + self.fed as i64 * trace.step_ms;
            let forecast = self.model.forecast();
            self.view = Some(ForecastView {
                start_ms: made_at,
                step_ms: trace.step_ms,
                quantiles: self.quantiles.clone(),
                points: forecast.points,
                generated_at_ms: made_at,
                accuracy: self.model.accuracy().mase,
                model_ready: self.model.readiness().is_ready(),
            });
        }
        let decision = replica_floor(
            self.policy,
            self.guardrails,
            self.view.as_ref(),
            &self.memory,
            self.hpa_min_replicas,
            false,
            now,
        );
        self.stats.evaluations += 1;
        if decision.released()
            && let Some(block) = &decision.block
        {
            *self.stats.released.entry(block.reason.as_str()).or_default() += 1;
        }
        if self.memory.floor.is_some_and(|floor| floor != decision.floor) {
            self.stats.changes += 1;
        }
        self.memory = self.memory.after(&decision, now);
        decision.floor
    }
}

/// The Forecaster defaults on the trace's step, with a horizon covering the policy's lead time and two steps more,
/// and the policy's quantile among the forecast ones (a Forecaster serving a policy is configured so; otherwise the
/// engine interpolates between the published quantiles, which is what it does in a cluster).
fn forecast_params(policy: &ReplicaPolicy, step_ms: Millis) -> ForecastParams {
    let defaults = ForecastParams::default();
    let default_ms = defaults.horizon as i64 * defaults.step_ms;
    let lead_ms = i64::try_from(policy.lead_time.as_std().as_millis()).unwrap_or(i64::MAX / 4);
    let step_ms = step_ms.max(1);
    let needed = (lead_ms + step_ms - 1) / step_ms + 2;
    let horizon = ((default_ms + step_ms - 1) / step_ms).max(needed).clamp(1, 1000);
    let mut quantiles = defaults.quantiles.clone();
    if policy.quantile > 0.0 && policy.quantile < 1.0 && !quantiles.iter().any(|q| (q - policy.quantile).abs() < 1e-9) {
        quantiles.push(policy.quantile);
        quantiles.sort_by(f64::total_cmp);
    }
    ForecastParams { horizon: usize::try_from(horizon).unwrap_or(1), step_ms, quantiles, ..defaults }
}
