//! The PromQL source against a real Prometheus (`AUGUR_PROMETHEUS_URL`) scraping a known target, itself: every
//! step, a range query returns the target's `up` series, keyed by its labels, and the pipeline scores it.

use std::{sync::Arc, time::Duration};

use augur_crds::{common::Duration as ApiDuration, runtime_config::PrometheusInput};
use augur_runtime::{
    models::anomaly::{AnomalyProcessor, DetectorParams, ScoredPoint},
    pipeline::{self, RunSettings, Shutdown, Sink, SinkError},
    record::DeadLetter,
    sources::prometheus::PrometheusSource,
    time::SystemClock,
};
use augur_tests::streams::{PROMETHEUS_VAR, server};

/// Keeps the scored points and fires `shutdown` once `wanted` points of the target's series have arrived.
struct UntilSeen {
    points: Vec<ScoredPoint>,
    wanted: usize,
    shutdown: Shutdown,
}

const SERIES_PREFIX: &str = "up{instance=";

impl Sink<ScoredPoint> for UntilSeen {
    async fn write(&mut self, items: &[ScoredPoint]) -> Result<(), SinkError> {
        self.points.extend_from_slice(items);
        if self.points.iter().filter(|p| p.series.starts_with(SERIES_PREFIX)).count() >= self.wanted {
            self.shutdown.fire();
        }
        Ok(())
    }
}

/// Dead letters: a range query has none.
struct NoDeadLetters;

impl Sink<DeadLetter> for NoDeadLetters {
    async fn write(&mut self, items: &[DeadLetter]) -> Result<(), SinkError> {
        match items.first() {
            Some(dead) => Err(SinkError(format!("unexpected dead letter: {}", dead.reason))),
            None => Ok(()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(augur_prometheus), ignore = "needs AUGUR_PROMETHEUS_URL (bash .ci/run starts Prometheus)")]
async fn a_promql_source_reads_the_series_of_a_scraped_target() {
    let url = server(PROMETHEUS_VAR);
    let input = PrometheusInput {
        url: url.clone(),
        query: "up{job=\"prometheus\"}".into(),
        step: ApiDuration::from_secs(1),
        backfill: ApiDuration::from_secs(60),
        bearer_token: None,
    };
    let source =
        PrometheusSource::new(&input, Arc::new(SystemClock), None).unwrap_or_else(|e| panic!("{e}")).with_lag(1000);
    let mut processor = AnomalyProcessor::new(DetectorParams::default(), 100);
    let shutdown = Shutdown::new();
    let mut sink = UntilSeen { points: Vec::new(), wanted: 5, shutdown: shutdown.clone() };
    let mut dead_letters = NoDeadLetters;
    let run = pipeline::run(
        source,
        &mut processor,
        &mut sink,
        &mut dead_letters,
        shutdown,
        RunSettings::default(),
        |_, _| {},
    );
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .unwrap_or_else(|_| panic!("no points of the scraped target from {url} within two minutes"))
        .unwrap_or_else(|e| panic!("{e}"));

    let target: Vec<&ScoredPoint> = sink.points.iter().filter(|p| p.series.starts_with(SERIES_PREFIX)).collect();
    assert!(target.len() >= 5, "{} points", target.len());
    assert!(target[0].series.contains("job=\"prometheus\""), "keyed by labels: {}", target[0].series);
    assert!(target.iter().all(|p| p.value == 1.0), "the target is up");
    assert!(target.windows(2).all(|w| w[1].timestamp - w[0].timestamp == 1000), "one point per step, in order");
}
