//! RuntimeConfig: rendering decisions, strict parsing, versioning and YAML round trips.

use super::*;
use crate::{
    common::Duration,
    kinds::{AnomalyDetector, Forecaster, LogClusterer},
};

fn parse<K: serde::de::DeserializeOwned>(yaml: &str) -> K {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("fixture does not parse: {e}"))
}

const MINIMAL_DETECTOR: &str = r#"
apiVersion: augur.dev/v1alpha1
kind: AnomalyDetector
metadata: {name: checkout, namespace: shop, generation: 3, uid: 0b5c}
spec:
  source:
    kafka: {bootstrapServers: ["kafka:9092"], topic: metrics}
"#;

const PROMETHEUS_FORECASTER: &str = r#"
apiVersion: augur.dev/v1alpha1
kind: Forecaster
metadata: {name: load, namespace: shop}
spec:
  source:
    prometheus: {url: "https://prometheus:9090", query: "sum(rate(x[5m]))", bearerTokenSecretRef: {name: prom, key: token}}
  model: {quantiles: [0.9, 0.05, 0.9], horizon: 30m, step: 1m}
"#;

const JSON_LOGS: &str = r#"
apiVersion: augur.dev/v1alpha1
kind: LogClusterer
metadata: {name: logs, namespace: shop}
spec:
  source:
    kafka:
      bootstrapServersSecretRef: {name: kafka, key: servers}
      topic: logs
      tls: {caSecretRef: {name: kafka-ca, key: ca.crt}, clientCertificateSecretRef: {name: kafka-client}}
      sasl: {credentialsSecretRef: {name: kafka-user}}
    format: Json
  parsing:
    masking:
      rules: [{name: order, pattern: "ord-[0-9]+"}]
  grouping: {enabled: false}
  output: {kafka: {topic: templates}}
  emitAssignments: true
"#;

fn detector_config(yaml: &str) -> RuntimeConfig {
    anomaly_detector(&parse(yaml), &RenderContext::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_source_alone_renders_a_complete_working_pipeline() {
    let config = detector_config(MINIMAL_DETECTOR);
    assert_eq!(config.api_version, API_VERSION);
    assert_eq!(
        config.resource,
        ResourceIdentity {
            kind: "AnomalyDetector".into(),
            namespace: "shop".into(),
            name: "checkout".into(),
            uid: Some("0b5c".into()),
            generation: Some(3),
        }
    );
    let SourceConfig::Kafka(input) = &config.source else { panic!("expected a Kafka source") };
    assert_eq!(input.consumer_group, "augur.shop.checkout");
    assert_eq!(input.format, RecordFormat::MetricEvents);
    assert_eq!(input.connection.bootstrap_servers, BootstrapServers::List(vec!["kafka:9092".into()]));
    let ModelConfig::Anomaly(model) = &config.model else { panic!("expected an anomaly model") };
    assert_eq!(model.score_threshold, 0.5, "Medium sensitivity");
    assert_eq!(model.seasonality, SeasonalityConfig::Auto);
    assert_eq!(model.warm_up_points, 150);
    assert_eq!(config.output.dead_letter.as_ref().map(|d| d.topic.as_str()), Some("augur.shop.checkout.dead-letter"));
    assert!(config.output.metrics && config.output.status && config.output.kafka.is_none());
    let StateStore::Kafka { topic, .. } = &config.state.store else { panic!("expected Kafka checkpoints") };
    assert_eq!(topic, "augur.shop.checkout.state");
    assert_eq!(config.state.checkpoint_interval, Duration::from_secs(30));
    assert_eq!(config.limits.max_series, 100_000);
}

#[test]
fn an_explicit_score_threshold_overrides_sensitivity() {
    let yaml = format!("{MINIMAL_DETECTOR}  detector: {{sensitivity: High, scoreThreshold: 0.97}}\n");
    let ModelConfig::Anomaly(model) = detector_config(&yaml).model else { panic!() };
    assert_eq!(model.score_threshold, 0.97);
    let yaml = format!("{MINIMAL_DETECTOR}  detector: {{sensitivity: High}}\n");
    let ModelConfig::Anomaly(model) = detector_config(&yaml).model else { panic!() };
    assert!(model.score_threshold < 0.5, "High reports more than Medium");
}

#[test]
fn forecaster_quantiles_are_sorted_distinct_and_include_the_median() {
    let config = forecaster(&parse(PROMETHEUS_FORECASTER), &RenderContext::default()).unwrap_or_else(|e| panic!("{e}"));
    let ModelConfig::Forecast(model) = &config.model else { panic!() };
    assert_eq!(model.quantiles, vec![0.05, 0.5, 0.9]);
    assert_eq!((model.horizon, model.step), (Duration::from_secs(1800), Duration::from_secs(60)));
    assert_eq!(config.state.store, StateStore::None, "no Kafka anywhere: Prometheus backfill replaces checkpoints");
    assert_eq!(config.referenced_secrets().into_iter().collect::<Vec<_>>(), vec!["prom".to_owned()]);
}

#[test]
fn the_operator_default_kafka_serves_prometheus_sources_for_results_and_state() {
    let context = RenderContext { default_bootstrap_servers: Some(vec!["kafka:9092".into()]), ..Default::default() };
    let mut resource: Forecaster = parse(PROMETHEUS_FORECASTER);
    resource.spec.output.kafka =
        Some(crate::common::KafkaOutput { topic: "forecasts".into(), partitions: None, replication_factor: None });
    let config = forecaster(&resource, &context).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.output.kafka.map(|k| k.topic), Some("forecasts".to_owned()));
    assert!(matches!(config.state.store, StateStore::Kafka { .. }));
}

#[test]
fn kafka_output_without_any_kafka_is_a_clear_error() {
    let mut resource: Forecaster = parse(PROMETHEUS_FORECASTER);
    resource.spec.output.kafka =
        Some(crate::common::KafkaOutput { topic: "forecasts".into(), partitions: None, replication_factor: None });
    let error = forecaster(&resource, &RenderContext::default()).err();
    assert_eq!(error, Some(RenderError::NoKafka { field: "spec.output.kafka" }));
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("kafka.bootstrapServers"), "the message says how to fix it: {message}");
}

