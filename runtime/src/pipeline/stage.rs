//! Stages: what the runner drives. A single [`Processor`] serves every partition (files, `augur try`);
//! [`Partitioned`] keeps one processor per source partition, so each partition's state can be checkpointed with its
//! offset and follow the partition to whichever process reads it after a rebalance.

use std::collections::BTreeMap;

use super::{Processor, StateError};
use crate::time::Millis;

/// Processing with per-partition state management.
pub trait Stage: Send {
    /// Input records.
    type Input;
    /// Results.
    type Output;

    /// Processes one record of `partition`.
    fn process(&mut self, partition: i32, input: Self::Input, out: &mut Vec<Self::Output>);

    /// The processors' timed work ([`Processor::on_time`]).
    fn on_time(&mut self, now: Millis, out: &mut Vec<Self::Output>);

    /// The processors' work at the end of a finite input ([`Processor::finish`]).
    fn finish(&mut self, now: Millis, out: &mut Vec<Self::Output>);

    /// `partition` is read here from now on, with state restored from `snapshot` if given. An unreadable snapshot
    /// is an error, and the partition starts fresh.
    fn assign(&mut self, partition: i32, snapshot: Option<&[u8]>) -> Result<(), StateError>;

    /// `partition` is read elsewhere now: its state is dropped.
    fn revoke(&mut self, partition: i32);

    /// A snapshot of `partition`'s state.
    fn checkpoint(&self, partition: i32) -> Result<Vec<u8>, StateError>;
}

/// One processor for every partition.
impl<P: Processor> Stage for P {
    type Input = P::Input;
    type Output = P::Output;

    fn process(&mut self, _partition: i32, input: P::Input, out: &mut Vec<P::Output>) {
        Processor::process(self, input, out);
    }

    fn on_time(&mut self, now: Millis, out: &mut Vec<P::Output>) {
        Processor::on_time(self, now, out);
    }

    fn finish(&mut self, now: Millis, out: &mut Vec<P::Output>) {
        Processor::finish(self, now, out);
    }

    fn assign(&mut self, _partition: i32, snapshot: Option<&[u8]>) -> Result<(), StateError> {
        snapshot.map_or(Ok(()), |snapshot| self.restore(snapshot))
    }

    fn revoke(&mut self, _partition: i32) {}

    fn checkpoint(&self, _partition: i32) -> Result<Vec<u8>, StateError> {
        Processor::checkpoint(self)
    }
}

/// One processor per partition, made on assignment (or on a partition's first record).
pub struct Partitioned<P> {
    make: Box<dyn Fn() -> P + Send>,
    processors: BTreeMap<i32, P>,
}

impl<P: Processor> Partitioned<P> {
    /// Processors made by `make`.
    pub fn new(make: impl Fn() -> P + Send + 'static) -> Self {
        Self { make: Box::new(make), processors: BTreeMap::new() }
    }

    /// The processor of `partition`, if it is read here.
    pub fn get(&self, partition: i32) -> Option<&P> {
        self.processors.get(&partition)
    }

    /// Every partition read here and its processor.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &P)> {
        self.processors.iter().map(|(partition, processor)| (*partition, processor))
    }
}

impl<P: Processor> Stage for Partitioned<P> {
    type Input = P::Input;
    type Output = P::Output;

    fn process(&mut self, partition: i32, input: P::Input, out: &mut Vec<P::Output>) {
        let make = &self.make;
        self.processors.entry(partition).or_insert_with(make).process(input, out);
    }

    fn on_time(&mut self, now: Millis, out: &mut Vec<P::Output>) {
        self.processors.values_mut().for_each(|processor| processor.on_time(now, out));
    }

    fn finish(&mut self, now: Millis, out: &mut Vec<P::Output>) {
        self.processors.values_mut().for_each(|processor| processor.finish(now, out));
    }

    fn assign(&mut self, partition: i32, snapshot: Option<&[u8]>) -> Result<(), StateError> {
        let mut processor = (self.make)();
        let restored = snapshot.map_or(Ok(()), |snapshot| processor.restore(snapshot));
        if restored.is_err() {
            processor = (self.make)();
        }
        self.processors.insert(partition, processor);
        restored
    }

    fn revoke(&mut self, partition: i32) {
        self.processors.remove(&partition);
    }

    fn checkpoint(&self, partition: i32) -> Result<Vec<u8>, StateError> {
        self.processors.get(&partition).map_or(Ok(Vec::new()), Processor::checkpoint)
    }
}
