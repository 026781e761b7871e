//! Checkpoints in a compacted Kafka topic, keyed by resource, partition and chunk, so the topic keeps only the
//! latest checkpoint of each partition. A checkpoint larger than a chunk (brokers refuse records over 1 MB by
//! default, and a forecaster's state is tens of kilobytes per series) is split into chunks that carry the
//! checkpoint's generation and chunk count; a load assembles the chunks of the generation chunk 0 names, so stale
//! chunks of an older, longer checkpoint are ignored. Loading reads the topic from the beginning to its end and keeps
//! the newest record of each key; saving produces and waits for every delivery.

use std::{collections::HashMap, time::Duration};

use augur_crds::runtime_config::KafkaConnection;
use rdkafka::{
    ClientConfig, Message, Offset, TopicPartitionList,
    consumer::{BaseConsumer, Consumer},
    producer::{FutureProducer, FutureRecord},
};

use super::{BoxFuture, Checkpoint, CheckpointError, CheckpointStore, Loaded, decode, encode};
use crate::kafka::{client_config, create_topic};

/// Longest a load may take before it gives up (the partitions then start fresh).
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest piece of a checkpoint in one record.
const CHUNK_BYTES: usize = 512 * 1024;
/// Bytes of a chunk's header: generation (u64), index and count (u32 each), little-endian.
const CHUNK_HEADER: usize = 16;

/// Checkpoints in a compacted topic.
pub struct KafkaStore {
    settings: ClientConfig,
    producer: FutureProducer,
    topic: String,
    /// `Kind/namespace/name/`: the keys of this resource's checkpoints.
    prefix: String,
    kind: String,
}

impl KafkaStore {
    /// A store in `topic` for the resource `resource` (`Kind/namespace/name`) whose model is `kind`. Creates the
    /// topic (compacted) when it is missing and the credentials allow it.
    pub async fn connect(
        connection: &KafkaConnection,
        topic: &str,
        resource: &str,
        kind: &str,
        client_id: &str,
    ) -> Result<Self, CheckpointError> {
        let settings = client_config(connection, client_id).map_err(|e| CheckpointError::Store(e.to_string()))?;
        let producer: FutureProducer =
            settings.create().map_err(|e| CheckpointError::Store(format!("cannot create a producer: {e}")))?;
        let store =
            Self { settings, producer, topic: topic.to_owned(), prefix: format!("{resource}/"), kind: kind.to_owned() };
        store.ensure_topic().await;
        Ok(store)
    }

    async fn ensure_topic(&self) {
        if let Err(error) = create_topic(&self.settings, &self.topic, 1, &[("cleanup.policy", "compact")]).await {
            tracing::warn!(%error, "the checkpoint topic could not be created; it must exist");
        }
    }

    fn key(&self, partition: i32, chunk: usize) -> String {
        chunk_key(&self.prefix, partition, chunk)
    }

    /// The newest record of each of this resource's keys (blocking: run off the async threads).
    fn read_latest(settings: ClientConfig, topic: String, prefix: String) -> Result<HashMap<String, Vec<u8>>, String> {
        let consumer: BaseConsumer = settings
            .clone()
            .set("group.id", "augur-checkpoint-reader")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .create()
            .map_err(|e| format!("cannot create a consumer: {e}"))?;
        let metadata = consumer.fetch_metadata(Some(&topic), LOAD_TIMEOUT).map_err(|e| e.to_string())?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        let mut ends = HashMap::new();
        let mut assignment = TopicPartitionList::new();
        for partition in partitions {
            let (low, high) = consumer.fetch_watermarks(&topic, partition, LOAD_TIMEOUT).map_err(|e| e.to_string())?;
            if high > low {
                ends.insert(partition, high);
                assignment.add_partition_offset(&topic, partition, Offset::Beginning).map_err(|e| e.to_string())?;
            }
        }
        let mut latest = HashMap::new();
        if ends.is_empty() {
            return Ok(latest);
        }
        consumer.assign(&assignment).map_err(|e| e.to_string())?;
        let deadline = std::time::Instant::now() + LOAD_TIMEOUT;
        let mut keep = |message: &rdkafka::message::BorrowedMessage<'_>| {
            let key = message.key().and_then(|k| std::str::from_utf8(k).ok()).filter(|k| k.starts_with(&prefix));
            if let Some(key) = key {
                match message.payload() {
                    Some(payload) => latest.insert(key.to_owned(), payload.to_vec()),
                    // A tombstone deletes the key.
                    None => latest.remove(key),
                };
            }
        };
        while !ends.is_empty() {
            if std::time::Instant::now() >= deadline {
                return Err(format!("reading {topic} took longer than {}s", LOAD_TIMEOUT.as_secs()));
            }
            let Some(message) = consumer.poll(Duration::from_millis(200)) else { continue };
            let message = message.map_err(|e| e.to_string())?;
            keep(&message);
            if ends.get(&message.partition()).is_some_and(|end| message.offset() + 1 >= *end) {
                ends.remove(&message.partition());
            }
        }
        // Some brokers report the high watermark one short: read on until the topic is quiet.
        while let Some(message) = consumer.poll(Duration::from_millis(300)) {
            keep(&message.map_err(|e| e.to_string())?);
            if std::time::Instant::now() >= deadline {
                break;
            }
        }
        Ok(latest)
    }
}

