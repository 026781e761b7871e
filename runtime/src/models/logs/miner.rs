//! The template miner: one pass, online. Each line is masked and tokenised, found in an exact-sequence cache (the
//! common case), or matched within its bucket (token count, first token) to a template that generalises as variants
//! arrive. A position where enough distinct words have been seen becomes a variable; a variable first token is found
//! across buckets. Template ids are hashes of the template text, so replicas and restarts agree; when a template
//! generalises or merges, its old id is mapped to the new one.

use std::{
    collections::{HashMap, HashSet},
    hash::{BuildHasherDefault, Hasher},
};

use super::masks::{is_variable_piece, is_variable_word};

mod snapshot;

pub(crate) use snapshot::MinerState;

/// A fast multiply-rotate hasher for the miner's tables: their keys are words and token sequences from the miner
/// itself, so SipHash's protection against chosen-key flooding buys nothing here, while hashing is the hot path.
#[derive(Default, Clone, Copy)]
pub struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Maps hashed with [`WordHasher`].
type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

/// A token: an index into the miner's interner; `WILD` is `<*>`.
type Sym = u32;
const WILD: Sym = 0;
/// The wildcard as text.
pub const WILDCARD: &str = "<*>";

/// Miner settings.
#[derive(Clone, Debug, PartialEq)]
pub struct MinerSettings {
    /// Characters that split a token, besides whitespace.
    pub delimiters: String,
    /// Share of a template's constants a line must match.
    pub similarity: f64,
    /// Distinct words at one position that make it a variable.
    pub sibling_merge: usize,
    /// Most templates kept; the least recently matched is evicted past it.
    pub max_templates: usize,
}

impl Default for MinerSettings {
    fn default() -> Self {
        Self { delimiters: "=:,;()[]{}<>|\"'".into(), similarity: 0.5, sibling_merge: 4, max_templates: 100_000 }
    }
}

/// Differing constant words a line may have against a template.
const MAX_WORD_MISMATCH: u32 = 1;
/// Constants a line must share after a variable first token.
const FALLBACK_MIN_SHARED: usize = 3;
/// Exact sequences cached before the cache is cleared (it only accelerates).
const MAX_CACHE: usize = 1 << 16;
/// Interned words kept before the interner is rebuilt from the live templates.
const MAX_INTERNED: usize = 1 << 20;

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

#[derive(Clone, Debug)]
struct Template {
    id: u64,
    tokens: Vec<Sym>,
    count: u64,
    last: u64,
    key: (usize, Sym),
    constants: usize,
    alive: bool,
    merged_into: Option<usize>,
}

/// The streaming template miner.
#[derive(Debug)]
pub struct Miner {
    settings: MinerSettings,
    delimiters: Vec<char>,
    words: FastMap<Box<str>, Sym>,
    names: Vec<Box<str>>,
    templates: Vec<Template>,
    index: FastMap<(usize, Sym), Vec<usize>>,
    by_length: FastMap<usize, Vec<usize>>,
    by_id: FastMap<u64, usize>,
    alias: FastMap<u64, u64>,
    cache: FastMap<Vec<Sym>, usize>,
    events: Vec<TemplateEvent>,
    now: u64,
}

/// Score of a template for a line: fewer word mismatches, then higher similarity, more constants, earlier mismatch.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Score {
    mismatches: u32,
    similarity: f64,
    constants: usize,
    position: Option<usize>,
}

impl Score {
    fn better_than(&self, other: &Self) -> bool {
        let key = |s: &Self| (s.mismatches, -s.similarity, -(s.constants as f64), s.position.map_or(-1, |p| p as i64));
        key(self).partial_cmp(&key(other)) == Some(std::cmp::Ordering::Less)
    }
}

impl Miner {
    /// A miner with `settings`.
    pub fn new(settings: MinerSettings) -> Self {
        let mut miner = Self {
            delimiters: settings.delimiters.chars().collect(),
            settings,
            words: FastMap::default(),
            names: Vec::new(),
            templates: Vec::new(),
            index: FastMap::default(),
            by_length: FastMap::default(),
            by_id: FastMap::default(),
            alias: FastMap::default(),
            cache: FastMap::default(),
            events: Vec::new(),
            now: 0,
        };
        miner.intern(WILDCARD);
        miner
    }

    fn intern(&mut self, word: &str) -> Sym {
        if let Some(&sym) = self.words.get(word) {
            return sym;
        }
        let sym = Sym::try_from(self.names.len()).unwrap_or(Sym::MAX);
        self.names.push(word.into());
        self.words.insert(word.into(), sym);
        sym
    }

