//! Raw log lines (a LogClusterer with `format: Raw`): each line of the input decoded and mined by one processor with
//! the header learner on, so lines interact as a stream's do (templates generalise, merge and are evicted).
#![no_main]

use augur_crds::runtime_config::RecordFormat;
use augur_runtime::{
    decode::{Decode, LogDecoder},
    models::logs::{LogProcessor, LogSettings, MinerSettings},
    pipeline::Processor,
    record::Position,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(decoder) = LogDecoder::new(&RecordFormat::LogLines) else { return };
    let settings = LogSettings {
        raw: true,
        miner: MinerSettings { max_templates: 8, ..MinerSettings::default() },
        ..LogSettings::default()
    };
    let mut processor = LogProcessor::new(settings);
    let mut out = Vec::new();
    for (offset, line) in data.split(|byte| *byte == b'\n').enumerate() {
        if let Ok(line) = decoder.decode(line, Position { partition: 0, offset: offset as i64 }) {
            processor.process(line, &mut out);
        }
    }
    let _ = processor.checkpoint();
});
