//! Separating a raw log line's header (timestamps, ids, levels, component, `proc[pid]:`) from its content, with one
//! generic rule for every format: no per-system pattern to configure.
//!
//! 1. Pipe records (`ts|component|pid|message`): the header runs to the last `|` of the first word.
//! 2. A run of header-like leading fields: timestamps, dates, numbers, ids, calendar words, `-`. A first field that
//!    is not header-like is skipped when the next two are (a label column); once, up to two other fields followed by
//!    two header-like ones extend the run (component/state columns between ids).
//! 3. Uppercase facility words up to a level word (`RAS KERNEL INFO`), then one `[thread]` group.
//! 4. A `host proc[pid]:` or `a.b.Class:` field among the next three ends the header (a plain `Word:` does not).

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
    // A `proc[pid]:` or `a.b.Class:` field among the next fields. A plain `Word:` is as often the content's own
    // (`Component State Change:`), so the name must hold a bracket, dot, `$` or `/`, as program and class names do.
    let mut position = 0;
    for word in rest.split(|c: char| c.is_whitespace() || c == '|').filter(|w| !w.is_empty()).take(MAX_PREFIX) {
        position = rest[position..].find(word).map_or(position, |p| position + p + word.len());
        if let Some(name) = word.strip_suffix(':')
            && name.contains(['[', '(', '.', '$', '/'])
        {
            return &rest[position..];
        }
    }
    rest
}

/// Lines whose header widths are voted on before votes are halved (so a stream whose format changes is followed).
const VOTE_WINDOW: u32 = 256;
/// Past the first window, one line in this many votes (voting runs the generic rule).
const VOTE_EVERY: u64 = 64;
/// Votes the most common width needs, and the share of all votes, before it is used.
const MIN_VOTES: u32 = 3;
/// Widest header learned, in fields.
const MAX_WIDTH: usize = 15;
/// Kinds of field, by first byte: digit, capital, other letter or non-ASCII, punctuation.
const KINDS: usize = 4;

/// Learns the header of one stream: the number of leading fields that the generic rule ([`content`]) most often
/// finds, so every line of the stream is cut at the same field even where the generic rule alone would be fooled
/// by a line's content (a content that starts with a date, a `Word:` or pipes). A `[...]` group counts as one field,
/// so thread names with spaces do not change the width.
///
/// It also learns the kind of each header field (its first byte: digit, capital, other letter, punctuation) over
/// the lines of that width; a line whose field has a kind seen in under 2% of them is another format (lines of
/// several sources in one stream) and the generic rule decides for it. So does every line until a width has
/// [`MIN_VOTES`] votes and half of all votes, and a line with no more fields than the width. Every line the generic
/// rule decides votes, and so does one line in [`VOTE_EVERY`] of the others, and the votes are halved every
/// [`VOTE_WINDOW`], so a stream whose format changes is relearned within a few hundred lines.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeaderLearner {
    votes: [u32; MAX_WIDTH + 1],
    total: u32,
    lines: u64,
    width: Option<usize>,
    /// Per header field, lines of the learned width whose field is of each kind.
    kinds: [[u32; KINDS]; MAX_WIDTH],
    /// Per header field, the kinds seen often enough (bit per kind), from `kinds`.
    #[serde(skip)]
    allowed: [u8; MAX_WIDTH],
}

