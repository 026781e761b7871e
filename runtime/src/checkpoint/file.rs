//! A checkpoint file for local runs: every partition's checkpoint in one file, each as a length-prefixed envelope,
//! replaced atomically (written beside it, synced, renamed over it) so a crash leaves the old or the new file whole.

use std::{
    collections::BTreeMap,
    io::Write,
    path::{Path, PathBuf},
};

use super::{BoxFuture, Checkpoint, CheckpointError, CheckpointStore, Loaded, decode, encode};

/// Checkpoints in a local file.
#[derive(Clone, Debug)]
pub struct FileStore {
    path: PathBuf,
    kind: String,
}

impl FileStore {
    /// A store at `path` for a model of `kind`. The file is created on the first save.
    pub fn new(path: impl Into<PathBuf>, kind: &str) -> Self {
        Self { path: path.into(), kind: kind.to_owned() }
    }

    /// Every envelope in the file by partition (damaged ones as errors); empty when the file does not exist.
    fn read_all(&self) -> Result<BTreeMap<i32, Result<Checkpoint, CheckpointError>>, CheckpointError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(error) => return Err(CheckpointError::Store(format!("cannot read {}: {error}", self.path.display()))),
        };
        let mut all = BTreeMap::new();
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            let Some((length, tail)) = rest.split_first_chunk::<4>() else {
                return Err(corrupt(&self.path, "truncated length"));
            };
            let length = u32::from_le_bytes(*length) as usize;
            if tail.len() < length {
                return Err(corrupt(&self.path, "truncated entry"));
            }
            let (envelope, tail) = tail.split_at(length);
            match decode(&self.kind, envelope) {
                Ok(checkpoint) => all.insert(checkpoint.partition, Ok(checkpoint)),
                // The partition of an unreadable envelope is unknown: report it under every partition asked for.
                Err(error) => all.insert(i32::MIN, Err(error)),
            };
            rest = tail;
        }
        Ok(all)
    }

    fn write_all(&self, all: &BTreeMap<i32, Checkpoint>) -> Result<(), CheckpointError> {
        let fail =
            |error: std::io::Error| CheckpointError::Store(format!("cannot write {}: {error}", self.path.display()));
        let mut bytes = Vec::new();
        for checkpoint in all.values() {
            let envelope = encode(&self.kind, checkpoint);
            let length = u32::try_from(envelope.len())
                .map_err(|_| CheckpointError::Store("a partition's state is larger than 4 GiB".into()))?;
            bytes.extend_from_slice(&length.to_le_bytes());
            bytes.extend_from_slice(&envelope);
        }
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        let temporary = temporary_path(&self.path);
        let mut file = std::fs::File::create(&temporary).map_err(fail)?;
        file.write_all(&bytes).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&temporary, &self.path).map_err(fail)
    }
}

impl CheckpointStore for FileStore {
    fn load<'a>(&'a self, partitions: &'a [i32]) -> BoxFuture<'a, Result<Loaded, CheckpointError>> {
        Box::pin(async move {
            let store = self.clone();
            let mut all = tokio::task::spawn_blocking(move || store.read_all())
                .await
                .map_err(|e| CheckpointError::Store(e.to_string()))??;
            let damaged = all.remove(&i32::MIN);
            Ok(partitions
                .iter()
                .filter_map(|partition| match (all.remove(partition), &damaged) {
                    (Some(found), _) => Some((*partition, found)),
                    (None, Some(Err(error))) => Some((*partition, Err(CheckpointError::Corrupt(error.to_string())))),
                    (None, _) => None,
                })
                .collect())
        })
    }

    fn save<'a>(&'a self, checkpoints: &'a [Checkpoint]) -> BoxFuture<'a, Result<(), CheckpointError>> {
        let store = self.clone();
        let checkpoints = checkpoints.to_vec();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                // Damaged entries are dropped: their partitions start fresh anyway.
                let mut all: BTreeMap<i32, Checkpoint> = match store.read_all() {
                    Ok(all) => all.into_iter().filter_map(|(p, c)| c.ok().map(|c| (p, c))).collect(),
                    Err(CheckpointError::Store(message)) => return Err(CheckpointError::Store(message)),
                    Err(_) => BTreeMap::new(),
                };
                all.extend(checkpoints.into_iter().map(|c| (c.partition, c)));
                store.write_all(&all)
            })
            .await
            .map_err(|e| CheckpointError::Store(e.to_string()))?
        })
    }
}

fn corrupt(path: &Path, what: &str) -> CheckpointError {
    CheckpointError::Corrupt(format!("{}: {what}", path.display()))
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}
