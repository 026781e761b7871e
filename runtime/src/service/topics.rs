//! The topics a runtime writes are created at start-up when they are missing: results and dead letters with the
//! partitions and replication the resource asks for (or the broker's defaults), checkpoints compacted. A topic that
//! cannot be created is a problem of this pod, shown in `/readyz` (results cannot flow) and in the resource's status
//! with the topic's name; the pipeline still starts, and its sinks report the stall until someone creates it.

use std::collections::BTreeMap;

use augur_crds::{
    common::reason,
    runtime_config::{KafkaConnection, KafkaOutputConfig, RuntimeConfig, StateStore},
};

use crate::{
    kafka::{TopicError, TopicSpec, client_config, ensure_topics},
    status::Health,
};

/// The topics `config` writes, grouped by the connection they are written through.
fn wanted(config: &RuntimeConfig) -> Vec<(&KafkaConnection, TopicSpec)> {
    let output = |output: &KafkaOutputConfig| TopicSpec {
        partitions: output.partitions,
        replication_factor: output.replication_factor,
        ..TopicSpec::named(&output.topic)
    };
    let mut topics = Vec::new();
    for written in [&config.output.kafka, &config.output.dead_letter].into_iter().flatten() {
        topics.push((&written.connection, output(written)));
    }
    if let StateStore::Kafka { connection, topic } = &config.state.store {
        let mut spec = TopicSpec::named(topic);
        spec.partitions = Some(1);
        spec.configs.push(("cleanup.policy".into(), "compact".into()));
        topics.push((connection, spec));
    }
    topics
}

/// Creates the missing topics of `config`, reporting those that cannot be.
pub async fn ensure(config: &RuntimeConfig, client_id: &str, health: &Health) {
    let mut by_connection: BTreeMap<String, (&KafkaConnection, Vec<TopicSpec>)> = BTreeMap::new();
    for (connection, spec) in wanted(config) {
        let key = format!("{connection:?}");
        by_connection.entry(key).or_insert_with(|| (connection, Vec::new())).1.push(spec);
    }
    for (connection, specs) in by_connection.into_values() {
        let settings = match client_config(connection, client_id) {
            Ok(settings) => settings,
            Err(error) => {
                health.report("topics", reason::TOPIC_UNAVAILABLE, error.to_string(), true);
                continue;
            }
        };
        for spec in specs {
            let subject = format!("topic/{}", spec.name);
            match ensure_topics(&settings, std::slice::from_ref(&spec)).await {
                Ok(_) => health.clear(&subject),
                Err(error @ TopicError::NotAllowed { .. }) => {
                    health.report(&subject, reason::TOPIC_UNAVAILABLE, error.to_string(), true)
                }
                Err(error) => health.report(&subject, reason::TOPIC_UNAVAILABLE, error.to_string(), false),
            }
        }
    }
}
