//! The Kubernetes HorizontalPodAutoscaler's algorithm with its default behaviour, for one resource metric.
//!
//! Every sync period (15 s): with `r` ready pods serving load `L` at `c` per pod, utilisation over target is
//! `ratio = L / (r·c·target)`; within the 10% tolerance nothing changes, otherwise `desired = ceil(ratio·r)`. Pods
//! still starting are counted at zero load when scaling up, and hold the scale-up back if with them the ratio is
//! within tolerance (as the HPA does for CPU). The recommendation is stabilised: scale-down follows the largest
//! recommendation of the last 5 minutes, scale-up is immediate, at most `max(2·current, current + 4)` per period.
//! `minReplicas` is a hard floor: below it the HPA scales straight up to it. The metric is read without delay, which
//! favours the HPA (metrics-server adds 15–60 s in a cluster).

use std::collections::VecDeque;

use crate::Millis;

use crate::workload::Workload;

/// The HPA's sync period.
pub const SYNC_MS: Millis = 15_000;
/// The default scale-down stabilisation window.
const STABILISATION_MS: Millis = 300_000;
/// The default tolerance around the target.
const TOLERANCE: f64 = 0.1;

/// One HPA: its settings and its recent recommendations.
#[derive(Clone, Debug)]
pub struct Hpa {
    capacity: f64,
    target: f64,
    max_replicas: i32,
    recommendations: VecDeque<(Millis, i32)>,
}

impl Hpa {
    /// An HPA keeping utilisation at `target` (a fraction) of `capacity` per pod, up to `max_replicas`.
    pub fn new(capacity: f64, target: f64, max_replicas: i32) -> Self {
        Self { capacity, target, max_replicas, recommendations: VecDeque::new() }
    }

    /// The replica count the HPA sets at `now` for `load`, with `min_replicas` as its floor.
    pub fn sync(&mut self, now: Millis, load: f64, pods: &Workload, min_replicas: i32) -> i32 {
        let current = pods.replicas();
        let max_replicas = self.max_replicas.max(min_replicas);
        if current > max_replicas {
            return max_replicas;
        }
        if current < min_replicas {
            return min_replicas;
        }
        let desired = self.metric_recommendation(load, current, pods.ready_at(now));
        self.recommendations.retain(|(at, _)| *at > now - STABILISATION_MS);
        let down = self.recommendations.iter().map(|(_, r)| *r).fold(desired, i32::max);
        self.recommendations.push_back((now, desired));
        let stabilised = current.max(desired).min(down);
        if stabilised > current {
            let limit = (2 * current).max(current + 4);
            stabilised.min(limit).min(max_replicas)
        } else {
            stabilised.max(min_replicas)
        }
    }

    /// The replicas the metric asks for, before stabilisation.
    fn metric_recommendation(&self, load: f64, current: i32, ready: i32) -> i32 {
        if ready <= 0 {
            return current;
        }
        let ratio = load / (f64::from(ready) * self.capacity * self.target);
        if (ratio - 1.0).abs() <= TOLERANCE {
            return current;
        }
        if ratio > 1.0 && current > ready {
            let with_starting = load / (f64::from(current) * self.capacity * self.target);
            if with_starting <= 1.0 + TOLERANCE {
                return current;
            }
            return ceil_replicas(with_starting * f64::from(current));
        }
        ceil_replicas(ratio * f64::from(ready))
    }
}

/// `ceil(x)` as a replica count, ignoring float noise of a billionth.
pub fn ceil_replicas(x: f64) -> i32 {
    let up = (x - 1e-9).ceil();
    if up >= f64::from(i32::MAX) { i32::MAX } else { up.max(0.0) as i32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Millis = SYNC_MS;

    #[test]
    fn scales_up_to_the_target_and_ignores_small_changes() {
        let mut hpa = Hpa::new(10.0, 0.5, 100);
        let pods = Workload::ready(2, 0);
        // 2 pods at 10 each, target 50%: load 10 is exactly on target, 10.9 within tolerance, 40 needs 8.
        assert_eq!(hpa.sync(0, 10.0, &pods, 1), 2);
        assert_eq!(hpa.sync(S, 10.9, &pods, 1), 2);
        assert_eq!(hpa.sync(2 * S, 40.0, &pods, 1), 6, "at most max(2x, +4) per period");
        assert_eq!(hpa.sync(2 * S, 40.0, &Workload::ready(6, 0), 1), 8);
    }

    #[test]
    fn scale_down_waits_for_the_stabilisation_window() {
        let mut hpa = Hpa::new(10.0, 1.0, 100);
        let pods = Workload::ready(8, 0);
        assert_eq!(hpa.sync(0, 80.0, &pods, 1), 8);
        assert_eq!(hpa.sync(S, 20.0, &pods, 1), 8);
        assert_eq!(hpa.sync(STABILISATION_MS - S, 20.0, &pods, 1), 8);
        assert_eq!(hpa.sync(STABILISATION_MS, 20.0, &pods, 1), 2);
    }

    #[test]
    fn starting_pods_hold_back_a_second_scale_up() {
        let mut hpa = Hpa::new(10.0, 1.0, 100);
        let mut pods = Workload::ready(2, 0);
        pods.scale_to(4, 0, 120_000);
        // Load 40 on 2 ready pods is twice the target, but with the 2 starting pods it is on target.
        assert_eq!(hpa.sync(S, 40.0, &pods, 1), 4);
    }

    #[test]
    fn min_replicas_is_a_hard_floor() {
        let mut hpa = Hpa::new(10.0, 1.0, 100);
        let pods = Workload::ready(2, 0);
        assert_eq!(hpa.sync(0, 1.0, &pods, 9), 9);
        assert_eq!(hpa.sync(S, 1.0, &Workload::ready(9, 0), 5), 5, "a lowered floor is no stabilised recommendation");
    }
}
