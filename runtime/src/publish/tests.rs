//! The published status: selection, bounds, rounding, accuracy and an honest `ModelReady`.

use augur_crds::common::condition_type;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use serde_json::json;

use super::*;
use crate::models::forecast::{Accuracy, Forecast, Readiness};

const NOW: i64 = 1_800_000_000_000;
const STEP: i64 = 300_000;

fn forecast(columns: usize, rows: usize, base: f64) -> Forecast {
    let quantiles: Vec<f64> = (1..=columns).map(|i| i as f64 / (columns + 1) as f64).collect();
    let points = (0..rows).map(|k| (0..columns).map(|c| base + k as f64 + c as f64 / 3.0).collect()).collect();
    Forecast { quantiles, points }
}

fn entry<'a>(series: &'a str, forecast: &'a Forecast, points: u64, needed: u64) -> SeriesForecast<'a> {
    SeriesForecast {
        series,
        start: NOW + STEP,
        step_ms: STEP,
        forecast,
        accuracy: Accuracy { mase: Some(0.5), coverage: Some(0.8) },
        readiness: Readiness { points, needed },
    }
}

fn model_ready(status: &augur_crds::kinds::forecaster::ForecasterStatus) -> &Condition {
    status.runtime.observed.condition(condition_type::MODEL_READY).unwrap_or_else(|| panic!("no ModelReady"))
}

#[test]
fn publishes_only_the_wanted_ready_series_with_times_step_and_quantiles() {
    let (a, b) = (forecast(3, 12, 100.0), forecast(3, 12, 200.0));
    let all = [entry("rps", &a, 400, 288), entry("unrelated", &b, 400, 288)];
    let wanted = vec!["rps".to_owned()];
    let status = status_patch(&all, Some(&wanted), NOW, None, &Limits::default());
    assert_eq!(status.forecasts.len(), 1);
    let published = &status.forecasts[0];
    assert_eq!(published.series, "rps");
    assert_eq!(published.quantiles, vec![0.25, 0.5, 0.75]);
    assert_eq!(published.points.len(), 12);
    assert_eq!(published.points[1], vec![101.0, 101.333, 101.667], "six significant digits");
    assert_eq!(published.step.as_std().as_secs(), 300);
    assert_eq!(published.start.0.as_millisecond(), NOW + STEP);
    assert_eq!(published.generated_at.0.as_millisecond(), NOW);
    let ready = model_ready(&status);
    assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("True", "ModelsReady"));
    assert_eq!(ready.message, "1 of 1 series ready");
}

#[test]
fn the_body_leaves_the_operators_fields_out() {
    let a = forecast(3, 4, 1.0);
    let status = status_patch(&[entry("rps", &a, 400, 288)], None, NOW, None, &Limits::default());
    let body = serde_json::to_value(&status).unwrap_or_default();
    for field in ["observedGeneration", "replicas", "readyReplicas"] {
        assert!(body.get(field).is_none(), "{field} belongs to the operator: {body}");
    }
    assert_eq!(body["accuracy"], json!({"mase": 0.5, "coverage": 0.8}));
    assert_eq!(body["conditions"].as_array().map(Vec::len), Some(1));
}

#[test]
fn warming_up_and_missing_series_make_model_ready_false_and_are_not_published() {
    let (a, b) = (forecast(3, 4, 1.0), forecast(3, 4, 1.0));
    let all = [entry("ready", &a, 400, 288), entry("young", &b, 48, 288)];
    let wanted = vec!["ready".to_owned(), "young".to_owned(), "absent".to_owned()];
    let status = status_patch(&all, Some(&wanted), NOW, None, &Limits::default());
    assert_eq!(status.forecasts.iter().map(|f| f.series.as_str()).collect::<Vec<_>>(), ["ready"]);
    let ready = model_ready(&status);
    assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("False", "WarmingUp"));
    assert_eq!(
        ready.message,
        "1 of 3 series ready; warming up: young: 48 of 288 steps of history, about 20h left; no points yet: absent"
    );
}

