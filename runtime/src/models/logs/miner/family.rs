//! How a line that is not in the cache finds its template: the rules that decide, from how positions behave across
//! lines, which words are variables.
//!
//! 1. Join: a template of the same token count whose constants the line matches everywhere (the line's masked values
//!    and the template's wildcards match any word). Positions where they differ become wildcards. Punctuation must
//!    face itself: it is structure, and a mismatch there means a variable of another length shifted the line.
//! 2. Family: otherwise the nearest template of the same token count (at most `max_mismatches` differing words and
//!    the similarity threshold) names the positions where the line differs. The family is every template of that
//!    count that agrees with the line elsewhere. A differing position is a variable when a member already has a
//!    wildcard there (it has been shown variable in the same context), or when the family and the line show
//!    `sibling_merge` distinct words there (one more for a word glued to another by a delimiter, `user=root`, which
//!    is more often a field of fixed values). Positions decided by their words together must vary independently:
//!    more combinations than words at any one of them, so an enumeration of state pairs (`from NEW to UNASSIGNED`)
//!    stays events. If every differing position is a variable, the family merges into its oldest member.
//!    Distinct-value growth, not a character class, decides: `up`/`down` stay two events, user names merge. A family
//!    that differs at the first word or at several positions must share `min_shared` constants with the line, so
//!    short lines such as `<name> <*>` never merge on no evidence.
//! 3. Glob: otherwise a template of another token count (within [`MAX_GLOB_EXTRA`]) whose runs of wildcards absorb
//!    the line's tokens, each run taking one or more tokens, words with a letter or digit and never two words in a
//!    row: a host that is sometimes one word and sometimes a word and an address, a program with a suffix, a list of
//!    `host:port` pairs of any length; but not a phrase (`invalid user`, `user root`), which is another event. Its constants must be
//!    at least half the line's, so a short template cannot swallow long lines. A template that gains wildcards, or is
//!    created with them, absorbs the templates it now globs, so variants seen before the general form merge into it.
//! 4. Otherwise a new template: the line, with the nearest template's wildcards.
//!
//! Ties between equally good templates go to the oldest (`born`), so the order of the lists matters only where a scan
//! is cut at `MAX_SCAN`.

use std::collections::HashSet;

use super::{Miner, Sym, WILD};

/// Most tokens a line and a template it globs may differ by.
pub(super) const MAX_GLOB_EXTRA: u32 = 8;
/// Largest pattern × text size globbed (the table it fills): longer lines are matched by token count only, so a huge
/// line costs no more than a bounded table.
const MAX_GLOB_CELLS: usize = 1 << 16;

/// How well a template fits a line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Score {
    pub mismatches: u32,
    similarity: f64,
    constants: u32,
    born: u64,
}

impl Score {
    /// Fewer differing words, then more similar, then more constants, then older.
    fn better_than(&self, other: &Self) -> bool {
        (self.mismatches, -self.similarity, u32::MAX - self.constants, self.born).partial_cmp(&(
            other.mismatches,
            -other.similarity,
            u32::MAX - other.constants,
            other.born,
        )) == Some(std::cmp::Ordering::Less)
    }
}

impl Miner {
    /// Finds or makes the template of a line that missed the cache; returns its slot.
    pub(super) fn assign(&mut self, tokens: Vec<Sym>, glued: &[bool]) -> u32 {
        let length = tokens.len() as u32;
        let first = tokens.first().copied().unwrap_or(WILD);
        let mut joined: Option<(u32, Score)> = None;
        let keys = if first == WILD { vec![(length, WILD)] } else { vec![(length, first), (length, WILD)] };
        for key in keys {
            for &slot in self.table.bucket(key) {
                consider(&mut joined, slot, self.score(slot, &tokens).filter(|s| s.mismatches == 0));
            }
        }
        if let Some((slot, _)) = joined {
            return self.join(slot, &tokens);
        }
        let mut nearest: Option<(u32, Score)> = None;
        for &slot in self.table.of_length(length) {
            consider(&mut nearest, slot, self.score(slot, &tokens));
        }
        if let Some((slot, score)) = nearest {
            if score.mismatches == 0 {
                return self.join(slot, &tokens);
            }
            let differing = self.differing(slot, &tokens);
            if let Some(survivor) = self.family_merge(&tokens, glued, &differing) {
                return survivor;
            }
        }
        if let Some(slot) = self.glob_join(&tokens) {
            return slot;
        }
        let shape = match nearest {
            Some((slot, _)) => {
                let template = &self.table.get(slot).tokens;
                tokens.iter().zip(template).map(|(&a, &b)| if b == WILD { WILD } else { a }).collect()
            }
            None => tokens,
        };
        self.create(shape)
    }

