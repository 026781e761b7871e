//! The log stage: restored processors continue exactly, snapshots are checked, and what the miner reports becomes
//! template and group events.

use super::*;
use crate::models::logs::{Linkage, Vectorizer};

/// Deterministic noise.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// A raw sshd-style log: headers, events whose variable words arrive over time (so templates keep generalising
/// and merging after any checkpoint), a variable first word (templates merge across buckets), two-valued words
/// that stay two events, and rare one-off lines.
fn raw_log(lines: std::ops::Range<u64>) -> Vec<LogLine> {
    const USERS: [&str; 12] =
        ["root", "admin", "oracle", "git", "test", "ubuntu", "pi", "guest", "nagios", "ftp", "mysql", "www"];
    const UNITS: [&str; 9] =
        ["cron", "sshd", "nginx", "docker", "kubelet", "containerd", "chronyd", "rsyslog", "auditd"];
    const STATES: [&str; 2] = ["up", "down"];
    const RARE: [&str; 5] = ["kernel panic avoided", "fan speed high", "lid closed", "battery low", "clock skew"];
    lines
        .map(|number| {
            let mut seed = number.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let r = next(&mut seed);
            // Variants widen as the log goes on, so the second half brings words never seen in the first.
            let spread = 1 + (number as usize / 150);
            let pick = |list: &[&'static str], r: u64| list[(r as usize % spread.min(list.len())) % list.len()];
            let content = match r % 11 {
                0 | 1 => format!(
                    "Accepted password for {} from 10.0.{}.{} port {} ssh2",
                    pick(&USERS, r >> 8),
                    r % 7,
                    r % 250,
                    r % 60000
                ),
                2 => format!("Invalid user {} from 173.234.{}.{}", pick(&USERS, r >> 12), r % 31, r % 200),
                3 => {
                    format!("pam_unix(sshd:session): session opened for user {} by (uid=0)", pick(&USERS, r >> 16))
                }
                4 => format!(
                    "{} started successfully with pid {} and config version {}",
                    pick(&UNITS, r >> 20),
                    r % 30000,
                    r % 9
                ),
                5 => format!("interface eth{} link {}", r % 2, STATES[(r >> 24) as usize % 2]),
                6 => format!("Received disconnect from 10.1.{}.{}: 11: Bye Bye [preauth]", r % 3, r % 99),
                7 => format!("Connection closed by {} port {} [preauth]", pick(&USERS, r >> 28), r % 65535),
                8 => format!("{} {}", RARE[(r >> 32) as usize % RARE.len()], number),
                9 if number < 2900 => "pam_unix(sshd:auth): check pass; user unknown".to_owned(),
                // An event first seen late, of a shape no other event has: its templates are created and merge
                // after any checkpoint.
                9 => format!(
                    "Session of {} expired after {} idle minutes",
                    USERS[(number as usize - 2900) / 40 % USERS.len()],
                    r % 60
                ),
                _ => format!(
                    "disk /dev/sd{} usage {}% on {}",
                    ["a", "b", "c"][r as usize % 3],
                    r % 100,
                    pick(&UNITS, r >> 36)
                ),
            };
            LogLine {
                number: number as i64,
                text: format!(
                    "Dec 10 {:02}:{:02}:{:02} LabSZ sshd[{}]: {content}",
                    number / 3600 % 24,
                    number / 60 % 60,
                    number % 60,
                    20_000 + r % 9000
                ),
            }
        })
        .collect()
}

fn raw(miner: MinerSettings) -> LogSettings {
    LogSettings { miner, raw: true, ..LogSettings::default() }
}

/// The template id each line was assigned on arrival.
fn assignments(events: &[LogEvent]) -> Vec<(i64, String)> {
    events
        .iter()
        .filter_map(|event| match event {
            LogEvent::Line { line, template } => Some((*line, template.clone())),
            _ => None,
        })
        .collect()
}

fn feed(processor: &mut LogProcessor, input: Vec<LogLine>) -> Vec<LogEvent> {
    let mut out = Vec::new();
    input.into_iter().for_each(|line| processor.process(line, &mut out));
    out
}

fn checkpoint(processor: &LogProcessor) -> Vec<u8> {
    processor.checkpoint().unwrap_or_else(|e| panic!("{e}"))
}

/// What a processor's state shows: every live template (id, text, count) and the sample of each.
fn observable(processor: &LogProcessor) -> Vec<(u64, Option<String>, u64, Option<String>)> {
    let miner = processor.miner();
    let sample = |id| processor.sample(id).map(str::to_owned);
    miner.live_templates().iter().map(|t| (t.id, miner.template(t.id), t.count, sample(t.id))).collect()
}

fn assert_continues_exactly(settings: MinerSettings, lines: u64) {
    let mut original = LogProcessor::new(raw(settings.clone()));
    let first = feed(&mut original, raw_log(0..lines / 2));
    let snapshot = checkpoint(&original);
    eprintln!(
        "log snapshot: {} bytes for {} templates ({} bytes/template)",
        snapshot.len(),
        original.miner().templates(),
        snapshot.len() / original.miner().templates().max(1)
    );

    let mut restored = LogProcessor::new(raw(settings));
    restored.restore(&snapshot).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(observable(&restored), observable(&original));
    let restored_snapshot = checkpoint(&restored);
    let at_checkpoint = observable(&original);
    let expected = feed(&mut original, raw_log(lines / 2..lines));
    let actual = feed(&mut restored, raw_log(lines / 2..lines));
    let live =
        |state: &[(u64, Option<String>, u64, Option<String>)]| -> Vec<u64> { state.iter().map(|t| t.0).collect() };
    let (before, after) = (live(&at_checkpoint), live(&observable(&original)));
    assert!(after.iter().any(|id| !before.contains(id)), "templates are created or generalised after the checkpoint");
    assert!(before.iter().any(|id| !after.contains(id)), "templates are merged or evicted after the checkpoint");
    assert_eq!(actual, expected, "the same template ids for every line as if never stopped");
    assert_eq!(observable(&restored), observable(&original), "the same templates, counts and samples");
    let assigned = assignments(&first).into_iter().chain(assignments(&expected));
    for id in assigned.filter_map(|(_, template)| u64::from_str_radix(&template, 16).ok()) {
        assert_eq!(restored.miner().resolve(id), original.miner().resolve(id), "{id:016x} resolves alike");
    }
    assert_eq!(restored_snapshot, snapshot, "a restored processor checkpoints the same bytes");
    assert_eq!(checkpoint(&restored), checkpoint(&original), "and the same state later");
}

#[test]
fn a_restored_log_processor_assigns_exactly_as_the_original_would_have() {
    let mut original = LogProcessor::new(raw(MinerSettings::default()));
    feed(&mut original, raw_log(0..3000));
    let texts = observable(&original).into_iter().filter_map(|(_, text, _, _)| text);
    assert!(texts.filter(|text| text.contains(super::super::WILDCARD)).count() >= 5, "the log generalises");
    assert_continues_exactly(MinerSettings::default(), 6000);
}

#[test]
fn a_restored_log_processor_evicts_exactly_as_the_original_would_have() {
    assert_continues_exactly(MinerSettings { max_templates: 12, ..MinerSettings::default() }, 4000);
}

#[test]
fn corrupt_truncated_or_foreign_log_snapshots_are_refused_and_the_state_kept() {
    let mut processor = LogProcessor::new(raw(MinerSettings::default()));
    feed(&mut processor, raw_log(0..500));
    let snapshot = checkpoint(&processor);
    let before = observable(&processor);
    let bad: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"hello world".to_vec(),
        SNAPSHOT_HEADER.to_vec(),
        [&SNAPSHOT_HEADER[..], &[0xff; 64]].concat(),
        [&b"AUGURLC1"[..], &snapshot[8..]].concat(),
        [&b"AUGURFC1"[..], &snapshot[8..]].concat(),
        snapshot[..snapshot.len() / 2].to_vec(),
        snapshot[..snapshot.len() - 1].to_vec(),
        [&snapshot[..], &[0]].concat(),
    ];
    for bytes in &bad {
        let error = processor.restore(bytes).err().unwrap_or_else(|| panic!("{} bytes accepted", bytes.len()));
        assert!(error.0.contains("log miner snapshot"), "{error}");
    }
    assert_eq!(observable(&processor), before, "a refused snapshot leaves the state as it was");
    // Damaged bytes are refused or decode to some consistent state; they never panic.
    for at in 8..snapshot.len() {
        let mut damaged = snapshot.clone();
        damaged[at] ^= 0x5a;
        let mut scratch = LogProcessor::new(raw(MinerSettings::default()));
        if scratch.restore(&damaged).is_ok() {
            feed(&mut scratch, raw_log(500..600));
        }
    }
}

