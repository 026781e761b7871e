//! What happens to results, the same in `augur run` and `augur try`: each kind's [`ResultPolicy`] says which
//! results go to the result topic and which metrics they move; [`ResultSink`] applies it in front of the Kafka sink.
//! Dead letters are counted, logged (rate-limited) and written to the dead-letter topic. The JSON of each result
//! kind is documented in `docs/results.md`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde::Serialize;

use super::kafka::{KafkaSink, Keyed};
use crate::{
    metrics::RuntimeMetrics,
    models::{
        anomaly::{IncidentStatus, ScoredPoint},
        forecast::StepForecast,
        logs::LogEvent,
    },
    pipeline::{Sink, SinkError},
    record::DeadLetter,
};

impl Keyed for ScoredPoint {
    fn key(&self) -> Option<&str> {
        Some(&self.series)
    }
}

impl Keyed for StepForecast {
    fn key(&self) -> Option<&str> {
        Some(&self.series)
    }
}

impl Keyed for LogEvent {
    fn key(&self) -> Option<&str> {
        Some(LogEvent::key(self))
    }
}

/// What the service does with each result of a kind.
pub trait ResultPolicy: Serialize + Keyed + Sync + Send + 'static {
    /// Whether the result goes to the result topic: an anomaly detector publishes anomalies, not every score, and a
    /// log clusterer template and group changes, and each line's template only when asked (`emit_all`).
    fn publish(&self, emit_all: bool) -> bool;
    /// Updates the kind's metrics.
    fn observe(&self, metrics: &RuntimeMetrics);
}

impl ResultPolicy for ScoredPoint {
    /// An incident's opening (the one report) and its close (with its end); every score only when asked.
    fn publish(&self, emit_all: bool) -> bool {
        emit_all || self.anomaly || self.assessment.incident.is_some_and(|i| i.status == IncidentStatus::Closed)
    }

    fn observe(&self, metrics: &RuntimeMetrics) {
        if self.anomaly {
            metrics.anomalies.inc();
        }
    }
}

impl ResultPolicy for StepForecast {
    fn publish(&self, _emit_all: bool) -> bool {
        true
    }

    fn observe(&self, metrics: &RuntimeMetrics) {
        metrics.forecast_steps.inc();
    }
}

impl ResultPolicy for LogEvent {
    fn publish(&self, emit_all: bool) -> bool {
        emit_all || !matches!(self, LogEvent::Line { .. })
    }

    fn observe(&self, metrics: &RuntimeMetrics) {
        if let LogEvent::Template { change, .. } = self {
            metrics.logs.count_change(*change);
        }
    }
}

/// Results to the metrics and the result topic.
pub struct ResultSink<T> {
    /// The result topic, when configured.
    pub kafka: Option<KafkaSink<T>>,
    /// Publish every result (each log line's template), not only the notable ones.
    pub emit_all: bool,
    /// The process's metrics.
    pub metrics: Arc<RuntimeMetrics>,
}

impl<T: ResultPolicy> Sink<T> for ResultSink<T> {
    async fn write(&mut self, items: &[T]) -> Result<(), SinkError> {
        items.iter().for_each(|item| item.observe(&self.metrics));
        if let Some(kafka) = &mut self.kafka {
            let before = kafka.written();
            let emit_all = self.emit_all;
            kafka.send_all(items.iter().filter(|item| item.publish(emit_all))).await?;
            self.metrics.published.inc_by(kafka.written() - before);
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.kafka.flush().await
    }

    async fn close(&mut self) -> Result<(), SinkError> {
        self.kafka.close().await
    }
}

/// Least time between two logged dead letters.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Dead letters to the log and the dead-letter topic (counted by the runner's report).
pub struct DeadLetterSink {
    /// The dead-letter topic, when configured.
    pub kafka: Option<KafkaSink<DeadLetter>>,
    last_logged: Option<Instant>,
    unlogged: u64,
}

impl DeadLetterSink {
    /// A sink writing to `kafka` when given.
    pub fn new(kafka: Option<KafkaSink<DeadLetter>>) -> Self {
        Self { kafka, last_logged: None, unlogged: 0 }
    }
}

impl Sink<DeadLetter> for DeadLetterSink {
    async fn write(&mut self, items: &[DeadLetter]) -> Result<(), SinkError> {
        if let Some(first) = items.first() {
            self.unlogged += items.len() as u64;
            if self.last_logged.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
                tracing::warn!(
                    partition = first.position.partition,
                    offset = first.position.offset,
                    reason = %first.reason,
                    since_last_warning = self.unlogged,
                    dead_letter_topic = self.kafka.is_some(),
                    "records failed to decode"
                );
                self.last_logged = Some(Instant::now());
                self.unlogged = 0;
            }
        }
        self.kafka.write(items).await
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.kafka.flush().await
    }

    async fn close(&mut self) -> Result<(), SinkError> {
        self.kafka.close().await
    }
}
