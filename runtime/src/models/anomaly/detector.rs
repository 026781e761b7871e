//! The per-series detector.
//!
//! A point is anomalous only if no candidate baseline explains it: no season, daily and weekly (or the configured
//! periods), each with its own levels, scales and phase offsets (tolerating a bucket of phase jitter); the smallest
//! residual among the baselines that have seen a whole period and fit nearly as well as the best one wins. Seven features measure
//! different kinds of surprise (spike, deviation from baseline, sustained shift, slow drift, volatility, new high,
//! new low); each is calibrated against its own decayed history ([`TailCalibrators`]), and the point's surprise is
//! the largest, `-log10` of a tail probability. The long-run figures (calibrators, record envelopes) remember about
//! [`tuning::MEMORY`] points, so a point is judged against the last week or so of five-minute data, not the last few
//! days. A surprise is scored only when it beats a decaying reference set by the previous one (the per-point score
//! NAB measures), and reported points are grouped into incidents ([`IncidentTracker`]): one report each.
//!
//! Work per point: three baselines and seven features, O(1); state: the baselines' phase offsets dominate
//! (288 + 336 values on five-minute data).

use std::sync::{Arc, LazyLock};

use augur_crds::kinds::anomaly_detector::Direction;

use super::{
    Assessment, DetectorParams, Deviation, Reason,
    baseline::{Baseline, BaselineRates, BaselineSet, Residuals},
    calibrator::{TailCalibrators, TailPrior},
    incident::{IncidentTracker, Observation},
};
use crate::{models::SeriesModel, time::Millis};

/// Fixed tuning, chosen for service metrics in general (see the NAB benchmark in the README), not per series.
mod tuning {
    use super::{BaselineRates, TailPrior};

    pub const RATES: BaselineRates = BaselineRates {
        fast: 0.3,
        slow: 0.01,
        scale: 0.01,
        error: 0.01,
        season: 0.3,
        clip: 3.0,
        season_clip: 10.0,
        shrink: 0.5,
    };
    /// Points before the baselines are created (the sampling interval must be known).
    pub const BOOTSTRAP_POINTS: u64 = 16;
    /// Rate of the global variability that floors every scale.
    pub const GLOBAL_RATE: f64 = 0.002;
    /// Share of the global variability below which no scale falls.
    pub const SCALE_FLOOR: f64 = 0.02;
    /// Residual features are excesses over this many scales.
    pub const Z0: f64 = 1.5;
    /// The volatility feature is the excess of the mean |fast z| over this.
    pub const V0: f64 = 1.5;
    /// Windows (points) of the sustained-deviation features.
    pub const SHORT_WINDOW: f64 = 16.0;
    pub const LONG_WINDOW: f64 = 64.0;
    /// A new high or low counts only beyond this many mean absolute deviations past the old record.
    pub const RECORD_DEAD_ZONE: f64 = 1.5;
    /// Points the long-run figures remember: the feature calibrators forget, and the record envelopes relax toward
    /// the level, at `1 / MEMORY` per point. A week of five-minute points: what a person compares a graph with.
    pub const MEMORY: f64 = 2000.0;
    pub const PRIOR: TailPrior = TailPrior { rate: 0.01, mean_excess: 4.0, weight: 100.0 };
    /// A season counts as found when its baseline leaves at most this share of the non-seasonal baseline's error.
    pub const SEASON_FOUND: f64 = 0.5;
    /// A baseline explains points only while its error is within this factor of the best baseline's.
    pub const COMPETE: f64 = 2.0;
    /// Half-life (points) of the reporting reference, and the margin a new report must beat it by.
    pub const SUPPRESSION_HALF_LIFE: f64 = 40.0;
    pub const SUPPRESSION_MARGIN: f64 = 1.2;
    /// Surprise (−log10 p) at which the score is 0.5.
    pub const SCORE_HALF: f64 = 3.0;
    /// Default seasonal candidates: (period ms, most buckets).
    pub const PERIODS: [(i64, usize); 2] = [(86_400_000, 288), (604_800_000, 336)];
    /// A period needs at least this many buckets (and samples per period) to be modelled.
    pub const MIN_BUCKETS: usize = 12;
    /// Most buckets of a configured period.
    pub const MAX_BUCKETS: usize = 336;
}

