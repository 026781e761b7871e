//! Detector tests (filled with the algorithm).
