//! A progress line on standard error for anything that runs longer than a second: a bar on a terminal, a line
//! every few seconds otherwise (CI logs).

use std::{
    io::{IsTerminal, Write},
    time::{Duration, Instant},
};

/// Progress reporting for one long-running task.
pub struct Progress {
    label: String,
    started: Instant,
    last_drawn: Option<Instant>,
    terminal: bool,
    drawn: bool,
}

impl Progress {
    /// Starts timing `label`.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            started: Instant::now(),
            last_drawn: None,
            terminal: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    /// Time since start.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Reports `done` of `total` (when known), with a detail such as "1.2M points".
    pub fn update(&mut self, done_total: Option<(u64, u64)>, detail: &str) {
        let elapsed = self.started.elapsed();
        let interval = if self.terminal { Duration::from_millis(100) } else { Duration::from_secs(5) };
        if elapsed < Duration::from_secs(1) || self.last_drawn.is_some_and(|at| at.elapsed() < interval) {
            return;
        }
        self.last_drawn = Some(Instant::now());
        let fraction = done_total.filter(|(_, total)| *total > 0).map(|(done, total)| done as f64 / total as f64);
        let bar = fraction.map_or_else(String::new, |f| {
            let filled = (f.clamp(0.0, 1.0) * 30.0).round() as usize;
            format!("[{}{}] {:>3.0}% ", "#".repeat(filled), " ".repeat(30 - filled), f * 100.0)
        });
        let line = format!("{} {bar}{detail} {:.1}s", self.label, elapsed.as_secs_f64());
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal { write!(err, "\r{line}\x1b[K") } else { writeln!(err, "{line}") };
        let _ = err.flush();
        self.drawn = true;
    }

    /// Ends the progress line.
    pub fn finish(&mut self) {
        if self.drawn && self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// `1234567` as `1.2M`, for progress details.
pub fn compact(count: u64) -> String {
    match count {
        0..=9_999 => count.to_string(),
        10_000..=999_999 => format!("{:.1}k", count as f64 / 1e3),
        _ => format!("{:.1}M", count as f64 / 1e6),
    }
}