const FEATURES: usize = 7;

/// Per-point decay of the reporting reference.
static SUPPRESSION_DECAY: LazyLock<f64> = LazyLock::new(|| 0.5f64.powf(1.0 / tuning::SUPPRESSION_HALF_LIFE));

/// Factors that turn the exponential means of the sustained features into unit-variance figures: the standard
/// deviation of an exponential mean (rate a) of i.i.d. unit noise is sqrt(a / (2 - a)).
static UNIT_SCALES: LazyLock<[f64; 2]> = LazyLock::new(|| {
    [tuning::SHORT_WINDOW, tuning::LONG_WINDOW].map(|window| {
        let rate = 1.0 / window;
        ((2.0 - rate) / rate).sqrt()
    })
});

/// The detector of one series.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AnomalyDetector {
    /// Shared by all series; not part of a series' checkpointed state.
    #[serde(skip)]
    params: Arc<DetectorParams>,
    points: u64,
    last_time: f64,
    /// Typical sampling interval (s); 0 until two points have come with a gap.
    interval: f64,
    baselines: BaselineSet,
    /// The baseline with the lowest error (an index; `u32` so that it packs with `last_band`).
    selected: u32,
    global_spread: f64,
    global_mean: f64,
    sustained: [f64; 2],
    volatility: f64,
    envelope_high: f64,
    envelope_low: f64,
    calibrators: TailCalibrators<FEATURES>,
    reference: f64,
    last_expected: f64,
    /// Half-width of the band; `f32`: it is only shown.
    last_band: f32,
    incidents: IncidentTracker,
}

impl AnomalyDetector {
    /// A fresh detector; many series share one set of parameters.
    pub fn new(params: impl Into<Arc<DetectorParams>>) -> Self {
        Self {
            params: params.into(),
            points: 0,
            last_time: 0.0,
            interval: 0.0,
            baselines: BaselineSet::default(),
            selected: 0,
            global_spread: 0.0,
            global_mean: 0.0,
            sustained: [0.0; 2],
            volatility: 0.8,
            envelope_high: 0.0,
            envelope_low: 0.0,
            calibrators: Default::default(),
            reference: 0.0,
            last_expected: f64::NAN,
            last_band: 0.0,
            incidents: IncidentTracker::default(),
        }
    }

    /// Re-attaches the pipeline's parameters to a detector restored from a checkpoint.
    pub fn with_params(mut self, params: Arc<DetectorParams>) -> Self {
        self.params = params;
        self
    }

    /// Points seen so far.
    pub fn points(&self) -> u64 {
        self.points
    }

    /// The seasonal period (ms) found in the series: that of the best baseline, when it leaves at most half the
    /// error of the baseline without season. `None` when no season explains the series.
    pub fn period(&self) -> Option<i64> {
        let selected = self.baselines.as_slice().get(self.selected as usize)?;
        let flat = self.baselines.as_slice().first()?;
        (selected.period() > 0 && selected.error <= tuning::SEASON_FOUND * flat.error).then(|| selected.period())
    }

    fn create_baselines(&mut self, interval: f64, time: Millis) {
        let interval = interval.max(1.0);
        let level = self.global_mean;
        self.baselines.push(Baseline::new(0, 0, level, time));
        if !self.params.seasonal {
            return;
        }
        let periods: Vec<(i64, usize)> = if self.params.periods_ms.is_empty() {
            tuning::PERIODS.to_vec()
        } else {
            self.params.periods_ms.iter().filter(|ms| **ms > 0).map(|&ms| (ms, tuning::MAX_BUCKETS)).collect()
        };
        for (period, most) in periods {
            let samples = period as f64 / 1000.0 / interval;
            let buckets = (samples.round() as usize).min(most);
            if buckets >= tuning::MIN_BUCKETS && samples >= tuning::MIN_BUCKETS as f64 {
                self.baselines.push(Baseline::new(period, buckets, level, time));
            }
        }
    }

