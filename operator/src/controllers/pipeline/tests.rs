//! Builder tests: golden YAML snapshots of every child, and the properties every child must have.

use std::path::Path;

use augur_crds::AugurResource;

use super::*;
use crate::config::OperatorConfig;

/// An example manifest as the API server would return it: with a UID and a generation.
fn example(file: &str) -> AugurResource {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut manifest = AugurResource::parse_yaml(&text).unwrap_or_else(|e| panic!("{e}"));
    manifest["metadata"]["uid"] = "6f1c1d0e-6d2b-4c53-9a39-0a8f6f1b7e11".into();
    manifest["metadata"]["generation"] = 2.into();
    AugurResource::from_value(manifest).unwrap_or_else(|e| panic!("{e}"))
}

fn operator() -> OperatorConfig {
    OperatorConfig {
        runtime_image: "ghcr.io/augur-dev/augur-runtime:test".into(),
        image_pull_policy: "IfNotPresent".into(),
        default_bootstrap_servers: Some(vec!["kafka.kafka.svc:9092".into()]),
    }
}

fn children(file: &str) -> Children {
    let validated = validate(&example(file), &operator()).unwrap_or_else(|e| panic!("{e}"));
    build(&validated, &operator()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn golden_children_of_the_anomaly_detector_example() {
    let children = children("anomaly-detector.yaml");
    insta::assert_yaml_snapshot!("anomaly_detector_config_map", children.config_map);
    insta::assert_yaml_snapshot!("anomaly_detector_deployment", children.deployment);
    insta::assert_yaml_snapshot!("anomaly_detector_service", children.service);
    insta::assert_yaml_snapshot!("anomaly_detector_service_account", children.service_account);
    insta::assert_yaml_snapshot!("anomaly_detector_role", children.role);
    insta::assert_yaml_snapshot!("anomaly_detector_role_binding", children.role_binding);
}

#[test]
fn golden_deployment_of_the_log_clusterer_example_mounts_its_secrets() {
    insta::assert_yaml_snapshot!("log_clusterer_deployment", children("log-clusterer.yaml").deployment);
}

fn all_metadata(children: &Children) -> Vec<&k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta> {
    vec![
        &children.config_map.metadata,
        &children.deployment.metadata,
        &children.service.metadata,
        &children.service_account.metadata,
        &children.role.metadata,
        &children.role_binding.metadata,
    ]
}

#[test]
fn every_child_is_owned_labelled_and_namespaced() {
    for file in ["anomaly-detector.yaml", "forecaster.yaml", "log-clusterer.yaml", "minimal/anomaly-detector.yaml"] {
        let children = children(file);
        for meta in all_metadata(&children) {
            let owner = meta.owner_references.as_ref().and_then(|o| o.first()).unwrap_or_else(|| panic!("{file}"));
            assert_eq!((owner.controller, owner.block_owner_deletion), (Some(true), Some(true)), "{file}");
            assert_eq!(owner.api_version, "augur.dev/v1alpha1");
            let labels = meta.labels.clone().unwrap_or_default();
            assert_eq!(labels.get("app.kubernetes.io/managed-by").map(String::as_str), Some("augur-operator"));
            assert!(meta.namespace.is_some(), "{file}");
        }
    }
}

#[test]
fn kinds_sharing_a_name_get_distinct_children() {
    let detector = children("minimal/anomaly-detector.yaml");
    let forecaster = children("minimal/forecaster.yaml");
    assert_ne!(detector.deployment.metadata.name, forecaster.deployment.metadata.name);
    assert_eq!(detector.deployment.metadata.name.as_deref(), Some("minimal-ad"));
    assert_eq!(forecaster.deployment.metadata.name.as_deref(), Some("minimal-fc"));
}

fn replicas(children: &Children) -> Option<i32> {
    children.deployment.spec.as_ref().and_then(|s| s.replicas)
}

fn config_hash(children: &Children) -> Option<String> {
    let template = children.deployment.spec.as_ref()?.template.metadata.as_ref()?;
    template.annotations.as_ref()?.get(build::CONFIG_HASH_ANNOTATION).cloned()
}

#[test]
fn parallelism_sets_replicas_and_pausing_scales_to_zero() {
    let AugurResource::AnomalyDetector(mut detector) = example("anomaly-detector.yaml") else { panic!() };
    let validated = |d: &augur_crds::AnomalyDetector| {
        let v = validate(&AugurResource::AnomalyDetector(d.clone()), &operator()).unwrap_or_else(|e| panic!("{e}"));
        build(&v, &operator()).unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(replicas(&validated(&detector)), Some(2));
    detector.spec.runtime.paused = true;
    let paused = validated(&detector);
    assert_eq!(replicas(&paused), Some(0));
    assert_eq!(
        config_hash(&paused),
        config_hash(&validated(&{
            let mut d = detector.clone();
            d.spec.runtime.paused = false;
            d
        })),
        "pausing does not change the pods' configuration"
    );
}

#[test]
fn a_spec_change_rolls_the_pods_and_an_unchanged_spec_does_not() {
    let AugurResource::AnomalyDetector(detector) = example("anomaly-detector.yaml") else { panic!() };
    let build_of = |d: augur_crds::AnomalyDetector| {
        let v = validate(&AugurResource::AnomalyDetector(d), &operator()).unwrap_or_else(|e| panic!("{e}"));
        build(&v, &operator()).unwrap_or_else(|e| panic!("{e}"))
    };
    let before = build_of(detector.clone());
    assert_eq!(config_hash(&before), config_hash(&build_of(detector.clone())), "deterministic");
    let mut changed = detector;
    changed.spec.detector.warm_up_points += 1;
    assert_ne!(config_hash(&before), config_hash(&build_of(changed)));
}

#[test]
fn runtime_pods_are_hardened() {
    let deployment = children("log-clusterer.yaml").deployment;
    let pod = deployment.spec.and_then(|s| s.template.spec).unwrap_or_default();
    let pod_security = pod.security_context.unwrap_or_default();
    assert_eq!(pod_security.run_as_non_root, Some(true));
    assert_eq!(pod_security.seccomp_profile.map(|s| s.type_), Some("RuntimeDefault".to_owned()));
    let container = &pod.containers[0];
    let security = container.security_context.clone().unwrap_or_default();
    assert_eq!(security.read_only_root_filesystem, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
    assert_eq!(security.capabilities.and_then(|c| c.drop), Some(vec!["ALL".to_owned()]));
    assert!(container.liveness_probe.is_some() && container.readiness_probe.is_some());
    // Every Secret the RuntimeConfig reads is mounted where it reads it, read-only.
    let mounts = container.volume_mounts.clone().unwrap_or_default();
    for secret in ["kafka-connection", "kafka-ca", "kafka-credentials"] {
        let path = format!("/var/run/secrets/augur/{secret}");
        assert!(mounts.iter().any(|m| m.mount_path == path && m.read_only == Some(true)), "{secret} not mounted");
    }
}

#[test]
fn the_runtime_may_only_touch_its_own_resource() {
    let role = children("forecaster.yaml").role;
    for rule in role.rules.unwrap_or_default() {
        if rule.resources.as_deref() == Some(&["autoscalepolicies".to_owned()][..]) {
            // A Forecaster publishes only the series the namespace's policies use: it may list them, nothing more.
            assert_eq!(rule.verbs, ["list"], "{rule:?}");
        } else {
            assert_eq!(rule.api_groups, Some(vec!["augur.dev".to_owned()]), "{rule:?}");
            assert_eq!(rule.resources, Some(vec!["forecasters/status".to_owned()]), "only its status: {rule:?}");
            assert_eq!(rule.resource_names, Some(vec!["checkout-load".to_owned()]), "{rule:?}");
            assert_eq!(rule.verbs, ["get", "patch"], "{rule:?}");
        }
    }
}

#[test]
fn only_a_forecaster_may_list_autoscale_policies() {
    let lists = |file: &str| {
        children(file)
            .role
            .rules
            .unwrap_or_default()
            .iter()
            .any(|r| r.resources.as_deref() == Some(&["autoscalepolicies".to_owned()][..]) && r.verbs == ["list"])
    };
    assert!(lists("forecaster.yaml"));
    assert!(!lists("anomaly-detector.yaml") && !lists("log-clusterer.yaml"));
}

#[test]
fn an_autoscale_policy_is_not_a_pipeline() {
    assert_eq!(validate(&example("autoscale-policy.yaml"), &operator()).err(), Some(ValidateError::NotAPipeline));
}

#[test]
fn a_resource_without_uid_cannot_own_children() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/minimal/anomaly-detector.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let resource = AugurResource::from_value(AugurResource::parse_yaml(&text).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(validate(&resource, &operator()).err(), Some(ValidateError::MissingMetadata("metadata.uid")));
}
