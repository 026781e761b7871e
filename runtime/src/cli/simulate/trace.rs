//! Load traces: `timestamp,value[,series]` CSV read into series on a regular step.
//!
//! Each point is taken as the mean load over the step that starts at its timestamp (how CloudWatch, Prometheus
//! range queries and the NAB corpus report load), so between points demand *holds* the last value rather than being
//! interpolated: a linear ramp would invent a shape inside the step and would let a strategy see half a step into
//! the future. The step is the median gap between points; several points in one step are averaged, and a step with
//! no point repeats the previous value.

use std::{collections::BTreeMap, path::Path};

use anyhow::bail;

use crate::{decode::read_series, time::Millis};

/// Longest trace accepted, in steps (about 19 years of 1-minute points).
const MAX_STEPS: i64 = 10_000_000;

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
    pub fn from_points(name: &str, points: &[(Millis, f64)]) -> anyhow::Result<Self> {
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            bail!("series {name} has no points");
        };
        let mut gaps: Vec<Millis> = points.windows(2).map(|w| w[1].0 - w[0].0).filter(|g| *g > 0).collect();
        gaps.sort_unstable();
        let Some(&step_ms) = gaps.get(gaps.len() / 2) else {
            bail!("series {name} needs points at two different times at least");
        };
        let steps = (last.0 - first.0) / step_ms + 1;
        if steps > MAX_STEPS {
            bail!("series {name} spans {steps} steps of {step_ms} ms; at most {MAX_STEPS} are simulated");
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

/// Reads the one series to simulate: `wanted`, or the only series of the file.
pub fn read_trace(path: &Path, wanted: Option<&str>) -> anyhow::Result<Trace> {
    let mut series = read_series(path)?;
    let (name, points) = match wanted {
        Some(name) => match series.remove_entry(name) {
            Some(entry) => entry,
            None => bail!("{} has no series {name:?}; it has: {}", path.display(), list(&series)),
        },
        None if series.len() == 1 => series.pop_first().unwrap_or_default(),
        None => bail!("{} holds {} series; pick one with --series ({})", path.display(), series.len(), list(&series)),
    };
    Trace::from_points(&name, &points)
}

fn list(series: &BTreeMap<String, Vec<(Millis, f64)>>) -> String {
    let names: Vec<&str> = series.keys().take(10).map(String::as_str).collect();
    let more = if series.len() > 10 { format!(" and {} more", series.len() - 10) } else { String::new() };
    format!("{}{more}", names.join(", "))
}
