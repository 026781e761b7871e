//! Several pods, one status: each applies only its own entries, totals cover the fresh pods, entries of pods that
//! are gone are removed, and `ModelReady` keeps its transition time while it holds.

use augur_crds::kinds::anomaly_detector::AnomalySummary;
use serde_json::{Value, json};

use super::{NOW, entry, forecast};
use crate::status::{
    KindEntries, Limits, ModelProgress, PodReport, forecast_report,
    forecasts::time,
    merge::{Removal, merge},
};

const INTERVAL: i64 = 30_000;

fn anomalies(active: i32, series: &[&str]) -> PodReport {
    let recent = series
        .iter()
        .map(|s| AnomalySummary {
            series: (*s).to_owned(),
            pod: None,
            active: true,
            start: None,
            end: None,
            time: time(NOW),
            value: 9.0,
            expected: 1.0,
            score: 0.99,
            reason: "spike".into(),
        })
        .collect();
    PodReport {
        partitions: vec![0],
        series_tracked: 5,
        records: 100,
        records_per_second: 10.0,
        dead_letters: 1,
        last_result: Some(NOW - 1000),
        model: ModelProgress { ready: true, message: "5 of 5 series past their warm-up".into() },
        entries: KindEntries::Anomalies { active, recent },
    }
}

/// Another pod's entry as the API server would hold it, updated `age` ms ago.
fn other_pod(name: &str, age: i64, ready: bool, active: i32) -> Value {
    json!({
        "name": name, "updated": time(NOW - age), "partitions": [1], "seriesTracked": 7, "records": 50,
        "recordsPerSecond": 2.5, "deadLetteredRecords": 2, "lastResultTime": time(NOW - 500),
        "activeAnomalies": active, "modelReady": ready, "modelMessage": format!("{name} is warming up"),
    })
}

#[test]
fn a_pod_applies_its_own_entries_and_totals_over_the_fresh_pods() {
    let current = json!({
        "pods": [other_pod("b", 1_000, true, 2), other_pod("gone", 10 * INTERVAL, true, 9)],
        "recentAnomalies": [
            {"series": "cpu{pod=b}", "pod": "b", "active": true},
            {"series": "cpu{pod=gone}", "pod": "gone", "active": true},
        ],
    });
    let merged = merge(&current, "a", &anomalies(1, &["cpu{pod=a}"]), Vec::new(), NOW, INTERVAL);
    let status = &merged.status;
    assert_eq!(status["pods"].as_array().map(Vec::len), Some(1), "only its own pod entry");
    assert_eq!(status["pods"][0]["name"], "a");
    assert_eq!(
        status["recentAnomalies"],
        json!([{
            "series": "cpu{pod=a}", "pod": "a", "active": true, "time": time(NOW), "value": 9.0, "expected": 1.0,
            "score": 0.99, "reason": "spike",
        }])
    );
    assert_eq!(status["activeAnomalies"], 3, "its own and b's; the gone pod's are not counted");
    assert_eq!(status["seriesTracked"], 12);
    assert_eq!(status["recordsPerSecond"], 12.5);
    assert_eq!(status["deadLetteredRecords"], 3);
    assert_eq!(status["lastResultTime"], json!(time(NOW - 500)), "the latest over the pods");
    assert_eq!(
        merged.removals,
        vec![
            Removal { list: "pods", index: 1, field: "name", key: "gone".into() },
            Removal { list: "recentAnomalies", index: 1, field: "series", key: "cpu{pod=gone}".into() },
        ]
    );
}

#[test]
fn model_ready_waits_for_every_pod_and_keeps_its_transition_time_while_it_holds() {
    let earlier = time(NOW - 3_600_000);
    let current = json!({
        "pods": [other_pod("b", 1_000, false, 0)],
        "conditions": [{"type": "ModelReady", "status": "False", "reason": "WarmingUp", "message": "",
                        "lastTransitionTime": earlier}],
    });
    let merged = merge(&current, "a", &anomalies(0, &[]), Vec::new(), NOW, INTERVAL);
    let condition = &merged.status["conditions"][0];
    assert_eq!((condition["type"].as_str(), condition["status"].as_str()), (Some("ModelReady"), Some("False")));
    assert_eq!(condition["message"], "1 of 2 pods ready; b: b is warming up");
    assert_eq!(condition["lastTransitionTime"], json!(earlier), "still False: kept");

    let current = json!({"pods": [other_pod("b", 1_000, true, 0)], "conditions": current["conditions"]});
    let merged = merge(&current, "a", &anomalies(0, &[]), Vec::new(), NOW, INTERVAL);
    let condition = &merged.status["conditions"][0];
    assert_eq!((condition["status"].as_str(), condition["message"].as_str()), (Some("True"), Some("all 2 pods ready")));
    assert_eq!(condition["lastTransitionTime"], json!(time(NOW)), "flipped: now");
}

#[test]
fn with_several_pods_forecasts_share_one_pods_value_budget_and_name_their_pod() {
    let forecasts: Vec<_> = (0..8).map(|i| forecast(3, 1000, f64::from(i))).collect();
    let names: Vec<String> = (0..8).map(|i| format!("s{i}")).collect();
    let all: Vec<_> = names.iter().zip(&forecasts).map(|(n, f)| entry(n, f, 400, 288)).collect();
    let limits = Limits { max_series: 32, max_points: 1000, max_values: 20_000 };
    let (entries, model) = forecast_report(&all, None, NOW, &limits);
    let report = PodReport { model, entries, ..PodReport::default() };
    let values = |status: &Value| -> usize {
        status["forecasts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| ["points", "peaks"].iter().map(|key| f[key].as_array().map_or(0, |p| p.len() * 3)).sum::<usize>())
            .sum()
    };
    let alone = merge(&Value::Null, "a", &report, Vec::new(), NOW, INTERVAL);
    assert!(values(&alone.status) <= 20_000 && values(&alone.status) > 10_000, "{}", values(&alone.status));
    assert!(alone.status["forecasts"].as_array().into_iter().flatten().all(|f| f["pod"] == "a"));
    let shared = json!({"pods": [other_pod("b", 0, true, 0), other_pod("c", 0, true, 0), other_pod("d", 0, true, 0)]});
    let merged = merge(&shared, "a", &report, Vec::new(), NOW, INTERVAL);
    assert!(values(&merged.status) <= 5_000, "a quarter each: {}", values(&merged.status));
}

#[test]
fn problems_go_into_the_pods_entry() {
    let problem = augur_crds::common::RuntimeProblem {
        reason: "SinkUnavailable".into(),
        message: "cannot deliver results to Kafka topic out".into(),
    };
    let merged = merge(&Value::Null, "a", &anomalies(0, &[]), vec![problem], NOW, INTERVAL);
    assert_eq!(merged.status["pods"][0]["problems"][0]["reason"], "SinkUnavailable");
    assert!(merged.removals.is_empty());
}
