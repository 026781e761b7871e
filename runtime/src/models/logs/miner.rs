//! The template miner: one pass, online. Each line is masked and tokenised in one pass over its bytes, found in an
//! exact-sequence cache (the common case: one keyed hash of the masked bytes and one probe), or else matched to a
//! template by the rules of `family` (same token count, then families whose differing positions have shown enough
//! distinct words, then templates whose wildcards absorb a variable that spans several tokens).
//!
//! Invariants:
//! - a template id is FNV-1a-64 of the template's tokens joined by 0x1F (the wildcard as `<*>`): a fixed hash of the
//!   content, so replicas and restarts that saw the same generalisations agree on ids; when a template generalises or
//!   merges, its old id is mapped to the new one (an alias) and an event says so;
//! - tables keyed by words or ids that come from log lines (the interner, the cache, the aliases, the buckets) hash
//!   with a per-process random key, so no sender can choose lines that collide (hash flooding);
//! - memory is bounded: at most `max_templates` templates (the least recently matched is evicted in O(1)), at most
//!   [`MAX_CACHE`] cached sequences of at most [`MAX_CACHE_BYTES`] in all, interned words only while a live template
//!   uses them, and aliases pruned to those that still lead to a live template once they outnumber them.

use std::collections::HashMap;

mod family;
mod snapshot;
mod table;
mod tokens;
mod words;

pub(crate) use snapshot::MinerState;
use table::{Handle, Table, Template};
use tokens::Tokenizer;
use words::Words;

/// Per-process randomly keyed hashing for the tables whose keys come from log lines.
type Keyed = foldhash::fast::RandomState;

/// A token: an index into the miner's interner; `WILD` is `<*>`.
type Sym = u32;
const WILD: Sym = 0;
/// The wildcard as text.
pub const WILDCARD: &str = "<*>";

/// Miner settings.
#[derive(Clone, Debug, PartialEq)]
pub struct MinerSettings {
    /// Characters that split a token, besides whitespace (ASCII only).
    pub delimiters: String,
    /// Share of a template's constants a line must match.
    pub similarity: f64,
    /// Distinct words at one position that make it a variable.
    pub sibling_merge: usize,
    /// Most differing words between a line and a template of its family.
    pub max_mismatches: usize,
    /// Constants a family must share with a line when it differs at the first word or at several positions.
    pub min_shared: usize,
    /// Most templates kept; the least recently matched is evicted past it.
    pub max_templates: usize,
}

impl Default for MinerSettings {
    fn default() -> Self {
        Self {
            delimiters: "=:,;()[]{}<>|\"'".into(),
            similarity: 0.5,
            sibling_merge: 4,
            max_mismatches: 3,
            min_shared: 3,
            max_templates: 100_000,
        }
    }
}

/// Exact sequences cached before the cache is cleared (it only accelerates).
const MAX_CACHE: usize = 1 << 16;
/// Bytes of cached keys before the cache is cleared (long lines make long keys).
const MAX_CACHE_BYTES: usize = 32 << 20;

/// What happened to a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateEvent {
    /// A new template.
    Created(u64),
    /// A template generalised (old id, new id).
    Generalised(u64, u64),
    /// A template was merged into another (old id, surviving id).
    Merged(u64, u64),
    /// A template was evicted by the bound.
    Evicted(u64),
}

/// The streaming template miner.
#[derive(Debug)]
pub struct Miner {
    settings: MinerSettings,
    tokenizer: Tokenizer,
    words: Words,
    table: Table,
    alias: HashMap<u64, u64, Keyed>,
    cache: HashMap<Box<[u8]>, Handle, Keyed>,
    /// Bytes of the cache's keys.
    cache_bytes: usize,
    events: Vec<TemplateEvent>,
    now: u64,
    born: u64,
    /// The masked key of the line being added, reused from line to line.
    key: Vec<u8>,
}

