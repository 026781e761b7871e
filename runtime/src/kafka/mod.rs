//! Kafka connections through librdkafka, shared by the Kafka source
//! ([`sources::kafka`](crate::sources::kafka)), the result and dead-letter sinks
//! ([`sinks::kafka`](crate::sinks::kafka)) and the compacted-topic checkpoint store
//! ([`checkpoint`](crate::checkpoint)): client settings from a RuntimeConfig connection (brokers, and TLS and SASL
//! from files the operator mounts from Secrets), and topic creation.

mod admin;

pub use admin::{TopicError, TopicSpec, create_topic, ensure_topics};
use augur_crds::{
    common::SaslMechanism,
    runtime_config::{BootstrapServers, KafkaConnection, SecretFile},
};
use rdkafka::ClientConfig;

/// Why a Kafka client could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KafkaSetupError(pub String);

/// librdkafka settings for `connection`, identifying the client as `client_id`.
pub fn client_config(connection: &KafkaConnection, client_id: &str) -> Result<ClientConfig, KafkaSetupError> {
    let mut config = ClientConfig::new();
    let servers = match &connection.bootstrap_servers {
        BootstrapServers::List(list) => list.join(","),
        BootstrapServers::SecretFile(file) => read_secret(file)?.split_whitespace().collect::<Vec<_>>().join(","),
    };
    if servers.is_empty() {
        return Err(KafkaSetupError("no Kafka bootstrap servers are configured".into()));
    }
    config.set("bootstrap.servers", servers).set("client.id", client_id);
    let tls = connection.tls.is_some();
    let protocol = match (tls, connection.sasl.is_some()) {
        (false, false) => "plaintext",
        (true, false) => "ssl",
        (false, true) => "sasl_plaintext",
        (true, true) => "sasl_ssl",
    };
    config.set("security.protocol", protocol);
    if let Some(tls) = &connection.tls {
        for (key, file) in [
            ("ssl.ca.location", &tls.ca),
            ("ssl.certificate.location", &tls.client_certificate),
            ("ssl.key.location", &tls.client_key),
        ] {
            if let Some(file) = file {
                config.set(key, file.path().display().to_string());
            }
        }
    }
    if let Some(sasl) = &connection.sasl {
        let mechanism = match sasl.mechanism {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        };
        config
            .set("sasl.mechanism", mechanism)
            .set("sasl.username", read_secret(&sasl.username)?)
            .set("sasl.password", read_secret(&sasl.password)?);
    }
    Ok(config)
}

/// A Secret key's value from its mounted file, without a trailing newline.
fn read_secret(file: &SecretFile) -> Result<String, KafkaSetupError> {
    let path = file.path();
    std::fs::read_to_string(&path).map(|text| text.trim_end_matches(['\n', '\r']).to_owned()).map_err(|error| {
        KafkaSetupError(format!(
            "cannot read key {:?} of Secret {:?} at {}: {error} (is the Secret present?)",
            file.key,
            file.secret,
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use augur_crds::runtime_config::{SaslConfig, TlsConfig};

    use super::*;

    fn setting(config: &ClientConfig, key: &str) -> Option<String> {
        config.get(key).map(str::to_owned)
    }

    #[test]
    fn plaintext_and_tls_settings() {
        let mut connection = KafkaConnection {
            bootstrap_servers: BootstrapServers::List(vec!["a:9092".into(), "b:9092".into()]),
            tls: None,
            sasl: None,
        };
        let config = client_config(&connection, "test").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(setting(&config, "bootstrap.servers").as_deref(), Some("a:9092,b:9092"));
        assert_eq!(setting(&config, "security.protocol").as_deref(), Some("plaintext"));

        let ca = SecretFile { secret: "kafka-tls".into(), key: "ca.crt".into() };
        connection.tls = Some(TlsConfig { ca: Some(ca), ..TlsConfig::default() });
        let config = client_config(&connection, "test").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(setting(&config, "security.protocol").as_deref(), Some("ssl"));
        assert_eq!(setting(&config, "ssl.ca.location").as_deref(), Some("/var/run/secrets/augur/kafka-tls/ca.crt"));
    }

    #[test]
    fn a_missing_secret_file_names_the_secret() {
        let connection = KafkaConnection {
            bootstrap_servers: BootstrapServers::List(vec!["a:9092".into()]),
            tls: None,
            sasl: Some(SaslConfig {
                mechanism: SaslMechanism::ScramSha512,
                username: SecretFile { secret: "kafka-user".into(), key: "username".into() },
                password: SecretFile { secret: "kafka-user".into(), key: "password".into() },
            }),
        };
        let error = client_config(&connection, "test").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("Secret \"kafka-user\""), "{error}");
    }
}
