//! Decoding of JSON metric events (what Kafka carries, and JSON-lines files). CSV rows are in [`super::csv`].

use std::{borrow::Cow, collections::BTreeMap, sync::Arc};

use serde::Deserialize;

use super::{Decode, csv::parse_value};
use crate::{
    record::{DeadLetter, Decoded, MetricPoint, Position, SeriesId},
    time::parse_timestamp,
};

/// JSON metric events; events naming no series belong to the default series (the topic's name).
pub struct MetricDecoder {
    default_series: SeriesId,
}

impl MetricDecoder {
    /// Events without a series name are `default_series`.
    pub fn new(default_series: &str) -> Self {
        Self { default_series: SeriesId::from(default_series) }
    }
}

impl Decode for MetricDecoder {
    type Item = MetricPoint;

    fn decode(&self, payload: &[u8], position: Position) -> Decoded<MetricPoint> {
        decode_json_metric(payload, &self.default_series, position)
    }
}

/// A JSON metric event: `{"series": "checkout/rps", "labels": {...}, "timestamp": "...", "value": 1.5}`.
#[derive(Deserialize)]
struct MetricEvent<'a> {
    #[serde(borrow, default)]
    series: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    labels: Option<BTreeMap<Cow<'a, str>, Cow<'a, str>>>,
    timestamp: TimestampField<'a>,
    value: ValueField<'a>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TimestampField<'a> {
    Number(f64),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ValueField<'a> {
    Number(f64),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

/// Decodes one JSON metric event. The series id is `series`, `series{labels}` or `{labels}`; without either the
/// event belongs to `default_series`.
pub fn decode_json_metric(
    bytes: &[u8],
    default_series: &SeriesId,
    position: Position,
) -> Result<MetricPoint, DeadLetter> {
    let fail = |reason: String| DeadLetter::new(position.clone(), bytes, reason);
    let event: MetricEvent<'_> = serde_json::from_slice(bytes).map_err(|e| fail(format!("not a metric event: {e}")))?;
    let timestamp = match event.timestamp {
        TimestampField::Number(number) => parse_timestamp(&number.to_string()),
        TimestampField::Text(text) => parse_timestamp(&text),
    }
    .map_err(|e| fail(e.to_string()))?;
    let value = match event.value {
        ValueField::Number(number) => Some(number).filter(|v| v.is_finite()),
        ValueField::Text(text) => parse_value(&text),
    }
    .ok_or_else(|| fail("value is not a finite number".to_owned()))?;
    let labels = event.labels.filter(|labels| !labels.is_empty()).map(|labels| {
        let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        format!("{{{}}}", pairs.join(","))
    });
    let series: SeriesId = match (event.series, labels) {
        (Some(name), Some(labels)) => Arc::from(format!("{name}{labels}")),
        (Some(name), None) => Arc::from(name.as_ref()),
        (None, Some(labels)) => Arc::from(labels),
        (None, None) => default_series.clone(),
    };
    Ok(MetricPoint { series, timestamp, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs the `metric_event` fuzz target (fuzz/) crashed on, decoded as the pipeline does: each is a dead letter.
    #[test]
    fn fuzz_regressions_are_dead_letters() {
        let crash: &[u8] = include_bytes!("fuzz_regressions/metric_event-d0d62c46");
        let outcome = decode_json_metric(crash, &SeriesId::from("topic"), Position::default());
        let letter = outcome.err().unwrap_or_else(|| panic!("the crash input is not a metric event"));
        assert!(letter.payload.len() <= DeadLetter::MAX_PAYLOAD, "{}", letter.payload.len());
        assert!(letter.reason.starts_with("not a metric event"), "{}", letter.reason);
    }
}
