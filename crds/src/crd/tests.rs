//! Checks on the generated CRDs that the API server would otherwise only report at install time.

use std::path::Path;

use kube_cel::{ScopeContext, WarningKind, analyze_rule, compile_schema};
use serde_json::Value;

use super::{all, to_yaml};

fn schemas() -> Vec<(&'static str, Value)> {
    all()
        .into_iter()
        .map(|(file, crd)| {
            let version = &crd.spec.versions[0];
            let schema = version.schema.as_ref().and_then(|s| s.open_api_v3_schema.clone());
            (file, serde_json::to_value(schema).unwrap_or_default())
        })
        .collect()
}

/// Calls `visit(path, node)` for every schema node.
fn walk(node: &Value, path: &str, visit: &mut impl FnMut(&str, &Value)) {
    visit(path, node);
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            walk(child, &format!("{path}.{name}"), visit);
        }
    }
    if let Some(items) = node.get("items") {
        walk(items, &format!("{path}[]"), visit);
    }
    if let Some(additional) = node.get("additionalProperties").filter(|a| a.is_object()) {
        walk(additional, &format!("{path}{{}}"), visit);
    }
}

#[test]
fn schemas_are_structural() {
    for (file, schema) in schemas() {
        walk(&schema, "", &mut |path, node| {
            for forbidden in ["anyOf", "oneOf", "allOf", "not", "$ref"] {
                assert!(node.get(forbidden).is_none(), "{file}{path}: `{forbidden}` makes the schema non-structural");
            }
            let exempt = node.get("x-kubernetes-int-or-string").is_some()
                || node.get("x-kubernetes-preserve-unknown-fields").is_some();
            assert!(exempt || node.get("type").is_some(), "{file}{path}: every node needs a type");
            if node.get("type").and_then(Value::as_str) == Some("array") {
                assert!(node.get("items").is_some(), "{file}{path}: arrays need items");
            }
        });
    }
}

#[test]
fn every_spec_field_is_documented_for_kubectl_explain() {
    for (file, schema) in schemas() {
        walk(&schema["properties"]["spec"], ".spec", &mut |path, node| {
            let description = node.get("description").and_then(Value::as_str).unwrap_or_default();
            let is_list_item = path.ends_with("[]");
            assert!(is_list_item || description.len() >= 10, "{file}{path}: needs a description for users");
        });
    }
}

#[test]
fn every_list_and_listed_string_is_bounded_so_cel_cost_is_bounded() {
    for (file, schema) in schemas() {
        walk(&schema["properties"]["spec"], ".spec", &mut |path, node| {
            // `spec.resources` is Kubernetes' own ResourceRequirements, which no rule reads.
            if path.starts_with(".spec.resources") && file != "autoscalepolicies.yaml" {
                return;
            }
            if node.get("type").and_then(Value::as_str) == Some("array") {
                assert!(node.get("maxItems").is_some(), "{file}{path}: list without maxItems");
                let item = &node["items"];
                if item.get("type").and_then(Value::as_str) == Some("string") {
                    assert!(item.get("maxLength").is_some(), "{file}{path}[]: listed string without maxLength");
                }
            }
        });
    }
}

#[test]
fn every_cel_rule_compiles_has_a_message_and_fits_the_cost_budget() {
    let mut rules = 0;
    for (file, schema) in schemas() {
        walk(&schema, "", &mut |path, node| {
            let Some(validations) = node.get("x-kubernetes-validations").and_then(Value::as_array) else { return };
            let compiled = compile_schema(node);
            assert!(!compiled.has_errors(), "{file}{path}: {:?}", compiled.compilation_errors());
            for validation in validations {
                rules += 1;
                let rule = validation["rule"].as_str().unwrap_or_default();
                let message = validation["message"].as_str().unwrap_or_default();
                assert!(message.len() >= 15, "{file}{path}: rule {rule:?} needs a message a person understands");
                // kube-cel's scope check does not know variables bound by comprehensions such as `self.all(s, ..)`.
                let warnings: Vec<_> = analyze_rule(rule, &compiled, ScopeContext::CrdValidation)
                    .into_iter()
                    .filter(|w| !(w.kind == WarningKind::WrongScope && binds_comprehension_variable(rule, &w.message)))
                    .collect();
                assert!(warnings.is_empty(), "{file}{path}: rule {rule:?}: {warnings:?}");
            }
        });
    }
    assert!(rules >= 25, "expected the full rule set, found {rules} rules");
}

