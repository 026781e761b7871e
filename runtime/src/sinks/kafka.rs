//! Results and dead letters to a Kafka topic as JSON, one record per result, keyed (by series or template) so one
//! key's results stay ordered in one partition. Every record carries the resource it came from. `flush` waits for
//! every delivery: only then may the runner commit the inputs behind them.
//!
//! A sink never stalls silently. A delivery that takes longer than [`STALL_AFTER`] is reported to the process'
//! [`Health`] (so `/readyz` fails and the resource's status shows it) and waited for; a delivery that fails is sent
//! again with backoff until it succeeds, for as long as the failure is one a person can fix (a missing topic, a
//! broker away, missing rights). Errors no retry can fix (a record too large for the topic) fail the sink.

use std::{marker::PhantomData, time::Duration};

use rdkafka::{
    error::{KafkaError, RDKafkaErrorCode},
    message::{Message, OwnedMessage},
    producer::{DeliveryFuture, FutureProducer, FutureRecord},
};
use serde::Serialize;

use crate::{
    pipeline::{Shutdown, Sink, SinkError},
    record::DeadLetter,
    status::Health,
};

/// How long a delivery may take before the sink reports itself stalled.
pub const STALL_AFTER: Duration = Duration::from_secs(10);

/// Longest pause between two attempts to deliver failed records.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A result's record key: the series or template it belongs to.
pub trait Keyed {
    /// The key, if the result has one.
    fn key(&self) -> Option<&str>;
}

impl Keyed for DeadLetter {
    fn key(&self) -> Option<&str> {
        None
    }
}

/// What a result record holds: the resource's `namespace/name`, then the result's own fields.
#[derive(Serialize)]
struct Envelope<'a, T> {
    resource: &'a str,
    #[serde(flatten)]
    result: &'a T,
}

/// Deliveries in flight before a write waits for some of them.
const MAX_IN_FLIGHT: usize = 100_000;

/// Writes `T`s to a topic.
pub struct KafkaSink<T> {
    producer: FutureProducer,
    topic: String,
    resource: String,
    in_flight: Vec<DeliveryFuture>,
    payload: Vec<u8>,
    written: u64,
    health: Health,
    shutdown: Option<Shutdown>,
    stall_after: Duration,
    _results: PhantomData<fn(&T)>,
}

impl<T> KafkaSink<T> {
    /// A sink to `topic` through `producer`, labelling records with `resource` (`namespace/name`).
    pub fn new(producer: FutureProducer, topic: &str, resource: &str) -> Self {
        Self {
            producer,
            topic: topic.to_owned(),
            resource: resource.to_owned(),
            in_flight: Vec::new(),
            payload: Vec::new(),
            written: 0,
            health: Health::new(),
            shutdown: None,
            stall_after: STALL_AFTER,
            _results: PhantomData,
        }
    }

    /// The same sink, reporting stalls and failures to `health` and giving up on redelivery once `shutdown` fires
    /// (the records stay uncommitted and are read again after a restart).
    pub fn with_health(mut self, health: Health, shutdown: Shutdown) -> Self {
        self.health = health;
        self.shutdown = Some(shutdown);
        self
    }

    /// The same sink, reporting itself stalled after `wait` instead of [`STALL_AFTER`].
    pub fn with_stall_after(mut self, wait: Duration) -> Self {
        self.stall_after = wait;
        self
    }

    fn subject(&self) -> String {
        format!("sink/{}", self.topic)
    }

