//! The candidate models a forecaster combines: last value, robust simple exponential smoothing at three rates, a
//! robust damped-trend Holt model, a Theta model (level plus half the drift), robust additive seasonal models
//! (daily, weekly) with profiles in interpolated bins, and the value one season ago. Robust: a residual is clipped to a few typical residuals before
//! it moves any state, and a run of one-sided clipped residuals lasting hours is taken as a level shift and jumped to.

use serde::{Deserialize, Serialize};

/// Tuning shared by the candidates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateTuning {
    /// Clip residuals at this many scales.
    pub clip: f64,
    /// Rate of the residual scale.
    pub scale_rate: f64,
    /// Points before clipping applies and the model may forecast.
    pub warm_up: u64,
    /// Consecutive one-sided clipped residuals that make a level shift (0: never).
    pub shift_run: u32,
}

/// Residual clipping and level-shift detection.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Robust {
    tuning: CandidateTuning,
    points: u64,
    scale: f64,
    run: i64,
}

impl Robust {
    /// A fresh clipper.
    pub fn new(tuning: CandidateTuning) -> Self {
        Self { tuning, points: 0, scale: 0.0, run: 0 }
    }

    /// Clips `residual`; returns the clipped value and whether a level shift was just recognised.
    pub fn clip(&mut self, residual: f64) -> (f64, bool) {
        let scale = self.scale;
        let mut shift = false;
        let clipped = if self.points >= self.tuning.warm_up && scale > 0.0 {
            let limit = self.tuning.clip * scale;
            let clipped = if residual > limit {
                self.run = if self.run > 0 { self.run + 1 } else { 1 };
                limit
            } else if residual < -limit {
                self.run = if self.run < 0 { self.run - 1 } else { -1 };
                -limit
            } else {
                self.run = 0;
                residual
            };
            if self.tuning.shift_run > 0 && self.run.unsigned_abs() >= u64::from(self.tuning.shift_run) {
                shift = true;
                self.run = 0;
            }
            clipped
        } else {
            residual
        };
        self.scale =
            if self.points == 0 { clipped.abs() } else { scale + self.tuning.scale_rate * (clipped.abs() - scale) };
        self.points += 1;
        (clipped, shift)
    }
}

/// A seasonal profile of `period` points stored in `bins` interpolated bins.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Seasonal {
    robust: Robust,
    period: u64,
    width: f64,
    profile: Vec<f64>,
    /// Values per bin during the first period only.
    counts: Vec<u32>,
    level: f64,
    points: u64,
    level_rate: f64,
    profile_rate: f64,
}

impl Seasonal {
    fn new(tuning: CandidateTuning, period: u64, width: f64, level_rate: f64, profile_rate: f64) -> Self {
        let bins = ((period as f64 / width).round() as usize).max(1);
        Self {
            robust: Robust::new(tuning),
            period,
            width: period as f64 / bins as f64,
            profile: vec![0.0; bins],
            counts: vec![0; bins],
            level: 0.0,
            points: 0,
            level_rate,
            profile_rate,
        }
    }

    /// The two bins around phase `t` and the interpolation weight of the second.
    fn position(&self, t: u64) -> (usize, usize, f64) {
        let bins = self.profile.len() as i64;
        let x = ((t % self.period) as f64 + 0.5) / self.width - 0.5;
        let first = x.floor();
        let weight = x - first;
        let first = first as i64;
        (first.rem_euclid(bins) as usize, (first + 1).rem_euclid(bins) as usize, weight)
    }

    fn season(&self, t: u64) -> f64 {
        let (a, b, f) = self.position(t);
        (1.0 - f) * self.profile[a] + f * self.profile[b]
    }

