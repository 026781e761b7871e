//! What `augur try` keeps of a run to show a person: per-series counts, the top anomalies and plot points, all
//! bounded so a large input does not exhaust memory.

use std::collections::BTreeMap;

use crate::{
    models::anomaly::ScoredPoint,
    pipeline::{Sink, SinkError},
    plot::{Panel, PlotPoint},
    record::SeriesId,
};

/// Plot points kept per series; beyond it, neighbouring points are merged (keeping marked ones).
const MAX_PLOT_POINTS: usize = 20_000;

/// Per-series figures.
#[derive(Default)]
pub struct SeriesSummary {
    /// Points seen.
    pub points: u64,
    /// Points reported as anomalies.
    pub anomalies: u64,
    /// Points kept for the plot.
    pub plot: Vec<PlotPoint>,
}

/// Collects a run's results for the summary and the plot.
pub struct Summary {
    /// Figures by series, in name order.
    pub series: BTreeMap<SeriesId, SeriesSummary>,
    /// The highest-scoring anomalies, best first.
    pub top: Vec<ScoredPoint>,
    top_size: usize,
}

impl Summary {
    /// Keeps the `top_size` best anomalies.
    pub fn new(top_size: usize) -> Self {
        Self { series: BTreeMap::new(), top: Vec::new(), top_size }
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
            summary.anomalies += 1;
            let at = self.top.partition_point(|kept| kept.assessment.score >= a.score);
            if at < self.top_size {
                self.top.insert(at, point.clone());
                self.top.truncate(self.top_size);
            }
        }
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
