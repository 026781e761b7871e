//! The Helm chart as a user installs it, for the end-to-end tests: `helm template` renders it (with the release's
//! namespace and name), and its objects are applied as `helm install` would apply them. The operator then runs with
//! the chart's ServiceAccount, RBAC and Deployment (through [`crate::kubelet`]), so a missing or excessive
//! permission shows up here as it would for a user.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use kube::{
    Api, Client,
    api::{ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams},
};
use serde_json::Value;

/// Where `helm` is: `$AUGUR_HELM`, the copy `.ci/chart` caches, or `helm` on the `PATH`.
pub fn helm() -> PathBuf {
    if let Some(path) = std::env::var_os("AUGUR_HELM") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("AUGUR_CI_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/augur")))
        .map(|cache| cache.join("tools"));
    let cached = cache.and_then(|tools| {
        let mut layers: Vec<PathBuf> = std::fs::read_dir(tools)
            .ok()?
            .flatten()
            .map(|entry| entry.path().join("helm/helm"))
            .filter(|path| path.exists())
            .collect();
        layers.sort();
        layers.pop()
    });
    cached.unwrap_or_else(|| PathBuf::from("helm"))
}

/// A rendered release of the chart.
pub struct Release {
    /// The release's name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// Every object of the chart (CRDs excluded).
    pub objects: Vec<Value>,
}

impl Release {
    /// Renders the chart as release `name` in `namespace`, with `values` (`--set` strings).
    pub fn render(name: &str, namespace: &str, values: &[&str]) -> Self {
        let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/augur");
        let mut command = Command::new(helm());
        command.args(["template", name]).arg(&chart).args(["--namespace", namespace]);
        for value in values {
            command.args(["--set", value]);
        }
        let output = command.output().unwrap_or_else(|e| panic!("cannot run helm ({}): {e}", helm().display()));
        assert!(output.status.success(), "helm template failed: {}", String::from_utf8_lossy(&output.stderr));
        let text = String::from_utf8_lossy(&output.stdout);
        let objects: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("helm output: {e}"));
        let objects = objects.into_iter().filter(|o| o.get("kind").is_some()).collect();
        Self { name: name.to_owned(), namespace: namespace.to_owned(), objects }
    }

    /// The objects of `kind`.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects.iter().filter(move |o| o["kind"] == kind)
    }

    /// Applies every object (server-side, as `helm install --server-side` would).
    pub async fn install(&self, client: &Client) {
        for object in &self.objects {
            let (api, name) = self.api(client, object);
            api.patch(&name, &PatchParams::apply("helm").force(), &Patch::Apply(object))
                .await
                .unwrap_or_else(|e| panic!("{} {name}: {e}", object["kind"]));
        }
    }

    /// Deletes what the release installed outside its namespace (cluster-scoped RBAC).
    pub async fn uninstall_cluster_scoped(&self, client: &Client) {
        for object in self.objects.iter().filter(|o| o["kind"] == "ClusterRole" || o["kind"] == "ClusterRoleBinding") {
            let (api, name) = self.api(client, object);
            if let Err(error) = api.delete(&name, &DeleteParams::default()).await {
                eprintln!("could not delete {} {name}: {error}", object["kind"]);
            }
        }
    }

    fn api(&self, client: &Client, object: &Value) -> (Api<DynamicObject>, String) {
        let (group, version) = match object["apiVersion"].as_str().unwrap_or_default().split_once('/') {
            Some((group, version)) => (group.to_owned(), version.to_owned()),
            None => (String::new(), object["apiVersion"].as_str().unwrap_or_default().to_owned()),
        };
        let kind = object["kind"].as_str().unwrap_or_default();
        let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(&group, &version, kind));
        let name = object["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        let api = match kind {
            "ClusterRole" | "ClusterRoleBinding" | "CustomResourceDefinition" => {
                Api::all_with(client.clone(), &resource)
            }
            _ => Api::namespaced_with(client.clone(), &self.namespace, &resource),
        };
        (api, name)
    }
}
