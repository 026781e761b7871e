//! A series' own forecast accuracy, measured as actual values arrive: rolling MASE (absolute error of the one-step
//! forecast over the seasonal-naive error) and coverage of the outermost quantile band.

/// Rolling accuracy figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Accuracy {
    /// Rolling mean absolute scaled error (below 1 beats a seasonal-naive forecast); `None` until measurable.
    pub mase: Option<f64>,
    /// Share of actuals inside the outermost quantile band; `None` until measured.
    pub coverage: Option<f64>,
}

/// Exponentially weighted accuracy of one series' forecasts.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct AccuracyTracker {
    error: f64,
    naive_error: f64,
    covered: f64,
    scored: u64,
}

/// Weight of the newest observation (a memory of about 500 points).
const RATE: f64 = 0.002;

impl AccuracyTracker {
    /// Scores one actual against its forecast (`median`, band `lower..=upper`) and the seasonal-naive forecast.
    pub fn observe(&mut self, actual: f64, median: f64, lower: f64, upper: f64, seasonal_naive: Option<f64>) {
        if !(actual.is_finite() && median.is_finite()) {
            return;
        }
        self.scored += 1;
        let rate = RATE.max(1.0 / self.scored as f64);
        self.error += rate * ((actual - median).abs() - self.error);
        if let Some(naive) = seasonal_naive.filter(|n| n.is_finite()) {
            self.naive_error += rate * ((actual - naive).abs() - self.naive_error);
        }
        let inside = if (lower..=upper).contains(&actual) { 1.0 } else { 0.0 };
        self.covered += rate * (inside - self.covered);
    }

    /// The figures so far.
    pub fn accuracy(&self) -> Accuracy {
        Accuracy {
            mase: (self.scored >= 10 && self.naive_error > 0.0).then(|| self.error / self.naive_error),
            coverage: (self.scored >= 10).then_some(self.covered),
        }
    }
}
