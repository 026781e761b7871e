//! Masking by character class: whether a token is a variable (number, hex, IP, UUID, path, URL, timestamp part,
//! size, duration) decided in one scan of its characters, with no regular expression in the hot path.

/// Characters allowed in a numeric-ish token: numbers, hex, IPv4/IPv6, MAC, UUID, dates, times, versions.
fn is_numish(c: char) -> bool {
    c.is_ascii_hexdigit() || matches!(c, 'x' | 'X' | '.' | ':' | '-' | '_' | '/' | '+' | ',' | '#')
}

/// Units a number may carry: durations, sizes, percentages.
const UNITS: [&str; 22] = [
    "ms", "us", "ns", "s", "sec", "secs", "m", "min", "h", "d", "b", "kb", "mb", "gb", "tb", "k", "g", "%", "bytes",
    "kib", "mib", "gib",
];

/// Month and day names and the like: parts of timestamps.
const CALENDAR: [&str; 42] = [
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "am",
    "pm",
    "utc",
    "gmt",
];

/// Punctuation trimmed from a whole token before classifying it.
const TRIM: &[char] = &['[', ']', '(', ')', '{', '}', '<', '>', '"', '\'', '`', ',', ';', '.', '!', '?'];

/// Whether a whitespace-delimited token is a variable as a whole: a URL, an absolute path, a numeric-ish token, a
/// number with a unit, or a (capitalised) calendar word.
pub fn is_variable_word(token: &str) -> bool {
    let core = token.trim_matches(TRIM);
    let Some(first) = core.chars().next() else { return false };
    if core.as_bytes().windows(3).any(|w| w == b"://") {
        return true;
    }
    let has_digit = core.bytes().any(|b| b.is_ascii_digit());
    if first == '/' && core.len() > 1 && (core[1..].contains('/') || has_digit) {
        return true;
    }
    if !has_digit {
        return core.chars().count() <= 9
            && first.is_uppercase()
            && CALENDAR.iter().any(|w| core.eq_ignore_ascii_case(w));
    }
    if core.chars().all(is_numish) {
        return true;
    }
    // A number followed by a unit.
    let bytes = core.as_bytes();
    let start = usize::from(matches!(bytes[0], b'+' | b'-'));
    let digits_end = start + bytes[start..].iter().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
    digits_end > start && core.is_char_boundary(digits_end) && {
        let unit = &core[digits_end..];
        UNITS.iter().any(|u| unit.eq_ignore_ascii_case(u))
    }
}

/// Whether a piece of a token (after splitting on delimiters) is a variable: it starts with a digit (or a sign and a
/// digit), holds two digits in a row, or holds a digit and one of `. - _ / @` (`host8.example.com`). A single digit
/// inside a word stays constant (`eth0`, `IPV6`).
pub fn is_variable_piece(piece: &str) -> bool {
    let bytes = piece.as_bytes();
    let (mut previous_digit, mut seen_digit, mut seen_punct) = (false, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'-' | b'_' | b'/' | b'@') {
            seen_punct = true;
        }
        if b.is_ascii_digit() {
            if previous_digit || i == 0 || (i == 1 && matches!(bytes[0], b'+' | b'-')) {
                return true;
            }
            previous_digit = true;
            seen_digit = true;
        } else {
            previous_digit = false;
        }
    }
    seen_digit && seen_punct
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_that_are_variables() {
        for word in [
            "10.0.0.1",
            "10.0.0.1:8080",
            "fe80::1",
            "00:1A:2B:3C:4D:5E",
            "0x7fff",
            "3f2c9a1e-4b5d-4e6f-8a7b-9c0d1e2f3a4b",
            "/var/log/syslog",
            "/tmp3",
            "https://example.com/a?b=1",
            "2005-06-03-15.42.50.675872",
            "12:03:04",
            "42",
            "-17",
            "3.5MB",
            "250ms",
            "80%",
            "(1234)",
            "Jul",
            "Saturday,",
            "UTC",
        ] {
            assert!(is_variable_word(word), "{word} should be masked");
        }
    }

    #[test]
    fn whole_words_that_are_constants() {
        for word in ["error", "ERROR", "may", "Connection", "/", "eth0", "ms", "", "()", "Mayday", "sshd[123]:"] {
            assert!(!is_variable_word(word), "{word} should stay");
        }
    }

    #[test]
    fn pieces() {
        for piece in ["8080", "+1", "-5", "a12", "host8.example.com", "user_1", "a1-b"] {
            assert!(is_variable_piece(piece), "{piece}");
        }
        for piece in ["eth0", "IPV6", "wl0", "error", "x", ""] {
            assert!(!is_variable_piece(piece), "{piece}");
        }
    }

    #[test]
    fn never_panics_on_odd_text() {
        for word in ["€", "1€", "+", "-", "€1ms", "…", "\u{0}", "1\u{301}", "/€"] {
            let _ = is_variable_word(word);
            let _ = is_variable_piece(word);
        }
    }
}
