//! AnomalyDetector: one detector per series in each partition's processor; the results feed the anomaly tracker
//! behind the status (active and recent anomalies, warm-up progress).

use augur_crds::runtime_config::AnomalyConfig;

use super::Kind;
use crate::{
    metrics::RuntimeMetrics,
    models::anomaly::{AnomalyProcessor, DetectorParams, ScoredPoint},
    pipeline::Partitioned,
    status::{AnomalyTracker, KindEntries, ModelProgress},
    time::Millis,
};

/// An AnomalyDetector's part of a pipeline.
pub struct AnomalyKind {
    params: DetectorParams,
    max_series: usize,
    tracker: AnomalyTracker,
}

impl AnomalyKind {
    /// The detector `config` describes, tracking at most `max_series` series per partition.
    pub fn new(config: &AnomalyConfig, max_series: usize) -> Self {
        let params = DetectorParams::from(config);
        let tracker = AnomalyTracker::new(max_series, params.warm_up_points);
        Self { params, max_series, tracker }
    }

    /// The detector settings.
    pub fn params(&self) -> &DetectorParams {
        &self.params
    }
}

impl Kind for AnomalyKind {
    type Processor = AnomalyProcessor;
    type Output = ScoredPoint;

    fn factory(&self) -> Box<dyn Fn() -> AnomalyProcessor + Send> {
        let (params, max_series) = (self.params.clone(), self.max_series);
        Box::new(move || AnomalyProcessor::new(params.clone(), max_series))
    }

    fn observe(
        &mut self,
        _: &Partitioned<AnomalyProcessor>,
        outputs: &[ScoredPoint],
        metrics: &RuntimeMetrics,
        _: Millis,
    ) {
        outputs.iter().for_each(|point| self.tracker.observe(point));
        metrics.active_anomalies.set(i64::try_from(self.tracker.active()).unwrap_or(i64::MAX));
    }

    fn series_tracked(&self, stage: &Partitioned<AnomalyProcessor>) -> i64 {
        stage.iter().map(|(_, processor)| processor.series() as i64).sum()
    }

    fn report(
        &self,
        _: &Partitioned<AnomalyProcessor>,
        _: Option<&[String]>,
        _: Millis,
    ) -> (KindEntries, ModelProgress) {
        self.tracker.report()
    }
}
