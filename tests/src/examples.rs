//! Loads the manifests under `examples/`, with the `# rule:` and `# expect:` comments of the invalid ones.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The repository's `examples/` directory.
pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// One manifest file.
#[derive(Debug, Clone)]
pub struct Example {
    /// Path of the file.
    pub path: PathBuf,
    /// The raw text.
    pub text: String,
    /// The manifest as JSON.
    pub manifest: Value,
    /// For invalid examples: the rule the file breaks (`# rule:`).
    pub rule: Option<String>,
    /// For invalid examples: the message the server must answer with (`# expect:`).
    pub expect: Option<String>,
}

/// Every `*.yaml` file below `dir` (recursively, sorted), parsed. Files that are not Kubernetes manifests (no `kind`)
/// are skipped, so data and Helm values can live beside them.
pub fn load(dir: &Path) -> Vec<Example> {
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let manifest: Value =
                serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
            manifest.get("kind")?;
            let comment =
                |key: &str| text.lines().find_map(|line| line.strip_prefix(key)).map(|rest| rest.trim().to_owned());
            Some(Example { rule: comment("# rule:"), expect: comment("# expect:"), path, text, manifest })
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml") {
            files.push(path);
        }
    }
}

/// The valid examples: everything under `examples/` except `examples/invalid/`.
pub fn valid() -> Vec<Example> {
    load(&examples_dir()).into_iter().filter(|e| !e.path.components().any(|c| c.as_os_str() == "invalid")).collect()
}

/// The invalid examples, one per validation rule.
pub fn invalid() -> Vec<Example> {
    load(&examples_dir().join("invalid"))
}

/// The same JSON with every number as f64: YAML's `100`, serde's `100.0` and the API server's `100` compare equal.
pub fn numbers_as_f64(value: &Value) -> Value {
    match value {
        Value::Number(number) => number.as_f64().map(Value::from).unwrap_or(Value::Null),
        Value::Array(items) => items.iter().map(numbers_as_f64).collect(),
        Value::Object(fields) => fields.iter().map(|(k, v)| (k.clone(), numbers_as_f64(v))).collect(),
        other => other.clone(),
    }
}
