//! `Duration`: the one duration syntax every Augur field uses, e.g. `30s`, `5m`, `1h30m`, `250ms`.
//!
//! The syntax is a strict subset of Go's `time.ParseDuration` (no sign, no `ns`/`us`), so every string the schema
//! accepts also parses with CEL's `duration()` on the API server, and the runtime parses exactly the same set here.

use std::{borrow::Cow, fmt, str::FromStr, time::Duration as StdDuration};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The CEL/RE2 pattern a duration string must match; kept next to the parser that accepts the same language.
pub const DURATION_PATTERN: &str = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$";

/// Longest duration string the schema accepts; bounds CEL cost and parser work.
pub const DURATION_MAX_LENGTH: usize = 32;

/// A duration written as a string such as `30s`, `5m`, `1h30m` or `1.5h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(StdDuration);

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The string does not follow the `<number><unit>...` syntax.
    #[error("{0:?} is not a duration: write a number and a unit (ms, s, m or h), e.g. 30s, 5m or 1h30m")]
    Syntax(String),
    /// The value is too large to represent.
    #[error("{0:?} is too long a duration")]
    Overflow(String),
}

impl Duration {
    /// A duration of whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self(StdDuration::from_secs(secs))
    }

    /// A duration of whole milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Self(StdDuration::from_millis(millis))
    }

    /// The standard library value.
    pub const fn as_std(self) -> StdDuration {
        self.0
    }

    /// Length in (fractional) seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }
}

impl From<StdDuration> for Duration {
    fn from(value: StdDuration) -> Self {
        Self(value)
    }
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || DurationError::Syntax(text.to_owned());
        if text.is_empty() || text.len() > DURATION_MAX_LENGTH {
            return Err(syntax());
        }
        let mut total_nanos: u128 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(syntax)?;
            let (number, after) = rest.split_at(number_len);
            let (unit_nanos, unit_len) = if after.starts_with("ms") {
                (1_000_000u128, 2)
            } else if after.starts_with('s') {
                (1_000_000_000, 1)
            } else if after.starts_with('m') {
                (60_000_000_000, 1)
            } else if after.starts_with('h') {
                (3_600_000_000_000, 1)
            } else {
                return Err(syntax());
            };
            total_nanos = total_nanos
                .checked_add(scaled_nanos(number, unit_nanos).ok_or_else(syntax)?)
                .ok_or_else(|| DurationError::Overflow(text.to_owned()))?;
            rest = &after[unit_len..];
        }
        let secs = u64::try_from(total_nanos / 1_000_000_000).map_err(|_| DurationError::Overflow(text.to_owned()))?;
        // The remainder is below 1e9 and always fits.
        let nanos = (total_nanos % 1_000_000_000) as u32;
        Ok(Self(StdDuration::new(secs, nanos)))
    }
}

/// `number` (digits with an optional fraction) times `unit_nanos`, or `None` when it is not such a number.
fn scaled_nanos(number: &str, unit_nanos: u128) -> Option<u128> {
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (number, ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits_only(whole)
        || !digits_only(fraction)
        || (number.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let mut nanos = whole.parse::<u128>().ok()?.checked_mul(unit_nanos)?;
    let mut scale = unit_nanos;
    for digit in fraction.bytes() {
        scale /= 10;
        nanos = nanos.checked_add(u128::from(digit - b'0') * scale)?;
    }
    Some(nanos)
}

impl fmt::Display for Duration {
    /// Writes the shortest canonical form: `1h30m`, `45s`, `250ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total_ms = self.0.as_millis();
        if total_ms == 0 {
            return f.write_str("0s");
        }
        let (hours, minutes) = (total_ms / 3_600_000, total_ms / 60_000 % 60);
        let (seconds, millis) = (total_ms / 1000 % 60, total_ms % 1000);
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        match (seconds, millis) {
            (0, 0) => Ok(()),
            (s, 0) => write!(f, "{s}s"),
            (0, ms) => write!(f, "{ms}ms"),
            (s, ms) => write!(f, "{s}.{ms:03}s"),
        }
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "maxLength": DURATION_MAX_LENGTH,
            "x-kubernetes-validations": [{
                "rule": super::rules::matches("self", DURATION_PATTERN),
                "message": "must be a duration: a number and a unit (ms, s, m or h), e.g. 30s, 5m or 1h30m",
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<StdDuration, DurationError> {
        text.parse::<Duration>().map(Duration::as_std)
    }

    #[test]
    fn parses_every_unit_and_combinations() {
        assert_eq!(parse("250ms"), Ok(StdDuration::from_millis(250)));
        assert_eq!(parse("30s"), Ok(StdDuration::from_secs(30)));
        assert_eq!(parse("5m"), Ok(StdDuration::from_secs(300)));
        assert_eq!(parse("2h"), Ok(StdDuration::from_secs(7200)));
        assert_eq!(parse("1h30m"), Ok(StdDuration::from_secs(5400)));
        assert_eq!(parse("1.5h"), Ok(StdDuration::from_secs(5400)));
        assert_eq!(parse("0.25s"), Ok(StdDuration::from_millis(250)));
        assert_eq!(parse("0s"), Ok(StdDuration::ZERO));
    }

    #[test]
    fn rejects_what_the_schema_pattern_rejects() {
        for bad in ["", "5", "m", "5 m", "-5m", "5d", "1.h", ".5h", "5mm", "1h 30m", "5M", "3ns", "1e3s"] {
            assert!(matches!(parse(bad), Err(DurationError::Syntax(_))), "{bad:?} should be refused");
        }
    }

    #[test]
    fn refuses_overflow_without_panicking() {
        assert!(parse("99999999999999999999h").is_err());
        assert!(parse(&"9".repeat(40)).is_err());
    }

    #[test]
    fn display_round_trips() {
        for text in ["0s", "250ms", "30s", "5m", "1h30m", "2h", "1m0.500s"] {
            let parsed: Duration = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            let printed = parsed.to_string();
            assert_eq!(printed.parse::<Duration>(), Ok(parsed), "{text} printed as {printed}");
        }
        assert_eq!(Duration::from_secs(5400).to_string(), "1h30m");
        assert_eq!(Duration::from_millis(1500).to_string(), "1.500s");
    }

    #[test]
    fn serde_uses_the_string_form() {
        let value: Duration = serde_json::from_str("\"1h30m\"").unwrap_or_default();
        assert_eq!(value, Duration::from_secs(5400));
        assert_eq!(serde_json::to_string(&value).ok().as_deref(), Some("\"1h30m\""));
        let error = serde_json::from_str::<Duration>("\"90 minutes\"").err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("e.g. 30s")));
    }
}
