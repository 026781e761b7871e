//! [`AugurResource`]: a manifest of any Augur kind, decoded into its typed form.

use serde_json::Value;

use crate::{
    AnomalyDetector, AutoScalePolicy, Forecaster, LogClusterer,
    runtime_config::{self, RenderContext, RenderError, RuntimeConfig},
};

/// A custom resource of one of the four Augur kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum AugurResource {
    /// An AnomalyDetector.
    AnomalyDetector(AnomalyDetector),
    /// A Forecaster.
    Forecaster(Forecaster),
    /// A LogClusterer.
    LogClusterer(LogClusterer),
    /// An AutoScalePolicy.
    AutoScalePolicy(AutoScalePolicy),
}

/// Why a manifest is not a usable Augur resource.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ManifestError {
    /// Not YAML or JSON.
    #[error("not a YAML manifest: {0}")]
    Syntax(String),
    /// Some other API's object.
    #[error(
        "{api_version}/{kind} is not an Augur resource (expected apiVersion augur.dev/v1alpha1 and kind \
         AnomalyDetector, Forecaster, LogClusterer or AutoScalePolicy)"
    )]
    NotAugur {
        /// The manifest's apiVersion.
        api_version: String,
        /// The manifest's kind.
        kind: String,
    },
    /// Rejected by the schema or a CEL rule; one message per problem, as the API server words them.
    #[error("the manifest is invalid:\n  {}", .0.join("\n  "))]
    Invalid(Vec<String>),
    /// The manifest does not decode into its kind.
    #[error("the manifest does not decode: {0}")]
    Decode(String),
}

impl AugurResource {
    /// Decodes a manifest (already parsed to JSON) by its `apiVersion` and `kind`.
    pub fn from_value(manifest: Value) -> Result<Self, ManifestError> {
        let field = |name: &str| manifest.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        let (api_version, kind) = (field("apiVersion"), field("kind"));
        if api_version != format!("{}/{}", crate::GROUP, crate::VERSION) {
            return Err(ManifestError::NotAugur { api_version, kind });
        }
        let decode = |e: serde_json::Error| ManifestError::Decode(e.to_string());
        Ok(match kind.as_str() {
            "AnomalyDetector" => Self::AnomalyDetector(serde_json::from_value(manifest).map_err(decode)?),
            "Forecaster" => Self::Forecaster(serde_json::from_value(manifest).map_err(decode)?),
            "LogClusterer" => Self::LogClusterer(serde_json::from_value(manifest).map_err(decode)?),
            "AutoScalePolicy" => Self::AutoScalePolicy(serde_json::from_value(manifest).map_err(decode)?),
            _ => return Err(ManifestError::NotAugur { api_version, kind }),
        })
    }

    /// Parses YAML (or JSON) text into a JSON value.
    pub fn parse_yaml(text: &str) -> Result<Value, ManifestError> {
        serde_saphyr::from_str(text).map_err(|e| ManifestError::Syntax(e.to_string()))
    }

    /// The kind's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AnomalyDetector(_) => "AnomalyDetector",
            Self::Forecaster(_) => "Forecaster",
            Self::LogClusterer(_) => "LogClusterer",
            Self::AutoScalePolicy(_) => "AutoScalePolicy",
        }
    }

    /// The RuntimeConfig the operator renders for this resource, or `None` for an AutoScalePolicy, which the
    /// operator acts on itself and which has no runtime.
    pub fn render(&self, context: &RenderContext) -> Option<Result<RuntimeConfig, RenderError>> {
        match self {
            Self::AnomalyDetector(resource) => Some(runtime_config::anomaly_detector(resource, context)),
            Self::Forecaster(resource) => Some(runtime_config::forecaster(resource, context)),
            Self::LogClusterer(resource) => Some(runtime_config::log_clusterer(resource, context)),
            Self::AutoScalePolicy(_) => None,
        }
    }
}

macro_rules! into_resource {
    ($($kind:ident),*) => {$(
        impl From<$kind> for AugurResource {
            fn from(resource: $kind) -> Self {
                Self::$kind(resource)
            }
        }
    )*};
}

into_resource!(AnomalyDetector, Forecaster, LogClusterer, AutoScalePolicy);
