//! The chart's Argo CD health checks on statuses captured from the end-to-end story (`tests/fixtures/argocd/`, laid
//! out as Argo CD's own `resource_customizations`: per kind, a `health_test.yaml` naming each `testdata/` object and
//! the health it must have), and the ready-to-merge `examples/argocd/argocd-cm-health.yaml` kept equal to the
//! scripts.

use std::path::PathBuf;

use augur_tests::argocd::{KINDS, argocd_cm, health};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/argocd")
}

fn yaml(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn captured_statuses_have_the_health_their_test_file_names() {
    let mut checked = 0;
    for kind in KINDS {
        let dir = fixtures().join(kind);
        let tests = yaml(&dir.join("health_test.yaml"));
        let cases = tests["tests"].as_array().cloned().unwrap_or_default();
        assert!(!cases.is_empty(), "{kind}: no captured status to check");
        for case in cases {
            let input = case["inputPath"].as_str().unwrap_or_default();
            let object = yaml(&dir.join(input));
            assert_eq!(object["kind"], kind, "{input} is not a {kind}");
            let got = health(kind, &object);
            let want = &case["healthStatus"];
            assert_eq!(
                (got.status.as_str(), got.message.as_str()),
                (want["status"].as_str().unwrap_or_default(), want["message"].as_str().unwrap_or_default()),
                "{kind} {input}"
            );
            checked += 1;
        }
    }
    println!("{checked} captured statuses checked");
}

#[test]
fn the_argocd_cm_example_holds_the_current_scripts() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/argocd/argocd-cm-health.yaml");
    let want = argocd_cm();
    if std::env::var_os("AUGUR_UPDATE_EXAMPLES").is_some() {
        std::fs::write(&path, &want).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let got = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "{} is stale: run `AUGUR_UPDATE_EXAMPLES=1 cargo test -p augur-tests --test argocd_health`",
        path.display()
    );
    // What the file holds is what runs: each key's script, read back from the YAML, gives a health.
    let parsed: Value = serde_saphyr::from_str(&got).unwrap_or_else(|e| panic!("{e}"));
    for kind in KINDS {
        let key = augur_tests::argocd::key(kind);
        assert_eq!(parsed["data"][&key].as_str(), Some(augur_tests::argocd::script(kind).as_str()), "{key}");
    }
}
