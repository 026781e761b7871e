//! Building a resource's children: pure functions of the validated resource and the operator's settings.

use std::collections::BTreeMap;

use augur_crds::runtime_config::{CONFIG_FILE_NAME, SECRETS_ROOT};
use k8s_openapi::{
    api::{
        apps::v1::{Deployment, DeploymentSpec},
        core::v1::{
            Capabilities, ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar,
            EnvVarSource, HTTPGetAction, ObjectFieldSelector, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
            ResourceRequirements, SeccompProfile, SecretVolumeSource, SecurityContext, Service, ServiceAccount,
            ServicePort, ServiceSpec, Volume, VolumeMount,
        },
        rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject},
    },
    apimachinery::pkg::{
        api::resource::Quantity,
        apis::meta::v1::{LabelSelector, ObjectMeta},
        util::intstr::IntOrString,
    },
};
use sha2::{Digest, Sha256};

use super::{PipelineKind, Validated};
use crate::{config::OperatorConfig, labels};

/// Port of the runtime's HTTP endpoints (`/metrics`, `/healthz`, `/readyz`).
pub const HTTP_PORT: i32 = 9090;
/// Where the RuntimeConfig is mounted.
pub const CONFIG_DIR: &str = "/etc/augur";
/// Annotation on the pod template whose change rolls the pods when the RuntimeConfig changes.
pub const CONFIG_HASH_ANNOTATION: &str = "augur.dev/config-hash";
/// The unprivileged user the runtime runs as.
const RUNTIME_USER: i64 = 65_532;

/// Everything a streaming resource is reconciled into.
#[derive(Clone, Debug, PartialEq)]
pub struct Children {
    /// The rendered RuntimeConfig.
    pub config_map: ConfigMap,
    /// The runtime pods.
    pub deployment: Deployment,
    /// The metrics endpoint.
    pub service: Service,
    /// The runtime's identity.
    pub service_account: ServiceAccount,
    /// What the runtime may do: read its own resource, patch its status, create Events.
    pub role: Role,
    /// Grants the Role to the ServiceAccount.
    pub role_binding: RoleBinding,
}

/// Why children could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot serialise the RuntimeConfig: {0}")]
pub struct BuildError(#[from] augur_crds::runtime_config::ConfigError);

/// Builds the children of `validated`.
pub fn build(validated: &Validated, operator: &OperatorConfig) -> Result<Children, BuildError> {
    let name = validated.child_name();
    let config_yaml = validated.config.to_yaml()?;
    let config_map = ConfigMap {
        metadata: metadata(validated, &format!("{name}-config")),
        data: Some(BTreeMap::from([(CONFIG_FILE_NAME.to_owned(), config_yaml.clone())])),
        ..ConfigMap::default()
    };
    Ok(Children {
        deployment: deployment(validated, operator, &name, &config_yaml),
        service: service(validated, &name),
        service_account: ServiceAccount { metadata: metadata(validated, &name), ..ServiceAccount::default() },
        role: role(validated, &name),
        role_binding: role_binding(validated, &name),
        config_map,
    })
}

/// Metadata of a child: name, namespace, labels and the controller owner reference.
fn metadata(validated: &Validated, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(validated.namespace.clone()),
        labels: Some(labels::for_children(&validated.name, validated.kind.component())),
        owner_references: Some(vec![validated.owner.clone()]),
        ..ObjectMeta::default()
    }
}

