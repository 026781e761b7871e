//! What `augur try` keeps of a run to show a person: per-series counts, the incidents with the highest peaks and
//! plot points, all bounded so a large input does not exhaust memory (open incidents: at most one per series).

use std::collections::{BTreeMap, HashMap};

use crate::{
    models::anomaly::{Deviation, IncidentStatus, Peak, Reason, ScoredPoint},
    pipeline::{Sink, SinkError},
    plot::{Panel, PlotPoint},
    record::SeriesId,
    time::Millis,
};

/// Plot points kept per series; beyond it, neighbouring points are merged (keeping marked ones).
const MAX_PLOT_POINTS: usize = 20_000;

/// Per-series figures.
#[derive(Default)]
pub struct SeriesSummary {
    /// Points seen.
    pub points: u64,
    /// Incidents reported.
    pub incidents: u64,
    /// Points kept for the plot.
    pub plot: Vec<PlotPoint>,
}

/// One incident as a person reads it.
#[derive(Clone, Debug)]
pub struct IncidentSummary {
    /// The series.
    pub series: SeriesId,
    /// Its first point.
    pub start: Millis,
    /// Its last anomalous point; `None` while still open at the end of the input.
    pub end: Option<Millis>,
    /// Its most anomalous point.
    pub peak: Peak,
    /// What the model expected at the peak.
    pub expected_at_peak: f64,
    /// Why it was reported, and which way, at its start.
    pub reason: Reason,
    /// Which way the reported point deviated.
    pub deviation: Deviation,
}

/// Collects a run's results for the summary and the plot.
pub struct Summary {
    /// Figures by series, in name order.
    pub series: BTreeMap<SeriesId, SeriesSummary>,
    /// Closed incidents with the highest peaks, best first.
    closed: Vec<IncidentSummary>,
    open: HashMap<SeriesId, IncidentSummary>,
    top_size: usize,
}

impl Summary {
    /// Keeps the `top_size` incidents with the highest peaks.
    pub fn new(top_size: usize) -> Self {
        Self { series: BTreeMap::new(), closed: Vec::new(), open: HashMap::new(), top_size }
    }

    /// The incidents with the highest peaks, closed or still open, best first.
    pub fn incidents(&self) -> Vec<IncidentSummary> {
        let mut all: Vec<IncidentSummary> = self.closed.iter().chain(self.open.values()).cloned().collect();
        all.sort_by(|a, b| b.peak.score.total_cmp(&a.peak.score).then(a.start.cmp(&b.start)));
        all.truncate(self.top_size);
        all
    }

    fn track_incident(&mut self, point: &ScoredPoint) {
        let (a, Some(incident)) = (&point.assessment, point.assessment.incident) else { return };
        if incident.status == IncidentStatus::Opened {
            let opened = IncidentSummary {
                series: point.series.clone(),
                start: incident.start,
                end: None,
                peak: incident.peak,
                expected_at_peak: a.expected,
                reason: a.reason,
                deviation: a.deviation,
            };
            self.open.insert(point.series.clone(), opened);
            return;
        }
        let Some(open) = self.open.get_mut(&point.series) else { return };
        if incident.peak.timestamp == point.timestamp {
            (open.peak, open.expected_at_peak) = (incident.peak, a.expected);
        }
        if incident.status == IncidentStatus::Closed {
            open.end = incident.end;
            if let Some(closed) = self.open.remove(&point.series) {
                let at = self.closed.partition_point(|kept| kept.peak.score >= closed.peak.score);
                if at < self.top_size {
                    self.closed.insert(at, closed);
                    self.closed.truncate(self.top_size);
                }
            }
        }
    }

    fn add(&mut self, point: &ScoredPoint) {
        let summary = self.series.entry(point.series.clone()).or_default();
        summary.points += 1;
        let a = &point.assessment;
        summary.plot.push(PlotPoint {
            time: point.timestamp,
            value: point.value,
            expected: Some(a.expected).filter(|v| v.is_finite()),
            band: Some((a.lower, a.upper)).filter(|(l, u)| l.is_finite() && u.is_finite()),
            marked: point.anomaly,
        });
        if summary.plot.len() > MAX_PLOT_POINTS {
            summary.plot = decimate(&summary.plot);
        }
        if point.anomaly {
            summary.incidents += 1;
        }
        self.track_incident(point);
    }

    /// The plot panels, one per series.
    pub fn panels(&self) -> Vec<Panel> {
        self.series
            .iter()
            .map(|(name, summary)| Panel { title: name.to_string(), points: summary.plot.clone() })
            .collect()
    }
}

/// Halves the points by merging neighbours: a marked point wins, else the first.
fn decimate(points: &[PlotPoint]) -> Vec<PlotPoint> {
    points.chunks(2).map(|pair| pair.iter().find(|p| p.marked).copied().unwrap_or(pair[0])).collect()
}

impl Sink<ScoredPoint> for Summary {
    async fn write(&mut self, items: &[ScoredPoint]) -> Result<(), SinkError> {
        items.iter().for_each(|point| self.add(point));
        Ok(())
    }
}
