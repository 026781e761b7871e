//! The Kafka source: a consumer-group member with auto-commit off. Offsets are committed only when the runner says
//! the records before them reached the sinks and a checkpoint (all of this is at-least-once). On assignment each
//! partition waits until its checkpoint has been read ([`Restorer`]: a store that cannot be read now is retried with
//! backoff, so a slow read never costs the learned state), then is handed to the runner with its state before any of
//! its records; records already reflected in the state are skipped. Records fetched while it waits are held, as raw
//! bytes, and replayed once the partition starts. The partition is not paused meanwhile: librdkafka drops what it
//! has prefetched for a paused partition and resumes after it, which lost records (the Kafka integration tests
//! caught it), so the cost of a long wait is memory for the held records. On revocation the partition's buffered
//! records are dropped.

mod rebalance;

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::Arc,
    time::{Duration, Instant},
};

use augur_crds::{common::StartFrom, runtime_config::KafkaInput};
use prometheus_client::metrics::gauge::Gauge;
use rdkafka::{
    ClientConfig, Message, Offset, TopicPartitionList,
    consumer::{CommitMode, Consumer, StreamConsumer},
    error::KafkaError,
};

use self::rebalance::{Change, RebalanceLog};
use crate::{
    checkpoint::{CheckpointStore, Restorer, Start},
    decode::Decode,
    kafka::client_config,
    record::{Batch, Decoded, Position},
    sources::{Source, SourceError, Step},
    status::Health,
    time::{Clock, SystemClock},
};

/// Records gathered for one partition, and the offset after the last of them.
type Gathered<T> = (Vec<Decoded<T>>, i64);

/// Most records in one batch.
const MAX_BATCH: usize = 4096;
/// How long a batch waits for more records after its first one.
const LINGER: Duration = Duration::from_millis(5);
/// How often an idle source wakes to notice rebalances.
const WAKE: Duration = Duration::from_millis(200);
/// Least time between two warnings about consumer errors.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// Records of a Kafka topic read as a member of a consumer group.
pub struct KafkaSource<D: Decode> {
    settings: ClientConfig,
    topic: String,
    decoder: D,
    store: Option<Arc<dyn CheckpointStore>>,
    /// Where restore problems are reported, and the clock of its retries.
    health: Health,
    clock: Arc<dyn Clock>,
    /// Partitions waiting for their checkpoints (made at start, when there is a store).
    restorer: Option<Restorer>,
    /// Records of waiting partitions, fetched while their checkpoint is read: (offset, payload), in order.
    held: BTreeMap<i32, Vec<(i64, Vec<u8>)>>,
    consumer: Option<StreamConsumer<RebalanceLog>>,
    /// Per partition, the first offset not yet reflected in restored state.
    resume: HashMap<i32, i64>,
    /// Records collected for the next batches, per partition, with the offset after the last one.
    buffers: BTreeMap<i32, Gathered<D::Item>>,
    pending: VecDeque<Step<D::Item>>,
    /// Offsets committed so far, re-committed synchronously on close.
    committed: BTreeMap<i32, i64>,
    last_warning: Option<Instant>,
    lag: Option<Gauge>,
}

impl<D: Decode> KafkaSource<D> {
    /// A source for `input`; checkpoints are loaded from `store` on assignment when given.
    pub fn new(
        input: &KafkaInput,
        decoder: D,
        client_id: &str,
        store: Option<Arc<dyn CheckpointStore>>,
    ) -> Result<Self, SourceError> {
        let mut settings =
            client_config(&input.connection, client_id).map_err(|e| SourceError::Config(e.to_string()))?;
        settings
            .set("group.id", &input.consumer_group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false")
            .set("auto.offset.reset", if input.start_from == StartFrom::Earliest { "earliest" } else { "latest" })
            // Only the partitions that move are revoked, so a member joining does not reset everyone's state.
            .set("partition.assignment.strategy", "cooperative-sticky")
            // Brokers that answer a fetch only at its deadline (tansu does) would otherwise add up to 500 ms.
            .set("fetch.wait.max.ms", "25")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "2000");
        Ok(Self {
            settings,
            topic: input.topic.clone(),
            decoder,
            store,
            health: Health::new(),
            clock: Arc::new(SystemClock),
            restorer: None,
            held: BTreeMap::new(),
            consumer: None,
            resume: HashMap::new(),
            buffers: BTreeMap::new(),
            pending: VecDeque::new(),
            committed: BTreeMap::new(),
            last_warning: None,
            lag: None,
        })
    }

