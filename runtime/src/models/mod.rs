//! Models: per-series incremental computations. Each series owns one model instance in [`keyed::KeyedModels`],
//! which bounds how many series are tracked.

pub mod anomaly;
pub mod forecast;
pub mod keyed;
pub mod logs;

use crate::time::Millis;

/// An incremental model of one series: O(1) amortised work per point, bounded state.
pub trait SeriesModel: Send + 'static {
    /// What each point produces.
    type Output;

    /// Feeds one point (in event-time order) and returns its result.
    fn update(&mut self, timestamp: Millis, value: f64) -> Self::Output;

    /// Approximate heap and inline bytes of this model's state.
    fn state_bytes(&self) -> usize;
}
