//! The chart's dashboards and alert rules query only metrics the binaries export: every metric name in every panel
//! query, variable query and rule expression is one the runtime's or the operator's registry encodes (as a sample
//! name: a counter's `_total`, a histogram's `_bucket`, `_sum` and `_count`), or `up`, which Prometheus writes for
//! every target it scrapes. The registries are the real ones, encoded as `/metrics` serves them; a labelled family
//! shows only once it has a series, so each is given one through the calls the binaries make.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
};

use augur_runtime::models::{
    forecast::{Accuracy, Readiness, StepForecast},
    logs::{TemplateChange, TemplateText},
};
use serde_json::Value;

fn chart() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../charts/augur")
}

/// Sample names the registry behind `exposition` can serve, from its `# TYPE` lines.
fn sample_names(exposition: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in exposition.lines() {
        let mut words = line.strip_prefix("# TYPE ").into_iter().flat_map(str::split_whitespace);
        let (Some(name), Some(kind)) = (words.next(), words.next()) else { continue };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total"],
            "histogram" => &["_bucket", "_sum", "_count"],
            _ => &[""],
        };
        names.extend(suffixes.iter().map(|suffix| format!("{name}{suffix}")));
    }
    names
}

/// Every sample name our binaries export, and `up`.
fn exported() -> BTreeSet<String> {
    let runtime = augur_runtime::metrics::RuntimeMetrics::new();
    let series = "payments/requests_per_second";
    runtime.forecasts.export(&[series.to_owned()]);
    let step = StepForecast {
        series: series.into(),
        timestamp: 0,
        value: 1.0,
        next: (0.5, 1.0, 1.5),
        readiness: Readiness { points: 1, needed: 1 },
        accuracy: Accuracy { mase: Some(0.5), coverage: Some(0.9), skill: Some(0.2) },
    };
    runtime.forecasts.observe(&[step.clone(), step]);
    runtime.logs.refresh(&[TemplateText { id: 7, words: vec!["started".into()], count: 3 }]);
    runtime.logs.count_change(TemplateChange::Created);
    let operator = augur_operator::metrics::Metrics::default();
    operator.record("AnomalyDetector", "applied", 0.01);
    operator.set_floor("shop", "checkout", Some(3));
    operator.set_target_replicas("shop", "checkout", Some(3));
    operator.set_blocked("shop", "checkout", Some("Cooldown"));
    operator.actuated("FloorRaised");
    let mut names = sample_names(&runtime.encode());
    names.extend(sample_names(&operator.encode()));
    names.insert("up".into());
    names
}

/// PromQL words that are neither metrics nor functions: binary and grouping keywords, and the aggregation operators
/// (`sum by (x) (...)` puts a word between the operator and its parenthesis).
const KEYWORDS: [&str; 26] = [
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "inf",
    "nan",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
];

/// The metric names in PromQL `expr`: what is left once strings, label matchers, ranges, label lists, Grafana
/// variables, numbers, keywords and function names (a word before `(`) are taken out.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut text = String::new();
    let mut depth_braces = 0;
    let mut depth_brackets = 0;
    let mut in_string = false;
    for c in expr.chars() {
        match c {
            '"' => in_string = !in_string,
            _ if in_string => {}
            '{' => depth_braces += 1,
            '}' => depth_braces -= 1,
            '[' => depth_brackets += 1,
            ']' => depth_brackets -= 1,
            _ if depth_braces > 0 || depth_brackets > 0 => {}
            c => text.push(c),
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    let mut after_grouping = false;
    while i < chars.len() {
        let c = chars[i];
        // A Grafana variable, or a number or duration (`0.99`, `5m`, `1e3`): no metric.
        if c == '$' || c.is_ascii_digit() {
            i += 1;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                i += 1;
            }
            continue;
        }
        if !(c.is_ascii_alphabetic() || c == '_' || c == ':') {
            // A label list after `by`/`without`/`on`/...: skip it whole.
            if c == '(' && after_grouping {
                while i < chars.len() && chars[i] != ')' {
                    i += 1;
                }
            }
            if !c.is_whitespace() {
                after_grouping = false;
            }
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':') {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let next = chars[i..].iter().find(|c| !c.is_whitespace());
        after_grouping = ["by", "without", "on", "ignoring", "group_left", "group_right"].contains(&word.as_str());
        let function = next == Some(&'(') && !after_grouping;
        if !function && !after_grouping && !KEYWORDS.contains(&word.to_lowercase().as_str()) {
            names.insert(word);
        }
    }
    names
}

/// The queries of a dashboard: each panel target's `expr`, and the metric of each `label_values(...)` variable.
fn dashboard_queries(dashboard: &Value) -> Vec<String> {
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            queries.extend(target["expr"].as_str().map(str::to_owned));
        }
    }
    for variable in dashboard["templating"]["list"].as_array().into_iter().flatten() {
        let query = variable["query"]["query"].as_str().or_else(|| variable["query"].as_str()).unwrap_or_default();
        if let Some(arguments) = query.strip_prefix("label_values(") {
            // label_values(metric{...}, label): only the first argument is PromQL.
            let metric = arguments.rsplit_once(',').map_or(arguments, |(metric, _)| metric);
            queries.push(metric.to_owned());
        }
    }
    queries
}

