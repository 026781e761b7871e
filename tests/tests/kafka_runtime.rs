//! The runtime as a service against a real Kafka-compatible broker (`AUGUR_KAFKA_BOOTSTRAP`): metric events in,
//! anomaly events and dead letters out; a runtime killed mid-stream and restarted loses no record and does not warm
//! up again; two runtimes in one consumer group split the partitions and the state follows them.

use std::{collections::BTreeMap, time::Duration};

use augur_runtime::{
    checkpoint,
    pipeline::Shutdown,
    service::{self, ServiceOptions},
};
use augur_tests::streams::{
    KAFKA_VAR, TopicReader, connection, create_topic, produce, producer, runtime_config, server, unique,
};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(90);
const STEP_MS: i64 = 60_000;
const T0: i64 = 1_767_225_600_000;

/// Options for a runtime in a test: no HTTP endpoints, short consumer-group timeouts.
fn options(client_id: &str) -> ServiceOptions {
    ServiceOptions {
        client_id: client_id.to_owned(),
        consumer_settings: vec![
            ("session.timeout.ms".into(), "6000".into()),
            ("heartbeat.interval.ms".into(), "500".into()),
        ],
        ..ServiceOptions::default()
    }
}

fn metric_event(series: &str, step: i64, value: f64) -> (String, Vec<u8>) {
    let event = serde_json::json!({"series": series, "timestamp": T0 + step * STEP_MS, "value": value});
    (series.to_owned(), event.to_string().into_bytes())
}

/// A deterministic wobble in [-1, 1].
fn wobble(series: usize, step: i64) -> f64 {
    (((step * 7919 + series as i64 * 104_729) % 1000) as f64 / 500.0) - 1.0
}

fn forecaster_config(bootstrap: &str, input: &str, output: &str, state: &str, group: &str) -> String {
    format!(
        "apiVersion: runtime.augur.dev/v1\nkind: RuntimeConfig\nresource: {{kind: Forecaster, namespace: test, name: load}}\n\
         source:\n  kafka:\n{}    topic: {input}\n    consumerGroup: {group}\n    startFrom: Earliest\n    format: MetricEvents\n\
         model:\n  forecast: {{algorithm: Auto, seasonality: None, horizon: 10m, step: 1m, quantiles: [0.1, 0.5, 0.9]}}\n\
         output:\n  kafka:\n{}    topic: {output}\n  metrics: true\n  status: false\n\
         state:\n  checkpointInterval: 1s\n  store:\n    kafka:\n{}      topic: {state}\n\
         limits: {{maxSeries: 1000}}\n",
        connection(bootstrap, 4),
        connection(bootstrap, 4),
        connection(bootstrap, 6),
    )
}

/// (series, step) of a forecast result.
fn step_of(record: &Value) -> (String, i64) {
    let series = record["series"].as_str().unwrap_or_default().to_owned();
    (series, (record["timestamp"].as_i64().unwrap_or_default() - T0) / STEP_MS)
}

/// Every result's model has seen exactly as many steps as precede it: nothing warmed up again.
fn assert_no_rewarm(records: &[Value]) {
    for record in records {
        let (series, step) = step_of(record);
        let seen = record["readiness"]["points"].as_i64().unwrap_or_default();
        assert_eq!(seen, step + 1, "{series} step {step}: the model had seen {seen} steps (state lost?)");
    }
}

/// Inputs produced for `series` at steps `range`, one point per step.
fn load_points(series: &[&str], range: std::ops::Range<i64>) -> Vec<(String, Vec<u8>)> {
    range
        .flat_map(|step| {
            series.iter().enumerate().map(move |(i, name)| metric_event(name, step, 100.0 + 10.0 * wobble(i, step)))
        })
        .collect()
}

/// The checkpoints in the state topic: partition -> next offset of the latest one (small test checkpoints fit in
/// one chunk: a 16-byte chunk header, then the envelope).
fn checkpointed(state: &TopicReader) -> BTreeMap<i32, i64> {
    state
        .raw
        .iter()
        .filter_map(|(_, payload)| checkpoint::decode("forecast", payload.get(16..)?).ok())
        .map(|c| (c.partition, c.next_offset))
        .collect()
}

fn covered(reader: &TopicReader) -> BTreeMap<(String, i64), usize> {
    let mut counts = BTreeMap::new();
    for record in &reader.records {
        *counts.entry(step_of(record)).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(augur_kafka), ignore = "needs AUGUR_KAFKA_BOOTSTRAP (bash .ci/run starts a broker)")]
