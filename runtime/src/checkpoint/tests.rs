//! Checkpoint envelopes and the file store: round trips, corruption and incompatibility refused with a reason.

use super::*;

fn sample(partition: i32) -> Checkpoint {
    Checkpoint { partition, next_offset: 42 + i64::from(partition), state: vec![1, 2, 3, partition as u8] }
}

#[test]
fn envelopes_round_trip_and_refuse_damage() {
    let bytes = encode("anomaly", &sample(3));
    assert_eq!(decode("anomaly", &bytes).ok(), Some(sample(3)));

    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    assert!(matches!(decode("anomaly", &flipped), Err(CheckpointError::Corrupt(_))));
    assert!(matches!(decode("anomaly", &bytes[..bytes.len() - 3]), Err(CheckpointError::Corrupt(_))));
    assert!(matches!(decode("anomaly", b"garbage"), Err(CheckpointError::Corrupt(_))));

    let other_kind = decode("forecast", &bytes);
    assert!(matches!(&other_kind, Err(CheckpointError::Incompatible(m)) if m.contains("anomaly")), "{other_kind:?}");
    let mut next_version = bytes;
    next_version[7] = b'2';
    assert!(matches!(decode("anomaly", &next_version), Err(CheckpointError::Incompatible(_))));
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}")).block_on(future)
}

#[test]
fn the_file_store_keeps_the_latest_checkpoint_per_partition() {
    let directory = std::env::temp_dir().join(format!("augur-checkpoint-{}", std::process::id()));
    let path = directory.join("nested").join("state.ckpt");
    let store = FileStore::new(&path, "anomaly");
    block_on(async {
        assert!(store.load(&[0]).await.unwrap_or_else(|e| panic!("{e}")).is_empty());
        store.save(&[sample(0), sample(1)]).await.unwrap_or_else(|e| panic!("{e}"));
        let newer = Checkpoint { next_offset: 99, ..sample(1) };
        store.save(std::slice::from_ref(&newer)).await.unwrap_or_else(|e| panic!("{e}"));
        let loaded = store.load(&[0, 1, 2]).await.unwrap_or_else(|e| panic!("{e}"));
        let loaded: Vec<_> = loaded.into_iter().map(|(p, c)| (p, c.ok())).collect();
        assert_eq!(loaded, vec![(0, Some(sample(0))), (1, Some(newer))]);

        // A torn file is reported, not a crash; the next save starts it over.
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(store.load(&[0]).await, Err(CheckpointError::Corrupt(_))));
        store.save(&[sample(2)]).await.unwrap_or_else(|e| panic!("{e}"));
        let loaded = store.load(&[0, 2]).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loaded.len(), 1);
    });
    let _ = std::fs::remove_dir_all(directory);
}