    /// Keeps `lag` at the records waiting in the partitions read here, from librdkafka's statistics every 5 s.
    pub fn with_lag(mut self, lag: Gauge) -> Self {
        self.settings.set("statistics.interval.ms", "5000");
        self.lag = Some(lag);
        self
    }

    /// Overrides a librdkafka setting (tests shorten group timeouts with it).
    pub fn with_setting(mut self, key: &str, value: &str) -> Self {
        self.settings.set(key, value);
        self
    }

    /// Reports restore problems (partitions waiting for an unreadable store, state reset) to `health`, and times
    /// restore retries on `clock`.
    pub fn with_health(mut self, health: Health, clock: Arc<dyn Clock>) -> Self {
        self.health = health;
        self.clock = clock;
        self
    }

    fn consumer(&self) -> Result<&StreamConsumer<RebalanceLog>, SourceError> {
        self.consumer.as_ref().ok_or_else(|| SourceError::Config("the Kafka source was not started".into()))
    }

    /// Turns recorded assignment changes into steps, loading checkpoints of newly assigned partitions.
    async fn handle_rebalances(&mut self) -> Result<(), SourceError> {
        let changes = self.consumer()?.context().take();
        for change in changes {
            match change {
                Change::Revoked(partitions) => {
                    for partition in partitions {
                        self.resume.remove(&partition);
                        self.buffers.remove(&partition);
                        self.committed.remove(&partition);
                        self.held.remove(&partition);
                        let waited = self.restorer.as_ref().is_some_and(|r| r.is_waiting(partition));
                        if let Some(restorer) = &mut self.restorer {
                            restorer.remove(partition);
                        }
                        tracing::info!(topic = %self.topic, partition, "partition revoked");
                        // The runner never saw a partition that was still waiting for its state.
                        if !waited {
                            self.pending.push_back(Step::Revoked { partition });
                        }
                    }
                }
                Change::Assigned(partitions) => self.assign(&partitions).await,
            }
        }
        Ok(())
    }

    async fn assign(&mut self, partitions: &[i32]) {
        for partition in partitions {
            self.buffers.remove(partition);
        }
        match &mut self.restorer {
            None => {
                for partition in partitions {
                    tracing::info!(topic = %self.topic, partition, restored = false, "partition assigned");
                    self.pending.push_back(Step::Assigned { partition: *partition, snapshot: None });
                }
            }
            Some(restorer) => {
                restorer.add(partitions);
                self.settle().await;
            }
        }
    }

    /// Reads the checkpoints of waiting partitions when a read is due, and starts each partition it settles: its
    /// state goes to the runner, then its held records; its later records follow as they arrive.
    async fn settle(&mut self) {
        let Some(restorer) = &mut self.restorer else { return };
        let settled = restorer.poll().await;
        for (partition, start) in settled {
            let snapshot = match start {
                Start::Resume { next_offset, state } => {
                    self.resume.insert(partition, next_offset);
                    Some(state)
                }
                Start::Fresh => None,
            };
            tracing::info!(topic = %self.topic, partition, restored = snapshot.is_some(), "partition assigned");
            self.pending.push_back(Step::Assigned { partition, snapshot });
            for (offset, payload) in self.held.remove(&partition).unwrap_or_default() {
                self.collect(partition, offset, &payload);
            }
        }
    }

    /// Adds one consumed record to its partition's buffer (skipping what restored state already reflects), or holds
    /// it while the partition waits for its state.
    fn collect(&mut self, partition: i32, offset: i64, payload: &[u8]) {
        if self.restorer.as_ref().is_some_and(|r| r.is_waiting(partition)) {
            self.held.entry(partition).or_default().push((offset, payload.to_vec()));
            return;
        }
        if self.resume.get(&partition).is_some_and(|resume| offset < *resume) {
            return;
        }
        let record = self.decoder.decode(payload, Position { partition, offset });
        let (records, next) = self.buffers.entry(partition).or_insert_with(|| (Vec::new(), offset + 1));
        records.push(record);
        *next = offset + 1;
    }

