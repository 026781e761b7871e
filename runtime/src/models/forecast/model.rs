//! The per-series forecaster: a self-weighting ensemble.
//!
//! After every point each ready candidate forecasts the whole horizon, and those forecasts are kept for `h` steps;
//! when the actual value arrives, every candidate's forecast for it is scored, per horizon step. The forecast for
//! step `k` combines the three candidates with the lowest recent `k`-step error (weights `(best / own)²`), an AR
//! model of the combination's residuals corrects it where that has been more accurate, and the quantiles are the
//! forecast plus streaming quantiles of its own recent `k`-step errors, so intervals calibrate themselves. The peaks
//! (quantiles of the largest value from the first step through step `k`) are learned the same way from the errors
//! of that maximum ([`Peaks`]).
//!
//! `ForecastModel.algorithm` picks the candidates: `Auto` all of them with the AR correction; a named model only
//! its family (exponential smoothing, Theta, or the value one season ago), combined by the same rule, uncorrected.
//!
//! Work per point is O(K·h) for K candidates (15 by default); forecasting is O(h); state is dominated by the kept
//! forecasts (K·h² values) and the seasonal profiles.

use augur_crds::kinds::forecaster::ForecastAlgorithm;
use serde::{Deserialize, Serialize};

use super::{
    Forecast, ForecastParams, Readiness,
    accuracy::{Accuracy, AccuracyTracker, Scored},
    ar::ArCorrection,
    candidates::{Candidate, CandidateTuning, Robust},
    quantiles::{ErrorQuantiles, Peaks},
};

/// Fixed tuning, chosen for service and cloud metrics in general (see the forecasting benchmark in the README).
mod tuning {
    /// Clip levels: every robust candidate exists once per level, and rolling error picks per series.
    pub const CLIPS: [f64; 2] = [2.0, 4.0];
    /// Clip level of the AR residuals.
    pub const AR_CLIP: f64 = 3.0;
    pub const SCALE_RATE: f64 = 0.05;
    pub const WARM_UP: u64 = 8;
    /// One-sided clipped residuals lasting this long (and at least `SHIFT_MIN_RUN` points) are a level shift.
    pub const SHIFT_SECONDS: f64 = 10_800.0;
    pub const SHIFT_MIN_RUN: u32 = 3;
    pub const SMOOTHING_RATES: [f64; 3] = [0.1, 0.3, 0.6];
    pub const HOLT: (f64, f64, f64) = (0.3, 0.03, 0.9);
    pub const THETA: (f64, f64) = (0.3, 0.01);
    /// Seasonal candidates (days), their profile resolution and rates.
    pub const SEASON_DAYS: [f64; 2] = [1.0, 7.0];
    pub const SEASON_RESOLUTION_SECONDS: f64 = 1800.0;
    pub const FINE_SEASON_RESOLUTION_SECONDS: f64 = 300.0;
    /// Least and most points the skill remembers (about a day of points in between).
    pub const SKILL_MEMORY: (u64, u64) = (50, 2000);
    pub const SEASON_RATES: (f64, f64) = (0.2, 0.2);
    /// Rate of each candidate's k-step error, the number combined, the weight exponent and the scored errors needed.
    pub const ERROR_RATE: f64 = 0.025;
    pub const TOP: usize = 3;
    pub const WEIGHT_POWER: i32 = 2;
    pub const MIN_SCORED: u32 = 5;
    /// AR order, forgetting and initial covariance.
    pub const AR: (usize, f64, f64) = (3, 0.995, 100.0);
}

/// Buffers reused across updates, so an update allocates nothing.
#[derive(Clone, Debug, Default)]
struct Scratch {
    row: Vec<f64>,
    combined: Vec<f64>,
    corrected: Vec<f64>,
}

