//! An AnomalyDetector pod's entries, from the results it produces: how many series are anomalous at their latest
//! point (AutoScalePolicies that reference the detector hold scale-down while the total is above zero), the latest
//! anomaly of the series that had one most recently, and how far the series are through their warm-up.

use std::collections::{HashMap, HashSet};

use augur_crds::kinds::anomaly_detector::AnomalySummary;

use super::{
    forecasts::{human, time},
    report::{KindEntries, ModelProgress},
};
use crate::{models::anomaly::ScoredPoint, record::SeriesId, time::Millis};

/// Most anomalies one pod lists (the schema accepts 256 over all pods).
const RECENT: usize = 10;

/// Warm-up progress of one series.
#[derive(Clone, Copy, Debug)]
struct WarmUp {
    points: u32,
    first: Millis,
    last: Millis,
}

/// The anomaly state of a pod's series, from its results.
#[derive(Debug)]
pub struct AnomalyTracker {
    active: HashSet<SeriesId>,
    /// Latest anomaly per series, at most [`RECENT`], newest first.
    recent: Vec<AnomalySummary>,
    warm_up: HashMap<SeriesId, WarmUp>,
    warm_up_points: u32,
    max_series: usize,
}

impl AnomalyTracker {
    /// A tracker of at most `max_series` series whose models need `warm_up_points` points.
    pub fn new(max_series: usize, warm_up_points: u32) -> Self {
        Self {
            active: HashSet::new(),
            recent: Vec::new(),
            warm_up: HashMap::new(),
            warm_up_points,
            max_series: max_series.max(1),
        }
    }

    /// Takes one result into account.
    pub fn observe(&mut self, point: &ScoredPoint) {
        if let Some(progress) = self.warm_up.get_mut(&point.series) {
            progress.points = progress.points.saturating_add(1).min(self.warm_up_points);
            progress.last = point.timestamp;
        } else if self.warm_up.len() < self.max_series {
            let progress = WarmUp { points: 1, first: point.timestamp, last: point.timestamp };
            self.warm_up.insert(point.series.clone(), progress);
        }
        if !point.anomaly {
            if self.active.remove(&point.series)
                && let Some(entry) = self.recent.iter_mut().find(|a| *a.series == *point.series)
            {
                entry.active = false;
            }
            return;
        }
        if self.active.len() < self.max_series || self.active.contains(&point.series) {
            self.active.insert(point.series.clone());
        }
        self.recent.retain(|a| *a.series != *point.series);
        self.recent.insert(
            0,
            AnomalySummary {
                series: point.series.to_string(),
                pod: None,
                active: true,
                time: time(point.timestamp),
                value: point.value,
                expected: point.assessment.expected,
                score: point.assessment.score,
                reason: point.assessment.reason.to_string(),
            },
        );
        self.recent.truncate(RECENT);
    }

    /// Series seen.
    pub fn series(&self) -> usize {
        self.warm_up.len()
    }

    /// This pod's entries and its models' progress.
    pub fn report(&self) -> (KindEntries, ModelProgress) {
        let entries = KindEntries::Anomalies {
            active: i32::try_from(self.active.len()).unwrap_or(i32::MAX),
            recent: self.recent.clone(),
        };
        (entries, self.progress())
    }

    fn progress(&self) -> ModelProgress {
        let needed = self.warm_up_points.max(1);
        let mut warming: Vec<(&SeriesId, &WarmUp)> = self.warm_up.iter().filter(|(_, w)| w.points < needed).collect();
        let total = self.warm_up.len();
        if total == 0 {
            return ModelProgress { ready: false, message: "no series seen yet".into() };
        }
        let mut message = format!("{} of {total} series past their warm-up of {needed} points", total - warming.len());
        warming.sort_by(|a, b| b.1.points.cmp(&a.1.points).then(a.0.cmp(b.0)));
        let listed: Vec<String> = warming
            .iter()
            .take(3)
            .map(|(series, w)| {
                let step = (w.last - w.first) / i64::from(w.points.saturating_sub(1).max(1));
                let left = i64::from(needed - w.points).saturating_mul(step);
                format!("{series}: {} of {needed} points, about {} left", w.points, human(left))
            })
            .collect();
        if !listed.is_empty() {
            message.push_str("; warming up: ");
            message.push_str(&listed.join(", "));
            if warming.len() > 3 {
                message.push_str(&format!(" and {} more", warming.len() - 3));
            }
        }
        ModelProgress { ready: warming.is_empty(), message }
    }
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
        };
        ScoredPoint { series: series.into(), timestamp, value: 50.0, assessment, anomaly }
    }

    fn entries(tracker: &AnomalyTracker) -> (i32, Vec<AnomalySummary>) {
        match tracker.report().0 {
            KindEntries::Anomalies { active, recent } => (active, recent),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn active_anomalies_follow_each_series_latest_point() {
        let mut tracker = AnomalyTracker::new(100, 2);
        tracker.observe(&point("a", 1_000, true));
        tracker.observe(&point("b", 1_000, true));
        tracker.observe(&point("c", 1_000, false));
        assert_eq!(entries(&tracker).0, 2);
        tracker.observe(&point("a", 2_000, false));
        let (active, recent) = entries(&tracker);
        assert_eq!(active, 1, "a recovered");
        assert_eq!(tracker.series(), 3);
        assert_eq!(recent[0].series, "b", "newest first");
        assert!(!recent[1].active && recent[1].series == "a", "a's anomaly is listed as over: {recent:?}");
        for t in 0..20 {
            tracker.observe(&point("d", 3_000 + t, true));
        }
        let (_, recent) = entries(&tracker);
        assert_eq!(recent.iter().filter(|a| a.series == "d").count(), 1, "one entry per series");
        for s in 0..30 {
            tracker.observe(&point(&format!("s{s}"), 4_000, true));
        }
        assert_eq!(entries(&tracker).1.len(), RECENT, "bounded");
    }

    #[test]
    fn model_progress_counts_series_through_warm_up_with_an_eta() {
        let mut tracker = AnomalyTracker::new(100, 10);
        assert!(!tracker.report().1.ready, "nothing seen is not ready");
        for i in 0..10 {
            tracker.observe(&point("fast", i * 60_000, false));
        }
        for i in 0..4 {
            tracker.observe(&point("slow", i * 60_000, false));
        }
        let progress = tracker.report().1;
        assert!(!progress.ready);
        assert!(progress.message.starts_with("1 of 2 series past"), "{}", progress.message);
        assert!(progress.message.contains("slow: 4 of 10 points, about 6m left"), "{}", progress.message);
        for i in 4..10 {
            tracker.observe(&point("slow", i * 60_000, false));
        }
        assert!(tracker.report().1.ready);
    }
}
