//! Every example manifest against the generated CRDs: valid ones pass and render, invalid ones fail with the
//! message their `# expect:` line names, and every CEL rule in the CRDs has an invalid example.

use augur_crds::validation::{CEL_SKIPPED, validate};
use augur_crds::{
    AnomalyDetector, AugurResource, AutoScalePolicy, Forecaster, LogClusterer,
    runtime_config::{RenderContext, RuntimeConfig},
};
use augur_tests::examples::{self, numbers_as_f64};
use serde_json::Value;

fn render(manifest: &Value) -> Option<RuntimeConfig> {
    let resource = AugurResource::from_value(manifest.clone()).unwrap_or_else(|e| panic!("{e}"));
    resource.render(&RenderContext::default()).map(|config| config.unwrap_or_else(|e| panic!("rendering failed: {e}")))
}

#[test]
fn valid_examples_pass_validation_and_render() {
    let valid = examples::valid();
    assert!(valid.len() >= 9, "expected at least the full and minimal example of every kind, found {}", valid.len());
    for kind in ["AnomalyDetector", "Forecaster", "LogClusterer", "AutoScalePolicy"] {
        assert!(valid.iter().any(|e| e.manifest["kind"] == kind), "no valid example of {kind}");
    }
    for example in valid.iter().filter(|e| e.manifest["apiVersion"] == "augur.dev/v1alpha1") {
        let defaulted = validate(&example.manifest)
            .unwrap_or_else(|errors| panic!("{} is rejected:\n{}", example.path.display(), errors.join("\n")));
        if let Some(config) = render(&defaulted) {
            let yaml = config.to_yaml().unwrap_or_else(|e| panic!("{}: {e}", example.path.display()));
            assert_eq!(RuntimeConfig::from_yaml(&yaml).ok(), Some(config), "{} round trip", example.path.display());
        }
    }
}

#[test]
fn invalid_examples_fail_with_their_rule_message() {
    let invalid = examples::invalid();
    assert!(!invalid.is_empty());
    for example in &invalid {
        let name = example.path.display();
        let expect = example.expect.as_deref().unwrap_or_else(|| panic!("{name} has no `# expect:` line"));
        assert!(example.rule.is_some(), "{name} has no `# rule:` line naming the rule");
        let errors = validate(&example.manifest).err().unwrap_or_else(|| panic!("{name} was accepted"));
        assert!(
            errors.iter().any(|error| error.contains(expect)),
            "{name}: expected an error containing {expect:?}, got:\n{}",
            errors.join("\n")
        );
        let broken = errors.iter().filter(|error| error.as_str() != CEL_SKIPPED).count();
        assert_eq!(broken, 1, "{name} should break exactly one rule, got:\n{}", errors.join("\n"));
    }
}

#[test]
fn every_cel_rule_has_an_invalid_example() {
    let expects: Vec<String> = examples::invalid().into_iter().filter_map(|e| e.expect).collect();
    for (file, crd) in augur_crds::crd::all() {
        let schema = serde_json::to_value(&crd.spec.versions[0].schema).unwrap_or_default();
        let mut messages = Vec::new();
        collect_messages(&schema, &mut messages);
        for message in messages {
            assert!(
                expects.iter().any(|expect| message.contains(expect.as_str())),
                "{file}: no examples/invalid manifest expects the rule message {message:?}"
            );
        }
    }
}

fn collect_messages(node: &Value, messages: &mut Vec<String>) {
    match node {
        Value::Object(fields) => {
            for (key, value) in fields {
                if key == "x-kubernetes-validations" {
                    messages.extend(
                        value.as_array().into_iter().flatten().filter_map(|r| r["message"].as_str()).map(str::to_owned),
                    );
                } else {
                    collect_messages(value, messages);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_messages(item, messages)),
        _ => {}
    }
}

/// The API server fills omitted fields from the schema's `default`s; the operator and `augur try` fill them from serde
/// defaults. Both must give the same object, or a manifest would mean different things in and out of a cluster.
#[test]
fn schema_defaults_equal_serde_defaults() {
    fn typed<K: serde::de::DeserializeOwned + serde::Serialize>(manifest: &Value) -> Value {
        let object: K = serde_json::from_value(manifest.clone()).unwrap_or_else(|e| panic!("{e}"));
        serde_json::to_value(object).unwrap_or_default()
    }
    let minimal: Vec<_> =
        examples::valid().into_iter().filter(|e| e.path.components().any(|c| c.as_os_str() == "minimal")).collect();
    assert_eq!(minimal.len(), 4, "one minimal manifest per kind");
    for example in minimal {
        let defaulted = validate(&example.manifest).unwrap_or_else(|e| panic!("{}", e.join("\n")));
        let (from_serde, from_schema) = match example.manifest["kind"].as_str().unwrap_or_default() {
            "AnomalyDetector" => (typed::<AnomalyDetector>(&example.manifest), typed::<AnomalyDetector>(&defaulted)),
            "Forecaster" => (typed::<Forecaster>(&example.manifest), typed::<Forecaster>(&defaulted)),
            "LogClusterer" => (typed::<LogClusterer>(&example.manifest), typed::<LogClusterer>(&defaulted)),
            "AutoScalePolicy" => (typed::<AutoScalePolicy>(&example.manifest), typed::<AutoScalePolicy>(&defaulted)),
            other => panic!("unexpected kind {other}"),
        };
        assert_eq!(from_serde, from_schema, "{}", example.path.display());
        // And the schema really did fill in the spec: the defaulted object is the complete one.
        assert_eq!(
            numbers_as_f64(&defaulted["spec"]),
            numbers_as_f64(&from_serde["spec"]),
            "{}",
            example.path.display()
        );
    }
}
