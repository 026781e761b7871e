//! The operator's metrics (`augur_operator_*`), registered once and encoded for `/metrics`. Labels are bounded: kinds,
//! outcomes, actions and block reasons are fixed sets; per-policy series (namespace, name) are removed when the policy
//! goes, and a policy has at most one blocked series (its current reason).

use std::{collections::HashMap, sync::Mutex};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// Labels of a reconcile: the kind and how it ended (applied, invalid_spec, or the error category).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReconcileLabels {
    /// The resource kind.
    pub kind: String,
    /// `applied`, `invalid_spec` or an error category.
    pub outcome: String,
}

/// Labels of one AutoScalePolicy.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PolicyLabels {
    /// The policy's namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
}

/// Labels of a policy held back: which policy, and the reason (a fixed set: the engine's block reasons,
/// `TargetNotFound`, `ResizeRefused`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BlockedLabels {
    /// The policy's namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Why it is held back.
    pub reason: String,
}

/// Labels of an autoscaler actuation: what it did (`FloorRaised`, `FloorLowered`, `Released`, `RequestsUpdated`,
/// `PodsResized`, `Restored`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActuationLabels {
    /// The action, a fixed set of Event reasons.
    pub action: String,
}

/// Reconcile counts and durations, and the autoscaler's floors and actuations.
pub struct Metrics {
    registry: Registry,
    /// Reconciles by kind and outcome.
    pub reconciles: Family<ReconcileLabels, Counter>,
    /// Reconcile duration in seconds, by kind.
    pub duration: Family<ReconcileLabels, Histogram, fn() -> Histogram>,
    /// The replica floor each AutoScalePolicy sets (or recommends), by policy.
    pub autoscaler_floor: Family<PolicyLabels, Gauge>,
    /// Changes the autoscaler made to HPAs, workloads and pods, by action.
    pub autoscaler_actuations: Family<ActuationLabels, Counter>,
    /// 1 with the reason each AutoScalePolicy is held back for, while it is.
    pub autoscaler_blocked: Family<BlockedLabels, Gauge>,
    /// The replicas running for each AutoScalePolicy's target, as its HPA (or scale subresource) reports them.
    pub autoscaler_target_replicas: Family<PolicyLabels, Gauge>,
    /// 1 while this replica holds the leader Lease (and so reconciles), 0 while it stands by.
    pub leader: Gauge,
    /// The reason each policy's blocked series carries now, so a new reason replaces it.
    blocked_reasons: Mutex<HashMap<PolicyLabels, String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("augur_operator");
        let reconciles = Family::<ReconcileLabels, Counter>::default();
        let duration: Family<ReconcileLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]));
        registry.register("reconcile", "Reconciliations by kind and outcome", reconciles.clone());
        registry.register("reconcile_duration_seconds", "Time to reconcile one resource", duration.clone());
        let autoscaler_floor = Family::<PolicyLabels, Gauge>::default();
        let autoscaler_actuations = Family::<ActuationLabels, Counter>::default();
        registry.register(
            "autoscaler_floor_replicas",
            "Replica floor of each AutoScalePolicy (applied in Enforce mode, recommended otherwise)",
            autoscaler_floor.clone(),
        );
        registry.register(
            "autoscaler_actuations",
            "Changes made by AutoScalePolicies to HPAs, workloads and pods, by action",
            autoscaler_actuations.clone(),
        );
        let autoscaler_blocked = Family::<BlockedLabels, Gauge>::default();
        registry.register(
            "autoscaler_blocked",
            "1 while an AutoScalePolicy is held back, labelled with the reason (its status.blocked)",
            autoscaler_blocked.clone(),
        );
        let autoscaler_target_replicas = Family::<PolicyLabels, Gauge>::default();
        registry.register(
            "autoscaler_target_replicas",
            "Replicas running for each AutoScalePolicy's target, as its HPA (or the scale subresource) reports them",
            autoscaler_target_replicas.clone(),
        );
        let leader = Gauge::default();
        registry.register("leader", "1 while this replica leads and reconciles, 0 while it stands by", leader.clone());
        Self {
            registry,
            reconciles,
            duration,
            autoscaler_floor,
            autoscaler_actuations,
            autoscaler_blocked,
            autoscaler_target_replicas,
            leader,
            blocked_reasons: Mutex::default(),
        }
    }
}

impl Metrics {
    /// Records one reconcile.
    pub fn record(&self, kind: &str, outcome: &str, seconds: f64) {
        let labels = ReconcileLabels { kind: kind.to_owned(), outcome: outcome.to_owned() };
        self.reconciles.get_or_create(&labels).inc();
        self.duration.get_or_create(&labels).observe(seconds);
    }

    /// Records the floor of policy `namespace/name`; `None` removes its series, and its blocked and target series
    /// too (policy off or deleted).
    pub fn set_floor(&self, namespace: &str, name: &str, floor: Option<i32>) {
        let labels = PolicyLabels { namespace: namespace.to_owned(), name: name.to_owned() };
        match floor {
            Some(floor) => {
                self.autoscaler_floor.get_or_create(&labels).set(i64::from(floor));
            }
            None => {
                self.autoscaler_floor.remove(&labels);
                self.set_target_replicas(namespace, name, None);
                self.set_blocked(namespace, name, None);
            }
        }
    }