    fn update(&mut self, y: f64) {
        let t = self.points;
        if t < self.period {
            // The first period: bin means of the raw values; the level is the running mean.
            let bin = (((t % self.period) as f64 / self.width) as usize) % self.profile.len();
            self.counts[bin] += 1;
            self.profile[bin] += (y - self.profile[bin]) / f64::from(self.counts[bin]);
            self.level += (y - self.level) / (t + 1) as f64;
            self.points += 1;
            if self.points == self.period {
                let mean = self.profile.iter().sum::<f64>() / self.profile.len() as f64;
                self.profile.iter_mut().for_each(|v| *v -= mean);
                self.counts = Vec::new();
            }
            return;
        }
        let (a, b, f) = self.position(t);
        let predicted = self.level + (1.0 - f) * self.profile[a] + f * self.profile[b];
        let (clipped, shift) = self.robust.clip(y - predicted);
        self.points += 1;
        if shift {
            self.level += y - predicted;
            return;
        }
        self.level += self.level_rate * clipped;
        let gain = self.profile_rate * (1.0 - self.level_rate) * clipped;
        self.profile[a] += gain * (1.0 - f);
        self.profile[b] += gain * f;
    }
}

/// One candidate model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Candidate {
    /// The last value.
    Naive {
        /// Last value seen.
        last: Option<f64>,
    },
    /// Robust simple exponential smoothing.
    Smoothing {
        /// Clipper.
        robust: Robust,
        /// Level rate.
        rate: f64,
        /// Level.
        level: Option<f64>,
    },
    /// Robust damped-trend Holt.
    Holt {
        /// Clipper.
        robust: Robust,
        /// Level, trend rates and damping.
        rates: (f64, f64, f64),
        /// Level.
        level: Option<f64>,
        /// Trend.
        trend: f64,
    },
    /// Theta: smoothed level plus half the smoothed drift.
    Theta {
        /// Clipper.
        robust: Robust,
        /// Level and drift rates.
        rates: (f64, f64),
        /// Level.
        level: Option<f64>,
        /// Drift per step.
        drift: f64,
    },
    /// Robust additive seasonal.
    Seasonal(Box<Seasonal>),
    /// The value one season ago (the last value until a season has been seen).
    SeasonalNaive {
        /// The last season of values, as a ring indexed by the point's phase.
        season: Vec<f64>,
        /// Points seen.
        points: u64,
    },
}

impl Candidate {
    /// Smoothing at `rate`.
    pub fn smoothing(tuning: CandidateTuning, rate: f64) -> Self {
        Self::Smoothing { robust: Robust::new(tuning), rate, level: None }
    }

    /// Damped-trend Holt.
    pub fn holt(tuning: CandidateTuning, level: f64, trend: f64, damping: f64) -> Self {
        Self::Holt { robust: Robust::new(tuning), rates: (level, trend, damping), level: None, trend: 0.0 }
    }

    /// Theta.
    pub fn theta(tuning: CandidateTuning, level: f64, drift: f64) -> Self {
        Self::Theta { robust: Robust::new(tuning), rates: (level, drift), level: None, drift: 0.0 }
    }

    /// Seasonal with `period` points in bins of `width` points.
    pub fn seasonal(tuning: CandidateTuning, period: u64, width: f64, level_rate: f64, profile_rate: f64) -> Self {
        Self::Seasonal(Box::new(Seasonal::new(tuning, period, width, level_rate, profile_rate)))
    }

    /// The value one season of `period` points ago.
    pub fn seasonal_naive(period: u64) -> Self {
        Self::SeasonalNaive { season: vec![f64::NAN; usize::try_from(period.max(1)).unwrap_or(1)], points: 0 }
    }

    /// The season it models, in points, if any.
    pub fn season(&self) -> Option<u64> {
        match self {
            Self::Seasonal(s) => Some(s.period),
            Self::SeasonalNaive { season, .. } => Some(season.len() as u64),
            _ => None,
        }
    }

    /// Whether it has seen enough to forecast.
    pub fn ready(&self) -> bool {
        self.points_seen() >= self.history_needed()
    }

    /// Points seen so far.
    fn points_seen(&self) -> u64 {
        match self {
            Self::Naive { last } => u64::from(last.is_some()),
            Self::Smoothing { robust, .. } | Self::Holt { robust, .. } | Self::Theta { robust, .. } => robust.points,
            Self::Seasonal(s) => s.points,
            Self::SeasonalNaive { points, .. } => *points,
        }
    }

