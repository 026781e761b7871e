//! A forecast as the engine reads it: a grid of future steps, one value per quantile, the quantiles of the
//! *largest* value from the first step through each step, and what is known of its quality and history.
//!
//! Point `i` stands for the load over `[start + i·step, start + (i+1)·step)`. Quantile columns may arrive in any
//! order and rows may cross (a 0.9 value below the 0.5 one); reading sorts both, which is the standard
//! "rearrangement" fix for quantile crossing and never makes a forecast less monotone.
//!
//! # Peaks
//! Capacity must cover the largest load of a window, and the q-quantile of a maximum is not the maximum of the
//! per-step q-quantiles: with errors that are not perfectly correlated from step to step, the chance that *some* step
//! exceeds its q-quantile grows with the window, so the maximum of per-step quantiles under-provisions. The Forecaster
//! therefore publishes `peaks`: row `i` holds quantiles of the largest value over rows `0..=i`, learned from its own
//! errors on that very quantity. Without them (a forecast from an older runtime) the engine falls back to the maximum
//! of per-step quantiles, and says so nowhere because it cannot know better.

use augur_crds::kinds::forecaster::PublishedForecast;

/// How much of the history its full model needs a series has seen, while it has not seen all of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct History {
    /// Steps of history seen.
    pub points: u64,
    /// Steps the full model needs (one season and a few scored forecasts).
    pub needed: u64,
}

impl History {
    /// The share of the needed history seen, in `[0, 1]`.
    pub fn fraction(&self) -> f64 {
        if self.needed == 0 { 1.0 } else { (self.points as f64 / self.needed as f64).clamp(0.0, 1.0) }
    }

    /// Whether all of it has been seen.
    pub fn complete(&self) -> bool {
        self.points >= self.needed
    }
}

/// A load or usage forecast, in plain milliseconds since the Unix epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastView {
    /// Time of the first point.
    pub start_ms: i64,
    /// Spacing of points.
    pub step_ms: i64,
    /// The quantile of each column of `points` and `peaks`, each in (0, 1).
    pub quantiles: Vec<f64>,
    /// One row per step ahead; each row holds one value per quantile.
    pub points: Vec<Vec<f64>>,
    /// Row `i`: one value per quantile of the largest value over rows `0..=i`; empty when not published.
    pub peaks: Vec<Vec<f64>>,
    /// When the forecast was made.
    pub generated_at_ms: i64,
    /// Rolling error of the forecast (MASE: 1.0 is no better than repeating the last season); `None` until measured.
    pub accuracy: Option<f64>,
    /// Rolling skill against repeating the last value: `1 − error ÷ error of the last value`; `None` until measured.
    pub skill: Option<f64>,
    /// The series' history while it is shorter than the full model needs; `None` once complete (or not published).
    pub history: Option<History>,
    /// Whether the Forecaster says its models are ready (its `ModelReady` condition); a forecast with a partial
    /// `history` is used with partial trust whatever this says.
    pub model_ready: bool,
}

impl From<&PublishedForecast> for ForecastView {
    /// Reads a forecast from a Forecaster's status, with `model_ready` true; set it from the Forecaster's
    /// `ModelReady` condition if that says otherwise.
    fn from(published: &PublishedForecast) -> Self {
        let accuracy = published.accuracy.as_ref();
        Self {
            start_ms: published.start.0.as_millisecond(),
            step_ms: i64::try_from(published.step.as_std().as_millis()).unwrap_or(i64::MAX),
            quantiles: published.quantiles.clone(),
            points: published.points.clone(),
            peaks: published.peaks.clone(),
            generated_at_ms: published.generated_at.0.as_millisecond(),
            accuracy: accuracy.and_then(|accuracy| accuracy.mase),
            skill: accuracy.and_then(|accuracy| accuracy.skill),
            history: published.warm_up.as_ref().map(|w| History {
                points: u64::try_from(w.points).unwrap_or(0),
                needed: u64::try_from(w.needed).unwrap_or(0),
            }),
            model_ready: true,
        }
    }
}

impl ForecastView {
    /// End of the last point's interval.
    pub fn end_ms(&self) -> i64 {
        let steps = i64::try_from(self.points.len()).unwrap_or(i64::MAX);
        self.start_ms.saturating_add(steps.saturating_mul(self.step_ms))
    }

