//! `augur bench`: benchmarks that print their figures (accuracy on public benchmarks, speed).

pub mod autoscale;
pub mod calibration;
pub mod e2e;
pub mod forecast;
pub mod ga;
pub mod loghub;
pub mod nab;
pub mod nab_score;
pub mod speed;
