//! The replica floor: the HPA `minReplicas` that keeps capacity ahead of the forecast load.
//!
//! # The rule
//! 1. Gates ([`check_forecast`]): with no usable forecast (missing, stale, too short, malformed, skill unknown or
//!    below `guardrails.minForecastSkill`, MASE above `guardrails.maxForecastError` when set) the floor is
//!    *released* to the HPA's own `minReplicas` at once, and scaling is the HPA's reactive scaling alone. Releasing
//!    never removes pods by itself: the HPA's own scale-down stabilisation still applies to them.
//! 2. Load: the `replicas.quantile` quantile of the *largest* load over `[now, now + leadTime + one forecast step)`
//!    ([`ForecastView::window_peak`]). Pods asked for now are ready after `leadTime` (at least the pod start-up),
//!    and the next forecast comes one step later, so this window is what the floor set now must cover.
//! 3. Recommendation: `ceil(load / capacityPerReplica)`, clamped to `[minReplicas, maxReplicas]` of the policy, and
//!    never below the HPA's own `minReplicas` (the policy raises the user's floor, it never lowers it).
//! 4. Partial history: while the series has less history than its full model needs (the forecast carries a
//!    [`History`](crate::History)), the floor rises above the HPA's own only by that share of what the forecast
//!    asks: a forecast without its seasonal models yet helps a little and cannot hurt much.
//! 5. Guardrails, from the floor last applied:
//!    - scale-up is applied at once, at most `maxStepUp` per change. Like the HPA, which does not stabilise
//!      scale-up, the floor is not held by cooldown when rising: a late floor is an under-provisioned one.
//!    - scale-down waits until `cooldown` has passed since the last change (of either direction), then falls at most
//!      `maxStepDown` per change. So a rise followed by a fall is always at least `cooldown` apart, which is what
//!      stops flapping.
//!    - scale-down never goes below what the forecast needs over `[now, now + cooldown + leadTime + one step)`:
//!      pods removed now could not be back in time if the load returns within that window (`LoadReturning`).
//!    - while a referenced AnomalyDetector reports an anomaly (`freeze_scale_down`), the floor does not fall, not
//!      even when released.

use augur_crds::{
    common::Duration,
    kinds::autoscale_policy::{Guardrails, ReplicaPolicy},
};

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
    /// The skill of the forecast read (against repeating the last value), whether or not it was used.
    pub forecast_skill: Option<f64>,
    /// While the series has partial history: the share of the forecast's rise the floor follows.
    pub partial_trust: Option<f64>,
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
    let forecast_skill = forecast.and_then(|f| f.skill).filter(|s| s.is_finite());
    let target = match forecast_target(policy, guardrails, forecast, hpa_min_replicas, now_ms) {
        Ok(target) => target,
        Err(block) => {
            return ReplicaDecision { forecast_skill, ..release(current, hpa_min_replicas, block, freeze_scale_down) };
        }
    };
    let recommended = Some(target.replicas);
    let forecast_load = Some(target.load);
    let partial = target.partial.clone();
    let partial_trust = target.trust;
    // A guardrail's reason comes first; the partial-history note is kept in its message.
    let decide = |floor, block: Option<Block>| {
        let block = match (block, partial.clone()) {
            (Some(block), Some(note)) => Some(Block::new(block.reason, format!("{}; {}", block.message, note.message))),
            (block, note) => block.or(note),
        };
        ReplicaDecision { floor, recommended, forecast_load, forecast_skill, partial_trust, block }
    };
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
    let cooldown_ms = duration_ms(&guardrails.cooldown);
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
    let lowest = target.returning.max(target.replicas).min(current);
    if lowest >= current {
        let message = format!(
            "scale-down to {} held at {current}: the forecast needs {} replicas again within the cooldown and lead \
             time, and pods removed now would not be ready in time",
            target.replicas, target.returning
        );
        return decide(current, Some(Block::new(BlockReason::LoadReturning, message)));
    }
    let step = guardrails.max_step_down.max(1);
    if current - lowest > step {
        decide(current - step, Some(step_block("down", current, lowest, step)))
    } else {
        decide(lowest, None)
    }
}

/// A usable forecast's recommendation.
struct Target {
    /// What the floor should be now.
    replicas: i32,
    /// The load it provisions for.
    load: f64,
    /// The least the floor may fall to: what the load needs until pods removed now could be back.
    returning: i32,
    /// Why the floor follows the forecast only in part.
    partial: Option<Block>,
    /// The share it follows, when partial.
    trust: Option<f64>,
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
    let ready_at = now_ms.saturating_add(duration_ms(&policy.lead_time));
    let forecast = check_forecast(forecast, guardrails, ready_at, now_ms)?;
    let window_end = ready_at.saturating_add(forecast.step_ms);
    let Some(load) = forecast.window_peak(policy.quantile, now_ms, window_end) else {
        return Err(Block::new(
            BlockReason::InvalidForecast,
            "the forecast has no point between now and the time new capacity must be ready",
        ));
    };
    let load = load.max(0.0);
    let return_end = window_end.saturating_add(duration_ms(&guardrails.cooldown));
    let returning_load = forecast.window_peak(policy.quantile, now_ms, return_end).unwrap_or(load).max(load);
    let bounded = |replicas: i32| {
        replicas.max(policy.min_replicas).min(policy.max_replicas.max(policy.min_replicas)).max(hpa_min_replicas)
    };
    let mut replicas = bounded(replicas_for(load, policy.capacity_per_replica));
    let mut returning = bounded(replicas_for(returning_load, policy.capacity_per_replica));
    let (mut partial, mut trust) = (None, None);
    if let Some(history) = forecast.history.filter(|h| !h.complete()) {
        let share = history.fraction();
        trust = Some(share);
        let trusted = |replicas: i32| {
            let extra = f64::from(replicas.saturating_sub(hpa_min_replicas).max(0));
            hpa_min_replicas.saturating_add(ceil_replicas(share * extra))
        };
        (replicas, returning) = (trusted(replicas), trusted(returning));
        let left_ms =
            i64::try_from(history.needed - history.points).unwrap_or(i64::MAX).saturating_mul(forecast.step_ms);
        partial = Some(Block::new(
            BlockReason::PartialHistory,
            format!(
                "the series has {:.0}% of the history its full model needs (about {} more): the floor follows that \
                 share of the forecast's rise above the HPA's own minReplicas",
                share * 100.0,
                Duration::from_millis(u64::try_from(left_ms).unwrap_or(0))
            ),
        ));
    }
    Ok(Target { replicas, load, returning, partial, trust })
}

/// Replicas that serve `load` at `capacity` each.
fn replicas_for(load: f64, capacity: f64) -> i32 {
    ceil_replicas(load / capacity)
}

/// `ceil(x)` as a replica count; the small tolerance keeps float noise (2.0000000001 pods) from adding a pod.
fn ceil_replicas(x: f64) -> i32 {
    let needed = (x - 1e-9).ceil();
    if needed >= f64::from(i32::MAX) { i32::MAX } else { needed.max(0.0) as i32 }
}

fn duration_ms(duration: &Duration) -> i64 {
    i64::try_from(duration.as_std().as_millis()).unwrap_or(i64::MAX)
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
    ReplicaDecision {
        floor,
        recommended: None,
        forecast_load: None,
        forecast_skill: None,
        partial_trust: None,
        block: Some(block),
    }
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
