//! Container requests replayed against one pod's usage: Augur's requests (the `augur-autoscale` engine on forecasts
//! of the usage, resized in place) against the VPA recommender's rule ([`vpa`](crate::vpa)) at several safety
//! margins, its frontier.
//!
//! Each trace step's usage is the pod's mean usage over the step. At the start of a step each strategy sets the
//! request from what it knew by then; a step whose usage exceeds its request counts its minutes as *short*
//! (throttled CPU when the limit is the request, or a memory limit exceeded: an out-of-memory kill the VPA learns
//! from), and the request, held over the step, is the *reserved* cost (core-hours, or bytes × hours). A strategy with
//! nothing to say yet keeps the previous request, starting from the same initial request for all.

use augur_autoscale::{ForecastView, quantity::parse_quantity, resource_request};
use augur_crds::kinds::autoscale_policy::{Guardrails, ResourceForecast, ResourceUpdate};

use crate::{
    Millis,
    floor::Forecasts,
    frontier::{CostPoint, EqualCost, equal_cost},
    trace::Trace,
    vpa::{Resource, Vpa, VpaSettings},
};

/// VPA safety margins of the frontier: none to doubling.
pub const VPA_MARGINS: [f64; 6] = [0.0, 0.15, 0.3, 0.5, 0.75, 1.0];

/// A request strategy.
pub trait RequestStrategy {
    /// The request for the step starting at `time`, from what was observed before it; `None` keeps the previous.
    fn request(&mut self, time: Millis) -> Option<f64>;
    /// Learns the usage of the step starting at `time`, whose request was `request`.
    fn observe(&mut self, time: Millis, usage: f64, request: f64);
}

/// One step of a replay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RequestSample {
    /// Start of the step.
    pub time: Millis,
    /// The usage.
    pub usage: f64,
    /// The request.
    pub request: f64,
}

/// A strategy's figures, or a stretch of them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UsageFigures {
    /// Minutes with usage above the request.
    pub short_minutes: f64,
    /// The request integrated over time, in unit-hours (core-hours; byte-hours for memory).
    pub reserved_hours: f64,
    /// Changes of the request.
    pub changes: u64,
}

impl UsageFigures {
    /// As a point of cost against shortfall.
    pub fn point(&self) -> CostPoint {
        CostPoint { cost: self.reserved_hours, shortfall: self.short_minutes }
    }

    /// Sums figures.
    pub fn plus(self, other: Self) -> Self {
        Self {
            short_minutes: self.short_minutes + other.short_minutes,
            reserved_hours: self.reserved_hours + other.reserved_hours,
            changes: self.changes + other.changes,
        }
    }
}

/// A replay: one sample per step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestRun {
    /// The samples.
    pub samples: Vec<RequestSample>,
    /// The step length.
    pub step_ms: Millis,
}

impl RequestRun {
    /// Figures over the steps from `from` on.
    pub fn figures_from(&self, from: Millis) -> UsageFigures {
        let (minutes, hours) = (self.step_ms as f64 / 60_000.0, self.step_ms as f64 / 3_600_000.0);
        let mut figures = UsageFigures::default();
        let mut previous: Option<f64> = None;
        for sample in self.samples.iter().filter(|s| s.time >= from) {
            if sample.usage > sample.request {
                figures.short_minutes += minutes;
            }
            figures.reserved_hours += sample.request * hours;
            figures.changes += u64::from(previous.is_some_and(|p| (p - sample.request).abs() > 1e-12));
            previous = Some(sample.request);
        }
        figures
    }
}

/// Replays `trace` (one pod's usage) through `strategy`, starting from `initial`.
pub fn replay(trace: &Trace, strategy: &mut dyn RequestStrategy, initial: f64) -> RequestRun {
    let mut request = initial;
    let samples = trace
        .values
        .iter()
        .enumerate()
        .map(|(index, &usage)| {
            let time = trace.start_ms + index as i64 * trace.step_ms;
            if let Some(next) = strategy.request(time).filter(|r| r.is_finite() && *r >= 0.0) {
                request = next;
            }
            strategy.observe(time, usage, request);
            RequestSample { time, usage, request }
        })
        .collect();
    RequestRun { samples, step_ms: trace.step_ms }
}

/// The VPA recommender as a strategy: it learns every step, and OOM kills when memory exceeds the request.
pub struct VpaStrategy(pub Vpa, pub Resource);

impl RequestStrategy for VpaStrategy {
    fn request(&mut self, _time: Millis) -> Option<f64> {
        self.0.target()
    }

    fn observe(&mut self, time: Millis, usage: f64, request: f64) {
        self.0.observe(time, usage, request);
        if self.1 == Resource::Memory && usage > request {
            self.0.oom(time, request);
        }
    }
}

