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

/// Deterministic noise.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// A relay's log with six events whose variables look like words or change the token count: program names (some
/// followed by a masked suffix), host names without digits, sizes with and without a unit in brackets, durations
/// written two ways. Returns `(line, event)`.
fn relay_log(lines: usize, seed: u64) -> Vec<(String, usize)> {
    const PROGRAMS: [&str; 8] = [
        "mailer.bin",
        "syncer.bin *32",
        "notes.bin",
        "player.bin",
        "editor.bin *32",
        "viewer.bin",
        "chat.bin",
        "x.bin",
    ];
    const HOSTS: [&str; 9] = [
        "api.example.org",
        "cdn.sample.net",
        "mail.corp.test",
        "static.site.io",
        "img.photos.test",
        "www.news.test",
        "login.portal.test",
        "db-7.internal.test",
        "files.store.test",
    ];
    let mut seed = seed | 1;
    (0..lines)
        .map(|_| {
            let r = next(&mut seed);
            let pick = |list: &[&'static str], shift: u32| list[(r >> shift) as usize % list.len()];
            let size = |n: u64| match n % 3 {
                0 => format!("{} bytes", n % 1000),
                1 => format!("{} bytes ({}.{:02} KB)", 2000 + n % 90_000, n % 90, n % 100),
                _ => format!("{} bytes ({}.{} MB)", 2_000_000 + n, n % 9, n % 10),
            };
            let lifetime =
                if r.is_multiple_of(3) { "<1 sec".to_owned() } else { format!("{:02}:{:02}", r % 60, r % 59) };
            let (program, host, port) = (pick(&PROGRAMS, 8), pick(&HOSTS, 16), [80, 443, 8080][(r >> 24) as usize % 3]);
            let event = (r >> 32) as usize % 6;
            let line = match event {
                0 => format!("{program} - {host}:{port} open through relay gw.relay.test:3128 HTTPS"),
                1 => format!("{program} - {host}:{port} open through relay gw.relay.test:3128 SOCKS5"),
                2 => format!(
                    "{program} - {host}:{port} close, {} sent, {} received, lifetime {lifetime}",
                    size(r >> 40),
                    size(r >> 44)
                ),
                3 => format!(
                    "{program} - {host}:{port} error : Could not connect through relay gw.relay.test:3128 - relay \
                     server refused, status code {}",
                    [403, 502][(r >> 48) as usize % 2]
                ),
                4 => format!("{program} - {host}:{port} error : A connection request was canceled."),
                _ => format!("{host}:{port} matching rule relay-all using relay gw.relay.test:3128"),
            };
            (line, event)
        })
        .collect()
}

#[test]
fn variables_that_look_like_words_or_change_the_token_count_do_not_split_events() {
    for seed in [1, 2, 3] {
        let log = relay_log(3000, seed);
        let mut miner = miner();
        let ids: Vec<u64> = log.iter().map(|(line, _)| miner.add(line)).collect();
        let mut by_event: Vec<std::collections::BTreeSet<u64>> = vec![Default::default(); 6];
        for (id, (_, event)) in ids.iter().zip(&log) {
            by_event[*event].insert(miner.resolve(*id));
        }
        for (event, templates) in by_event.iter().enumerate() {
            let texts: Vec<Option<String>> = templates.iter().map(|id| miner.template(*id)).collect();
            assert_eq!(templates.len(), 1, "seed {seed}: event {event} mined as {texts:?}");
        }
        let distinct: std::collections::BTreeSet<&u64> = by_event.iter().flatten().collect();
        assert_eq!(distinct.len(), 6, "seed {seed}: six events, six templates");
    }
}

#[test]
fn two_enumerations_that_vary_together_stay_apart() {
    let states = ["NEW", "UNASSIGNED", "ASSIGNED", "RUNNING", "COMMIT_PENDING", "SUCCEEDED"];
    let mut miner = miner();
    let mut ids = Vec::new();
    for round in 0..20 {
        for pair in states.windows(2) {
            ids.push(miner.add(&format!("attempt_{round}_0 TaskAttempt Transitioned from {} to {}", pair[0], pair[1])));
        }
    }
    let resolved: std::collections::BTreeSet<u64> = ids.iter().map(|id| miner.resolve(*id)).collect();
    assert_eq!(resolved.len(), states.len() - 1, "one event per transition");
}

#[test]
fn punctuation_is_structure_not_a_value() {
    let mut miner = miner();
    let mut healthy = Vec::new();
    let mut failed = Vec::new();
    for i in 0..40 {
        healthy.push(miner.add(&format!("Fan speeds ( {} {} {} )", 3000 + i, 3100 + i, 3200 + i)));
        failed.push(miner.add(&format!("Fan speeds ( {} **** {} )", 3000 + i, 3200 + i)));
    }
    let (a, b) = (miner.resolve(healthy[0]), miner.resolve(failed[0]));
    assert_ne!(a, b, "a failed reading is another event");
    assert!(healthy.iter().all(|id| miner.resolve(*id) == a) && failed.iter().all(|id| miner.resolve(*id) == b));
}

#[test]
fn template_ids_are_a_fixed_hash_of_the_template_text() {
    // Two miners (each with its own random key for its tables) agree, and the id is FNV-1a-64 of the text with the
    // tokens joined by 0x1F.
    let (mut left, mut right) = (miner(), miner());
    let line = "Accepted password for root from 10.0.0.1 port 22 ssh2";
    let id = left.add(line);
    assert_eq!(right.add(line), id);
    let text = left.template(id).unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            hash = (hash ^ 0x1f).wrapping_mul(0x0100_0000_01b3);
        }
        for byte in word.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    assert_eq!(id, hash);
}

