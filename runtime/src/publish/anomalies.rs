//! Anomalies published into the AnomalyDetector's status: how many series are anomalous at their latest point
//! (`activeAnomalies`: AutoScalePolicies that reference the detector hold scale-down while it is above zero) and
//! the most recent anomalies, newest first. Server-side applied to the status subresource as [`FIELD_MANAGER`], so
//! the operator's fields are left alone.

use std::collections::{HashSet, VecDeque};

use augur_crds::kinds::anomaly_detector::{AnomalyDetector, AnomalyDetectorStatus, AnomalySummary};
use kube::{
    Api, Client,
    api::{Patch, PatchParams},
};
use serde_json::json;

use super::{FIELD_MANAGER, body::time};
use crate::{models::anomaly::ScoredPoint, record::SeriesId};

/// Most anomalies listed in the status (the CRD's bound).
const RECENT: usize = 10;

/// The anomaly state of a detector's series, from its results.
#[derive(Debug, Default)]
pub struct AnomalyTracker {
    active: HashSet<SeriesId>,
    recent: VecDeque<AnomalySummary>,
    series_seen: HashSet<SeriesId>,
    max_series: usize,
}

impl AnomalyTracker {
    /// A tracker counting at most `max_series` distinct series.
    pub fn new(max_series: usize) -> Self {
        Self { max_series, ..Self::default() }
    }

    /// Takes one result into account.
    pub fn observe(&mut self, point: &ScoredPoint) {
        if self.series_seen.len() < self.max_series && !self.series_seen.contains(&point.series) {
            self.series_seen.insert(point.series.clone());
        }
        if !point.anomaly {
            self.active.remove(&point.series);
            return;
        }
        self.active.insert(point.series.clone());
        self.recent.push_front(AnomalySummary {
            series: point.series.to_string(),
            time: time(point.timestamp),
            value: point.value,
            expected: point.assessment.expected,
            score: point.assessment.score,
            reason: point.assessment.reason.to_string(),
        });
        self.recent.truncate(RECENT);
    }

    /// The status fields the runtime owns.
    pub fn status(&self) -> AnomalyDetectorStatus {
        let mut status = AnomalyDetectorStatus {
            active_anomalies: Some(i32::try_from(self.active.len()).unwrap_or(i32::MAX)),
            recent_anomalies: self.recent.iter().cloned().collect(),
            ..AnomalyDetectorStatus::default()
        };
        status.runtime.series_tracked = Some(self.series_seen.len() as i64);
        status
    }
}

/// Applies `status` to AnomalyDetector `namespace/name`'s status subresource.
pub async fn apply_anomaly_status(
    client: &Client,
    namespace: &str,
    name: &str,
    status: &AnomalyDetectorStatus,
) -> Result<(), kube::Error> {
    let body = json!({
        "apiVersion": format!("{}/{}", augur_crds::GROUP, augur_crds::VERSION),
        "kind": "AnomalyDetector",
        "metadata": {"name": name, "namespace": namespace},
        "status": status,
    });
    let api: Api<AnomalyDetector> = Api::namespaced(client.clone(), namespace);
    api.patch_status(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&body)).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::anomaly::{Assessment, Deviation, Reason};

    fn point(series: &str, timestamp: i64, anomaly: bool) -> ScoredPoint {
        let assessment = Assessment {
            score: if anomaly { 0.9 } else { 0.1 },
            expected: 10.0,
            lower: 8.0,
            upper: 12.0,
            deviation: if anomaly { Deviation::Up } else { Deviation::None },
            reason: if anomaly { Reason::Spike } else { Reason::Normal },
            incident: None,
        };
        ScoredPoint { series: series.into(), timestamp, value: 50.0, assessment, anomaly }
    }

    #[test]
    fn active_anomalies_follow_each_series_latest_point() {
        let mut tracker = AnomalyTracker::new(100);
        tracker.observe(&point("a", 1_000, true));
        tracker.observe(&point("b", 1_000, true));
        tracker.observe(&point("c", 1_000, false));
        assert_eq!(tracker.status().active_anomalies, Some(2));
        tracker.observe(&point("a", 2_000, false));
        let status = tracker.status();
        assert_eq!(status.active_anomalies, Some(1), "a recovered");
        assert_eq!(status.runtime.series_tracked, Some(3));
        assert_eq!(status.recent_anomalies[0].series, "b", "newest first");
        for t in 0..20 {
            tracker.observe(&point("d", 3_000 + t, true));
        }
        assert_eq!(tracker.status().recent_anomalies.len(), RECENT);
    }
}
