//! Grouping accuracy (GA), the loghub log-parsing metric, computed in process so the leave-one-system-out protocol
//! can score many configurations without writing files. It is the GA of `shared/bench/loghub2k/ga.py` (Zhu et al.,
//! ICSE'19): a predicted cluster is correct when its set of lines equals the set of one ground-truth event; GA is the
//! share of lines in correct clusters. Lines whose ground-truth event is empty are left out, as the scorer does.

use std::collections::HashMap;

/// GA of `predicted` (one cluster id per line) against `truth` (one event id per line, same order; an empty event
/// drops the line). Returns 0 for no scored lines.
pub fn grouping_accuracy<C: std::hash::Hash + Eq, E: AsRef<str>>(predicted: &[C], truth: &[E]) -> f64 {
    let mut event_size: HashMap<&str, usize> = HashMap::new();
    let mut clusters: HashMap<&C, HashMap<&str, usize>> = HashMap::new();
    let mut lines = 0usize;
    for (cluster, event) in predicted.iter().zip(truth) {
        let event = event.as_ref().trim();
        if event.is_empty() {
            continue;
        }
        lines += 1;
        *event_size.entry(event).or_default() += 1;
        *clusters.entry(cluster).or_default().entry(event).or_default() += 1;
    }
    if lines == 0 {
        return 0.0;
    }
    let correct: usize = clusters
        .values()
        .filter_map(|events| {
            let mut only = events.iter();
            match (only.next(), only.next()) {
                (Some((event, &count)), None) if event_size.get(event) == Some(&count) => Some(count),
                _ => None,
            }
        })
        .sum();
    correct as f64 / lines as f64
}

#[cfg(test)]
mod tests {
    use super::grouping_accuracy;

    #[test]
    fn a_cluster_counts_only_when_it_is_exactly_one_event() {
        // Event a (3 lines) is one cluster; event b is split over two clusters; event c shares a cluster with d.
        let truth = ["a", "a", "a", "b", "b", "c", "d"];
        let predicted = [1, 1, 1, 2, 3, 4, 4];
        assert!((grouping_accuracy(&predicted, &truth) - 3.0 / 7.0).abs() < 1e-12);
        let perfect = [7, 7, 7, 8, 8, 9, 10];
        assert!((grouping_accuracy(&perfect, &truth) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn lines_without_an_event_are_left_out() {
        let truth = ["a", "", "a", " "];
        assert!((grouping_accuracy(&[1, 2, 1, 3], &truth) - 1.0).abs() < 1e-12);
        assert_eq!(grouping_accuracy::<u8, &str>(&[], &[]), 0.0);
    }
}
