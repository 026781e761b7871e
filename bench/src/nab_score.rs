//! NAB v1.1 scoring, re-implemented from `shared/bench/nab/score.py` (itself checked against NAB's own code):
//! per-row weights from a scaled sigmoid of the position relative to the labelled windows, probation rows dropped,
//! the earliest detection in a window counted, one threshold for the whole set of series, chosen by sweeping every
//! distinct score (ties go to the highest threshold), and the result normalised between the null detector and a
//! perfect one. On the shared corpus its figures equal the Python scorer's to the last printed digit; `augur-bench
//! nab` prints the command that cross-checks them.
//!
//! Also the leave-one-category-out protocol: the threshold is chosen on all categories but one and applied to the
//! one left out, which measures whether one threshold means the same on series the detector was not tuned on.

use std::collections::HashMap;

use anyhow::Context;

use augur_runtime::time::{Millis, parse_timestamp};

/// Costs of one NAB application profile.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// Name as NAB prints it.
    pub name: &'static str,
    tp: f64,
    fp: f64,
    fn_: f64,
}

/// NAB's three profiles: standard, reward low false positives, reward low false negatives.
pub const PROFILES: [Profile; 3] = [
    Profile { name: "standard", tp: 1.0, fp: 0.11, fn_: 1.0 },
    Profile { name: "reward_low_FP_rate", tp: 1.0, fp: 0.22, fn_: 1.0 },
    Profile { name: "reward_low_FN_rate", tp: 1.0, fp: 0.11, fn_: 2.0 },
];

/// One scored series: its label key (`category/name.csv`), event times and per-point scores.
#[derive(Clone, Debug)]
pub struct ScoredSeries {
    /// `category/name.csv`, as in NAB's label file.
    pub key: String,
    /// Event time of each row.
    pub timestamps: Vec<Millis>,
    /// Anomaly score of each row.
    pub scores: Vec<f64>,
}

impl ScoredSeries {
    /// The category: the key's first path component.
    pub fn category(&self) -> &str {
        self.key.split('/').next().unwrap_or_default()
    }
}

/// Anomaly windows per label key, as (start, end) event times.
pub type Labels = HashMap<String, Vec<(Millis, Millis)>>;

/// Reads NAB's `combined_windows.json`.
pub fn load_labels(path: &std::path::Path) -> anyhow::Result<Labels> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let raw: HashMap<String, Vec<(String, String)>> =
        serde_json::from_str(&text).with_context(|| format!("{} is not a NAB window file", path.display()))?;
    raw.into_iter()
        .map(|(key, windows)| {
            let windows = windows
                .iter()
                .map(|(start, end)| Ok((parse_timestamp(start)?, parse_timestamp(end)?)))
                .collect::<Result<Vec<_>, augur_runtime::time::TimestampError>>()?;
            Ok((key, windows))
        })
        .collect()
}

/// A figure of one set of series under one profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Figure {
    /// The detection threshold (chosen, or given).
    pub threshold: f64,
    /// Raw score: the sum of row weights of detections and the penalties of missed windows.
    pub raw: f64,
    /// Normalised NAB score (null detector 0, perfect 100); `None` when the series hold no window.
    pub score: Option<f64>,
    /// Rows outside every window at or above the threshold.
    pub false_positives: usize,
}

/// One probation-free row: its score, its weight if detected, and its window (an index into the scorable ones).
struct Row {
    score: f64,
    weight: f64,
    window: Option<usize>,
}

/// The scoring rows of a set of series under a profile.
struct Rows {
    rows: Vec<Row>,
    /// Windows with at least one scored row.
    scorable: usize,
    /// Every labelled window (the perfect score counts them all).
    labelled: usize,
}

fn scaled_sigmoid(y: f64) -> f64 {
    if y > 3.0 { -1.0 } else { 2.0 / (1.0 + (5.0 * y).exp()) - 1.0 }
}

