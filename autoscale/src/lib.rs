//! Augur's autoscaling policy engine: what an AutoScalePolicy recommends, computed from a forecast.
//!
//! Everything here is pure: no I/O, no Kubernetes client, no clock. The caller passes the policy spec, the latest
//! published forecast, what it last applied and the current time in milliseconds since the Unix epoch, and gets back
//! a decision with the reason for anything held back. The operator's AutoScalePolicy controller and
//! `augur simulate` both drive it, so a simulated policy behaves as it would in a cluster.
//!
//! - [`replica_floor`]: the HPA `minReplicas` floor from a load forecast, clamped by bounds, step limits and
//!   cooldown, released to the HPA's own floor when the forecast cannot be trusted.
//! - [`container_requests`]: container CPU and memory requests from per-pod usage forecasts plus headroom.
//! - [`ForecastView`]: a forecast as the engine reads it, converted from a published
//!   [`PublishedForecast`](augur_crds::kinds::forecaster::PublishedForecast).
//! - [`quantity`]: Kubernetes quantities for CPU (cores, printed in millicores) and memory (bytes).

mod block;
mod forecast;
mod gates;
pub mod quantity;
mod replicas;
mod requests;

pub use block::{Block, BlockReason};
pub use forecast::{ForecastView, History, interpolate_quantile};
pub use gates::STALE_AFTER_STEPS;
pub use replicas::{FloorMemory, ReplicaDecision, replica_floor};
pub use requests::{ContainerDecision, ResourceDecision, ResourceKind, container_requests, resource_request};
