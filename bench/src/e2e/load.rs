//! The offered load of `augur-bench e2e`: metric events or log lines produced at a fixed rate (or as fast as the
//! producer goes), each remembering when it was sent: metric events carry it as their timestamp, log lines through
//! their delivery report (partition, offset -> send time). Before the timed load, [`warm_up`] sends single records
//! until the service answers, so the figures are those of a running service, not of its consumer group joining.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use rdkafka::{
    ClientConfig, ClientContext, Message,
    error::{KafkaError, RDKafkaErrorCode},
    producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer},
};

use augur_runtime::time::{Clock, SystemClock};

/// What is produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadKind {
    /// JSON metric events over 1,000 series.
    Metrics,
    /// Raw log lines from a dozen templates with variable fields.
    Logs,
}

/// Send times by (partition, offset), from delivery reports.
#[derive(Default)]
pub struct Deliveries {
    sent_at: Mutex<HashMap<(i32, i64), i64>>,
    /// Records delivered.
    pub delivered: AtomicU64,
    /// Records the broker refused.
    pub failed: AtomicU64,
}

impl Deliveries {
    /// When the record at (partition, offset) was sent.
    pub fn sent_at(&self, partition: i32, offset: i64) -> Option<i64> {
        self.sent_at.lock().unwrap_or_else(|e| e.into_inner()).get(&(partition, offset)).copied()
    }
}

/// Records delivery reports.
pub struct Reports(pub Arc<Deliveries>);

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, sent_at: usize) {
        match result {
            Ok(message) => {
                self.0.delivered.fetch_add(1, Ordering::Relaxed);
                let mut sent = self.0.sent_at.lock().unwrap_or_else(|e| e.into_inner());
                sent.insert((message.partition(), message.offset()), sent_at as i64);
            }
            Err(_) => {
                self.0.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

const LOG_TEMPLATES: [&str; 6] = [
    "INFO request {} served in {} ms from 10.0.{}.{}",
    "WARN slow query {} took {} ms on shard {}",
    "INFO user {} logged in from 192.168.{}.{}",
    "ERROR connection {} reset by peer after {} bytes",
    "DEBUG cache hit for key session-{} ({} entries)",
    "INFO job {} finished: {} items, {} retries",
];

/// The `n`-th record of `kind` sent at `now` (ms): (key, payload).
fn record(kind: LoadKind, n: u64, now: i64) -> (String, String) {
    match kind {
        LoadKind::Metrics => {
            let series = format!("service-{}", n % 1000);
            let value = 100.0 + (n % 97) as f64;
            let payload = format!(r#"{{"series":"{series}","timestamp":{now},"value":{value}}}"#);
            (series, payload)
        }
        LoadKind::Logs => {
            let template = LOG_TEMPLATES[(n % LOG_TEMPLATES.len() as u64) as usize];
            let mut fields = [n, n % 1000, n % 255, n % 7].into_iter();
            let line = template.split("{}").enumerate().fold(String::new(), |mut line, (i, piece)| {
                if i > 0 {
                    line.push_str(&fields.next().unwrap_or(0).to_string());
                }
                line.push_str(piece);
                line
            });
            (String::new(), line)
        }
    }
}

/// Longest wait for the answer to one warm-up record before the next is sent.
const WARM_UP_WAIT: Duration = Duration::from_millis(500);

/// Sends `kind` records to `topic` one at a time, each delivered before the next, until the service has answered
/// every one sent (`answered`, counted by the reader while warming up) and at least one; fails after `limit`.
pub fn warm_up(
    settings: &ClientConfig,
    topic: &str,
    kind: LoadKind,
    answered: &AtomicU64,
    limit: Duration,
) -> Result<u64, String> {
    let producer: BaseProducer = settings.create().map_err(|e| format!("cannot create the warm-up producer: {e}"))?;
    let (clock, started) = (SystemClock, Instant::now());
    let mut sent = 0;
    while started.elapsed() < limit {
        let (key, payload) = record(kind, sent, clock.now());
        let mut base = BaseRecord::to(topic).payload(&payload);
        if !key.is_empty() {
            base = base.key(&key);
        }
        producer.send(base).map_err(|(e, _)| format!("cannot produce to {topic}: {e}"))?;
        producer.flush(Duration::from_secs(30)).map_err(|e| format!("cannot deliver the warm-up: {e}"))?;
        sent += 1;
        let waiting = Instant::now();
        while answered.load(Ordering::Relaxed) < sent && waiting.elapsed() < WARM_UP_WAIT {
            std::thread::sleep(Duration::from_millis(2));
        }
        if answered.load(Ordering::Relaxed) >= sent {
            return Ok(sent);
        }
    }
    Err(format!("the service did not answer within {}s", limit.as_secs()))
}

/// Produces `kind` records to `topic` at `rate` per second (unlimited when `None`) for `duration`; returns how
/// many were sent.
pub fn produce(
    settings: &ClientConfig,
    topic: &str,
    kind: LoadKind,
    rate: Option<u64>,
    duration: Duration,
    deliveries: Arc<Deliveries>,
    sent: &AtomicU64,
) -> Result<u64, String> {
    let producer: ThreadedProducer<Reports> = settings
        .clone()
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "1000000")
        .create_with_context(Reports(deliveries))
        .map_err(|e| format!("cannot create the load producer: {e}"))?;
    let clock = SystemClock;
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < duration {
        let due = rate.map_or(n + 1000, |rate| (started.elapsed().as_secs_f64() * rate as f64) as u64);
        while n < due {
            let now = clock.now();
            let (key, payload) = record(kind, n, now);
            let mut base = BaseRecord::with_opaque_to(topic, now as usize).payload(&payload);
            if !key.is_empty() {
                base = base.key(&key);
            }
            match producer.send(base) {
                Ok(()) => {
                    n += 1;
                    sent.store(n, Ordering::Relaxed);
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((error, _)) => return Err(format!("cannot produce to {topic}: {error}")),
            }
        }
        if rate.is_some() {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    producer.flush(Duration::from_secs(30)).map_err(|e| format!("cannot flush the load: {e}"))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_valid_and_varied() {
        let (key, payload) = record(LoadKind::Metrics, 1234, 1_700_000_000_000);
        let event: serde_json::Value = serde_json::from_str(&payload).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((key.as_str(), event["timestamp"].as_i64()), ("service-234", Some(1_700_000_000_000)));
        let (_, line) = record(LoadKind::Logs, 7, 0);
        assert_eq!(line, "WARN slow query 7 took 7 ms on shard 7");
        assert_ne!(record(LoadKind::Logs, 8, 0).1, record(LoadKind::Logs, 14, 0).1, "fields vary");
    }
}
