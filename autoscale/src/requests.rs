//! Container requests from forecasts of per-pod usage.
//!
//! request = the policy's quantile of the *largest* per-pod usage over the window the request must cover (the
//! forecast's peak quantiles, see [`ForecastView::window_peak`]), times `1 + headroom`, bounded by `min` and `max`,
//! printed rounded up (CPU to a millicore, memory to a mebibyte). The window depends on how requests reach the pods:
//! - `InPlace`: a resize takes effect at once and the next can follow the next forecast, so the request covers
//!   `[now, now + one forecast step)`;
//! - `Template`: a change is a rollout, which should be rare, so the request covers the rest of the horizon.
//!
//! The same gates as the replica floor apply; a gated resource gets no request, which means "leave what is there".

use augur_crds::kinds::autoscale_policy::{ContainerPolicy, Guardrails, ResourceForecast, ResourceUpdate};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::block::{Block, BlockReason};
use crate::forecast::ForecastView;
use crate::gates::check_forecast;
use crate::quantity::{format_cpu, format_memory, parse_quantity};

/// Which resource a forecast sizes; decides the unit and how the request is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceKind {
    /// CPU, in cores.
    Cpu,
    /// Memory, in bytes.
    Memory,
}

impl ResourceKind {
    fn format(self, value: f64) -> String {
        match self {
            Self::Cpu => format_cpu(value),
            Self::Memory => format_memory(value),
        }
    }
}

/// The request for one resource of one container.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceDecision {
    /// The request to set; `None` leaves the current one (see `block`).
    pub request: Option<Quantity>,
    /// The forecast per-pod usage the request is sized for, in base units (cores or bytes).
    pub forecast_usage: Option<f64>,
    /// Why no request was computed.
    pub block: Option<Block>,
}

/// The requests for one container.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerDecision {
    /// The container's name.
    pub container_name: String,
    /// CPU, when the policy sizes it.
    pub cpu: Option<ResourceDecision>,
    /// Memory, when the policy sizes it.
    pub memory: Option<ResourceDecision>,
}

/// Computes a container's requests, applied by `update`, from its CPU and memory usage forecasts at `now_ms`.
pub fn container_requests(
    policy: &ContainerPolicy,
    update: ResourceUpdate,
    guardrails: &Guardrails,
    forecasts: (Option<&ForecastView>, Option<&ForecastView>),
    now_ms: i64,
) -> ContainerDecision {
    let (cpu, memory) = forecasts;
    let request = |spec, kind, forecast| resource_request(spec, kind, update, guardrails, forecast, now_ms);
    ContainerDecision {
        container_name: policy.container_name.clone(),
        cpu: policy.cpu.as_ref().map(|spec| request(spec, ResourceKind::Cpu, cpu)),
        memory: policy.memory.as_ref().map(|spec| request(spec, ResourceKind::Memory, memory)),
    }
}

/// Computes one resource's request, applied by `update` (see the module docs for the rule).
pub fn resource_request(
    spec: &ResourceForecast,
    kind: ResourceKind,
    update: ResourceUpdate,
    guardrails: &Guardrails,
    forecast: Option<&ForecastView>,
    now_ms: i64,
) -> ResourceDecision {
    let blocked = |block| ResourceDecision { request: None, forecast_usage: None, block: Some(block) };
    let (min, max) = match (bound(spec.min.as_ref(), "min"), bound(spec.max.as_ref(), "max")) {
        (Ok(min), Ok(max)) => (min, max),
        (Err(block), _) | (_, Err(block)) => return blocked(block),
    };
    let needed_until = forecast.map_or(now_ms, |view| now_ms.saturating_add(view.step_ms));
    let view = match check_forecast(forecast, guardrails, needed_until, now_ms) {
        Ok(view) => view,
        Err(block) => return blocked(block),
    };
    let window_end = match update {
        ResourceUpdate::InPlace => now_ms.saturating_add(view.step_ms),
        ResourceUpdate::Template => view.end_ms(),
    };
    let Some(usage) = view.window_peak(spec.quantile, now_ms, window_end) else {
        return blocked(Block::new(BlockReason::InvalidForecast, "the forecast has no point from now on"));
    };
    let usage = usage.max(0.0);
    let headroom = if spec.headroom.is_finite() { spec.headroom.max(0.0) } else { 0.0 };
    let mut value = usage * (1.0 + headroom);
    if let Some(max) = max {
        value = value.min(max);
    }
    if let Some(min) = min {
        value = value.max(min);
    }
    ResourceDecision { request: Some(Quantity(kind.format(value))), forecast_usage: Some(usage), block: None }
}

