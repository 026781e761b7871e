//! The operator's metrics (`augur_operator_*`), registered once and encoded for `/metrics`. Labels are bounded: kinds,
//! outcomes and actions are fixed sets; per-policy series (namespace, name) are removed when the policy goes.

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
    /// 1 while this replica leads (runs the controllers), else 0.
    pub leader: Gauge,
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
        let leader = Gauge::default();
        registry.register("leader", "1 while this replica leads and runs the controllers, else 0", leader.clone());
        Self { registry, reconciles, duration, autoscaler_floor, autoscaler_actuations, leader }
    }
}

impl Metrics {
    /// Records one reconcile.
    pub fn record(&self, kind: &str, outcome: &str, seconds: f64) {
        let labels = ReconcileLabels { kind: kind.to_owned(), outcome: outcome.to_owned() };
        self.reconciles.get_or_create(&labels).inc();
        self.duration.get_or_create(&labels).observe(seconds);
    }

    /// Records the floor of policy `namespace/name`; `None` removes its series (policy off or deleted).
    pub fn set_floor(&self, namespace: &str, name: &str, floor: Option<i32>) {
        let labels = PolicyLabels { namespace: namespace.to_owned(), name: name.to_owned() };
        match floor {
            Some(floor) => {
                self.autoscaler_floor.get_or_create(&labels).set(i64::from(floor));
            }
            None => {
                self.autoscaler_floor.remove(&labels);
            }
        }
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
}