    fn warn(&mut self, error: &KafkaError) {
        if self.last_warning.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            tracing::warn!(topic = %self.topic, %error, "Kafka consumer error; retrying");
            self.last_warning = Some(Instant::now());
        }
    }

    /// Waits for records, then gathers more for up to [`LINGER`] into per-partition batches. Returns false when
    /// nothing arrived within [`WAKE`].
    async fn fill(&mut self) -> Result<bool, SourceError> {
        self.settle().await;
        if !self.pending.is_empty() {
            self.flush_buffers();
            return Ok(true);
        }
        let mut gathered = 0;
        let mut deadline: Option<Instant> = None;
        while gathered < MAX_BATCH {
            let wait = deadline.map_or(WAKE, |d| d.saturating_duration_since(Instant::now()));
            let received = match tokio::time::timeout(wait, self.consumer()?.recv()).await {
                Err(_elapsed) => None,
                Ok(Ok(message)) => {
                    let payload = message.payload().unwrap_or_default().to_vec();
                    Some((message.partition(), message.offset(), payload))
                }
                Ok(Err(error)) => {
                    self.warn(&error);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    None
                }
            };
            let got_one = received.is_some();
            // A rebalance happens inside a poll: handle it before the record the poll returned.
            self.handle_rebalances().await?;
            if let Some((partition, offset, payload)) = received {
                self.collect(partition, offset, &payload);
                gathered += 1;
                deadline.get_or_insert_with(|| Instant::now() + LINGER);
            }
            // Stop for a rebalance (its steps go out promptly), at the end of the linger, or after a quiet wait.
            let linger_over = deadline.is_some_and(|d| Instant::now() >= d);
            if !self.pending.is_empty() || linger_over || (!got_one && deadline.is_none()) {
                break;
            }
        }
        self.flush_buffers();
        Ok(!self.pending.is_empty())
    }

    /// Turns the gathered records into one batch per partition.
    fn flush_buffers(&mut self) {
        for (partition, (records, next)) in std::mem::take(&mut self.buffers) {
            if !records.is_empty() {
                self.pending.push_back(Step::Records(Batch { records, end: Position { partition, offset: next } }));
            }
        }
    }
}

impl<D: Decode> Source for KafkaSource<D> {
    type Item = D::Item;

    async fn start(&mut self) -> Result<(), SourceError> {
        let consumer: StreamConsumer<RebalanceLog> = self
            .settings
            .create_with_context(RebalanceLog::with_lag(self.lag.clone()))
            .map_err(|e| SourceError::Config(format!("cannot create the Kafka consumer: {e}")))?;
        consumer
            .subscribe(&[&self.topic])
            .map_err(|e| SourceError::Config(format!("cannot subscribe to {}: {e}", self.topic)))?;
        self.consumer = Some(consumer);
        self.restorer = self.store.clone().map(|store| Restorer::new(store, self.clock.clone(), self.health.clone()));
        Ok(())
    }

    async fn next_step(&mut self) -> Result<Option<Step<D::Item>>, SourceError> {
        loop {
            if let Some(step) = self.pending.pop_front() {
                return Ok(Some(step));
            }
            if !self.fill().await? {
                return Ok(Some(Step::Idle));
            }
        }
    }

    async fn commit(&mut self, position: &Position) -> Result<(), SourceError> {
        let mut list = TopicPartitionList::new();
        list.add_partition_offset(&self.topic, position.partition, Offset::Offset(position.offset))
            .map_err(|e| SourceError::Config(e.to_string()))?;
        // A partition revoked meanwhile refuses the commit; its new owner resumes from its own checkpoint.
        if let Err(error) = self.consumer()?.commit(&list, CommitMode::Async) {
            tracing::debug!(partition = position.partition, %error, "offset commit refused");
        } else {
            self.committed.insert(position.partition, position.offset);
        }
        Ok(())
    }

    async fn close(&mut self) -> Result<(), SourceError> {
        if let Some(consumer) = self.consumer.take() {
            let mut list = TopicPartitionList::new();
            for (partition, offset) in &self.committed {
                let _ = list.add_partition_offset(&self.topic, *partition, Offset::Offset(*offset));
            }
            if list.count() > 0
                && let Err(error) = consumer.commit(&list, CommitMode::Sync)
            {
                tracing::warn!(%error, "final offset commit failed; the last checkpoint interval will be replayed");
            }
            consumer.unsubscribe();
        }
        Ok(())
    }
}