fn dashboards() -> BTreeMap<String, Value> {
    let dir = chart().join("dashboards");
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let path = entry.path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let dashboard = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        found.insert(path.file_name().unwrap_or_default().to_string_lossy().into_owned(), dashboard);
    }
    found
}

#[test]
fn metric_names_are_found_in_promql() {
    let names = |expr| metric_names(expr).into_iter().collect::<Vec<_>>();
    assert_eq!(
        names(r#"histogram_quantile(0.99, sum by (le, kind) (rate(x_bucket{a="b"}[$__rate_interval])))"#),
        ["x_bucket"]
    );
    assert_eq!(names(r#"time() - max by (pod) (y{n=~"$namespace"} > 0) and on (pod) z offset 5m"#), ["y", "z"]);
    assert_eq!(names(r#"(sum(a) or vector(0)) < 1 unless b{l="x(y)"}"#), ["a", "b"]);
    assert_eq!(names("topk(10, sum without (pod) (c))"), ["c"]);
}

#[test]
fn every_dashboard_query_uses_exported_metrics_only() {
    let exported = exported();
    for expected in ["augur_runtime_lag_records", "augur_forecast_actual", "augur_operator_leader"] {
        assert!(exported.contains(expected), "{expected} is not exported: {exported:?}");
    }
    let dashboards = dashboards();
    assert_eq!(dashboards.len(), 6, "operator, runtime and one per kind: {:?}", dashboards.keys());
    for (file, dashboard) in &dashboards {
        let mut used = BTreeSet::new();
        for panel in dashboard["panels"].as_array().into_iter().flatten() {
            let text = panel["type"] == "text";
            let targets = panel["targets"].as_array().map_or(0, Vec::len);
            assert!(text || targets > 0, "{file}: panel {} has no query", panel["title"]);
        }
        for query in dashboard_queries(dashboard) {
            let names = metric_names(&query);
            assert!(!names.is_empty(), "{file}: no metric in {query}");
            for name in names {
                assert!(exported.contains(&name), "{file}: {name} (in {query}) is not exported by the binaries");
                used.insert(name);
            }
        }
        println!("{file}: {}", used.into_iter().collect::<Vec<_>>().join(", "));
    }
}

#[test]
fn every_alert_uses_exported_metrics_only() {
    let exported = exported();
    let path = chart().join("rules/augur.rules.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rules: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut alerts = 0;
    for rule in
        rules["groups"].as_array().into_iter().flatten().flat_map(|g| g["rules"].as_array().into_iter().flatten())
    {
        // The threshold the chart fills in (`{{ .Values... }}`) is braces, taken out like a label matcher.
        let expr = rule["expr"].as_str().unwrap_or_default();
        let names = metric_names(expr);
        assert!(!names.is_empty(), "{}: no metric in {expr}", rule["alert"]);
        for name in names {
            assert!(exported.contains(&name), "{}: {name} is not exported by the binaries", rule["alert"]);
        }
        alerts += 1;
    }
    assert!(alerts >= 5, "runtime down, lag, dead letters, forecast accuracy, reconcile errors: {alerts}");
}