    /// Masks and splits a line into tokens.
    fn tokenize(&mut self, line: &str) -> Vec<Sym> {
        let mut tokens: Vec<Sym> = Vec::with_capacity(16);
        let push = |tokens: &mut Vec<Sym>, sym: Sym| {
            if !(sym == WILD && tokens.last() == Some(&WILD)) {
                tokens.push(sym);
            }
        };
        let delimiters = std::mem::take(&mut self.delimiters);
        for word in line.split_whitespace() {
            if is_placeholder(word) {
                let sym = self.intern(word);
                push(&mut tokens, sym);
                continue;
            }
            if word == WILDCARD || is_variable_word(word) {
                push(&mut tokens, WILD);
                continue;
            }
            for piece in word.split(|c| delimiters.contains(&c)).filter(|p| !p.is_empty()) {
                let sym = if is_variable_piece(piece) || is_variable_word(piece) { WILD } else { self.intern(piece) };
                push(&mut tokens, sym);
            }
        }
        self.delimiters = delimiters;
        tokens
    }

    fn template_id(&self, tokens: &[Sym]) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for (i, sym) in tokens.iter().enumerate() {
            if i > 0 {
                hash = (hash ^ 0x1f).wrapping_mul(0x0100_0000_01b3);
            }
            for byte in self.names[*sym as usize].bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        hash
    }

    /// Feeds one line; returns the id of the template it belongs to now.
    pub fn add(&mut self, line: &str) -> u64 {
        self.now += 1;
        if self.names.len() > MAX_INTERNED {
            self.compact();
        }
        let tokens = self.tokenize(line);
        if let Some(&cached) = self.cache.get(&tokens) {
            let live = self.follow(cached);
            if self.templates[live].alive {
                return self.touch(live);
            }
        }
        let key = (tokens.len(), tokens.first().copied().unwrap_or(WILD));
        let bucket = self.index.get(&key).cloned().unwrap_or_default();
        let mut best: Option<(usize, Score)> = None;
        for &t in &bucket {
            if let Some(score) = self.score(t, &tokens)
                && best.is_none_or(|(_, b)| score.better_than(&b))
            {
                best = Some((t, score));
            }
        }
        if best.is_none()
            && tokens.first().is_some_and(|t| *t != WILD)
            && let Some(found) = self.fallback(&tokens)
        {
            self.cache_insert(tokens, found);
            return self.touch(found);
        }
        let template = match best {
            None => self.create(tokens.clone(), key),
            Some((t, score)) if score.mismatches == 0 => {
                let generalised = wildcard_where_different(&self.templates[t].tokens, &tokens);
                if generalised != self.templates[t].tokens {
                    self.generalise(t, generalised);
                }
                t
            }
            Some((t, score)) => self.sibling(t, score.position.unwrap_or(0), &tokens, key, &bucket),
        };
        let live = self.follow(template);
        self.cache_insert(tokens, live);
        self.touch(live)
    }

    fn cache_insert(&mut self, tokens: Vec<Sym>, template: usize) {
        self.cache.insert(tokens, template);
        if self.cache.len() > MAX_CACHE {
            self.cache.clear();
        }
    }

    fn touch(&mut self, template: usize) -> u64 {
        let t = &mut self.templates[template];
        t.count += 1;
        t.last = self.now;
        t.id
    }

    fn follow(&self, mut template: usize) -> usize {
        while let Some(next) = self.templates[template].merged_into {
            template = next;
        }
        template
    }

    fn score(&self, template: usize, tokens: &[Sym]) -> Option<Score> {
        let t = &self.templates[template];
        let (mut equal, mut mismatches, mut position) = (0usize, 0u32, None);
        for (i, (&a, &b)) in t.tokens.iter().zip(tokens).enumerate() {
            if a == WILD {
                continue;
            }
            if a == b {
                equal += 1;
            } else if b != WILD {
                mismatches += 1;
                if mismatches > MAX_WORD_MISMATCH {
                    return None;
                }
                position = Some(i);
            }
        }
        let similarity = if t.constants > 0 { equal as f64 / t.constants as f64 } else { 1.0 };
        (similarity >= self.settings.similarity).then_some(Score {
            mismatches,
            similarity,
            constants: t.constants,
            position,
        })
    }

    /// Whether template `t` agrees with `tokens` everywhere except at `position`, where it has a constant.
    fn compatible_except(&self, template: usize, tokens: &[Sym], position: usize) -> bool {
        let a = &self.templates[template].tokens;
        a[position] != WILD
            && a.iter().zip(tokens).enumerate().all(|(i, (&x, &y))| i == position || x == y || x == WILD || y == WILD)
    }