    /// Points of history it needs before it forecasts: a seasonal model forecasts from its first full season (its
    /// profile is then the season's own bin means).
    pub fn history_needed(&self) -> u64 {
        match self {
            Self::Naive { .. } => 1,
            Self::Smoothing { robust, .. } | Self::Holt { robust, .. } | Self::Theta { robust, .. } => {
                robust.tuning.warm_up
            }
            Self::Seasonal(s) => s.period,
            Self::SeasonalNaive { .. } => 1,
        }
    }

    /// Learns the next value.
    pub fn update(&mut self, y: f64) {
        match self {
            Self::Naive { last } => *last = Some(y),
            Self::Smoothing { robust, rate, level } => match level {
                None => (*level, robust.points) = (Some(y), 1),
                Some(l) => {
                    let residual = y - *l;
                    let (clipped, shift) = robust.clip(residual);
                    *l += if shift { residual } else { *rate * clipped };
                }
            },
            Self::Holt { robust, rates: (alpha, beta, phi), level, trend } => match level {
                None => (*level, robust.points) = (Some(y), 1),
                Some(l) => {
                    let predicted = *l + *phi * *trend;
                    let (clipped, shift) = robust.clip(y - predicted);
                    if shift {
                        (*l, *trend) = (y, 0.0);
                    } else {
                        *l = predicted + *alpha * clipped;
                        *trend = *phi * *trend + *beta * clipped;
                    }
                }
            },
            Self::Theta { robust, rates: (alpha, drift_rate), level, drift } => match level {
                None => (*level, robust.points) = (Some(y), 1),
                Some(l) => {
                    let (clipped, shift) = robust.clip(y - *l);
                    if shift {
                        *l = y;
                    } else {
                        let step = *alpha * clipped;
                        *l += step;
                        *drift += *drift_rate * (step - *drift);
                    }
                }
            },
            Self::Seasonal(s) => s.update(y),
            Self::SeasonalNaive { season, points } => {
                let len = season.len().max(1) as u64;
                if let Some(slot) = season.get_mut((*points % len) as usize) {
                    *slot = y;
                }
                *points += 1;
            }
        }
    }

    /// Writes its forecast of the next `out.len()` steps.
    pub fn forecast_into(&self, out: &mut [f64]) {
        match self {
            Self::Naive { last } => out.fill(last.unwrap_or(f64::NAN)),
            Self::Smoothing { level, .. } => out.fill(level.unwrap_or(f64::NAN)),
            Self::Holt { rates: (_, _, phi), level, trend, .. } => {
                let (mut damping, mut sum) = (1.0, 0.0);
                let l = level.unwrap_or(f64::NAN);
                for value in out.iter_mut() {
                    damping *= phi;
                    sum += damping;
                    *value = l + sum * trend;
                }
            }
            Self::Theta { rates: (alpha, _), level, drift, .. } => {
                let offset = 1.0 / alpha - 1.0;
                let l = level.unwrap_or(f64::NAN);
                for (k, value) in out.iter_mut().enumerate() {
                    *value = l + 0.5 * drift * ((k + 1) as f64 + offset);
                }
            }
            Self::Seasonal(s) => {
                for (k, value) in out.iter_mut().enumerate() {
                    *value = s.level + s.season(s.points + k as u64);
                }
            }
            Self::SeasonalNaive { season, points } => {
                let len = season.len().max(1) as u64;
                let last = points.checked_sub(1).and_then(|p| season.get((p % len) as usize)).copied();
                for (k, value) in out.iter_mut().enumerate() {
                    // One season before point `points + k`; before a full season, the last value.
                    let ago = (*points + k as u64) % len;
                    let past = season.get(ago as usize).copied().filter(|v| !v.is_nan() && *points >= len);
                    *value = past.or(last).unwrap_or(f64::NAN);
                }
            }
        }
    }

    /// Bytes of heap state beyond the enum itself.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Self::Seasonal(s) => std::mem::size_of::<Seasonal>() + s.profile.len() * 8 + s.counts.len() * 4,
            Self::SeasonalNaive { season, .. } => season.len() * 8,
            _ => 0,
        }
    }
}
