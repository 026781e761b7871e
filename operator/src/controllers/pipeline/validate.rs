//! Validation: everything the schema cannot check, with no client. The output is all that building needs.

use augur_crds::{
    AugurResource,
    common::RuntimeSettings,
    runtime_config::{RenderError, RuntimeConfig},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Resource;

use crate::config::OperatorConfig;

/// The kinds that run a streaming runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipelineKind {
    /// AnomalyDetector.
    AnomalyDetector,
    /// Forecaster.
    Forecaster,
    /// LogClusterer.
    LogClusterer,
}

impl PipelineKind {
    /// The kind named `kind` (`AnomalyDetector`, ...), if it runs a streaming runtime.
    pub fn of_kind(kind: &str) -> Option<Self> {
        match kind {
            "AnomalyDetector" => Some(Self::AnomalyDetector),
            "Forecaster" => Some(Self::Forecaster),
            "LogClusterer" => Some(Self::LogClusterer),
            _ => None,
        }
    }

    /// Suffix of the children's names, so resources of different kinds may share a name.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::AnomalyDetector => "ad",
            Self::Forecaster => "fc",
            Self::LogClusterer => "lc",
        }
    }

    /// `app.kubernetes.io/component` of the children.
    pub fn component(self) -> &'static str {
        match self {
            Self::AnomalyDetector => "anomaly-detector",
            Self::Forecaster => "forecaster",
            Self::LogClusterer => "log-clusterer",
        }
    }

    /// The resource's plural, for RBAC rules.
    pub fn plural(self) -> &'static str {
        match self {
            Self::AnomalyDetector => "anomalydetectors",
            Self::Forecaster => "forecasters",
            Self::LogClusterer => "logclusterers",
        }
    }
}

/// A resource ready to be built into children.
#[derive(Clone, Debug, PartialEq)]
pub struct Validated {
    /// Its kind.
    pub kind: PipelineKind,
    /// Its name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// The RuntimeConfig its pods run.
    pub config: RuntimeConfig,
    /// Replicas, resources, pause.
    pub settings: RuntimeSettings,
    /// The controller owner reference every child carries.
    pub owner: OwnerReference,
}

impl Validated {
    /// The name shared by the children: `<name>-<suffix>`.
    pub fn child_name(&self) -> String {
        format!("{}-{}", self.name, self.kind.suffix())
    }
}

/// Why a resource cannot be built. Every variant is a spec problem: reported on the Ready condition, retried only
/// when the resource changes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidateError {
    /// An AutoScalePolicy has no runtime.
    #[error("an AutoScalePolicy has no runtime")]
    NotAPipeline,
    /// Name, namespace or UID missing (only objects read from the API server are reconciled).
    #[error("the resource has no {0}")]
    MissingMetadata(&'static str),
    /// The spec cannot be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl ValidateError {
    /// The bounded reason used on conditions and Warning Events.
    pub fn category(&self) -> &'static str {
        augur_crds::common::reason::INVALID_SPEC
    }
}

/// Checks `resource` and renders its RuntimeConfig.
pub fn validate(resource: &AugurResource, operator: &OperatorConfig) -> Result<Validated, ValidateError> {
    let context = operator.render_context();
    let (kind, settings, owner, meta) = match resource {
        AugurResource::AnomalyDetector(r) => {
            (PipelineKind::AnomalyDetector, &r.spec.runtime, r.controller_owner_ref(&()), r.meta())
        }
        AugurResource::Forecaster(r) => {
            (PipelineKind::Forecaster, &r.spec.runtime, r.controller_owner_ref(&()), r.meta())
        }
        AugurResource::LogClusterer(r) => {
            (PipelineKind::LogClusterer, &r.spec.runtime, r.controller_owner_ref(&()), r.meta())
        }
        AugurResource::AutoScalePolicy(_) => return Err(ValidateError::NotAPipeline),
    };
    let mut owner = owner.ok_or(ValidateError::MissingMetadata("metadata.uid"))?;
    // Foreground deletion of the resource waits for its children (needs `update` on `<kind>/finalizers`).
    owner.block_owner_deletion = Some(true);
    let namespace = meta.namespace.clone().ok_or(ValidateError::MissingMetadata("metadata.namespace"))?;
    let name = meta.name.clone().ok_or(ValidateError::MissingMetadata("metadata.name"))?;
    let config = resource.render(&context).ok_or(ValidateError::NotAPipeline)??;
    Ok(Validated { kind, name, namespace, config, settings: settings.clone(), owner })
}
