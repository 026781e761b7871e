//! `augur bench`: benchmarks that print their figures (accuracy on public benchmarks, speed).

pub mod forecast;
pub mod nab;
pub mod speed;
