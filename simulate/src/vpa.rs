//! The Vertical Pod Autoscaler recommender's rule for one container resource, as its `target` recommendation is
//! computed (kubernetes/autoscaler, `vertical-pod-autoscaler/pkg/recommender`):
//!
//! - usage goes into a histogram with exponentially growing buckets (CPU: first bucket 0.01 cores, memory: 10 MB;
//!   each 5% wider than the last), every sample weighted by `2^(age / half-life)` relative to a reference time, with
//!   a half-life of 24 hours, so recent usage counts more;
//! - CPU samples are further weighted by the container's request (at least 0.1 core), as the recommender does;
//!   memory contributes one sample per 24-hour aggregation window, its peak (a higher sample in the same window
//!   replaces the lower one);
//! - an out-of-memory kill adds a memory sample of `max(request × 1.2, request + 100 MiB)` (the OOM bump);
//! - target = the 90th percentile of the histogram (the upper end of the bucket that holds it) × (1 + margin),
//!   margin 0.15 by default, and at least 25 millicores or 250 MiB.
//!
//! The updater is modelled as applying the target at once (in-place resize), which favours the VPA: in a cluster it
//! evicts pods only when the request leaves the recommendation's bounds.

use crate::Millis;

/// Which resource the rule sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// CPU, in cores.
    Cpu,
    /// Memory, in bytes.
    Memory,
}

/// The recommender's settings (its defaults, but the margin, which traces the VPA's frontier).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VpaSettings {
    /// The resource.
    pub resource: Resource,
    /// Percentile of the histogram the target is taken at.
    pub percentile: f64,
    /// Safety margin added on top: `--recommendation-margin-fraction`.
    pub margin: f64,
}

impl VpaSettings {
    /// The recommender's defaults for `resource`: the 90th percentile and a 15% margin.
    pub fn defaults(resource: Resource) -> Self {
        Self { resource, percentile: 0.9, margin: 0.15 }
    }
}

const HALF_LIFE_MS: f64 = 86_400_000.0;
const BUCKET_RATIO: f64 = 1.05;
const MAX_BUCKETS: usize = 1000;
const AGGREGATION_MS: Millis = 86_400_000;
const MIN_CPU_WEIGHT: f64 = 0.1;
const OOM_RATIO: f64 = 1.2;
const OOM_MIN_BYTES: f64 = 100.0 * 1024.0 * 1024.0;
/// Reference-time moves keep decay factors within `2^±REBASE_EXPONENT`.
const REBASE_EXPONENT: f64 = 60.0;

/// A histogram with exponentially growing buckets and exponentially decaying sample weights.
#[derive(Clone, Debug, PartialEq)]
struct DecayingHistogram {
    first: f64,
    weights: Vec<f64>,
    reference_ms: Option<Millis>,
}

impl DecayingHistogram {
    fn new(first: f64) -> Self {
        Self { first, weights: vec![0.0; MAX_BUCKETS], reference_ms: None }
    }

    /// Start of bucket `i`: 0, then `first · (ratio^i − 1) / (ratio − 1)`.
    fn bucket_start(&self, i: usize) -> f64 {
        self.first * (BUCKET_RATIO.powi(i as i32) - 1.0) / (BUCKET_RATIO - 1.0)
    }

    fn bucket(&self, value: f64) -> usize {
        if value.is_nan() || value <= 0.0 {
            return 0;
        }
        let i = ((value * (BUCKET_RATIO - 1.0) / self.first + 1.0).ln() / BUCKET_RATIO.ln()).floor();
        (i.max(0.0) as usize).min(MAX_BUCKETS - 1)
    }

    /// The decay factor of a sample at `time`, moving the reference time forward when factors grow large.
    fn factor(&mut self, time: Millis) -> f64 {
        let reference = *self.reference_ms.get_or_insert(time);
        let exponent = (time - reference) as f64 / HALF_LIFE_MS;
        if exponent > REBASE_EXPONENT {
            let scale = 2f64.powf(-exponent);
            self.weights.iter_mut().for_each(|w| *w *= scale);
            self.reference_ms = Some(time);
            return 1.0;
        }
        2f64.powf(exponent)
    }

    fn add(&mut self, value: f64, weight: f64, time: Millis) {
        let factor = self.factor(time);
        let bucket = self.bucket(value);
        self.weights[bucket] += weight * factor;
    }

    fn subtract(&mut self, value: f64, weight: f64, time: Millis) {
        let factor = self.factor(time);
        let bucket = self.bucket(value);
        self.weights[bucket] = (self.weights[bucket] - weight * factor).max(0.0);
    }

    /// The upper end of the bucket holding the `p` percentile; `None` while empty.
    fn percentile(&self, p: f64) -> Option<f64> {
        let total: f64 = self.weights.iter().sum();
        if total.is_nan() || total <= 0.0 {
            return None;
        }
        let threshold = p.clamp(0.0, 1.0) * total;
        let mut sum = 0.0;
        for (i, weight) in self.weights.iter().enumerate() {
            sum += weight;
            if sum >= threshold && *weight > 0.0 {
                return Some(self.bucket_start(i + 1));
            }
        }
        Some(self.bucket_start(MAX_BUCKETS))
    }
}

