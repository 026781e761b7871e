//! What a runtime pod cannot do right now, shared by the parts that find out (sinks, topic setup, the status
//! publisher) and the parts that report it (`/readyz`, the pod's entry in the resource's status, the log).
//!
//! A problem is keyed by the thing it concerns (`sink/<topic>`, `topic/<topic>`, `status`), so a sink that recovers
//! clears exactly its own problem. The pod is ready only while nothing that stops results from flowing is wrong.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use augur_crds::common::RuntimeProblem;

/// The problems of one runtime process.
#[derive(Clone, Debug, Default)]
pub struct Health {
    problems: Arc<Mutex<BTreeMap<String, Problem>>>,
}

#[derive(Clone, Debug)]
struct Problem {
    reason: &'static str,
    message: String,
    /// Whether it stops results from flowing (and so fails `/readyz`).
    blocking: bool,
}

impl Health {
    /// No problems.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records (or updates) the problem about `subject`; `blocking` problems fail readiness. Logs it when it is new
    /// or its message changed.
    pub fn report(&self, subject: &str, reason: &'static str, message: String, blocking: bool) {
        let mut problems = self.lock();
        let changed = problems.get(subject).is_none_or(|p| p.message != message);
        if changed {
            tracing::warn!(subject, reason, blocking, "{message}");
        }
        problems.insert(subject.to_owned(), Problem { reason, message, blocking });
    }

    /// Clears the problem about `subject`, logging the recovery.
    pub fn clear(&self, subject: &str) {
        if self.lock().remove(subject).is_some() {
            tracing::info!(subject, "recovered");
        }
    }

    /// Whether no blocking problem is recorded.
    pub fn is_ready(&self) -> bool {
        !self.lock().values().any(|p| p.blocking)
    }

    /// The problems, for the pod's status entry (at most `limit`, blocking ones first).
    pub fn problems(&self, limit: usize) -> Vec<RuntimeProblem> {
        let problems = self.lock();
        let mut listed: Vec<(&Problem, RuntimeProblem)> = problems
            .values()
            .map(|p| (p, RuntimeProblem { reason: p.reason.to_owned(), message: p.message.clone() }))
            .collect();
        listed.sort_by_key(|(p, _)| !p.blocking);
        listed.into_iter().take(limit).map(|(_, problem)| problem).collect()
    }

    /// The blocking problems as one line, for `/readyz`.
    pub fn summary(&self) -> Option<String> {
        let problems = self.lock();
        let blocking: Vec<&str> = problems.values().filter(|p| p.blocking).map(|p| p.message.as_str()).collect();
        (!blocking.is_empty()).then(|| blocking.join("; "))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Problem>> {
        self.problems.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_problems_fail_readiness_until_cleared() {
        let health = Health::new();
        assert!(health.is_ready());
        health.report("status", "StatusUnavailable", "cannot publish".into(), false);
        assert!(health.is_ready(), "a status problem does not stop results");
        health.report("sink/out", "SinkUnavailable", "cannot deliver to topic out".into(), true);
        assert!(!health.is_ready());
        assert_eq!(health.summary().as_deref(), Some("cannot deliver to topic out"));
        let problems = health.problems(8);
        assert_eq!(problems[0].reason, "SinkUnavailable", "blocking first: {problems:?}");
        assert_eq!(problems.len(), 2);
        health.clear("sink/out");
        assert!(health.is_ready());
        assert_eq!(health.problems(8).len(), 1);
    }
}
