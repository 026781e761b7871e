//! `augur render`: the RuntimeConfig a resource becomes in the cluster, printed as YAML.

use std::path::Path;

use anyhow::{Context, bail};
use augur_crds::runtime_config::RenderContext;

use crate::manifest;

/// Loads, validates and renders `path`, writing the RuntimeConfig YAML to `out`.
pub fn run(
    path: &Path,
    namespace: String,
    kafka_bootstrap_servers: Option<Vec<String>>,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    let resource = manifest::load(path)?;
    let context =
        RenderContext { default_bootstrap_servers: kafka_bootstrap_servers, default_namespace: Some(namespace) };
    let Some(config) = resource.render(&context) else {
        bail!("an {} has no runtime: the operator acts on it directly, so there is nothing to render", resource.kind());
    };
    let yaml = config.with_context(|| format!("cannot render {}", path.display()))?.to_yaml()?;
    out.write_all(yaml.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use augur_crds::RuntimeConfig;

    use super::*;

    fn example(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name)
    }

    #[test]
    fn renders_an_example_to_a_parseable_runtime_config() {
        let mut out = Vec::new();
        run(&example("anomaly-detector.yaml"), "default".into(), None, &mut out).unwrap_or_else(|e| panic!("{e:#}"));
        let config = RuntimeConfig::from_yaml(&String::from_utf8_lossy(&out)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((config.resource.namespace.as_str(), config.resource.name.as_str()), ("shop", "service-metrics"));
    }

    #[test]
    fn an_autoscale_policy_has_nothing_to_render() {
        let error = run(&example("autoscale-policy.yaml"), "default".into(), None, &mut Vec::new()).err();
        assert!(error.map(|e| e.to_string()).unwrap_or_default().contains("has no runtime"));
    }
}