    fn quiet(&self, reason: Reason) -> Assessment {
        let expected = if self.last_expected.is_nan() { self.global_mean } else { self.last_expected };
        Assessment {
            score: 0.0,
            expected,
            lower: expected - f64::from(self.last_band),
            upper: expected + f64::from(self.last_band),
            deviation: Deviation::None,
            reason,
            incident: None,
        }
    }

    /// Whether a scored point is reported: at or above the threshold, in a reported direction.
    fn is_reported(&self, assessment: &Assessment) -> bool {
        let direction_ok = match self.params.direction {
            Direction::Both => assessment.deviation != Deviation::None,
            Direction::Up => assessment.deviation == Deviation::Up,
            Direction::Down => assessment.deviation == Deviation::Down,
        };
        direction_ok && assessment.score >= self.params.score_threshold
    }

    /// Tracks the typical sampling interval: a log-space average with bounded steps, robust to rare long gaps.
    fn observe_interval(&mut self, time: f64) {
        let gap = time - self.last_time;
        self.last_time = time;
        if gap > 0.0 {
            self.interval = match self.interval {
                0.0 => gap,
                // Regular sampling (the common case) leaves the interval as it is, without a logarithm.
                interval if gap == interval => interval,
                interval => interval * (0.05 * (gap / interval).ln().clamp(-1.0, 1.0)).exp(),
            };
        }
    }

    fn observe_global(&mut self, value: f64, rate: f64) {
        self.global_spread += rate * ((value - self.global_mean).abs() - self.global_spread);
        self.global_mean += rate * (value - self.global_mean);
    }
}

/// The residuals chosen across baselines: the best explanation of the point.
struct Explanation {
    fast_z: f64,
    slow_z: f64,
    deseasonalised: f64,
}

impl SeriesModel for AnomalyDetector {
    type Output = Assessment;

    fn update(&mut self, timestamp: Millis, value: f64) -> Assessment {
        let time = timestamp as f64 / 1000.0;
        self.points += 1;
        if self.points == 1 {
            self.last_time = time;
            self.global_mean = value;
            (self.envelope_high, self.envelope_low) = (value, value);
            return self.quiet(Reason::WarmingUp);
        }
        self.observe_interval(time);
        if self.baselines.as_slice().is_empty() {
            match self.interval {
                interval if interval > 0.0 && self.points >= tuning::BOOTSTRAP_POINTS => {
                    self.create_baselines(interval, timestamp)
                }
                _ => {
                    self.observe_global(value, 1.0 / self.points as f64);
                    return self.quiet(Reason::WarmingUp);
                }
            }
        }
        self.observe_global(value, tuning::GLOBAL_RATE.max(1.0 / self.points as f64));
        let floor = tuning::SCALE_FLOOR * self.global_spread + 1e-9 * self.global_mean.abs() + 1e-12;
        let explanation = self.explain(timestamp, value, floor);
        let features = self.features(&explanation, floor);

        let rate = (1.0 / tuning::MEMORY).max(1.0 / self.points as f64);
        let (surprise, strongest) = self.calibrators.surprise(&features, rate, &tuning::PRIOR);

        self.reference *= *SUPPRESSION_DECAY;
        let reported = if surprise > self.reference {
            self.reference = surprise * tuning::SUPPRESSION_MARGIN;
            surprise
        } else {
            0.0
        };
        if self.points < u64::from(self.params.warm_up_points) {
            return self.quiet(Reason::WarmingUp);
        }
        let mut assessment = self.quiet(Reason::Normal);
        if let (Some(feature), true) = (strongest, reported > 0.0) {
            let up = match feature {
                5 => true,
                6 => false,
                1..=3 => explanation.slow_z > 0.0,
                _ => explanation.fast_z > 0.0,
            };
            assessment.score = reported / (reported + tuning::SCORE_HALF);
            assessment.deviation = if up { Deviation::Up } else { Deviation::Down };
            assessment.reason = Reason::from_feature(feature);
        }
        let observation = Observation {
            timestamp,
            value,
            level: surprise / (surprise + tuning::SCORE_HALF),
            reported: self.is_reported(&assessment),
        };
        assessment.incident = self.incidents.observe(&observation, self.params.score_threshold);
        assessment
    }

