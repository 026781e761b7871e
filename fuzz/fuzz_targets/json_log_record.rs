//! A Kafka record of a LogClusterer reading JSON logs: the message at a dot path, then mined.
#![no_main]

use augur_crds::runtime_config::RecordFormat;
use augur_runtime::{
    decode::{Decode, LogDecoder},
    models::logs::{LogProcessor, LogSettings},
    pipeline::Processor,
    record::Position,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let format =
        RecordFormat::JsonLogs { message_field: "kubernetes.message".into(), origin_field: Some("service".into()) };
    let Some(decoder) = LogDecoder::new(&format) else { return };
    if let Ok(line) = decoder.decode(data, Position::default()) {
        let mut processor = LogProcessor::new(LogSettings::default());
        let mut out = Vec::new();
        processor.process(line, &mut out);
    }
});
