//! The miner's state as a self-contained value, for checkpoints, so a restored miner assigns every later line exactly
//! as the original would have.
//!
//! What behaviour depends on, and hence what is kept:
//! - the live templates in creation order (the order breaks ties in eviction), each with its id, tokens as text,
//!   count, last-seen tick, the first token of its bucket key (a template whose first token generalised may stay in
//!   its bucket) and whether its id is registered (false only if another template with the same text took the id);
//! - the order of every bucket: it decides ties between equally good templates and which template of a family
//!   survives a merge;
//! - the id aliases and the clock;
//! - the exact-sequence cache: a sequence seen before goes straight to the template it went to then (following
//!   merges), which can differ from what scoring the line afresh would pick, so an empty cache would change later
//!   assignments; its entries point to the live template they lead to, or to a dead placeholder;
//! - the interner's size, so the interner is compacted (which clears the cache) at the same line as the original's.
//!
//! There is no other per-position state: the sibling merge turns a position variable when the templates of its
//! family hold enough distinct words there, so the templates are that state. Merged and evicted templates are left
//! out: with the cache pointing past them they are unreachable. Tokens are written through a word table of the
//! snapshot's own, so the interner's numbering is not part of the format, and every table is in an order that does
//! not depend on it, so the same state always gives the same bytes. Restoring rebuilds the interner, `index`,
//! `by_length` and `by_id` and validates every reference, so a bad state is an error, never a panic later.

use serde::{Deserialize, Serialize};

use super::{FastMap, MAX_INTERNED, Miner, MinerSettings, Sym, Template, WILD};

/// A miner's state (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct MinerState {
    /// Words of the templates and cached sequences; a token `n` is `words[n - 1]`, and 0 is the wildcard.
    words: Vec<String>,
    /// Live templates, oldest first.
    templates: Vec<TemplateState>,
    /// Every non-empty bucket: its templates (positions in `templates`) in match order.
    buckets: Vec<Vec<u32>>,
    /// Old template ids and what they stand for now.
    alias: Vec<(u64, u64)>,
    /// Cached token sequences and the live template each leads to (`None`: one no longer alive).
    cache: Vec<(Vec<u32>, Option<u32>)>,
    /// Words in the interner, live or not.
    interned: u64,
    /// The miner's clock (lines seen).
    now: u64,
}

/// One live template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct TemplateState {
    id: u64,
    /// Tokens as positions in the word table (0 is the wildcard).
    tokens: Vec<u32>,
    count: u64,
    last: u64,
    /// First token of its bucket's key.
    first: u32,
    /// Whether the id resolves to this template.
    registered: bool,
}

/// Assigns word-table positions to interned words, in order of first use.
struct WordTable<'a> {
    names: &'a [Box<str>],
    position: FastMap<Sym, u32>,
    words: Vec<String>,
}

impl WordTable<'_> {
    fn word(&mut self, sym: Sym) -> u32 {
        if sym == WILD {
            return 0;
        }
        let (names, words) = (self.names, &mut self.words);
        *self.position.entry(sym).or_insert_with(|| {
            words.push(names.get(sym as usize).map_or_else(String::new, |name| name.to_string()));
            words.len() as u32
        })
    }
}

impl Miner {
    /// The miner's state, for a checkpoint.
    pub(crate) fn state(&self) -> MinerState {
        let mut table = WordTable { names: &self.names, position: FastMap::default(), words: Vec::new() };
        let mut position: Vec<Option<u32>> = vec![None; self.templates.len()];
        let mut templates = Vec::new();
        for (index, template) in self.templates.iter().enumerate().filter(|(_, t)| t.alive) {
            position[index] = Some(templates.len() as u32);
            templates.push(TemplateState {
                id: template.id,
                tokens: template.tokens.iter().map(|sym| table.word(*sym)).collect(),
                count: template.count,
                last: template.last,
                first: table.word(template.key.1),
                registered: self.by_id.get(&template.id) == Some(&index),
            });
        }
        let mut buckets: Vec<Vec<u32>> = self
            .index
            .values()
            .map(|bucket| bucket.iter().filter_map(|&t| position.get(t).copied().flatten()).collect::<Vec<u32>>())
            .filter(|bucket| !bucket.is_empty())
            .collect();
        buckets.sort_unstable();
        let mut alias: Vec<(u64, u64)> = self.alias.iter().map(|(from, to)| (*from, *to)).collect();
        alias.sort_unstable();
        // Cached sequences in the order of their text, so the word table does not depend on the interner.
        let text = |tokens: &[Sym]| -> Vec<&str> {
            tokens.iter().map(|sym| self.names.get(*sym as usize).map_or("", |name| &**name)).collect()
        };
        let mut cached: Vec<(Vec<&str>, &Vec<Sym>, usize)> =
            self.cache.iter().map(|(tokens, template)| (text(tokens), tokens, *template)).collect();
        cached.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let cache = cached
            .into_iter()
            .map(|(_, tokens, template)| {
                let live = self.follow(template);
                let target = if self.templates[live].alive { position[live] } else { None };
                (tokens.iter().map(|sym| table.word(*sym)).collect(), target)
            })
            .collect();
        MinerState {
            words: table.words,
            templates,
            buckets,
            alias,
            cache,
            interned: self.names.len() as u64,
            now: self.now,
        }
    }

