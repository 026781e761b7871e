//! Per-series state with a bound: at most `max_series` models live; past that the least recently seen series are
//! evicted in a batch (1/16 of the bound at a time), which keeps eviction O(1) amortised per point without an LRU list.

use std::collections::HashMap;

use super::SeriesModel;
use crate::{record::SeriesId, time::Millis};

struct Slot<M> {
    model: M,
    last_seen: u64,
}

/// Models keyed by series id, created on first sight by a factory.
pub struct KeyedModels<M, F> {
    slots: HashMap<SeriesId, Slot<M>>,
    factory: F,
    max_series: usize,
    tick: u64,
    evicted: u64,
}

impl<M: SeriesModel, F: FnMut(&SeriesId) -> M> KeyedModels<M, F> {
    /// At most `max_series` (at least 1) series, each created by `factory`.
    pub fn new(max_series: usize, factory: F) -> Self {
        Self { slots: HashMap::new(), factory, max_series: max_series.max(1), tick: 0, evicted: 0 }
    }

    /// Feeds a point to its series' model, creating (and if needed evicting) as required.
    pub fn update(&mut self, series: &SeriesId, timestamp: Millis, value: f64) -> M::Output {
        self.tick += 1;
        if !self.slots.contains_key(series) && self.slots.len() >= self.max_series {
            self.evict();
        }
        let tick = self.tick;
        let slot = match self.slots.get_mut(series) {
            Some(slot) => slot,
            None => {
                let model = (self.factory)(series);
                self.slots.entry(series.clone()).or_insert(Slot { model, last_seen: tick })
            }
        };
        slot.last_seen = tick;
        slot.model.update(timestamp, value)
    }

    /// Evicts the least recently seen sixteenth of the series.
    fn evict(&mut self) {
        let count = (self.max_series / 16).max(1);
        let mut ages: Vec<u64> = self.slots.values().map(|slot| slot.last_seen).collect();
        let cutoff_index = count.min(ages.len()) - 1;
        let (_, cutoff, _) = ages.select_nth_unstable(cutoff_index);
        let cutoff = *cutoff;
        let before = self.slots.len();
        self.slots.retain(|_, slot| slot.last_seen > cutoff);
        self.evicted += (before - self.slots.len()) as u64;
    }

    /// Series tracked now.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no series is tracked.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Series evicted so far.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The model of a series, if tracked.
    pub fn get(&self, series: &str) -> Option<&M> {
        self.slots.get(series).map(|slot| &slot.model)
    }

    /// Every series and its model, least recently seen first (the order a restore keeps).
    pub fn entries(&self) -> Vec<(&SeriesId, &M)> {
        let mut entries: Vec<(&SeriesId, &Slot<M>)> = self.slots.iter().collect();
        entries.sort_by_key(|(_, slot)| slot.last_seen);
        entries.into_iter().map(|(key, slot)| (key, &slot.model)).collect()
    }

    /// Replaces the state with `entries` (least recently seen first), keeping at most the bound's most recent.
    pub fn restore(&mut self, entries: impl IntoIterator<Item = (SeriesId, M)>) {
        self.slots.clear();
        let mut restored: Vec<(SeriesId, M)> = entries.into_iter().collect();
        let skip = restored.len().saturating_sub(self.max_series);
        for (series, model) in restored.drain(..).skip(skip) {
            self.tick += 1;
            self.slots.insert(series, Slot { model, last_seen: self.tick });
        }
    }

    /// Total state bytes of all models (keys included).
    pub fn state_bytes(&self) -> usize {
        self.slots.iter().map(|(key, slot)| key.len() + std::mem::size_of::<Slot<M>>() + slot.model.state_bytes()).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Counts points per series.
    struct Counter(u64);

    impl SeriesModel for Counter {
        type Output = u64;

        fn update(&mut self, _: Millis, _: f64) -> u64 {
            self.0 += 1;
            self.0
        }

        fn state_bytes(&self) -> usize {
            8
        }
    }

    #[test]
    fn each_series_has_its_own_state() {
        let mut models = KeyedModels::new(10, |_| Counter(0));
        let (a, b): (SeriesId, SeriesId) = (Arc::from("a"), Arc::from("b"));
        assert_eq!(models.update(&a, 0, 0.0), 1);
        assert_eq!(models.update(&a, 1, 0.0), 2);
        assert_eq!(models.update(&b, 1, 0.0), 1);
        assert_eq!(models.len(), 2);
    }

    #[test]
    fn memory_stays_bounded_under_unique_series_and_recent_series_survive() {
        let mut models = KeyedModels::new(64, |_| Counter(0));
        let hot: SeriesId = Arc::from("hot");
        for i in 0..100_000 {
            models.update(&hot, i, 0.0);
            models.update(&Arc::from(format!("unique-{i}")), i, 0.0);
            assert!(models.len() <= 64);
        }
        assert!(models.get("hot").is_some_and(|c| c.0 == 100_000), "a series seen every step is never evicted");
        assert!(models.evicted() >= 100_000 - 64);
    }
}