async fn metric_events_in_anomaly_events_and_dead_letters_out() {
    let bootstrap = server(KAFKA_VAR);
    let (input, output, dead) = (unique("augur-in"), unique("augur-anomalies"), unique("augur-dlq"));
    create_topic(&bootstrap, &input, 2).await;
    create_topic(&bootstrap, &output, 1).await;
    create_topic(&bootstrap, &dead, 1).await;
    let state = std::env::temp_dir().join(unique("augur-state"));
    let config = runtime_config(&format!(
        "apiVersion: runtime.augur.dev/v1\nkind: RuntimeConfig\nresource: {{kind: AnomalyDetector, namespace: test, name: svc}}\n\
         source:\n  kafka:\n{}    topic: {input}\n    consumerGroup: {}\n    startFrom: Earliest\n    format: MetricEvents\n\
         model:\n  anomaly: {{algorithm: Auto, scoreThreshold: 0.5, seasonality: None, warmUpPoints: 50, direction: Both}}\n\
         output:\n  kafka:\n{}    topic: {output}\n  deadLetter:\n{}    topic: {dead}\n  metrics: true\n  status: false\n\
         state:\n  checkpointInterval: 1s\n  store:\n    file: {{path: {}}}\nlimits: {{maxSeries: 1000}}\n",
        connection(&bootstrap, 4),
        unique("augur-group"),
        connection(&bootstrap, 4),
        connection(&bootstrap, 4),
        state.display(),
    ));
    let series = ["svc-a", "svc-b", "svc-c"];
    let mut records = Vec::new();
    for step in 0..400 {
        for (i, name) in series.iter().enumerate() {
            let value = if *name == "svc-b" && step == 300 { 1000.0 } else { 100.0 + 5.0 * wobble(i, step) };
            records.push(metric_event(name, step, value));
        }
    }
    for garbage in ["not json", "{\"series\": \"svc-a\", \"timestamp\": \"yesterday\", \"value\": 1}", "{}"] {
        records.push(("garbage".into(), garbage.as_bytes().to_vec()));
    }
    produce(&producer(&bootstrap), &input, &records).await;

    let shutdown = Shutdown::new();
    let running = {
        let (config, shutdown) = (config.clone(), shutdown.clone());
        tokio::spawn(async move { service::run(&config, &options("anomalies"), shutdown).await })
    };
    let mut anomalies = TopicReader::new(&bootstrap, &output);
    let spike = T0 + 300 * STEP_MS;
    anomalies
        .wait_for("the spike reported as an anomaly event", WAIT, |r| {
            r.records.iter().any(|a| a["series"] == "svc-b" && a["timestamp"] == spike)
        })
        .await;
    let mut dead_letters = TopicReader::new(&bootstrap, &dead);
    dead_letters.wait_for("three dead letters", WAIT, |r| r.records.len() >= 3).await;
    shutdown.fire();
    let report = running.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e:#}"));

    assert_eq!((report.records, report.dead_letters), (1200, 3));
    let event = anomalies.records.iter().find(|a| a["timestamp"] == spike).cloned().unwrap_or_default();
    assert_eq!((event["resource"].as_str(), event["anomaly"].as_bool()), (Some("test/svc"), Some(true)));
    assert!(event["score"].as_f64().unwrap_or_default() >= 0.5 && event["value"] == 1000.0, "{event}");
    // An incident is published when it opens (the report) and when it closes (with its end), nothing in between.
    let closing = |a: &serde_json::Value| a["anomaly"] == false && a["incident"]["status"] == "closed";
    assert!(anomalies.records.iter().all(|a| a["anomaly"] == true || closing(a)), "only incidents are published");
    anomalies
        .wait_for("the spike's incident to close", WAIT, |r| {
            r.records.iter().any(|a| closing(a) && a["series"] == "svc-b" && a["incident"]["end"] == spike)
        })
        .await;
    let reasons: Vec<&str> = dead_letters.records.iter().filter_map(|d| d["reason"].as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains("not a metric event")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("yesterday")), "{reasons:?}");
    assert!(dead_letters.records.iter().all(|d| d["position"]["offset"].is_i64()), "dead letters say where");
    let _ = std::fs::remove_file(state);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(augur_kafka), ignore = "needs AUGUR_KAFKA_BOOTSTRAP (bash .ci/run starts a broker)")]
