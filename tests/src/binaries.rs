//! The project's binaries for tests that run them as processes, as a cluster would (`augur run` in a runtime pod,
//! `augur-operator run` in the operator's pod). They are built once per test process with the same cargo, profile
//! and target directory as the tests themselves (a no-op when they are up to date).

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

/// The target directory's profile folder of the running test binary (`target/debug`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("no current executable: {e}"));
    // target/<profile>/deps/<test>-<hash>
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("{}: no target dir", exe.display()))
}

fn build() -> PathBuf {
    let profile = profile_dir();
    let target = profile.parent().unwrap_or(&profile).to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace)
        .args(["build", "--quiet", "--bin", "augur", "--bin", "augur-operator"])
        .arg("--target-dir")
        .arg(&target);
    if profile.file_name().is_some_and(|name| name == "release") {
        command.arg("--release");
    }
    let status = command.status().unwrap_or_else(|e| panic!("cannot run cargo build: {e}"));
    assert!(status.success(), "cargo build of the augur binaries failed");
    profile
}

/// The path of the project binary `name` (`augur` or `augur-operator`), built if needed.
pub fn binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let path = BUILT.get_or_init(build).join(name);
    assert!(path.exists(), "{} was not built", path.display());
    path
}
