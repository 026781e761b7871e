//! Access to a real cluster for the end-to-end tests, enabled by `AUGUR_E2E_KUBECONFIG`.
//!
//! Each test works in its own temporary namespace, deleted at the end, so tests can run in parallel and leave
//! nothing behind.

use std::time::{SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api, Client, Config,
    api::{DeleteParams, ObjectMeta, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};

/// The environment variable naming the kubeconfig of the cluster to test against.
pub const KUBECONFIG_VAR: &str = "AUGUR_E2E_KUBECONFIG";

/// A client for the cluster in `AUGUR_E2E_KUBECONFIG`, or `None` (with a printed notice) when it is not set.
pub async fn client(test: &str) -> Option<Client> {
    let Ok(path) = std::env::var(KUBECONFIG_VAR) else {
        println!("skipping {test}: set {KUBECONFIG_VAR} to a kubeconfig to run it against a real cluster");
        return None;
    };
    let kubeconfig = Kubeconfig::read_from(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    Some(Client::try_from(config).unwrap_or_else(|e| panic!("cannot build a client for {path}: {e}")))
}

/// A namespace created for one test.
pub struct TempNamespace {
    /// Its name.
    pub name: String,
    client: Client,
}

impl TempNamespace {
    /// Creates `augur-e2e-<prefix>-<unique>`, labelled so leftovers can be found and removed.
    pub async fn create(client: &Client, prefix: &str) -> Self {
        let unique = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
        let name = format!("augur-e2e-{prefix}-{:x}", unique % 0xffff_ffff);
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some([("app.kubernetes.io/part-of".to_owned(), "augur-e2e".to_owned())].into()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .unwrap_or_else(|e| panic!("cannot create namespace {name}: {e}"));
        Self { name, client: client.clone() }
    }

    /// Deletes the namespace (and everything in it).
    pub async fn delete(self) {
        let namespaces = Api::<Namespace>::all(self.client);
        if let Err(error) = namespaces.delete(&self.name, &DeleteParams::background()).await {
            eprintln!("could not delete namespace {}: {error}", self.name);
        }
    }
}
