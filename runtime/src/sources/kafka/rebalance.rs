//! The consumer context: librdkafka calls it during polls when the group moves partitions; it records the changes
//! for the source to turn into [`crate::sources::Step`]s in order with the records.

use std::sync::Mutex;

use rdkafka::{
    ClientContext,
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
}

impl RebalanceLog {
    /// The changes since the last call, oldest first.
    pub fn take(&self) -> Vec<Change> {
        std::mem::take(&mut *self.changes.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn push(&self, change: Change) {
        self.changes.lock().unwrap_or_else(|e| e.into_inner()).push(change);
    }
}

impl ClientContext for RebalanceLog {}

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
