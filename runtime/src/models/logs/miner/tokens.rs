//! The miner's tokenizer: one left-to-right pass over a line's bytes that splits words, masks variables and writes
//! the masked sequence as a byte key for the exact-sequence cache, with no allocation once its buffer has grown. Only
//! a line that misses the cache is read back from its key ([`pieces`]) to be interned.
//!
//! Invariants:
//! - words are split on ASCII whitespace and control bytes, pieces on the configured ASCII delimiters; both are
//!   ASCII, so every piece is valid UTF-8 on its own, and no piece holds a byte below 0x20;
//! - a piece is a wildcard when the masks call its word or itself a variable, and a unit word (`KB`, `ms`, `bytes`,
//!   ...) right after a wildcard joins it, so `1190 bytes (1.16 KB)` and `403 bytes` are both one variable: a size or
//!   duration is one value whatever its spelling, and should not change the token count;
//! - runs of wildcards are one wildcard (a time `12:03:04`, a list of numbers, a size with units);
//! - the key is the pieces joined by 0x1F (0x1E between pieces of one word) with a wildcard written as 0x00, so two
//!   lines have the same key exactly when they have the same masked sequence and the same words glued by delimiters.

use crate::models::logs::masks::{is_named_value, is_variable_piece, is_variable_word};

/// The wildcard in a key.
const WILD_BYTE: u8 = 0;
/// Between pieces of different words in a key.
const SEPARATOR: u8 = 0x1f;
/// Between pieces of one word (`user=root`, `AuthFail:sts`): glued pieces.
const GLUE: u8 = 0x1e;

/// A unit that joins the number before it, perhaps ending a sentence (`sec.`): sizes, durations, percentages.
/// Single letters other than `b` are left out: `5 s` is rare, while a lone `s`, `m` or `h` after a number is as
/// often a word.
fn is_unit(piece: &str) -> bool {
    let piece = piece.strip_suffix(['.', ',', ';']).unwrap_or(piece).as_bytes();
    if piece.is_empty() || piece.len() > 7 {
        return piece == "µs".as_bytes();
    }
    let mut lower = [0u8; 7];
    piece.iter().zip(lower.iter_mut()).for_each(|(b, l)| *l = b.to_ascii_lowercase());
    matches!(
        &lower[..piece.len()],
        b"b" | b"kb"
            | b"mb"
            | b"gb"
            | b"tb"
            | b"pb"
            | b"kib"
            | b"mib"
            | b"gib"
            | b"tib"
            | b"byte"
            | b"bytes"
            | b"ms"
            | b"us"
            | b"ns"
            | b"sec"
            | b"secs"
            | b"second"
            | b"seconds"
            | b"min"
            | b"mins"
            | b"minute"
            | b"minutes"
            | b"hr"
            | b"hrs"
            | b"hour"
            | b"hours"
            | b"day"
            | b"days"
            | b"%"
            | b"msec"
            | b"usec"
    ) || piece == "µs".as_bytes()
}

/// Whether a byte separates words: ASCII whitespace and control bytes.
fn is_space(byte: u8) -> bool {
    byte <= b' ' || byte == 0x7f
}

/// Byte classes: whitespace, a delimiter, a digit, a slash or backslash (paths and URLs need one).
const SPACE: u8 = 1;
const DELIMITER: u8 = 2;
const DIGIT: u8 = 4;
const SLASH: u8 = 8;

/// Splits and masks lines.
#[derive(Clone, Debug)]
pub(super) struct Tokenizer {
    class: [u8; 256],
}

/// The key being written.
struct Key<'k> {
    bytes: &'k mut Vec<u8>,
    pieces: usize,
    wild: bool,
    /// Whether the next piece continues the word of the last one.
    glue: bool,
}

impl Key<'_> {
    /// Appends a wildcard, keeping runs of wildcards to one.
    fn wild(&mut self) {
        if !self.wild {
            self.separate();
            self.bytes.push(WILD_BYTE);
            self.wild = true;
        }
    }

    fn word(&mut self, word: &str) {
        self.separate();
        self.bytes.extend_from_slice(word.as_bytes());
        self.wild = false;
    }

    fn separate(&mut self) {
        if self.pieces > 0 {
            self.bytes.push(if self.glue { GLUE } else { SEPARATOR });
        }
        self.pieces += 1;
    }
}