    /// One word differs from the best template at `position`: enough distinct words there make it a variable (the
    /// family merges); otherwise the line starts a sibling template.
    fn sibling(&mut self, best: usize, position: usize, tokens: &[Sym], key: (usize, Sym), bucket: &[usize]) -> usize {
        let family: Vec<usize> =
            bucket.iter().copied().filter(|&t| self.compatible_except(t, tokens, position)).collect();
        let mut values: HashSet<Sym> = family.iter().map(|&t| self.templates[t].tokens[position]).collect();
        values.insert(tokens[position]);
        if values.len() >= self.settings.sibling_merge {
            let survivor = family[0];
            let mut merged = wildcard_where_different(&self.templates[survivor].tokens, tokens);
            merged[position] = WILD;
            for &t in &family[1..] {
                merged = wildcard_where_different(&merged, &self.templates[t].tokens);
                self.merge(t, survivor);
            }
            self.generalise(survivor, merged);
            survivor
        } else {
            let shape: Vec<Sym> = self.templates[best]
                .tokens
                .iter()
                .zip(tokens)
                .map(|(&a, &b)| if a == WILD || b == WILD { WILD } else { b })
                .collect();
            self.create(shape, key)
        }
    }

    /// No template in the line's bucket: try a variable first token.
    fn fallback(&mut self, tokens: &[Sym]) -> Option<usize> {
        let length = tokens.len();
        let wild_key = (length, WILD);
        let mut best: Option<(usize, Score)> = None;
        for &t in self.index.get(&wild_key).map(Vec::as_slice).unwrap_or_default() {
            if let Some(score) = self.score(t, tokens).filter(|s| s.mismatches == 0)
                && best.is_none_or(|(_, b)| score.better_than(&b))
            {
                best = Some((t, score));
            }
        }
        if let Some((t, _)) = best {
            let generalised = wildcard_where_different(&self.templates[t].tokens, tokens);
            if generalised != self.templates[t].tokens {
                self.generalise(t, generalised);
            }
            return Some(t);
        }
        let family: Vec<usize> = self
            .by_length
            .get(&length)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|&t| {
                let template = &self.templates[t];
                template.alive
                    && template.key.1 != WILD
                    && self.compatible_except(t, tokens, 0)
                    && template.tokens[1..].iter().zip(&tokens[1..]).filter(|(a, b)| a == b && **a != WILD).count()
                        >= FALLBACK_MIN_SHARED
            })
            .collect();
        let mut values: HashSet<Sym> = family.iter().map(|&t| self.templates[t].tokens[0]).collect();
        values.insert(tokens[0]);
        if values.len() < self.settings.sibling_merge {
            return None;
        }
        let mut merged = tokens.to_vec();
        merged[0] = WILD;
        for &t in &family {
            merged = wildcard_where_different(&merged, &self.templates[t].tokens);
        }
        let survivor = family[0];
        for &t in &family[1..] {
            self.merge(t, survivor);
        }
        let old_key = self.templates[survivor].key;
        if let Some(bucket) = self.index.get_mut(&old_key) {
            bucket.retain(|&t| t != survivor);
        }
        self.templates[survivor].key = wild_key;
        self.index.entry(wild_key).or_default().push(survivor);
        self.generalise(survivor, merged);
        Some(self.follow(survivor))
    }

    fn create(&mut self, tokens: Vec<Sym>, key: (usize, Sym)) -> usize {
        let id = self.template_id(&tokens);
        let index = self.templates.len();
        self.templates.push(Template {
            id,
            constants: tokens.iter().filter(|t| **t != WILD).count(),
            tokens,
            count: 0,
            last: self.now,
            key,
            alive: true,
            merged_into: None,
        });
        self.index.entry(key).or_default().push(index);
        self.by_length.entry(self.templates[index].tokens.len()).or_default().push(index);
        self.alias.remove(&id);
        self.by_id.insert(id, index);
        self.events.push(TemplateEvent::Created(id));
        self.evict();
        index
    }

    fn merge(&mut self, template: usize, into: usize) {
        if template == into {
            return;
        }
        let (count, last, key, id) = {
            let t = &self.templates[template];
            (t.count, t.last, t.key, t.id)
        };
        let survivor = &mut self.templates[into];
        survivor.count += count;
        survivor.last = survivor.last.max(last);
        let survivor_id = survivor.id;
        if let Some(bucket) = self.index.get_mut(&key) {
            bucket.retain(|&t| t != template);
        }
        if self.by_id.get(&id) == Some(&template) {
            self.by_id.remove(&id);
        }
        let t = &mut self.templates[template];
        t.alive = false;
        t.merged_into = Some(into);
        self.alias.insert(id, survivor_id);
        self.events.push(TemplateEvent::Merged(id, survivor_id));
    }

    fn generalise(&mut self, template: usize, tokens: Vec<Sym>) {
        let old = self.templates[template].id;
        if self.by_id.get(&old) == Some(&template) {
            self.by_id.remove(&old);
        }
        let id = self.template_id(&tokens);
        let t = &mut self.templates[template];
        t.constants = tokens.iter().filter(|s| **s != WILD).count();
        t.tokens = tokens;
        t.id = id;
        if old != id {
            self.alias.insert(old, id);
            self.events.push(TemplateEvent::Generalised(old, id));
        }
        match self.by_id.get(&id) {
            Some(&other) if other != template => self.merge(template, other),
            _ => {
                self.by_id.insert(id, template);
            }
        }
    }

    fn evict(&mut self) {
        if self.by_id.len() <= self.settings.max_templates {
            return;
        }
        let Some((&id, &victim)) = self.by_id.iter().min_by_key(|(_, t)| (self.templates[**t].last, **t)) else {
            return;
        };
        self.by_id.remove(&id);
        let key = self.templates[victim].key;
        if let Some(bucket) = self.index.get_mut(&key) {
            bucket.retain(|&t| t != victim);
        }
        self.templates[victim].alive = false;
        self.events.push(TemplateEvent::Evicted(id));
    }

    /// Rebuilds the interner from the live templates (unique words of evicted templates are dropped).
    fn compact(&mut self) {
        let names = std::mem::take(&mut self.names);
        self.words.clear();
        self.intern(WILDCARD);
        let remap = |miner: &mut Self, sym: Sym| if sym == WILD { WILD } else { miner.intern(&names[sym as usize]) };
        for index in 0..self.templates.len() {
            let tokens = std::mem::take(&mut self.templates[index].tokens);
            let tokens: Vec<Sym> = tokens.into_iter().map(|s| remap(self, s)).collect();
            let (length, first) = self.templates[index].key;
            self.templates[index].key = (length, remap(self, first));
            self.templates[index].tokens = tokens;
        }
        let index = std::mem::take(&mut self.index);
        for ((length, first), bucket) in index {
            let key = (length, remap(self, first));
            self.index.entry(key).or_default().extend(bucket);
        }
        self.cache.clear();
    }

    /// The current id an id stands for (following generalisations and merges).
    pub fn resolve(&self, mut id: u64) -> u64 {
        for _ in 0..10_000 {
            match self.alias.get(&id) {
                Some(&next) => id = next,
                None => break,
            }
        }
        id
    }

    /// The template text of a (resolved) id, if it is live.
    pub fn template(&self, id: u64) -> Option<String> {
        let t = &self.templates[*self.by_id.get(&self.resolve(id))?];
        Some(t.tokens.iter().map(|s| &*self.names[*s as usize]).collect::<Vec<_>>().join(" "))
    }

    /// Lines matched by the live template `id` (any id it had).
    pub fn live_count(&self, id: u64) -> Option<u64> {
        self.by_id.get(&self.resolve(id)).map(|&t| self.templates[t].count)
    }

    /// The live templates with their constant words and counts, for grouping and summaries.
    pub fn live_templates(&self) -> Vec<super::grouping::TemplateText> {
        let mut live: Vec<super::grouping::TemplateText> = self
            .by_id
            .values()
            .map(|&t| {
                let template = &self.templates[t];
                super::grouping::TemplateText {
                    id: template.id,
                    words: template
                        .tokens
                        .iter()
                        .filter(|s| **s != WILD)
                        .map(|s| self.names[*s as usize].to_string())
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
        self.by_id.len()
    }

    /// Takes the template events since the last call.
    pub fn take_events(&mut self) -> Vec<TemplateEvent> {
        std::mem::take(&mut self.events)
    }
}

/// A user mask's placeholder, such as `<payment_id>`: kept as it is, so the template names what was masked.
fn is_placeholder(word: &str) -> bool {
    word.strip_prefix('<').and_then(|rest| rest.strip_suffix('>')).is_some_and(|name| {
        name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// `a` with a wildcard wherever it differs from `b`.
fn wildcard_where_different(a: &[Sym], b: &[Sym]) -> Vec<Sym> {
    a.iter().zip(b).map(|(&x, &y)| if x == y { x } else { WILD }).collect()
}
