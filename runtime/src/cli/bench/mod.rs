//! `augur bench`: benchmarks that print their figures (accuracy on public benchmarks, speed).

pub mod forecast;
pub mod loghub;
pub mod nab;
pub mod speed;
