//! The consuming end of `augur-bench e2e`: reads the result topic from the beginning and measures, for every
//! result, the time from the send of its input to its arrival. Results that arrive while `warming` is set answer
//! warm-up records: they are counted in `answered` only, never timed.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use rdkafka::{
    ClientConfig, Message, Offset, TopicPartitionList,
    consumer::{BaseConsumer, Consumer},
};

use super::load::{Deliveries, LoadKind};
use augur_runtime::time::{Clock, SystemClock};

/// What the reader saw.
#[derive(Debug, Default)]
pub struct Arrivals {
    /// Milliseconds from send to arrival, one per result.
    pub latencies_ms: Vec<i64>,
    /// When the last result arrived (ms since the epoch).
    pub last_ms: i64,
}

/// Whether the reader is still in the warm-up, and how many warm-up results it saw.
#[derive(Debug)]
pub struct WarmUp {
    /// Set until the timed load starts.
    pub warming: AtomicBool,
    /// Results that arrived while warming.
    pub answered: AtomicU64,
}

/// Reads `topic` until `stop` is set, counting results of the timed load in `count`.
pub fn read(
    settings: &ClientConfig,
    topic: &str,
    kind: LoadKind,
    deliveries: &Deliveries,
    (count, warm_up): (&AtomicU64, &WarmUp),
    stop: &Arc<AtomicBool>,
) -> Result<Arrivals, String> {
    let consumer: BaseConsumer = settings
        .clone()
        .set("group.id", format!("{topic}-reader"))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10")
        .create()
        .map_err(|e| format!("cannot create the result reader: {e}"))?;
    let mut assignment = TopicPartitionList::new();
    assignment.add_partition_offset(topic, 0, Offset::Beginning).map_err(|e| e.to_string())?;
    consumer.assign(&assignment).map_err(|e| e.to_string())?;
    let clock = SystemClock;
    let mut arrivals = Arrivals::default();
    let mut unmatched: Vec<(i64, i64)> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) else { continue };
        let now = clock.now();
        let Some(result) = message.payload().and_then(|p| serde_json::from_slice::<serde_json::Value>(p).ok()) else {
            continue;
        };
        // Template and group events come with the lines; only each line's own result is timed.
        if matches!(kind, LoadKind::Logs) && result["event"] != "line" {
            continue;
        }
        if warm_up.warming.load(Ordering::Relaxed) {
            warm_up.answered.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        count.fetch_add(1, Ordering::Relaxed);
        arrivals.last_ms = now;
        match kind {
            LoadKind::Metrics => {
                if let Some(sent) = result["timestamp"].as_i64() {
                    arrivals.latencies_ms.push(now - sent);
                }
            }
            // A log result names its input's offset; its send time comes from the delivery report, which may
            // be recorded a moment after the result arrives.
            LoadKind::Logs => unmatched.push((result["line"].as_i64().unwrap_or(-1), now)),
        }
    }
    arrivals
        .latencies_ms
        .extend(unmatched.into_iter().filter_map(|(offset, now)| deliveries.sent_at(0, offset).map(|sent| now - sent)));
    Ok(arrivals)
}

/// The `q` quantile (0..=1) of `values`, sorting them.
pub fn quantile(values: &mut [i64], q: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((values.len() - 1) as f64 * q).round() as usize;
    values.get(rank).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_rank() {
        let mut values: Vec<i64> = (1..=100).rev().collect();
        assert_eq!(quantile(&mut values, 0.5), Some(51));
        assert_eq!(quantile(&mut values, 0.99), Some(99));
        assert_eq!(quantile(&mut [], 0.5), None);
    }
}
