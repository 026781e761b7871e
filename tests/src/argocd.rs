//! The chart's Argo CD health checks (`charts/augur/argocd/`), run as Argo CD runs them: in a Lua 5.1 (Argo CD uses
//! gopher-lua, a Lua 5.1) that has only the libraries Argo CD opens for scripts from `argocd-cm` (base, table,
//! package; no `string`, `math`, `io` or `os`), with the object as the global `obj` (JSON null as nil, arrays as
//! sequences), returning `{status, message}`.
//!
//! A script is `lib.lua` followed by the kind's script, joined exactly as the chart joins them
//! (`templates/argocd-health.yaml`), and [`argocd_cm`] writes the same scripts as the `argocd-cm` keys that
//! `examples/argocd/argocd-cm-health.yaml` holds.

use std::path::PathBuf;

use mlua::{Lua, LuaOptions, StdLib, Table, Value as LuaValue};
use serde_json::Value;

/// The four kinds, in the order the keys are written.
pub const KINDS: [&str; 4] = ["AnomalyDetector", "Forecaster", "LogClusterer", "AutoScalePolicy"];

/// The health statuses Argo CD accepts from a script (anything else becomes Unknown).
const STATUSES: [&str; 6] = ["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"];

/// What a health check says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// Healthy, Progressing, Degraded, Suspended, ...
    pub status: String,
    /// For people.
    pub message: String,
}

/// Where the chart keeps the scripts.
pub fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../charts/augur/argocd")
}

/// The file with the kind-specific part of `kind`'s check.
fn kind_file(kind: &str) -> &'static str {
    if kind == "AutoScalePolicy" { "autoscalepolicy.lua" } else { "runtime.lua" }
}

