//! A forecast as the engine reads it: a grid of future steps, one value per quantile, plus what is known of its
//! quality.
//!
//! Point `i` stands for the load over `[start + i·step, start + (i+1)·step)`. Quantile columns may arrive in any
//! order and rows may cross (a 0.9 value below the 0.5 one); reading sorts both, which is the standard
//! "rearrangement" fix for quantile crossing and never makes a forecast less monotone.

use augur_crds::kinds::forecaster::PublishedForecast;

/// A load or usage forecast, in plain milliseconds since the Unix epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastView {
    /// Time of the first point.
    pub start_ms: i64,
    /// Spacing of points.
    pub step_ms: i64,
    /// The quantile of each column of `points`, each in (0, 1).
    pub quantiles: Vec<f64>,
    /// One row per step ahead; each row holds one value per quantile.
    pub points: Vec<Vec<f64>>,
    /// When the forecast was made.
    pub generated_at_ms: i64,
    /// Rolling error of the forecast (MASE: 1.0 is no better than repeating the last season); `None` until measured.
    pub accuracy: Option<f64>,
    /// Whether the model behind the forecast has finished warming up.
    pub model_ready: bool,
}

impl From<&PublishedForecast> for ForecastView {
    /// Reads a forecast from a Forecaster's status. A forecast is only published once its model is ready, so
    /// `model_ready` is `true`; set it from the Forecaster's `ModelReady` condition if that says otherwise.
    fn from(published: &PublishedForecast) -> Self {
        Self {
            start_ms: published.start.0.as_millisecond(),
            step_ms: i64::try_from(published.step.as_std().as_millis()).unwrap_or(i64::MAX),
            quantiles: published.quantiles.clone(),
            points: published.points.clone(),
            generated_at_ms: published.generated_at.0.as_millisecond(),
            accuracy: published.accuracy.as_ref().and_then(|accuracy| accuracy.mase),
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

    /// The largest quantile-`q` value over the points whose interval overlaps `[from_ms, to_ms)`; `None` when no
    /// point does or a row cannot be read.
    pub fn window_max(&self, q: f64, from_ms: i64, to_ms: i64) -> Option<f64> {
        if self.step_ms <= 0 {
            return None;
        }
        let mut max: Option<f64> = None;
        for row in 0..self.points.len() {
            let offset = i64::try_from(row).unwrap_or(i64::MAX).saturating_mul(self.step_ms);
            let begin = self.start_ms.saturating_add(offset);
            let end = begin.saturating_add(self.step_ms);
            if end <= from_ms || begin >= to_ms {
                continue;
            }
            let value = self.quantile_at(row, q)?;
            max = Some(max.map_or(value, |current: f64| current.max(value)));
        }
        max
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
mod tests {
    use super::*;

    fn assert_close(actual: Option<f64>, expected: f64) {
        let actual = actual.unwrap();
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
    }

    fn view(points: Vec<Vec<f64>>) -> ForecastView {
        ForecastView {
            start_ms: 1_000,
            step_ms: 100,
            quantiles: vec![0.1, 0.5, 0.9],
            points,
            generated_at_ms: 1_000,
            accuracy: Some(0.5),
            model_ready: true,
        }
    }

    #[test]
    fn interpolates_between_published_quantiles() {
        let qs = [0.1, 0.5, 0.9];
        let vs = [10.0, 20.0, 40.0];
        assert_close(interpolate_quantile(&qs, &vs, 0.5), 20.0);
        assert_close(interpolate_quantile(&qs, &vs, 0.7), 30.0);
        assert_close(interpolate_quantile(&qs, &vs, 0.3), 15.0);
        assert_close(interpolate_quantile(&qs, &vs, 0.1), 10.0);
        assert_close(interpolate_quantile(&qs, &vs, 0.9), 40.0);
    }

    #[test]
    fn extrapolates_monotonically_outside_the_published_range() {
        let qs = [0.5, 0.9];
        let vs = [20.0, 40.0];
        let high = interpolate_quantile(&qs, &vs, 0.95).unwrap();
        assert!((high - 42.5).abs() < 1e-9, "{high}");
        let low = interpolate_quantile(&qs, &vs, 0.1).unwrap();
        assert!((low - 0.0).abs() < 1e-9, "{low}");
        // A flat or inverted pair never extrapolates the wrong way.
        assert_close(interpolate_quantile(&[0.5, 0.9], &[30.0, 30.0], 0.99), 30.0);
    }

    #[test]
    fn sorts_unordered_columns_and_crossed_rows() {
        assert_close(interpolate_quantile(&[0.9, 0.1, 0.5], &[40.0, 10.0, 20.0], 0.7), 30.0);
        // Crossed: the 0.9 value is below the 0.5 one; rearranged, 0.9 takes the larger.
        assert_close(interpolate_quantile(&[0.5, 0.9], &[50.0, 30.0], 0.9), 50.0);
    }

    #[test]
    fn single_quantile_and_bad_input() {
        assert_close(interpolate_quantile(&[0.5], &[7.0], 0.9), 7.0);
        assert_eq!(interpolate_quantile(&[], &[], 0.9), None);
        assert_eq!(interpolate_quantile(&[0.5, 0.9], &[1.0], 0.9), None);
        assert_eq!(interpolate_quantile(&[0.5, 0.9], &[1.0, f64::NAN], 0.9), None);
        assert_eq!(interpolate_quantile(&[0.5, 0.9], &[1.0, 2.0], f64::INFINITY), None);
    }

    #[test]
    fn window_max_takes_overlapping_points_only() {
        let v = view(vec![vec![1.0, 2.0, 3.0], vec![1.0, 5.0, 9.0], vec![1.0, 7.0, 20.0], vec![0.0, 100.0, 200.0]]);
        assert_eq!(v.end_ms(), 1_400);
        // [1000, 1200) overlaps rows 0 and 1.
        assert_eq!(v.window_max(0.5, 1_000, 1_200), Some(5.0));
        // [1150, 1201) touches rows 1 and 2.
        assert_eq!(v.window_max(0.9, 1_150, 1_201), Some(20.0));
        assert_eq!(v.window_max(0.9, 1_400, 1_500), None);
        assert_eq!(v.window_max(0.9, 0, 1_000), None);
    }

    #[test]
    fn converts_a_published_forecast() {
        let yaml = r"
series: load
generatedAt: 2026-01-01T00:00:00Z
start: 2026-01-01T00:05:00Z
step: 5m
quantiles: [0.5, 0.9]
points: [[1.0, 2.0], [3.0, 4.0]]
accuracy: {mase: 0.8, coverage: 0.9}
";
        let published: PublishedForecast = serde_saphyr::from_str(yaml).unwrap();
        let v = ForecastView::from(&published);
        assert_eq!(v.step_ms, 300_000);
        assert_eq!(v.start_ms - v.generated_at_ms, 300_000);
        assert_eq!(v.accuracy, Some(0.8));
        assert!(v.model_ready);
        assert_close(v.quantile_at(1, 0.7), 3.5);
    }
}
