//! A stand-in kubelet for a control plane without nodes: it runs the pods of a Deployment as local processes,
//! exactly as the pod template says, so the end-to-end tests exercise what a cluster would run.
//!
//! For each replica it does what a kubelet does before starting a container: writes the ConfigMap and Secret volumes
//! at their mount paths (under a per-pod directory, so nothing on the host is touched), resolves the environment
//! (literal values, `metadata.name` / `metadata.namespace` field references, Secret key references), gets the pod's
//! ServiceAccount a token from the TokenRequest API and hands it over as a kubeconfig, and starts the container's
//! args with the project's binary. The process sees the paths under its pod directory: arguments naming a mount path
//! are rewritten, and the runtime finds its Secrets through `AUGUR_SECRETS_ROOT`.
//!
//! Each process stands for one of the Pod objects the ReplicaSet controller made (it runs under that pod's name),
//! and, as a kubelet does from the readiness probe, the pod's `Ready` condition follows the process's `/readyz`: so
//! the Deployment becomes available, and the operator's conditions and Argo CD's health see what a cluster shows.

use std::{
    collections::BTreeMap,
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{ConfigMap, Container, Pod, PodSpec, Secret},
};
use kube::{
    Api, Client,
    api::{ListParams, Patch, PatchParams},
};
use serde_json::json;
use tokio::{io::AsyncReadExt, io::AsyncWriteExt, net::TcpStream, task::JoinHandle};

use crate::cluster::{free_port, kubeconfig_for, service_account_token};

/// One pod, running as a process; killed when dropped.
pub struct RunningPod {
    /// The pod's name.
    pub name: String,
    /// Where its `/healthz`, `/readyz` and `/metrics` answer.
    pub http_address: String,
    /// Its standard error and output.
    pub log: PathBuf,
    child: Child,
    readiness: Option<JoinHandle<()>>,
}

impl RunningPod {
    /// The last `lines` lines of the pod's log.
    pub fn tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGTERM, as the kubelet does when it stops a pod, and waits up to `grace` for the process to exit;
    /// returns its exit status, or `None` if it was still running (it is then killed, as after a grace period).
    pub async fn terminate(&mut self, grace: std::time::Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = std::time::Instant::now() + grace;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        None
    }
}

