//! The broker restarted under a running runtime: the runtime keeps running, reconnects, and every record produced
//! before, during and after the outage gets its result. The test runs its own broker (`AUGUR_TANSU_BIN`, which
//! `.ci/run` provides, built with SQLite storage) so it can kill and restart it; its data survives the restart.

use std::time::Duration;

use augur_runtime::{
    pipeline::Shutdown,
    service::{self, ServiceOptions},
};
use augur_tests::{
    broker::BrokerHome,
    streams::{
        TopicReader, connection, create_topic, produce, producer, runtime_config, server, two_series_events, unique,
    },
};

const WAIT: Duration = Duration::from_secs(120);

/// Distinct (series, step) results read.
fn steps_seen(reader: &TopicReader) -> usize {
    let mut seen: Vec<(String, i64)> = reader
        .records
        .iter()
        .map(|r| (r["series"].as_str().unwrap_or_default().to_owned(), r["timestamp"].as_i64().unwrap_or(-1)))
        .collect();
    seen.sort();
    seen.dedup();
    seen.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(augur_tansu), ignore = "needs AUGUR_TANSU_BIN (bash .ci/run builds tansu)")]
async fn the_runtime_recovers_when_the_broker_restarts() {
    let home = BrokerHome::new(&server("AUGUR_TANSU_BIN"));
    let bootstrap = home.bootstrap();
    let broker = home.start();
    let (input, output) = (unique("augur-load"), unique("augur-forecasts"));
    create_topic(&bootstrap, &input, 1).await;
    create_topic(&bootstrap, &output, 1).await;
    let config = runtime_config(&format!(
        "apiVersion: runtime.augur.dev/v1\nkind: RuntimeConfig\nresource: {{kind: Forecaster, namespace: test, name: load}}\n\
         source:\n  kafka:\n{}    topic: {input}\n    consumerGroup: {}\n    startFrom: Earliest\n    format: MetricEvents\n\
         model:\n  forecast: {{algorithm: Auto, seasonality: None, horizon: 10m, step: 1m, quantiles: [0.1, 0.5, 0.9]}}\n\
         output:\n  kafka:\n{}    topic: {output}\n  metrics: true\n  status: false\n\
         state:\n  checkpointInterval: 1s\n  store: none\nlimits: {{maxSeries: 100}}\n",
        connection(&bootstrap, 4),
        unique("augur-group"),
        connection(&bootstrap, 4),
    ));
    let shutdown = Shutdown::new();
    let running = {
        let shutdown = shutdown.clone();
        let options = ServiceOptions { client_id: "restart".into(), ..ServiceOptions::default() };
        tokio::spawn(async move { service::run(&config, &options, shutdown).await })
    };
    let producer = producer(&bootstrap);
    produce(&producer, &input, &two_series_events(0..50)).await;
    let mut results = TopicReader::new(&bootstrap, &output);
    results.wait_for("results before the restart", WAIT, |r| steps_seen(r) >= 2 * 49).await;

    drop(broker);
    let broker = home.start();
    produce(&producer, &input, &two_series_events(50..200)).await;
    // Every step of both series (the last closes no step yet), each at least once.
    results.wait_for("every result after the restart", WAIT, |r| steps_seen(r) >= 2 * 199).await;
    assert!(!running.is_finished(), "the runtime kept running through the outage");

    shutdown.fire();
    running.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e:#}"));
    drop(broker);
}