/// Augur's requests: the engine on the latest forecast of the usage made before each step.
pub struct AugurRequests<'a> {
    /// The container's resource policy.
    pub spec: &'a ResourceForecast,
    /// The policy's guardrails.
    pub guardrails: &'a Guardrails,
    /// The resource.
    pub resource: Resource,
    /// The usage trace.
    pub trace: &'a Trace,
    /// Forecasts made over it.
    pub forecasts: &'a Forecasts,
}

impl RequestStrategy for AugurRequests<'_> {
    fn request(&mut self, time: Millis) -> Option<f64> {
        let forecast: Option<&ForecastView> = self.forecasts.latest(self.trace, time);
        let kind = match self.resource {
            Resource::Cpu => augur_autoscale::ResourceKind::Cpu,
            Resource::Memory => augur_autoscale::ResourceKind::Memory,
        };
        let decision = resource_request(self.spec, kind, ResourceUpdate::InPlace, self.guardrails, forecast, time);
        parse_quantity(&decision.request?.0).ok()
    }

    fn observe(&mut self, _time: Millis, _usage: f64, _request: f64) {}
}

/// Augur's and the VPA's requests over one usage trace.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestsOutcome {
    /// The VPA at each margin of the frontier, by margin.
    pub frontier: Vec<(f64, RequestRun)>,
    /// Augur.
    pub augur: RequestRun,
}

impl RequestsOutcome {
    /// The VPA at its default margin (0.15), when on the frontier.
    pub fn vpa_default(&self) -> Option<&RequestRun> {
        self.frontier.iter().find(|(margin, _)| (margin - 0.15).abs() < 1e-9).map(|(_, run)| run)
    }

    /// Augur against the VPA's frontier, both over the steps from `from` on.
    pub fn equal_cost_from(&self, from: Millis) -> Option<EqualCost> {
        let reference = self.frontier.iter().map(|(_, run)| run.figures_from(from).point());
        equal_cost(reference, self.augur.figures_from(from).point())
    }
}

/// Replays the VPA at each of `margins` and Augur's requests over `trace`, all from `initial`.
pub fn simulate_requests(
    trace: &Trace,
    resource: Resource,
    initial: f64,
    margins: &[f64],
    augur: &mut AugurRequests<'_>,
) -> RequestsOutcome {
    let frontier = margins
        .iter()
        .map(|&margin| {
            let vpa = Vpa::new(VpaSettings { margin, ..VpaSettings::defaults(resource) });
            (margin, replay(trace, &mut VpaStrategy(vpa, resource), initial))
        })
        .collect();
    RequestsOutcome { frontier, augur: replay(trace, augur, initial) }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Vec<Option<f64>>, usize);

    impl RequestStrategy for Fixed {
        fn request(&mut self, _time: Millis) -> Option<f64> {
            self.1 += 1;
            self.0.get(self.1 - 1).copied().flatten()
        }
        fn observe(&mut self, _time: Millis, _usage: f64, _request: f64) {}
    }

    #[test]
    fn short_minutes_and_reserved_hours_follow_the_requests() {
        let trace = Trace { name: "u".into(), start_ms: 0, step_ms: 300_000, values: vec![1.0, 2.0, 2.0, 0.5] };
        let mut strategy = Fixed(vec![None, Some(1.5), None, Some(f64::NAN)], 0);
        let run = replay(&trace, &mut strategy, 1.0);
        let requests: Vec<f64> = run.samples.iter().map(|s| s.request).collect();
        assert_eq!(requests, vec![1.0, 1.5, 1.5, 1.5], "no answer or a non-finite one keeps the request");
        let figures = run.figures_from(0);
        assert_eq!(figures.short_minutes, 10.0, "steps 1 and 2 use 2 cores against 1.5");
        assert!((figures.reserved_hours - 5.5 / 12.0).abs() < 1e-12);
        assert_eq!(figures.changes, 1);
        assert_eq!(run.figures_from(600_000).short_minutes, 5.0);
    }

    #[test]
    fn the_vpa_learns_from_out_of_memory_kills() {
        let gib = 1024.0 * 1024.0 * 1024.0;
        let trace = Trace { name: "m".into(), start_ms: 0, step_ms: 60_000, values: vec![1.0 * gib; 30] };
        let vpa = Vpa::new(VpaSettings::defaults(Resource::Memory));
        let run = replay(&trace, &mut VpaStrategy(vpa, Resource::Memory), 0.5 * gib);
        // The first step is over the limit; from then on the request covers the usage with the OOM bump.
        assert!(run.samples[0].usage > run.samples[0].request);
        assert!(run.samples[1..].iter().all(|s| s.request >= 1.15 * gib), "{:?}", run.samples[1]);
    }
}
