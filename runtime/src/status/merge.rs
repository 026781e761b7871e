//! The status one pod applies, pure: its own report merged with what the other pods published (read from the
//! resource just before). No I/O and no clock (the caller passes `now`), so ownership, totals, freshness and the
//! clean-up of entries left by pods that are gone are tested directly.
//!
//! What the pod applies, under its own field manager:
//! - its entry of `pods` and its entries of the kind's list (forecasts, recent anomalies, top templates), each
//!   naming the pod;
//! - the totals over every fresh pod (its own figures, and the others' as last published), and `ModelReady`;
//! - for a Forecaster with several pods, forecasts cut so the pods together stay within one pod's value budget.
//!
//! A pod's entry is fresh while it was updated within [`STALE_INTERVALS`] publication intervals. Entries of pods
//! that are not fresh, and list entries that name no fresh pod, are removed (see [`Removal`]).

use augur_crds::{
    common::{ObservedConditions, RuntimePod, RuntimeProblem, condition_type, reason},
    kinds::forecaster::{ForecastAccuracy, PublishedForecast},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use serde_json::{Map, Value, json};

use super::{
    forecasts::time,
    report::{KindEntries, PodReport},
};
use crate::time::Millis;

/// Publication intervals after which a pod that has not published is considered gone.
pub const STALE_INTERVALS: i64 = 3;

/// Most numbers in all pods' forecasts together (about 200 kB of JSON).
const MAX_FORECAST_VALUES: usize = 20_000;

/// An entry to remove from one of the status' lists: at `index` of `list`, holding `key` in field `field` (checked
/// by the patch, so a list that changed meanwhile is left alone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    /// The list (`pods`, `forecasts`, ...).
    pub list: &'static str,
    /// Position in the list when read.
    pub index: usize,
    /// The key field of the list.
    pub field: &'static str,
    /// The entry's key.
    pub key: String,
}

/// What one pod applies, and what it removes.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// The `status` object to apply.
    pub status: Value,
    /// Entries of gone pods, highest index first within each list.
    pub removals: Vec<Removal>,
}

/// The kind's list: its name in the status, and its key field.
fn kind_list(entries: &KindEntries) -> Option<(&'static str, &'static str)> {
    match entries {
        KindEntries::None => None,
        KindEntries::Forecasts { .. } => Some(("forecasts", "series")),
        KindEntries::Anomalies { .. } => Some(("recentAnomalies", "series")),
        KindEntries::Templates { .. } => Some(("topTemplates", "id")),
    }
}