impl HeaderLearner {
    /// The content of `line`, a line of this learner's stream.
    pub fn content<'a>(&mut self, line: &'a str) -> &'a str {
        self.lines = self.lines.wrapping_add(1);
        let voting = self.lines <= u64::from(VOTE_WINDOW) || self.lines.is_multiple_of(VOTE_EVERY);
        if !voting && let Some(rest) = self.width.and_then(|width| self.cut(line, width)) {
            return rest;
        }
        // The generic rule decides this line; its width is a vote (a line that does not fit the learned header
        // always votes, so a stream whose format changes is relearned quickly).
        let generic = content(line);
        self.vote(line, fields_before(line, line.len() - generic.len()));
        self.width.and_then(|width| self.cut(line, width)).unwrap_or(generic)
    }

    /// `line` after `width` fields, if it has more and its fields are of the kinds learned (a pipe after the last
    /// header field belongs to the header).
    fn cut<'a>(&self, line: &'a str, width: usize) -> Option<&'a str> {
        let mut rest = line;
        for allowed in &self.allowed[..width.min(MAX_WIDTH)] {
            let (start, end) = next_field(rest)?;
            if allowed & (1 << kind(&rest.as_bytes()[start..end])) == 0 {
                return None;
            }
            rest = &rest[end..];
        }
        next_field(rest)?;
        Some(rest.trim_start().strip_prefix('|').unwrap_or(rest))
    }

    /// A learner restored from a checkpoint, checked: its totals and width follow from its votes.
    pub(crate) fn checked(mut self) -> Result<Self, String> {
        let total = self.votes.iter().try_fold(0u32, |sum, v| sum.checked_add(*v));
        let kinds = self.kinds.iter().flatten().try_fold(0u32, |sum, v| sum.checked_add(*v));
        if total != Some(self.total) || self.total > VOTE_WINDOW || kinds.is_none_or(|k| k > VOTE_WINDOW * 16) {
            return Err("header votes do not add up".into());
        }
        let width = self.width;
        self.decide();
        if self.width != width {
            return Err("header width does not follow from its votes".into());
        }
        self.allow();
        Ok(self)
    }

    fn vote(&mut self, line: &str, width: usize) {
        if width > MAX_WIDTH {
            return;
        }
        self.votes[width] += 1;
        self.total += 1;
        if self.total >= VOTE_WINDOW {
            self.votes.iter_mut().for_each(|v| *v /= 2);
            self.kinds.iter_mut().flatten().for_each(|v| *v /= 2);
            self.total = self.votes.iter().sum();
        }
        let previous = self.width;
        self.decide();
        if self.width != previous {
            self.kinds = [[0; KINDS]; MAX_WIDTH];
        }
        if self.width == Some(width) {
            let mut rest = line;
            for position in 0..width {
                let Some((start, end)) = next_field(rest) else { break };
                self.kinds[position][kind(&rest.as_bytes()[start..end])] += 1;
                rest = &rest[end..];
            }
        }
        self.allow();
    }

    /// The kinds each header field allows: those seen in at least 2% of the lines of the learned width.
    fn allow(&mut self) {
        for (allowed, seen) in self.allowed.iter_mut().zip(&self.kinds) {
            let total: u32 = seen.iter().sum();
            *allowed = (0..KINDS).filter(|&k| 50 * seen[k] >= total).fold(0, |mask, k| mask | 1 << k);
        }
    }

    /// The width with the most votes, if it has enough.
    fn decide(&mut self) {
        let (best, &count) =
            self.votes.iter().enumerate().max_by_key(|(w, c)| (**c, usize::MAX - w)).unwrap_or((0, &0));
        self.width = (count >= MIN_VOTES && 2 * count >= self.total).then_some(best);
    }
}

/// The kind of a field, by its first byte (see [`KINDS`]); a signed number is a number.
fn kind(field: &[u8]) -> usize {
    let signed = matches!(field, [b'-' | b'+', digit, ..] if digit.is_ascii_digit());
    match field.get(usize::from(signed)) {
        Some(b) if b.is_ascii_digit() => 0,
        Some(b) if b.is_ascii_uppercase() => 1,
        Some(b) if b.is_ascii_alphabetic() || !b.is_ascii() => 2,
        _ => 3,
    }
}

/// The fields (see [`HeaderLearner`]) of `line` that end at or before byte `offset`.
fn fields_before(line: &str, offset: usize) -> usize {
    let mut count = 0;
    let mut rest = line;
    while let Some((_, end)) = next_field(rest) {
        if line.len() - rest.len() + end > offset {
            break;
        }
        count += 1;
        rest = &rest[end..];
    }
    count
}

/// Bytes that separate fields: whitespace and `|`.
const SEPARATORS: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = matches!(i as u8, b' ' | b'|' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c);
        i += 1;
    }
    table
};