fn templates_changed(events: &[LogEvent]) -> Vec<(TemplateChange, String)> {
    events
        .iter()
        .filter_map(|event| match event {
            LogEvent::Template { change, id, .. } => Some((*change, id.clone())),
            _ => None,
        })
        .collect()
}

fn line(number: i64, text: &str) -> LogLine {
    LogLine { number, text: text.to_owned() }
}

#[test]
fn new_and_generalised_templates_are_published_with_their_text_and_sample() {
    let mut processor = LogProcessor::new(LogSettings::default());
    let first = feed(&mut processor, vec![line(1, "disk sda is full")]);
    let changes = templates_changed(&first);
    assert_eq!(changes.len(), 1, "{first:?}");
    assert_eq!(changes[0].0, TemplateChange::Created);
    let LogEvent::Template { template, sample, count, line: at, .. } = &first[0] else { panic!("{first:?}") };
    assert_eq!(
        (template.as_deref(), sample.as_deref(), *count, *at),
        (Some("disk sda is full"), Some("disk sda is full"), 1, 1)
    );
    assert!(matches!(first.last(), Some(LogEvent::Line { line: 1, .. })), "the line's own event comes last");

    let mut later = Vec::new();
    for (n, disk) in ["sdb", "sdc", "sdd", "sde"].iter().enumerate() {
        later.extend(feed(&mut processor, vec![line(n as i64 + 2, &format!("disk {disk} is full"))]));
    }
    let changes = templates_changed(&later);
    assert!(
        changes.iter().any(|(change, _)| matches!(change, TemplateChange::Generalised | TemplateChange::Merged)),
        "variants of one event generalise it: {later:?}"
    );
    let current = processor.miner().live_templates();
    assert_eq!(current.len(), 1, "one event, one template");
    assert!(changes.iter().any(|(_, id)| *id == template_id(current[0].id)), "the surviving id is published");
}