    /// A template of the same token count, if within `max_mismatches` differing words and the similarity threshold.
    /// Punctuation is structure: it must face itself, or the line is misaligned with the template (a variable
    /// spanning another number of tokens shifted it), which the glob rule handles instead.
    fn score(&self, slot: u32, tokens: &[Sym]) -> Option<Score> {
        let t = self.table.get(slot);
        let (mut equal, mut mismatches) = (0u32, 0u32);
        for (&a, &b) in t.tokens.iter().zip(tokens) {
            if a == b {
                equal += u32::from(a != WILD);
                continue;
            }
            if !self.variable_fits(a, b) {
                return None;
            }
            if a != WILD && b != WILD {
                mismatches += 1;
                if mismatches as usize > self.settings.max_mismatches {
                    return None;
                }
            }
        }
        let similarity = if t.constants > 0 { f64::from(equal) / f64::from(t.constants) } else { 1.0 };
        (similarity >= self.settings.similarity).then_some(Score {
            mismatches,
            similarity,
            constants: t.constants,
            born: t.born,
        })
    }

    /// Whether two different tokens at one position could be values of one variable: neither is punctuation.
    fn variable_fits(&self, a: Sym, b: Sym) -> bool {
        (a == WILD || self.absorbable(a)) && (b == WILD || self.absorbable(b))
    }

    /// Positions where a template has a constant the line does not.
    fn differing(&self, slot: u32, tokens: &[Sym]) -> Vec<usize> {
        let t = &self.table.get(slot).tokens;
        (0..t.len()).filter(|&i| t[i] != WILD && tokens[i] != WILD && t[i] != tokens[i]).collect()
    }

    /// Joins a template, generalising it where the line differs; returns the (possibly merged) template's slot.
    fn join(&mut self, slot: u32, tokens: &[Sym]) -> u32 {
        let generalised = wildcard_where_different(&self.table.get(slot).tokens, tokens);
        if generalised == self.table.get(slot).tokens { slot } else { self.generalise(slot, generalised) }
    }