impl Tokenizer {
    /// A tokenizer splitting pieces on the ASCII characters of `delimiters` (others are ignored: a delimiter must
    /// not cut a character in two).
    pub(super) fn new(delimiters: &str) -> Self {
        let mut class = [0u8; 256];
        for byte in 0..=255u8 {
            class[usize::from(byte)] = if is_space(byte) {
                SPACE
            } else if byte.is_ascii_digit() {
                DIGIT
            } else if byte == b'/' || byte == b'\\' {
                SLASH
            } else {
                0
            };
        }
        for byte in delimiters.bytes().filter(|b| b.is_ascii() && !is_space(*b)) {
            class[usize::from(byte)] |= DELIMITER;
        }
        Self { class }
    }

    /// Replaces `key` with the key of `line`'s masked pieces.
    pub(super) fn tokenize(&self, line: &str, key: &mut Vec<u8>) {
        key.clear();
        let mut key = Key { bytes: key, pieces: 0, wild: false, glue: false };
        let bytes = line.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            if self.class[usize::from(bytes[at])] & SPACE != 0 {
                at += 1;
                continue;
            }
            let start = at;
            let mut classes = 0;
            while at < bytes.len() {
                let class = self.class[usize::from(bytes[at])];
                if class & SPACE != 0 {
                    break;
                }
                classes |= class;
                at += 1;
            }
            let word = &line[start..at];
            if classes == 0 {
                self.plain(word, &mut key);
            } else {
                self.word(word, classes, &mut key);
            }
        }
    }

    /// A word with no digit, slash or delimiter (most words): a variable only as a unit after a number or as a
    /// value by name (a calendar word, `true`, `false`, `null`).
    fn plain(&self, word: &str, key: &mut Key) {
        if (key.wild && is_unit(word)) || is_named_value(word) {
            key.wild();
        } else {
            key.word(word);
        }
    }

    fn word(&self, word: &str, classes: u8, key: &mut Key) {
        if is_placeholder(word) {
            // A user mask's placeholder stays whole, delimiters and digits included: the template names what was
            // masked.
            key.word(word);
            return;
        }
        if word == super::WILDCARD || is_variable_word(word) {
            key.wild();
            return;
        }
        if classes & DELIMITER == 0 {
            // One piece, checked as a whole above.
            if is_variable_piece(word) || (key.wild && is_unit(word)) {
                key.wild();
            } else {
                key.word(word);
            }
            return;
        }
        let bytes = word.as_bytes();
        let (mut start, mut marks) = (0, 0);
        let first_piece = key.pieces;
        for end in 0..=bytes.len() {
            let class = bytes.get(end).map_or(DELIMITER, |b| self.class[usize::from(*b)]);
            if class & DELIMITER == 0 {
                marks |= class;
                continue;
            }
            if end > start {
                let piece = &word[start..end];
                // Only a piece with a digit or a slash can be a variable as a whole word is; other pieces only by
                // name.
                let variable = if marks & (DIGIT | SLASH) != 0 {
                    is_variable_piece(piece) || is_variable_word(piece)
                } else {
                    is_named_value(piece)
                };
                key.glue = key.pieces > first_piece;
                if variable || (key.wild && is_unit(piece)) {
                    key.wild();
                } else {
                    key.word(piece);
                }
            }
            start = end + 1;
            marks = 0;
        }
        key.glue = false;
    }
}

