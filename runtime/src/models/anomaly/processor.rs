//! The anomaly pipeline stage: routes each metric point to its series' detector and decides what is reported.

use augur_crds::kinds::anomaly_detector::Direction;
use serde::Serialize;

use super::{AnomalyDetector, Assessment, DetectorParams};
use crate::{
    models::keyed::KeyedModels,
    pipeline::Processor,
    record::{MetricPoint, SeriesId},
    time::Millis,
};

/// One scored point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoredPoint {
    /// The series.
    pub series: SeriesId,
    /// Event time (ms since the epoch).
    pub timestamp: Millis,
    /// Observed value.
    pub value: f64,
    /// The detector's assessment.
    #[serde(flatten)]
    pub assessment: Assessment,
    /// Whether this point is reported as an anomaly (score, direction and warm-up all agree).
    pub anomaly: bool,
}

/// Creates a series' detector on first sight.
type DetectorFactory = Box<dyn FnMut(&SeriesId) -> AnomalyDetector + Send>;

/// Per-series anomaly detection for a pipeline.
pub struct AnomalyProcessor {
    models: KeyedModels<AnomalyDetector, DetectorFactory>,
    params: DetectorParams,
}

impl AnomalyProcessor {
    /// Detectors with `params`, at most `max_series` series.
    pub fn new(params: DetectorParams, max_series: usize) -> Self {
        let for_series = params.clone();
        let factory: DetectorFactory = Box::new(move |_| AnomalyDetector::new(for_series.clone()));
        Self { models: KeyedModels::new(max_series, factory), params }
    }

    /// Series tracked now.
    pub fn series(&self) -> usize {
        self.models.len()
    }

    /// Whether an assessment is reported under the configured threshold and direction.
    pub fn is_reported(&self, assessment: &Assessment) -> bool {
        let direction_ok = match self.params.direction {
            Direction::Both => assessment.deviation != super::Deviation::None,
            Direction::Up => assessment.deviation == super::Deviation::Up,
            Direction::Down => assessment.deviation == super::Deviation::Down,
        };
        direction_ok && assessment.score >= self.params.score_threshold
    }
}

impl Processor for AnomalyProcessor {
    type Input = MetricPoint;
    type Output = ScoredPoint;

    fn process(&mut self, point: MetricPoint, out: &mut Vec<ScoredPoint>) {
        let assessment = self.models.update(&point.series, point.timestamp, point.value);
        let anomaly = self.is_reported(&assessment);
        out.push(ScoredPoint {
            series: point.series,
            timestamp: point.timestamp,
            value: point.value,
            assessment,
            anomaly,
        });
    }
}
