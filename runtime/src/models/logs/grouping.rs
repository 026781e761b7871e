//! Grouping templates into higher-level clusters, as the reference Flink ML pipeline does: each template's constant
//! words become a TF-IDF (or raw count) vector, and agglomerative clustering with the chosen linkage merges templates
//! closer than a cosine-distance threshold.
//!
//! The clustering is the nearest-neighbour chain algorithm with Lance–Williams updates: O(n²) time and memory for the
//! reducible linkages offered (single, complete, average). The dendrogram is cut at the threshold by uniting, in
//! height order, every merge at or below it. Only the `max_templates` most frequent templates are grouped per run,
//! which bounds a run's cost.

use std::collections::HashMap;

pub use augur_crds::kinds::log_clusterer::{Linkage, Vectorizer};

/// A template to group: its id, its constant words and how often it matched.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateText {
    /// The template id.
    pub id: u64,
    /// Its constant words (no wildcards).
    pub words: Vec<String>,
    /// Lines matched.
    pub count: u64,
}

/// Grouping settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroupingSettings {
    /// Count or TF-IDF weights.
    pub vectorizer: Vectorizer,
    /// Linkage between groups.
    pub linkage: Linkage,
    /// Groups closer than this cosine distance merge.
    pub distance_threshold: f64,
    /// Most templates grouped per run (the most frequent).
    pub max_templates: usize,
}

impl Default for GroupingSettings {
    fn default() -> Self {
        Self { vectorizer: Vectorizer::TfIdf, linkage: Linkage::Average, distance_threshold: 0.5, max_templates: 2000 }
    }
}

/// Groups `templates`; returns `(template id, group id)` for the grouped templates, the group id being the id of the
/// group's most frequent template (stable while that template leads).
pub fn group(templates: &[TemplateText], settings: &GroupingSettings) -> Vec<(u64, u64)> {
    let mut chosen: Vec<&TemplateText> = templates.iter().collect();
    chosen.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
    chosen.truncate(settings.max_templates);
    let n = chosen.len();
    if n == 0 {
        return Vec::new();
    }
    let vectors = vectorize(&chosen, settings.vectorizer);
    let mut distance = vec![0.0f64; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let d = (1.0 - dot(&vectors[i], &vectors[j])).max(0.0);
            distance[i * n + j] = d;
            distance[j * n + i] = d;
        }
    }
    let merges = nearest_neighbour_chain(&mut distance, n, settings.linkage);
    let mut parent: Vec<usize> = (0..n).collect();
    let mut sorted = merges;
    sorted.sort_by(|a, b| a.2.total_cmp(&b.2));
    for (a, b, height) in sorted {
        if height > settings.distance_threshold {
            break;
        }
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            // The more frequent template (earlier in `chosen`) leads the group.
            let (keep, drop) = if ra < rb { (ra, rb) } else { (rb, ra) };
            parent[drop] = keep;
        }
    }
    (0..n).map(|i| (chosen[i].id, chosen[find(&mut parent, i)].id)).collect()
}

/// Sparse L2-normalised vectors of the templates' words.
fn vectorize(templates: &[&TemplateText], vectorizer: Vectorizer) -> Vec<Vec<(usize, f64)>> {
    let mut vocabulary: HashMap<&str, usize> = HashMap::new();
    let counts: Vec<HashMap<usize, f64>> = templates
        .iter()
        .map(|t| {
            let mut counts = HashMap::new();
            for word in &t.words {
                let next = vocabulary.len();
                let index = *vocabulary.entry(word.as_str()).or_insert(next);
                *counts.entry(index).or_insert(0.0) += 1.0;
            }
            counts
        })
        .collect();
    let mut document_frequency = vec![0.0f64; vocabulary.len()];
    counts.iter().flat_map(HashMap::keys).for_each(|&index| document_frequency[index] += 1.0);
    let documents = templates.len() as f64;
    counts
        .into_iter()
        .map(|counts| {
            let mut vector: Vec<(usize, f64)> = counts
                .into_iter()
                .map(|(index, count)| {
                    let weight = match vectorizer {
                        Vectorizer::Count => count,
                        // Smoothed inverse document frequency, as in the usual TF-IDF.
                        Vectorizer::TfIdf => {
                            count * (((1.0 + documents) / (1.0 + document_frequency[index])).ln() + 1.0)
                        }
                    };
                    (index, weight)
                })
                .collect();
            vector.sort_by_key(|(index, _)| *index);
            let norm = vector.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
            if norm > 0.0 {
                vector.iter_mut().for_each(|(_, w)| *w /= norm);
            }
            vector
        })
        .collect()
}