    /// Quantile `q` of point `row`, interpolated between the published quantiles (see [`interpolate_quantile`]).
    pub fn quantile_at(&self, row: usize, q: f64) -> Option<f64> {
        interpolate_quantile(&self.quantiles, self.points.get(row)?, q)
    }

    /// The rows whose interval overlaps `[from_ms, to_ms)`, as an inclusive range; `None` when none does.
    fn rows(&self, from_ms: i64, to_ms: i64) -> Option<(usize, usize)> {
        if self.step_ms <= 0 || self.points.is_empty() || to_ms <= from_ms {
            return None;
        }
        let row = |time: i64| time.saturating_sub(self.start_ms).div_euclid(self.step_ms);
        let last = i64::try_from(self.points.len() - 1).unwrap_or(i64::MAX);
        let (first, end) = (row(from_ms).max(0), row(to_ms.saturating_sub(1)).min(last));
        if first > end || end < 0 {
            return None;
        }
        Some((usize::try_from(first).ok()?, usize::try_from(end).ok()?))
    }

    /// The largest quantile-`q` value over the points whose interval overlaps `[from_ms, to_ms)`; `None` when no
    /// point does or a row cannot be read. A lower bound of [`window_peak`](Self::window_peak).
    pub fn window_max(&self, q: f64, from_ms: i64, to_ms: i64) -> Option<f64> {
        let (first, last) = self.rows(from_ms, to_ms)?;
        (first..=last).try_fold(f64::NEG_INFINITY, |max, row| Some(max.max(self.quantile_at(row, q)?)))
    }

    /// The q-quantile of the largest load over `[from_ms, to_ms)`: from `peaks` (the largest value from the first
    /// row through the window's last row, so a window that starts a row or two in is covered from the start), or,
    /// without peaks, the largest per-step quantile. `None` when no point overlaps the window or a row is unusable.
    pub fn window_peak(&self, q: f64, from_ms: i64, to_ms: i64) -> Option<f64> {
        let (_, last) = self.rows(from_ms, to_ms)?;
        match self.peaks.get(last) {
            // Never below the per-step quantiles: a peak row that says less than one of its own steps is stale.
            Some(peaks) => {
                Some(interpolate_quantile(&self.quantiles, peaks, q)?.max(self.window_max(q, from_ms, to_ms)?))
            }
            None => self.window_max(q, from_ms, to_ms),
        }
    }
}

/// Quantile `q` from the values of the published `quantiles`, linear between the two nearest ones.
///
/// Outside the published range it extends the line through the two outermost quantiles, but never past the nearer
/// one's value in the wrong direction, so asking for 0.95 from `[0.5, 0.9]` gives at least the 0.9 value. With one
/// published quantile that value is returned for every `q`. `None` when the lengths differ, nothing is published,
/// or a quantile or value is not finite.
pub fn interpolate_quantile(quantiles: &[f64], values: &[f64], q: f64) -> Option<f64> {
    if quantiles.is_empty() || quantiles.len() != values.len() || !q.is_finite() {
        return None;
    }
    if quantiles.iter().chain(values).any(|x| !x.is_finite()) {
        return None;
    }
    let mut qs = quantiles.to_vec();
    let mut vs = values.to_vec();
    qs.sort_by(f64::total_cmp);
    vs.sort_by(f64::total_cmp);
    let last = qs.len() - 1;
    if last == 0 {
        return Some(vs[0]);
    }
    // The segment [i, i+1] that holds q, or the outermost one for extrapolation.
    let i = match qs.iter().position(|&x| x >= q) {
        None => last - 1,
        Some(0) => 0,
        Some(j) => j - 1,
    };
    let (q0, q1, v0, v1) = (qs[i], qs[i + 1], vs[i], vs[i + 1]);
    let value = if q1 > q0 { v0 + (v1 - v0) * (q - q0) / (q1 - q0) } else { v1 };
    Some(if q > qs[last] {
        value.max(vs[last])
    } else if q < qs[0] {
        value.min(vs[0])
    } else {
        value
    })
}

#[cfg(test)]
mod tests;
