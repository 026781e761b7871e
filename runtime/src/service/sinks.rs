//! The service's Kafka sinks: the result topic and the dead-letter topic, each with its own producer, reporting
//! stalls to the process' health.

use augur_crds::runtime_config::{KafkaOutputConfig, RuntimeConfig};
use rdkafka::producer::FutureProducer;

use crate::{kafka::client_config, pipeline::Shutdown, record::DeadLetter, sinks::kafka::KafkaSink, status::Health};

/// How long librdkafka keeps trying one delivery before it reports a failure (the sink then sends it again): short
/// enough that a topic that cannot take records shows as a failure within a minute, not after librdkafka's five.
const MESSAGE_TIMEOUT_MS: &str = "30000";

/// The result sink and the dead-letter sink of a service.
pub struct KafkaSinks<T> {
    /// Results, when `output.kafka` is configured.
    pub results: Option<KafkaSink<T>>,
    /// Dead letters, when `output.deadLetter` is configured.
    pub dead_letters: Option<KafkaSink<DeadLetter>>,
}

/// The result sink and the dead-letter sink, when configured.
pub fn kafka<T>(
    config: &RuntimeConfig,
    client_id: &str,
    health: &Health,
    shutdown: &Shutdown,
) -> anyhow::Result<KafkaSinks<T>> {
    let resource = format!("{}/{}", config.resource.namespace, config.resource.name);
    let sink = |output: Option<&KafkaOutputConfig>| -> anyhow::Result<Option<_>> {
        let Some(output) = output else { return Ok(None) };
        let mut settings = client_config(&output.connection, client_id)?;
        settings.set("linger.ms", "5").set("acks", "all").set("message.timeout.ms", MESSAGE_TIMEOUT_MS);
        let producer: FutureProducer = settings
            .create()
            .map_err(|e| anyhow::anyhow!("cannot create the Kafka producer for {}: {e}", output.topic))?;
        Ok(Some((producer, output.topic.clone())))
    };
    let results = sink(config.output.kafka.as_ref())?.map(|(producer, topic)| {
        KafkaSink::new(producer, &topic, &resource).with_health(health.clone(), shutdown.clone())
    });
    let dead_letters = sink(config.output.dead_letter.as_ref())?.map(|(producer, topic)| {
        KafkaSink::new(producer, &topic, &resource).with_health(health.clone(), shutdown.clone())
    });
    Ok(KafkaSinks { results, dead_letters })
}