#[test]
fn user_masks_apply_before_mining_and_never_reach_a_template() {
    let mask =
        Mask { name: "card".into(), pattern: Regex::new("card ending [0-9]{4}").unwrap_or_else(|e| panic!("{e}")) };
    let mut processor = LogProcessor::new(LogSettings { masks: vec![mask], ..LogSettings::default() });
    let events = feed(
        &mut processor,
        vec![line(1, "charged card ending 4242 for order"), line(2, "charged card ending 1881 for order")],
    );
    let texts: Vec<String> =
        processor.miner().live_templates().iter().filter_map(|t| processor.miner().template(t.id)).collect();
    assert_eq!(texts, vec!["charged <card> for order".to_owned()], "{events:?}");
    assert_eq!(templates_changed(&events).len(), 1, "both lines are one template from the start");
}

#[test]
fn groups_are_published_on_the_grouping_interval_and_only_when_they_change() {
    let grouping = GroupingSettings {
        vectorizer: Vectorizer::TfIdf,
        linkage: Linkage::Average,
        distance_threshold: 0.6,
        ..GroupingSettings::default()
    };
    let settings = LogSettings { grouping: Some((grouping, 60_000)), ..LogSettings::default() };
    let mut processor = LogProcessor::new(settings);
    let lines = [
        "payment authorisation failed for merchant acme",
        "payment authorisation failed for merchant acme retrying",
        "user logged in from browser",
        "cache warmed in region eu",
    ];
    let input: Vec<LogLine> = (0..40).map(|i| line(i, lines[i as usize % lines.len()])).collect();
    feed(&mut processor, input);
    let mut out = Vec::new();
    processor.on_time(1_000_000, &mut out);
    let groups: Vec<&LogEvent> = out.iter().filter(|e| matches!(e, LogEvent::Group { .. })).collect();
    assert_eq!(groups.len(), 1, "the two payment templates group: {out:?}");
    let LogEvent::Group { templates, template, count, .. } = groups[0] else { panic!() };
    assert_eq!(templates.len(), 2);
    assert!(template.starts_with("payment authorisation failed"), "{template}");
    assert_eq!(*count, 20);
    assert_eq!(processor.groups(), Some(3));

    out.clear();
    feed(&mut processor, vec![line(100, "cache warmed in region us")]);
    processor.on_time(1_030_000, &mut out);
    assert!(out.is_empty(), "not before the interval: {out:?}");
    processor.on_time(1_060_000, &mut out);
    let payments = |e: &LogEvent| matches!(e, LogEvent::Group { template, .. } if template.starts_with("payment"));
    assert!(!out.iter().any(payments), "the payment group did not change: {out:?}");
    out.clear();
    processor.on_time(1_200_000, &mut out);
    assert!(out.is_empty(), "nothing changed since the last run: {out:?}");
}