/// The forecaster of one series, fed one value per step.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Forecaster {
    #[serde(skip)]
    params: ForecastParams,
    candidates: Vec<Candidate>,
    /// Kept forecasts: slot (h of them) × step × candidate, so scoring one step reads the candidates contiguously;
    /// NaN where a candidate was not ready.
    kept: Vec<f64>,
    /// Each candidate's mean absolute error per step (step × candidate), and how many errors it has.
    errors: Vec<f64>,
    scored: Vec<u32>,
    /// Scratch rows reused by every update.
    #[serde(skip)]
    scratch: Scratch,
    /// Kept final forecasts: slot × {combined, corrected, final} × step, and which slots are filled.
    kept_final: Vec<f64>,
    kept_final_filled: Vec<bool>,
    /// Mean absolute error of the combined and of the corrected forecast, per step.
    final_errors: [Vec<f64>; 2],
    final_scored: Vec<u32>,
    ar: ArCorrection,
    /// Streaming quantiles of the final forecast's errors.
    error_quantiles: ErrorQuantiles,
    /// Quantiles of the largest value from the first step through each step.
    peaks: Peaks,
    /// The latest final forecast.
    latest: Vec<f64>,
    points: u64,
    /// The previous value, the reference of the skill.
    previous: Option<f64>,
    accuracy: AccuracyTracker,
    /// Values one season ago (for the accuracy's seasonal-naive reference), when a season is modelled.
    season_history: Vec<f64>,
}

impl Forecaster {
    /// A fresh forecaster.
    pub fn new(params: ForecastParams) -> Self {
        let interval = (params.step_ms as f64 / 1000.0).max(1e-3);
        let shift_run = if tuning::SHIFT_SECONDS > 0.0 {
            tuning::SHIFT_MIN_RUN.max((tuning::SHIFT_SECONDS / interval).round() as u32)
        } else {
            0
        };
        let tuned =
            |clip| CandidateTuning { clip, scale_rate: tuning::SCALE_RATE, warm_up: tuning::WARM_UP, shift_run };
        let width = (tuning::SEASON_RESOLUTION_SECONDS / interval).max(1.0);
        let fine_width = (tuning::FINE_SEASON_RESOLUTION_SECONDS / interval).max(1.0);
        let periods: Vec<u64> = if !params.seasonal {
            Vec::new()
        } else if !params.periods.is_empty() {
            params.periods.iter().map(|p| *p as u64).collect()
        } else {
            tuning::SEASON_DAYS.iter().map(|days| (days * 86_400.0 / interval).round() as u64).collect()
        };
        let periods: Vec<u64> = periods.into_iter().filter(|p| *p >= 2).collect();
        let algorithm = params.algorithm;
        let mut candidates = Vec::new();
        if algorithm == ForecastAlgorithm::Auto {
            candidates.push(Candidate::Naive { last: None });
        }
        if algorithm == ForecastAlgorithm::SeasonalNaive {
            // Repeats the first (shortest) season; without seasonality, the last value.
            candidates.push(Candidate::seasonal_naive(periods.first().copied().unwrap_or(1)));
        }
        for clip in tuning::CLIPS.iter().filter(|_| algorithm != ForecastAlgorithm::SeasonalNaive) {
            let t = tuned(*clip);
            if matches!(algorithm, ForecastAlgorithm::Auto | ForecastAlgorithm::ExponentialSmoothing) {
                candidates.extend(tuning::SMOOTHING_RATES.iter().map(|rate| Candidate::smoothing(t, *rate)));
                candidates.push(Candidate::holt(t, tuning::HOLT.0, tuning::HOLT.1, tuning::HOLT.2));
            }
            if matches!(algorithm, ForecastAlgorithm::Auto | ForecastAlgorithm::Theta) {
                candidates.push(Candidate::theta(t, tuning::THETA.0, tuning::THETA.1));
            }
            for period in &periods {
                candidates.push(Candidate::seasonal(t, *period, width, tuning::SEASON_RATES.0, tuning::SEASON_RATES.1));
            }
            // The daily profile once more at a finer resolution: sharp daily events (a rush at 09:00) keep their
            // shape there, while the coarse profile averages noise better; rolling error picks per series.
            if let Some(period) = periods.first().filter(|_| fine_width < width) {
                candidates.push(Candidate::seasonal(
                    t,
                    *period,
                    fine_width,
                    tuning::SEASON_RATES.0,
                    tuning::SEASON_RATES.1,
                ));
            }
        }
        let (k, h, q) = (candidates.len(), params.horizon.max(1), params.quantiles.len());
        // The skill remembers about a day of points: a day of load shows every regular event once.
        let skill_memory = ((86_400.0 / interval) as u64).clamp(tuning::SKILL_MEMORY.0, tuning::SKILL_MEMORY.1);
        let (order, forget, delta) = tuning::AR;
        Self {
            ar: ArCorrection::new(order, forget, delta, Robust::new(tuned(tuning::AR_CLIP))),
            kept: vec![f64::NAN; h * k * h],
            errors: vec![0.0; k * h],
            scored: vec![0; k * h],
            scratch: Scratch::default(),
            kept_final: vec![f64::NAN; h * 3 * h],
            kept_final_filled: vec![false; h],
            final_errors: [vec![0.0; h], vec![0.0; h]],
            final_scored: vec![0; h],
            error_quantiles: ErrorQuantiles::new(q, h),
            peaks: Peaks::new(q, h),
            latest: Vec::new(),
            points: 0,
            previous: None,
            accuracy: AccuracyTracker::new(skill_memory),
            season_history: vec![f64::NAN; periods.first().copied().unwrap_or(1).min(4096) as usize],
            candidates,
            params,
        }
    }