impl Miner {
    /// A miner with `settings`.
    pub fn new(settings: MinerSettings) -> Self {
        Self {
            tokenizer: Tokenizer::new(&settings.delimiters),
            settings,
            words: Words::new(),
            table: Table::new(),
            alias: HashMap::default(),
            cache: HashMap::default(),
            cache_bytes: 0,
            events: Vec::new(),
            now: 0,
            born: 0,
            key: Vec::new(),
        }
    }

    /// FNV-1a-64 of the tokens joined by 0x1F: the documented, content-stable template id.
    fn template_id(&self, tokens: &[Sym]) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for (i, sym) in tokens.iter().enumerate() {
            if i > 0 {
                hash = (hash ^ 0x1f).wrapping_mul(0x0100_0000_01b3);
            }
            for byte in self.words.name(*sym).bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        hash
    }

    /// Feeds one line; returns the id of the template it belongs to now.
    pub fn add(&mut self, line: &str) -> u64 {
        // Saturating: a restored clock or count may be anything.
        self.now = self.now.saturating_add(1);
        let mut key = std::mem::take(&mut self.key);
        self.tokenizer.tokenize(line, &mut key);
        let slot = match self.cache.get(key.as_slice()).and_then(|handle| self.table.resolve(*handle)) {
            Some(slot) => slot,
            None => {
                let pieces = tokens::pieces(&key);
                let glued: Vec<bool> = pieces.iter().map(|(_, glued)| *glued).collect();
                let tokens: Vec<Sym> =
                    pieces.into_iter().map(|(piece, _)| piece.map_or(WILD, |word| self.words.intern(word))).collect();
                // The line holds its words while it is assigned, so no template dropped meanwhile takes them away.
                self.words.retain(&tokens);
                let slot = self.assign(tokens.clone(), &glued);
                self.words.release(&tokens);
                self.cache_insert(&key, self.table.handle(slot));
                slot
            }
        };
        self.key = key;
        self.table.touch(slot, self.now);
        let template = self.table.get_mut(slot);
        template.count = template.count.saturating_add(1);
        template.id
    }

    fn cache_insert(&mut self, key: &[u8], handle: Handle) {
        if self.cache.len() >= MAX_CACHE || self.cache_bytes + key.len() > MAX_CACHE_BYTES {
            self.cache.clear();
            self.cache_bytes = 0;
        }
        self.cache_bytes += key.len();
        self.cache.insert(key.into(), handle);
    }

    /// A new template (or the live one with the same tokens).
    fn create(&mut self, tokens: Vec<Sym>) -> u32 {
        let id = self.template_id(&tokens);
        if let Some(&slot) = self.table.by_id.get(&id)
            && self.table.get(slot).tokens == tokens
        {
            return slot;
        }
        self.born = self.born.saturating_add(1);
        self.words.retain(&tokens);
        let slot = self.table.insert(Template::new(id, tokens, 0, self.now, self.born));
        self.alias.remove(&id);
        self.events.push(TemplateEvent::Created(id));
        self.evict(slot);
        if self.table.get(slot).wild {
            self.absorb(slot);
        }
        slot
    }

    /// Merges a template into another: its lines count for the survivor and its id resolves to it.
    fn merge(&mut self, slot: u32, into: u32) {
        if slot == into {
            return;
        }
        let (count, last, id) = {
            let t = self.table.get(slot);
            (t.count, t.last, t.id)
        };
        let survivor = self.table.get_mut(into);
        survivor.count = survivor.count.saturating_add(count);
        survivor.last = survivor.last.max(last);
        let survivor_id = survivor.id;
        self.remove(slot);
        if id != survivor_id {
            self.alias.insert(id, survivor_id);
        }
        self.events.push(TemplateEvent::Merged(id, survivor_id));
    }

