//! Topics: the runtime creates the topics it writes (results, dead letters, checkpoints) when they are missing, as a
//! pod must on clusters that do not create topics on first use. Partitions and replication come from the config or,
//! when it does not say, from the broker's defaults. A topic the runtime may not create is reported with its name.

use std::time::Duration;

use rdkafka::{
    ClientConfig,
    admin::{AdminClient, AdminOptions, NewTopic, TopicReplication},
    client::DefaultClientContext,
    consumer::{BaseConsumer, Consumer},
    error::{KafkaError, RDKafkaErrorCode},
};

/// How long a metadata request or a topic creation may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A topic the runtime writes, and how to create it when it is missing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicSpec {
    /// The topic.
    pub name: String,
    /// Partitions; `None`: the broker's default.
    pub partitions: Option<i32>,
    /// Replication factor; `None`: the broker's default.
    pub replication_factor: Option<i32>,
    /// Topic configs, e.g. `cleanup.policy=compact`.
    pub configs: Vec<(String, String)>,
}

impl TopicSpec {
    /// A topic with the broker's defaults.
    pub fn named(name: &str) -> Self {
        Self { name: name.to_owned(), partitions: None, replication_factor: None, configs: Vec::new() }
    }
}

/// Why a topic is not there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// The runtime's credentials may not create (or see) it.
    #[error(
        "Kafka topic {topic} is missing and this runtime may not create it ({detail}); create it, or grant the runtime's Kafka user the right to"
    )]
    NotAllowed {
        /// The topic.
        topic: String,
        /// What the broker said.
        detail: String,
    },
    /// The broker could not be asked, or refused for another reason.
    #[error("cannot create Kafka topic {topic}: {detail}")]
    Failed {
        /// The topic.
        topic: String,
        /// What went wrong.
        detail: String,
    },
}

/// Whether `topic` exists (`Ok(false)`: the broker says it does not).
async fn exists(settings: &ClientConfig, topic: &str) -> Result<bool, TopicError> {
    let failed = |detail: String| TopicError::Failed { topic: topic.to_owned(), detail };
    let consumer: BaseConsumer = settings.create().map_err(|e| failed(format!("cannot create a Kafka client: {e}")))?;
    let name = topic.to_owned();
    let metadata = tokio::task::spawn_blocking(move || consumer.fetch_metadata(Some(&name), TIMEOUT))
        .await
        .map_err(|e| failed(e.to_string()))?
        .map_err(|e| failed(format!("cannot read the cluster's metadata: {e}")))?;
    let found = metadata.topics().iter().find(|t| t.name() == topic);
    Ok(found.is_some_and(|t| t.error().is_none() && !t.partitions().is_empty()))
}

/// Creates every topic of `topics` that does not exist yet. Returns the topics created.
pub async fn ensure_topics(settings: &ClientConfig, topics: &[TopicSpec]) -> Result<Vec<String>, TopicError> {
    let mut created = Vec::new();
    for topic in topics {
        if exists(settings, &topic.name).await? {
            continue;
        }
        let configs: Vec<(&str, &str)> = topic.configs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let partitions = topic.partitions.unwrap_or(-1);
        let replication = topic.replication_factor.unwrap_or(-1);
        match create(settings, &topic.name, partitions, replication, &configs).await {
            // Brokers before Kafka 2.4 (and some compatible ones) do not take "the default" (-1) for partitions.
            Err(TopicError::Failed { .. }) if topic.partitions.is_none() => {
                create(settings, &topic.name, 1, replication, &configs).await?;
            }
            outcome => outcome?,
        }
        tracing::info!(topic = %topic.name, "created a missing Kafka topic");
        created.push(topic.name.clone());
    }
    Ok(created)
}

/// Creates `topic` with `partitions` partitions (`-1`: the broker's default), the broker's default replication and
/// `configs`, unless it exists.
pub async fn create_topic(
    settings: &ClientConfig,
    topic: &str,
    partitions: i32,
    configs: &[(&str, &str)],
) -> Result<(), String> {
    create(settings, topic, partitions, -1, configs).await.map_err(|e| e.to_string())
}

async fn create(
    settings: &ClientConfig,
    topic: &str,
    partitions: i32,
    replication: i32,
    configs: &[(&str, &str)],
) -> Result<(), TopicError> {
    let failed = |detail: String| TopicError::Failed { topic: topic.to_owned(), detail };
    let admin: AdminClient<DefaultClientContext> =
        settings.create().map_err(|e| failed(format!("cannot create a Kafka admin client: {e}")))?;
    let mut new = NewTopic::new(topic, partitions, TopicReplication::Fixed(replication));
    for (key, value) in configs {
        new = new.set(key, value);
    }
    let options = AdminOptions::new().operation_timeout(Some(TIMEOUT)).request_timeout(Some(TIMEOUT));
    let results = admin.create_topics([&new], &options).await.map_err(|e| classify(topic, &e))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => return Err(classify(topic, &KafkaError::AdminOp(code))),
        }
    }
    Ok(())
}

fn classify(topic: &str, error: &KafkaError) -> TopicError {
    let detail = error.to_string();
    match error.rdkafka_error_code() {
        Some(
            RDKafkaErrorCode::TopicAuthorizationFailed
            | RDKafkaErrorCode::ClusterAuthorizationFailed
            | RDKafkaErrorCode::PolicyViolation,
        ) => TopicError::NotAllowed { topic: topic.to_owned(), detail },
        _ => TopicError::Failed { topic: topic.to_owned(), detail },
    }
}
