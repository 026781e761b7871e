//! The miner's state as a self-contained value, for checkpoints, so a restored miner assigns every later line exactly
//! as the original would have.
//!
//! What behaviour depends on, and hence what is kept:
//! - the live templates in creation order, each with its id, tokens as text, count, last-seen tick, creation number
//!   (ties between templates go to the oldest) and whether its id is registered;
//! - the order of every bucket and length list (a scan is cut at `MAX_SCAN`, so order can decide what is seen) and the
//!   recency order (eviction takes the least recently matched);
//! - the id aliases, the clock and the creation counter;
//! - the exact-sequence cache: a sequence seen before goes straight to the template it went to then, which can differ
//!   from what matching the line afresh would pick; entries of templates no longer alive are kept without a target
//!   (a lookup ignores them, but they count towards the cache's bounds, which decide when it is cleared);
//!
//! Tokens are written through a word table of the snapshot's own, so the interner's numbering is not part of the
//! format, and every table is in an order that does not depend on it or on slots, so the same state always gives the
//! same bytes. Restoring rebuilds the interner and the table and validates every reference, so a bad state is an
//! error, never a panic later.

use serde::{Deserialize, Serialize};

use super::{Keyed, Miner, MinerSettings, Sym, Template, WILD, words::Words};

/// A miner's state (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct MinerState {
    /// Words of the templates; a token `n` is `words[n - 1]`, and 0 is the wildcard.
    words: Vec<String>,
    /// Live templates, oldest first.
    templates: Vec<TemplateState>,
    /// Every bucket: its templates (positions in `templates`) in order.
    buckets: Vec<Vec<u32>>,
    /// Every length list, in order.
    lengths: Vec<Vec<u32>>,
    /// Templates from the least to the most recently matched.
    recency: Vec<u32>,
    /// Old template ids and what they stand for now.
    alias: Vec<(u64, u64)>,
    /// Cached masked sequences (the cache's key bytes) and the template each leads to, if it is alive.
    cache: Vec<(Vec<u8>, Option<u32>)>,
    /// The miner's clock (lines seen).
    now: u64,
    /// Templates created so far.
    born: u64,
}

/// One live template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct TemplateState {
    id: u64,
    /// Tokens as positions in the word table (0 is the wildcard).
    tokens: Vec<u32>,
    count: u64,
    last: u64,
    born: u64,
    /// Whether the id resolves to this template.
    registered: bool,
}

/// Assigns word-table positions to interned words, in order of first use.
struct WordTable<'a> {
    names: &'a Words,
    position: std::collections::HashMap<Sym, u32, Keyed>,
    words: Vec<String>,
}

impl WordTable<'_> {
    fn word(&mut self, sym: Sym) -> u32 {
        if sym == WILD {
            return 0;
        }
        let (names, words) = (self.names, &mut self.words);
        *self.position.entry(sym).or_insert_with(|| {
            words.push(names.name(sym).to_owned());
            words.len() as u32
        })
    }
}

impl Miner {
    /// The miner's state, for a checkpoint.
    pub(crate) fn state(&self) -> MinerState {
        let mut table = WordTable { names: &self.words, position: Default::default(), words: Vec::new() };
        let mut live: Vec<u32> = self.table.live_slots().collect();
        live.sort_unstable_by_key(|&slot| self.table.get(slot).born);
        let mut position = std::collections::HashMap::<u32, u32>::new();
        let templates = live
            .iter()
            .enumerate()
            .map(|(index, &slot)| {
                position.insert(slot, index as u32);
                let t = self.table.get(slot);
                TemplateState {
                    id: t.id,
                    tokens: t.tokens.iter().map(|sym| table.word(*sym)).collect(),
                    count: t.count,
                    last: t.last,
                    born: t.born,
                    registered: self.table.by_id.get(&t.id) == Some(&slot),
                }
            })
            .collect();
        let at = |slot: &u32| position.get(slot).copied().unwrap_or(u32::MAX);
        let (bucket_lists, length_lists) = self.table.lists();
        let mut buckets: Vec<Vec<u32>> = bucket_lists.iter().map(|b| b.iter().map(at).collect()).collect();
        buckets.sort_unstable();
        let mut lengths: Vec<Vec<u32>> = length_lists.iter().map(|b| b.iter().map(at).collect()).collect();
        lengths.sort_unstable();
        let recency = self.table.by_recency().iter().map(at).collect();
        let mut alias: Vec<(u64, u64)> = self.alias.iter().map(|(from, to)| (*from, *to)).collect();
        alias.sort_unstable();
        let mut cache: Vec<(Vec<u8>, Option<u32>)> = self
            .cache
            .iter()
            .map(|(key, handle)| (key.to_vec(), self.table.resolve(*handle).map(|slot| at(&slot))))
            .collect();
        cache.sort_unstable();
        MinerState {
            words: table.words,
            templates,
            buckets,
            lengths,
            recency,
            alias,
            cache,
            now: self.now,
            born: self.born,
        }
    }

    /// Replaces the state with `state`, keeping the settings; all or nothing. Past the settings' `max_templates`,
    /// the least recently matched templates are dropped, as eviction would have. Errors say what is inconsistent.
    pub(crate) fn restore_state(&mut self, state: MinerState) -> Result<(), String> {
        *self = Self::from_state(self.settings.clone(), state)?;
        Ok(())
    }

