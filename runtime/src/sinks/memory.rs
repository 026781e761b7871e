//! Memory sink: keeps results (all, or only the latest `capacity`) for summaries and tests.

use std::collections::VecDeque;

use crate::pipeline::{Sink, SinkError};

/// Keeps at most `capacity` most recent items.
pub struct MemorySink<T> {
    items: VecDeque<T>,
    capacity: usize,
}

impl<T> MemorySink<T> {
    /// Keeps up to `capacity` items.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { items: VecDeque::new(), capacity }
    }

    /// The kept items, oldest first.
    pub fn items(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }
}

impl<T: Clone + Send + Sync> Sink<T> for MemorySink<T> {
    async fn write(&mut self, items: &[T]) -> Result<(), SinkError> {
        for item in items {
            if self.items.len() == self.capacity {
                self.items.pop_front();
            }
            if self.capacity > 0 {
                self.items.push_back(item.clone());
            }
        }
        Ok(())
    }
}