#[test]
fn nothing_seen_is_not_ready() {
    let status = status_patch(&[], None, NOW, None, &Limits::default());
    assert!(status.forecasts.is_empty());
    assert_eq!(model_ready(&status).status, "False");
    assert_eq!(model_ready(&status).message, "no series seen yet");
    assert!(status.accuracy.is_none());
}

#[test]
fn series_points_and_values_are_bounded() {
    let forecasts: Vec<Forecast> = (0..40).map(|i| forecast(3, 1000, f64::from(i))).collect();
    let names: Vec<String> = (0..40).map(|i| format!("s{i:02}")).collect();
    let all: Vec<SeriesForecast<'_>> = names.iter().zip(&forecasts).map(|(n, f)| entry(n, f, 400, 288)).collect();
    let limits = Limits { max_series: 100, max_points: 5000, max_values: 9_600 };
    let status = status_patch(&all, None, NOW, None, &limits);
    assert_eq!(status.forecasts.len(), 32, "the schema's limit");
    assert!(status.forecasts.iter().all(|f| f.points.len() == 100), "9600 values over 32 series of 3 columns");
    assert!(model_ready(&status).message.ends_with("; 8 ready series not published (limit reached)"));
    let bytes = serde_json::to_vec(&status).unwrap_or_default().len();
    assert!(bytes < 200_000, "{bytes} bytes");
}

#[test]
fn more_than_nine_quantiles_keep_the_median_and_the_outermost() {
    let wide = Forecast {
        quantiles: vec![0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99],
        points: vec![(0..11).map(f64::from).collect()],
    };
    let status = status_patch(&[entry("rps", &wide, 400, 288)], None, NOW, None, &Limits::default());
    let published = &status.forecasts[0];
    assert_eq!(published.quantiles, vec![0.01, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99]);
    assert_eq!(published.points[0], vec![0.0, 1.0, 2.0, 3.0, 5.0, 7.0, 8.0, 9.0, 10.0]);
}

#[test]
fn non_finite_forecasts_are_withheld() {
    let mut broken = forecast(3, 4, 1.0);
    broken.points[2][1] = f64::NAN;
    let status = status_patch(&[entry("rps", &broken, 400, 288)], None, NOW, None, &Limits::default());
    assert!(status.forecasts.is_empty());
    assert_eq!(model_ready(&status).message, "0 of 1 series ready; warming up: rps: forecast not finite");
}

#[test]
fn the_transition_time_is_kept_while_the_status_holds() {
    let a = forecast(3, 4, 1.0);
    let earlier = Time(k8s_openapi::jiff::Timestamp::from_second(1_700_000_000).unwrap_or_default());
    let previous = Condition {
        type_: condition_type::MODEL_READY.into(),
        status: "True".into(),
        reason: "ModelsReady".into(),
        message: String::new(),
        observed_generation: None,
        last_transition_time: earlier.clone(),
    };
    let all = [entry("rps", &a, 400, 288)];
    let held = status_patch(&all, None, NOW, Some(&previous), &Limits::default());
    assert_eq!(model_ready(&held).last_transition_time, earlier);
    let young = [entry("rps", &a, 10, 288)];
    let flipped = status_patch(&young, None, NOW, Some(&previous), &Limits::default());
    assert_eq!(model_ready(&flipped).last_transition_time.0.as_millisecond(), NOW);
}

#[test]
fn the_processors_entries_start_one_step_after_the_last_closed_step() {
    let entry = ("rps".into(), NOW, forecast(3, 2, 1.0), Accuracy::default(), Readiness { points: 1, needed: 1 });
    let view = SeriesForecast::from_processor(&entry, STEP);
    assert_eq!(view.start, NOW + STEP);
    assert_eq!(view.series, "rps");
}

