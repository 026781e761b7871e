//! A Kafka record of an AnomalyDetector or Forecaster: decoded as a JSON metric event, and when it decodes, scored by
//! the anomaly detector, as the pipeline does.
#![no_main]

use augur_runtime::{
    decode::decode_json_metric,
    models::anomaly::{AnomalyProcessor, DetectorParams},
    pipeline::Processor,
    record::Position,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let default_series = "topic".into();
    if let Ok(point) = decode_json_metric(data, &default_series, Position::default()) {
        let mut processor = AnomalyProcessor::new(DetectorParams::default(), 16);
        let mut out = Vec::new();
        processor.process(point.clone(), &mut out);
        processor.process(point, &mut out);
    }
});