    /// Replaces the state with `state`, keeping the settings; all or nothing. Past the settings' `max_templates`,
    /// the least recently matched templates are dropped, as eviction would have. Errors say what is inconsistent.
    pub(crate) fn restore_state(&mut self, state: MinerState) -> Result<(), String> {
        *self = Self::from_state(self.settings.clone(), state)?;
        Ok(())
    }

    fn from_state(settings: MinerSettings, state: MinerState) -> Result<Self, String> {
        let MinerState { words, templates, buckets, alias, cache, interned, now } = state;
        let mut miner = Self::new(settings);
        let syms: Vec<Sym> = std::iter::once(WILD).chain(words.iter().map(|word| miner.intern(word))).collect();
        let sym = |word: u32| syms.get(word as usize).copied().ok_or_else(|| format!("unknown word {word}"));
        let sequence = |words: &[u32]| words.iter().map(|word| sym(*word)).collect::<Result<Vec<Sym>, String>>();

        // Templates past the bound, least recently matched first (the order eviction takes them in).
        let registered = templates.iter().filter(|t| t.registered).count();
        let mut dropped = vec![false; templates.len()];
        if registered > miner.settings.max_templates {
            let mut by_age: Vec<usize> = (0..templates.len()).filter(|&t| templates[t].registered).collect();
            by_age.sort_unstable_by_key(|&t| (templates[t].last, t));
            by_age.iter().take(registered - miner.settings.max_templates).for_each(|&t| dropped[t] = true);
        }

        let mut index_of: Vec<Option<usize>> = vec![None; templates.len()];
        for (position, template) in templates.into_iter().enumerate() {
            if dropped[position] {
                continue;
            }
            let tokens = sequence(&template.tokens)?;
            let index = miner.templates.len();
            if template.registered && miner.by_id.insert(template.id, index).is_some() {
                return Err(format!("template id {:016x} registered twice", template.id));
            }
            miner.by_length.entry(tokens.len()).or_default().push(index);
            miner.templates.push(Template {
                id: template.id,
                key: (tokens.len(), sym(template.first)?),
                constants: tokens.iter().filter(|s| **s != WILD).count(),
                tokens,
                count: template.count,
                last: template.last,
                alive: true,
                merged_into: None,
            });
            index_of[position] = Some(index);
        }

        let mut indexed = vec![false; miner.templates.len()];
        for bucket in buckets {
            let mut members = Vec::with_capacity(bucket.len());
            for position in bucket {
                let slot = index_of.get(position as usize).ok_or_else(|| format!("unknown template {position}"))?;
                let Some(index) = *slot else { continue };
                if std::mem::replace(&mut indexed[index], true) {
                    return Err(format!("template {position} is in two buckets"));
                }
                members.push(index);
            }
            let Some(&head) = members.first() else { continue };
            let key = miner.templates[head].key;
            if members.iter().any(|&t| miner.templates[t].key != key) {
                return Err("a bucket holds templates of different keys".into());
            }
            if miner.index.insert(key, members).is_some() {
                return Err("two buckets have the same key".into());
            }
        }

        // Cache entries of templates no longer alive (or dropped by the bound) point to one dead placeholder: a hit
        // on them is scored afresh, as in the original, and they still count towards the cache's bound.
        let mut placeholder = None;
        for (words, target) in cache {
            let tokens = sequence(&words)?;
            let live = match target {
                Some(position) => {
                    *index_of.get(position as usize).ok_or_else(|| format!("unknown cached template {position}"))?
                }
                None => None,
            };
            let template = match live {
                Some(index) => index,
                None => *placeholder.get_or_insert_with(|| {
                    miner.templates.push(Template {
                        id: 0,
                        tokens: Vec::new(),
                        count: 0,
                        last: 0,
                        key: (0, WILD),
                        constants: 0,
                        alive: false,
                        merged_into: None,
                    });
                    miner.templates.len() - 1
                }),
            };
            miner.cache.insert(tokens, template);
        }

        // Unnamed entries stand for the original's words no template uses any more, so the interner reaches its
        // bound, and is compacted, at the same line.
        let interned = usize::try_from(interned).unwrap_or(usize::MAX).min(MAX_INTERNED + 1);
        if miner.names.len() < interned {
            miner.names.resize(interned, Box::from(""));
        }
        miner.alias.extend(alias);
        miner.now = now;
        Ok(miner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mined(settings: MinerSettings, lines: impl IntoIterator<Item = String>) -> Miner {
        let mut miner = Miner::new(settings);
        lines.into_iter().for_each(|line| {
            miner.add(&line);
        });
        miner
    }

    fn events(count: usize) -> impl Iterator<Item = String> {
        const USERS: [&str; 6] = ["ann", "ben", "cat", "dan", "eve", "fay"];
        (0..count).map(|i| match i % 4 {
            0 => format!("session opened for user {}", USERS[i % USERS.len()]),
            1 => format!("interface eth0 link {}", ["up", "down"][i % 2]),
            2 => format!("disk sd{} is {} full", ["a", "b", "c"][i % 3], i % 100),
            _ => format!("{} restarted after upgrade to the new release", ["cron", "sshd", "nginx", "dockerd"][i % 4]),
        })
    }

    fn restored(settings: MinerSettings, state: MinerState) -> Miner {
        let mut miner = Miner::new(settings);
        miner.restore_state(state).unwrap_or_else(|e| panic!("{e}"));
        miner
    }

    #[test]
    fn the_interner_size_survives_so_it_is_compacted_at_the_same_line() {
        // Unique words, most of whose templates are evicted: the interner holds far more words than the state needs.
        let settings = MinerSettings { max_templates: 50, ..MinerSettings::default() };
        let lines = (0..3_000u64).map(|i| format!("{} {} {}", letters(3 * i), letters(3 * i + 1), letters(3 * i + 2)));
        let original = mined(settings.clone(), lines);
        let state = original.state();
        assert!(state.words.len() < original.names.len(), "{} of {}", state.words.len(), original.names.len());
        let copy = restored(settings, state.clone());
        assert_eq!(copy.names.len(), original.names.len());
        assert_eq!(copy.state(), state);
    }

    /// A distinct letters-only word per `i` (masking keeps it).
    fn letters(mut i: u64) -> String {
        let mut word = String::from("u");
        loop {
            word.push(char::from(b'a' + (i % 26) as u8));
            i /= 26;
            if i == 0 {
                return word;
            }
        }
    }

    #[test]
    fn restore_drops_the_least_recently_matched_past_the_bound() {
        let original = mined(MinerSettings::default(), events(400));
        let state = original.state();
        let mut recent: Vec<(u64, u64)> =
            state.templates.iter().filter(|t| t.registered).map(|t| (t.last, t.id)).collect();
        recent.sort_unstable();
        assert!(recent.len() > 3, "{} templates", recent.len());
        let mut small = restored(MinerSettings { max_templates: 3, ..MinerSettings::default() }, state);
        assert_eq!(small.templates(), 3);
        let mut kept: Vec<u64> = small.live_templates().iter().map(|t| t.id).collect();
        let mut expected: Vec<u64> = recent[recent.len() - 3..].iter().map(|(_, id)| *id).collect();
        kept.sort_unstable();
        expected.sort_unstable();
        assert_eq!(kept, expected, "the most recently matched are kept");
        events(400).for_each(|line| {
            small.add(&line);
            assert!(small.templates() <= 3);
        });
    }

    /// A way to damage a state.
    type Breakage = Box<dyn Fn(&mut MinerState)>;

    #[test]
    fn inconsistent_states_are_refused() {
        let state = mined(MinerSettings::default(), events(400)).state();
        let words = state.words.len() as u32;
        let templates = state.templates.len() as u32;
        let broken: Vec<(&str, Breakage)> = vec![
            ("unknown word", Box::new(move |s| s.templates[0].tokens[0] = words + 1)),
            ("unknown word", Box::new(move |s| s.templates[0].first = words + 7)),
            ("unknown word", Box::new(move |s| s.cache[0].0.push(words + 1))),
            ("unknown template", Box::new(move |s| s.buckets[0].push(templates))),
            ("unknown cached template", Box::new(move |s| s.cache[0].1 = Some(templates + 3))),
            ("two buckets", Box::new(|s| s.buckets.push(vec![0]))),
            ("registered twice", Box::new(|s| s.templates[1].id = s.templates[0].id)),
            (
                "different keys",
                Box::new(|s| {
                    let other = s.buckets[1].clone();
                    s.buckets[0].extend(other);
                }),
            ),
        ];
        for (why, break_it) in broken {
            let mut bad = state.clone();
            break_it(&mut bad);
            let mut miner = Miner::new(MinerSettings::default());
            let error = miner.restore_state(bad).err().unwrap_or_else(|| panic!("accepted despite {why}"));
            assert!(error.contains(why), "{error} (expected {why})");
        }
    }

    #[test]
    fn an_empty_miner_round_trips() {
        let state = Miner::new(MinerSettings::default()).state();
        let mut miner = restored(MinerSettings::default(), state.clone());
        assert_eq!(miner.templates(), 0);
        assert_eq!(miner.state(), state);
        let id = miner.add("hello world");
        assert_eq!(miner.template(id).as_deref(), Some("hello world"));
    }
}