    /// Re-attaches the pipeline's parameters to a forecaster restored from a checkpoint.
    pub fn with_params(mut self, params: ForecastParams) -> Self {
        self.params = params;
        self
    }

    /// Re-attaches `params` to a forecaster restored from a checkpoint, if its state has the shape a fresh forecaster
    /// with `params` has (same candidates, same table sizes); otherwise says what differs. A forecaster of other
    /// parameters or of another build's tuning would index out of bounds, so it is refused rather than attached. The
    /// scratch buffers are skipped by serde and start empty; every update sizes them before use.
    pub(crate) fn restored(self, params: ForecastParams) -> Result<Self, String> {
        let fresh = Self::new(params.clone());
        let same_candidates = self.candidates.len() == fresh.candidates.len()
            && self.candidates.iter().zip(&fresh.candidates).all(|(restored, new)| {
                std::mem::discriminant(restored) == std::mem::discriminant(new)
                    && restored.history_needed() == new.history_needed()
            });
        if !same_candidates {
            return Err("its candidate models differ from this build's".into());
        }
        let sizes = |f: &Self| {
            [
                f.kept.len(),
                f.errors.len(),
                f.scored.len(),
                f.kept_final.len(),
                f.kept_final_filled.len(),
                f.final_errors[0].len(),
                f.final_errors[1].len(),
                f.final_scored.len(),
                f.season_history.len(),
            ]
        };
        let tables = |f: &Self| (f.error_quantiles.shape(), f.peaks.shape());
        if sizes(&self) != sizes(&fresh)
            || tables(&self) != tables(&fresh)
            || !(self.latest.is_empty() || self.latest.len() == fresh.horizon())
        {
            return Err("its state tables do not have the size the parameters give".into());
        }
        Ok(self.with_params(params))
    }

    fn horizon(&self) -> usize {
        self.params.horizon.max(1)
    }