    fn from_state(settings: MinerSettings, state: MinerState) -> Result<Self, String> {
        let MinerState { words, templates, buckets, lengths, recency, alias, cache, now, born } = state;
        let mut miner = Self::new(settings);
        let syms: Vec<Sym> = std::iter::once(WILD).chain(words.iter().map(|word| miner.words.intern(word))).collect();
        // Held while the templates are restored, released after: words no template uses are not kept.
        miner.words.retain(&syms);
        let sym = |word: u32| syms.get(word as usize).copied().ok_or_else(|| format!("unknown word {word}"));
        let count = templates.len();
        let known = |position: u32| -> Result<usize, String> {
            let position = position as usize;
            (position < count).then_some(position).ok_or_else(|| format!("unknown template {position}"))
        };
        if recency.len() != count {
            return Err(format!("recency names {} of {count} templates", recency.len()));
        }
        let mut seen = vec![false; count];
        for &position in &recency {
            if std::mem::replace(&mut seen[known(position)?], true) {
                return Err(format!("template {position} twice in the recency order"));
            }
        }
        // Templates past the bound, least recently matched first (the order eviction takes them in).
        let excess = count.saturating_sub(miner.settings.max_templates.max(1));
        let mut dropped = vec![false; count];
        recency.iter().take(excess).for_each(|&position| dropped[position as usize] = true);

        let mut slot_of: Vec<Option<u32>> = vec![None; count];
        let mut previous_born = 0;
        for (position, template) in templates.into_iter().enumerate() {
            if template.born <= previous_born || template.born > born {
                return Err(format!("template {position} is out of creation order"));
            }
            previous_born = template.born;
            if dropped[position] {
                continue;
            }
            let tokens = template.tokens.iter().map(|word| sym(*word)).collect::<Result<Vec<Sym>, String>>()?;
            if template.registered && miner.table.by_id.contains_key(&template.id) {
                return Err(format!("template id {:016x} registered twice", template.id));
            }
            miner.words.retain(&tokens);
            let slot =
                miner.table.insert(Template::new(template.id, tokens, template.count, template.last, template.born));
            if !template.registered && miner.table.by_id.get(&template.id) == Some(&slot) {
                miner.table.by_id.remove(&template.id);
            }
            slot_of[position] = Some(slot);
        }
        for (lists, bucket) in [(buckets, true), (lengths, false)] {
            for list in lists {
                let mut slots = Vec::with_capacity(list.len());
                for position in list {
                    if let Some(slot) = slot_of[known(position)?] {
                        slots.push(slot);
                    }
                }
                miner.table.reorder(&slots, bucket)?;
            }
        }
        for &position in &recency {
            if let Some(slot) = slot_of[position as usize] {
                let last = miner.table.get(slot).last;
                miner.table.touch(slot, last);
            }
        }
        for (key, position) in cache.into_iter().take(super::MAX_CACHE) {
            let handle = match position {
                Some(position) => slot_of[known(position)?].map(|slot| miner.table.handle(slot)),
                None => None,
            };
            miner.cache_insert(&key, handle.unwrap_or(super::table::STALE));
        }
        miner.words.release(&syms);
        miner.alias.extend(alias);
        miner.now = now;
        miner.born = born;
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
    fn the_interner_holds_the_words_of_live_templates_only_so_a_restored_miner_continues_exactly() {
        // Unique words, most of whose templates are evicted.
        let settings = MinerSettings { max_templates: 50, ..MinerSettings::default() };
        let lines = |range: std::ops::Range<u64>| {
            range.map(|i| format!("{} {} {}", letters(3 * i % 4000), letters(3 * i + 1), letters(3 * i + 2)))
        };
        let mut original = mined(settings.clone(), lines(0..3_000));
        let state = original.state();
        assert_eq!(original.words.len(), state.words.len() + 1, "the wildcard and the templates' words");
        let mut copy = restored(settings, state.clone());
        assert_eq!(copy.state(), state);
        // Later lines reuse words of evicted templates; both miners must agree on everything.
        for line in lines(1_000..2_500) {
            assert_eq!(original.add(&line), copy.add(&line), "{line}");
        }
        assert_eq!(copy.state(), original.state());
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
            ("unknown template", Box::new(move |s| s.buckets[0].push(templates))),
            ("unknown template", Box::new(move |s| s.lengths[0].push(templates + 2))),
            ("unknown template", Box::new(move |s| s.cache[0].1 = Some(templates + 3))),
            ("recency names", Box::new(|s| s.recency.truncate(1))),
            ("twice in the recency", Box::new(|s| s.recency[1] = s.recency[0])),
            ("out of creation order", Box::new(|s| s.templates.swap(0, 1))),
            ("out of creation order", Box::new(|s| s.born = 1)),
            ("registered twice", Box::new(|s| s.templates[1].id = s.templates[0].id)),
            (
                "exactly its templates",
                Box::new(|s| {
                    let other = s.buckets[1][0];
                    s.buckets[0].push(other);
                }),
            ),
            ("exactly its templates", Box::new(|s| s.lengths[0].pop().map_or((), |_| ()))),
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
