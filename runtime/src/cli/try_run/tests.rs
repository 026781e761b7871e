//! `augur try` end to end on the bundled sample data: summary, plot and JSON lines.

use std::path::{Path, PathBuf};

use super::*;

fn repository(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("augur-try-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir.join(name)
}

#[test]
fn tries_the_readme_example_on_the_sample_data() {
    let (plot, results) = (scratch("plot.svg"), scratch("results.jsonl"));
    let options = TryOptions {
        manifest: repository("examples/anomaly-detector.yaml"),
        input: repository("examples/data/service-metrics.csv"),
        plot: Some(plot.clone()),
        out: Some(results.clone()),
        metrics: None,
        top: 5,
    };
    let mut out = Vec::new();
    run(&options, &mut out).unwrap_or_else(|e| panic!("{e:#}"));
    let summary = String::from_utf8_lossy(&out);

    assert!(summary.contains("6048 points in 3 series, 0 malformed"), "{summary}");
    let first_incident = summary.lines().skip_while(|line| !line.contains("highest peak first")).nth(2);
    assert!(
        first_incident.is_some_and(|line| line.contains("2026-11-04 11:35:00") && line.contains("checkout/latency_ms")),
        "the largest incident leads the list:\n{summary}"
    );

    let lines = std::fs::read_to_string(&results).unwrap_or_default();
    let reported: Vec<(String, i64)> = lines
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|result| result["anomaly"] == true)
        .map(|r| (r["series"].as_str().unwrap_or_default().to_owned(), r["timestamp"].as_i64().unwrap_or(0)))
        .collect();
    // The incidents the generator planted, each with how soon it must be reported: a spike, a drop and a burst at
    // once; a lasting shift of a few noise widths needs some points of evidence, so within the hour.
    for (time, series, within_minutes) in [
        ("2026-11-04 11:35:00", "checkout/latency_ms", 5),
        ("2026-11-05 13:15:00", "checkout/requests_per_second", 5),
        ("2026-11-07 07:15:00", "checkout/latency_ms", 60),
        ("2026-11-08 04:50:00", "payments/error_rate", 5),
    ] {
        let start = crate::time::parse_timestamp(time).unwrap_or_default();
        let found = reported.iter().any(|(s, t)| s == series && (start..=start + within_minutes * 60_000).contains(t));
        assert!(found, "{series} at {time} not reported within {within_minutes} min; reported: {reported:?}");
    }
    assert!(reported.len() <= 10, "a handful of reports, not a flood: {reported:?}");
    // The traffic drop lasts from 13:15 to about 14:40: one incident, reported once.
    let (drop_start, drop_end) = ("2026-11-05 13:15:00", "2026-11-05 14:45:00");
    let [drop_start, drop_end] = [drop_start, drop_end].map(|t| crate::time::parse_timestamp(t).unwrap_or_default());
    let drop_reports = reported
        .iter()
        .filter(|(s, t)| s == "checkout/requests_per_second" && (drop_start..=drop_end).contains(t))
        .count();
    assert_eq!(drop_reports, 1, "the drop is reported once: {reported:?}");

    let svg = std::fs::read_to_string(&plot).unwrap_or_default();
    assert_eq!(
        svg.matches("font-weight=\"bold\">checkout/").count() + svg.matches("font-weight=\"bold\">payments/").count(),
        3
    );
    assert!(svg.contains("<circle"), "anomalies are marked");
    assert_eq!(lines.lines().count(), 6048, "one result per point");
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap_or("{}")).unwrap_or_default();
    for field in
        ["series", "timestamp", "value", "score", "expected", "lower", "upper", "deviation", "reason", "anomaly"]
    {
        assert!(first.get(field).is_some(), "{field} missing in {first}");
    }
    let report: serde_json::Value = lines
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|result| result["anomaly"] == true)
        .unwrap_or_default();
    assert_eq!(report["incident"]["status"], "opened", "{report}");
    assert_eq!(report["incident"]["start"], report["timestamp"], "{report}");
    for field in ["timestamp", "value", "score"] {
        assert!(report["incident"]["peak"].get(field).is_some(), "peak.{field} missing in {report}");
    }
    let closed = lines.lines().filter(|line| line.contains("\"status\":\"closed\"")).count();
    assert!(closed >= 5, "incidents end, and say when: {closed} closed");
}

#[test]
fn malformed_input_lines_are_counted_not_fatal() {
    let input = scratch("bad.csv");
    std::fs::write(&input, "timestamp,value\n2026-01-01 00:00:00,1\nbroken\n2026-01-01 00:05:00,2\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let options = TryOptions {
        manifest: repository("examples/minimal/anomaly-detector.yaml"),
        input,
        plot: None,
        out: None,
        metrics: None,
        top: 3,
    };
    let mut out = Vec::new();
    run(&options, &mut out).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(String::from_utf8_lossy(&out).contains("2 points in 1 series, 1 malformed"));
}