    /// Feeds the value of the next step (non-finite values are ignored).
    pub fn update(&mut self, y: f64) {
        if !y.is_finite() {
            return;
        }
        let (h, k) = (self.horizon(), self.candidates.len());
        let t = self.points as usize;
        self.score_kept(y, t, h, k);
        if t >= 1 && self.kept_final_filled[t % h] {
            let one_step = self.kept_final[(t % h) * 3 * h];
            self.ar.observe(y - one_step);
        }
        let phase = t % self.season_history.len();
        let seasonal_naive = self.season_history[phase];
        if let (Some(median), Some(band)) = (self.latest.first().copied(), self.interval_row(0)) {
            let seasonal_naive = Some(seasonal_naive);
            self.accuracy.observe(Scored { actual: y, median, band, seasonal_naive, last_value: self.previous });
        }
        self.season_history[phase] = y;
        self.previous = Some(y);
        self.candidates.iter_mut().for_each(|c| c.update(y));
        self.points += 1;
        if self.points == self.readiness().needed {
            // The full model takes over: the skill measured so far was the warm-up models'.
            self.accuracy.restart_skill();
        }
        self.forecast_all(y, (t + 1) % h, h, k);
    }

    /// Scores every kept forecast of the value at `t`, per step.
    fn score_kept(&mut self, y: f64, t: usize, h: usize, k: usize) {
        for ahead in 1..=h.min(t) {
            let slot = (t + 1 - ahead) % h;
            let step = ahead - 1;
            let kept = &self.kept[(slot * h + step) * k..(slot * h + step + 1) * k];
            for (i, &forecast) in kept.iter().enumerate() {
                if forecast.is_nan() {
                    continue;
                }
                let error = (y - forecast).abs();
                let at = step * k + i;
                self.errors[at] = if self.scored[at] == 0 {
                    error
                } else {
                    self.errors[at] + tuning::ERROR_RATE * (error - self.errors[at])
                };
                self.scored[at] += 1;
            }
            if !self.kept_final_filled[slot] {
                continue;
            }
            let base = slot * 3 * h;
            let (combined, corrected, last) =
                (self.kept_final[base + step], self.kept_final[base + h + step], self.kept_final[base + 2 * h + step]);
            for (errors, forecast) in self.final_errors.iter_mut().zip([combined, corrected]) {
                let error = (y - forecast).abs();
                errors[step] = if self.final_scored[step] == 0 {
                    error
                } else {
                    errors[step] + tuning::ERROR_RATE * (error - errors[step])
                };
            }
            self.final_scored[step] += 1;
            let (levels, scale) = (&self.params.quantiles, self.final_errors[0][step]);
            self.error_quantiles.learn(levels, step, y - last, scale);
            self.peaks.observe(levels, slot, step, y, last, scale);
        }
    }

