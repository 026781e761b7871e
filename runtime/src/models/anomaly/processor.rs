//! The anomaly pipeline stage: routes each metric point to its series' detector; a point is reported when it opens
//! an incident (the detector decides, with the pipeline's threshold and direction).

use std::sync::Arc;

use serde::Serialize;

use super::{AnomalyDetector, Assessment, DetectorParams, IncidentStatus};
use crate::{
    models::keyed::KeyedModels,
    pipeline::{Processor, StateError},
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
    /// Whether this point is reported as an anomaly: it opens an incident (score, direction and warm-up all agree,
    /// and no incident of the series is open).
    pub anomaly: bool,
}

/// Creates a series' detector on first sight.
type DetectorFactory = Box<dyn FnMut(&SeriesId) -> AnomalyDetector + Send>;

/// Per-series anomaly detection for a pipeline.
pub struct AnomalyProcessor {
    models: KeyedModels<AnomalyDetector, DetectorFactory>,
    params: Arc<DetectorParams>,
}

impl AnomalyProcessor {
    /// Detectors with `params`, at most `max_series` series.
    pub fn new(params: DetectorParams, max_series: usize) -> Self {
        let params = Arc::new(params);
        let for_series = Arc::clone(&params);
        let factory: DetectorFactory = Box::new(move |_| AnomalyDetector::new(Arc::clone(&for_series)));
        Self { models: KeyedModels::new(max_series, factory), params }
    }

    /// Series tracked now.
    pub fn series(&self) -> usize {
        self.models.len()
    }

    /// Whether an assessment is reported: it opens an incident.
    pub fn is_reported(assessment: &Assessment) -> bool {
        assessment.incident.is_some_and(|incident| incident.status == IncidentStatus::Opened)
    }
}

/// Magic and version at the head of an anomaly state snapshot; a snapshot of another format or version is refused.
/// Version 2: incidents and a longer calibration memory (version 1 held neither).
const SNAPSHOT_HEADER: &[u8; 8] = b"AUGURAD2";

impl Processor for AnomalyProcessor {
    type Input = MetricPoint;
    type Output = ScoredPoint;

    fn process(&mut self, point: MetricPoint, out: &mut Vec<ScoredPoint>) {
        let assessment = self.models.update(&point.series, point.timestamp, point.value);
        let anomaly = Self::is_reported(&assessment);
        out.push(ScoredPoint {
            series: point.series,
            timestamp: point.timestamp,
            value: point.value,
            assessment,
            anomaly,
        });
    }

    fn checkpoint(&self) -> Result<Vec<u8>, StateError> {
        let entries: Vec<(&str, &AnomalyDetector)> =
            self.models.entries().into_iter().map(|(series, model)| (&**series, model)).collect();
        postcard::to_extend(&entries, SNAPSHOT_HEADER.to_vec()).map_err(|e| StateError(e.to_string()))
    }

    fn restore(&mut self, snapshot: &[u8]) -> Result<(), StateError> {
        let body = snapshot
            .strip_prefix(SNAPSHOT_HEADER.as_slice())
            .ok_or_else(|| StateError("not an anomaly detector snapshot of this version".into()))?;
        let entries: Vec<(String, AnomalyDetector)> =
            postcard::from_bytes(body).map_err(|e| StateError(format!("corrupt anomaly detector snapshot: {e}")))?;
        let params = &self.params;
        self.models.restore(
            entries.into_iter().map(|(series, model)| (SeriesId::from(series), model.with_params(Arc::clone(params)))),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(series: &[&str], steps: std::ops::Range<usize>) -> Vec<MetricPoint> {
        steps
            .flat_map(|step| {
                series.iter().enumerate().map(move |(i, name)| MetricPoint {
                    series: Arc::from(*name),
                    timestamp: step as i64 * 300_000,
                    value: 100.0
                        + 30.0 * ((step + 50 * i) as f64 / 288.0 * std::f64::consts::TAU).sin()
                        + ((step * 7919 + i * 104_729) % 13) as f64,
                })
            })
            .collect()
    }

    fn feed(processor: &mut AnomalyProcessor, input: Vec<MetricPoint>) -> Vec<ScoredPoint> {
        let mut out = Vec::new();
        input.into_iter().for_each(|point| processor.process(point, &mut out));
        out
    }

    #[test]
    fn a_restored_processor_continues_exactly_without_warming_up() {
        let series = ["a", "b", "c"];
        let mut original = AnomalyProcessor::new(DetectorParams::default(), 100);
        feed(&mut original, points(&series, 0..600));
        let snapshot = original.checkpoint().unwrap_or_else(|e| panic!("{e}"));

        let mut restored = AnomalyProcessor::new(DetectorParams::default(), 100);
        restored.restore(&snapshot).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(restored.series(), 3);
        let expected = feed(&mut original, points(&series, 600..900));
        let actual = feed(&mut restored, points(&series, 600..900));
        assert_eq!(actual, expected, "same results as if never stopped");
        assert!(actual.iter().all(|p| p.assessment.reason != super::super::Reason::WarmingUp));
    }

    #[test]
    fn corrupt_or_foreign_snapshots_are_refused_without_panicking() {
        let mut processor = AnomalyProcessor::new(DetectorParams::default(), 10);
        feed(&mut processor, points(&["a"], 0..300));
        let snapshot = processor.checkpoint().unwrap_or_default();
        let older_version = [&b"AUGURAD1"[..], &snapshot[SNAPSHOT_HEADER.len()..]].concat();
        for bad in [
            &b""[..],
            b"hello world",
            &snapshot[..snapshot.len() / 2],
            &[&SNAPSHOT_HEADER[..], &[0xff; 64]].concat(),
            &older_version,
        ] {
            assert!(processor.restore(bad).is_err(), "{} bytes accepted", bad.len());
        }
        let mut truncated_tail = snapshot.clone();
        truncated_tail.truncate(snapshot.len() - 1);
        assert!(processor.restore(&truncated_tail).is_err());
    }
}
