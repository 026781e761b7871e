//! Forecaster tests.