    /// The series' own state; the shared parameters are not counted.
    fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.baselines.as_slice().iter().map(Baseline::state_bytes).sum::<usize>()
            - std::mem::size_of::<BaselineSet>()
    }
}

impl AnomalyDetector {
    /// Scores `value` under every baseline, keeps the smallest residuals, then lets every baseline learn.
    fn explain(&mut self, time: Millis, value: f64, floor: f64) -> Explanation {
        // Only baselines that fit nearly as well as the best may explain a point: a sloppy baseline (no season on a
        // strongly daily series, its scale inflated by the daily swing) would otherwise explain away real changes.
        let best_fit = self
            .baselines
            .as_slice()
            .iter()
            .filter(|b| b.is_mature(time))
            .map(|b| b.error)
            .fold(f64::INFINITY, f64::min);
        let admissible = tuning::COMPETE * best_fit + 1e-12;
        let mut best_fast: Option<f64> = None;
        let mut best_slow: Option<f64> = None;
        let mut deseasonalised = value;
        let (mut best_error, mut best_index) = (f64::INFINITY, 0);
        for (index, baseline) in self.baselines.as_mut_slice().iter_mut().enumerate() {
            let residuals: Residuals = baseline.residuals(time, value, tuning::RATES.shrink);
            if !baseline.is_mature(time) {
                baseline.learn(value, &residuals, floor, &tuning::RATES);
                continue;
            }
            let slow_scale = baseline.slow_scale.max(floor);
            let fast_z = residuals.fast / baseline.fast_scale.max(floor);
            let slow_z = residuals.slow / slow_scale;
            if baseline.error <= admissible {
                if best_fast.is_none_or(|best| fast_z.abs() < best.abs()) {
                    best_fast = Some(fast_z);
                }
                if best_slow.is_none_or(|best| slow_z.abs() < best.abs()) {
                    best_slow = Some(slow_z);
                }
            }
            if index == self.selected as usize {
                deseasonalised = value - residuals.offset;
                self.last_expected = baseline.slow + residuals.offset;
                self.last_band = ((tuning::Z0 + 1.0) * slow_scale) as f32;
            }
            baseline.learn(value, &residuals, floor, &tuning::RATES);
            if baseline.error < best_error {
                (best_error, best_index) = (baseline.error, index);
            }
        }
        self.selected = best_index as u32;
        Explanation { fast_z: best_fast.unwrap_or(0.0), slow_z: best_slow.unwrap_or(0.0), deseasonalised }
    }

    /// The seven features, each an excess over a fixed threshold (positive means unusual).
    fn features(&mut self, explanation: &Explanation, floor: f64) -> [f64; FEATURES] {
        let windows = [1.0 / tuning::SHORT_WINDOW, 1.0 / tuning::LONG_WINDOW];
        let units = &*UNIT_SCALES;
        let fast = explanation.fast_z.abs();
        let slow = explanation.slow_z.clamp(-20.0, 20.0);
        self.volatility += windows[0] * (fast.min(10.0) - self.volatility);
        for (mean, rate) in self.sustained.iter_mut().zip(windows) {
            *mean += rate * (slow - *mean);
        }
        let spread = self.global_spread.max(floor);
        let d = explanation.deseasonalised;
        let features = [
            fast - tuning::Z0,
            explanation.slow_z.abs() - tuning::Z0,
            self.sustained[0].abs() * units[0] - tuning::Z0,
            self.sustained[1].abs() * units[1] - tuning::Z0,
            self.volatility - tuning::V0,
            (d - self.envelope_high) / spread - tuning::RECORD_DEAD_ZONE,
            (self.envelope_low - d) / spread - tuning::RECORD_DEAD_ZONE,
        ];
        let level = self.baselines.as_slice().get(self.selected as usize).map_or(d, |b| b.fast);
        let relax = 1.0 / tuning::MEMORY;
        self.envelope_high = d.max(self.envelope_high - relax * (self.envelope_high - level));
        self.envelope_low = d.min(self.envelope_low + relax * (level - self.envelope_low));
        features
    }
}
