//! OpenAPI v3 (structural schema) checks of a JSON value, with the API server's error wording.

use serde_json::{Map, Value};

/// Checks `value` against `schema`; returns one message per violation, e.g. `spec.parallelism: Invalid value: 0:
/// spec.parallelism in body should be greater than or equal to 1`.
pub fn check(schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check_node(schema, value, "", &mut errors, true);
    errors
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_owned() } else { format!("{path}.{field}") }
}

fn check_node(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>, is_root: bool) {
    if value.is_null() {
        if schema.get("nullable").and_then(Value::as_bool) != Some(true) {
            errors.push(format!("{path}: Invalid value: \"null\": {path} in body must be of type {}", type_of(schema)));
        }
        return;
    }
    if schema.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
        if !(value.is_string() || value.is_i64() || value.is_u64()) {
            errors.push(format!("{path}: Invalid value: {value}: {path} in body must be of type integer or string"));
        }
        return;
    }
    let type_ok = match type_of(schema) {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => true,
    };
    if !type_ok {
        errors.push(format!("{path}: Invalid value: {value}: {path} in body must be of type {}", type_of(schema)));
        return;
    }
    check_enum(schema, value, path, errors);
    check_bounds(schema, value, path, errors);
    match value {
        Value::Object(fields) => check_object(schema, fields, path, errors, is_root),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    check_node(item_schema, item, &format!("{path}[{index}]"), errors, false);
                }
            }
            check_list_type(schema, items, path, errors);
        }
        _ => {}
    }
}

fn type_of(schema: &Value) -> &str {
    schema.get("type").and_then(Value::as_str).unwrap_or("")
}

fn check_object(schema: &Value, fields: &Map<String, Value>, path: &str, errors: &mut Vec<String>, is_root: bool) {
    let properties = schema.get("properties").and_then(Value::as_object);
    for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
        if let Some(name) = required.as_str().filter(|name| !fields.contains_key(*name)) {
            errors.push(format!("{}: Required value", join(path, name)));
        }
    }
    let preserve = schema.get("x-kubernetes-preserve-unknown-fields").and_then(Value::as_bool) == Some(true);
    for (name, field) in fields {
        if is_root && matches!(name.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        match properties.and_then(|p| p.get(name)) {
            Some(field_schema) => check_node(field_schema, field, &join(path, name), errors, false),
            None => match schema.get("additionalProperties") {
                Some(additional) if additional.is_object() => {
                    check_node(additional, field, &join(path, name), errors, false);
                }
                _ if preserve => {}
                _ => errors.push(format!("unknown field \"{}\"", join(path, name))),
            },
        }
    }
}

fn check_enum(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(allowed) = schema.get("enum").and_then(Value::as_array) else { return };
    if !allowed.contains(value) {
        let listed: Vec<String> = allowed.iter().map(Value::to_string).collect();
        errors.push(format!("{path}: Unsupported value: {value}: supported values: {}", listed.join(", ")));
    }
}

fn check_bounds(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    let flag = |key: &str| schema.get(key).and_then(Value::as_bool) == Some(true);
    let mut fail = |what: String| errors.push(format!("{path}: Invalid value: {value}: {path} in body {what}"));
    if let Some(number) = value.as_f64() {
        if let Some(minimum) = bound("minimum") {
            if flag("exclusiveMinimum") && number <= minimum {
                fail(format!("should be greater than {}", show(minimum)));
            } else if number < minimum {
                fail(format!("should be greater than or equal to {}", show(minimum)));
            }
        }
        if let Some(maximum) = bound("maximum") {
            if flag("exclusiveMaximum") && number >= maximum {
                fail(format!("should be less than {}", show(maximum)));
            } else if number > maximum {
                fail(format!("should be less than or equal to {}", show(maximum)));
            }
        }
    }
    let length = match value {
        Value::String(text) => Some((text.chars().count() as f64, "chars long")),
        Value::Array(items) => Some((items.len() as f64, "items")),
        _ => None,
    };
    if let Some((length, unit)) = length {
        let (min_key, max_key) = if value.is_string() { ("minLength", "maxLength") } else { ("minItems", "maxItems") };
        if let Some(min) = bound(min_key).filter(|min| length < *min) {
            fail(format!("should be at least {} {unit}", show(min)));
        }
        if let Some(max) = bound(max_key).filter(|max| length > *max) {
            fail(format!("should have at most {} {unit}", show(max)));
        }
    }
}

fn check_list_type(schema: &Value, items: &[Value], path: &str, errors: &mut Vec<String>) {
    let key_of = |item: &Value| -> Value {
        match schema.get("x-kubernetes-list-type").and_then(Value::as_str) {
            Some("set") => item.clone(),
            Some("map") => {
                let keys = schema.get("x-kubernetes-list-map-keys").and_then(Value::as_array);
                Value::Array(keys.into_iter().flatten().filter_map(Value::as_str).map(|k| item[k].clone()).collect())
            }
            _ => Value::Null,
        }
    };
    let mut seen = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let key = key_of(item);
        if key.is_null() {
            return;
        }
        if seen.contains(&key) {
            errors.push(format!("{path}[{index}]: Duplicate value: {key}"));
        }
        seen.push(key);
    }
}

/// Numbers as the API server prints bounds: integers without a fraction.
fn show(number: f64) -> String {
    if number.fract() == 0.0 { format!("{}", number as i64) } else { number.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "maxLength": 3},
                "count": {"type": "integer", "minimum": 1},
                "share": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
                "mode": {"type": "string", "enum": ["A", "B"]},
                "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                "maybe": {"type": "string", "nullable": true}
            }
        })
    }

    #[test]
    fn accepts_a_conforming_value() {
        let value = json!({"name": "abc", "count": 2, "share": 0.5, "mode": "A", "tags": ["x", "y"], "maybe": null});
        assert_eq!(check(&schema(), &value), Vec::<String>::new());
    }

    #[test]
    fn reports_each_violation_in_api_server_wording() {
        let value = json!({"count": 0, "share": 0, "mode": "C", "tags": ["x", "x"], "extra": 1, "maybe": 3});
        let errors = check(&schema(), &value);
        let expected = [
            "name: Required value",
            "count: Invalid value: 0: count in body should be greater than or equal to 1",
            "share: Invalid value: 0: share in body should be greater than 0",
            "mode: Unsupported value: \"C\": supported values: \"A\", \"B\"",
            "tags[1]: Duplicate value: \"x\"",
            "unknown field \"extra\"",
            "maybe: Invalid value: 3: maybe in body must be of type string",
        ];
        for message in expected {
            assert!(errors.iter().any(|e| e == message), "missing {message:?} in {errors:#?}");
        }
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
    }

    #[test]
    fn string_length_counts_characters() {
        assert!(check(&schema(), &json!({"name": "äöü"})).is_empty());
        assert_eq!(check(&schema(), &json!({"name": "abcd"})).len(), 1);
    }
}