    /// The family rule (see the module docs); returns the surviving template's slot when the family merges.
    fn family_merge(&mut self, tokens: &[Sym], glued: &[bool], differing: &[usize]) -> Option<u32> {
        if differing.is_empty() {
            return None;
        }
        let needed = if differing == [0usize].as_slice() || differing.len() > 1 {
            self.settings.min_shared
        } else {
            self.settings.min_shared.min(1)
        };
        let length = tokens.len() as u32;
        let family: Vec<u32> = self
            .table
            .of_length(length)
            .iter()
            .copied()
            .filter(|&slot| {
                let t = &self.table.get(slot).tokens;
                let mut shared = 0;
                for (i, (&a, &b)) in t.iter().zip(tokens).enumerate() {
                    if a != b && !self.variable_fits(a, b) {
                        return false;
                    }
                    if differing.contains(&i) {
                        continue;
                    }
                    if a != WILD && b != WILD && a != b {
                        return false;
                    }
                    shared += usize::from(a == b && a != WILD);
                }
                shared >= needed
            })
            .collect();
        // Positions not yet shown variable in this context (no member has a wildcard there) are decided by their
        // distinct words. When several are, they must also vary independently: if the words at one position
        // determine those at another (`from NEW to UNASSIGNED`, `from UNASSIGNED to ASSIGNED`), they are an
        // enumeration of events, not variables, and there are no more combinations than words at one position.
        let unproven: Vec<usize> = differing
            .iter()
            .copied()
            .filter(|&p| family.iter().all(|&slot| self.table.get(slot).tokens[p] != WILD))
            .collect();
        let mut widest = 0;
        for &position in &unproven {
            let values: HashSet<Sym> =
                family.iter().map(|&slot| self.table.get(slot).tokens[position]).chain([tokens[position]]).collect();
            // A word glued to another by a delimiter (`user=root`, `AuthFail:sts`) is more often a field of fixed
            // values than a free one: it needs one distinct word more.
            let needed = self.settings.sibling_merge + usize::from(glued.get(position).copied().unwrap_or(false));
            if values.len() < needed {
                return None;
            }
            widest = widest.max(values.len());
        }
        if unproven.len() > 1 {
            let combinations: HashSet<Vec<Sym>> = family
                .iter()
                .map(|&slot| &self.table.get(slot).tokens)
                .chain([&tokens.to_vec()])
                .map(|t| unproven.iter().map(|&p| t[p]).collect())
                .collect();
            if combinations.len() <= widest {
                return None;
            }
        }
        let survivor = *family.iter().min_by_key(|&&slot| self.table.get(slot).born)?;
        let mut merged = tokens.to_vec();
        differing.iter().for_each(|&p| merged[p] = WILD);
        for &slot in &family {
            merged = wildcard_where_different(&merged, &self.table.get(slot).tokens);
        }
        for &slot in family.iter().filter(|&&slot| slot != survivor) {
            self.merge(slot, survivor);
        }
        Some(self.generalise(survivor, merged))
    }

    /// A template of another token count (or misaligned with the line) whose wildcards absorb the line's tokens
    /// (see the module docs); the most specific wins, then the oldest.
    fn glob_join(&self, tokens: &[Sym]) -> Option<u32> {
        let length = tokens.len() as u32;
        let constants = tokens.iter().filter(|t| **t != WILD).count() as u32;
        let mut best: Option<(u32, u32, u64)> = None;
        for other in length.saturating_sub(MAX_GLOB_EXTRA)..=length + MAX_GLOB_EXTRA {
            for &slot in self.table.of_length(other) {
                let t = self.table.get(slot);
                if t.wild
                    && t.constants >= 2
                    && constants >= t.constants
                    && 2 * t.constants >= constants
                    && best.is_none_or(|(_, c, born)| (t.constants, u64::MAX - t.born) > (c, u64::MAX - born))
                    && glob(&t.tokens, tokens, |sym| self.absorbable(sym))
                {
                    best = Some((slot, t.constants, t.born));
                }
            }
        }
        best.map(|(slot, _, _)| slot)
    }

    /// Whether a word may be part of a variable: it holds a letter or digit.
    fn absorbable(&self, sym: Sym) -> bool {
        self.words.name(sym).chars().any(char::is_alphanumeric)
    }

    /// After a template gained wildcards: templates that it now absorbs (more specific ones, or ones of other token
    /// counts) merge into it, so their cached sequences and ids lead to it.
    pub(super) fn absorb(&mut self, slot: u32) {
        let (pattern, length, constants) = {
            let t = self.table.get(slot);
            (t.tokens.clone(), t.tokens.len() as u32, t.constants)
        };
        if constants < 2 {
            return;
        }
        for other in length.saturating_sub(MAX_GLOB_EXTRA)..=length + MAX_GLOB_EXTRA {
            let absorbed: Vec<u32> = self
                .table
                .of_length(other)
                .iter()
                .copied()
                .filter(|&candidate| candidate != slot)
                .filter(|&candidate| {
                    let t = self.table.get(candidate);
                    t.constants >= constants
                        && 2 * constants >= t.constants
                        && glob(&pattern, &t.tokens, |sym| self.absorbable(sym))
                })
                .collect();
            for candidate in absorbed {
                self.merge(candidate, slot);
            }
        }
    }
}