#[test]
fn kafka_source_without_brokers_uses_the_operator_default_or_fails_clearly() {
    let yaml = MINIMAL_DETECTOR.replace(r#"bootstrapServers: ["kafka:9092"], "#, "");
    let resource: AnomalyDetector = parse(&yaml);
    assert_eq!(
        anomaly_detector(&resource, &RenderContext::default()).err(),
        Some(RenderError::NoKafka { field: "spec.source.kafka" })
    );
    let context = RenderContext { default_bootstrap_servers: Some(vec!["broker:9092".into()]), ..Default::default() };
    let config = anomaly_detector(&resource, &context).unwrap_or_else(|e| panic!("{e}"));
    let SourceConfig::Kafka(input) = config.source else { panic!() };
    assert_eq!(input.connection.bootstrap_servers, BootstrapServers::List(vec!["broker:9092".into()]));
}

#[test]
fn log_clusterer_secrets_become_mounted_files() {
    let config = log_clusterer(&parse(JSON_LOGS), &RenderContext::default()).unwrap_or_else(|e| panic!("{e}"));
    let SourceConfig::Kafka(input) = &config.source else { panic!() };
    assert_eq!(
        input.format,
        RecordFormat::JsonLogs { message_field: "message".into(), origin_field: None },
        "messageField defaults to `message`"
    );
    let BootstrapServers::SecretFile(file) = &input.connection.bootstrap_servers else { panic!() };
    assert_eq!(file.path(), std::path::PathBuf::from("/var/run/secrets/augur/kafka/servers"));
    let sasl = input.connection.sasl.as_ref().map(|s| (s.username.path(), s.password.path()));
    assert_eq!(
        sasl,
        Some((
            "/var/run/secrets/augur/kafka-user/username".into(),
            "/var/run/secrets/augur/kafka-user/password".into()
        ))
    );
    let secrets: Vec<String> = config.referenced_secrets().into_iter().collect();
    assert_eq!(secrets, ["kafka", "kafka-ca", "kafka-client", "kafka-user"]);
    let ModelConfig::Logs(model) = &config.model else { panic!() };
    assert_eq!(model.masks, vec![MaskConfig { name: "order".into(), pattern: "ord-[0-9]+".into() }]);
    assert!(model.grouping.is_none(), "grouping disabled");
    assert!(model.emit_assignments);
}

#[test]
fn a_secured_prometheus_gets_its_ca_client_certificate_and_password_as_mounted_files() {
    let yaml = r#"
apiVersion: augur.dev/v1alpha1
kind: AnomalyDetector
metadata: {name: cpu, namespace: shop}
spec:
  source:
    prometheus:
      url: https://prometheus.example.com/prom
      query: up
      basicAuthSecretRef: {name: prom-user}
      tls: {caSecretRef: {name: prom-ca, key: ca.crt}, clientCertificateSecretRef: {name: prom-client}}
"#;
    let config = detector_config(yaml);
    let SourceConfig::Prometheus(input) = &config.source else { panic!() };
    let root = std::path::Path::new("/var/run/secrets/augur");
    let basic = input.basic_auth.as_ref().map(|b| (b.username.path(), b.password.path()));
    assert_eq!(basic, Some((root.join("prom-user/username"), root.join("prom-user/password"))));
    let tls = input.tls.clone().unwrap_or_default();
    let paths: Vec<_> =
        [tls.ca, tls.client_certificate, tls.client_key].into_iter().flatten().map(|f| f.path()).collect();
    assert_eq!(
        paths,
        [root.join("prom-ca/ca.crt"), root.join("prom-client/tls.crt"), root.join("prom-client/tls.key")]
    );
    assert!(input.bearer_token.is_none() && input.has_credentials());
    let secrets: Vec<String> = config.referenced_secrets().into_iter().collect();
    assert_eq!(secrets, ["prom-ca", "prom-client", "prom-user"], "the operator mounts every one");
}

#[test]
fn an_invalid_mask_pattern_names_the_rule_and_the_problem() {
    let yaml = JSON_LOGS.replace("ord-[0-9]+", "ord-[0-9");
    let error = log_clusterer(&parse(&yaml), &RenderContext::default()).err().map(|e| e.to_string());
    let message = error.unwrap_or_default();
    assert!(
        message.starts_with("spec.parsing.masking.rules[order].pattern is not a valid regular expression"),
        "{message}"
    );
}

#[test]
fn a_resource_without_namespace_needs_a_default() {
    let yaml = MINIMAL_DETECTOR.replace(", namespace: shop", "");
    let resource: AnomalyDetector = parse(&yaml);
    assert_eq!(anomaly_detector(&resource, &RenderContext::default()).err(), Some(RenderError::MissingNamespace));
    let context = RenderContext { default_namespace: Some("local".into()), ..Default::default() };
    assert_eq!(anomaly_detector(&resource, &context).map(|c| c.resource.namespace).ok(), Some("local".to_owned()));
}

#[test]
fn every_kind_round_trips_through_yaml() {
    let configs = [
        detector_config(MINIMAL_DETECTOR),
        forecaster(&parse(PROMETHEUS_FORECASTER), &RenderContext::default()).unwrap_or_else(|e| panic!("{e}")),
        log_clusterer(&parse::<LogClusterer>(JSON_LOGS), &RenderContext::default()).unwrap_or_else(|e| panic!("{e}")),
    ];
    for config in configs {
        let yaml = config.to_yaml().unwrap_or_else(|e| panic!("{e}"));
        let parsed = RuntimeConfig::from_yaml(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        assert_eq!(parsed, config, "{yaml}");
    }
}

#[test]
fn unknown_fields_are_refused_by_name() {
    let yaml = detector_config(MINIMAL_DETECTOR).to_yaml().unwrap_or_default();
    let typo = yaml.replace("checkpointInterval:", "checkpointIntervall:");
    let error = RuntimeConfig::from_yaml(&typo).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("checkpointIntervall"), "{error}");
}

#[test]
fn another_contract_version_is_refused_with_advice() {
    let yaml = detector_config(MINIMAL_DETECTOR).to_yaml().unwrap_or_default();
    let newer = yaml.replace(API_VERSION, "runtime.augur.dev/v2");
    let error = RuntimeConfig::from_yaml(&newer).err();
    assert!(matches!(&error, Some(ConfigError::Version { found }) if found == "runtime.augur.dev/v2"));
    assert!(error.map(|e| e.to_string()).unwrap_or_default().contains("same release"));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for text in ["", "][", "apiVersion: 3", "\u{0}\u{1}", &"[".repeat(10_000)] {
        assert!(RuntimeConfig::from_yaml(text).is_err(), "{text:?}");
    }
}
