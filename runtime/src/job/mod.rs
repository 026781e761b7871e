//! What a RuntimeConfig runs, whatever the source and the sinks: the processor of each partition, what each kind
//! keeps from its results, and what goes into its status. `augur run` and `augur try` both build their pipeline from
//! a [`Kind`] made here, so what `try` shows on a file is what a pod does on a topic; they differ only in the source
//! and the sinks.
//!
//! Which results are published and which metrics they move is the results' own [`ResultPolicy`]
//! (`sinks::results`), the same for both.

mod anomaly;
mod forecast;
mod logs;

pub use anomaly::AnomalyKind;
pub use forecast::ForecastKind;
pub use logs::LogKind;

use crate::{
    metrics::RuntimeMetrics,
    pipeline::{Partitioned, Processor},
    sinks::results::ResultPolicy,
    status::{KindEntries, ModelProgress},
    time::Millis,
};

/// One kind of resource's part of a pipeline.
pub trait Kind: Send + 'static {
    /// The per-partition processor.
    type Processor: Processor<Output = Self::Output>;
    /// Its results.
    type Output: ResultPolicy;

    /// Makes a processor for a newly read partition.
    fn factory(&self) -> Box<dyn Fn() -> Self::Processor + Send>;

    /// Takes a flush into account: the results just written and the stage after them.
    fn observe(
        &mut self,
        stage: &Partitioned<Self::Processor>,
        outputs: &[Self::Output],
        metrics: &RuntimeMetrics,
        now: Millis,
    );

    /// Series (or templates) tracked over the stage's partitions.
    fn series_tracked(&self, stage: &Partitioned<Self::Processor>) -> i64;

    /// This pod's entries of the kind's status and how far its models are; `wanted` lists the series policies use.
    fn report(
        &self,
        stage: &Partitioned<Self::Processor>,
        wanted: Option<&[String]>,
        now: Millis,
    ) -> (KindEntries, ModelProgress);
}
