//! The Prometheus range-query response: a matrix of series, each keyed by its labels (`name{k="v",...}`, labels
//! sorted, the same form JSON metric events with labels get), turned into metric points.

use std::{collections::BTreeMap, sync::Arc};

use serde::Deserialize;

use crate::record::{MetricPoint, SeriesId};

#[derive(Deserialize)]
struct Response {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// Why a response carried no data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The query itself is wrong (HTTP 400 / `bad_data`): retrying will not help until it is fixed.
    #[error("the query was refused: {0}")]
    Refused(String),
    /// The server failed or was unreachable: retried.
    #[error("{0}")]
    Unavailable(String),
}

/// The id of a series with `labels`.
pub fn series_id(labels: &BTreeMap<String, String>) -> SeriesId {
    let name = labels.get("__name__").map_or("", String::as_str);
    let pairs: Vec<String> =
        labels.iter().filter(|(key, _)| key.as_str() != "__name__").map(|(k, v)| format!("{k}={v:?}")).collect();
    if pairs.is_empty() && !name.is_empty() {
        Arc::from(name)
    } else {
        Arc::from(format!("{name}{{{}}}", pairs.join(",")))
    }
}

/// The points of a range-query response with HTTP `status`, in time order per series. Non-finite samples (a rate
/// over a reset, 0/0) carry no value and are left out.
pub fn parse(status: u16, body: &[u8]) -> Result<Vec<MetricPoint>, QueryError> {
    let response: Response = serde_json::from_slice(body).map_err(|e| {
        let what = format!("HTTP {status} with an unreadable body ({e})");
        if status >= 500 || status == 0 { QueryError::Unavailable(what) } else { QueryError::Refused(what) }
    })?;
    if response.status != "success" {
        let message = format!(
            "{}: {}",
            response.error_type.unwrap_or_else(|| "error".into()),
            response.error.unwrap_or_else(|| format!("HTTP {status}"))
        );
        return Err(if (400..500).contains(&status) {
            QueryError::Refused(message)
        } else {
            QueryError::Unavailable(message)
        });
    }
    let data = response.data.ok_or_else(|| QueryError::Unavailable("a success without data".into()))?;
    if data.result_type != "matrix" {
        return Err(QueryError::Refused(format!("a range query must return a matrix, not a {}", data.result_type)));
    }
    let mut points = Vec::new();
    for series in data.result {
        let id = series_id(&series.metric);
        for (seconds, value) in series.values {
            let Ok(value) = value.parse::<f64>() else { continue };
            if value.is_finite() {
                points.push(MetricPoint { series: id.clone(), timestamp: (seconds * 1000.0).round() as i64, value });
            }
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_becomes_points_keyed_by_labels() {
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"up","job":"api","instance":"a:80"},"values":[[1700000000,"1"],[1700000015.5,"NaN"],[1700000030,"0"]]},
            {"metric":{"job":"api"},"values":[[1700000000,"2.5"]]}]}}"#;
        let points = parse(200, body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(points.len(), 3);
        assert_eq!(&*points[0].series, r#"up{instance="a:80",job="api"}"#);
        assert_eq!((points[1].timestamp, points[1].value), (1_700_000_030_000, 0.0));
        assert_eq!(&*points[2].series, r#"{job="api"}"#);
    }

    #[test]
    fn errors_say_whether_retrying_helps() {
        let refused = parse(400, br#"{"status":"error","errorType":"bad_data","error":"parse error at char 4"}"#);
        assert!(matches!(refused, Err(QueryError::Refused(m)) if m.contains("parse error")));
        assert!(matches!(parse(503, b"<html>down</html>"), Err(QueryError::Unavailable(_))));
        let vector = br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert!(matches!(parse(200, vector), Err(QueryError::Refused(_))));
    }
}
