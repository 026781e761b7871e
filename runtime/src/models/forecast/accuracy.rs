//! A series' own forecast accuracy, measured as actual values arrive: rolling MASE (absolute error of the one-step
//! forecast over the seasonal-naive error), skill against the last value, and coverage of the outermost quantile
//! band.
//!
//! Skill is `1 − error ÷ error of repeating the last value`, one step ahead. Repeating the last value is what
//! reactive scaling does without a forecast, so skill says what a forecast adds to it: 0 nothing, 0.3 errors 30%
//! smaller, negative worse. MASE scales by repeating the last *season* instead, which on regular load is nearly
//! perfect, so a forecast that anticipates every rush can still score above 1 there.
//!
//! Skill gates autoscaling, so it describes the model in use now: it has a memory of about a day of points (the
//! caller's `skill_memory`), and it restarts when the full model takes over from the warm-up models
//! ([`AccuracyTracker::restart_skill`]), since the errors of models no longer in use say nothing of it. MASE and
//! coverage keep a memory of about 500 points.

/// Rolling accuracy figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Accuracy {
    /// Rolling mean absolute scaled error (below 1 beats a seasonal-naive forecast); `None` until measurable.
    pub mase: Option<f64>,
    /// Share of actuals inside the outermost quantile band; `None` until measured.
    pub coverage: Option<f64>,
    /// Rolling skill against repeating the last value (above 0 beats it); `None` until measurable.
    pub skill: Option<f64>,
}

/// Exponentially weighted accuracy of one series' forecasts.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct AccuracyTracker {
    error: f64,
    naive_error: f64,
    covered: f64,
    scored: u64,
    /// The skill's own errors (forecast, last value), their count and their memory in points.
    skill_error: f64,
    last_value_error: f64,
    skill_scored: u64,
    skill_memory: u64,
}

/// Weight of the newest observation (a memory of about 500 points).
const RATE: f64 = 0.002;
/// Scored forecasts before any figure is given.
const MIN_SCORED: u64 = 10;

/// One actual and what was forecast for it.
#[derive(Clone, Copy, Debug)]
pub struct Scored {
    /// The actual value.
    pub actual: f64,
    /// The one-step median forecast.
    pub median: f64,
    /// The outermost quantile band.
    pub band: (f64, f64),
    /// The value one season before, if a season is modelled and seen.
    pub seasonal_naive: Option<f64>,
    /// The previous value.
    pub last_value: Option<f64>,
}

impl AccuracyTracker {
    /// A tracker whose skill remembers about `skill_memory` points.
    pub fn new(skill_memory: u64) -> Self {
        Self { skill_memory: skill_memory.max(1), ..Self::default() }
    }

    /// Forgets the skill measured so far: the model it measured is no longer the one in use.
    pub fn restart_skill(&mut self) {
        (self.skill_error, self.last_value_error, self.skill_scored) = (0.0, 0.0, 0);
    }

    /// Scores one actual against its forecast, the seasonal-naive forecast and the last value.
    pub fn observe(&mut self, scored: Scored) {
        let Scored { actual, median, band: (lower, upper), seasonal_naive, last_value } = scored;
        if !(actual.is_finite() && median.is_finite()) {
            return;
        }
        self.scored += 1;
        let rate = RATE.max(1.0 / self.scored as f64);
        self.error += rate * ((actual - median).abs() - self.error);
        if let Some(naive) = seasonal_naive.filter(|n| n.is_finite()) {
            self.naive_error += rate * ((actual - naive).abs() - self.naive_error);
        }
        if let Some(last) = last_value.filter(|n| n.is_finite()) {
            self.skill_scored += 1;
            let rate = (1.0 / self.skill_memory.max(1) as f64).max(1.0 / self.skill_scored as f64);
            self.skill_error += rate * ((actual - median).abs() - self.skill_error);
            self.last_value_error += rate * ((actual - last).abs() - self.last_value_error);
        }
        let inside = if (lower..=upper).contains(&actual) { 1.0 } else { 0.0 };
        self.covered += rate * (inside - self.covered);
    }

    /// The figures so far.
    pub fn accuracy(&self) -> Accuracy {
        let measured = self.scored >= MIN_SCORED;
        let skill_measured = self.skill_scored >= MIN_SCORED && self.last_value_error > 0.0;
        Accuracy {
            mase: (measured && self.naive_error > 0.0).then(|| self.error / self.naive_error),
            coverage: measured.then_some(self.covered),
            skill: skill_measured.then(|| 1.0 - self.skill_error / self.last_value_error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(tracker: &mut AccuracyTracker, actual: f64, median: f64, last: f64) {
        tracker.observe(Scored {
            actual,
            median,
            band: (median - 1.0, median + 1.0),
            seasonal_naive: Some(actual),
            last_value: Some(last),
        });
    }

    #[test]
    fn skill_compares_with_the_last_value() {
        // A forecast with half the last value's error has skill 0.5; the same errors give 0.
        let (mut half, mut same) = (AccuracyTracker::new(100), AccuracyTracker::new(100));
        for step in 0..50 {
            let actual = if step % 2 == 0 { 10.0 } else { 14.0 };
            let last = if step % 2 == 0 { 14.0 } else { 10.0 };
            score(&mut half, actual, actual + 2.0, last);
            score(&mut same, actual, last, last);
        }
        assert!((half.accuracy().skill.unwrap() - 0.5).abs() < 1e-9);
        assert!(same.accuracy().skill.unwrap().abs() < 1e-9);
        assert_eq!(same.accuracy().mase, None, "a perfect seasonal-naive forecast leaves MASE undefined");
    }

    #[test]
    fn skill_restarts_and_forgets_within_its_memory() {
        let mut tracker = AccuracyTracker::new(20);
        // A poor warm-up model: twice the last value's error.
        (0..50).for_each(|_| score(&mut tracker, 10.0, 14.0, 12.0));
        assert!((tracker.accuracy().skill.unwrap() + 1.0).abs() < 1e-9);
        tracker.restart_skill();
        assert_eq!(tracker.accuracy().skill, None, "unknown until ten forecasts of the new model are scored");
        assert!(tracker.accuracy().coverage.is_some(), "coverage and MASE are kept");
        (0..10).for_each(|_| score(&mut tracker, 10.0, 11.0, 12.0));
        assert!((tracker.accuracy().skill.unwrap() - 0.5).abs() < 1e-9);
        // A memory of 20 points: after 100 more of a perfect forecast, the old errors are all but gone.
        (0..100).for_each(|_| score(&mut tracker, 10.0, 10.0, 12.0));
        assert!(tracker.accuracy().skill.unwrap() > 0.99);
    }

    #[test]
    fn nothing_is_given_before_ten_scored_forecasts() {
        let mut tracker = AccuracyTracker::new(100);
        (0..9).for_each(|_| score(&mut tracker, 1.0, 2.0, 3.0));
        assert_eq!(tracker.accuracy(), Accuracy::default());
        score(&mut tracker, 1.0, 2.0, 3.0);
        assert!(tracker.accuracy().skill.is_some() && tracker.accuracy().coverage.is_some());
    }
}
