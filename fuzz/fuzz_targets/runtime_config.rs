//! A RuntimeConfig document (a mounted ConfigMap anyone with edit rights on it could change): parsed strictly, and
//! when it parses, turned into what `augur run` builds from it (Secret mounts, the kind's processor).
#![no_main]

use augur_crds::runtime_config::{ModelConfig, RuntimeConfig};
use augur_runtime::job::{AnomalyKind, ForecastKind, Kind, LogKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(config) = RuntimeConfig::from_yaml(text) else { return };
    let _ = config.referenced_secrets();
    let _ = config.to_yaml();
    let max_series = config.limits.max_series as usize;
    match &config.model {
        ModelConfig::Anomaly(anomaly) => drop(AnomalyKind::new(anomaly, max_series).factory()()),
        ModelConfig::Forecast(forecast) => drop(ForecastKind::new(forecast, max_series).factory()()),
        ModelConfig::Logs(logs) => {
            if let Ok(kind) = LogKind::new(logs) {
                drop(kind.factory()());
            }
        }
    }
});
