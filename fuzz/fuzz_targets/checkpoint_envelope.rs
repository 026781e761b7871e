//! A checkpoint read back from the store (a compacted topic anyone with write access to it could fill): the
//! envelope decoded for each model kind, and the state inside restored into that kind's processor. The state is
//! also restored straight from the input, since few inputs pass the envelope's checksum.
#![no_main]

use augur_runtime::{
    checkpoint,
    models::{
        anomaly::{AnomalyProcessor, DetectorParams},
        forecast::{ForecastParams, ForecastProcessor},
        logs::{LogProcessor, LogSettings},
    },
    pipeline::Processor,
};
use libfuzzer_sys::fuzz_target;

fn restore(kind: &str, state: &[u8]) {
    match kind {
        "anomaly" => drop(AnomalyProcessor::new(DetectorParams::default(), 16).restore(state)),
        "forecast" => drop(ForecastProcessor::new(ForecastParams::default(), 16).restore(state)),
        _ => drop(LogProcessor::new(LogSettings::default()).restore(state)),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else { return };
    let kind = ["anomaly", "forecast", "logs"][usize::from(*selector) % 3];
    if let Ok(found) = checkpoint::decode(kind, rest) {
        restore(kind, &found.state);
    }
    restore(kind, rest);
});
