//! What the LogClusterer plot of `augur try` shows, and along what: the question a person has of a log is "what is
//! new or bursting, and when?", so templates that appear late or come in bursts are drawn first, before the merely
//! frequent ones, against time when the lines carry timestamps (line numbers otherwise), with counts from zero.

use std::{
    io::{BufRead, BufReader},
    path::Path,
};

use crate::{
    status::forecasts::human,
    time::{Millis, format_timestamp, parse_timestamp},
};

/// Buckets of the input for rates and for when templates appeared.
pub const BUCKETS: i64 = 50;
/// A template first seen after this many buckets is new (it was not there in the first tenth of the input).
const NEW_AFTER: i64 = BUCKETS / 10;
/// A template bursts when one bucket holds this many times its mean per bucket...
const BURST_RATIO: f64 = 4.0;
/// ... and at least this many lines.
const BURST_LINES: u64 = 5;
/// Lines with a timestamp needed, as a share of the chunks, to put time on the axis.
const TIMED_SHARE: f64 = 0.9;

/// The time a log line starts with: an ISO 8601 / RFC 3339 date and time, as one word (`2026-11-02T13:36:00Z`) or
/// two (`2026-11-02 13:36:00,883`, with log4j's comma before the milliseconds).
pub fn line_time(line: &str) -> Option<Millis> {
    let mut words = line.split_whitespace();
    let first = words.next()?;
    let date = first.as_bytes();
    if date.len() < 10 || !date[..4].iter().all(u8::is_ascii_digit) || date[4] != b'-' {
        return None;
    }
    let parse = |text: &str| parse_timestamp(&text.replace(',', ".")).ok();
    match words.next() {
        Some(second) if second.as_bytes().get(2) == Some(&b':') => parse(&format!("{first} {second}")),
        _ => parse(first),
    }
    .or_else(|| parse(first))
}

/// The horizontal axis: time when the input's lines carry it, line numbers otherwise; in [`BUCKETS`] buckets.
pub struct Axis {
    /// Whether positions are times (epoch milliseconds) rather than line numbers.
    pub by_time: bool,
    /// Per tally chunk, the time of its first timed line (by time only).
    chunk_times: Vec<Millis>,
    chunk_lines: i64,
    start: Millis,
    span: Millis,
    /// A bucket's width, for people: "14m", or "2% of the input".
    pub bucket_text: String,
}

impl Axis {
    /// The axis of the `lines` lines of `path`, tallied in chunks of `chunk_lines` lines.
    pub fn of(path: &Path, lines: i64, chunk_lines: i64) -> std::io::Result<Self> {
        let chunk_lines = chunk_lines.max(1);
        let chunks = usize::try_from((lines + chunk_lines - 1) / chunk_lines).unwrap_or(0);
        let mut times: Vec<Option<Millis>> = vec![None; chunks];
        let mut reader = BufReader::new(std::fs::File::open(path)?);
        let mut buffer = Vec::new();
        let mut number = 0i64;
        // Numbered as the line source numbers them: one line per newline.
        while reader.read_until(b'\n', &mut buffer)? > 0 {
            let chunk = usize::try_from(number / chunk_lines).unwrap_or(usize::MAX);
            number += 1;
            if times.get(chunk).is_some_and(Option::is_none) {
                times[chunk] = line_time(&String::from_utf8_lossy(&buffer));
            }
            buffer.clear();
        }
        let timed = times.iter().flatten().count();
        let (start, end) = times.iter().flatten().fold((Millis::MAX, Millis::MIN), |(l, h), t| (l.min(*t), h.max(*t)));
        if chunks > 0 && timed as f64 >= TIMED_SHARE * chunks as f64 && end > start {
            // A chunk without a timed line takes its predecessor's time.
            let mut last = start;
            let chunk_times = times
                .into_iter()
                .map(|time| {
                    last = time.unwrap_or(last);
                    last
                })
                .collect();
            let span = end - start;
            let bucket_text = human(span / BUCKETS);
            return Ok(Self { by_time: true, chunk_times, chunk_lines, start, span, bucket_text });
        }
        let bucket_text = format!("{}% of the input", 100 / BUCKETS);
        Ok(Self { by_time: false, chunk_times: Vec::new(), chunk_lines, start: 1, span: lines.max(1), bucket_text })
    }

    /// Where tally chunk `chunk` starts (a time, or a line number).
    fn position_of_chunk(&self, chunk: i64) -> Millis {
        match self.chunk_times.get(usize::try_from(chunk).unwrap_or(usize::MAX)) {
            Some(time) if self.by_time => *time,
            _ => self.start + chunk * self.chunk_lines,
        }
    }

    /// The bucket of tally chunk `chunk`.
    pub fn bucket_of_chunk(&self, chunk: i64) -> i64 {
        let offset = self.position_of_chunk(chunk) - self.start;
        (offset as i128 * BUCKETS as i128 / (self.span as i128 + 1)).clamp(0, BUCKETS as i128 - 1) as i64
    }

    /// Where line `line` (1-based) is: its time (that of its chunk's first timed line when the tally had to group
    /// lines), or its number.
    pub fn position_of_line(&self, line: i64) -> Millis {
        if self.by_time { self.position_of_chunk((line - 1).max(0) / self.chunk_lines) } else { line }
    }

