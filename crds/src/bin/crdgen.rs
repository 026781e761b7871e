//! Writes the CRD YAML into `charts/augur/crds/`, or with `--check` fails when the committed files differ.
//!
//! Usage: `crdgen [--check] [DIR]` (DIR defaults to `charts/augur/crds` under the workspace root).

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

fn main() -> ExitCode {
    let mut check = false;
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/augur/crds");
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!("usage: crdgen [--check] [DIR]\n  writes the Augur CRDs to DIR (default charts/augur/crds)");
                return ExitCode::SUCCESS;
            }
            other => dir = PathBuf::from(other),
        }
    }
    match run(&dir, check) {
        Ok(stale) if stale.is_empty() => ExitCode::SUCCESS,
        Ok(stale) => {
            for file in stale {
                eprintln!("crdgen: {} is out of date; run `cargo run -p augur-crds --bin crdgen`", file.display());
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("crdgen: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Writes (or, with `check`, compares) every CRD; returns the files that differ in check mode.
fn run(dir: &Path, check: bool) -> Result<Vec<PathBuf>, String> {
    if !check {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut stale = Vec::new();
    for (file, crd) in augur_crds::crd::all() {
        let path = dir.join(file);
        let yaml = augur_crds::crd::to_yaml(&crd).map_err(|e| format!("cannot serialise {file}: {e}"))?;
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(yaml.as_str()) {
                stale.push(path);
            }
        } else {
            std::fs::write(&path, yaml).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    Ok(stale)
}
