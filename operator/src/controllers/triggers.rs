//! Which watch events wake a reconcile. Most changes of the objects a controller watches do not change what it would
//! do: runtime pods rewrite their resource's status every 30 s, the controller manager rewrites a Deployment's status
//! as pods come and go, the operator's own writes come back as events. [`on_change`] lets an object through only
//! when its *summary* (a hash of exactly what the reconcile reads from it) changes, or when it is deleted.
//!
//! Unlike kube's `predicate_filter`, it sees the watch events themselves, so a deletion always gets through (a
//! deleted child must be made again at once), and it can be told not to count an object it has never seen as a
//! change ([`New::Ignore`]): a child appears because the reconcile just made it, from what it already knew. The
//! summaries of objects gone while the watch was down are dropped when the watch lists again, so the memory is
//! bounded by what exists.

use std::{
    collections::{HashMap, HashSet},
    hash::{DefaultHasher, Hash, Hasher},
};

use futures::{Stream, TryStreamExt};
use kube::{Resource, runtime::watcher};

/// Whether an object this stream has not seen before counts as a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum New {
    /// New objects trigger (the resources a controller reconciles, inputs that appear).
    Trigger,
    /// New objects do not (children, which the reconcile itself creates).
    Ignore,
}

/// The hash of `value`, for summaries.
pub fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// The summaries seen so far, by object.
struct Seen<F> {
    summary: F,
    new: New,
    hashes: HashMap<String, u64>,
    /// Keys listed since the watch (re)started; `None` outside a listing.
    listing: Option<HashSet<String>>,
}

/// The identity of an object: its UID, so that one deleted and made again under its name is a new object.
fn key<K: Resource>(object: &K) -> String {
    let meta = object.meta();
    match &meta.uid {
        Some(uid) => uid.clone(),
        None => {
            format!("{}/{}", meta.namespace.as_deref().unwrap_or_default(), meta.name.as_deref().unwrap_or_default())
        }
    }
}

impl<F> Seen<F> {
    /// The object to pass on for `event`, if it is a change.
    fn pass<K: Resource>(&mut self, event: watcher::Event<K>) -> Option<K>
    where
        F: Fn(&K) -> u64,
    {
        match event {
            watcher::Event::Init => {
                self.listing = Some(HashSet::new());
                None
            }
            watcher::Event::InitDone => {
                if let Some(listed) = self.listing.take() {
                    self.hashes.retain(|key, _| listed.contains(key));
                }
                None
            }
            watcher::Event::InitApply(object) | watcher::Event::Apply(object) => {
                let key = key(&object);
                if let Some(listed) = self.listing.as_mut() {
                    listed.insert(key.clone());
                }
                let summary = (self.summary)(&object);
                match self.hashes.insert(key, summary) {
                    Some(before) => (before != summary).then_some(object),
                    None => (self.new == New::Trigger).then_some(object),
                }
            }
            watcher::Event::Delete(object) => {
                self.hashes.remove(&key(&object));
                Some(object)
            }
        }
    }
}

/// The objects of `events` whose `summary` changed, that are deleted, or (with [`New::Trigger`]) that are new.
pub fn on_change<K, S, F>(events: S, summary: F, new: New) -> impl Stream<Item = Result<K, watcher::Error>> + Send
where
    K: Resource + Send + 'static,
    S: Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
    F: Fn(&K) -> u64 + Send + 'static,
{
    let mut seen = Seen { summary, new, hashes: HashMap::new(), listing: None };
    events.map_ok(move |event| seen.pass(event)).try_filter_map(futures::future::ok)
}

#[cfg(test)]
mod tests {
    use futures::{StreamExt, stream};
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::{api::ObjectMeta, runtime::watcher::Event};

    use super::*;

    fn object(uid: &str, value: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta { name: Some(uid.into()), uid: Some(uid.into()), ..ObjectMeta::default() },
            data: Some([("v".to_owned(), value.to_owned())].into()),
            ..ConfigMap::default()
        }
    }

    fn summary(object: &ConfigMap) -> u64 {
        hash_of(&object.data)
    }

    async fn passed(events: Vec<Event<ConfigMap>>, new: New) -> Vec<String> {
        let events = stream::iter(events.into_iter().map(Ok));
        on_change(events, summary, new)
            .map(|o| o.map(|o| format!("{}={}", o.metadata.uid.unwrap_or_default(), o.data.unwrap_or_default()["v"])))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    #[tokio::test]
    async fn only_changes_of_the_summary_and_deletions_pass() {
        let events = vec![
            Event::Init,
            Event::InitApply(object("a", "1")),
            Event::InitDone,
            Event::Apply(object("a", "1")),
            Event::Apply(object("a", "2")),
            Event::Apply(object("a", "2")),
            Event::Delete(object("a", "2")),
        ];
        assert_eq!(passed(events, New::Trigger).await, ["a=1", "a=2", "a=2"]);
    }

    #[tokio::test]
    async fn new_objects_can_be_ignored_until_they_change() {
        let events =
            vec![Event::Apply(object("a", "1")), Event::Apply(object("a", "1")), Event::Apply(object("a", "2"))];
        assert_eq!(passed(events, New::Ignore).await, ["a=2"]);
    }

    #[tokio::test]
    async fn an_object_gone_while_the_watch_was_down_is_forgotten_at_the_next_listing() {
        let events = vec![
            Event::Apply(object("a", "1")),
            Event::Apply(object("b", "1")),
            // The watch restarts; `b` was deleted meanwhile, so it is not listed.
            Event::Init,
            Event::InitApply(object("a", "1")),
            Event::InitDone,
            // Made again with the same content, `b` is new again.
            Event::Apply(object("b", "1")),
        ];
        assert_eq!(passed(events, New::Trigger).await, ["a=1", "b=1", "b=1"]);
    }
}