impl CheckpointStore for KafkaStore {
    fn load<'a>(&'a self, partitions: &'a [i32]) -> BoxFuture<'a, Result<Loaded, CheckpointError>> {
        Box::pin(async move {
            let (settings, topic, prefix) = (self.settings.clone(), self.topic.clone(), self.prefix.clone());
            let latest = tokio::task::spawn_blocking(move || Self::read_latest(settings, topic, prefix))
                .await
                .map_err(|e| CheckpointError::Store(e.to_string()))?
                .map_err(|e| CheckpointError::Store(format!("cannot read checkpoints from {}: {e}", self.topic)))?;
            Ok(partitions
                .iter()
                .filter_map(|partition| {
                    assemble(&self.kind, &self.prefix, *partition, &latest).map(|found| (*partition, found))
                })
                .collect())
        })
    }

    fn save<'a>(&'a self, checkpoints: &'a [Checkpoint]) -> BoxFuture<'a, Result<(), CheckpointError>> {
        Box::pin(async move {
            let generation = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or_default();
            let mut encoded: Vec<(String, Vec<u8>)> = Vec::new();
            for checkpoint in checkpoints {
                for (index, payload) in split(generation, &encode(&self.kind, checkpoint)) {
                    encoded.push((self.key(checkpoint.partition, index), payload));
                }
            }
            let failed =
                |error: String| CheckpointError::Store(format!("cannot write a checkpoint to {}: {error}", self.topic));
            let mut deliveries = Vec::with_capacity(encoded.len());
            for (key, payload) in &encoded {
                let record = FutureRecord::to(&self.topic).key(key).payload(payload);
                deliveries.push(self.producer.send_result(record).map_err(|(error, _)| failed(error.to_string()))?);
            }
            for delivery in deliveries {
                match delivery.await {
                    Ok(Ok(_)) => {}
                    Ok(Err((error, _))) => return Err(failed(error.to_string())),
                    Err(_cancelled) => return Err(failed("the producer closed".into())),
                }
            }
            Ok(())
        })
    }
}

/// The record key of chunk `chunk` of `partition`'s checkpoint.
fn chunk_key(prefix: &str, partition: i32, chunk: usize) -> String {
    format!("{prefix}{partition}#{chunk}")
}

/// The records of a checkpoint envelope: (chunk index, payload with its header).
fn split(generation: u64, envelope: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let chunks: Vec<&[u8]> = envelope.chunks(CHUNK_BYTES).collect();
    let count = chunks.len() as u32;
    chunks
        .into_iter()
        .enumerate()
        .map(|(index, piece)| {
            let mut payload = Vec::with_capacity(CHUNK_HEADER + piece.len());
            payload.extend_from_slice(&generation.to_le_bytes());
            payload.extend_from_slice(&(index as u32).to_le_bytes());
            payload.extend_from_slice(&count.to_le_bytes());
            payload.extend_from_slice(piece);
            (index, payload)
        })
        .collect()
}

/// The checkpoint of `partition` assembled from the newest records by key, if it has one.
fn assemble(
    kind: &str,
    prefix: &str,
    partition: i32,
    latest: &HashMap<String, Vec<u8>>,
) -> Option<Result<Checkpoint, CheckpointError>> {
    let header = |bytes: &[u8]| -> Option<(u64, u32, u32)> {
        let generation = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
        let index = u32::from_le_bytes(bytes.get(8..12)?.try_into().ok()?);
        let count = u32::from_le_bytes(bytes.get(12..16)?.try_into().ok()?);
        Some((generation, index, count))
    };
    let first = latest.get(&chunk_key(prefix, partition, 0))?;
    let corrupt = |why: &str| Some(Err(CheckpointError::Corrupt(format!("partition {partition}: {why}"))));
    let Some((generation, 0, count)) = header(first) else { return corrupt("a damaged first chunk") };
    let mut envelope = Vec::new();
    for index in 0..count {
        let Some(chunk) = latest.get(&chunk_key(prefix, partition, index as usize)) else {
            return corrupt(&format!("chunk {index} of {count} is missing"));
        };
        if header(chunk) != Some((generation, index, count)) {
            return corrupt(&format!("chunk {index} belongs to another checkpoint"));
        }
        envelope.extend_from_slice(&chunk[CHUNK_HEADER..]);
    }
    Some(decode(kind, &envelope))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_checkpoints_are_chunked_and_stale_chunks_ignored() {
        let big = Checkpoint { partition: 2, next_offset: 7, state: (0..1_300_000u32).map(|i| i as u8).collect() };
        let store = |generation: u64, checkpoint: &Checkpoint, latest: &mut HashMap<String, Vec<u8>>| {
            for (index, payload) in split(generation, &encode("forecast", checkpoint)) {
                latest.insert(chunk_key("p/", checkpoint.partition, index), payload);
            }
        };
        let mut latest = HashMap::new();
        store(1, &big, &mut latest);
        assert_eq!(latest.len(), 3, "1.3 MB in chunks of 512 KiB");
        assert_eq!(assemble("forecast", "p/", 2, &latest).and_then(Result::ok), Some(big.clone()));
        // A newer, smaller checkpoint leaves the old third chunk behind: it is ignored.
        let small = Checkpoint { state: vec![1, 2, 3], ..big.clone() };
        store(2, &small, &mut latest);
        assert_eq!(assemble("forecast", "p/", 2, &latest).and_then(Result::ok), Some(small));
        assert!(assemble("forecast", "p/", 3, &latest).is_none());
        // A missing middle chunk is reported, not a crash.
        store(3, &big, &mut latest);
        latest.remove(&chunk_key("p/", 2, 1));
        assert!(matches!(assemble("forecast", "p/", 2, &latest), Some(Err(CheckpointError::Corrupt(_)))));
    }
}
