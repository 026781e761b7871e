//! Validates a manifest of an Augur kind as the API server would on create, in the same order: apply schema
//! defaults, check the OpenAPI schema (types, required fields, enums, ranges, lengths, unknown fields), then evaluate
//! the CEL rules. Messages use the API server's wording, so `augur try` rejects a manifest exactly as
//! `kubectl apply` would, and `examples/invalid/` is checked the same way in unit tests and against a real cluster.

pub mod openapi;

use serde_json::Value;

use crate::crd;

/// Schema errors after which the API server skips CEL evaluation (required, enum, type, too long, too many).
const BLOCKING: [&str; 5] =
    ["Required value", "Unsupported value", "must be of type", "should have at most", "Too many"];

/// The API server's note when it skips CEL evaluation.
pub const CEL_SKIPPED: &str = "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

/// The `openAPIV3Schema` of the Augur CRD for `kind`, as JSON.
pub fn schema_for(kind: &str) -> Option<Value> {
    crd::all().into_iter().find(|(_, crd)| crd.spec.names.kind == kind).and_then(|(_, crd)| {
        let schema = crd.spec.versions.first()?.schema.as_ref()?.open_api_v3_schema.as_ref()?.clone();
        serde_json::to_value(schema).ok()
    })
}

/// Validates `manifest` (an Augur custom resource). Returns the object with defaults applied, or every error in the
/// API server's wording.
pub fn validate(manifest: &Value) -> Result<Value, Vec<String>> {
    let kind = manifest.get("kind").and_then(Value::as_str).unwrap_or_default();
    let Some(schema) = schema_for(kind) else {
        return Err(vec![format!("no Augur CRD for kind {kind:?}")]);
    };
    let defaulted = kube_cel::apply_defaults(&schema, manifest);
    let mut errors = openapi::check(&schema, &defaulted);
    // Like the API server, CEL rules are not evaluated over an object with blocking schema errors.
    if errors.iter().any(|error| BLOCKING.iter().any(|marker| error.contains(marker))) {
        errors.push(CEL_SKIPPED.to_owned());
    } else if let Err(failures) = kube_cel::Validator::new().validate(&schema, &defaulted, None) {
        for failure in failures.iter() {
            let location = if failure.field_path.is_empty() { "<root>" } else { failure.field_path.as_str() };
            errors.push(format!("{location}: Invalid value: \"object\": {}", failure.message));
        }
    }
    if errors.is_empty() { Ok(defaulted) } else { Err(errors) }
}

/// Parses, validates and decodes a manifest: what `kubectl apply` followed by the operator's read would give.
pub fn load(text: &str) -> Result<crate::AugurResource, crate::ManifestError> {
    let manifest = crate::AugurResource::parse_yaml(text)?;
    // Refuse foreign objects before schema checks, with the clearer message.
    let kind = manifest.get("kind").and_then(Value::as_str).unwrap_or_default();
    if schema_for(kind).is_none() || manifest.get("apiVersion").and_then(Value::as_str) != Some("augur.dev/v1alpha1") {
        return crate::AugurResource::from_value(manifest);
    }
    let defaulted = validate(&manifest).map_err(crate::ManifestError::Invalid)?;
    crate::AugurResource::from_value(defaulted)
}
