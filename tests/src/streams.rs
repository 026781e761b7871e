//! Access to the real servers of the integration tests: a Kafka-compatible broker (`AUGUR_KAFKA_BOOTSTRAP`) and
//! Prometheus (`AUGUR_PROMETHEUS_URL`; secured: `AUGUR_PROMETHEUS_MTLS_URL`, `AUGUR_PROMETHEUS_TOKEN_URL` and their
//! credentials in `AUGUR_PROMETHEUS_SECRETS`), which `.ci/run` installs and starts on loopback. Without them the tests are
//! compiled `#[ignore]`d with the reason (see `build.rs`), so they show as ignored, never as passed.
//!
//! Also: unique topic names, producing records, reading a topic from the beginning, RuntimeConfigs for a test, and
//! polling with a deadline (never sleeping for a fixed time to let something happen).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use augur_crds::runtime_config::RuntimeConfig;
use rdkafka::{
    ClientConfig, Message, Offset, TopicPartitionList,
    consumer::{BaseConsumer, Consumer},
    producer::{FutureProducer, FutureRecord},
};

/// The broker's address variable.
pub const KAFKA_VAR: &str = "AUGUR_KAFKA_BOOTSTRAP";
/// Prometheus's URL variable.
pub const PROMETHEUS_VAR: &str = "AUGUR_PROMETHEUS_URL";
/// The URL of a Prometheus serving https that requires a client certificate and basic authentication.
pub const PROMETHEUS_MTLS_VAR: &str = "AUGUR_PROMETHEUS_MTLS_URL";
/// The URL of a Prometheus behind an https proxy that requires a bearer token.
pub const PROMETHEUS_TOKEN_VAR: &str = "AUGUR_PROMETHEUS_TOKEN_URL";
/// The directory of the secured Prometheus servers' credentials, one sub-directory per Secret.
pub const PROMETHEUS_SECRETS_VAR: &str = "AUGUR_PROMETHEUS_SECRETS";

/// Shows the runtime's logs in a test's output (`RUST_LOG` filters; warnings by default).
pub fn show_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}

/// The value of `variable`; a test that runs without it (`--include-ignored`) fails with the reason.
pub fn server(variable: &str) -> String {
    show_logs();
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("{variable} is not set: bash .ci/run starts the integration servers and sets it"),
    }
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{prefix}-{:x}", nanos % 0xffff_ffff_ffff)
}

fn client(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    config
}

/// Creates `topic` with `partitions` partitions.
pub async fn create_topic(bootstrap: &str, topic: &str, partitions: i32) {
    augur_runtime::kafka::create_topic(&client(bootstrap), topic, partitions, &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A producer for the test's input.
pub fn producer(bootstrap: &str) -> FutureProducer {
    client(bootstrap).set("linger.ms", "5").create().unwrap_or_else(|e| panic!("producer: {e}"))
}

/// Produces `records` (key, payload) to `topic` and waits until every one is delivered.
pub async fn produce(producer: &FutureProducer, topic: &str, records: &[(String, Vec<u8>)]) {
    let mut deliveries = Vec::with_capacity(records.len());
    for (key, payload) in records {
        let record = FutureRecord::to(topic).key(key).payload(payload);
        deliveries.push(producer.send_result(record).unwrap_or_else(|(e, _)| panic!("produce to {topic}: {e}")));
    }
    for delivery in deliveries {
        match delivery.await {
            Ok(Ok(_)) => {}
            Ok(Err((error, _))) => panic!("delivery to {topic}: {error}"),
            Err(_) => panic!("delivery to {topic} cancelled"),
        }
    }
}

/// Reads a topic from the beginning, keeping every record's JSON payload (and every raw record).
pub struct TopicReader {
    consumer: BaseConsumer,
    /// Payloads read so far, parsed as JSON (records that are not JSON are left out).
    pub records: Vec<serde_json::Value>,
    /// Every record read so far: (key, payload).
    pub raw: Vec<(Vec<u8>, Vec<u8>)>,
}

impl TopicReader {
    /// A reader of every partition of `topic` (which must exist) from the beginning.
    pub fn new(bootstrap: &str, topic: &str) -> Self {
        let consumer: BaseConsumer = client(bootstrap)
            .set("group.id", unique("augur-test-reader"))
            .set("enable.auto.commit", "false")
            .create()
            .unwrap_or_else(|e| panic!("reader: {e}"));
        let metadata =
            consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).unwrap_or_else(|e| panic!("{topic}: {e}"));
        let mut assignment = TopicPartitionList::new();
        for found in metadata.topics() {
            for partition in found.partitions() {
                let _ = assignment.add_partition_offset(topic, partition.id(), Offset::Beginning);
            }
        }
        consumer.assign(&assignment).unwrap_or_else(|e| panic!("assign {topic}: {e}"));
        Self { consumer, records: Vec::new(), raw: Vec::new() }
    }

    /// Reads what is available now (up to a short wait).
    pub fn poll(&mut self) {
        while let Some(message) = self.consumer.poll(Duration::from_millis(50)) {
            let Ok(message) = message else { continue };
            let payload = message.payload().unwrap_or_default();
            if let Ok(value) = serde_json::from_slice(payload) {
                self.records.push(value);
            }
            self.raw.push((message.key().unwrap_or_default().to_vec(), payload.to_vec()));
        }
    }

    /// Polls until `done(reader)` holds; panics with `what` after `timeout`.
    pub async fn wait_for(&mut self, what: &str, timeout: Duration, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            self.poll();
            if done(self) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; {} records read", self.records.len());
            tokio::task::yield_now().await;
        }
    }
}

/// A RuntimeConfig from YAML, failing the test with the reason when it does not parse.
pub fn runtime_config(yaml: &str) -> RuntimeConfig {
    RuntimeConfig::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// The YAML of a Kafka connection to `bootstrap`, indented for a RuntimeConfig.
pub fn connection(bootstrap: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    format!("{pad}connection:\n{pad}  bootstrapServers:\n{pad}    list: [\"{bootstrap}\"]\n")
}

/// Metric events of two series, `api` and `web`, one a minute over `steps`, keyed by series (so each series stays
/// on one partition).
pub fn two_series_events(steps: std::ops::Range<i64>) -> Vec<(String, Vec<u8>)> {
    steps
        .flat_map(|step| {
            ["api", "web"].map(|series| {
                let event = serde_json::json!({"series": series, "timestamp": step * 60_000, "value": 100 + step % 7});
                (series.to_owned(), event.to_string().into_bytes())
            })
        })
        .collect()
}
