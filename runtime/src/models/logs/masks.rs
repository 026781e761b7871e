//! Masking by character class: whether a token is a variable (number, hex, IP, UUID, path, URL, timestamp part,
//! size, duration) decided in one scan of its characters, with no regular expression in the hot path.

/// Byte classes for masking: numeric-ish (numbers, hex, IPv4/IPv6, MAC, UUID, dates, times, versions), digit,
/// trimmed punctuation around a token.
const NUMISH: u8 = 1;
const DIGIT: u8 = 2;
const TRIMMED: u8 = 4;
const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut class = 0;
        if b.is_ascii_hexdigit() || matches!(b, b'x' | b'X' | b'.' | b':' | b'-' | b'_' | b'/' | b'+' | b',' | b'#') {
            class |= NUMISH;
        }
        if b.is_ascii_digit() {
            class |= DIGIT;
        }
        if matches!(b, b'[' | b']' | b'(' | b')' | b'{' | b'}' | b'<' | b'>' | b'"' | b'\'' | b'`' | b',' | b';' | b'.')
            || matches!(b, b'!' | b'?')
        {
            class |= TRIMMED;
        }
        table[i] = class;
        i += 1;
    }
    table
};

/// Units a number may carry: durations, sizes, percentages.
const UNITS: [&str; 22] = [
    "ms", "us", "ns", "s", "sec", "secs", "m", "min", "h", "d", "b", "kb", "mb", "gb", "tb", "k", "g", "%", "bytes",
    "kib", "mib", "gib",
];

/// Month and day names and the like (lower case): parts of timestamps.
fn is_calendar(lower: &[u8]) -> bool {
    matches!(
        lower,
        b"jan"
            | b"feb"
            | b"mar"
            | b"apr"
            | b"may"
            | b"jun"
            | b"jul"
            | b"aug"
            | b"sep"
            | b"sept"
            | b"oct"
            | b"nov"
            | b"dec"
            | b"january"
            | b"february"
            | b"march"
            | b"april"
            | b"june"
            | b"july"
            | b"august"
            | b"september"
            | b"october"
            | b"november"
            | b"december"
            | b"mon"
            | b"tue"
            | b"wed"
            | b"thu"
            | b"fri"
            | b"sat"
            | b"sun"
            | b"monday"
            | b"tuesday"
            | b"wednesday"
            | b"thursday"
            | b"friday"
            | b"saturday"
            | b"sunday"
            | b"am"
            | b"pm"
            | b"utc"
            | b"gmt"
    )
}

/// Punctuation trimmed from a whole token before classifying it.
fn is_trimmed(b: u8) -> bool {
    CLASS[usize::from(b)] & TRIMMED != 0
}

/// Bytes a value by name may start with: trimmed punctuation, the capitals calendar words start with, and the first
/// letters of `true`, `false`, `null` in either case.
const NAMED_START: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = CLASS[i] & TRIMMED != 0
            || matches!(b, b'J' | b'F' | b'M' | b'A' | b'S' | b'O' | b'N' | b'D' | b'T' | b'W' | b'U' | b'P' | b'G')
            || matches!(b, b't' | b'f' | b'n');
        i += 1;
    }
    table
};

/// Whether a token with no digit and no slash is a value by its name: a capitalised calendar word or a literal
/// (`true`, `false`, `null`, in any case), perhaps with punctuation around it. It is what [`is_variable_word`] says
/// of such a token, cheaper.
pub fn is_named_value(token: &str) -> bool {
    let bytes = token.as_bytes();
    // Most words start with a letter no calendar word or literal starts with.
    if bytes.first().is_none_or(|b| !NAMED_START[usize::from(*b)]) || bytes.len() > 11 {
        return false;
    }
    let start = bytes.iter().position(|b| !is_trimmed(*b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_trimmed(*b)).map_or(start, |e| e + 1).max(start);
    let core = &bytes[start..end];
    if core.len() < 2 || core.len() > 9 {
        return false;
    }
    let mut lower = [0u8; 9];
    core.iter().zip(lower.iter_mut()).for_each(|(b, l)| *l = b.to_ascii_lowercase());
    let lower = &lower[..core.len()];
    matches!(lower, b"true" | b"false" | b"null") || (core[0].is_ascii_uppercase() && is_calendar(lower))
}

/// Whether a whitespace-delimited token is a variable as a whole: a URL, an absolute path, a numeric-ish token, a
/// number with a unit, a (capitalised) calendar word or a literal (`true`, `false`, `null`): the corrected loghub
/// ground truth and most readers take booleans and nulls for values. One scan of the bytes; every test is on ASCII bytes, so a
/// multi-byte character is never cut.
pub fn is_variable_word(token: &str) -> bool {
    let bytes = token.as_bytes();
    let start = bytes.iter().position(|b| !is_trimmed(*b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_trimmed(*b)).map_or(start, |e| e + 1);
    let core = &bytes[start..end.max(start)];
    let Some(&first) = core.first() else { return false };
    let (mut any, mut all) = (0u8, NUMISH);
    for &b in core {
        let class = CLASS[usize::from(b)];
        any |= class;
        all &= class;
    }
    let has_digit = any & DIGIT != 0;
    if (first == b'/' || first == b'\\') && core.len() > 1 && (has_digit || core[1..].contains(&first)) {
        return true;
    }
    if core.windows(3).any(|w| w == b"://") {
        return true;
    }
    if !has_digit {
        return is_named_value(token);
    }
    if all & NUMISH != 0 {
        return true;
    }
    // A number followed by a unit.
    let sign = usize::from(matches!(first, b'+' | b'-'));
    let digits_end = sign + core[sign..].iter().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
    digits_end > sign && {
        let unit = &core[digits_end..];
        UNITS.iter().any(|u| unit.eq_ignore_ascii_case(u.as_bytes()))
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
    fn named_values_agree_with_whole_words() {
        for word in
            ["Jul", "(Saturday,", "UTC", "may", "Mayday", "J", "", "[]", "Dec.", "É", "Thursday!", "true", "FALSE,"]
        {
            assert_eq!(is_named_value(word), is_variable_word(word), "{word}");
        }
        for word in ["true", "False", "(null)", "NULL"] {
            assert!(is_named_value(word), "{word}");
        }
        for word in ["trueish", "nullable", "none", "NO"] {
            assert!(!is_named_value(word), "{word}");
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