/// The status `pod` applies with `report`, given the resource's `current` status (`Value::Null` when unknown),
/// its own `problems`, and the publication interval.
pub fn merge(
    current: &Value,
    pod: &str,
    report: &PodReport,
    problems: Vec<RuntimeProblem>,
    now: Millis,
    interval_ms: Millis,
) -> Merged {
    let stale_before = now.saturating_sub(STALE_INTERVALS.saturating_mul(interval_ms.max(1)));
    let own = pod_entry(pod, report, problems, now);
    let listed: Vec<RuntimePod> = current["pods"]
        .as_array()
        .map(|pods| pods.iter().filter_map(|p| serde_json::from_value(p.clone()).ok()).collect())
        .unwrap_or_default();
    let is_fresh = |p: &RuntimePod| p.updated.0.as_millisecond() >= stale_before;
    let mut fresh: Vec<&RuntimePod> = listed.iter().filter(|p| p.name != pod && is_fresh(p)).collect();
    fresh.push(&own);
    let fresh_names: Vec<&str> = fresh.iter().map(|p| p.name.as_str()).collect();

    let mut removals = Vec::new();
    if let Some(pods) = current["pods"].as_array() {
        for (index, entry) in pods.iter().enumerate().rev() {
            let name = entry["name"].as_str().unwrap_or_default();
            if name != pod && !fresh_names.contains(&name) {
                removals.push(Removal { list: "pods", index, field: "name", key: name.to_owned() });
            }
        }
    }
    if let Some((list, field)) = kind_list(&report.entries)
        && let Some(entries) = current[list].as_array()
    {
        for (index, entry) in entries.iter().enumerate().rev() {
            let owner = entry["pod"].as_str().unwrap_or_default();
            if !fresh_names.contains(&owner) {
                let key = entry[field].as_str().unwrap_or_default().to_owned();
                removals.push(Removal { list, index, field, key });
            }
        }
    }

    let mut status = Map::new();
    let sum_i64 = |pick: fn(&RuntimePod) -> Option<i64>| fresh.iter().filter_map(|p| pick(p)).sum::<i64>();
    status.insert("seriesTracked".into(), json!(sum_i64(|p| p.series_tracked)));
    let rate: f64 = fresh.iter().filter_map(|p| p.records_per_second).sum();
    status.insert("recordsPerSecond".into(), json!(round2(rate)));
    status.insert("deadLetteredRecords".into(), json!(sum_i64(|p| p.dead_lettered_records)));
    if let Some(last) = fresh.iter().filter_map(|p| p.last_result_time.clone()).max_by_key(|t| t.0) {
        status.insert("lastResultTime".into(), json!(last));
    }
    let conditions: ObservedConditions =
        serde_json::from_value(json!({"conditions": current["conditions"]})).unwrap_or_default();
    status.insert("conditions".into(), json!([model_ready(&fresh, &conditions, now)]));

    let mut own = own.clone();
    own.problems.sort();
    match &report.entries {
        KindEntries::None => {}
        KindEntries::Forecasts { forecasts, accuracy, .. } => {
            let budget = MAX_FORECAST_VALUES / fresh.len().max(1);
            let forecasts: Vec<PublishedForecast> = trimmed(forecasts, budget)
                .into_iter()
                .map(|f| PublishedForecast { pod: Some(pod.to_owned()), ..f })
                .collect();
            let others = current["forecasts"].as_array().into_iter().flatten().filter(|f| {
                let owner = f["pod"].as_str().unwrap_or_default();
                owner != pod && fresh_names.contains(&owner)
            });
            if let Some(overall) = overall_accuracy(accuracy.as_ref(), &forecasts, others) {
                status.insert("accuracy".into(), json!(overall));
            }
            status.insert("forecasts".into(), json!(forecasts));
        }
        KindEntries::Anomalies { active, recent } => {
            let others: i64 =
                fresh.iter().filter(|p| p.name != pod).filter_map(|p| p.active_anomalies).map(i64::from).sum();
            status.insert("activeAnomalies".into(), json!(others + i64::from(*active)));
            let recent: Vec<Value> = recent
                .iter()
                .map(|a| {
                    let mut entry = json!(a);
                    entry["pod"] = json!(pod);
                    entry
                })
                .collect();
            status.insert("recentAnomalies".into(), Value::Array(recent));
        }
        KindEntries::Templates { templates, groups, top } => {
            status.insert("templates".into(), json!(sum_i64(|p| p.series_tracked).max(*templates)));
            if let Some(groups) = groups {
                status.insert("groups".into(), json!(groups));
            }
            status.insert("linesPerSecond".into(), json!(round2(rate)));
            let top: Vec<Value> = top
                .iter()
                .map(|t| {
                    let mut entry = json!(t);
                    entry["pod"] = json!(pod);
                    entry
                })
                .collect();
            status.insert("topTemplates".into(), Value::Array(top));
        }
    }
    status.insert("pods".into(), json!([own]));
    Merged { status: Value::Object(status), removals }
}

/// This pod's entry of `pods`.
fn pod_entry(pod: &str, report: &PodReport, problems: Vec<RuntimeProblem>, now: Millis) -> RuntimePod {
    let active = match &report.entries {
        KindEntries::Anomalies { active, .. } => Some(*active),
        _ => None,
    };
    RuntimePod {
        name: pod.to_owned(),
        updated: time(now),
        partitions: report.partitions.clone(),
        series_tracked: Some(report.series_tracked),
        records: Some(i64::try_from(report.records).unwrap_or(i64::MAX)),
        records_per_second: Some(round2(report.records_per_second)),
        dead_lettered_records: Some(i64::try_from(report.dead_letters).unwrap_or(i64::MAX)),
        last_result_time: report.last_result.map(time),
        active_anomalies: active,
        model_ready: Some(report.model.ready),
        model_message: Some(report.model.message.chars().take(1024).collect()),
        problems,
    }
}

