//! The miner's interner: words as small integers, counted by the live templates that use them.
//!
//! Invariants:
//! - the interner holds the wildcard (always 0) and the words of the live templates, each with the number of their
//!   tokens that are it, plus, while a line is being assigned, that line's words (the miner holds them for the
//!   time being, so a template dropped meanwhile cannot take a word the line still needs);
//! - a word whose count falls to zero is dropped at once and its number reused, so the interner is bounded by the
//!   templates (no rebuild is ever needed) and holds exactly what a restored miner rebuilds from its templates: how
//!   many words were seen does not change later behaviour;
//! - nothing depends on which number a word gets: ties are broken by template age and snapshots write words by name.

use std::collections::HashMap;

use super::{Keyed, Sym, WILD, WILDCARD};

/// Interned words with reference counts (see the module docs).
#[derive(Debug)]
pub(super) struct Words {
    index: HashMap<Box<str>, Sym, Keyed>,
    names: Vec<Box<str>>,
    counts: Vec<u32>,
    free: Vec<Sym>,
}

impl Words {
    pub(super) fn new() -> Self {
        let mut words =
            Self { index: HashMap::default(), names: vec![WILDCARD.into()], counts: vec![1], free: Vec::new() };
        words.index.insert(WILDCARD.into(), WILD);
        words
    }

    /// The number of `word`, interning it if new; the caller retains it at once (a word nothing retains is dropped
    /// at the next release of it).
    pub(super) fn intern(&mut self, word: &str) -> Sym {
        if let Some(&sym) = self.index.get(word) {
            return sym;
        }
        let sym = match self.free.pop() {
            Some(sym) => {
                self.names[sym as usize] = word.into();
                sym
            }
            None => {
                self.names.push(word.into());
                self.counts.push(0);
                Sym::try_from(self.names.len() - 1).unwrap_or(Sym::MAX)
            }
        };
        self.index.insert(word.into(), sym);
        sym
    }

    /// The word of a number ("" for none).
    pub(super) fn name(&self, sym: Sym) -> &str {
        self.names.get(sym as usize).map_or("", |name| name)
    }

    /// Counts the tokens of a template that starts to use them.
    pub(super) fn retain(&mut self, tokens: &[Sym]) {
        for &sym in tokens.iter().filter(|s| **s != WILD) {
            if let Some(count) = self.counts.get_mut(sym as usize) {
                *count = count.saturating_add(1);
            }
        }
    }

    /// Uncounts the tokens of a template that stops using them; words no template uses are dropped.
    pub(super) fn release(&mut self, tokens: &[Sym]) {
        for &sym in tokens.iter().filter(|s| **s != WILD) {
            if let Some(count) = self.counts.get_mut(sym as usize) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.drop_word(sym);
                }
            }
        }
    }

    fn drop_word(&mut self, sym: Sym) {
        let Some(name) = self.names.get_mut(sym as usize) else { return };
        if sym == WILD || name.is_empty() {
            return;
        }
        let word = std::mem::take(name);
        self.index.remove(&word);
        self.free.push(sym);
    }

    /// Words held (the wildcard included).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.index.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_live_as_long_as_a_template_uses_them() {
        let mut words = Words::new();
        // A line's words, held while it is assigned; a template takes alpha only.
        let line = [words.intern("alpha"), words.intern("beta")];
        words.retain(&line);
        words.retain(&[line[0], WILD]);
        words.release(&line);
        assert_eq!(words.len(), 2, "beta was taken by no template");
        assert_eq!(words.intern("alpha"), line[0]);
        let gamma = words.intern("gamma");
        assert_eq!(gamma, line[1], "a dropped word's number is reused");
        words.retain(&[line[0], gamma]);
        words.release(&[line[0], WILD]);
        assert_eq!(words.name(line[0]), "alpha", "still used once");
        words.release(&[line[0], gamma]);
        assert_eq!(words.len(), 1);
        assert_eq!(words.name(WILD), WILDCARD);
    }
}