/// A user mask's placeholder, such as `<payment_id>` or `<card_last4>`.
fn is_placeholder(word: &str) -> bool {
    word.strip_prefix('<').and_then(|rest| rest.strip_suffix('>')).is_some_and(|name| {
        name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The pieces of a key: `None` for a wildcard, else the word; and whether the piece is glued to a neighbour of its
/// own word.
pub(super) fn pieces(key: &[u8]) -> Vec<(Option<&str>, bool)> {
    let mut out: Vec<(Option<&str>, bool)> = Vec::new();
    let (mut start, mut glued_before) = (0, false);
    for end in 0..=key.len() {
        let next = key.get(end).copied();
        if next.is_some_and(|b| b != SEPARATOR && b != GLUE) {
            continue;
        }
        let glued_after = next == Some(GLUE);
        let piece = &key[start..end];
        if !piece.is_empty() {
            let word =
                if piece == [WILD_BYTE] { None } else { Some(std::str::from_utf8(piece).unwrap_or(super::WILDCARD)) };
            out.push((word, glued_before || glued_after));
        }
        (start, glued_before) = (end + 1, glued_after);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(line: &str) -> (Vec<String>, Vec<u8>) {
        let tokenizer = Tokenizer::new("=:,;()[]{}<>|\"'");
        let mut key = Vec::new();
        tokenizer.tokenize(line, &mut key);
        let text = pieces(&key).into_iter().map(|(p, _)| p.unwrap_or("<*>").to_owned()).collect();
        (text, key)
    }

    #[test]
    fn sizes_and_durations_are_one_variable_whatever_their_spelling() {
        let (short, _) = masked("close, 403 bytes sent, 426 bytes received, lifetime <1 sec");
        let (long, _) = masked("close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime 00:02");
        assert_eq!(short, long);
        assert_eq!(short, ["close", "<*>", "sent", "<*>", "received", "lifetime", "<*>"]);
        assert_eq!(masked("took 0.6 sec. to finish").0, masked("took 1.05 secs. to finish").0);
    }

    #[test]
    fn unit_words_stay_words_when_no_number_precedes_them() {
        assert_eq!(masked("bytes sent in ms").0, ["bytes", "sent", "in", "ms"]);
    }

    #[test]
    fn words_pieces_and_masks() {
        assert_eq!(
            masked("sshd(pam_unix)[19939]: session opened for user Jul at 10.0.0.1:22 in /var/log/x").0,
            ["sshd", "pam_unix", "<*>", "session", "opened", "for", "user", "<*>", "at", "<*>", "in", "<*>"]
        );
        assert_eq!(masked("id=deadbeef01 eth0 host8.example.com").0, ["id", "<*>", "eth0", "<*>"]);
        assert_eq!(masked("Core: C:\\Windows\\servicing\\cbscore.dll true").0, ["Core", "C", "<*>"]);
    }

    #[test]
    fn pieces_of_one_word_are_glued() {
        let tokenizer = Tokenizer::new("=:,;()[]{}<>|\"'");
        let mut key = Vec::new();
        tokenizer.tokenize("reason = AuthFail:sts:5 user=root by (uid=0)", &mut key);
        let glued: Vec<(&str, bool)> = pieces(&key).into_iter().map(|(p, g)| (p.unwrap_or("<*>"), g)).collect();
        assert_eq!(
            glued,
            [
                ("reason", false),
                ("AuthFail", true),
                ("sts", true),
                ("<*>", true),
                ("user", true),
                ("root", true),
                ("by", false),
                ("uid", true),
                ("<*>", true)
            ]
        );
    }

    #[test]
    fn the_key_tells_sequences_apart_exactly() {
        let (a, key_a) = masked("user alice logged in from 10.0.0.1:22");
        let (b, key_b) = masked("user alice  logged\tin from 10.0.0.2:2222");
        assert_eq!(a, b);
        assert_eq!(key_a, key_b);
        assert_ne!(masked("a b").1, masked("ab").1);
        assert_ne!(masked("a <*>").1, masked("a").1);
    }

    #[test]
    fn odd_bytes_never_panic_and_control_bytes_split() {
        for line in ["", "\u{0}", "€=€", "a\u{1f}b", "=:,;", "é:1", "<*> <*>", "\u{7f}x", "É", "1€", "€1ms"] {
            let (pieces, key) = masked(line);
            assert!(key.iter().all(|b| *b == WILD_BYTE || *b >= GLUE), "{line:?}");
            assert!(pieces.iter().all(|p| !p.is_empty()), "{line:?}");
        }
        assert_eq!(masked("a\u{1f}b").0, ["a", "b"]);
    }
}
