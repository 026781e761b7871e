//! Separating a raw log line's header (timestamps, ids, levels, component, `proc[pid]:`) from its content, with one
//! generic rule for every format: no per-system pattern to configure.
//!
//! 1. Pipe records (`ts|component|pid|message`): the header runs to the last `|` of the first word.
//! 2. A run of header-like leading fields: timestamps, dates, numbers, ids, calendar words, `-`. A first field that
//!    is not header-like is skipped when the next two are (a label column); once, up to two other fields followed by
//!    two header-like ones extend the run (component/state columns between ids).
//! 3. Uppercase facility words up to a level word (`RAS KERNEL INFO`), then one `[thread]` group.
//! 4. A `host proc[pid]:` or `a.b.Class:` field among the next three ends the header.

use super::masks::{is_variable_piece, is_variable_word};

const LEVELS: [&str; 24] = [
    "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "ERR", "SEVERE", "FATAL", "CRITICAL", "CRIT",
    "ALERT", "EMERG", "VERBOSE", "FINE", "FINER", "FINEST", "I", "W", "E", "D", "V", "F",
];
/// Fields examined after the header run for levels and `proc:` fields.
const MAX_PREFIX: usize = 3;
/// Fields examined for the header run.
const MAX_SCAN: usize = 10;

fn is_level(word: &str) -> bool {
    LEVELS.contains(&word)
}

/// A timestamp, date part, number, id or placeholder.
fn header_like(word: &str) -> bool {
    if word == "-" || word == "--" || is_variable_word(word) {
        return true;
    }
    if word.ends_with(':') || !word.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')) {
        return false;
    }
    word.split(':').filter(|p| !p.is_empty()).all(|part| is_variable_word(part) || is_variable_piece(part))
}

/// (start, end) byte ranges of the fields separated by spaces, tabs or `|`.
fn fields(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        let separator = matches!(c, ' ' | '\t' | '|');
        match (separator, start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, line.len()));
    }
    out
}

/// Uppercase letters only (a facility word such as `RAS` or `KERNEL`).
fn is_upper_word(word: &str) -> bool {
    word.chars().all(char::is_alphabetic)
        && word.chars().any(char::is_uppercase)
        && !word.chars().any(char::is_lowercase)
}

/// The content of a raw log line: the line without its header.
pub fn content(line: &str) -> &str {
    if let Some(first) = line.split_whitespace().next().filter(|w| w.matches('|').count() >= 2) {
        let start = line.find(first).unwrap_or(0);
        let last_pipe = first.rfind('|').unwrap_or(0);
        return &line[start + last_pipe + 1..];
    }
    let spans: Vec<(usize, usize)> = fields(line).into_iter().take(MAX_SCAN + MAX_PREFIX + 2).collect();
    let like: Vec<bool> = spans.iter().map(|&(a, b)| header_like(&line[a..b])).collect();
    let mut i = usize::from(like.len() > 2 && !like[0] && like[1] && like[2]);
    while i < spans.len() && like[i] {
        i += 1;
    }
    if i > 0 {
        for skip in [1, 2] {
            if i + skip + 1 < spans.len().min(MAX_SCAN)
                && !like[i..i + skip].iter().any(|x| *x)
                && like[i + skip]
                && like[i + skip + 1]
            {
                i += skip;
                while i < spans.len() && like[i] {
                    i += 1;
                }
                break;
            }
        }
    }
    if i >= spans.len() {
        return spans.last().map_or(line, |&(_, end)| &line[end..]);
    }
    let mut rest = &line[spans[i].0..];
    // Facility words up to a level word.
    let mut position = 0;
    for word in rest.split_whitespace().take(MAX_PREFIX) {
        position = rest[position..].find(word).map_or(position, |p| position + p + word.len());
        if is_level(word) {
            rest = &rest[position..];
            break;
        }
        if !is_upper_word(word) {
            break;
        }
    }
    // One bracketed group, such as a thread name.
    let trimmed = rest.trim_start();
    if trimmed.starts_with('[') {
        let mut depth = 0i32;
        for (k, c) in trimmed.char_indices() {
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        let after = &trimmed[k + 1..];
                        if after.is_empty() || after.starts_with([' ', '\t']) {
                            rest = after;
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    // A `proc[pid]:` or `Class:` field among the next fields.
    let mut position = 0;
    for word in rest.split(|c: char| c.is_whitespace() || c == '|').filter(|w| !w.is_empty()).take(MAX_PREFIX) {
        position = rest[position..].find(word).map_or(position, |p| position + p + word.len());
        if word.ends_with(':') && word.len() > 1 {
            return &rest[position..];
        }
    }
    rest
}

/// Separates headers of one stream (placeholder: the generic rule line by line).
#[derive(Clone, Debug, Default)]
pub struct HeaderLearner {}

impl HeaderLearner {
    /// The content of `line`.
    pub fn content<'a>(&mut self, line: &'a str) -> &'a str {
        content(line)
    }
}

#[cfg(test)]
mod tests {
    use super::content;

    #[test]
    fn strips_common_headers() {
        let cases = [
            (
                "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname=",
                " authentication failure; logname=",
            ),
            (
                "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating",
                " PacketResponder 1 terminating",
            ),
            ("20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579", "onStandStepChanged 3579"),
            (
                "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected",
                " instruction cache parity error corrected",
            ),
            (
                "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster",
                " Created MRAppMaster",
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(content(line), expected, "{line}");
        }
    }

    #[test]
    fn lines_without_a_header_stay_whole() {
        assert_eq!(content("connection reset by peer"), "connection reset by peer");
        for odd in ["", " ", "|||", "€ 12 [", "[[[", "a: b: c:"] {
            let _ = content(odd);
        }
    }
}