#[test]
fn random_lines_never_panic_and_every_id_resolves_to_a_live_template() {
    const ALPHABET: [&str; 16] = ["a", "b", " ", "1", "22", ":", "=", "(", ")", "-", "/x", "KB", "É", "<*>", "\t", "."];
    let mut miner = Miner::new(MinerSettings { max_templates: 64, ..MinerSettings::default() });
    let mut seed = 5u64;
    for _ in 0..20_000 {
        let r = next(&mut seed);
        let line: String = (0..(r % 24)).map(|k| ALPHABET[((r >> (k * 2 % 60)) % 16) as usize]).collect();
        let id = miner.add(&line);
        assert!(miner.template(id).is_some(), "{line:?}");
        assert!(miner.templates() <= 64);
    }
}

#[test]
fn booleans_and_nulls_are_values() {
    let mut miner = miner();
    let mut ids = std::collections::BTreeSet::new();
    for i in 0..16u32 {
        let b = |bit: u32| if i >> bit & 1 == 1 { "true" } else { "false" };
        let line = format!("opening app token, allDrawn= {}, startingDisplayed = {}, moved = {}", b(0), b(1), b(2));
        ids.insert(miner.add(&line));
        ids.insert(miner.add(&format!("config {} set", if i % 2 == 0 { "null" } else { "NULL" })));
    }
    let resolved: std::collections::BTreeSet<u64> = ids.iter().map(|id| miner.resolve(*id)).collect();
    assert_eq!(resolved.len(), 2, "{:?}", resolved.iter().map(|id| miner.template(*id)).collect::<Vec<_>>());
}

#[test]
fn a_list_of_host_and_port_pairs_is_one_variable_but_a_phrase_is_not() {
    const HOSTS: [&str; 6] = ["alpha.example", "beta.example", "gamma.test", "delta.test", "eps.example", "zeta.test"];
    let mut miner = miner();
    let mut lists = Vec::new();
    let mut failed = Vec::new();
    let mut invalid = Vec::new();
    for i in 0..60usize {
        let hosts: Vec<String> = (0..1 + i % 3).map(|k| format!("{}:{}", HOSTS[(i / 3 + k) % 6], 8000 + i)).collect();
        lists.push(miner.add(&format!("Resolved upstreams {} for pool web", hosts.join(", "))));
        failed.push(miner.add(&format!("Failed password for {} from 10.0.0.{i} port 22 ssh2", HOSTS[i % 6])));
        invalid.push(
            miner.add(&format!("Failed password for invalid user {} from 10.0.1.{i} port 22 ssh2", HOSTS[i % 6])),
        );
    }
    let one = |ids: &[u64]| {
        let resolved: std::collections::BTreeSet<u64> = ids.iter().map(|id| miner.resolve(*id)).collect();
        assert_eq!(resolved.len(), 1, "{:?}", resolved.iter().map(|id| miner.template(*id)).collect::<Vec<_>>());
        resolved.into_iter().next().unwrap_or_default()
    };
    let (a, b, c) = (one(&lists), one(&failed), one(&invalid));
    assert!(a != b && b != c, "`invalid user` is part of another event, not of the user name");
}