fn dot(a: &[(usize, f64)], b: &[(usize, f64)]) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The dendrogram's merges `(a, b, height)`, where a cluster is named by one of its leaves.
fn nearest_neighbour_chain(distance: &mut [f64], n: usize, linkage: Linkage) -> Vec<(usize, usize, f64)> {
    let mut active = vec![true; n];
    let mut size = vec![1.0f64; n];
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    let mut chain: Vec<usize> = Vec::new();
    let mut remaining = n;
    while remaining > 1 {
        if chain.is_empty() {
            chain.push((0..n).find(|&i| active[i]).unwrap_or(0));
        }
        let current = chain[chain.len() - 1];
        let previous = chain.len().checked_sub(2).map(|k| chain[k]);
        // The nearest active neighbour; prefer the previous chain element on ties (guarantees termination).
        let mut best = previous.unwrap_or(usize::MAX);
        let mut best_distance = previous.map_or(f64::INFINITY, |p| distance[current * n + p]);
        for j in (0..n).filter(|&j| active[j] && j != current) {
            let d = distance[current * n + j];
            if d < best_distance {
                (best, best_distance) = (j, d);
            }
        }
        if Some(best) == previous {
            chain.pop();
            chain.pop();
            let (a, b) = (current.min(best), current.max(best));
            merges.push((a, b, best_distance));
            // Lance–Williams: the merged cluster keeps index `a`.
            for k in (0..n).filter(|&k| active[k] && k != a && k != b) {
                let (da, db) = (distance[a * n + k], distance[b * n + k]);
                let merged = match linkage {
                    Linkage::Single => da.min(db),
                    Linkage::Complete => da.max(db),
                    Linkage::Average => (size[a] * da + size[b] * db) / (size[a] + size[b]),
                };
                distance[a * n + k] = merged;
                distance[k * n + a] = merged;
            }
            size[a] += size[b];
            active[b] = false;
            remaining -= 1;
        } else {
            chain.push(best);
        }
    }
    merges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(id: u64, words: &str, count: u64) -> TemplateText {
        TemplateText { id, words: words.split_whitespace().map(str::to_owned).collect(), count }
    }

    fn groups_of(assignments: &[(u64, u64)]) -> Vec<Vec<u64>> {
        let mut groups: HashMap<u64, Vec<u64>> = HashMap::new();
        assignments.iter().for_each(|(t, g)| groups.entry(*g).or_default().push(*t));
        let mut groups: Vec<Vec<u64>> = groups
            .into_values()
            .map(|mut g| {
                g.sort_unstable();
                g
            })
            .collect();
        groups.sort();
        groups
    }

    #[test]
    fn groups_a_small_known_case() {
        let templates = [
            template(1, "connection to database failed", 50),
            template(2, "connection to database timed out", 30),
            template(3, "connection to database refused", 20),
            template(4, "user logged in", 40),
            template(5, "user logged out", 35),
            template(6, "disk almost full", 10),
        ];
        let assignments = group(&templates, &GroupingSettings::default());
        assert_eq!(groups_of(&assignments), vec![vec![1, 2, 3], vec![4, 5], vec![6]]);
        let leader = assignments.iter().find(|(t, _)| *t == 3).map(|(_, g)| *g);
        assert_eq!(leader, Some(1), "a group is named after its most frequent template");
    }

    #[test]
    fn the_threshold_and_linkage_decide() {
        let templates = [template(1, "a b c d", 3), template(2, "a b c e", 2), template(3, "a f g h", 1)];
        let tight = GroupingSettings { distance_threshold: 0.05, ..GroupingSettings::default() };
        assert_eq!(groups_of(&group(&templates, &tight)).len(), 3, "nothing is that close");
        let loose =
            GroupingSettings { distance_threshold: 0.99, linkage: Linkage::Single, ..GroupingSettings::default() };
        assert_eq!(groups_of(&group(&templates, &loose)).len(), 1, "everything shares a word");
        for linkage in [Linkage::Single, Linkage::Complete, Linkage::Average] {
            for vectorizer in [Vectorizer::Count, Vectorizer::TfIdf] {
                let settings = GroupingSettings { linkage, vectorizer, ..GroupingSettings::default() };
                assert_eq!(group(&templates, &settings).len(), 3);
            }
        }
    }

    #[test]
    fn empty_inputs_and_the_bound() {
        assert!(group(&[], &GroupingSettings::default()).is_empty());
        let many: Vec<TemplateText> = (0..50).map(|i| template(i, &format!("w{i} common"), i)).collect();
        let bounded = GroupingSettings { max_templates: 10, ..GroupingSettings::default() };
        let assignments = group(&many, &bounded);
        assert_eq!(assignments.len(), 10);
        assert!(assignments.iter().all(|(t, _)| *t >= 40), "the most frequent are grouped");
    }
}
