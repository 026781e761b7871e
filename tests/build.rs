//! Turns the environment that enables the real-server tests into cfgs, so that a test which cannot run here is
//! compiled `#[ignore]`d with the reason (and shows as ignored), and runs when its server is configured:
//! - `augur_e2e` when `AUGUR_E2E_KUBECONFIG` names a kubeconfig (end-to-end tests against a real cluster);
//! - `augur_kafka` when `AUGUR_KAFKA_BOOTSTRAP` is set (`.ci/run` starts tansu);
//! - `augur_prometheus` when `AUGUR_PROMETHEUS_URL` is set (`.ci/run` starts Prometheus);
//! - `augur_prometheus_tls` when `AUGUR_PROMETHEUS_SECRETS` names the credentials of the secured Prometheus servers
//!   (`.ci/run` starts them: https with client certificates and basic auth, https with a bearer token);
//! - `augur_tansu` when `AUGUR_TANSU_BIN` names the broker binary (the test that restarts its own broker).

fn main() {
    for (variable, cfg) in [
        ("AUGUR_E2E_KUBECONFIG", "augur_e2e"),
        ("AUGUR_KAFKA_BOOTSTRAP", "augur_kafka"),
        ("AUGUR_PROMETHEUS_URL", "augur_prometheus"),
        ("AUGUR_PROMETHEUS_SECRETS", "augur_prometheus_tls"),
        ("AUGUR_TANSU_BIN", "augur_tansu"),
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={variable}");
        if std::env::var_os(variable).is_some_and(|value| !value.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