    /// Records why policy `namespace/name` is held back now (`None`: it is not), replacing the previous reason.
    pub fn set_blocked(&self, namespace: &str, name: &str, reason: Option<&str>) {
        let policy = PolicyLabels { namespace: namespace.to_owned(), name: name.to_owned() };
        let labels = |reason: &str| BlockedLabels {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        let mut current = self.blocked_reasons.lock().unwrap_or_else(|e| e.into_inner());
        let previous = match reason {
            Some(reason) => current.insert(policy, reason.to_owned()),
            None => current.remove(&policy),
        };
        if let Some(previous) = previous.filter(|previous| Some(previous.as_str()) != reason) {
            self.autoscaler_blocked.remove(&labels(&previous));
        }
        if let Some(reason) = reason {
            self.autoscaler_blocked.get_or_create(&labels(reason)).set(1);
        }
    }

    /// Records the replicas running for policy `namespace/name`'s target; `None` removes its series.
    pub fn set_target_replicas(&self, namespace: &str, name: &str, replicas: Option<i32>) {
        let labels = PolicyLabels { namespace: namespace.to_owned(), name: name.to_owned() };
        match replicas {
            Some(replicas) => {
                self.autoscaler_target_replicas.get_or_create(&labels).set(i64::from(replicas));
            }
            None => {
                self.autoscaler_target_replicas.remove(&labels);
            }
        }
    }

    /// Records whether this replica leads.
    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// Counts one actuation.
    pub fn actuated(&self, action: &str) {
        self.autoscaler_actuations.get_or_create(&ActuationLabels { action: action.to_owned() }).inc();
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        augur_probes::render(&self.registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_counts_and_durations_by_kind_and_outcome() {
        let metrics = Metrics::default();
        metrics.record("AnomalyDetector", "applied", 0.02);
        metrics.record("AnomalyDetector", "applied", 0.03);
        metrics.record("Forecaster", "ApplyFailed", 0.5);
        let text = metrics.encode();
        assert!(
            text.contains(r#"augur_operator_reconcile_total{kind="AnomalyDetector",outcome="applied"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"augur_operator_reconcile_total{kind="Forecaster",outcome="ApplyFailed"} 1"#),
            "{text}"
        );
        assert!(text.contains("augur_operator_reconcile_duration_seconds_bucket"), "{text}");
    }

    #[test]
    fn records_floors_per_policy_and_actuations_by_action() {
        let metrics = Metrics::default();
        metrics.set_floor("shop", "checkout", Some(7));
        metrics.set_floor("shop", "cart", Some(3));
        metrics.set_floor("shop", "cart", None);
        metrics.actuated("FloorRaised");
        metrics.actuated("FloorRaised");
        let text = metrics.encode();
        assert!(
            text.contains(r#"augur_operator_autoscaler_floor_replicas{namespace="shop",name="checkout"} 7"#),
            "{text}"
        );
        assert!(!text.contains(r#"name="cart""#), "removed with its policy: {text}");
        assert!(text.contains(r#"augur_operator_autoscaler_actuations_total{action="FloorRaised"} 2"#), "{text}");
    }

    #[test]
    fn a_policy_has_one_blocked_series_for_its_current_reason_and_none_once_it_goes() {
        let metrics = Metrics::default();
        metrics.set_floor("shop", "checkout", Some(3));
        metrics.set_target_replicas("shop", "checkout", Some(5));
        metrics.set_blocked("shop", "checkout", Some("ModelNotReady"));
        metrics.set_blocked("shop", "checkout", Some("LowForecastAccuracy"));
        metrics.set_blocked("shop", "cart", Some("Cooldown"));
        let text = metrics.encode();
        let blocked = |reason: &str| {
            format!(r#"augur_operator_autoscaler_blocked{{namespace="shop",name="checkout",reason="{reason}"}} 1"#)
        };
        assert!(text.contains(&blocked("LowForecastAccuracy")), "{text}");
        assert!(!text.contains(&blocked("ModelNotReady")), "the old reason is replaced: {text}");
        assert!(
            text.contains(r#"augur_operator_autoscaler_target_replicas{namespace="shop",name="checkout"} 5"#),
            "{text}"
        );
        metrics.set_blocked("shop", "checkout", None);
        assert!(!metrics.encode().contains(&blocked("LowForecastAccuracy")), "no longer held back");
        metrics.set_blocked("shop", "checkout", Some("Cooldown"));
        metrics.set_floor("shop", "checkout", None);
        let text = metrics.encode();
        assert!(!text.contains(r#"name="checkout""#), "every series of a policy that goes is removed: {text}");
        assert!(text.contains(r#"name="cart",reason="Cooldown""#), "other policies keep theirs: {text}");
    }

    #[test]
    fn the_leader_gauge_follows_leadership() {
        let metrics = Metrics::default();
        assert!(metrics.encode().contains("augur_operator_leader 0"), "standing by until elected");
        metrics.set_leader(true);
        assert!(metrics.encode().contains("augur_operator_leader 1"));
    }
}
