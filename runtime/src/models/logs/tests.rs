//! Miner behaviour: masking, generalisation with aliases, ids stable across shards, bounded memory.

use super::*;

fn miner() -> Miner {
    Miner::new(MinerSettings::default())
}

#[test]
fn variables_are_masked_and_the_same_event_shares_a_template() {
    let mut miner = miner();
    let first = miner.add("Accepted password for root from 10.0.0.1 port 22 ssh2");
    let second = miner.add("Accepted password for root from 192.168.1.77 port 50123 ssh2");
    assert_eq!(first, second);
    assert_eq!(miner.template(first).as_deref(), Some("Accepted password for root from <*> port <*> ssh2"));
}

#[test]
fn a_position_with_many_words_generalises_and_old_ids_resolve_to_the_new_one() {
    let mut miner = miner();
    let ids: Vec<u64> = ["alice", "bob", "carol", "dave", "erin"]
        .iter()
        .map(|u| miner.add(&format!("session opened for user {u}")))
        .collect();
    assert_ne!(ids[0], ids[1], "two users could be two events");
    let general = miner.resolve(ids[4]);
    assert!(ids.iter().all(|id| miner.resolve(*id) == general), "all resolve to the generalised template");
    assert_eq!(miner.template(general).as_deref(), Some("session opened for user <*>"));
    let events = miner.take_events();
    assert!(
        events.iter().any(|e| matches!(e, TemplateEvent::Merged(..) | TemplateEvent::Generalised(..))),
        "{events:?}"
    );
}

#[test]
fn two_distinct_words_stay_two_events() {
    let mut miner = miner();
    let up = miner.add("interface eth0 link up");
    let down = miner.add("interface eth0 link down");
    miner.add("interface eth0 link up");
    assert_ne!(miner.resolve(up), miner.resolve(down), "up and down are different events");
}

/// A synthetic log of five events with variables.
fn log(lines: usize) -> Vec<String> {
    (0..lines)
        .map(|i| match i % 5 {
            0 => format!("Connection from 10.0.{}.{} closed after {}ms", i % 7, i % 250, i * 3),
            1 => format!("User {} logged in", ["ann", "ben", "cat", "dan", "eve", "fay", "gil", "hal"][i % 8]),
            2 => format!("Disk /dev/sd{} usage {}%", ["a", "b", "c"][i % 3], i % 100),
            3 => format!("Job {} finished in {} s with status OK", 1000 + i, i % 60),
            _ => "Heartbeat received".to_owned(),
        })
        .collect()
}

#[test]
fn ids_are_the_same_in_two_instances_fed_different_shards() {
    let lines = log(400);
    let (mut left, mut right) = (miner(), miner());
    for (i, line) in lines.iter().enumerate() {
        if i % 2 == 0 {
            left.add(line)
        } else {
            right.add(line)
        };
    }
    // Once each instance has seen enough variants of an event (four users each here), both hold the same template
    // and hence the same id.
    for line in &lines[..10] {
        let (a, b) = (left.add(line), right.add(line));
        assert_eq!(left.template(a), right.template(b), "{line}");
        assert_eq!(a, b, "{line}");
    }
}

#[test]
fn memory_is_bounded_under_a_stream_of_unique_lines() {
    let mut miner = Miner::new(MinerSettings { max_templates: 100, ..MinerSettings::default() });
    let mut word = 0u64;
    let mut next_word = || {
        word += 1;
        // Letters only, so masking keeps them: the worst case for the template table.
        (0..6).map(|k| char::from(b'a' + ((word >> (k * 4)) % 26) as u8)).collect::<String>()
    };
    for _ in 0..5_000 {
        let line = format!("{} {} {}", next_word(), next_word(), next_word());
        miner.add(&line);
        assert!(miner.templates() <= 100);
    }
    let evicted = miner.take_events().iter().filter(|e| matches!(e, TemplateEvent::Evicted(_))).count();
    assert!(evicted >= 4_800, "the least recently matched are evicted: {evicted}");
}

#[test]
fn empty_and_odd_lines_do_not_panic() {
    let mut miner = miner();
    for line in ["", "   ", "<*>", "€€€ ∑ 🙂", "\u{0}", "=====", "a\u{a0}b"] {
        let id = miner.add(line);
        assert!(miner.template(id).is_some(), "{line:?}");
    }
}