    /// The bucket of line `line` (1-based).
    pub fn bucket_of_line(&self, line: i64) -> i64 {
        self.bucket_of_chunk((line - 1).max(0) / self.chunk_lines)
    }

    /// Where bucket `bucket` starts (a time, or a line number).
    pub fn bucket_start(&self, bucket: i64) -> Millis {
        self.start + (self.span as i128 * bucket as i128 / BUCKETS as i128) as Millis
    }

    /// A position, for people.
    pub fn label(&self, position: Millis) -> String {
        label(self.by_time, position)
    }
}

/// A position on an axis of times (`by_time`) or of line numbers, for people.
pub fn label(by_time: bool, position: Millis) -> String {
    if by_time { format_timestamp(position) } else { format!("line {position}") }
}

/// One template's lines per bucket and where it first appeared.
pub struct Row {
    /// The template.
    pub id: u64,
    /// Lines per bucket.
    pub counts: Vec<u64>,
    /// The bucket it first appeared in.
    pub first_bucket: i64,
    /// Its first line.
    pub first_line: i64,
}

/// Why a template is plotted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Notable {
    /// It was not there in the first tenth of the input.
    New,
    /// One bucket holds this many times its mean per bucket.
    Burst(f64),
    /// Among the most frequent.
    Frequent,
}

/// Up to `n` rows to plot: new templates (most lines first), then bursting ones (sharpest first), then the most
/// frequent.
pub fn noteworthy(rows: &[Row], n: usize) -> Vec<(&Row, Notable)> {
    let total = |row: &Row| row.counts.iter().sum::<u64>();
    let burst = |row: &Row| {
        let peak = row.counts.iter().copied().max().unwrap_or(0);
        let mean = total(row) as f64 / row.counts.len().max(1) as f64;
        (peak >= BURST_LINES && peak as f64 >= BURST_RATIO * mean).then(|| peak as f64 / mean)
    };
    let mut new: Vec<&Row> = rows.iter().filter(|r| r.first_bucket >= NEW_AFTER).collect();
    new.sort_by_key(|r| (std::cmp::Reverse(total(r)), r.id));
    let mut bursts: Vec<(&Row, f64)> =
        rows.iter().filter(|r| r.first_bucket < NEW_AFTER).filter_map(|r| Some((r, burst(r)?))).collect();
    bursts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.id.cmp(&b.0.id)));
    let mut frequent: Vec<&Row> = rows.iter().collect();
    frequent.sort_by_key(|r| (std::cmp::Reverse(total(r)), r.id));
    let mut chosen: Vec<(&Row, Notable)> = Vec::new();
    let candidates = new
        .into_iter()
        .map(|r| (r, Notable::New))
        .chain(bursts.into_iter().map(|(r, ratio)| (r, Notable::Burst(ratio))))
        .chain(frequent.into_iter().map(|r| (r, Notable::Frequent)));
    for (row, why) in candidates {
        if chosen.len() == n {
            break;
        }
        if !chosen.iter().any(|(r, _)| r.id == row.id) {
            chosen.push((row, why));
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_times_are_read_from_common_headers() {
        let at = |text: &str| parse_timestamp(text).ok();
        assert_eq!(line_time("2026-11-02 13:36:00,883 ERROR [x] a: b"), at("2026-11-02T13:36:00.883Z"));
        assert_eq!(line_time("2026-11-02T13:36:00Z INFO started"), at("2026-11-02T13:36:00Z"));
        assert_eq!(line_time("2026-11-02 INFO started"), at("2026-11-02"));
        for untimed in ["INFO started", "42 things", "Nov  2 13:36:00 host sshd[1]: x", ""] {
            assert_eq!(line_time(untimed), None, "{untimed}");
        }
    }

    fn row(id: u64, counts: &[u64]) -> Row {
        let first_bucket = counts.iter().position(|c| *c > 0).unwrap_or(0) as i64;
        let mut padded = counts.to_vec();
        padded.resize(BUCKETS as usize, 0);
        Row { id, counts: padded, first_bucket, first_line: 1 }
    }

    #[test]
    fn new_and_bursting_templates_come_before_frequent_ones() {
        let steady: Vec<u64> = vec![40; BUCKETS as usize];
        let mut burst = vec![2; BUCKETS as usize];
        burst[20] = 60;
        let mut late = vec![0; BUCKETS as usize];
        late[30..34].copy_from_slice(&[9, 14, 12, 8]);
        let rows = [row(1, &steady), row(2, &burst), row(3, &late), row(4, &[1; 50])];
        let chosen: Vec<(u64, Notable)> = noteworthy(&rows, 3).into_iter().map(|(r, why)| (r.id, why)).collect();
        assert_eq!(chosen[0], (3, Notable::New), "{chosen:?}");
        assert!(matches!(chosen[1], (2, Notable::Burst(ratio)) if ratio > 10.0), "{chosen:?}");
        assert_eq!(chosen[2], (1, Notable::Frequent), "the steady, frequent one after them: {chosen:?}");
        assert_eq!(noteworthy(&rows, 10).len(), 4, "each template once");
    }
}