fn bound(quantity: Option<&Quantity>, field: &str) -> Result<Option<f64>, Block> {
    quantity
        .map(|quantity| parse_quantity(&quantity.0))
        .transpose()
        .map_err(|err| Block::new(BlockReason::InvalidBounds, format!("{field}: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;

    fn forecast(values: &[f64]) -> ForecastView {
        ForecastView {
            start_ms: NOW,
            step_ms: 60_000,
            quantiles: vec![0.5, 0.9],
            points: values.iter().map(|&v| vec![v * 0.8, v]).collect(),
            peaks: Vec::new(),
            generated_at_ms: NOW,
            accuracy: Some(0.4),
            skill: Some(0.3),
            history: None,
            model_ready: true,
        }
    }

    fn spec(min: Option<&str>, max: Option<&str>) -> ResourceForecast {
        ResourceForecast {
            series: "cpu".into(),
            quantile: 0.9,
            headroom: 0.2,
            min: min.map(|m| Quantity(m.into())),
            max: max.map(|m| Quantity(m.into())),
        }
    }

    fn request(decision: &ResourceDecision) -> &str {
        &decision.request.as_ref().unwrap().0
    }

    fn decide(
        spec: &ResourceForecast,
        kind: ResourceKind,
        g: &Guardrails,
        f: Option<&ForecastView>,
    ) -> ResourceDecision {
        resource_request(spec, kind, ResourceUpdate::Template, g, f, NOW)
    }

    #[test]
    fn cpu_is_the_window_peak_plus_headroom() {
        let f = forecast(&[0.2, 0.5, 0.3]);
        let d = decide(&spec(None, None), ResourceKind::Cpu, &Guardrails::default(), Some(&f));
        assert_eq!(request(&d), "600m");
        assert_eq!(d.forecast_usage, Some(0.5));
        assert!(d.block.is_none());
    }

    #[test]
    fn an_in_place_resize_covers_the_next_step_only() {
        let f = forecast(&[0.2, 0.5, 0.3]);
        let g = Guardrails::default();
        let d = resource_request(&spec(None, None), ResourceKind::Cpu, ResourceUpdate::InPlace, &g, Some(&f), NOW);
        assert_eq!(request(&d), "240m", "0.2 cores plus 20%");
    }

    #[test]
    fn bounded_by_min_and_max() {
        let g = Guardrails::default();
        let low = forecast(&[0.01]);
        let d = decide(&spec(Some("100m"), Some("2")), ResourceKind::Cpu, &g, Some(&low));
        assert_eq!(request(&d), "100m");
        let high = forecast(&[5.0]);
        let d = decide(&spec(Some("100m"), Some("2")), ResourceKind::Cpu, &g, Some(&high));
        assert_eq!(request(&d), "2");
    }

    #[test]
    fn memory_is_printed_in_mebibytes() {
        let f = forecast(&[100.0 * 1024.0 * 1024.0]);
        let d = decide(&spec(None, Some("1Gi")), ResourceKind::Memory, &Guardrails::default(), Some(&f));
        assert_eq!(request(&d), "120Mi");
    }

    #[test]
    fn gated_or_badly_bounded_resources_get_no_request() {
        let g = Guardrails::default();
        let mut f = forecast(&[0.5]);
        f.skill = Some(-1.5);
        let d = decide(&spec(None, None), ResourceKind::Cpu, &g, Some(&f));
        assert_eq!(d.request, None);
        assert_eq!(d.block.unwrap().reason, BlockReason::LowForecastAccuracy);
        let d = decide(&spec(Some("lots"), None), ResourceKind::Cpu, &g, Some(&forecast(&[0.5])));
        assert_eq!(d.block.unwrap().reason, BlockReason::InvalidBounds);
        let d = decide(&spec(None, None), ResourceKind::Cpu, &g, None);
        assert_eq!(d.block.unwrap().reason, BlockReason::NoForecast);
    }

    #[test]
    fn a_container_gets_only_the_resources_it_sizes() {
        let policy = ContainerPolicy {
            container_name: "app".into(),
            forecaster_ref: augur_crds::kinds::autoscale_policy::LocalRef { name: "fc".into() },
            cpu: Some(spec(None, None)),
            memory: None,
        };
        let f = forecast(&[1.0]);
        let d =
            container_requests(&policy, ResourceUpdate::Template, &Guardrails::default(), (Some(&f), Some(&f)), NOW);
        assert_eq!(d.container_name, "app");
        assert_eq!(request(d.cpu.as_ref().unwrap()), "1200m");
        assert!(d.memory.is_none());
    }
}
