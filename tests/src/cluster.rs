//! Access to a real cluster for the end-to-end tests, enabled by `AUGUR_E2E_KUBECONFIG` (without it they are
//! compiled `#[ignore]`d, see `build.rs`).
//!
//! Each test works in its own temporary namespace, deleted at the end, so tests leave nothing behind. The test itself
//! acts as the cluster's administrator (installing CRDs, creating namespaces); what it starts (the operator, the
//! runtimes) acts with a ServiceAccount token and nothing more, as in a cluster ([`kubeconfig_for`]).

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use k8s_openapi::{
    api::{
        authentication::v1::{TokenRequest, TokenRequestSpec},
        core::v1::{Namespace, ServiceAccount},
    },
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client, Config,
    api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams, ValidationDirective},
    config::{AuthInfo, KubeConfigOptions, Kubeconfig, NamedAuthInfo},
    runtime::wait::{await_condition, conditions},
};

/// The environment variable naming the kubeconfig of the cluster to test against.
pub const KUBECONFIG_VAR: &str = "AUGUR_E2E_KUBECONFIG";

/// The administrator's kubeconfig path; a test that runs without one (`--include-ignored`) fails with the reason.
pub fn admin_kubeconfig() -> PathBuf {
    match std::env::var(KUBECONFIG_VAR) {
        Ok(path) if !path.is_empty() => PathBuf::from(path),
        _ => panic!("{KUBECONFIG_VAR} is not set: point it at the kubeconfig of a real cluster to run this test"),
    }
}

/// A client for the cluster in `AUGUR_E2E_KUBECONFIG`, as its administrator.
pub async fn client() -> Client {
    let path = admin_kubeconfig();
    let kubeconfig = Kubeconfig::read_from(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Client::try_from(config).unwrap_or_else(|e| panic!("cannot build a client for {}: {e}", path.display()))
}

/// Installs (server-side applies, strictly validated) every Augur CRD and waits until each is Established.
pub async fn install_crds(client: &Client) {
    let crds = Api::<CustomResourceDefinition>::all(client.clone());
    let params = PatchParams::apply("augur-e2e").force().validation(ValidationDirective::Strict);
    for (file, definition) in augur_crds::crd::all() {
        let name = definition.metadata.name.clone().unwrap_or_default();
        crds.patch(&name, &params, &Patch::Apply(&definition)).await.unwrap_or_else(|e| panic!("{file}: {e}"));
        let established = await_condition(crds.clone(), &name, conditions::is_crd_established());
        tokio::time::timeout(Duration::from_secs(60), established)
            .await
            .unwrap_or_else(|_| panic!("{name} did not become Established within 60s"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// A name no other run uses: `prefix-<hex>`.
pub fn unique(prefix: &str) -> String {
    let unique = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{prefix}-{:x}", unique % 0xffff_ffff)
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
        Self::named(client, &unique(&format!("augur-e2e-{prefix}"))).await
    }

    /// Creates the namespace `name` (it must not exist), labelled as a test's.
    pub async fn named(client: &Client, name: &str) -> Self {
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                labels: Some([("app.kubernetes.io/part-of".to_owned(), "augur-e2e".to_owned())].into()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .unwrap_or_else(|e| panic!("cannot create namespace {name}: {e}"));
        Self { name: name.to_owned(), client: client.clone() }
    }

    /// Deletes the namespace (and everything in it).
    pub async fn delete(self) {
        let namespaces = Api::<Namespace>::all(self.client);
        if let Err(error) = namespaces.delete(&self.name, &DeleteParams::background()).await {
            eprintln!("could not delete namespace {}: {error}", self.name);
        }
    }
}

/// A token of ServiceAccount `namespace/name` from the TokenRequest API (as the kubelet gets one for a pod), waiting
/// for the account to exist.
pub async fn service_account_token(client: &Client, namespace: &str, name: &str) -> String {
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let request = TokenRequest {
        spec: TokenRequestSpec { expiration_seconds: Some(3600), ..TokenRequestSpec::default() },
        ..TokenRequest::default()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match accounts.create_token_request(name, &PostParams::default(), &request).await {
            Ok(answer) => return answer.status.map(|s| s.token).unwrap_or_default(),
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(error) => panic!("no token for ServiceAccount {namespace}/{name}: {error}"),
        }
    }
}

/// Writes, at `path`, a kubeconfig for the administrator's cluster that authenticates with `token` only (no client
/// certificate, no exec plugin): what a pod of that ServiceAccount can do, nothing more.
pub fn kubeconfig_for(token: &str, path: &Path) {
    let admin = admin_kubeconfig();
    let mut kubeconfig =
        Kubeconfig::read_from(&admin).unwrap_or_else(|e| panic!("cannot read {}: {e}", admin.display()));
    let user = "service-account".to_owned();
    kubeconfig.auth_infos = vec![NamedAuthInfo {
        name: user.clone(),
        auth_info: Some(AuthInfo { token: Some(token.to_owned().into()), ..AuthInfo::default() }),
        ..NamedAuthInfo::default()
    }];
    for context in &mut kubeconfig.contexts {
        if let Some(context) = context.context.as_mut() {
            context.user = Some(user.clone());
        }
    }
    // Relative certificate paths stay valid from the new file's directory.
    for cluster in kubeconfig.clusters.iter_mut().filter_map(|c| c.cluster.as_mut()) {
        if let Some(ca) = cluster.certificate_authority.as_mut()
            && Path::new(ca.as_str()).is_relative()
        {
            *ca = admin.parent().unwrap_or(Path::new(".")).join(ca.as_str()).display().to_string();
        }
    }
    let yaml = serde_saphyr::to_string(&kubeconfig).unwrap_or_else(|e| panic!("kubeconfig: {e}"));
    std::fs::write(path, yaml).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
