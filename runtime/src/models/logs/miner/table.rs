//! The template table: templates in reusable slots, indexed by bucket (token count, first token), by token count and
//! by id, and ordered by recency in an intrusive list, so matching, eviction and removal are O(1) apart from the
//! bucket scans matching does.
//!
//! Invariants:
//! - a slot is live or free; a free slot's generation is bumped when it is freed, so a [`Handle`] kept elsewhere (the
//!   exact-sequence cache) to a template that died is recognised as stale, never mistaken for the slot's next tenant;
//! - a live template is in exactly one bucket and one length list, at the positions it records (removal swaps the
//!   last entry into the gap), and in the recency list; `by_id` maps an id to at most one live template;
//! - every choice among templates breaks ties by `born` (creation order), never by a list's order, except where a scan
//!   is cut at [`MAX_SCAN`], which is why the snapshot keeps the lists' order.

use std::collections::HashMap;

use super::{Keyed, Sym, WILD};

/// Templates examined per bucket or length list on a cache miss: bounds the cost of a miss on adversarial streams.
pub(super) const MAX_SCAN: usize = 4096;
/// No slot.
const NIL: u32 = u32::MAX;

/// A template kept elsewhere: its slot and the slot's generation then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Handle {
    pub slot: u32,
    pub generation: u32,
}

/// A handle that names no template (a cache entry of a template that is gone).
pub(super) const STALE: Handle = Handle { slot: NIL, generation: 0 };

/// Bucket key: token count and first token (the wildcard when that is variable).
pub(super) type Key = (u32, Sym);

#[derive(Clone, Debug, Default)]
pub(super) struct Template {
    pub id: u64,
    pub tokens: Vec<Sym>,
    pub count: u64,
    pub last: u64,
    pub born: u64,
    pub key: Key,
    pub constants: u32,
    pub wild: bool,
    generation: u32,
    live: bool,
    newer: u32,
    older: u32,
    in_bucket: u32,
    in_length: u32,
}

impl Template {
    /// A template to insert; its bucket key follows from its tokens.
    pub(super) fn new(id: u64, tokens: Vec<Sym>, count: u64, last: u64, born: u64) -> Self {
        let key = (tokens.len() as u32, tokens.first().copied().unwrap_or(WILD));
        Self { id, tokens, count, last, born, key, ..Self::default() }
    }
}

/// The table (see the module docs).
#[derive(Debug, Default)]
pub(super) struct Table {
    slots: Vec<Template>,
    free: Vec<u32>,
    buckets: HashMap<Key, Vec<u32>, Keyed>,
    lengths: HashMap<u32, Vec<u32>, Keyed>,
    pub by_id: HashMap<u64, u32, Keyed>,
    newest: u32,
    oldest: u32,
    live: usize,
}

impl Table {
    pub(super) fn new() -> Self {
        Self { newest: NIL, oldest: NIL, ..Self::default() }
    }

    /// Live templates.
    pub(super) fn len(&self) -> usize {
        self.live
    }

    pub(super) fn get(&self, slot: u32) -> &Template {
        &self.slots[slot as usize]
    }

    pub(super) fn get_mut(&mut self, slot: u32) -> &mut Template {
        &mut self.slots[slot as usize]
    }

    /// The live template a handle names, if it is still the one it named.
    pub(super) fn resolve(&self, handle: Handle) -> Option<u32> {
        let t = self.slots.get(handle.slot as usize)?;
        (t.live && t.generation == handle.generation).then_some(handle.slot)
    }

    pub(super) fn handle(&self, slot: u32) -> Handle {
        Handle { slot, generation: self.slots[slot as usize].generation }
    }

    /// The bucket of `key`, in order.
    pub(super) fn bucket(&self, key: Key) -> &[u32] {
        self.buckets.get(&key).map_or(&[], |b| &b[..b.len().min(MAX_SCAN)])
    }

    /// The templates of `length` tokens, in order.
    pub(super) fn of_length(&self, length: u32) -> &[u32] {
        self.lengths.get(&length).map_or(&[], |b| &b[..b.len().min(MAX_SCAN)])
    }