/// Keeps the better of the best so far and a candidate.
fn consider(best: &mut Option<(u32, Score)>, slot: u32, score: Option<Score>) {
    if let Some(score) = score
        && best.is_none_or(|(_, b)| score.better_than(&b))
    {
        *best = Some((slot, score));
    }
}

/// `a` with a wildcard wherever it differs from `b`.
pub(super) fn wildcard_where_different(a: &[Sym], b: &[Sym]) -> Vec<Sym> {
    a.iter().zip(b).map(|(&x, &y)| if x == y { x } else { WILD }).collect()
}

/// Whether `text` matches `pattern` when each run of wildcards of the pattern takes one or more tokens: masked
/// values and words that are `absorbable` (they hold a letter or digit: punctuation such as `****` or `-` is
/// structure, not a value), never two words in a row (a value is a word, perhaps with masked parts, or a list of such;
/// two words in a row are a phrase). A wildcard of the text only fits inside one of the pattern's. Dynamic programming
/// over prefixes, O(len²) at worst.
pub(super) fn glob(pattern: &[Sym], text: &[Sym], absorbable: impl Fn(Sym) -> bool) -> bool {
    if (pattern.len() + 1) * (text.len() + 1) > MAX_GLOB_CELLS {
        return false;
    }
    // Cheap rejection first: the pattern's constants must appear in the text in order.
    let mut rest = text.iter();
    if !pattern.iter().filter(|p| **p != WILD).all(|p| rest.any(|t| t == p)) {
        return false;
    }
    let width = text.len() + 1;
    // matched[i * width + j]: pattern[..i] matches text[..j].
    let mut matched = vec![false; (pattern.len() + 1) * width];
    matched[0] = true;
    for (i, &p) in pattern.iter().enumerate() {
        if p == WILD && i > 0 && pattern[i - 1] == WILD {
            // A run of wildcards is one: this one matches what the previous one did.
            matched.copy_within(i * width..(i + 1) * width, (i + 1) * width);
            continue;
        }
        for j in 1..width {
            matched[(i + 1) * width + j] = if p == WILD {
                let mut found = false;
                for start in (0..j).rev() {
                    let word = text[start] != WILD;
                    if word && (!absorbable(text[start]) || (start + 1 < j && text[start + 1] != WILD)) {
                        break;
                    }
                    if matched[i * width + start] {
                        found = true;
                        break;
                    }
                }
                found
            } else {
                text[j - 1] == p && matched[i * width + j - 1]
            };
        }
    }
    matched[pattern.len() * width + text.len()]
}

#[cfg(test)]
mod tests {
    use super::{WILD, glob};

    #[test]
    fn a_wildcard_takes_one_or_more_tokens() {
        assert!(glob(&[WILD], &[5, WILD], |w| w != 9));
        assert!(glob(&[1, WILD, 2], &[1, WILD, 8, 2], |w| w != 9));
        assert!(glob(&[1, WILD, 2, WILD], &[1, 3, 2, 2, WILD], |w| w != 9));
        assert!(!glob(&[1, WILD, 2], &[1, 7, 8, 2], |w| w != 9), "a phrase is not a value");
        assert!(glob(&[1, WILD, 2], &[1, 7, WILD, 8, WILD, 2], |w| w != 9), "a list of values is one");
        assert!(glob(&[1, WILD, 2], &[1, WILD, 8, WILD, 2], |w| w != 9), "and any masked values around it");
        assert!(!glob(&[WILD, 1], &[1], |w| w != 9), "a wildcard takes at least one token");
        assert!(!glob(&[1, 2], &[1, WILD], |w| w != 9), "a masked value only fits a wildcard");
        assert!(glob(&[1, WILD], &[1, WILD, 3], |w| w != 9));
        assert!(glob(&[1, WILD, WILD, 2], &[1, 7, 2], |w| w != 9), "a run of wildcards is one");
        assert!(!glob(&[1, WILD, 2], &[1, 3, 4], |w| w != 9));
        assert!(glob(&[], &[], |w| w != 9) && !glob(&[], &[1], |w| w != 9) && !glob(&[WILD], &[], |w| w != 9));
    }
}
