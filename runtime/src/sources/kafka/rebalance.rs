//! The consumer context: librdkafka calls it during polls when the group moves partitions; it records the changes
//! for the source to turn into [`crate::sources::Step`]s in order with the records. With a lag gauge, it also reads
//! librdkafka's periodic statistics for the records still waiting in the partitions read here.

use std::sync::Mutex;

use prometheus_client::metrics::gauge::Gauge;
use rdkafka::{
    ClientContext, Statistics,
    consumer::{BaseConsumer, ConsumerContext, Rebalance},
};

/// A change of this process's assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Partitions now read here.
    Assigned(Vec<i32>),
    /// Partitions no longer read here.
    Revoked(Vec<i32>),
}

/// Records assignment changes as librdkafka reports them.
#[derive(Default)]
pub struct RebalanceLog {
    changes: Mutex<Vec<Change>>,
    lag: Option<Gauge>,
}

impl RebalanceLog {
    /// A context that also sets `lag` from the statistics (`statistics.interval.ms` must be set).
    pub fn with_lag(lag: Option<Gauge>) -> Self {
        Self { changes: Mutex::default(), lag }
    }

    /// The changes since the last call, oldest first.
    pub fn take(&self) -> Vec<Change> {
        std::mem::take(&mut *self.changes.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn push(&self, change: Change) {
        self.changes.lock().unwrap_or_else(|e| e.into_inner()).push(change);
    }
}

impl ClientContext for RebalanceLog {
    fn stats(&self, statistics: Statistics) {
        if let Some(lag) = &self.lag {
            lag.set(waiting(&statistics));
        }
    }
}

/// Records waiting in the partitions this consumer reads: from what it last handed to the runtime (or, before that,
/// its committed offset) to the end of the partition (the last stable offset under read_committed, librdkafka's
/// default). Partitions whose offsets are not known yet count nothing.
fn waiting(statistics: &Statistics) -> i64 {
    let partitions = statistics.topics.values().flat_map(|topic| topic.partitions.values());
    partitions
        .filter(|p| p.partition >= 0 && p.desired)
        .map(|p| {
            let end = if p.ls_offset >= 0 { p.ls_offset } else { p.hi_offset };
            let read = if p.app_offset >= 0 { p.app_offset } else { p.committed_offset };
            if end >= 0 && read >= 0 { (end - read).max(0) } else { 0 }
        })
        .sum()
}

impl ConsumerContext for RebalanceLog {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let partitions = list.elements().iter().map(|element| element.partition()).collect();
            self.push(Change::Revoked(partitions));
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                let partitions = list.elements().iter().map(|element| element.partition()).collect();
                self.push(Change::Assigned(partitions));
            }
            Rebalance::Error(error) => tracing::warn!(%error, "consumer group rebalance failed"),
            Rebalance::Revoke(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use rdkafka::statistics::{Partition, Topic};

    use super::*;

    fn partition(partition: i32, desired: bool, (ls, hi): (i64, i64), (app, committed): (i64, i64)) -> Partition {
        Partition {
            partition,
            desired,
            ls_offset: ls,
            hi_offset: hi,
            app_offset: app,
            committed_offset: committed,
            ..Partition::default()
        }
    }

    #[test]
    fn lag_is_what_waits_in_the_partitions_read_here() {
        let mut topic = Topic::default();
        let partitions = [
            // 100 records after the last one handed to the runtime (not the committed offset, which lags behind).
            partition(0, true, (1000, 1000), (900, 800)),
            // Nothing handed over yet: from the committed offset; no last stable offset known: to the high watermark.
            partition(1, true, (-1, 500), (-1, 450)),
            // Not read here, librdkafka's internal partition, and offsets not known yet: nothing.
            partition(2, false, (1000, 1000), (0, 0)),
            partition(-1, true, (10, 10), (0, 0)),
            partition(3, true, (100, 100), (-1, -1)),
        ];
        topic.partitions = partitions.into_iter().map(|p| (p.partition, p)).collect();
        let mut statistics = Statistics::default();
        statistics.topics.insert("metrics".into(), topic);
        assert_eq!(waiting(&statistics), 150);
    }
}