    /// Live slots, in slot order.
    pub(super) fn live_slots(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.slots.len() as u32).filter(|&s| self.slots[s as usize].live)
    }

    /// Adds a template as the most recent; returns its slot. Its id is registered unless another template has it.
    pub(super) fn insert(&mut self, mut template: Template) -> u32 {
        template.live = true;
        template.constants = template.tokens.iter().filter(|t| **t != WILD).count() as u32;
        template.wild = template.constants as usize != template.tokens.len();
        let slot = match self.free.pop() {
            Some(slot) => {
                template.generation = self.slots[slot as usize].generation;
                self.slots[slot as usize] = template;
                slot
            }
            None => {
                self.slots.push(template);
                (self.slots.len() - 1) as u32
            }
        };
        self.live += 1;
        let key = self.slots[slot as usize].key;
        self.index(slot, key);
        let length = self.slots[slot as usize].tokens.len() as u32;
        let list = self.lengths.entry(length).or_default();
        self.slots[slot as usize].in_length = list.len() as u32;
        list.push(slot);
        self.by_id.entry(self.slots[slot as usize].id).or_insert(slot);
        self.link_newest(slot);
        slot
    }

    fn index(&mut self, slot: u32, key: Key) {
        let bucket = self.buckets.entry(key).or_default();
        let t = &mut self.slots[slot as usize];
        t.key = key;
        t.in_bucket = bucket.len() as u32;
        bucket.push(slot);
    }

    fn unindex(&mut self, slot: u32) {
        let (key, position) = (self.slots[slot as usize].key, self.slots[slot as usize].in_bucket);
        if let Some(moved) = swap_remove(self.buckets.get_mut(&key), position) {
            self.slots[moved as usize].in_bucket = position;
        }
        if self.buckets.get(&key).is_some_and(Vec::is_empty) {
            self.buckets.remove(&key);
        }
    }

    /// Gives a template new tokens of the same count and their id (the caller keeps `by_id` and the bucket right).
    pub(super) fn set_tokens(&mut self, slot: u32, tokens: Vec<Sym>, id: u64) {
        let t = &mut self.slots[slot as usize];
        t.constants = tokens.iter().filter(|s| **s != WILD).count() as u32;
        t.wild = t.constants as usize != tokens.len();
        t.tokens = tokens;
        t.id = id;
    }

    /// Moves a template to another bucket (its first token became a wildcard).
    pub(super) fn rekey(&mut self, slot: u32, key: Key) {
        if self.slots[slot as usize].key != key {
            self.unindex(slot);
            self.index(slot, key);
        }
    }

    /// Removes a template; its slot is freed and handles to it go stale.
    pub(super) fn remove(&mut self, slot: u32) {
        if !self.slots[slot as usize].live {
            return;
        }
        self.unindex(slot);
        let (length, position) = (self.slots[slot as usize].tokens.len() as u32, self.slots[slot as usize].in_length);
        if let Some(moved) = swap_remove(self.lengths.get_mut(&length), position) {
            self.slots[moved as usize].in_length = position;
        }
        if self.lengths.get(&length).is_some_and(Vec::is_empty) {
            self.lengths.remove(&length);
        }
        let id = self.slots[slot as usize].id;
        if self.by_id.get(&id) == Some(&slot) {
            self.by_id.remove(&id);
        }
        self.unlink(slot);
        let t = &mut self.slots[slot as usize];
        let generation = t.generation.wrapping_add(1);
        *t = Template { generation, ..Template::default() };
        self.free.push(slot);
        self.live -= 1;
    }

    /// Marks a template as just matched.
    pub(super) fn touch(&mut self, slot: u32, now: u64) {
        self.slots[slot as usize].last = now;
        if self.newest != slot {
            self.unlink(slot);
            self.link_newest(slot);
        }
    }

    /// The least recently matched template.
    pub(super) fn oldest(&self) -> Option<u32> {
        (self.oldest != NIL).then_some(self.oldest)
    }

    /// Live slots from the least to the most recently matched.
    pub(super) fn by_recency(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.live);
        let mut at = self.oldest;
        while at != NIL && out.len() < self.live {
            out.push(at);
            at = self.slots[at as usize].newer;
        }
        out
    }

    /// Lists in order, for the snapshot: every bucket and every length list.
    pub(super) fn lists(&self) -> (Vec<&Vec<u32>>, Vec<&Vec<u32>>) {
        (self.buckets.values().collect(), self.lengths.values().collect())
    }

    /// Replaces the order of a bucket or length list (restoring a snapshot); `slots` must be that list's members.
    pub(super) fn reorder(&mut self, slots: &[u32], bucket: bool) -> Result<(), String> {
        let Some(&head) = slots.first() else { return Ok(()) };
        let template = self.slots.get(head as usize).ok_or("unknown template in a list")?;
        let list = if bucket {
            self.buckets.get_mut(&template.key)
        } else {
            self.lengths.get_mut(&(template.tokens.len() as u32))
        }
        .ok_or("a list names no indexed template")?;
        let mut sorted = slots.to_vec();
        sorted.sort_unstable();
        let mut current = list.clone();
        current.sort_unstable();
        if sorted != current {
            return Err("a list does not hold exactly its templates".into());
        }
        list.copy_from_slice(slots);
        for (position, &slot) in slots.iter().enumerate() {
            let t = &mut self.slots[slot as usize];
            if bucket {
                t.in_bucket = position as u32;
            } else {
                t.in_length = position as u32;
            }
        }
        Ok(())
    }

    fn link_newest(&mut self, slot: u32) {
        let previous = self.newest;
        let t = &mut self.slots[slot as usize];
        t.older = previous;
        t.newer = NIL;
        if previous != NIL {
            self.slots[previous as usize].newer = slot;
        } else {
            self.oldest = slot;
        }
        self.newest = slot;
    }

    fn unlink(&mut self, slot: u32) {
        let (older, newer) = (self.slots[slot as usize].older, self.slots[slot as usize].newer);
        if older != NIL {
            self.slots[older as usize].newer = newer;
        } else if self.oldest == slot {
            self.oldest = newer;
        }
        if newer != NIL {
            self.slots[newer as usize].older = older;
        } else if self.newest == slot {
            self.newest = older;
        }
        let t = &mut self.slots[slot as usize];
        t.older = NIL;
        t.newer = NIL;
    }
}

/// Removes `position` from a list by moving its last entry there; returns the moved entry, if any.
fn swap_remove(list: Option<&mut Vec<u32>>, position: u32) -> Option<u32> {
    let list = list?;
    let position = position as usize;
    if position >= list.len() {
        return None;
    }
    list.swap_remove(position);
    list.get(position).copied()
}
