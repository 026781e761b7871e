//! A workload's pods as the simulation sees them: each pod becomes ready (counts as capacity) a start-up time after
//! it is created, costs from creation on, and on scale-down the pods still starting go first, as the ReplicaSet
//! controller deletes not-ready pods before ready ones.

use crate::Millis;

use crate::trace::Trace;

/// The pods of one workload.
#[derive(Clone, Debug, Default)]
pub struct Workload {
    /// When each pod is (or was) ready, in creation order, so ascending.
    ready_at: Vec<Millis>,
}

impl Workload {
    /// `replicas` pods, all ready at `now`.
    pub fn ready(replicas: i32, now: Millis) -> Self {
        Self { ready_at: vec![now; usize::try_from(replicas).unwrap_or(0)] }
    }

    /// Pods, starting or ready (the workload's `spec.replicas`).
    pub fn replicas(&self) -> i32 {
        i32::try_from(self.ready_at.len()).unwrap_or(i32::MAX)
    }

    /// Pods ready at `time`.
    pub fn ready_at(&self, time: Millis) -> i32 {
        i32::try_from(self.ready_at.partition_point(|ready| *ready <= time)).unwrap_or(i32::MAX)
    }

    /// Sets the replica count at `now`: new pods are ready after `startup_ms`; removed pods are the newest.
    pub fn scale_to(&mut self, replicas: i32, now: Millis, startup_ms: Millis) {
        let wanted = usize::try_from(replicas).unwrap_or(0);
        if wanted > self.ready_at.len() {
            self.ready_at.resize(wanted, now + startup_ms);
        } else {
            self.ready_at.truncate(wanted);
        }
    }

    /// Under-provisioning over `[from, to)` in pod-milliseconds: demand in pods (load / `capacity`) above the ready
    /// pods, integrated exactly over the trace's steps and the pods' ready times.
    pub fn shortfall(&self, trace: &Trace, capacity: f64, from: Millis, to: Millis) -> f64 {
        let mut cuts: Vec<Millis> = self.ready_at.iter().copied().filter(|t| *t > from && *t < to).collect();
        let mut boundary = trace.start_ms + (trace.index_at(from) as i64 + 1) * trace.step_ms;
        while boundary < to {
            cuts.push(boundary);
            boundary += trace.step_ms;
        }
        cuts.push(to);
        cuts.sort_unstable();
        let mut total = 0.0;
        let mut begin = from;
        for end in cuts {
            if end > begin {
                let missing = trace.load_at(begin) / capacity - f64::from(self.ready_at(begin));
                total += missing.max(0.0) * (end - begin) as f64;
                begin = end;
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(values: &[f64]) -> Trace {
        Trace { name: "t".into(), start_ms: 0, step_ms: 100, values: values.to_vec() }
    }

    #[test]
    fn new_pods_count_only_once_started_and_starting_pods_go_first() {
        let mut pods = Workload::ready(2, 0);
        pods.scale_to(5, 10, 50);
        assert_eq!((pods.replicas(), pods.ready_at(59), pods.ready_at(60)), (5, 2, 5));
        pods.scale_to(3, 20, 50);
        assert_eq!((pods.replicas(), pods.ready_at(20), pods.ready_at(60)), (3, 2, 3));
    }

    #[test]
    fn shortfall_integrates_over_steps_and_ready_times() {
        let mut pods = Workload::ready(1, 0);
        pods.scale_to(3, 0, 50);
        // Demand 2.5 pods over [0, 100), 0.5 over [100, 200). One pod until 50, three after.
        let shortfall = pods.shortfall(&trace(&[25.0, 5.0]), 10.0, 0, 200);
        assert!((shortfall - 1.5 * 50.0).abs() < 1e-9, "{shortfall}");
        assert_eq!(pods.shortfall(&trace(&[25.0, 5.0]), 10.0, 100, 200), 0.0);
    }
}
