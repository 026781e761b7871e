//! Load traces: a series on a regular step, each value the mean load over its step.
//!
//! Each point is taken as the mean load over the step that starts at its timestamp (how CloudWatch, Prometheus
//! range queries and the NAB corpus report load), so between points demand *holds* the last value rather than being
//! interpolated: a linear ramp would invent a shape inside the step and would let a strategy see half a step into
//! the future. The step is the median gap between points; several points in one step are averaged, and a step with
//! no point repeats the previous value.

use thiserror::Error;

use crate::Millis;

/// Longest trace accepted, in steps (about 19 years of 1-minute points).
const MAX_STEPS: i64 = 10_000_000;

/// Why points cannot be made into a trace.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TraceError {
    /// No points at all.
    #[error("series {0} has no points")]
    Empty(String),
    /// All points at one time: no step can be measured.
    #[error("series {0} needs points at two different times at least")]
    NoStep(String),
    /// More steps than are simulated.
    #[error("series {name} spans {steps} steps of {step_ms} ms; at most {MAX_STEPS} are simulated")]
    TooLong {
        /// Series name.
        name: String,
        /// Steps it spans.
        steps: i64,
        /// Its step.
        step_ms: Millis,
    },
}

/// A load series on a regular step.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Series name (the file name when the CSV has no series column).
    pub name: String,
    /// Start of the first step.
    pub start_ms: Millis,
    /// Step length.
    pub step_ms: Millis,
    /// Mean load of each step.
    pub values: Vec<f64>,
}

impl Trace {
    /// Puts time-sorted `(timestamp, value)` points on their median step.
    pub fn from_points(name: &str, points: &[(Millis, f64)]) -> Result<Self, TraceError> {
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            return Err(TraceError::Empty(name.to_owned()));
        };
        let mut gaps: Vec<Millis> = points.windows(2).map(|w| w[1].0 - w[0].0).filter(|g| *g > 0).collect();
        gaps.sort_unstable();
        let Some(&step_ms) = gaps.get(gaps.len() / 2) else {
            return Err(TraceError::NoStep(name.to_owned()));
        };
        let steps = (last.0 - first.0) / step_ms + 1;
        if steps > MAX_STEPS {
            return Err(TraceError::TooLong { name: name.to_owned(), steps, step_ms });
        }
        let mut sums = vec![(0.0, 0u32); usize::try_from(steps).unwrap_or(0)];
        for &(time, value) in points {
            let index = usize::try_from((time - first.0) / step_ms).unwrap_or(0);
            if let Some(slot) = sums.get_mut(index) {
                slot.0 += value;
                slot.1 += 1;
            }
        }
        let mut values = Vec::with_capacity(sums.len());
        let mut previous = first.1;
        for (sum, count) in sums {
            previous = if count > 0 { sum / f64::from(count) } else { previous };
            values.push(previous);
        }
        Ok(Self { name: name.to_owned(), start_ms: first.0, step_ms, values })
    }

    /// End of the last step.
    pub fn end_ms(&self) -> Millis {
        self.start_ms + self.step_ms * self.values.len() as i64
    }

    /// Index of the step holding `time`, clamped to the trace.
    pub fn index_at(&self, time: Millis) -> usize {
        let index = (time - self.start_ms).div_euclid(self.step_ms).max(0);
        usize::try_from(index).unwrap_or(0).min(self.values.len().saturating_sub(1))
    }

    /// Load at `time` (the value of its step).
    pub fn load_at(&self, time: Millis) -> f64 {
        self.values.get(self.index_at(time)).copied().unwrap_or(0.0)
    }

    /// Largest step value.
    pub fn peak(&self) -> f64 {
        self.values.iter().copied().fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_holds_each_value_over_its_step_and_fills_gaps() {
        let trace = Trace::from_points("t", &[(0, 1.0), (100, 3.0), (110, 5.0), (400, 7.0)]).unwrap();
        assert_eq!(trace.step_ms, 100);
        assert_eq!(trace.values, vec![1.0, 4.0, 4.0, 4.0, 7.0]);
        assert_eq!((trace.load_at(99), trace.load_at(100), trace.load_at(10_000)), (1.0, 4.0, 7.0));
        assert_eq!(Trace::from_points("t", &[(0, 1.0)]), Err(TraceError::NoStep("t".into())));
        assert_eq!(Trace::from_points("t", &[]), Err(TraceError::Empty("t".into())));
    }
}