impl Drop for RunningPod {
    fn drop(&mut self) {
        if let Some(readiness) = self.readiness.take() {
            readiness.abort();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How to run a Deployment's pods here.
pub struct PodRunner<'a> {
    /// The API, as the administrator (to read ConfigMaps, Secrets and tokens, as the kubelet may).
    pub client: &'a Client,
    /// The binary standing for the container's image.
    pub binary: PathBuf,
    /// Under which the pods' directories are made.
    pub root: PathBuf,
    /// Environment added to every container (e.g. a shorter status interval for tests).
    pub extra_env: Vec<(String, String)>,
}

impl PodRunner<'_> {
    /// Starts every replica of Deployment `namespace/name`, one process per Pod object of it, each reporting its
    /// readiness on its pod.
    pub async fn start(&self, namespace: &str, name: &str) -> Vec<RunningPod> {
        let deployments: Api<Deployment> = Api::namespaced(self.client.clone(), namespace);
        let deployment = deployments.get(name).await.unwrap_or_else(|e| panic!("Deployment {namespace}/{name}: {e}"));
        let spec = deployment.spec.unwrap_or_default();
        let pod = spec.template.spec.unwrap_or_default();
        let names = self.pods_of(namespace, name, &spec.selector.match_labels.unwrap_or_default(), spec.replicas).await;
        let mut pods = Vec::new();
        for pod_name in names {
            let mut running = self.start_pod(namespace, &pod_name, &pod).await;
            let (pods_api, address) = (Api::namespaced(self.client.clone(), namespace), running.http_address.clone());
            running.readiness = Some(tokio::spawn(report_readiness(pods_api, pod_name, address)));
            pods.push(running);
        }
        pods
    }

    /// The names of the `replicas` Pod objects the ReplicaSet controller made for Deployment `name`, once it has.
    async fn pods_of(
        &self,
        namespace: &str,
        name: &str,
        labels: &BTreeMap<String, String>,
        replicas: Option<i32>,
    ) -> Vec<String> {
        let wanted = usize::try_from(replicas.unwrap_or(1)).unwrap_or(1);
        let selector = labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let listed = pods.list(&ListParams::default().labels(&selector)).await;
            let mut names: Vec<String> = listed
                .into_iter()
                .flat_map(|list| list.items)
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .filter_map(|p| p.metadata.name)
                .collect();
            if names.len() >= wanted {
                names.sort();
                names.truncate(wanted);
                return names;
            }
            assert!(std::time::Instant::now() < deadline, "the pods of Deployment {namespace}/{name} were not created");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    async fn start_pod(&self, namespace: &str, pod_name: &str, pod: &PodSpec) -> RunningPod {
        let container: &Container = pod.containers.first().unwrap_or_else(|| panic!("{pod_name}: no container"));
        let dir = self.root.join(namespace).join(pod_name);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mounts = self.write_volumes(namespace, pod, container, &dir).await;
        let local = |value: &str| -> String {
            match mounts.iter().find(|(mount, _)| value.starts_with(mount.as_str())) {
                Some((mount, local)) => format!("{}{}", local.display(), &value[mount.len()..]),
                None => value.to_owned(),
            }
        };
        let account = pod.service_account_name.clone().unwrap_or_else(|| "default".into());
        let token = service_account_token(self.client, namespace, &account).await;
        let kubeconfig = dir.join("kubeconfig");
        kubeconfig_for(&token, &kubeconfig);

        let http_address = format!("127.0.0.1:{}", free_port());
        let mut command = Command::new(&self.binary);
        command.args(container.args.iter().flatten().map(|arg| local(arg)));
        command.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
        for (key, value) in self.environment(namespace, pod_name, container).await {
            command.env(key, value);
        }
        command
            .env("KUBECONFIG", &kubeconfig)
            .env("AUGUR_SECRETS_ROOT", dir.join(augur_crds::runtime_config::SECRETS_ROOT.trim_start_matches('/')))
            .env("AUGUR_HTTP_ADDRESS", &http_address);
        for (key, value) in &self.extra_env {
            command.env(key, value);
        }
        let log = dir.join("log");
        let file = File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let errors = file.try_clone().unwrap_or_else(|e| panic!("{e}"));
        let child = command
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(errors))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        RunningPod { name: pod_name.to_owned(), http_address, log, child, readiness: None }
    }

    /// Writes the ConfigMap and Secret volumes the container mounts; returns (mount path, local path) pairs.
    async fn write_volumes(
        &self,
        namespace: &str,
        pod: &PodSpec,
        container: &Container,
        dir: &Path,
    ) -> Vec<(String, PathBuf)> {
        let mut mounts = Vec::new();
        for mount in container.volume_mounts.iter().flatten() {
            let local = dir.join(mount.mount_path.trim_start_matches('/'));
            std::fs::create_dir_all(&local).unwrap_or_else(|e| panic!("{}: {e}", local.display()));
            let volume = pod.volumes.iter().flatten().find(|v| v.name == mount.name);
            let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
            if let Some(source) = volume.and_then(|v| v.config_map.as_ref()) {
                let maps: Api<ConfigMap> = Api::namespaced(self.client.clone(), namespace);
                let map = maps.get(&source.name).await.unwrap_or_else(|e| panic!("ConfigMap {}: {e}", source.name));
                files.extend(map.data.unwrap_or_default().into_iter().map(|(k, v)| (k, v.into_bytes())));
            }
            if let Some(name) = volume.and_then(|v| v.secret.as_ref()).and_then(|s| s.secret_name.clone()) {
                let secrets: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
                let secret = secrets.get(&name).await.unwrap_or_else(|e| panic!("Secret {name}: {e}"));
                files.extend(secret.data.unwrap_or_default().into_iter().map(|(k, v)| (k, v.0)));
            }
            for (key, bytes) in files {
                std::fs::write(local.join(&key), bytes).unwrap_or_else(|e| panic!("{key}: {e}"));
            }
            mounts.push((mount.mount_path.clone(), local));
        }
        // Longest first, so a mount inside another is matched before it.
        mounts.sort_by_key(|(mount, _)| std::cmp::Reverse(mount.len()));
        mounts
    }

    /// The container's environment, with field and Secret references resolved.
    async fn environment(&self, namespace: &str, pod_name: &str, container: &Container) -> Vec<(String, String)> {
        let mut environment = Vec::new();
        for variable in container.env.iter().flatten() {
            let value = match (&variable.value, &variable.value_from) {
                (Some(value), _) => value.clone(),
                (None, Some(from)) => match (&from.field_ref, &from.secret_key_ref) {
                    (Some(field), _) if field.field_path == "metadata.name" => pod_name.to_owned(),
                    (Some(field), _) if field.field_path == "metadata.namespace" => namespace.to_owned(),
                    (_, Some(key)) => {
                        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
                        let secret =
                            secrets.get(&key.name).await.unwrap_or_else(|e| panic!("Secret {}: {e}", key.name));
                        let bytes = secret.data.unwrap_or_default().remove(&key.key).map(|b| b.0).unwrap_or_default();
                        String::from_utf8_lossy(&bytes).into_owned()
                    }
                    _ => continue,
                },
                (None, None) => String::new(),
            };
            environment.push((variable.name.clone(), value));
        }
        environment
    }
}

/// Whether the process at `address` answers `/readyz` with 200.
async fn ready(address: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(address).await else { return false };
    let request = format!("GET /readyz HTTP/1.0\r\nHost: {address}\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut head = [0u8; 16];
    let read = stream.read(&mut head).await.unwrap_or(0);
    head[..read].starts_with(b"HTTP/1.1 200") || head[..read].starts_with(b"HTTP/1.0 200")
}

/// Keeps pod `name`'s phase and `Ready` condition in step with its process's `/readyz`, checked every 500 ms, as a
/// kubelet does with a readiness probe; runs until aborted.
async fn report_readiness(pods: Api<Pod>, name: String, address: String) {
    let mut reported = None;
    loop {
        let now = ready(&address).await;
        if reported != Some(now) {
            let status = if now { "True" } else { "False" };
            let time = k8s_openapi::jiff::Timestamp::now().to_string();
            let condition =
                |type_: &str, status: &str| json!({"type": type_, "status": status, "lastTransitionTime": time});
            let patch = json!({"status": {
                "phase": "Running",
                "conditions": [condition("PodScheduled", "True"), condition("Ready", status), condition("ContainersReady", status)],
            }});
            let params = PatchParams::default();
            if pods.patch_status(&name, &params, &Patch::Merge(&patch)).await.is_ok() {
                reported = Some(now);
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
