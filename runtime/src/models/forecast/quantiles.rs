//! Streaming quantiles of forecast errors: one estimate per quantile level and horizon step, nudged toward each new
//! error (stochastic approximation with a step proportional to the typical error size), so they track a drifting
//! error distribution in O(1) per update and calibrate the intervals empirically.

/// Running estimates of several quantiles of a stream.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StreamingQuantiles {
    levels: Vec<f64>,
    estimates: Vec<f64>,
    scale: f64,
    count: u64,
}

impl StreamingQuantiles {
    /// Estimates for `levels` (each in (0, 1)).
    pub fn new(levels: &[f64]) -> Self {
        Self { levels: levels.to_vec(), estimates: vec![0.0; levels.len()], scale: 0.0, count: 0 }
    }

    /// Absorbs one observation; `rate` sets how fast the estimates follow.
    pub fn observe(&mut self, value: f64, rate: f64) {
        if !value.is_finite() {
            return;
        }
        self.count += 1;
        let first = 1.0 / self.count as f64;
        self.scale += rate.max(first) * (value.abs() - self.scale);
        // A step proportional to the rate and the typical size: estimates settle within a few 1/rate observations.
        let step = 4.0 * self.scale.max(f64::EPSILON) * rate.max(first);
        for (estimate, level) in self.estimates.iter_mut().zip(&self.levels) {
            *estimate += step * if value > *estimate { *level } else { level - 1.0 };
        }
        // Estimates of increasing levels must not cross.
        for i in 1..self.estimates.len() {
            if self.estimates[i] < self.estimates[i - 1] {
                self.estimates[i] = self.estimates[i - 1];
            }
        }
    }

    /// The current estimates, one per level.
    pub fn estimates(&self) -> &[f64] {
        &self.estimates
    }

    /// Observations absorbed.
    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converge_to_the_quantiles_of_a_uniform_stream() {
        let mut quantiles = StreamingQuantiles::new(&[0.1, 0.5, 0.9]);
        let mut x: u64 = 1;
        for _ in 0..200_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            quantiles.observe((x >> 11) as f64 / (1u64 << 53) as f64, 0.001);
        }
        for (estimate, expected) in quantiles.estimates().iter().zip([0.1, 0.5, 0.9]) {
            assert!((estimate - expected).abs() < 0.03, "{estimate} vs {expected}");
        }
    }

    #[test]
    fn estimates_stay_ordered_and_ignore_non_finite_values() {
        let mut quantiles = StreamingQuantiles::new(&[0.05, 0.5, 0.95]);
        for i in 0..1000 {
            quantiles.observe(if i % 2 == 0 { f64::NAN } else { f64::from(i % 17) }, 0.01);
            assert!(quantiles.estimates().windows(2).all(|pair| pair[0] <= pair[1]));
        }
        assert_eq!(quantiles.count(), 500);
    }
}