    /// Records delivered or in flight so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Waits for every delivery in flight; records that failed are sent again, with backoff, until they are
    /// delivered (or the failure is one no retry can fix, or shutdown fires).
    async fn await_deliveries(&mut self) -> Result<(), SinkError> {
        let mut backoff = Duration::from_millis(200);
        loop {
            let mut failed: Vec<(KafkaError, OwnedMessage)> = Vec::new();
            for mut delivery in std::mem::take(&mut self.in_flight) {
                let outcome = loop {
                    match tokio::time::timeout(self.stall_after, &mut delivery).await {
                        Ok(outcome) => break outcome,
                        Err(_) => self.health.report(
                            &self.subject(),
                            augur_crds::common::reason::SINK_UNAVAILABLE,
                            format!(
                                "results have waited more than {:.1}s for delivery to Kafka topic {}",
                                self.stall_after.as_secs_f64(),
                                self.topic
                            ),
                            true,
                        ),
                    }
                };
                match outcome {
                    Ok(Ok(_)) => {}
                    Ok(Err((error, message))) => failed.push((error, message)),
                    Err(_cancelled) => {
                        return Err(SinkError(format!("the producer for {} closed before delivery", self.topic)));
                    }
                }
            }
            let Some((error, _)) = failed.first() else {
                self.health.clear(&self.subject());
                // Records arrive: the topic exists now, whatever start-up found.
                self.health.clear(&format!("topic/{}", self.topic));
                return Ok(());
            };
            let message = format!("cannot deliver results to Kafka topic {}: {error}", self.topic);
            if !is_retriable(error) {
                return Err(SinkError(message));
            }
            self.health.report(&self.subject(), augur_crds::common::reason::SINK_UNAVAILABLE, message.clone(), true);
            let stopping = async {
                match &self.shutdown {
                    Some(shutdown) => shutdown.fired().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = stopping => return Err(SinkError(format!("{message}; stopping before redelivery"))),
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
            for (_, record) in failed {
                self.resend(&record).await?;
            }
        }
    }

    /// Sends a record that failed again, as it was.
    async fn resend(&mut self, record: &OwnedMessage) -> Result<(), SinkError> {
        loop {
            let mut again = FutureRecord::<[u8], [u8]>::to(&self.topic).payload(record.payload().unwrap_or_default());
            if let Some(key) = record.key() {
                again = again.key(key);
            }
            match self.producer.send_result(again) {
                Ok(delivery) => {
                    self.in_flight.push(delivery);
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((error, _)) => return Err(SinkError(format!("cannot send to {}: {error}", self.topic))),
            }
        }
    }
}

/// Whether a failed delivery may succeed later without changing the record: everything but records the topic can
/// never take.
fn is_retriable(error: &KafkaError) -> bool {
    !matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::MessageSizeTooLarge
                | RDKafkaErrorCode::InvalidMessage
                | RDKafkaErrorCode::InvalidMessageSize
                | RDKafkaErrorCode::InvalidRecord
        )
    )
}

impl<T: Serialize + Keyed + Sync> KafkaSink<T> {
    /// Sends `items` (without waiting for their delivery).
    pub async fn send_all<'a>(&mut self, items: impl Iterator<Item = &'a T> + Send) -> Result<(), SinkError>
    where
        T: 'a,
    {
        for item in items {
            self.payload.clear();
            serde_json::to_writer(&mut self.payload, &Envelope { resource: &self.resource, result: item })
                .map_err(|e| SinkError(format!("cannot encode a result: {e}")))?;
            loop {
                let mut record = FutureRecord::<str, [u8]>::to(&self.topic).payload(&self.payload);
                if let Some(key) = item.key() {
                    record = record.key(key);
                }
                match self.producer.send_result(record) {
                    Ok(delivery) => {
                        self.in_flight.push(delivery);
                        break;
                    }
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                        self.await_deliveries().await?;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    Err((error, _)) => return Err(SinkError(format!("cannot send to {}: {error}", self.topic))),
                }
            }
            self.written += 1;
            if self.in_flight.len() >= MAX_IN_FLIGHT {
                self.await_deliveries().await?;
            }
        }
        Ok(())
    }
}

impl<T: Serialize + Keyed + Sync> Sink<T> for KafkaSink<T> {
    async fn write(&mut self, items: &[T]) -> Result<(), SinkError> {
        self.send_all(items.iter()).await
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.await_deliveries().await
    }

    async fn close(&mut self) -> Result<(), SinkError> {
        self.await_deliveries().await
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::ClientConfig;

    use super::*;

    #[derive(Serialize)]
    struct Result {
        series: String,
    }

    impl Keyed for Result {
        fn key(&self) -> Option<&str> {
            Some(&self.series)
        }
    }

    /// Polls `done` until it holds (on real time: librdkafka's own timers drive the failure), failing after a minute.
    async fn until(what: &str, done: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sink_that_cannot_deliver_says_so_keeps_the_records_and_stops_on_shutdown() {
        // Nothing listens on port 1: every delivery waits, then fails, and is tried again.
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", "127.0.0.1:1")
            .set("message.timeout.ms", "500")
            .create()
            .unwrap_or_else(|e| panic!("{e}"));
        let (health, shutdown) = (Health::new(), Shutdown::new());
        let mut sink = KafkaSink::new(producer, "results", "shop/svc")
            .with_health(health.clone(), shutdown.clone())
            .with_stall_after(Duration::from_millis(100));
        sink.write(&[Result { series: "a".into() }]).await.unwrap_or_else(|e| panic!("{e}"));
        let flushing = tokio::spawn(async move { sink.flush().await });
        until("the stall to be reported", || !health.is_ready()).await;
        let problem = health.summary().unwrap_or_default();
        assert!(problem.contains("Kafka topic results"), "{problem}");
        assert_eq!(health.problems(8)[0].reason, "SinkUnavailable");
        assert!(!flushing.is_finished(), "the flush waits: nothing is committed before delivery");
        shutdown.fire();
        let outcome = flushing.await.unwrap_or_else(|e| panic!("{e}"));
        let error = outcome.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("stopping before redelivery"), "{error}");
    }
}
