//! The replica floor: the HPA `minReplicas` that keeps capacity ahead of the forecast load.
//!
//! # The rule
//! 1. Gates ([`check_forecast`]): with no usable forecast (missing, stale, too short, malformed, model not ready,
//!    accuracy unknown or worse than `guardrails.maxForecastError`) the floor is *released* to the HPA's own
//!    `minReplicas` at once, and scaling is the HPA's reactive scaling alone. Releasing never removes pods by itself:
//!    the HPA's own scale-down stabilisation still applies to them.
//! 2. Load: the `replicas.quantile` quantile of the forecast (interpolated between the published quantiles), at its
//!    largest over `[now, now + leadTime + one forecast step)`. Pods asked for now are ready after `leadTime`, and the
//!    next evaluation comes at the latest one step later, so this window is exactly what the floor set now must
//!    cover; looking further ahead would hold capacity the next evaluation can still add in time.
//! 3. Recommendation: `ceil(load / capacityPerReplica)`, clamped to `[minReplicas, maxReplicas]` of the policy, and
//!    never below the HPA's own `minReplicas` (the policy raises the user's floor, it never lowers it).
//! 4. Guardrails, from the floor last applied:
//!    - scale-up is applied at once, at most `maxStepUp` per change. Like the HPA, which does not stabilise
//!      scale-up, the floor is not held by cooldown when rising: a late floor is an under-provisioned one.
//!    - scale-down waits until `cooldown` has passed since the last change (of either direction), then falls at most
//!      `maxStepDown` per change. So a rise followed by a fall is always at least `cooldown` apart, which is what
//!      stops flapping.
//!    - while a referenced AnomalyDetector reports an anomaly (`freeze_scale_down`), the floor does not fall, not
//!      even when released.

use augur_crds::kinds::autoscale_policy::{Guardrails, ReplicaPolicy};

use crate::block::{Block, BlockReason};
use crate::forecast::ForecastView;
use crate::gates::check_forecast;

#[cfg(test)]
mod tests;

/// What the engine remembers between evaluations: the floor it last applied and when that changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FloorMemory {
    /// The floor last applied; `None` before the first, when the HPA's own `minReplicas` is in force.
    pub floor: Option<i32>,
    /// When the floor last changed, in milliseconds since the Unix epoch.
    pub changed_at_ms: Option<i64>,
}

impl FloorMemory {
    /// Memory after applying `decision` at `now_ms`: the change time moves only when the floor changes.
    pub fn after(self, decision: &ReplicaDecision, now_ms: i64) -> Self {
        if self.floor == Some(decision.floor) {
            self
        } else {
            Self { floor: Some(decision.floor), changed_at_ms: Some(now_ms) }
        }
    }
}

/// The floor to apply now, what the forecast alone asks for, and why they differ.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaDecision {
    /// The `minReplicas` to set now.
    pub floor: i32,
    /// What the forecast asks for, within the policy's bounds, before step limits, cooldown and freezes; `None`
    /// when the forecast was not used (see `block`).
    pub recommended: Option<i32>,
    /// The forecast load `recommended` provisions for, in the series' unit.
    pub forecast_load: Option<f64>,
    /// Why `floor` is not simply `recommended`, or why the forecast was not used.
    pub block: Option<Block>,
}

impl ReplicaDecision {
    /// Whether the floor was released to the HPA's own `minReplicas` because the forecast could not be used.
    pub fn released(&self) -> bool {
        self.block.as_ref().is_some_and(|block| block.reason.releases_floor())
    }
}

