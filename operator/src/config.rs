//! Operator-wide settings (from flags and the Helm chart's values).

use augur_crds::runtime_config::RenderContext;

/// What the operator needs besides each resource.
#[derive(Clone, Debug, PartialEq)]
pub struct OperatorConfig {
    /// The runtime image, e.g. `ghcr.io/augur-dev/augur-runtime:0.1.0`.
    pub runtime_image: String,
    /// Its pull policy: `IfNotPresent`, `Always` or `Never`.
    pub image_pull_policy: String,
    /// Kafka brokers used by resources that name none.
    pub default_bootstrap_servers: Option<Vec<String>>,
}

impl Default for OperatorConfig {
    fn default() -> Self {
        Self {
            runtime_image: format!("ghcr.io/augur-dev/augur-runtime:{}", env!("CARGO_PKG_VERSION")),
            image_pull_policy: "IfNotPresent".into(),
            default_bootstrap_servers: None,
        }
    }
}

impl OperatorConfig {
    /// The rendering context for RuntimeConfigs.
    pub fn render_context(&self) -> RenderContext {
        RenderContext { default_bootstrap_servers: self.default_bootstrap_servers.clone(), default_namespace: None }
    }
}