/// The first 16 hex digits of the SHA-256 of `text`.
fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn deployment(validated: &Validated, operator: &OperatorConfig, name: &str, config_yaml: &str) -> Deployment {
    let settings = &validated.settings;
    let selector = labels::selector(&validated.name, validated.kind.component());
    let secrets: Vec<String> = validated.config.referenced_secrets().into_iter().collect();
    let mut volumes = vec![
        Volume {
            name: "config".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: format!("{name}-config"),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        },
        Volume { name: "tmp".into(), empty_dir: Some(EmptyDirVolumeSource::default()), ..Volume::default() },
    ];
    let mut mounts = vec![
        VolumeMount {
            name: "config".into(),
            mount_path: CONFIG_DIR.into(),
            read_only: Some(true),
            ..VolumeMount::default()
        },
        VolumeMount { name: "tmp".into(), mount_path: "/tmp".into(), ..VolumeMount::default() },
    ];
    for (index, secret) in secrets.iter().enumerate() {
        // Secret names may be longer than a volume name allows; the index keeps volume names short and stable.
        let volume = format!("secret-{index}");
        volumes.push(Volume {
            name: volume.clone(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(secret.clone()),
                default_mode: Some(0o440),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        });
        mounts.push(VolumeMount {
            name: volume,
            mount_path: format!("{SECRETS_ROOT}/{secret}"),
            read_only: Some(true),
            ..VolumeMount::default()
        });
    }
    let probe = |path: &str| Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String("http".into()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(10),
        ..Probe::default()
    };
    let field = |path: &str| EnvVarSource {
        field_ref: Some(ObjectFieldSelector { field_path: path.into(), ..ObjectFieldSelector::default() }),
        ..EnvVarSource::default()
    };
    let container = Container {
        name: "runtime".into(),
        image: Some(operator.runtime_image.clone()),
        image_pull_policy: Some(operator.image_pull_policy.clone()),
        args: Some(vec!["run".into(), "--config".into(), format!("{CONFIG_DIR}/{CONFIG_FILE_NAME}")]),
        ports: Some(vec![ContainerPort {
            name: Some("http".into()),
            container_port: HTTP_PORT,
            ..ContainerPort::default()
        }]),
        env: Some(vec![
            EnvVar { name: "POD_NAME".into(), value_from: Some(field("metadata.name")), ..EnvVar::default() },
            EnvVar { name: "POD_NAMESPACE".into(), value_from: Some(field("metadata.namespace")), ..EnvVar::default() },
        ]),
        resources: Some(settings.resources.clone().unwrap_or_else(default_resources)),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Capabilities::default() }),
            ..SecurityContext::default()
        }),
        liveness_probe: Some(probe("/healthz")),
        readiness_probe: Some(probe("/readyz")),
        volume_mounts: Some(mounts),
        ..Container::default()
    };
    let annotations = BTreeMap::from([
        (CONFIG_HASH_ANNOTATION.to_owned(), short_hash(config_yaml)),
        ("prometheus.io/scrape".to_owned(), "true".to_owned()),
        ("prometheus.io/port".to_owned(), HTTP_PORT.to_string()),
        ("prometheus.io/path".to_owned(), "/metrics".to_owned()),
    ]);
    Deployment {
        metadata: metadata(validated, name),
        spec: Some(DeploymentSpec {
            replicas: Some(if settings.paused { 0 } else { settings.parallelism }),
            selector: LabelSelector { match_labels: Some(selector), ..LabelSelector::default() },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels::for_children(&validated.name, validated.kind.component())),
                    annotations: Some(annotations),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(name.to_owned()),
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: Some(RUNTIME_USER),
                        run_as_group: Some(RUNTIME_USER),
                        fs_group: Some(RUNTIME_USER),
                        seccomp_profile: Some(SeccompProfile {
                            type_: "RuntimeDefault".into(),
                            ..SeccompProfile::default()
                        }),
                        ..PodSecurityContext::default()
                    }),
                    termination_grace_period_seconds: Some(30),
                    containers: vec![container],
                    volumes: Some(volumes),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// Requests (and a memory limit) for runtimes whose spec names none.
fn default_resources() -> ResourceRequirements {
    ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_owned(), Quantity("100m".into())),
            ("memory".to_owned(), Quantity("128Mi".into())),
        ])),
        limits: Some(BTreeMap::from([("memory".to_owned(), Quantity("512Mi".into()))])),
        ..ResourceRequirements::default()
    }
}

fn service(validated: &Validated, name: &str) -> Service {
    Service {
        metadata: metadata(validated, name),
        spec: Some(ServiceSpec {
            selector: Some(labels::selector(&validated.name, validated.kind.component())),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: HTTP_PORT,
                target_port: Some(IntOrString::String("http".into())),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn role(validated: &Validated, name: &str) -> Role {
    let own = |resource: String, verbs: &[&str]| PolicyRule {
        api_groups: Some(vec![augur_crds::GROUP.into()]),
        resources: Some(vec![resource]),
        resource_names: Some(vec![validated.name.clone()]),
        verbs: verbs.iter().map(|v| (*v).to_owned()).collect(),
        ..PolicyRule::default()
    };
    // Exactly what `augur run` does with the API, nothing more: it reads its resource's status (the other pods'
    // entries) and applies its own part of it (server-side apply, and JSON patches removing entries of pods that
    // are gone). Spec changes reach it as a new ConfigMap and a rollout, not through the API.
    let mut rules = vec![own(format!("{}/status", validated.kind.plural()), &["get", "patch"])];
    if validated.kind == PipelineKind::Forecaster {
        // Publish in status only the series that the namespace's AutoScalePolicies use (their specs, read only).
        rules.push(PolicyRule {
            api_groups: Some(vec![augur_crds::GROUP.into()]),
            resources: Some(vec!["autoscalepolicies".into()]),
            verbs: vec!["list".into()],
            ..PolicyRule::default()
        });
    }
    Role { metadata: metadata(validated, name), rules: Some(rules) }
}

fn role_binding(validated: &Validated, name: &str) -> RoleBinding {
    RoleBinding {
        metadata: metadata(validated, name),
        role_ref: RoleRef { api_group: "rbac.authorization.k8s.io".into(), kind: "Role".into(), name: name.to_owned() },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: name.to_owned(),
            namespace: Some(validated.namespace.clone()),
            ..Subject::default()
        }]),
    }
}
