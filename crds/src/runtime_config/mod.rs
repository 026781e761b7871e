//! `RuntimeConfig`: the document the operator renders into a ConfigMap and the runtime parses.
//!
//! Everything is resolved here: defaults applied, sensitivity turned into a threshold, Secrets turned into file
//! references, so the runtime needs nothing but this file. Parsing is strict (`deny_unknown_fields`) and versioned
//! (`apiVersion`), so an operator and a runtime that disagree fail loudly instead of silently ignoring settings.

mod render;
mod types;

pub use render::{RenderContext, RenderError, anomaly_detector, forecaster, log_clusterer};
pub use types::*;

/// `apiVersion` of the document this crate writes and reads.
pub const API_VERSION: &str = "runtime.augur.dev/v1";
/// `kind` of the document.
pub const KIND: &str = "RuntimeConfig";
/// Directory under which the operator mounts each referenced Secret, one sub-directory per Secret.
pub const SECRETS_ROOT: &str = "/var/run/secrets/augur";
/// File name of the RuntimeConfig inside its ConfigMap and mount.
pub const CONFIG_FILE_NAME: &str = "runtime-config.yaml";

/// Why a RuntimeConfig document was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The YAML does not match the schema (unknown field, wrong type, missing field).
    #[error("invalid RuntimeConfig: {0}")]
    Syntax(String),
    /// The document is for another version of the contract.
    #[error(
        "RuntimeConfig apiVersion {found:?} is not supported (this runtime reads {API_VERSION:?}); \
         run an operator and runtime of the same release"
    )]
    Version {
        /// The version found in the document.
        found: String,
    },
    /// The document's kind is not RuntimeConfig.
    #[error("expected kind {KIND:?}, found {0:?}")]
    Kind(String),
}

impl RuntimeConfig {
    /// Parses and checks a RuntimeConfig document.
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = serde_saphyr::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        if config.api_version != API_VERSION {
            return Err(ConfigError::Version { found: config.api_version });
        }
        if config.kind != KIND {
            return Err(ConfigError::Kind(config.kind));
        }
        Ok(config)
    }

    /// Writes the document as YAML.
    pub fn to_yaml(&self) -> Result<String, ConfigError> {
        serde_saphyr::to_string(self).map_err(|e| ConfigError::Syntax(e.to_string()))
    }

    /// Names of the Secrets this config reads files from; the operator mounts each under [`SECRETS_ROOT`].
    pub fn referenced_secrets(&self) -> std::collections::BTreeSet<String> {
        let mut names = std::collections::BTreeSet::new();
        let mut add = |file: &SecretFile| {
            names.insert(file.secret.clone());
        };
        if let SourceConfig::Kafka(kafka) = &self.source {
            kafka.connection.visit_secret_files(&mut add);
        }
        if let SourceConfig::Prometheus(prometheus) = &self.source {
            prometheus.visit_secret_files(&mut add);
        }
        if let Some(kafka) = &self.output.kafka {
            kafka.connection.visit_secret_files(&mut add);
        }
        if let StateStore::Kafka { connection, .. } = &self.state.store {
            connection.visit_secret_files(&mut add);
        }
        names
    }
}

#[cfg(test)]
mod tests;
