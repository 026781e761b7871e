//! Per-object exponential backoff for transient failures: 5 s, 10 s, 20 s ... up to 5 minutes, reset on success.

use std::{collections::HashMap, time::Duration};

/// Failures in a row, per object key.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: HashMap<String, u32>,
}

/// First retry delay.
const BASE: Duration = Duration::from_secs(5);
/// Longest delay.
const MAX: Duration = Duration::from_secs(300);

impl Backoff {
    /// Records a failure of `key` and returns how long to wait before retrying.
    pub fn failed(&mut self, key: &str) -> Duration {
        let failures = self.failures.entry(key.to_owned()).or_insert(0);
        *failures = failures.saturating_add(1);
        BASE.saturating_mul(1u32 << (*failures - 1).min(16)).min(MAX)
    }

    /// Forgets the failures of `key` after a success.
    pub fn succeeded(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_per_failure_caps_and_resets() {
        let mut backoff = Backoff::default();
        let delays: Vec<u64> = (0..8).map(|_| backoff.failed("ns/a").as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(backoff.failed("ns/b").as_secs(), 5, "objects back off independently");
        backoff.succeeded("ns/a");
        assert_eq!(backoff.failed("ns/a").as_secs(), 5);
        (0..100).for_each(|_| {
            backoff.failed("ns/c");
        });
        assert_eq!(backoff.failed("ns/c").as_secs(), 300, "no overflow after many failures");
    }
}
