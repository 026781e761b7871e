//! The broker killed while a runtime reads its checkpoints: the learned state survives. A forecaster learns two
//! series, checkpointing to a compacted topic, and stops. The next run's first checkpoint read kills the broker as
//! it begins (so it fails, as a read does when a broker goes away) and starts it again once the read has failed.
//! The partition must wait and retry rather than start fresh: its models continue with the history they had, and
//! the checkpoint on the broker is never overwritten by a fresh one. Runs its own broker (`AUGUR_TANSU_BIN`).

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use augur_crds::runtime_config::{ModelConfig, RuntimeConfig, SourceConfig, StateStore};
use augur_runtime::{
    checkpoint::{BoxFuture, Checkpoint, CheckpointError, CheckpointStore, KafkaStore, Loaded},
    decode::MetricDecoder,
    job::{ForecastKind, Kind},
    models::forecast::{ForecastProcessor, StepForecast},
    pipeline::{self, AfterFlush, Checkpointing, Partitioned, RunSettings, Shutdown, Sink, SinkError},
    record::DeadLetter,
    sources::kafka::KafkaSource,
    status::Health,
};
use augur_tests::{
    broker::{Broker, BrokerHome},
    streams::{connection, create_topic, produce, producer, runtime_config, server, two_series_events, unique},
};

const WAIT: Duration = Duration::from_secs(180);

/// A checkpoint store that kills the broker as its first read begins and starts it again once that read failed.
struct KilledDuringLoad {
    inner: KafkaStore,
    home: Arc<BrokerHome>,
    broker: Arc<Mutex<Option<Broker>>>,
    loads: AtomicUsize,
    failed: Mutex<Vec<String>>,
}

impl CheckpointStore for KilledDuringLoad {
    fn load<'a>(&'a self, partitions: &'a [i32]) -> BoxFuture<'a, Result<Loaded, CheckpointError>> {
        Box::pin(async move {
            if self.loads.fetch_add(1, Ordering::SeqCst) > 0 {
                return self.inner.load(partitions).await;
            }
            drop(self.broker.lock().unwrap_or_else(|e| e.into_inner()).take());
            let result = self.inner.load(partitions).await;
            if let Err(error) = &result {
                self.failed.lock().unwrap_or_else(|e| e.into_inner()).push(error.to_string());
            }
            *self.broker.lock().unwrap_or_else(|e| e.into_inner()) = Some(self.home.start());
            result
        })
    }

    fn save<'a>(&'a self, checkpoints: &'a [Checkpoint]) -> BoxFuture<'a, Result<(), CheckpointError>> {
        self.inner.save(checkpoints)
    }
}

/// Results are not what this test looks at.
struct Discard;

impl Sink<StepForecast> for Discard {
    async fn write(&mut self, _: &[StepForecast]) -> Result<(), SinkError> {
        Ok(())
    }
}

impl Sink<DeadLetter> for Discard {
    async fn write(&mut self, items: &[DeadLetter]) -> Result<(), SinkError> {
        match items.first() {
            Some(dead) => Err(SinkError(format!("unexpected dead letter: {}", dead.reason))),
            None => Ok(()),
        }
    }
}

/// Points each series' model has seen, fewest first; empty until partition 0 has a processor.
fn history(stage: &Partitioned<ForecastProcessor>) -> Vec<u64> {
    let mut points: Vec<u64> = stage
        .get(0)
        .map(|processor| processor.forecasts().into_iter().map(|(_, _, _, _, readiness)| readiness.points).collect())
        .unwrap_or_default();
    points.sort_unstable();
    points
}