/// `ModelReady` over the fresh pods: true when every pod's models are ready; otherwise the first pod still
/// warming up says how far it is.
fn model_ready(fresh: &[&RuntimePod], previous: &ObservedConditions, now: Millis) -> Condition {
    let waiting: Vec<&&RuntimePod> = fresh.iter().filter(|p| p.model_ready != Some(true)).collect();
    let ready = waiting.is_empty();
    let describe = |p: &RuntimePod| p.model_message.clone().unwrap_or_default();
    let message = match (fresh, waiting.first()) {
        ([only], _) => describe(only),
        (_, Some(first)) => format!(
            "{} of {} pods ready; {}: {}",
            fresh.len() - waiting.len(),
            fresh.len(),
            first.name,
            describe(first)
        ),
        (_, None) => format!("all {} pods ready", fresh.len()),
    };
    let why = if ready { reason::MODELS_READY } else { reason::WARMING_UP };
    previous.next(condition_type::MODEL_READY, ready, why, message, None, &time(now))
}

/// Overall accuracy: this pod's own over all its series when it is alone, else the mean over every published
/// forecast (this pod's and the fresh others').
fn overall_accuracy<'a>(
    own: Option<&ForecastAccuracy>,
    forecasts: &[PublishedForecast],
    others: impl Iterator<Item = &'a Value>,
) -> Option<ForecastAccuracy> {
    let others: Vec<&Value> = others.collect();
    if others.is_empty() {
        return own.cloned();
    }
    let (mut mase, mut coverage, mut skill) = (Vec::new(), Vec::new(), Vec::new());
    for accuracy in forecasts.iter().filter_map(|f| f.accuracy.as_ref()) {
        mase.extend(accuracy.mase);
        coverage.extend(accuracy.coverage);
        skill.extend(accuracy.skill);
    }
    for other in others {
        mase.extend(other["accuracy"]["mase"].as_f64());
        coverage.extend(other["accuracy"]["coverage"].as_f64());
        skill.extend(other["accuracy"]["skill"].as_f64());
    }
    let mean = |values: &[f64]| (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    let overall = ForecastAccuracy { mase: mean(&mase), coverage: mean(&coverage), skill: mean(&skill) };
    (overall.mase.is_some() || overall.coverage.is_some() || overall.skill.is_some()).then_some(overall)
}

/// `forecasts` with their points and peaks cut (evenly, from the far end) so that all their numbers fit `budget`.
fn trimmed(forecasts: &[PublishedForecast], budget: usize) -> Vec<PublishedForecast> {
    let numbers = |rows: &[Vec<f64>]| rows.iter().map(Vec::len).sum::<usize>();
    let total: usize = forecasts.iter().map(|f| numbers(&f.points) + numbers(&f.peaks)).sum();
    if total <= budget {
        return forecasts.to_vec();
    }
    let per_row = |f: &PublishedForecast| f.quantiles.len().max(1) * if f.peaks.is_empty() { 1 } else { 2 };
    let columns: usize = forecasts.iter().map(per_row).sum::<usize>().max(1);
    let points = (budget / columns).max(1);
    let cut = |rows: &[Vec<f64>]| rows.iter().take(points).cloned().collect();
    forecasts.iter().map(|f| PublishedForecast { points: cut(&f.points), peaks: cut(&f.peaks), ..f.clone() }).collect()
}

/// Two decimals: rates are not more precise than that.
fn round2(value: f64) -> f64 {
    if value.is_finite() { (value * 100.0).round() / 100.0 } else { 0.0 }
}
