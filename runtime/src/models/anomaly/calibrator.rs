//! Turning a feature value into a surprise: the decayed empirical tail of the feature's own history.
//!
//! Each feature `f >= 0` (an excess over a fixed threshold) is binned on log-spaced edges. `cumulative[i]` is the
//! exponentially weighted count of past values at or above edge `i`, so the tail probability of a new value is read
//! in O(1). An exponential prior keeps a never-seen excursion improbable, while a kind of excursion seen a few times
//! recently (a daily batch job) stops being surprising. Forgetting is lazy: the increment weight grows each point and
//! all counts are rescaled when it gets large (amortised O(1)).

/// Number of log-spaced bins.
const BINS: usize = 32;
/// Lower edge of bin 0.
const BASE: f64 = 0.05;
/// Ratio between consecutive edges (√2).
const RATIO_LN: f64 = std::f64::consts::LN_2 / 2.0;
/// Rescale the counts when the lazy increment weight passes this.
const RESCALE_AT: f64 = 1e6;

/// Prior of the tail: an exponential distribution of excesses, worth `weight` pseudo-points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TailPrior {
    /// Prior rate of `f > 0`.
    pub rate: f64,
    /// Mean excess of the prior's exponential tail.
    pub mean_excess: f64,
    /// Weight in pseudo-points.
    pub weight: f64,
}

/// The decayed tail of one feature.
#[derive(Clone, Debug)]
pub struct TailCalibrator {
    cumulative: [f64; BINS],
    total: f64,
    increment: f64,
}

impl Default for TailCalibrator {
    fn default() -> Self {
        Self { cumulative: [0.0; BINS], total: 0.0, increment: 1.0 }
    }
}

impl TailCalibrator {
    /// Scores `feature` as `-log10 P(F >= feature)` under the history and the prior, then absorbs it with
    /// forgetting rate `rate`.
    pub fn surprise(&mut self, feature: f64, rate: f64, prior: &TailPrior) -> f64 {
        let mut surprise = 0.0;
        let mut bin = None;
        if feature > 0.0 {
            let index = ((feature.ln() - BASE.ln()) / RATIO_LN).floor();
            let index = if index < 0.0 { None } else { Some((index as usize).min(BINS - 1)) };
            bin = index;
            let count = index.map_or(self.total, |i| self.cumulative[i]) / self.increment;
            let denominator = self.total / self.increment + prior.weight;
            surprise = if count > 0.0 {
                -((count + prior.weight * prior.rate * (-feature / prior.mean_excess).exp()) / denominator).log10()
            } else {
                (feature / prior.mean_excess - (prior.weight * prior.rate / denominator).ln()) / std::f64::consts::LN_10
            };
            surprise = surprise.max(0.0);
        }
        self.increment /= 1.0 - rate;
        self.total += self.increment;
        if let Some(bin) = bin {
            for count in &mut self.cumulative[..=bin] {
                *count += self.increment;
            }
        }
        if self.increment > RESCALE_AT {
            let scale = 1.0 / self.increment;
            self.total *= scale;
            self.cumulative.iter_mut().for_each(|count| *count *= scale);
            self.increment = 1.0;
        }
        surprise
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIOR: TailPrior = TailPrior { rate: 0.01, mean_excess: 4.0, weight: 100.0 };

    #[test]
    fn nothing_above_threshold_is_no_surprise() {
        let mut calibrator = TailCalibrator::default();
        assert_eq!(calibrator.surprise(0.0, 0.001, &PRIOR), 0.0);
        assert_eq!(calibrator.surprise(-3.0, 0.001, &PRIOR), 0.0);
    }

    #[test]
    fn a_rare_excess_surprises_and_a_habitual_one_stops_surprising() {
        let mut calibrator = TailCalibrator::default();
        for _ in 0..2000 {
            calibrator.surprise(0.0, 0.001, &PRIOR);
        }
        let first = calibrator.surprise(5.0, 0.001, &PRIOR);
        assert!(first > 3.0, "a first large excess after quiet history is surprising: {first}");
        let mut last = first;
        for _ in 0..300 {
            last = calibrator.surprise(5.0, 0.001, &PRIOR);
        }
        assert!(last < 1.0, "after many repeats it is ordinary: {last}");
        assert!(calibrator.surprise(50.0, 0.001, &PRIOR) > last, "a far larger excess still surprises");
    }

    #[test]
    fn long_runs_stay_finite() {
        let mut calibrator = TailCalibrator::default();
        for i in 0..200_000 {
            let s = calibrator.surprise(f64::from(i % 7), 0.001, &PRIOR);
            assert!(s.is_finite() && s >= 0.0);
        }
    }
}
