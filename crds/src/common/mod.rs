//! Types and CEL rules shared by the four kinds: durations, sources, outputs, runtime settings, seasonality, status.

pub mod duration;
pub mod output;
pub mod quantity;
pub mod rules;
pub mod seasonality;
pub mod settings;
pub mod source;
pub mod status;

pub use duration::{Duration, DurationError};
pub use output::{KafkaOutput, Output};
pub use rules::{compare_durations, matches, rule, with_durations};
pub use seasonality::{Seasonality, SeasonalityMode};
pub use settings::RuntimeSettings;
pub use source::{
    ClientTls, KafkaSasl, KafkaSource, LogFormat, LogSource, MetricSource, PrometheusSource, SaslMechanism,
    SecretKeyRef, SecretRef, StartFrom,
};
pub use status::{ObservedConditions, RuntimePod, RuntimeProblem, RuntimeStatus, condition_type, reason};

/// Longest resource name: the runtime's Deployment, Service and pod names are built from it.
pub const MAX_NAME_LENGTH: usize = 50;

/// The rule on every kind's `metadata.name`: it becomes the name of a Service, so it must be a DNS-1035 label with
/// room for the suffixes Kubernetes adds to pod names.
pub fn name_rule() -> kube::core::Rule {
    rule(
        format!(
            "size(self.metadata.name) <= {MAX_NAME_LENGTH} && {}",
            matches("self.metadata.name", "^[a-z]([-a-z0-9]*[a-z0-9])?$")
        ),
        "metadata.name must be at most 50 characters, start with a letter, and use only lowercase letters, digits and '-' (it names the runtime's Deployment and Service)",
    )
}
