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
/// Lower edges of the bins, `BASE * √2^i`; binary search over them replaces a logarithm per feature.
static EDGES: std::sync::LazyLock<[f64; BINS]> =
    std::sync::LazyLock::new(|| std::array::from_fn(|i| BASE * (i as f64 * RATIO_LN).exp()));

/// The bin of a positive feature: the last edge at or below it, or `None` below the first edge.
fn bin_of(feature: f64) -> Option<usize> {
    EDGES.partition_point(|edge| *edge <= feature).checked_sub(1)
}

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

/// The decayed tails of `N` features observed together. Every feature is absorbed at every point with the same rate,
/// so the total weight and the lazy increment are shared: one pair of scalars, touched once per point, and each
/// feature's bins only when the feature is positive.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TailCalibrators<const N: usize> {
    total: f64,
    increment: f64,
    /// `f32`: a relative precision of 1e-7 is far finer than any tail probability needs, at half the memory.
    #[serde(with = "bins")]
    cumulative: [[f32; BINS]; N],
}

/// Serde for the bin arrays (serde derives arrays only up to 32 elements and not for const-generic lengths).
mod bins {
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    use super::BINS;

    pub fn serialize<S: Serializer, const N: usize>(bins: &[[f32; BINS]; N], serializer: S) -> Result<S::Ok, S::Error> {
        bins.iter().flatten().copied().collect::<Vec<f32>>().serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        deserializer: D,
    ) -> Result<[[f32; BINS]; N], D::Error> {
        let flat = Vec::<f32>::deserialize(deserializer)?;
        if flat.len() != N * BINS {
            return Err(D::Error::custom(format!("expected {} bin counts, found {}", N * BINS, flat.len())));
        }
        Ok(std::array::from_fn(|feature| std::array::from_fn(|bin| flat[feature * BINS + bin])))
    }
}

impl<const N: usize> Default for TailCalibrators<N> {
    fn default() -> Self {
        Self { total: 0.0, increment: 1.0, cumulative: [[0.0; BINS]; N] }
    }
}

impl<const N: usize> TailCalibrators<N> {
    /// Scores each feature as `-log10 P(F >= feature)` under its history and the prior, then absorbs them all with
    /// forgetting rate `rate`. Returns the largest surprise and the index of its feature.
    pub fn surprise(&mut self, features: &[f64; N], rate: f64, prior: &TailPrior) -> (f64, Option<usize>) {
        let (mut best, mut strongest) = (0.0, None);
        let previous_total = self.total / self.increment;
        let denominator = previous_total + prior.weight;
        self.increment /= 1.0 - rate;
        self.total += self.increment;
        for (index, (&feature, cumulative)) in features.iter().zip(&mut self.cumulative).enumerate() {
            if feature <= 0.0 {
                continue;
            }
            let bin = bin_of(feature);
            // The count is read before this point's own weight is added.
            let increment_before = self.increment * (1.0 - rate);
            let count = bin.map_or(previous_total, |i| f64::from(cumulative[i]) / increment_before);
            let surprise = if count > 0.0 {
                -((count + prior.weight * prior.rate * (-feature / prior.mean_excess).exp()) / denominator).log10()
            } else {
                (feature / prior.mean_excess - (prior.weight * prior.rate / denominator).ln()) / std::f64::consts::LN_10
            };
            if surprise > best {
                (best, strongest) = (surprise, Some(index));
            }
            if let Some(bin) = bin {
                let increment = self.increment as f32;
                cumulative[..=bin].iter_mut().for_each(|count| *count += increment);
            }
        }
        if self.increment > RESCALE_AT {
            let scale = 1.0 / self.increment;
            self.total *= scale;
            self.cumulative.iter_mut().flatten().for_each(|count| *count = (f64::from(*count) * scale) as f32);
            self.increment = 1.0;
        }
        (best, strongest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIOR: TailPrior = TailPrior { rate: 0.01, mean_excess: 4.0, weight: 100.0 };

    fn one(calibrator: &mut TailCalibrators<1>, feature: f64) -> f64 {
        calibrator.surprise(&[feature], 0.001, &PRIOR).0
    }

    #[test]
    fn bins_are_log_spaced_by_root_two_from_the_base() {
        assert_eq!(bin_of(0.01), None);
        assert_eq!(bin_of(BASE), Some(0));
        assert_eq!(bin_of(BASE * 1.5), Some(1), "1.5 > √2");
        assert_eq!(bin_of(BASE * 2.0 * 1.01), Some(2));
        assert_eq!(bin_of(1e300), Some(BINS - 1));
    }

    #[test]
    fn nothing_above_threshold_is_no_surprise() {
        let mut calibrator = TailCalibrators::<2>::default();
        assert_eq!(calibrator.surprise(&[0.0, -3.0], 0.001, &PRIOR), (0.0, None));
    }

    #[test]
    fn the_most_surprising_feature_wins() {
        let mut calibrator = TailCalibrators::<3>::default();
        for _ in 0..1000 {
            calibrator.surprise(&[0.5, 0.0, 0.0], 0.001, &PRIOR);
        }
        let (surprise, strongest) = calibrator.surprise(&[0.5, 6.0, 1.0], 0.001, &PRIOR);
        assert_eq!(strongest, Some(1), "a habitual 0.5 is not news; a first 6.0 is");
        assert!(surprise > 3.0);
    }

    #[test]
    fn a_rare_excess_surprises_and_a_habitual_one_stops_surprising() {
        let mut calibrator = TailCalibrators::<1>::default();
        for _ in 0..2000 {
            one(&mut calibrator, 0.0);
        }
        let first = one(&mut calibrator, 5.0);
        assert!(first > 3.0, "a first large excess after quiet history is surprising: {first}");
        let mut last = first;
        for _ in 0..300 {
            last = one(&mut calibrator, 5.0);
        }
        assert!(last < 1.0, "after many repeats it is ordinary: {last}");
        assert!(one(&mut calibrator, 50.0) > last, "a far larger excess still surprises");
    }

    #[test]
    fn long_runs_stay_finite() {
        let mut calibrator = TailCalibrators::<1>::default();
        for i in 0..200_000 {
            let s = one(&mut calibrator, f64::from(i % 7));
            assert!(s.is_finite() && s >= 0.0);
        }
    }
}