    /// Gives a template new tokens (of the same count); returns the slot that holds them afterwards (another
    /// template with the same tokens absorbs it). Templates of more tokens that it now absorbs merge into it.
    fn generalise(&mut self, slot: u32, tokens: Vec<Sym>) -> u32 {
        let old = self.table.get(slot).id;
        if self.table.by_id.get(&old) == Some(&slot) {
            self.table.by_id.remove(&old);
        }
        let id = self.template_id(&tokens);
        let key = (tokens.len() as u32, tokens.first().copied().unwrap_or(WILD));
        self.words.retain(&tokens);
        let old_tokens = std::mem::take(&mut self.table.get_mut(slot).tokens);
        self.words.release(&old_tokens);
        self.table.set_tokens(slot, tokens, id);
        self.table.rekey(slot, key);
        if old != id {
            self.alias.insert(old, id);
            self.events.push(TemplateEvent::Generalised(old, id));
        }
        let live = match self.table.by_id.get(&id) {
            Some(&other) if other != slot => {
                self.merge(slot, other);
                other
            }
            _ => {
                self.table.by_id.insert(id, slot);
                self.alias.remove(&id);
                slot
            }
        };
        self.absorb(live);
        live
    }

    /// Evicts the least recently matched templates past the bound, never `keep`.
    fn evict(&mut self, keep: u32) {
        while self.table.len() > self.settings.max_templates.max(1) {
            let Some(victim) = self.table.oldest().filter(|&v| v != keep) else { return };
            let id = self.table.get(victim).id;
            self.remove(victim);
            self.events.push(TemplateEvent::Evicted(id));
        }
        if self.alias.len() > 2 * self.table.len() + 1024 {
            self.prune_aliases();
        }
    }

    /// Drops aliases that no longer lead to a live template.
    fn prune_aliases(&mut self) {
        let dead: Vec<u64> =
            self.alias.keys().copied().filter(|&id| !self.table.by_id.contains_key(&self.resolve(id))).collect();
        dead.iter().for_each(|id| {
            self.alias.remove(id);
        });
    }

    /// Removes a template; words only it used are dropped.
    fn remove(&mut self, slot: u32) {
        let tokens = self.table.get(slot).tokens.clone();
        self.table.remove(slot);
        self.words.release(&tokens);
    }

    /// The current id an id stands for: itself while its template is live, else where its generalisations and
    /// merges led.
    pub fn resolve(&self, mut id: u64) -> u64 {
        for _ in 0..10_000 {
            if self.table.by_id.contains_key(&id) {
                break;
            }
            match self.alias.get(&id) {
                Some(&next) if next != id => id = next,
                _ => break,
            }
        }
        id
    }

    fn text(&self, tokens: &[Sym]) -> String {
        let words: Vec<&str> = tokens.iter().map(|s| self.words.name(*s)).collect();
        words.join(" ")
    }

    /// The template text of a (resolved) id, if it is live.
    pub fn template(&self, id: u64) -> Option<String> {
        let slot = *self.table.by_id.get(&self.resolve(id))?;
        Some(self.text(&self.table.get(slot).tokens))
    }

    /// Lines matched by the live template `id` (any id it had).
    pub fn live_count(&self, id: u64) -> Option<u64> {
        let slot = *self.table.by_id.get(&self.resolve(id))?;
        Some(self.table.get(slot).count)
    }

    /// The live templates with their constant words and counts, for grouping and summaries.
    pub fn live_templates(&self) -> Vec<super::grouping::TemplateText> {
        let mut live: Vec<super::grouping::TemplateText> = self
            .table
            .by_id
            .values()
            .map(|&slot| {
                let template = self.table.get(slot);
                super::grouping::TemplateText {
                    id: template.id,
                    words: template
                        .tokens
                        .iter()
                        .filter(|s| **s != WILD)
                        .map(|s| self.words.name(*s).to_string())
                        .collect(),
                    count: template.count,
                }
            })
            .collect();
        live.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
        live
    }

    /// Templates alive now.
    pub fn templates(&self) -> usize {
        self.table.by_id.len()
    }

    /// Takes the template events since the last call.
    pub fn take_events(&mut self) -> Vec<TemplateEvent> {
        std::mem::take(&mut self.events)
    }
}
