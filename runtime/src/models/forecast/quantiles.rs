//! Streaming quantiles of a forecaster's own errors, per step ahead, and the peaks they give: quantiles of the
//! *largest* value from the first forecast step through each step.
//!
//! Each estimate moves by a small step towards its quantile on every scored error (the stochastic-gradient form of
//! the pinball loss), scaled by the step's mean absolute error so it adapts as fast on any unit. The peak of steps
//! `0..=k` is forecast as the largest point forecast over those steps plus a quantile of the error of exactly that
//! quantity (the largest actual minus the largest forecast), so the intervals of a maximum calibrate themselves
//! from how maxima actually came out, with no assumption of how errors correlate from step to step.

use serde::{Deserialize, Serialize};

/// Estimates per quantile level and step ahead (level × step).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorQuantiles {
    estimates: Vec<f64>,
    scored: Vec<u32>,
    horizon: usize,
}

/// Step of an estimate, in units of the step's mean absolute error.
const QUANTILE_STEP: f64 = 0.05;

impl ErrorQuantiles {
    /// Zeroed estimates for `levels` quantile levels over `horizon` steps.
    pub fn new(levels: usize, horizon: usize) -> Self {
        Self { estimates: vec![0.0; levels * horizon], scored: vec![0; horizon], horizon }
    }

    /// Learns one `error` of step `step`, whose mean absolute error is `scale`.
    pub fn learn(&mut self, levels: &[f64], step: usize, error: f64, scale: f64) {
        let Some(scored) = self.scored.get_mut(step) else { return };
        let first = *scored == 0;
        *scored = scored.saturating_add(1);
        let rate = QUANTILE_STEP * scale;
        for (index, level) in levels.iter().enumerate() {
            if let Some(estimate) = self.estimates.get_mut(index * self.horizon + step) {
                *estimate =
                    if first { 0.0 } else { *estimate + rate * (level - if error < *estimate { 1.0 } else { 0.0 }) };
            }
        }
    }

    /// The estimate of level `index` at `step` (0 when out of range).
    pub fn get(&self, index: usize, step: usize) -> f64 {
        self.estimates.get(index * self.horizon + step).copied().unwrap_or(0.0)
    }

    /// Table sizes, for checking a restored state against fresh parameters.
    pub fn shape(&self) -> (usize, usize) {
        (self.estimates.len(), self.scored.len())
    }

    /// Bytes of state.
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.estimates.len() * 8 + self.scored.len() * 4
    }
}

/// The running maxima of each kept forecast and the quantiles of their errors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Peaks {
    /// Per kept slot: the largest actual and the largest forecast so far of that forecast's steps.
    actual: Vec<f64>,
    forecast: Vec<f64>,
    errors: ErrorQuantiles,
}

impl Peaks {
    /// Peaks for `levels` quantile levels over `horizon` steps (and as many kept slots).
    pub fn new(levels: usize, horizon: usize) -> Self {
        Self {
            actual: vec![f64::NAN; horizon],
            forecast: vec![f64::NAN; horizon],
            errors: ErrorQuantiles::new(levels, horizon),
        }
    }

    /// Scores step `step` of the forecast kept in `slot`: its actual `actual` and point forecast `forecast`. Steps
    /// of one slot arrive in order from 0, which restarts its maxima.
    pub fn observe(&mut self, levels: &[f64], slot: usize, step: usize, actual: f64, forecast: f64, scale: f64) {
        let (Some(largest_actual), Some(largest_forecast)) = (self.actual.get_mut(slot), self.forecast.get_mut(slot))
        else {
            return;
        };
        if step == 0 || largest_actual.is_nan() {
            (*largest_actual, *largest_forecast) = (actual, forecast);
        } else {
            *largest_actual = largest_actual.max(actual);
            *largest_forecast = largest_forecast.max(forecast);
        }
        self.errors.learn(levels, step, *largest_actual - *largest_forecast, scale);
    }

    /// Row `k`: for each level, the quantile of the largest value over steps `0..=k` of the point forecast `base`,
    /// never below the same level of `points` row `k` nor of row `k − 1`, and non-decreasing across levels.
    pub fn rows(&self, levels: &[f64], base: &[f64], points: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let mut rows: Vec<Vec<f64>> = Vec::with_capacity(base.len());
        let mut largest = f64::NEG_INFINITY;
        for (step, value) in base.iter().enumerate() {
            largest = largest.max(*value);
            let mut row: Vec<f64> = (0..levels.len()).map(|index| largest + self.errors.get(index, step)).collect();
            for (index, cell) in row.iter_mut().enumerate() {
                let own = points.get(step).and_then(|p| p.get(index)).copied().unwrap_or(f64::NEG_INFINITY);
                let previous = rows.last().and_then(|p| p.get(index)).copied().unwrap_or(f64::NEG_INFINITY);
                *cell = cell.max(own).max(previous);
            }
            for index in 1..row.len() {
                row[index] = row[index].max(row[index - 1]);
            }
            rows.push(row);
        }
        rows
    }

    /// Table sizes, for checking a restored state against fresh parameters.
    pub fn shape(&self) -> (usize, usize, (usize, usize)) {
        (self.actual.len(), self.forecast.len(), self.errors.shape())
    }

    /// Bytes of state.
    pub fn bytes(&self) -> usize {
        (self.actual.len() + self.forecast.len()) * 8 + self.errors.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_estimates_settle_where_the_share_below_is_their_level() {
        let levels = [0.1, 0.5, 0.9];
        let mut quantiles = ErrorQuantiles::new(3, 1);
        // Errors uniform over -10..10 (a fixed cycle), mean absolute error 5.
        for i in 0..20_000 {
            quantiles.learn(&levels, 0, (i * 8 % 21) as f64 - 10.0, 5.0);
        }
        for (index, expected) in [(0, -8.0), (1, 0.0), (2, 8.0)] {
            assert!((quantiles.get(index, 0) - expected).abs() < 1.0, "{index}: {}", quantiles.get(index, 0));
        }
    }

    #[test]
    fn the_peak_of_a_window_is_above_the_largest_step_quantile() {
        // Every step's actual is its forecast ± 10, independently: each step's 0.9 quantile is forecast + 8, but
        // the largest of four steps exceeds its forecast by 8 far more often than one in ten.
        let levels = [0.5, 0.9];
        let mut peaks = Peaks::new(2, 4);
        let mut seed = 17u64;
        for forecast_index in 0..20_000usize {
            let slot = forecast_index % 4;
            for step in 0..4 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let noise = (seed >> 11) as f64 / (1u64 << 53) as f64 * 20.0 - 10.0;
                peaks.observe(&levels, slot, step, 100.0 + noise, 100.0, 5.0);
            }
        }
        let base = [100.0; 4];
        let points: Vec<Vec<f64>> = (0..4).map(|_| vec![100.0, 108.0]).collect();
        let rows = peaks.rows(&levels, &base, &points);
        // One step: its own quantiles. Four: the 0.9 quantile of the largest of four uniforms is ~ +9.5.
        assert!((rows[0][1] - 108.0).abs() < 1.0, "{:?}", rows[0]);
        assert!(rows[3][1] > 108.8 && rows[3][1] < 110.5, "{:?}", rows[3]);
        assert!(rows.windows(2).all(|w| w[1][1] >= w[0][1]), "peaks never fall with the window");
        assert!(rows[3][0] > 104.0, "the median of the largest of four is well above one step's: {:?}", rows[3]);
    }
}
