//! Decoding of metric records: CSV rows under a header, and JSON metric events (also what Kafka carries).

use std::{borrow::Cow, collections::BTreeMap, sync::Arc};

use serde::Deserialize;

use super::Decode;
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

/// Which CSV columns hold the timestamp, the value and (optionally) the series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvLayout {
    timestamp: usize,
    value: usize,
    series: Option<usize>,
    columns: usize,
}

const TIMESTAMP_NAMES: [&str; 5] = ["timestamp", "time", "ts", "ds", "date"];
const VALUE_NAMES: [&str; 3] = ["value", "y", "v"];
const SERIES_NAMES: [&str; 5] = ["series", "unique_id", "metric", "name", "id"];

impl CsvLayout {
    /// Reads the header row. Column names are matched case-insensitively: a timestamp column (`timestamp`, `time`,
    /// `ts`, `ds`, `date`), a value column (`value`, `y`, `v`) and optionally a series column (`series`,
    /// `unique_id`, `metric`, `name`, `id`).
    pub fn from_header(header: &str) -> Result<Self, String> {
        let names: Vec<String> = header.split(',').map(|c| c.trim().trim_matches('"').to_ascii_lowercase()).collect();
        let find = |candidates: &[&str]| names.iter().position(|name| candidates.contains(&name.as_str()));
        match (find(&TIMESTAMP_NAMES), find(&VALUE_NAMES)) {
            (Some(timestamp), Some(value)) => {
                Ok(Self { timestamp, value, series: find(&SERIES_NAMES), columns: names.len() })
            }
            _ => Err(format!(
                "the CSV header {header:?} needs a timestamp column ({}) and a value column ({})",
                TIMESTAMP_NAMES.join(", "),
                VALUE_NAMES.join(", ")
            )),
        }
    }

    /// Decodes one data row.
    pub fn decode(&self, line: &str, default_series: &SeriesId, position: Position) -> Result<MetricPoint, DeadLetter> {
        let fail = |reason: String| DeadLetter::new(position.clone(), line.as_bytes(), reason);
        let fields: Vec<&str> = line.split(',').map(|f| f.trim().trim_matches('"')).collect();
        if fields.len() != self.columns {
            return Err(fail(format!("expected {} columns, found {}", self.columns, fields.len())));
        }
        let timestamp = parse_timestamp(fields[self.timestamp]).map_err(|e| fail(e.to_string()))?;
        let value =
            parse_value(fields[self.value]).ok_or_else(|| fail(format!("{:?} is not a number", fields[self.value])))?;
        let series = match self.series {
            Some(index) if !fields[index].is_empty() => Arc::from(fields[index]),
            _ => default_series.clone(),
        };
        Ok(MetricPoint { series, timestamp, value })
    }
}

/// A finite number, or `None`.
fn parse_value(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
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