/// Computes the HPA floor at `now_ms` (see the module docs for the rule).
///
/// `hpa_min_replicas` is the HPA's own `minReplicas`, as the user set it before the policy changed it;
/// `freeze_scale_down` is whether a referenced AnomalyDetector reports an active anomaly.
pub fn replica_floor(
    policy: &ReplicaPolicy,
    guardrails: &Guardrails,
    forecast: Option<&ForecastView>,
    memory: &FloorMemory,
    hpa_min_replicas: i32,
    freeze_scale_down: bool,
    now_ms: i64,
) -> ReplicaDecision {
    let current = memory.floor.unwrap_or(hpa_min_replicas);
    let target = match forecast_target(policy, guardrails, forecast, hpa_min_replicas, now_ms) {
        Ok(target) => target,
        Err(block) => return release(current, hpa_min_replicas, block, freeze_scale_down),
    };
    let recommended = Some(target.replicas);
    let forecast_load = Some(target.load);
    let decide = |floor, block| ReplicaDecision { floor, recommended, forecast_load, block };
    if target.replicas > current {
        let step = guardrails.max_step_up.max(1);
        return if target.replicas - current > step {
            decide(current + step, Some(step_block("up", current, target.replicas, step)))
        } else {
            decide(target.replicas, None)
        };
    }
    if target.replicas == current {
        return decide(current, None);
    }
    if freeze_scale_down {
        return decide(current, Some(freeze_block(current)));
    }
    let cooldown_ms = i64::try_from(guardrails.cooldown.as_std().as_millis()).unwrap_or(i64::MAX);
    if let Some(changed_at) = memory.changed_at_ms {
        let ready_at = changed_at.saturating_add(cooldown_ms);
        if now_ms < ready_at {
            let message = format!(
                "scale-down to {} waits {}s more: the floor changed less than the cooldown of {}s ago",
                target.replicas,
                (ready_at - now_ms + 999) / 1000,
                cooldown_ms / 1000
            );
            return decide(current, Some(Block::new(BlockReason::Cooldown, message)));
        }
    }
    let step = guardrails.max_step_down.max(1);
    if current - target.replicas > step {
        decide(current - step, Some(step_block("down", current, target.replicas, step)))
    } else {
        decide(target.replicas, None)
    }
}

/// A usable forecast's recommendation.
struct Target {
    replicas: i32,
    load: f64,
}

fn forecast_target(
    policy: &ReplicaPolicy,
    guardrails: &Guardrails,
    forecast: Option<&ForecastView>,
    hpa_min_replicas: i32,
    now_ms: i64,
) -> Result<Target, Block> {
    if !(policy.capacity_per_replica.is_finite() && policy.capacity_per_replica > 0.0) {
        return Err(Block::new(BlockReason::InvalidPolicy, "replicas.capacityPerReplica must be a positive number"));
    }
    let lead_ms = i64::try_from(policy.lead_time.as_std().as_millis()).unwrap_or(i64::MAX);
    let ready_at = now_ms.saturating_add(lead_ms);
    let forecast = check_forecast(forecast, guardrails.max_forecast_error, ready_at, now_ms)?;
    let window_end = ready_at.saturating_add(forecast.step_ms);
    let Some(load) = forecast.window_max(policy.quantile, now_ms, window_end) else {
        return Err(Block::new(
            BlockReason::InvalidForecast,
            "the forecast has no point between now and the time new capacity must be ready",
        ));
    };
    let load = load.max(0.0);
    // The small tolerance keeps float noise (2.0000000001 pods) from adding a pod.
    let needed = (load / policy.capacity_per_replica - 1e-9).ceil();
    let needed = if needed >= f64::from(i32::MAX) { i32::MAX } else { needed.max(0.0) as i32 };
    let replicas = needed.max(policy.min_replicas).min(policy.max_replicas.max(policy.min_replicas));
    Ok(Target { replicas: replicas.max(hpa_min_replicas), load })
}

/// The floor when the forecast cannot be used: the HPA's own, at once, unless an anomaly freezes scale-down.
fn release(current: i32, hpa_min_replicas: i32, gate: Block, freeze_scale_down: bool) -> ReplicaDecision {
    let (floor, block) = if freeze_scale_down && hpa_min_replicas < current {
        let message = format!("{}; {}", gate.message, freeze_block(current).message);
        (current, Block::new(BlockReason::AnomalyActive, message))
    } else {
        let message = format!("{}: floor released to the HPA's own minReplicas {hpa_min_replicas}", gate.message);
        (hpa_min_replicas, Block::new(gate.reason, message))
    };
    ReplicaDecision { floor, recommended: None, forecast_load: None, block: Some(block) }
}

fn freeze_block(current: i32) -> Block {
    Block::new(
        BlockReason::AnomalyActive,
        format!("an anomaly is active on a referenced AnomalyDetector: scale-down frozen, floor held at {current}"),
    )
}

fn step_block(direction: &str, current: i32, target: i32, step: i32) -> Block {
    Block::new(
        BlockReason::StepLimit,
        format!("scale-{direction} from {current} to {target} limited to {step} replicas per change"),
    )
}