/// Rows NAB does not score at the start of a series of `n` rows: 15%, at most 750.
fn probation(n: usize) -> usize {
    ((0.15 * n as f64).floor() as usize).min(750)
}

fn rows(series: &[&ScoredSeries], labels: &Labels, profile: &Profile) -> anyhow::Result<Rows> {
    let max_tp = scaled_sigmoid(-1.0);
    let mut out = Rows { rows: Vec::new(), scorable: 0, labelled: 0 };
    for one in series {
        let mut windows = labels.get(&one.key).cloned().unwrap_or_default();
        windows.sort_unstable();
        out.labelled += windows.len();
        // Like the Python scorer: a repeated timestamp resolves to its last row.
        let index: HashMap<Millis, usize> = one.timestamps.iter().enumerate().map(|(i, t)| (*t, i)).collect();
        let bounds = windows
            .iter()
            .map(|(start, end)| match (index.get(start), index.get(end)) {
                (Some(&a), Some(&b)) => Ok((a, b)),
                _ => anyhow::bail!("{}: window {start}..{end} not found in its timestamps", one.key),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let first_scored = probation(one.timestamps.len());
        let mut ids: HashMap<usize, usize> = HashMap::new();
        let (mut next, mut current): (usize, Option<(usize, usize, f64)>) = (0, None);
        let mut previous: Option<(usize, f64)> = None;
        for (i, &score) in one.scores.iter().enumerate() {
            if current.is_none() && bounds.get(next).is_some_and(|&(left, _)| left == i) {
                let (left, right) = bounds[next];
                current = Some((next, right, (right - left + 1) as f64));
                next += 1;
            }
            let (weight, window) = match current {
                Some((id, right, width)) => {
                    let y = -((right as f64 - i as f64 + 1.0) / width);
                    (scaled_sigmoid(y) * profile.tp / max_tp, Some(id))
                }
                None => {
                    let u = match previous {
                        None => -1.0,
                        Some((right, width)) if width > 1.0 => scaled_sigmoid(i.abs_diff(right) as f64 / (width - 1.0)),
                        Some(_) => -1.0,
                    };
                    (u * profile.fp, None)
                }
            };
            if i >= first_scored {
                let window = window.map(|id| {
                    let fresh = out.scorable + ids.len();
                    *ids.entry(id).or_insert(fresh)
                });
                out.rows.push(Row { score: if score.is_nan() { 0.0 } else { score }, weight, window });
            }
            if let Some((_, right, width)) = current.filter(|&(_, right, _)| right == i) {
                previous = Some((right, width));
                current = None;
            }
        }
        out.scorable += ids.len();
    }
    Ok(out)
}

impl Rows {
    /// The threshold with the best raw score, sweeping every distinct score from the top (ties: the highest).
    fn best(&self, profile: &Profile) -> (f64, f64) {
        let mut order: Vec<&Row> = self.rows.iter().collect();
        order.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut best_weight = vec![-profile.fn_; self.scorable];
        let (mut false_sum, mut window_sum) = (0.0, -profile.fn_ * self.scorable as f64);
        let (mut threshold, mut raw) = (f64::INFINITY, false_sum + window_sum);
        let mut i = 0;
        while i < order.len() {
            let level = order[i].score;
            while i < order.len() && order[i].score == level {
                let row = order[i];
                match row.window {
                    None => false_sum += row.weight,
                    Some(id) if row.weight > best_weight[id] => {
                        window_sum += row.weight - best_weight[id];
                        best_weight[id] = row.weight;
                    }
                    Some(_) => {}
                }
                i += 1;
            }
            if false_sum + window_sum > raw {
                (threshold, raw) = (level, false_sum + window_sum);
            }
        }
        (threshold, raw)
    }

    /// Raw score and false positives at `threshold`.
    fn at(&self, profile: &Profile, threshold: f64) -> (f64, usize) {
        let mut best_weight = vec![-profile.fn_; self.scorable];
        let (mut false_sum, mut false_positives) = (0.0, 0);
        for row in self.rows.iter().filter(|row| row.score >= threshold) {
            match row.window {
                None => (false_sum, false_positives) = (false_sum + row.weight, false_positives + 1),
                Some(id) => best_weight[id] = best_weight[id].max(row.weight),
            }
        }
        (false_sum + best_weight.iter().sum::<f64>(), false_positives)
    }

    fn figure(&self, profile: &Profile, threshold: f64, raw: f64, false_positives: usize) -> Figure {
        let null = -profile.fn_ * self.scorable as f64;
        let perfect = profile.tp * self.labelled as f64;
        let score = (perfect > null).then(|| 100.0 * (raw - null) / (perfect - null));
        Figure { threshold, raw, score, false_positives }
    }
}

/// Scores `series` together under `profile`: at `threshold`, or at the best threshold when `None`.
pub fn score(
    series: &[&ScoredSeries],
    labels: &Labels,
    profile: &Profile,
    threshold: Option<f64>,
) -> anyhow::Result<Figure> {
    let rows = rows(series, labels, profile)?;
    let threshold = threshold.unwrap_or_else(|| rows.best(profile).0);
    let (raw, false_positives) = rows.at(profile, threshold);
    Ok(rows.figure(profile, threshold, raw, false_positives))
}

/// One fold of the leave-one-category-out protocol.
#[derive(Clone, Debug)]
pub struct Fold {
    /// The category left out.
    pub category: String,
    /// Series and labelled windows in it.
    pub series: usize,
    /// Labelled windows in it.
    pub windows: usize,
    /// The category scored at the threshold chosen on the others.
    pub held_out: Figure,
    /// The category scored at its own best threshold (what the threshold transfer costs).
    pub own: Figure,
}

/// Leave-one-category-out under `profile`, one fold per category, in name order.
pub fn folds(series: &[ScoredSeries], labels: &Labels, profile: &Profile) -> anyhow::Result<Vec<Fold>> {
    let mut categories: Vec<&str> = series.iter().map(ScoredSeries::category).collect();
    categories.sort_unstable();
    categories.dedup();
    categories
        .into_iter()
        .map(|category| {
            let (test, train): (Vec<&ScoredSeries>, Vec<&ScoredSeries>) =
                series.iter().partition(|s| s.category() == category);
            let chosen = score(&train, labels, profile, None)?.threshold;
            Ok(Fold {
                category: category.to_owned(),
                series: test.len(),
                windows: test.iter().map(|s| labels.get(&s.key).map_or(0, Vec::len)).sum(),
                held_out: score(&test, labels, profile, Some(chosen))?,
                own: score(&test, labels, profile, None)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Millis = 60_000;
    const STANDARD: Profile = PROFILES[0];

    /// A series of `n` rows, one a minute, with windows over the given row ranges, scored by `score(row)`.
    fn series(key: &str, n: usize, windows: &[(usize, usize)], score: impl Fn(usize) -> f64) -> (ScoredSeries, Labels) {
        let timestamps: Vec<Millis> = (0..n as i64).map(|i| i * MINUTE).collect();
        let labels = Labels::from([(
            key.to_owned(),
            windows.iter().map(|&(a, b)| (timestamps[a], timestamps[b])).collect::<Vec<_>>(),
        )]);
        (ScoredSeries { key: key.to_owned(), timestamps, scores: (0..n).map(score).collect() }, labels)
    }

    fn normalised(series: &ScoredSeries, labels: &Labels, profile: &Profile) -> f64 {
        score(&[series], labels, profile, None).ok().and_then(|f| f.score).unwrap_or(f64::NAN)
    }

    #[test]
    fn a_detection_at_each_window_start_is_perfect_and_silence_is_null() {
        let windows = [(300, 340), (600, 650)];
        for profile in &PROFILES {
            let (perfect, labels) = series("a/x.csv", 1000, &windows, |i| if i == 300 || i == 600 { 1.0 } else { 0.0 });
            assert!((normalised(&perfect, &labels, profile) - 100.0).abs() < 1e-9, "{}", profile.name);
            let (silent, labels) = series("a/x.csv", 1000, &windows, |_| 0.0);
            assert!(normalised(&silent, &labels, profile).abs() < 1e-9, "{}", profile.name);
        }
    }

    #[test]
    fn earlier_detections_earn_more_and_probation_is_ignored() {
        let at = |row: usize| {
            let (s, labels) = series("a/x.csv", 1000, &[(300, 340)], move |i| if i == row { 1.0 } else { 0.0 });
            normalised(&s, &labels, &STANDARD)
        };
        assert!(at(300) > at(320) && at(320) > at(340) && at(340) > 0.0);
        // 15% of 1000 rows are probation: a detection there is neither a hit nor a false positive.
        assert!(at(100).abs() < 1e-9);
    }

    #[test]
    fn false_positives_cost_less_right_after_a_window_than_far_from_any() {
        let with_false_positive = |row: usize| {
            let (s, labels) =
                series("a/x.csv", 1000, &[(300, 340)], move |i| if i == 300 || i == row { 1.0 } else { 0.0 });
            score(&[&s], &labels, &STANDARD, Some(0.5)).map(|f| f.raw).unwrap_or(f64::NAN)
        };
        let (hit_only, labels) = series("a/x.csv", 1000, &[(300, 340)], |i| if i == 300 { 1.0 } else { 0.0 });
        let clean = score(&[&hit_only], &labels, &STANDARD, Some(0.5)).map(|f| f.raw).unwrap_or(f64::NAN);
        let (near, far, before) = (with_false_positive(345), with_false_positive(900), with_false_positive(200));
        assert!(clean > near && near > far, "{clean} {near} {far}");
        assert!((clean - before - STANDARD.fp).abs() < 1e-9, "before any window a false positive costs A_fp");
    }

    #[test]
    fn the_best_threshold_is_found_and_each_fold_uses_the_others_threshold() {
        // Category a: its window scores 0.9 and noise 0.6; category b: window 0.5, noise 0.1.
        let (a, labels_a) = series("a/x.csv", 1000, &[(300, 340)], |i| match i {
            320 => 0.9,
            i if i % 100 == 50 => 0.6,
            _ => 0.0,
        });
        let (b, labels_b) = series("b/y.csv", 1000, &[(500, 540)], |i| match i {
            520 => 0.5,
            i if i % 100 == 50 => 0.1,
            _ => 0.0,
        });
        let labels: Labels = labels_a.into_iter().chain(labels_b).collect();
        let own_a = score(&[&a], &labels, &STANDARD, None).ok().map(|f| f.threshold);
        assert_eq!(own_a, Some(0.9), "noise at 0.6 would only add false positives");
        let folds = folds(&[a, b], &labels, &STANDARD).unwrap_or_default();
        assert_eq!(folds.len(), 2);
        assert_eq!(folds[1].category, "b");
        assert_eq!(folds[1].held_out.threshold, 0.9, "b is scored at the threshold chosen on a");
        assert_eq!(folds[1].held_out.score, Some(0.0), "which misses b's window");
        assert_eq!(folds[1].own.threshold, 0.5);
        assert!(folds[1].own.score.is_some_and(|s| s > 50.0));
    }

    #[test]
    fn a_window_outside_the_timestamps_is_an_error_not_a_panic() {
        let (s, _) = series("a/x.csv", 100, &[], |_| 0.0);
        let labels = Labels::from([("a/x.csv".to_owned(), vec![(5 * MINUTE + 1, 6 * MINUTE)])]);
        assert!(score(&[&s], &labels, &STANDARD, None).is_err());
    }
}