/// Runs the forecaster of `config` over its topic with checkpoints in `store` until both series' models have seen
/// `points` points, then stops (storing a last checkpoint); returns the history of the first flush that had any.
async fn run_until(config: &RuntimeConfig, store: Arc<dyn CheckpointStore>, points: u64, health: Health) -> Vec<u64> {
    let SourceConfig::Kafka(input) = &config.source else { panic!("a Kafka source") };
    let ModelConfig::Forecast(model) = &config.model else { panic!("a forecaster") };
    let source = KafkaSource::new(input, MetricDecoder::new(&input.topic), "load-test", Some(store.clone()))
        .unwrap_or_else(|e| panic!("{e}"))
        .with_setting("session.timeout.ms", "6000")
        .with_setting("heartbeat.interval.ms", "500")
        .with_health(health, Arc::new(augur_runtime::time::SystemClock));
    let mut stage = Partitioned::new(ForecastKind::new(model, 100).factory());
    let shutdown = Shutdown::new();
    let settings =
        RunSettings { checkpoints: Some(Checkpointing { store, interval_ms: 500 }), ..RunSettings::default() };
    let first = Arc::new(Mutex::new(Vec::new()));
    let seen = first.clone();
    let stop = shutdown.clone();
    let (mut results, mut dead_letters) = (Discard, Discard);
    let run = pipeline::run_observed(
        source,
        &mut stage,
        &mut results,
        &mut dead_letters,
        shutdown,
        settings,
        move |after: AfterFlush<'_, Partitioned<ForecastProcessor>>| {
            let history = history(after.stage);
            let mut first = seen.lock().unwrap_or_else(|e| e.into_inner());
            if first.is_empty() {
                first.clone_from(&history);
            }
            if history.len() == 2 && history[0] >= points {
                stop.fire();
            }
        },
    );
    tokio::time::timeout(WAIT, run)
        .await
        .unwrap_or_else(|_| panic!("the models did not reach {points} points within {WAIT:?}"))
        .unwrap_or_else(|e| panic!("{e}"));
    first.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(augur_tansu), ignore = "needs AUGUR_TANSU_BIN (bash .ci/run builds tansu)")]
async fn learned_state_survives_the_broker_killed_during_a_checkpoint_load() {
    let home = Arc::new(BrokerHome::new(&server("AUGUR_TANSU_BIN")));
    let bootstrap = home.bootstrap();
    let broker = Arc::new(Mutex::new(Some(home.start())));
    let (input, checkpoints) = (unique("augur-load"), unique("augur-checkpoints"));
    create_topic(&bootstrap, &input, 1).await;
    let config = runtime_config(&format!(
        "apiVersion: runtime.augur.dev/v1\nkind: RuntimeConfig\nresource: {{kind: Forecaster, namespace: test, name: load}}\n\
         source:\n  kafka:\n{}    topic: {input}\n    consumerGroup: {}\n    startFrom: Earliest\n    format: MetricEvents\n\
         model:\n  forecast: {{algorithm: Auto, seasonality: None, horizon: 10m, step: 1m, quantiles: [0.1, 0.5, 0.9]}}\n\
         output:\n  metrics: false\n  status: false\n\
         state:\n  checkpointInterval: 1s\n  store:\n    kafka:\n{}      topic: {checkpoints}\nlimits: {{maxSeries: 100}}\n",
        connection(&bootstrap, 4),
        unique("augur-group"),
        connection(&bootstrap, 6),
    ));
    let StateStore::Kafka { connection, topic } = &config.state.store else { panic!("a Kafka store") };
    let store = || async {
        KafkaStore::connect(connection, topic, "Forecaster/test/load", "forecast", "load-test")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let producer = producer(&bootstrap);
    produce(&producer, &input, &two_series_events(0..120)).await;
    run_until(&config, Arc::new(store().await), 119, Health::new()).await;

    produce(&producer, &input, &two_series_events(120..130)).await;
    let killing = Arc::new(KilledDuringLoad {
        inner: store().await,
        home: home.clone(),
        broker: broker.clone(),
        loads: AtomicUsize::new(0),
        failed: Mutex::new(Vec::new()),
    });
    let health = Health::new();
    let resumed = run_until(&config, killing.clone(), 129, health.clone()).await;

    let failed = killing.failed.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(failed.len(), 1, "the read during which the broker died failed: {failed:?}");
    assert!(killing.loads.load(Ordering::SeqCst) >= 2, "and was retried");
    assert!(
        resumed.len() == 2 && resumed[0] >= 119,
        "the models continued from the checkpoint, not from nothing: {resumed:?} points at the first flush"
    );
    assert!(health.is_ready(), "nothing is left waiting: {:?}", health.problems(8));
    assert!(
        health.problems(8).iter().all(|p| p.reason != "StateReset"),
        "no partition started fresh: {:?}",
        health.problems(8)
    );
    drop(broker.lock().unwrap_or_else(|e| e.into_inner()).take());
}