#[test]
fn kinds_without_a_local_pipeline_say_so() {
    let options = TryOptions {
        manifest: repository("examples/autoscale-policy.yaml"),
        input: repository("examples/data/service-metrics.csv"),
        plot: None,
        out: None,
        metrics: None,
        top: 3,
    };
    let error = run(&options, &mut Vec::new()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("no runtime pipeline to try"), "{error}");
}

#[test]
fn tries_a_forecaster_on_the_sample_data() {
    let plot = scratch("forecast.svg");
    let options = TryOptions {
        manifest: repository("examples/forecaster.yaml"),
        input: repository("examples/data/service-metrics.csv"),
        plot: Some(plot.clone()),
        out: None,
        metrics: None,
        top: 5,
    };
    let mut out = Vec::new();
    run(&options, &mut out).unwrap_or_else(|e| panic!("{e:#}"));
    let summary = String::from_utf8_lossy(&out);
    assert!(summary.contains("6048 points in 3 series"), "{summary}");
    assert_eq!(summary.matches("ready (2016 steps of history)").count(), 3, "{summary}");
    // The forecast starts one step after the data ends, and its quantile columns are labelled.
    assert!(summary.contains("2026-11-09 00:00:00") && summary.contains("p10") && summary.contains("p90"), "{summary}");
    let mase: Vec<f64> = summary
        .lines()
        .filter_map(|l| l.split("rolling MASE ").nth(1))
        .filter_map(|rest| rest.split(',').next()?.trim().parse().ok())
        .collect();
    assert_eq!(mase.len(), 3);
    assert!(mase.iter().all(|m| *m < 1.0), "every series beats seasonal-naive: {mase:?}");
    let svg = std::fs::read_to_string(&plot).unwrap_or_default();
    assert_eq!(svg.matches("fill-opacity").count(), 6, "a band in both panels of each series");
    assert_eq!(svg.matches(": the last day and the 1h ahead").count(), 3, "{svg}");
    assert_eq!(svg.matches(": zoom on the forecast ahead (the last 3h, the 1h ahead)").count(), 3, "{svg}");
    assert_eq!(svg.matches("forecast ahead →").count(), 6, "now is marked in every panel");
}

#[test]
fn tries_a_log_clusterer_on_the_sample_log() {
    let (plot, metrics) = (scratch("logs.svg"), scratch("logs.metrics"));
    let options = TryOptions {
        manifest: repository("examples/log-clusterer.yaml"),
        input: repository("examples/data/app.log"),
        plot: Some(plot.clone()),
        out: None,
        metrics: Some(metrics.clone()),
        top: 10,
    };
    let mut out = Vec::new();
    run(&options, &mut out).unwrap_or_else(|e| panic!("{e:#}"));
    let summary = String::from_utf8_lossy(&out);
    assert!(summary.contains("3000 lines, 8 templates"), "one template per event type of the generator:\n{summary}");
    for template in [
        "User <*> logged in from <*>",
        "Payment authorisation failed for order <*>",
        "Slow query on table orders took <*>",
    ] {
        assert!(summary.contains(template), "{template} missing:\n{summary}");
    }
    let created: u64 = summary
        .split("published to the topic: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .unwrap_or(0);
    assert!(created >= 8, "a pod publishes every template it creates, at least the 8 that remain:\n{summary}");
    let svg = std::fs::read_to_string(&plot).unwrap_or_default();
    // The sample's incident comes first: a template new at 60% of the file, bursting; time runs across.
    let titles: Vec<&str> = svg.split(r#"font-weight="bold">"#).skip(2).filter_map(|t| t.split('<').next()).collect();
    let incident = |t: &&str| t.starts_with("Payment authorisation failed") && t.contains("new at 2026-11-02 13:36:00");
    assert!(titles.first().is_some_and(incident), "{titles:?}");
    assert_eq!(titles.len(), 6, "{titles:?}");
    assert!(svg.contains(">2026-11-02 00:00:00<") && !svg.contains("line 1"), "time across, not line numbers");
    assert!(svg.contains(r#"text-anchor="end">0</text>"#), "counts from zero");
    // The metrics a pod serves: every line counted, and a series per template.
    let exposition = std::fs::read_to_string(&metrics).unwrap_or_default();
    assert!(exposition.contains("augur_logs_lines_total 3000"), "{exposition}");
    assert_eq!(exposition.matches("augur_logs_template_lines{").count(), 8, "{exposition}");
}