/// One container resource's recommender.
#[derive(Clone, Debug, PartialEq)]
pub struct Vpa {
    settings: VpaSettings,
    histogram: DecayingHistogram,
    /// Memory: the current aggregation window's start and peak.
    window: Option<(Millis, f64)>,
}

impl Vpa {
    /// A recommender with `settings` and no history.
    pub fn new(settings: VpaSettings) -> Self {
        let first = match settings.resource {
            Resource::Cpu => 0.01,
            Resource::Memory => 1e7,
        };
        Self { settings, histogram: DecayingHistogram::new(first), window: None }
    }

    /// Learns `usage` at `time`, with the container's current `request`.
    pub fn observe(&mut self, time: Millis, usage: f64, request: f64) {
        if !(usage.is_finite() && usage >= 0.0) {
            return;
        }
        match self.settings.resource {
            Resource::Cpu => self.histogram.add(usage, request.max(MIN_CPU_WEIGHT), time),
            Resource::Memory => self.memory_peak(time, usage),
        }
    }

    /// Learns an out-of-memory kill at `time` of a container whose memory request (and limit) was `request`.
    pub fn oom(&mut self, time: Millis, request: f64) {
        if self.settings.resource == Resource::Memory && request.is_finite() && request > 0.0 {
            self.memory_peak(time, (request * OOM_RATIO).max(request + OOM_MIN_BYTES));
        }
    }

    fn memory_peak(&mut self, time: Millis, value: f64) {
        match self.window {
            Some((start, peak)) if time < start + AGGREGATION_MS => {
                if value > peak {
                    self.histogram.subtract(peak, 1.0, start);
                    self.histogram.add(value, 1.0, start);
                    self.window = Some((start, value));
                }
            }
            _ => {
                self.histogram.add(value, 1.0, time);
                self.window = Some((time, value));
            }
        }
    }

    /// The target recommendation; `None` before the first sample.
    pub fn target(&self) -> Option<f64> {
        let minimum = match self.settings.resource {
            Resource::Cpu => 0.025,
            Resource::Memory => 250.0 * 1024.0 * 1024.0,
        };
        let value = self.histogram.percentile(self.settings.percentile)? * (1.0 + self.settings.margin.max(0.0));
        Some(value.max(minimum))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Millis = 3_600_000;

    #[test]
    fn cpu_target_is_the_90th_percentile_plus_the_margin() {
        let mut vpa = Vpa::new(VpaSettings::defaults(Resource::Cpu));
        assert_eq!(vpa.target(), None);
        // Ten values 0.1 .. 1.0 at once: the 90th percentile is in the bucket of 0.9.
        for i in 1..=10 {
            vpa.observe(0, f64::from(i) / 10.0, 1.0);
        }
        let target = vpa.target().unwrap();
        assert!(target > 0.9 * 1.15 && target < 0.9 * 1.05 * 1.15 + 1e-9, "{target}");
    }

    #[test]
    fn recent_usage_weighs_more_with_a_day_of_half_life() {
        let mut vpa = Vpa::new(VpaSettings { percentile: 0.5, ..VpaSettings::defaults(Resource::Cpu) });
        // Equal numbers of samples at 1 core, then three days later at 0.2: the median follows the recent ones.
        (0..100).for_each(|i| vpa.observe(i * 60_000, 1.0, 1.0));
        (0..100).for_each(|i| vpa.observe(72 * HOUR + i * 60_000, 0.2, 1.0));
        let target = vpa.target().unwrap();
        assert!(target < 0.25 * 1.15, "{target}");
    }

    #[test]
    fn memory_keeps_one_peak_per_day_and_bumps_on_oom() {
        let mut vpa = Vpa::new(VpaSettings::defaults(Resource::Memory));
        let gib = 1024.0 * 1024.0 * 1024.0;
        vpa.observe(0, 1.0 * gib, 0.0);
        vpa.observe(HOUR, 2.0 * gib, 0.0);
        vpa.observe(2 * HOUR, 1.5 * gib, 0.0);
        let target = vpa.target().unwrap();
        assert!(target >= 2.0 * gib * 1.15 && target < 2.0 * gib * 1.05 * 1.15, "the day's peak: {}", target / gib);
        vpa.oom(3 * HOUR, 2.0 * gib);
        let bumped = vpa.target().unwrap();
        assert!(bumped >= 2.4 * gib * 1.15, "an OOM at a 2 GiB limit asks for 2.4 GiB: {}", bumped / gib);
    }

    #[test]
    fn weights_stay_finite_over_long_traces() {
        let mut vpa = Vpa::new(VpaSettings::defaults(Resource::Cpu));
        for day in 0..400 {
            vpa.observe(day * 24 * HOUR, 0.5, 1.0);
        }
        let target = vpa.target().unwrap();
        assert!(target.is_finite() && target > 0.5 && target < 0.7, "{target}");
        vpa.observe(0, f64::NAN, 1.0);
        assert!(vpa.target().unwrap().is_finite());
    }
}
