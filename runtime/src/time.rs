//! Time: event timestamps (milliseconds since the Unix epoch) and the injected [`Clock`] for wall-clock time.
//!
//! Event time comes from the data and drives the models; wall-clock time comes from a [`Clock`] and drives rates,
//! checkpoint intervals and "last result" figures. Tests use [`ManualClock`], so nothing sleeps.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

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

/// Parses RFC 3339 / ISO 8601 (`2026-11-25T10:00:00Z`, `2026-11-25 10:00:00`, fractional seconds, `+02:00`
/// offsets; no offset means UTC) or a number of epoch seconds (milliseconds when above 1e11).
pub fn parse_timestamp(text: &str) -> Result<Millis, TimestampError> {
    let text = text.trim();
    let error = || TimestampError(text.to_owned());
    if let Ok(number) = text.parse::<f64>() {
        if !number.is_finite() {
            return Err(error());
        }
        let millis = if number.abs() >= 1e11 { number } else { number * 1000.0 };
        return Ok(millis.round() as Millis);
    }
    let bytes = text.as_bytes();
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(error());
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let (year, month, day) =
        (digits(0..4).ok_or_else(error)?, digits(5..7).ok_or_else(error)?, digits(8..10).ok_or_else(error)?);
    if !(1..=12).contains(&month) || !(1..=days_in_month(year, month)).contains(&day) {
        return Err(error());
    }
    let mut millis = days_from_civil(year, month, day) * 86_400_000;
    let rest = &text[10..];
    if rest.is_empty() {
        return Ok(millis);
    }
    let time = rest.strip_prefix(['T', 't', ' ']).ok_or_else(error)?;
    if time.len() < 8 || time.as_bytes()[2] != b':' || time.as_bytes()[5] != b':' {
        return Err(error());
    }
    let field = |range: std::ops::Range<usize>| time.get(range).and_then(|part| part.parse::<i64>().ok());
    let (hour, minute, second) =
        (field(0..2).ok_or_else(error)?, field(3..5).ok_or_else(error)?, field(6..8).ok_or_else(error)?);
    if hour > 23 || minute > 59 || second > 60 {
        return Err(error());
    }
    millis += ((hour * 60 + minute) * 60 + second) * 1000;
    let mut zone = time.get(8..).ok_or_else(error)?;
    if let Some(fraction) = zone.strip_prefix('.') {
        let digits_len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits_len == 0 {
            return Err(error());
        }
        let mut scale = 100;
        for digit in fraction.bytes().take(digits_len.min(3)) {
            millis += i64::from(digit - b'0') * scale;
            scale /= 10;
        }
        zone = &fraction[digits_len..];
    }
    match zone {
        "" | "Z" | "z" => Ok(millis),
        offset
            if offset.len() == 6
                && (offset.starts_with('+') || offset.starts_with('-'))
                && offset.get(3..4) == Some(":") =>
        {
            let part = |range: std::ops::Range<usize>| offset.get(range).and_then(|p| p.parse::<i64>().ok());
            let (hours, minutes) = (part(1..3).ok_or_else(error)?, part(4..6).ok_or_else(error)?);
            let shift = (hours * 60 + minutes) * 60_000;
            Ok(if offset.starts_with('+') { millis - shift } else { millis + shift })
        }
        _ => Err(error()),
    }
}

/// Formats as `YYYY-MM-DD HH:MM:SS` (UTC), the layout NAB and most CSV exports use.
pub fn format_timestamp(millis: Millis) -> String {
    let days = millis.div_euclid(86_400_000);
    let in_day = millis.rem_euclid(86_400_000) / 1000;
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", in_day / 3600, in_day / 60 % 60, in_day % 60)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
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
            "2015-07-10 14:24:00+0200",
            "2015-07-10 14:24:00.Z",
            "2€15-07-10",
            "2015-07-10 00:00:0€",
            "2015-07-10 00:00:00+0€:00",
        ] {
            assert!(parse_timestamp(text).is_err(), "{text:?}");
        }
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