    /// Every ready candidate forecasts the horizon into slot `slot`; then the combination, its AR correction and the
    /// final forecast are computed and kept.
    fn forecast_all(&mut self, y: f64, slot: usize, h: usize, k: usize) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.row.resize(h, 0.0);
        for (i, candidate) in self.candidates.iter().enumerate() {
            if candidate.ready() {
                candidate.forecast_into(&mut scratch.row);
            } else {
                scratch.row.fill(f64::NAN);
            }
            for (step, value) in scratch.row.iter().enumerate() {
                self.kept[(slot * h + step) * k + i] = *value;
            }
        }
        scratch.combined.clear();
        scratch.combined.extend((0..h).map(|step| self.combine(slot, step, y, h, k)));
        scratch.corrected.resize(h, 0.0);
        self.ar.correct_into(&scratch.combined, &mut scratch.corrected);
        self.latest.clear();
        let corrected = self.params.algorithm == ForecastAlgorithm::Auto;
        for step in 0..h {
            let better = corrected
                && self.final_scored[step] >= tuning::MIN_SCORED
                && self.final_errors[1][step] < self.final_errors[0][step];
            self.latest.push(if better { scratch.corrected[step] } else { scratch.combined[step] });
        }
        let base = slot * 3 * h;
        self.kept_final[base..base + h].copy_from_slice(&scratch.combined);
        self.kept_final[base + h..base + 2 * h].copy_from_slice(&scratch.corrected);
        self.kept_final[base + 2 * h..base + 3 * h].copy_from_slice(&self.latest);
        self.kept_final_filled[slot] = true;
        self.scratch = scratch;
    }

    /// The weighted combination of the best candidates for `step`.
    fn combine(&self, slot: usize, step: usize, y: f64, h: usize, k: usize) -> f64 {
        let kept = &self.kept[(slot * h + step) * k..(slot * h + step + 1) * k];
        let forecast = |i: usize| kept[i];
        let mut best: [(f64, usize); tuning::TOP] = [(f64::INFINITY, usize::MAX); tuning::TOP];
        for i in 0..k {
            let at = step * k + i;
            if forecast(i).is_nan() || self.scored[at] < tuning::MIN_SCORED {
                continue;
            }
            let entry = (self.errors[at], i);
            // Insert keeping the list sorted by (error, index), as a stable sort would.
            if let Some(position) = best.iter().position(|b| entry.0 < b.0) {
                for j in (position + 1..tuning::TOP).rev() {
                    best[j] = best[j - 1];
                }
                best[position] = entry;
            }
        }
        if best[0].1 == usize::MAX {
            let naive = forecast(0);
            return if naive.is_nan() { y } else { naive };
        }
        let least = best[0].0;
        if least <= 0.0 {
            return forecast(best[0].1);
        }
        let (mut sum, mut weights) = (0.0, 0.0);
        for &(error, i) in best.iter().filter(|(_, i)| *i != usize::MAX) {
            let weight = if error > 0.0 { (least / error).powi(tuning::WEIGHT_POWER) } else { 1.0 };
            sum += weight * forecast(i);
            weights += weight;
        }
        sum / weights
    }

    /// The outermost quantiles of `step` (lower, upper), if there is a forecast.
    fn interval_row(&self, step: usize) -> Option<(f64, f64)> {
        let base = *self.latest.get(step)?;
        let last = self.params.quantiles.len().checked_sub(1)?;
        Some((
            (base + self.error_quantiles.get(0, step)).min(base),
            (base + self.error_quantiles.get(last, step)).max(base),
        ))
    }

    /// Forecasts the configured horizon, with its peaks. Empty before the first value.
    pub fn forecast(&self) -> Forecast {
        let points: Vec<Vec<f64>> = self
            .latest
            .iter()
            .enumerate()
            .map(|(step, &base)| {
                let mut row: Vec<f64> = self
                    .params
                    .quantiles
                    .iter()
                    .enumerate()
                    .map(|(level_index, level)| {
                        let value = base + self.error_quantiles.get(level_index, step);
                        if *level < 0.5 - 1e-12 {
                            value.min(base)
                        } else if *level > 0.5 + 1e-12 {
                            value.max(base)
                        } else {
                            base
                        }
                    })
                    .collect();
                for i in 1..row.len() {
                    row[i] = row[i].max(row[i - 1]);
                }
                row
            })
            .collect();
        let peaks = self.peaks.rows(&self.params.quantiles, &self.latest, &points);
        Forecast { quantiles: self.params.quantiles.clone(), points, peaks }
    }

    /// History seen, and needed before the first seasonal candidate forecasts and earns weight.
    pub fn readiness(&self) -> Readiness {
        let needed = self.candidates.iter().filter_map(Candidate::season).min().unwrap_or(tuning::WARM_UP)
            + u64::from(tuning::MIN_SCORED);
        Readiness { points: self.points, needed }
    }

    /// Rolling accuracy.
    pub fn accuracy(&self) -> Accuracy {
        self.accuracy.accuracy()
    }

    /// Bytes of state.
    pub fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.candidates.iter().map(|c| std::mem::size_of::<Candidate>() + c.heap_bytes()).sum::<usize>()
            + (self.kept.len() + self.kept_final.len() + self.errors.len()) * 8
            + (self.scored.len() + self.final_scored.len()) * 4
            + self.error_quantiles.bytes()
            + self.peaks.bytes()
            + self.season_history.len() * 8
            + self.latest.len() * 8
    }
}
