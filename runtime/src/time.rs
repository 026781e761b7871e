//! Time: event timestamps (milliseconds since the Unix epoch) and the injected [`Clock`] for wall-clock time.
//!
//! Event time comes from the data and drives the models; wall-clock time comes from a [`Clock`] and drives rates,
//! checkpoint intervals and "last result" figures. Tests use [`ManualClock`], so nothing sleeps.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use jiff::{Timestamp, civil::DateTime, tz::TimeZone};

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;

/// A source of wall-clock time.
pub trait Clock: Send + Sync {
    /// Now, in milliseconds since the Unix epoch.
    fn now(&self) -> Millis;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A clock that moves only when told to: for tests.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: Millis) -> Self {
        Self(Arc::new(AtomicI64::new(start)))
    }

    /// Moves the clock forward by `millis`.
    pub fn advance(&self, millis: Millis) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a timestamp: use RFC 3339 (2026-11-25T10:00:00Z), `YYYY-MM-DD HH:MM:SS` (UTC) or epoch seconds")]
pub struct TimestampError(pub String);

/// Longest timestamp text looked at: every accepted layout is far shorter, and untrusted input can be long.
const MAX_TIMESTAMP_LEN: usize = 64;

/// Parses RFC 3339 / ISO 8601 (`2026-11-25T10:00:00Z`, `2026-11-25 10:00:00`, a date alone, fractional seconds,
/// `+02:00` offsets; no offset means UTC) or a number of epoch seconds (milliseconds when above 1e11). Instants
/// outside jiff's range (years -9999 to 9999) are refused, so every accepted timestamp can be formatted again.
pub fn parse_timestamp(text: &str) -> Result<Millis, TimestampError> {
    let text = text.trim();
    let error = || TimestampError(text.chars().take(MAX_TIMESTAMP_LEN).collect());
    if text.len() > MAX_TIMESTAMP_LEN {
        return Err(error());
    }
    if let Ok(number) = text.parse::<f64>() {
        let millis = if number.abs() >= 1e11 { number } else { number * 1000.0 };
        // Non-finite and out-of-range numbers fail here: `as` saturates, and jiff refuses the extremes.
        let millis = millis.round() as Millis;
        return if number.is_finite() && Timestamp::from_millisecond(millis).is_ok() {
            Ok(millis)
        } else {
            Err(error())
        };
    }
    // With an offset (`Z`, `+02:00`) the text names an instant; without one it is a civil time, read as UTC.
    let instant = match text.parse::<Timestamp>() {
        Ok(instant) => instant,
        Err(_) => {
            let civil: DateTime = text.parse().map_err(|_| error())?;
            civil.to_zoned(TimeZone::UTC).map_err(|_| error())?.timestamp()
        }
    };
    Ok(instant.as_millisecond())
}

/// Formats as `YYYY-MM-DD HH:MM:SS` (UTC), the layout NAB and most CSV exports use. Instants outside jiff's range
/// (which [`parse_timestamp`] never returns) are written as epoch milliseconds.
pub fn format_timestamp(millis: Millis) -> String {
    match Timestamp::from_millisecond(millis) {
        Ok(instant) => instant.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => millis.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_common_layouts_to_the_same_instant() {
        let expected = 1_436_538_240_000; // 2015-07-10 14:24:00 UTC
        for text in
            ["2015-07-10 14:24:00", "2015-07-10T14:24:00Z", "2015-07-10T16:24:00+02:00", "1436538240", "1436538240000"]
        {
            assert_eq!(parse_timestamp(text), Ok(expected), "{text}");
        }
        assert_eq!(parse_timestamp("2015-07-10T14:24:00.250Z"), Ok(expected + 250));
        assert_eq!(parse_timestamp("1970-01-01"), Ok(0));
        assert_eq!(parse_timestamp("2024-02-29 00:00:00"), Ok(1_709_164_800_000));
    }

    #[test]
    fn refuses_nonsense_without_panicking() {
        for text in [
            "",
            "yesterday",
            "2015-13-01",
            "2015-02-30",
            "2015-07-10X14:24:00",
            "2015-07-10 25:00:00",
            "NaN",
            "inf",
            "2015-07-10 14:24:00.Z",
            "2€15-07-10",
            "2015-07-10 00:00:0€",
            "2015-07-10 00:00:00+0€:00",
            "1e300",
            "-9e15",
            "99999-01-01",
            "2015-07-10 14:24:00 and a very long tail that no timestamp layout has, repeated, repeated",
        ] {
            assert!(parse_timestamp(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn the_extremes_parse_and_format_again() {
        for text in ["0001-01-01 00:00:00", "9999-12-01 23:59:59"] {
            assert_eq!(parse_timestamp(text).map(format_timestamp).as_deref(), Ok(text), "{text}");
        }
        assert_eq!(format_timestamp(i64::MAX), i64::MAX.to_string(), "beyond jiff's range: the number");
    }

    #[test]
    fn formatting_inverts_parsing() {
        for text in ["1970-01-01 00:00:00", "2015-07-10 14:24:00", "2000-02-29 23:59:59", "1969-12-31 23:59:59"] {
            assert_eq!(parse_timestamp(text).map(format_timestamp), Ok(text.to_owned()));
        }
    }

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::new(1000);
        assert_eq!(clock.now(), 1000);
        clock.advance(500);
        assert_eq!(clock.now(), 1500);
    }
}