/// Whether the variable a scope warning names is bound in `rule` by a macro such as `all(v, ...)`.
fn binds_comprehension_variable(rule: &str, warning: &str) -> bool {
    let variable = warning.split('\'').nth(1).unwrap_or_default();
    !variable.is_empty()
        && ["all", "exists", "exists_one", "map", "filter"].iter().any(|m| rule.contains(&format!(".{m}({variable},")))
}

#[test]
fn printer_columns_point_at_schema_fields() {
    for (file, crd) in all() {
        let version = &crd.spec.versions[0];
        let schema = serde_json::to_value(version.schema.as_ref().and_then(|s| s.open_api_v3_schema.clone()))
            .unwrap_or_default();
        let columns = version.additional_printer_columns.clone().unwrap_or_default();
        assert!(columns.iter().any(|c| c.name == "Age"), "{file}: no Age column");
        for column in columns {
            let path = column.json_path.split("[?").next().unwrap_or_default();
            if path.starts_with(".metadata") {
                continue;
            }
            let mut node = &schema;
            for part in path.trim_start_matches('.').split('.') {
                node = &node["properties"][part];
                if node.get("type").and_then(Value::as_str) == Some("array") {
                    node = &node["items"];
                }
            }
            assert!(!node.is_null(), "{file}: column {} points at {path}, which the schema lacks", column.name);
        }
    }
}

#[test]
fn every_kind_has_status_subresource_short_name_and_category() {
    for (file, crd) in all() {
        assert_eq!(crd.spec.group, "augur.dev");
        assert_eq!(crd.spec.scope, "Namespaced");
        let version = &crd.spec.versions[0];
        assert_eq!(version.name, "v1alpha1");
        assert!(version.subresources.as_ref().and_then(|s| s.status.as_ref()).is_some(), "{file}: no status");
        assert!(crd.spec.names.short_names.as_ref().is_some_and(|n| !n.is_empty()), "{file}: no short name");
        assert_eq!(crd.spec.names.categories.as_deref(), Some(&["augur".to_owned()][..]), "{file}");
    }
}

#[test]
fn committed_yaml_matches_the_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/augur/crds");
    for (file, crd) in all() {
        let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        let generated = to_yaml(&crd).unwrap_or_default();
        assert!(
            committed == generated,
            "charts/augur/crds/{file} is stale: run `cargo run -p augur-crds --bin crdgen`"
        );
    }
}

#[test]
fn no_cel_rule_reads_an_int_or_string_field() {
    // The API server types `x-kubernetes-int-or-string` as `dyn` of unbounded size and estimates every rule that
    // reads one at the request-size limit: inside a list, such a rule is refused at install time (kube-cel's own
    // estimate lets it through). Quantities are bounded strings instead (`common::quantity`).
    for (file, schema) in schemas() {
        walk(&schema, "", &mut |path, node| {
            let int_or_string = |name: &str| node["properties"][name].get("x-kubernetes-int-or-string").is_some();
            let rules = node["x-kubernetes-validations"].as_array().into_iter().flatten();
            for rule in rules.filter_map(|r| r["rule"].as_str()) {
                assert!(node.get("x-kubernetes-int-or-string").is_none(), "{file}{path}: a rule on an int-or-string");
                let properties = node["properties"].as_object().into_iter().flatten();
                for (name, _) in properties.filter(|(name, _)| int_or_string(name)) {
                    assert!(
                        !rule.contains(&format!("self.{name}")),
                        "{file}{path}: `{rule}` reads int-or-string {name}"
                    );
                }
            }
        });
    }
}