fn read(file: &str) -> String {
    let path = scripts_dir().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The whole script for `kind`, as the chart renders it: the shared helpers, then the kind's part.
pub fn script(kind: &str) -> String {
    format!("{}\n{}", read("lib.lua"), read(kind_file(kind)))
}

/// The `argocd-cm` key of `kind`'s health check.
pub fn key(kind: &str) -> String {
    format!("resource.customizations.health.{}_{kind}", augur_crds::GROUP)
}

/// `object` as Argo CD hands it to a script.
fn to_lua(lua: &Lua, value: &Value) -> mlua::Result<LuaValue> {
    Ok(match value {
        Value::Null => LuaValue::Nil,
        Value::Bool(b) => LuaValue::Boolean(*b),
        // Argo CD's decoder makes every JSON number a float64 (gopher-lua's only number type).
        Value::Number(n) => LuaValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => LuaValue::String(lua.create_string(s)?),
        Value::Array(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for item in items {
                table.raw_push(to_lua(lua, item)?)?;
            }
            LuaValue::Table(table)
        }
        Value::Object(fields) => {
            let table = lua.create_table_with_capacity(0, fields.len())?;
            for (key, item) in fields {
                table.raw_set(key.as_str(), to_lua(lua, item)?)?;
            }
            LuaValue::Table(table)
        }
    })
}

/// Runs health script `script` (named `name`) on `object` as Argo CD does; an error says what Argo CD would show as
/// the script's failure.
pub fn run(name: &str, script: &str, object: &Value) -> Result<Health, String> {
    let lua = Lua::new_with(StdLib::TABLE | StdLib::PACKAGE, LuaOptions::default()).map_err(|e| e.to_string())?;
    lua.globals().set("obj", to_lua(&lua, object).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let returned: Table = lua.load(script).set_name(name).eval().map_err(|e| format!("{name}: {e}"))?;
    let status: String = returned.get("status").map_err(|e| format!("{name}: status: {e}"))?;
    let message: Option<String> = returned.get("message").map_err(|e| format!("{name}: message: {e}"))?;
    if !STATUSES.contains(&status.as_str()) {
        return Err(format!("{name}: {status:?} is not a health status Argo CD accepts"));
    }
    Ok(Health { status, message: message.unwrap_or_default() })
}

/// Runs `kind`'s health check on `object`.
pub fn try_health(kind: &str, object: &Value) -> Result<Health, String> {
    run(&format!("{kind} health"), &script(kind), object)
}

/// [`try_health`], failing the test on an error.
pub fn health(kind: &str, object: &Value) -> Health {
    try_health(kind, object).unwrap_or_else(|e| panic!("{e}\nobject: {object:#}"))
}

/// The checks as an `argocd-cm` ConfigMap to merge into Argo CD's (the text of
/// `examples/argocd/argocd-cm-health.yaml`).
pub fn argocd_cm() -> String {
    let mut text = String::from(
        "# Argo CD health checks for the Augur kinds. Merge them into Argo CD's configuration:\n\
         #   kubectl -n argocd patch configmap argocd-cm --patch-file examples/argocd/argocd-cm-health.yaml\n\
         # Generated from charts/augur/argocd/ (the chart renders the same keys with argocd.healthChecks.enabled);\n\
         # `AUGUR_UPDATE_EXAMPLES=1 cargo test -p augur-tests --test argocd_health` rewrites it.\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\n  labels:\n    \
         app.kubernetes.io/name: argocd-cm\n    app.kubernetes.io/part-of: argocd\ndata:\n",
    );
    for kind in KINDS {
        text.push_str(&format!("  {}: |\n", key(kind)));
        for line in script(kind).lines() {
            if line.is_empty() {
                text.push('\n');
            } else {
                text.push_str(&format!("    {line}\n"));
            }
        }
    }
    text
}

/// Objects seen during an end-to-end run and their health, optionally written as fixtures: with
/// `AUGUR_E2E_CAPTURE=<dir>`, each capture goes to `<dir>/<Kind>/testdata/<label>.yaml` and [`Captures::finish`]
/// writes each kind's `health_test.yaml` with the health the script gave. Those are proposals: read each object
/// and its health before committing them under `tests/fixtures/argocd/`.
#[derive(Default)]
pub struct Captures {
    dir: Option<PathBuf>,
    seen: Vec<(String, String, Health)>,
}

/// Fields that change with every run and mean nothing to a health check.
const VOLATILE: [&str; 4] = ["managedFields", "resourceVersion", "uid", "creationTimestamp"];

impl Captures {
    /// Captures to `$AUGUR_E2E_CAPTURE` when it is set.
    pub fn from_env() -> Self {
        Self { dir: std::env::var_os("AUGUR_E2E_CAPTURE").map(PathBuf::from), seen: Vec::new() }
    }

    /// Runs the health check of `object`'s kind on it, notes it under `label`, and returns the health.
    pub fn capture(&mut self, label: &str, object: &Value) -> Health {
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let got = health(&kind, object);
        println!("argocd health of {kind} {} ({label}): {} {:?}", object["metadata"]["name"], got.status, got.message);
        if let Some(dir) = &self.dir {
            let mut object = object.clone();
            if let Some(metadata) = object["metadata"].as_object_mut() {
                VOLATILE.iter().for_each(|field| _ = metadata.remove(*field));
            }
            let dir = dir.join(&kind).join("testdata");
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            let text = serde_saphyr::to_string(&object).unwrap_or_else(|e| panic!("{e}"));
            let path = dir.join(format!("{label}.yaml"));
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        self.seen.push((kind, label.to_owned(), got.clone()));
        got
    }

    /// Writes each kind's `health_test.yaml` (when capturing).
    pub fn finish(&self) {
        let Some(dir) = &self.dir else { return };
        for kind in KINDS {
            let cases: Vec<Value> = self
                .seen
                .iter()
                .filter(|(k, _, _)| k == kind)
                .map(|(_, label, got)| {
                    serde_json::json!({
                        "healthStatus": {"status": got.status, "message": got.message},
                        "inputPath": format!("testdata/{label}.yaml"),
                    })
                })
                .collect();
            if cases.is_empty() {
                continue;
            }
            let text = serde_saphyr::to_string(&serde_json::json!({ "tests": cases })).unwrap_or_default();
            let path = dir.join(kind).join("health_test.yaml");
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_get_only_the_libraries_argo_cd_opens() {
        let object = serde_json::json!({"kind": "AnomalyDetector"});
        let with = |expression: &str| run("probe", &format!("return {{status = {expression}}}"), &object);
        assert_eq!(with("\"Healthy\"").map(|h| h.status), Ok("Healthy".into()));
        assert_eq!(
            with("type(table.concat)").map(|h| h.status),
            Err("probe: \"function\" is not a health status Argo CD accepts".into())
        );
        for missing in ["string.upper(\"x\")", "(\"x\"):upper()", "math.floor(1)", "os.time()", "io.write(\"x\")"] {
            assert!(with(missing).is_err(), "{missing} must fail as in Argo CD");
        }
        assert_eq!(
            with("obj.kind == \"AnomalyDetector\" and \"Healthy\" or \"Degraded\"").map(|h| h.status),
            Ok("Healthy".into())
        );
    }

    #[test]
    fn json_null_is_nil_and_arrays_are_sequences() {
        let object = serde_json::json!({"a": null, "list": [1, 2, 3]});
        let got = run(
            "probe",
            "return {status = (obj.a == nil and #obj.list == 3) and \"Healthy\" or \"Degraded\"}",
            &object,
        );
        assert_eq!(got.map(|h| h.status), Ok("Healthy".into()));
    }
}
