//! Results and dead letters to a Kafka topic as JSON, one record per result, keyed (by series or template) so one
//! key's results stay ordered in one partition. Every record carries the resource it came from. `flush` waits for
//! every delivery: only then may the runner commit the inputs behind them.

use std::{marker::PhantomData, time::Duration};

use rdkafka::{
    error::{KafkaError, RDKafkaErrorCode},
    producer::{DeliveryFuture, FutureProducer, FutureRecord},
};
use serde::Serialize;

use crate::{
    pipeline::{Sink, SinkError},
    record::DeadLetter,
};

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
            _results: PhantomData,
        }
    }

    /// Records delivered or in flight so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    async fn await_deliveries(&mut self) -> Result<(), SinkError> {
        let mut first_error = None;
        for delivery in self.in_flight.drain(..) {
            let outcome = match delivery.await {
                Ok(Ok(_)) => continue,
                Ok(Err((error, _message))) => error.to_string(),
                Err(_cancelled) => "the producer was closed before delivery".to_owned(),
            };
            first_error.get_or_insert(outcome);
        }
        match first_error {
            None => Ok(()),
            Some(error) => Err(SinkError(format!("delivery to {} failed: {error}", self.topic))),
        }
    }
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
