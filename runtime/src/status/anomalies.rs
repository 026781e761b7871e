//! An AnomalyDetector pod's entries, from the results it produces: how many series are in an open incident
//! (AutoScalePolicies that reference the detector hold scale-down while the total is above zero), the latest
//! incident of the series that had one most recently (start, peak, end once closed), and how far the series are
//! through their warm-up.

use std::collections::{HashMap, HashSet};

use augur_crds::kinds::anomaly_detector::AnomalySummary;

use super::{
    forecasts::{human, time},
    report::{KindEntries, ModelProgress},
};
use crate::{
    models::anomaly::{Incident, IncidentStatus, ScoredPoint},
    record::SeriesId,
    time::Millis,
};

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
        match point.assessment.incident {
            Some(incident) if incident.status != IncidentStatus::Closed => {
                if self.active.len() < self.max_series || self.active.contains(&point.series) {
                    self.active.insert(point.series.clone());
                }
                let current = self.recent.iter().position(|a| *a.series == *point.series && a.active);
                let entry = match current {
                    Some(index) if incident.status == IncidentStatus::Ongoing => self.recent.remove(index),
                    _ => {
                        self.recent.retain(|a| *a.series != *point.series);
                        self.summary(point, &incident)
                    }
                };
                let entry = if incident.peak.score > entry.score { self.summary(point, &incident) } else { entry };
                self.recent.insert(0, entry);
                self.recent.truncate(RECENT);
            }
            Some(incident) => {
                self.active.remove(&point.series);
                if let Some(entry) = self.recent.iter_mut().find(|a| *a.series == *point.series && a.active) {
                    entry.active = false;
                    entry.end = incident.end.map(time);
                }
            }
            None => {
                if self.active.remove(&point.series)
                    && let Some(entry) = self.recent.iter_mut().find(|a| *a.series == *point.series)
                {
                    entry.active = false;
                }
            }
        }
    }

    /// The summary of `incident` as seen at `point`, which is its peak: peak, start and (when closed) end.
    fn summary(&self, point: &ScoredPoint, incident: &Incident) -> AnomalySummary {
        AnomalySummary {
            series: point.series.to_string(),
            pod: None,
            active: incident.status != IncidentStatus::Closed,
            start: Some(time(incident.start)),
            end: incident.end.map(time),
            time: time(incident.peak.timestamp),
            value: incident.peak.value,
            expected: point.assessment.expected,
            score: incident.peak.score,
            reason: point.assessment.reason.to_string(),
        }
    }

    /// Series whose latest point is in an open incident.
    pub fn active(&self) -> usize {
        self.active.len()
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
    use crate::models::anomaly::{Assessment, Deviation, Peak, Reason};

    /// A point of `series` at `timestamp`: in an incident with `status` (started at 1000, peaking here or at
    /// `peak`), or outside any incident.
    fn point(series: &str, timestamp: i64, status: Option<IncidentStatus>, score: f64) -> ScoredPoint {
        let incident = status.map(|status| Incident {
            status,
            start: 1_000,
            end: (status == IncidentStatus::Closed).then_some(timestamp - 60_000),
            peak: Peak { timestamp, value: 50.0, score },
        });
        let assessment = Assessment {
            score,
            expected: 10.0,
            lower: 8.0,
            upper: 12.0,
            deviation: if status.is_some() { Deviation::Up } else { Deviation::None },
            reason: if status.is_some() { Reason::Spike } else { Reason::Normal },
            incident,
        };
        ScoredPoint {
            series: series.into(),
            timestamp,
            value: 50.0,
            assessment,
            anomaly: status == Some(IncidentStatus::Opened),
        }
    }

    fn entries(tracker: &AnomalyTracker) -> (i32, Vec<AnomalySummary>) {
        match tracker.report().0 {
            KindEntries::Anomalies { active, recent } => (active, recent),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_series_is_active_while_its_incident_is_open() {
        let mut tracker = AnomalyTracker::new(100, 2);
        tracker.observe(&point("a", 1_000, Some(IncidentStatus::Opened), 0.9));
        tracker.observe(&point("b", 1_000, Some(IncidentStatus::Opened), 0.8));
        tracker.observe(&point("c", 1_000, None, 0.1));
        assert_eq!(entries(&tracker).0, 2);
        // a's incident goes on below the report threshold's first point, then peaks higher, then closes.
        tracker.observe(&point("a", 2_000, Some(IncidentStatus::Ongoing), 0.7));
        assert_eq!(entries(&tracker).0, 2, "still open");
        tracker.observe(&point("a", 3_000, Some(IncidentStatus::Ongoing), 0.99));
        let (_, recent) = entries(&tracker);
        assert_eq!((recent[0].series.as_str(), recent[0].score), ("a", 0.99), "the peak is kept: {recent:?}");
        assert_eq!(recent[0].time, time(3_000));
        assert_eq!(recent[0].start, Some(time(1_000)));
        tracker.observe(&point("a", 200_000, Some(IncidentStatus::Closed), 0.99));
        let (active, recent) = entries(&tracker);
        assert_eq!(active, 1, "a's incident closed");
        let a = recent.iter().find(|e| e.series == "a").unwrap_or_else(|| panic!("{recent:?}"));
        assert!(!a.active && a.end == Some(time(140_000)), "{a:?}");
        assert_eq!(tracker.series(), 3);
        for s in 0..30 {
            tracker.observe(&point(&format!("s{s}"), 4_000, Some(IncidentStatus::Opened), 0.9));
        }
        let (_, recent) = entries(&tracker);
        assert_eq!(recent.len(), RECENT, "bounded");
        assert_eq!(recent.iter().filter(|e| e.series == "s29").count(), 1, "one entry per series");
    }

    #[test]
    fn model_progress_counts_series_through_warm_up_with_an_eta() {
        let mut tracker = AnomalyTracker::new(100, 10);
        assert!(!tracker.report().1.ready, "nothing seen is not ready");
        for i in 0..10 {
            tracker.observe(&point("fast", i * 60_000, None, 0.1));
        }
        for i in 0..4 {
            tracker.observe(&point("slow", i * 60_000, None, 0.1));
        }
        let progress = tracker.report().1;
        assert!(!progress.ready);
        assert!(progress.message.starts_with("1 of 2 series past"), "{}", progress.message);
        assert!(progress.message.contains("slow: 4 of 10 points, about 6m left"), "{}", progress.message);
        for i in 4..10 {
            tracker.observe(&point("slow", i * 60_000, None, 0.1));
        }
        assert!(tracker.report().1.ready);
    }
}