async fn a_runtime_killed_mid_stream_loses_nothing_and_does_not_warm_up_again() {
    let bootstrap = server(KAFKA_VAR);
    let (input, output, state) = (unique("augur-load"), unique("augur-forecasts"), unique("augur-state"));
    create_topic(&bootstrap, &input, 2).await;
    create_topic(&bootstrap, &output, 1).await;
    let config = runtime_config(&forecaster_config(&bootstrap, &input, &output, &state, &unique("augur-group")));
    let series = ["api", "web", "db", "cache"];
    let producer = producer(&bootstrap);
    produce(&producer, &input, &load_points(&series, 0..150)).await;

    // The first runtime processes the first part and checkpoints it, then dies without draining or committing.
    let first = {
        let config = config.clone();
        tokio::spawn(async move { service::run(&config, &options("first"), Shutdown::new()).await })
    };
    let mut results = TopicReader::new(&bootstrap, &output);
    results.wait_for("the first part's forecasts", WAIT, |r| covered(r).len() >= 4 * 149).await;
    produce(&producer, &input, &load_points(&series, 150..200)).await;
    results.wait_for("some of the second part", WAIT, |r| covered(r).len() >= 4 * 160).await;
    let mut checkpoints = TopicReader::new(&bootstrap, &state);
    checkpoints.wait_for("a checkpoint of both partitions", WAIT, |r| checkpointed(r).len() == 2).await;
    first.abort();
    let _ = first.await;
    for (key, payload) in &checkpoints.raw {
        eprintln!(
            "DEBUG {} {:?}",
            String::from_utf8_lossy(key),
            checkpoint::decode("forecast", payload).map(|c| (c.partition, c.next_offset))
        );
    }

    // A new runtime resumes from the checkpoints while more records arrive.
    let shutdown = Shutdown::new();
    let second = {
        let (config, shutdown) = (config.clone(), shutdown.clone());
        tokio::spawn(async move { service::run(&config, &options("second"), shutdown).await })
    };
    produce(&producer, &input, &load_points(&series, 200..300)).await;
    results.wait_for("every forecast", WAIT, |r| covered(r).len() >= 4 * 299).await;
    shutdown.fire();
    second.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e:#}"));
    results.poll();

    let counts = covered(&results);
    for name in series {
        // Every input is accounted for (the last of each series closes no step yet)...
        let missing: Vec<i64> = (0..299).filter(|step| !counts.contains_key(&(name.to_owned(), *step))).collect();
        assert!(missing.is_empty(), "{name}: no result for steps {missing:?}");
        // ...and duplicates only come from the replayed window after the last checkpoint before the kill.
        let repeated: Vec<i64> =
            (0..299).filter(|step| counts.get(&(name.to_owned(), *step)).is_some_and(|n| *n > 1)).collect();
        if let (Some(first), Some(last)) = (repeated.first(), repeated.last()) {
            assert_eq!(repeated.len() as i64, last - first + 1, "{name}: duplicates {repeated:?} are not one window");
            assert!(*last < 200, "{name}: steps after the restart were duplicated: {repeated:?}");
        }
    }
    assert_no_rewarm(&results.records);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(augur_kafka), ignore = "needs AUGUR_KAFKA_BOOTSTRAP (bash .ci/run starts a broker)")]
async fn two_runtimes_split_the_partitions_and_state_follows_them() {
    let bootstrap = server(KAFKA_VAR);
    let (input, state, group) = (unique("augur-load"), unique("augur-state"), unique("augur-group"));
    let (output_a, output_b) = (unique("augur-forecasts-a"), unique("augur-forecasts-b"));
    create_topic(&bootstrap, &input, 4).await;
    create_topic(&bootstrap, &output_a, 1).await;
    create_topic(&bootstrap, &output_b, 1).await;
    let series: Vec<String> = (0..12).map(|i| format!("service-{i}")).collect();
    let names: Vec<&str> = series.iter().map(String::as_str).collect();
    let producer = producer(&bootstrap);
    produce(&producer, &input, &load_points(&names, 0..100)).await;

    let shutdown = Shutdown::new();
    let start = |output: &str, id: &'static str| {
        let config = runtime_config(&forecaster_config(&bootstrap, &input, output, &state, &group));
        let shutdown = shutdown.clone();
        tokio::spawn(async move { service::run(&config, &options(id), shutdown).await })
    };
    let a = start(&output_a, "runtime-a");
    let mut results_a = TopicReader::new(&bootstrap, &output_a);
    results_a.wait_for("the first part, all in runtime a", WAIT, |r| covered(r).len() >= 12 * 99).await;
    let mut checkpoints = TopicReader::new(&bootstrap, &state);
    checkpoints
        .wait_for("checkpoints of every partition at the end of the first part", WAIT, |r| {
            let latest = checkpointed(r);
            latest.len() == 4 && latest.values().sum::<i64>() >= 1200
        })
        .await;

    let b = start(&output_b, "runtime-b");
    let mut results_b = TopicReader::new(&bootstrap, &output_b);
    // Runtime b has joined once it has restored partitions and produced results for them: feed one step at a time
    // until it does, then the rest.
    let mut step = 100;
    let deadline = std::time::Instant::now() + WAIT;
    while results_b.records.is_empty() {
        assert!(std::time::Instant::now() < deadline && step < 190, "runtime b never took over partitions");
        produce(&producer, &input, &load_points(&names, step..step + 1)).await;
        step += 1;
        for _ in 0..20 {
            results_b.poll();
            if !results_b.records.is_empty() {
                break;
            }
        }
    }
    produce(&producer, &input, &load_points(&names, step..200)).await;
    let everything = |a: &TopicReader, b: &TopicReader| {
        let mut all = covered(a);
        all.extend(covered(b));
        all.len()
    };
    tokio::time::timeout(WAIT, async {
        while everything(&results_a, &results_b) < 12 * 199 {
            results_a.poll();
            results_b.poll();
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out: {} of {} forecasts", everything(&results_a, &results_b), 12 * 199));
    shutdown.fire();
    for runtime in [a, b] {
        runtime.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e:#}"));
    }

    let late = |reader: &TopicReader| covered(reader).keys().filter(|(_, step)| *step >= 190).count();
    assert!(late(&results_a) > 0 && late(&results_b) > 0, "both runtimes process the second part");
    // Runtime b's models had seen the first part: the state followed the partitions.
    assert_no_rewarm(&results_a.records);
    assert_no_rewarm(&results_b.records);
}
