//! Reads an Augur manifest from a file (or `-` for standard input) and validates it like the API server.

use std::{io::Read, path::Path};

use augur_crds::{AugurResource, ManifestError, validation};

/// Why a manifest could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The manifest is not a valid Augur resource.
    #[error("{path}: {error}")]
    Manifest {
        /// The path given.
        path: String,
        /// What is wrong with it.
        error: ManifestError,
    },
}

/// Loads the manifest at `path` (`-` reads standard input).
pub fn load(path: &Path) -> Result<AugurResource, LoadError> {
    let shown = path.display().to_string();
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map(|_| text)
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|error| LoadError::Read { path: shown.clone(), error })?;
    validation::load(&text).map_err(|error| LoadError::Manifest { path: shown, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile_path::TempFile {
        tempfile_path::TempFile::new(text)
    }

    /// A file under the target directory, removed on drop.
    mod tempfile_path {
        use std::path::PathBuf;

        pub struct TempFile(pub PathBuf);

        impl TempFile {
            pub fn new(text: &str) -> Self {
                static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let path = std::env::temp_dir().join(format!("augur-manifest-{}-{n}.yaml", std::process::id()));
                std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
                Self(path)
            }
        }

        impl Drop for TempFile {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    #[test]
    fn loads_and_defaults_a_valid_manifest() {
        let file = write(
            "apiVersion: augur.dev/v1alpha1\nkind: Forecaster\nmetadata: {name: load}\nspec:\n  source:\n    \
             prometheus: {url: 'http://p:9090', query: up}\n",
        );
        let resource = load(&file.0).unwrap_or_else(|e| panic!("{e}"));
        let AugurResource::Forecaster(forecaster) = resource else { panic!("expected a Forecaster") };
        assert_eq!(forecaster.spec.model.quantiles, vec![0.1, 0.5, 0.9]);
    }

    #[test]
    fn an_invalid_manifest_reports_the_rule_message_and_the_file() {
        let file =
            write("apiVersion: augur.dev/v1alpha1\nkind: Forecaster\nmetadata: {name: load}\nspec:\n  source: {}\n");
        let message = load(&file.0).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("set exactly one source: either kafka or prometheus"), "{message}");
        assert!(message.contains(&file.0.display().to_string()), "{message}");
    }

    #[test]
    fn a_foreign_object_is_named_as_such() {
        let file = write("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n");
        let message = load(&file.0).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("apps/v1/Deployment is not an Augur resource"), "{message}");
    }

    #[test]
    fn a_missing_file_is_a_read_error() {
        let error = load(Path::new("/nonexistent/augur.yaml")).err();
        assert!(matches!(error, Some(LoadError::Read { .. })));
    }
}