#[test]
fn referenced_series_come_from_replicas_and_container_forecasts_of_this_forecaster() {
    let policy = |name: &str, forecaster: &str, series: &str| {
        serde_json::from_value::<augur_crds::AutoScalePolicy>(json!({
            "apiVersion": "augur.dev/v1alpha1", "kind": "AutoScalePolicy",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {
                "targetRef": {"kind": "Deployment", "name": "checkout"},
                "replicas": {"forecasterRef": {"name": forecaster}, "series": series, "capacityPerReplica": 10.0, "maxReplicas": 5},
                "resources": {"containers": [{"containerName": "app", "forecasterRef": {"name": forecaster},
                    "cpu": {"series": format!("{series}/cpu")}, "memory": {"series": format!("{series}/mem")}}]},
            },
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let policies = [policy("a", "load", "rps"), policy("b", "other", "x"), policy("c", "load", "rps")];
    assert_eq!(series_referenced_by(&policies, "load"), ["rps", "rps/cpu", "rps/mem"]);
}

mod publisher {
    use std::{sync::Arc, time::Duration};

    use http::{Request, Response};
    use kube::{Client, client::Body};
    use serde_json::{Value, json};

    use super::*;
    use crate::time::{Clock, ManualClock};

    const PATH: &str = "/apis/augur.dev/v1alpha1/namespaces/shop/forecasters/checkout-load/status";

    /// Answers `count` requests, asserting each is a forced server-side apply of the status by `augur-runtime`.
    async fn serve(mut handle: tower_test::mock::Handle<Request<Body>, Response<Body>>, count: usize) -> Vec<Value> {
        let mut bodies = Vec::new();
        for _ in 0..count {
            let (request, send) = handle.next_request().await.unwrap_or_else(|| panic!("no request"));
            assert_eq!((request.method().as_str(), request.uri().path()), ("PATCH", PATH));
            let query = request.uri().query().unwrap_or_default().to_owned();
            assert!(query.contains("fieldManager=augur-runtime") && query.contains("force=true"), "{query}");
            let content_type = request.headers().get("content-type").and_then(|v| v.to_str().ok());
            assert_eq!(content_type, Some("application/apply-patch+yaml"));
            let body: Value = serde_json::from_slice(&request.into_body().collect_bytes().await.unwrap_or_default())
                .unwrap_or_default();
            let answer = json!({"apiVersion": "augur.dev/v1alpha1", "kind": "Forecaster",
                "metadata": {"name": "checkout-load", "namespace": "shop"},
                "spec": {"source": {"prometheus": {"url": "http://p:9090", "query": "q"}}}, "status": body["status"]});
            bodies.push(body);
            let answer = Body::from(serde_json::to_vec(&answer).unwrap_or_default());
            send.send_response(Response::builder().body(answer).unwrap_or_else(|e| panic!("{e}")));
        }
        let extra = tokio::time::timeout(Duration::from_millis(50), handle.next_request()).await;
        assert!(!matches!(extra, Ok(Some(_))), "rate limited: no further request");
        bodies
    }

    #[tokio::test]
    async fn applies_the_status_as_augur_runtime_at_most_once_per_interval() {
        let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
        let server = tokio::spawn(serve(handle, 2));
        let clock = ManualClock::new(NOW);
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let mut publisher =
            Publisher::new(Client::new(service, "default"), "shop", "checkout-load", Duration::from_secs(30), shared);
        let forecast = forecast(3, 4, 10.0);
        let series = [entry("rps", &forecast, 400, 288)];
        let published = |result: Result<bool, PublishError>| result.unwrap_or_else(|e| panic!("{e}"));
        assert!(published(publisher.publish(&series, None).await), "the first is due");
        clock.advance(10_000);
        assert!(!publisher.is_due());
        assert!(!published(publisher.publish(&series, None).await), "10 s later: skipped");
        clock.advance(20_000);
        assert!(published(publisher.publish(&series, None).await), "30 s later: due again");
        drop(publisher);
        let bodies = server.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bodies[0]["metadata"], json!({"name": "checkout-load", "namespace": "shop"}));
        assert_eq!(bodies[0]["status"]["forecasts"][0]["series"], "rps");
        let transition = |body: &Value| body["status"]["conditions"][0]["lastTransitionTime"].clone();
        assert_eq!(transition(&bodies[1]), transition(&bodies[0]), "ModelReady held: its transition time is kept");
        assert_eq!(bodies[1]["status"]["forecasts"][0]["generatedAt"], "2027-01-15T08:00:30Z");
    }
}
