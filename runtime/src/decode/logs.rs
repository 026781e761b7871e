//! Log records: a raw line, or the message at a dot path of a JSON record (`kubernetes.message`).

use augur_crds::runtime_config::RecordFormat;

use super::Decode;
use crate::record::{DeadLetter, Decoded, LogLine, Position};

/// Log records: a raw line, or the message at a dot path of a JSON record.
pub struct LogDecoder {
    message_path: Option<Vec<String>>,
}

impl LogDecoder {
    /// A decoder for `format` (`LogLines` or `JsonLogs`); `None` for metric formats.
    pub fn new(format: &RecordFormat) -> Option<Self> {
        match format {
            RecordFormat::LogLines => Some(Self { message_path: None }),
            RecordFormat::JsonLogs { message_field, .. } => {
                Some(Self { message_path: Some(message_field.split('.').map(str::to_owned).collect()) })
            }
            RecordFormat::MetricEvents => None,
        }
    }
}

impl Decode for LogDecoder {
    type Item = LogLine;

    fn decode(&self, payload: &[u8], position: Position) -> Decoded<LogLine> {
        let number = position.offset;
        let Some(path) = &self.message_path else {
            let text = String::from_utf8_lossy(payload).trim_end_matches(['\n', '\r']).to_owned();
            return Ok(LogLine { number, text });
        };
        let record: serde_json::Value = serde_json::from_slice(payload)
            .map_err(|e| DeadLetter::new(position.clone(), payload, format!("not a JSON log record: {e}")))?;
        let message = path.iter().try_fold(&record, |value, key| value.get(key)).ok_or_else(|| {
            DeadLetter::new(position.clone(), payload, format!("the record has no field {:?}", path.join(".")))
        })?;
        let text = match message {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        Ok(LogLine { number, text })
    }
}

#[cfg(test)]
mod tests {
    use augur_crds::runtime_config::RecordFormat;

    use super::*;

    fn json_logs(path: &str) -> LogDecoder {
        LogDecoder::new(&RecordFormat::JsonLogs { message_field: path.into(), origin_field: None })
            .unwrap_or_else(|| panic!("a log format"))
    }

    #[test]
    fn log_records_decode_by_format_and_failures_say_why() {
        let at = Position { partition: 3, offset: 42 };
        assert!(LogDecoder::new(&RecordFormat::MetricEvents).is_none());
        let raw = LogDecoder::new(&RecordFormat::LogLines).unwrap_or_else(|| panic!("a log format"));
        let line = raw.decode(b"INFO started\r\n", at.clone()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((line.number, line.text.as_str()), (42, "INFO started"));

        let nested = json_logs("log.message");
        let line = nested.decode(br#"{"log":{"message":"disk full"}}"#, at.clone()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(line.text, "disk full");
        let number = nested.decode(br#"{"log":{"message":7}}"#, at.clone()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(number.text, "7");
        let missing = nested.decode(br#"{"log":{}}"#, at.clone()).err().unwrap_or_else(|| panic!("decoded"));
        assert!(missing.reason.contains("log.message") && missing.position == at, "{missing:?}");
        let garbage = nested.decode(b"not json", at).err().unwrap_or_else(|| panic!("decoded"));
        assert!(garbage.reason.starts_with("not a JSON log record"), "{garbage:?}");
    }

    /// An input the `json_log_record` fuzz target (fuzz/) crashed on: invalid UTF-8 in a record that is not JSON is
    /// a dead letter with a bounded payload.
    #[test]
    fn fuzz_regressions_are_dead_letters() {
        let crash: &[u8] = include_bytes!("fuzz_regressions/json_log_record-147ccf64");
        let letter = json_logs("kubernetes.message")
            .decode(crash, Position::default())
            .err()
            .unwrap_or_else(|| panic!("the crash input is not a JSON log record"));
        assert!(letter.payload.len() <= DeadLetter::MAX_PAYLOAD, "{}", letter.payload.len());
    }
}
