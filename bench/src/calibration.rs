//! Calibration of the anomaly score across kinds of series: the AnomalyDetector defaults on synthetic series that
//! hold no anomaly at all (light and heavy tails, counts, a random walk, sparse bursts, rounding), and how often each
//! kind raises an incident (score >= 0.5, the default `Medium`) or scores 0.6 (`Low`) per 10,000 points. A score
//! that means the same on every series gives similar rates on every row; the spread between rows is the figure.
//! Deterministic (a fixed-seed generator), no data needed.

use std::sync::Arc;

use super::speed::XorShift;
use augur_runtime::models::{
    SeriesModel,
    anomaly::{AnomalyDetector, DetectorParams, IncidentStatus},
};

/// Points per series, and series per kind.
const POINTS: usize = 12_000;
const SERIES: u64 = 3;
/// Points not counted at the start of each series (as NAB's probation).
const SETTLE: usize = 750;
const FIVE_MINUTES: i64 = 300_000;

/// The kinds of anomaly-free series.
const KINDS: [&str; 10] =
    ["gaussian", "seasonal", "laplace", "student-t2", "lognormal", "low-counts", "bursty", "walk", "sparse", "rounded"];

impl XorShift {
    /// A standard normal draw (Box-Muller).
    fn gaussian(&mut self) -> f64 {
        let u = self.next_unit().max(1e-300);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.next_unit()).cos()
    }

    /// A unit exponential draw.
    fn exponential(&mut self) -> f64 {
        -self.next_unit().max(1e-300).ln()
    }

    /// A Poisson draw: by multiplication for small means, by a rounded normal for large ones.
    fn poisson(&mut self, mean: f64) -> f64 {
        if mean > 30.0 {
            return (mean + mean.sqrt() * self.gaussian()).round().max(0.0);
        }
        let (limit, mut product, mut count) = ((-mean).exp(), 1.0, 0.0);
        loop {
            product *= self.next_unit();
            if product <= limit {
                return count;
            }
            count += 1.0;
        }
    }
}

/// One anomaly-free series of a kind.
fn series(kind: &str, seed: u64) -> Vec<f64> {
    let mut random = XorShift(0x9E37_79B9_7F4A_7C15 ^ (seed + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let (mut level, mut walk) = (0.0_f64, 1000.0);
    (0..POINTS)
        .map(|i| {
            let day = (i as f64 / 288.0 * std::f64::consts::TAU).sin();
            match kind {
                "gaussian" => 100.0 + random.gaussian(),
                "seasonal" => 100.0 + 20.0 * day + 2.0 * random.gaussian(),
                "laplace" => 100.0 + random.exponential() - random.exponential(),
                "student-t2" => 100.0 + random.gaussian() / random.exponential().sqrt(),
                "lognormal" => (3.0 + 0.5 * random.gaussian()).exp(),
                "low-counts" => random.poisson(2.0 * (1.2 + day)),
                "bursty" => {
                    // Counts whose intensity wanders on a log scale: heavy-tailed, clustered, but stationary.
                    level = 0.98 * level + 0.15 * random.gaussian();
                    random.poisson(30.0 * (level + 0.5 * day).exp())
                }
                "walk" => {
                    walk += random.gaussian();
                    walk
                }
                "sparse" if random.next_unit() < 0.05 => 1e6 * random.exponential(),
                "sparse" => 0.0,
                _ => (50.0 + 10.0 * day + 1.5 * random.gaussian()).round(),
            }
        })
        .collect()
}

/// Incidents opened and points scoring at least 0.6, per 10,000 points, for one kind.
fn rates(kind: &str, params: &Arc<DetectorParams>) -> (f64, f64) {
    let (mut incidents, mut high, mut counted) = (0usize, 0usize, 0usize);
    for seed in 0..SERIES {
        let mut detector = AnomalyDetector::new(Arc::clone(params));
        for (i, value) in series(kind, seed).into_iter().enumerate() {
            let assessment = detector.update(i as i64 * FIVE_MINUTES, value);
            if i < SETTLE {
                continue;
            }
            counted += 1;
            incidents += usize::from(assessment.incident.is_some_and(|x| x.status == IncidentStatus::Opened));
            high += usize::from(assessment.score >= 0.6);
        }
    }
    let per = 10_000.0 / counted.max(1) as f64;
    (incidents as f64 * per, high as f64 * per)
}

/// Prints the rates of every kind and their spread.
pub fn run(report: &mut impl std::io::Write) -> std::io::Result<()> {
    let params = Arc::new(DetectorParams::default());
    writeln!(report, "\ncalibration: anomaly-free synthetic series, {SERIES} x {POINTS} points per kind")?;
    writeln!(report, "  {:<12} {:>22} {:>22}", "kind", "incidents per 10k pts", "scores >= 0.6 per 10k")?;
    let mut all = Vec::with_capacity(KINDS.len());
    for kind in KINDS {
        let (incidents, high) = rates(kind, &params);
        writeln!(report, "  {kind:<12} {incidents:>22.1} {high:>22.1}")?;
        all.push((incidents, high));
    }
    let (low, top) = all.iter().fold((f64::INFINITY, 0.0_f64), |(low, top), &(i, _)| (low.min(i), top.max(i)));
    writeln!(report, "  incidents per 10k points range {low:.1} .. {top:.1} across kinds")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_deterministic_finite_and_of_full_length() {
        for kind in KINDS {
            let (a, b) = (series(kind, 1), series(kind, 1));
            assert_eq!(a.len(), POINTS);
            assert!(a.iter().all(|v| v.is_finite()), "{kind}");
            assert_eq!(a, b, "{kind} is reproducible");
            assert_ne!(a, series(kind, 2), "{kind} differs by seed");
        }
    }

    #[test]
    fn counts_are_whole_and_non_negative() {
        for kind in ["low-counts", "bursty", "rounded"] {
            assert!(series(kind, 0).iter().all(|v| v.fract() == 0.0), "{kind}");
        }
        assert!(series("low-counts", 0).iter().all(|v| *v >= 0.0));
        let sparse = series("sparse", 0);
        let zeros = sparse.iter().filter(|v| **v == 0.0).count() as f64 / POINTS as f64;
        assert!((0.9..0.99).contains(&zeros), "mostly zeros: {zeros}");
    }
}