/// The byte range of the first field of `text`: separated by whitespace or `|`; a field that starts with `[` runs
/// to its balanced `]` (at most 1024 bytes on).
fn next_field(text: &str) -> Option<(usize, usize)> {
    let separator = |b: u8| SEPARATORS[usize::from(b)];
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() && separator(bytes[start]) {
        start += 1;
    }
    if start == bytes.len() {
        return None;
    }
    let mut end = start;
    if bytes[start] == b'[' {
        let mut depth = 0i32;
        for (i, &b) in bytes.iter().enumerate().skip(start).take(1024) {
            depth += i32::from(b == b'[') - i32::from(b == b']');
            if depth == 0 {
                end = i + 1;
                break;
            }
        }
    }
    while end < bytes.len() && !separator(bytes[end]) {
        end += 1;
    }
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::{HeaderLearner, content};

    /// Deterministic noise.
    fn next(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    /// A stream in one format: `id node component state time flag content`, some contents starting with words the
    /// generic rule takes for a header (`Word Word Word:`, a date, a signed flag).
    fn cluster_log(lines: usize, seed: u64) -> Vec<(String, String)> {
        let mut seed = seed | 1;
        (0..lines)
            .map(|i| {
                let r = next(&mut seed);
                let content = match r % 4 {
                    0 => format!("Component State Change: Component alt{} is unavailable", r % 3),
                    1 => format!("2017-07-0{} disk check done", r % 9),
                    2 => "running".to_owned(),
                    _ => format!("Fan speeds ( {} {} )", r % 4000, r % 3000),
                };
                let flag = if r.is_multiple_of(7) { "-1" } else { "1" };
                let line =
                    format!("{} node-{} unix.hw state_change {} {flag} {content}", 100_000 + i, r % 256, r % 1_000_000);
                (line, content)
            })
            .collect()
    }

    #[test]
    fn a_learned_header_cuts_every_line_at_the_same_field() {
        let mut learner = HeaderLearner::default();
        let log = cluster_log(600, 7);
        let wrong = log.iter().filter(|(line, want)| learner.content(line).trim() != want).count();
        // Only lines before the width has its votes can be cut by the generic rule alone.
        assert!(wrong <= 3, "{wrong} lines cut wrong");
        let generic = log.iter().filter(|(line, want)| content(line).trim() != want).count();
        assert!(generic > 100, "the generic rule alone is fooled ({generic})");
    }

    #[test]
    fn pipes_inside_the_content_stay_in_it() {
        let mut learner = HeaderLearner::default();
        for i in 0..50 {
            let line = format!("2017122{}-22:15:29:606|Step_LSC|30002312|onStandStepChanged {i}", i % 10);
            assert_eq!(learner.content(&line), format!("onStandStepChanged {i}"));
        }
        assert_eq!(learner.content("20171223-22:15:29:606|Step_SPUtils|30002312|reload|3786|0|0"), "reload|3786|0|0");
    }

    #[test]
    fn a_stream_whose_format_changes_is_relearned() {
        let mut learner = HeaderLearner::default();
        for (line, _) in cluster_log(2000, 3) {
            learner.content(&line);
        }
        let syslog = (0..400)
            .map(|i| format!("Jun 14 15:16:{:02} combo sshd(pam_unix)[{}]: check pass; user unknown", i % 60, i));
        let wrong: Vec<usize> = syslog
            .enumerate()
            .filter(|(_, line)| learner.content(line).trim() != "check pass; user unknown")
            .map(|(i, _)| i)
            .collect();
        assert!(wrong.is_empty(), "lines of the new format cut wrong: {wrong:?}");
    }

    #[test]
    fn a_checkpointed_learner_is_checked() {
        let mut learner = HeaderLearner::default();
        cluster_log(100, 5).iter().for_each(|(line, _)| {
            learner.content(line);
        });
        let copy = learner.clone().checked().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(copy, learner);
        let mut bad = learner.clone();
        bad.votes[3] += 1;
        assert!(bad.checked().is_err());
        let mut bad = learner;
        bad.width = Some(2);
        assert!(bad.checked().is_err());
    }

    #[test]
    fn odd_lines_never_panic() {
        let mut learner = HeaderLearner::default();
        let mut seed = 11u64;
        for i in 0..3000 {
            let r = next(&mut seed);
            let line: String = (0..(r % 40))
                .map(|k| ['a', ' ', '|', '[', ']', '1', '-', 'É', ':', '\t'][((r >> (k % 60)) % 10) as usize])
                .collect();
            let cut = learner.content(&line);
            assert!(line.ends_with(cut), "{i}: {line:?} -> {cut:?}");
        }
    }

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
