//! Incidents: what a person is told about. A detector scores every point; an incident groups the anomalous points
//! of one series into one report, with its start, its peak and its end.
//!
//! An incident opens at a reported point (its score at or above the threshold, in a reported direction, and not
//! suppressed by the detector as a repeat of an earlier report). It stays open while points keep scoring at or above
//! the threshold, whatever their direction, and tracks its peak; it closes once [`QUIET_POINTS`] points in a row
//! score below it, and its end is the last anomalous point. Opening is the one report (`anomaly: true`); points
//! inside an open incident are not reported again, however large. After it closes, the detector's own suppression
//! lets a new incident open only when it is clearly larger than the last report, until that reference has decayed.
//!
//! State per series: one optional open incident, 48 bytes.

use serde::Serialize;

use crate::time::Millis;

/// Consecutive points below the threshold that end an incident.
pub const QUIET_POINTS: u32 = 12;

/// Where an incident stands at the point that carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    /// Opened at this point: the one report of the incident.
    Opened,
    /// Still open.
    Ongoing,
    /// Closed at this point; `end` is set.
    Closed,
}

/// The most anomalous point of an incident so far.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Peak {
    /// Its event time.
    pub timestamp: Millis,
    /// Its value.
    pub value: f64,
    /// Its score.
    pub score: f64,
}

/// An incident as seen at one point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Incident {
    /// Opened, ongoing or closed at this point.
    pub status: IncidentStatus,
    /// Event time of its first point.
    pub start: Millis,
    /// Event time of its last anomalous point, once closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Millis>,
    /// Its most anomalous point so far.
    pub peak: Peak,
}

/// The open incident of one series, if any.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IncidentTracker {
    open: Option<Open>,
}

/// An open incident, compactly: the peak's score as `f32` packs with the quiet count (a score needs no more).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Open {
    start: Millis,
    last_anomalous: Millis,
    peak_time: Millis,
    peak_value: f64,
    peak_score: f32,
    quiet: u32,
}

impl Open {
    fn peak(&self) -> Peak {
        Peak { timestamp: self.peak_time, value: self.peak_value, score: f64::from(self.peak_score) }
    }
}

/// One point as the tracker sees it.
#[derive(Clone, Copy, Debug)]
pub struct Observation {
    /// Event time.
    pub timestamp: Millis,
    /// Value.
    pub value: f64,
    /// The point's score before the detector's repeat suppression: how anomalous it is.
    pub level: f64,
    /// Whether the detector reports the point (score at or above the threshold, in a reported direction).
    pub reported: bool,
}

impl IncidentTracker {
    /// Takes one point into account; returns the incident it belongs to, if any.
    pub fn observe(&mut self, point: &Observation, threshold: f64) -> Option<Incident> {
        let Some(open) = &mut self.open else {
            if !point.reported {
                return None;
            }
            let open = Open {
                start: point.timestamp,
                last_anomalous: point.timestamp,
                peak_time: point.timestamp,
                peak_value: point.value,
                peak_score: point.level as f32,
                quiet: 0,
            };
            let opened = Incident { status: IncidentStatus::Opened, start: open.start, end: None, peak: open.peak() };
            self.open = Some(open);
            return Some(opened);
        };
        if point.level >= threshold {
            open.last_anomalous = point.timestamp;
            open.quiet = 0;
            if point.level as f32 > open.peak_score {
                (open.peak_time, open.peak_value, open.peak_score) = (point.timestamp, point.value, point.level as f32);
            }
        } else {
            open.quiet += 1;
        }
        let mut incident =
            Incident { status: IncidentStatus::Ongoing, start: open.start, end: None, peak: open.peak() };
        if open.quiet >= QUIET_POINTS {
            incident.status = IncidentStatus::Closed;
            incident.end = Some(open.last_anomalous);
            self.open = None;
        }
        Some(incident)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THRESHOLD: f64 = 0.5;

    fn point(minute: i64, level: f64, reported: bool) -> Observation {
        Observation { timestamp: minute * 60_000, value: level * 100.0, level, reported }
    }

    #[test]
    fn one_report_per_incident_with_its_peak_and_end() {
        let mut tracker = IncidentTracker::default();
        assert_eq!(tracker.observe(&point(0, 0.3, false), THRESHOLD), None, "nothing before the first report");
        let opened = tracker.observe(&point(1, 0.6, true), THRESHOLD);
        assert_eq!(opened.map(|i| (i.status, i.start)), Some((IncidentStatus::Opened, 60_000)));
        // Larger reported points inside the incident are not new incidents.
        let inside: Vec<Incident> = [(2, 0.9, true), (3, 0.7, false), (4, 0.2, false), (5, 0.55, true)]
            .iter()
            .filter_map(|&(m, l, r)| tracker.observe(&point(m, l, r), THRESHOLD))
            .collect();
        assert!(inside.iter().all(|i| i.status == IncidentStatus::Ongoing && i.start == 60_000));
        assert_eq!(inside[3].peak.timestamp, 2 * 60_000, "the peak is the most anomalous point");
        let mut closed = None;
        for minute in 6..6 + i64::from(QUIET_POINTS) {
            closed = tracker.observe(&point(minute, 0.1, false), THRESHOLD);
            if minute < 5 + i64::from(QUIET_POINTS) {
                assert_eq!(closed.map(|i| i.status), Some(IncidentStatus::Ongoing), "minute {minute}");
            }
        }
        let closed = closed.unwrap_or_else(|| panic!("closed after {QUIET_POINTS} quiet points"));
        assert_eq!(
            (closed.status, closed.end, closed.peak.score),
            (IncidentStatus::Closed, Some(5 * 60_000), f64::from(0.9f32))
        );
        assert_eq!(tracker.observe(&point(40, 0.2, false), THRESHOLD), None, "closed means closed");
        let next = tracker.observe(&point(41, 0.8, true), THRESHOLD);
        assert_eq!(next.map(|i| (i.status, i.start)), Some((IncidentStatus::Opened, 41 * 60_000)));
    }

    #[test]
    fn a_dip_shorter_than_the_quiet_period_does_not_split_an_incident() {
        let mut tracker = IncidentTracker::default();
        tracker.observe(&point(0, 0.7, true), THRESHOLD);
        for minute in 1..i64::from(QUIET_POINTS) {
            tracker.observe(&point(minute, 0.2, false), THRESHOLD);
        }
        let back = tracker.observe(&point(20, 0.6, true), THRESHOLD);
        assert_eq!(back.map(|i| (i.status, i.start)), Some((IncidentStatus::Ongoing, 0)));
    }
}
