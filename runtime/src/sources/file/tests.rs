//! File source: CSV and JSON lines decode, malformed lines become dead letters with their line number.

use super::*;
use crate::record::DeadLetter;

fn read_all(text: &'static str, format: FileFormat) -> Vec<Result<MetricPoint, DeadLetter>> {
    let mut source = MetricFileSource::from_reader(text.as_bytes(), format, "file").with_batch_size(2);
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let mut records = Vec::new();
        while let Some(step) = source.next_step().await.unwrap_or_else(|e| panic!("{e}")) {
            let Step::Records(batch) = step else { panic!("a file source has no partition events") };
            records.extend(batch.records);
        }
        records
    })
}

#[test]
fn csv_with_and_without_a_series_column() {
    let records = read_all("timestamp,value\n2015-07-10 14:24:00,564\n2015-07-10 14:38:00,730.5\n", FileFormat::Csv);
    let points: Vec<_> = records.into_iter().map(|r| r.unwrap_or_else(|e| panic!("{e:?}"))).collect();
    assert_eq!(points.len(), 2);
    assert_eq!((&*points[0].series, points[0].value), ("file", 564.0));
    assert_eq!(points[1].timestamp - points[0].timestamp, 14 * 60 * 1000);

    let records = read_all("ds,y,unique_id\n1000,1,a\n1060,2,b\n", FileFormat::Csv);
    let series: Vec<String> = records.into_iter().filter_map(Result::ok).map(|p| p.series.to_string()).collect();
    assert_eq!(series, ["a", "b"]);
}

#[test]
fn malformed_csv_rows_are_dead_letters_with_their_line() {
    let text = "timestamp,value\n2015-07-10 14:24:00,1\nnot-a-time,2\n2015-07-10 14:38:00,abc\n2015-07-10 14:40:00\n\n2015-07-10 14:50:00,3\n";
    let records = read_all(text, FileFormat::Csv);
    let good = records.iter().filter(|r| r.is_ok()).count();
    let dead: Vec<(i64, String)> =
        records.into_iter().filter_map(Result::err).map(|d| (d.position.offset, d.reason)).collect();
    assert_eq!(good, 2);
    assert_eq!(dead.iter().map(|(line, _)| *line).collect::<Vec<_>>(), [3, 4, 5]);
    assert!(dead[0].1.contains("not a timestamp"));
    assert!(dead[1].1.contains("not a number"));
    assert!(dead[2].1.contains("expected 2 columns"));
}

#[test]
fn a_csv_without_usable_header_says_which_columns_it_needs() {
    let records = read_all("when,how_much\n1,2\n", FileFormat::Csv);
    let reason = records.first().and_then(|r| r.as_ref().err()).map(|d| d.reason.clone()).unwrap_or_default();
    assert!(reason.contains("needs a timestamp column"), "{reason}");
}

#[test]
fn json_metric_events_with_labels_and_string_values() {
    let text = concat!(
        r#"{"series":"rps","labels":{"pod":"a","az":"x"},"timestamp":"2026-01-01T00:00:00Z","value":5}"#,
        "\n",
        r#"{"labels":{"pod":"b"},"timestamp":1767225600,"value":"6.5"}"#,
        "\n",
        r#"{"timestamp":1767225600,"value":7}"#,
        "\n",
        r#"{"series":"rps","timestamp":1767225600,"value":null}"#,
        "\n",
        "{not json\n",
    );
    let records = read_all(text, FileFormat::JsonLines);
    let ok: Vec<(String, f64)> =
        records.iter().filter_map(|r| r.as_ref().ok()).map(|p| (p.series.to_string(), p.value)).collect();
    assert_eq!(
        ok,
        [("rps{az=\"x\",pod=\"a\"}".to_owned(), 5.0), ("{pod=\"b\"}".to_owned(), 6.5), ("file".to_owned(), 7.0)]
    );
    assert_eq!(records.iter().filter(|r| r.is_err()).count(), 2);
}

#[test]
fn huge_garbage_lines_are_truncated_in_dead_letters() {
    let line: &'static str = Box::leak(format!("{}\n", "x".repeat(100_000)).into_boxed_str());
    let records = read_all(line, FileFormat::JsonLines);
    let dead = records.into_iter().find_map(Result::err).unwrap_or_else(|| panic!("expected a dead letter"));
    assert!(dead.payload.len() <= DeadLetter::MAX_PAYLOAD);
}
