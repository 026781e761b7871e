//! Writes the CRD YAML into `charts/augur/crds/` and the API reference generated from it into `docs/api.md`, or with
//! `--check` fails when a committed file differs.
//!
//! Usage: `crdgen [--check] [--api-docs FILE] [DIR]` (DIR defaults to `charts/augur/crds` and FILE to `docs/api.md`,
//! both under the workspace root).

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

const USAGE: &str = "usage: crdgen [--check] [--api-docs FILE] [DIR]\n  writes the Augur CRDs to DIR (default \
                     charts/augur/crds) and their API reference to FILE (default docs/api.md);\n  with --check, \
                     writes nothing and fails if a committed file differs";

fn main() -> ExitCode {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut check = false;
    let mut dir = workspace.join("charts/augur/crds");
    let mut api_docs = workspace.join("docs/api.md");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--api-docs" => match args.next() {
                Some(file) => api_docs = PathBuf::from(file),
                None => {
                    eprintln!("crdgen: --api-docs needs a file\n{USAGE}");
                    return ExitCode::FAILURE;
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => dir = PathBuf::from(other),
        }
    }
    match run(&dir, &api_docs, check) {
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

/// Writes (or, with `check`, compares) every CRD and the API reference; returns the files that differ in check mode.
fn run(dir: &Path, api_docs: &Path, check: bool) -> Result<Vec<PathBuf>, String> {
    if !check {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut files = Vec::new();
    for (file, crd) in augur_crds::crd::all() {
        let yaml = augur_crds::crd::to_yaml(&crd).map_err(|e| format!("cannot serialise {file}: {e}"))?;
        files.push((dir.join(file), yaml));
    }
    files.push((api_docs.to_path_buf(), augur_crds::crd::api_reference()));
    let mut stale = Vec::new();
    for (path, text) in files {
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path);
            }
        } else {
            std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    Ok(stale)
}
