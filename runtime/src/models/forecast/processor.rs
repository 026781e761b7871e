//! The forecast pipeline stage: aligns each series onto the configured step (mean of the points in a step; short gaps
//! carried forward so seasonal phases stay aligned), feeds its forecaster, and emits one result per closed step.
//!
//! Its state checkpoints as `AUGURFC2`, a postcard body (the parameters, then every series' open step and forecaster)
//! and a checksum; a restored processor forecasts exactly as the original would have.

use std::{borrow::Cow, collections::HashMap};

use serde::{Deserialize, Serialize};

use super::{Accuracy, Forecast, ForecastParams, Forecaster, Readiness};
use crate::{
    pipeline::{Processor, StateError},
    record::{MetricPoint, SeriesId},
    time::Millis,
};

/// Longest gap (in steps) bridged by carrying the last value forward; a longer outage restarts the step clock.
const MAX_GAP_STEPS: i64 = 288;

/// One closed step of one series, with the forecast made after it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StepForecast {
    /// The series.
    pub series: SeriesId,
    /// Start of the step (ms).
    pub timestamp: Millis,
    /// Mean of the step's points.
    pub value: f64,
    /// The forecast of the next step: (lower, median, upper) of the outermost quantiles.
    pub next: (f64, f64, f64),
    /// History seen and needed.
    pub readiness: Readiness,
    /// Rolling accuracy.
    pub accuracy: Accuracy,
}

/// A series' forecaster and the step being filled.
struct SeriesState {
    model: Forecaster,
    step_start: Millis,
    sum: f64,
    count: u32,
    last_value: Option<f64>,
}

/// Per-series forecasting for a pipeline.
pub struct ForecastProcessor {
    params: ForecastParams,
    series: HashMap<SeriesId, SeriesState>,
    max_series: usize,
}

impl ForecastProcessor {
    /// Forecasters with `params`, at most `max_series` series (new series beyond it are ignored and counted).
    pub fn new(params: ForecastParams, max_series: usize) -> Self {
        Self { params, series: HashMap::new(), max_series: max_series.max(1) }
    }

    /// The latest full forecast of every series: (series, start of the last closed step, forecast, accuracy,
    /// readiness), by series name.
    pub fn forecasts(&self) -> Vec<(SeriesId, Millis, Forecast, Accuracy, Readiness)> {
        let mut all: Vec<_> = self
            .series
            .iter()
            .map(|(name, state)| {
                let last_closed = state.step_start - self.params.step_ms;
                (name.clone(), last_closed, state.model.forecast(), state.model.accuracy(), state.model.readiness())
            })
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Series tracked now.
    pub fn series(&self) -> usize {
        self.series.len()
    }

    /// Closes every series' open step (end of a finite input) and returns the results.
    pub fn flush(&mut self) -> Vec<StepForecast> {
        let mut out = Vec::new();
        let mut series: Vec<SeriesId> = self.series.keys().cloned().collect();
        series.sort();
        for name in series {
            if let Some(mut state) = self.series.remove(&name) {
                self.close_step(&name, &mut state, &mut out);
                state.step_start += self.params.step_ms;
                self.series.insert(name, state);
            }
        }
        out
    }

    fn close_step(&self, series: &SeriesId, state: &mut SeriesState, out: &mut Vec<StepForecast>) {
        if state.count == 0 {
            return;
        }
        let value = state.sum / f64::from(state.count);
        state.model.update(value);
        state.last_value = Some(value);
        let forecast = state.model.forecast();
        let next = forecast
            .points
            .first()
            .map_or((value, value, value), |row| (row[0], forecast.median(0).unwrap_or(value), row[row.len() - 1]));
        out.push(StepForecast {
            series: series.clone(),
            timestamp: state.step_start,
            value,
            next,
            readiness: state.model.readiness(),
            accuracy: state.model.accuracy(),
        });
        (state.sum, state.count) = (0.0, 0);
    }
}

/// Magic and version at the head of a forecast state snapshot; a snapshot of another format or version is refused.
const SNAPSHOT_HEADER: &[u8; 8] = b"AUGURFC2";

/// Bytes of the checksum that ends a snapshot.
const CHECKSUM_BYTES: usize = 8;

/// A forecast state snapshot: the parameters it was taken with, and every series, by name.
#[derive(Serialize, Deserialize)]
struct Snapshot<'a, M> {
    params: Cow<'a, ForecastParams>,
    series: Vec<SeriesSnapshot<'a, M>>,
}

/// One series in a snapshot: its open step and its forecaster (`&Forecaster` when written, owned when read).
#[derive(Serialize, Deserialize)]
struct SeriesSnapshot<'a, M> {
    name: Cow<'a, str>,
    step_start: Millis,
    sum: f64,
    count: u32,
    last_value: Option<f64>,
    model: M,
}

/// A 64-bit check of a snapshot body. The hot path indexes a forecaster's tables trusting that their sizes agree, so
/// damaged bytes that still decode could make a later update panic: they must be refused before they become state. A
/// change to any single 8-byte word always changes the check (each step is a bijection); the length is mixed in last.
fn checksum(bytes: &[u8]) -> u64 {
    let mix = |hash: u64, word: u64| (hash.rotate_left(23) ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut chunks = bytes.chunks_exact(8);
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = mix(hash, u64::from_le_bytes(word));
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    hash = mix(hash, u64::from_le_bytes(tail));
    mix(hash, bytes.len() as u64)
}

impl Processor for ForecastProcessor {
    type Input = MetricPoint;
    type Output = StepForecast;

    /// Closes every open step at the end of a finite input.
    fn finish(&mut self, _now: Millis, out: &mut Vec<StepForecast>) {
        out.extend(self.flush());
    }

    fn process(&mut self, point: MetricPoint, out: &mut Vec<StepForecast>) {
        let step = self.params.step_ms;
        let bucket = point.timestamp.div_euclid(step) * step;
        if !self.series.contains_key(&point.series) {
            if self.series.len() >= self.max_series {
                return;
            }
            let model = Forecaster::new(self.params.clone());
            self.series.insert(
                point.series.clone(),
                SeriesState { model, step_start: bucket, sum: 0.0, count: 0, last_value: None },
            );
        }
        let Some(mut state) = self.series.remove(&point.series) else { return };
        if bucket < state.step_start {
            // A late point of a closed step: already accounted for by the step's mean; dropped.
        } else {
            if bucket > state.step_start {
                self.close_step(&point.series, &mut state, out);
                let missing = (bucket - state.step_start) / step - 1;
                if let (true, Some(last)) = ((1..=MAX_GAP_STEPS).contains(&missing), state.last_value) {
                    (0..missing).for_each(|_| state.model.update(last));
                }
                state.step_start = bucket;
            }
            state.sum += point.value;
            state.count += 1;
        }
        self.series.insert(point.series, state);
    }

    /// Header, postcard body (parameters, then every series by name) and a checksum of the body.
    fn checkpoint(&self) -> Result<Vec<u8>, StateError> {
        let mut series: Vec<SeriesSnapshot<&Forecaster>> = self
            .series
            .iter()
            .map(|(name, state)| SeriesSnapshot {
                name: Cow::Borrowed(&**name),
                step_start: state.step_start,
                sum: state.sum,
                count: state.count,
                last_value: state.last_value,
                model: &state.model,
            })
            .collect();
        series.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let snapshot = Snapshot { params: Cow::Borrowed(&self.params), series };
        let mut bytes = postcard::to_extend(&snapshot, SNAPSHOT_HEADER.to_vec())
            .map_err(|e| StateError(format!("cannot write the forecast snapshot: {e}")))?;
        let check = checksum(&bytes[SNAPSHOT_HEADER.len()..]);
        bytes.extend_from_slice(&check.to_le_bytes());
        Ok(bytes)
    }

    /// Replaces all series with a snapshot's, all or nothing: a snapshot of other parameters, of another format or
    /// damaged is refused and the state is left as it was. Past `max_series`, the series with the latest open step
    /// are kept.
    fn restore(&mut self, snapshot: &[u8]) -> Result<(), StateError> {
        let rest = snapshot
            .strip_prefix(SNAPSHOT_HEADER.as_slice())
            .ok_or_else(|| StateError("not a forecast snapshot of this version".into()))?;
        let corrupt = |why: &str| StateError(format!("corrupt forecast snapshot: {why}"));
        let split = rest.len().checked_sub(CHECKSUM_BYTES).ok_or_else(|| corrupt("truncated"))?;
        let (body, check) = rest.split_at(split);
        let mut expected = [0u8; CHECKSUM_BYTES];
        expected.copy_from_slice(check);
        if checksum(body) != u64::from_le_bytes(expected) {
            return Err(corrupt("checksum mismatch (truncated or damaged)"));
        }
        let (decoded, left): (Snapshot<Forecaster>, _) =
            postcard::take_from_bytes(body).map_err(|e| corrupt(&e.to_string()))?;
        if !left.is_empty() {
            return Err(corrupt("trailing bytes"));
        }
        if *decoded.params != self.params {
            return Err(StateError(format!(
                "the forecast snapshot was taken with other parameters ({:?}, now {:?})",
                decoded.params, self.params
            )));
        }
        let mut entries = decoded.series;
        if entries.len() > self.max_series {
            entries.sort_unstable_by(|a, b| b.step_start.cmp(&a.step_start).then_with(|| a.name.cmp(&b.name)));
            entries.truncate(self.max_series);
        }
        let mut series = HashMap::with_capacity(entries.len());
        for entry in entries {
            let model = entry
                .model
                .restored(self.params.clone())
                .map_err(|why| StateError(format!("forecast snapshot: series {:?} does not fit: {why}", entry.name)))?;
            let state = SeriesState {
                model,
                step_start: entry.step_start,
                sum: entry.sum,
                count: entry.count,
                last_value: entry.last_value,
            };
            series.insert(SeriesId::from(entry.name.into_owned()), state);
        }
        self.series = series;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::{f64::consts::TAU, sync::Arc};

    use super::*;

    const DAY: i64 = 288;

    /// Two points per step of a daily pattern per series with deterministic noise, a spike now and then, and
    /// outages of series `b` and `c` (bridged by carrying the last value forward).
    fn points(series: &[&str], steps: std::ops::Range<i64>) -> Vec<MetricPoint> {
        let step_ms = ForecastParams::default().step_ms;
        steps
            .flat_map(|step| {
                (0..2).flat_map(move |half| {
                    series.iter().enumerate().filter_map(move |(i, name)| {
                        if (*name == "b" && (400..424).contains(&step)) || (*name == "c" && (500..530).contains(&step))
                        {
                            return None;
                        }
                        let phase = (step + 40 * i as i64) as f64 / DAY as f64 * TAU;
                        let noise = ((step * 7919 + half * 31 + i as i64 * 104_729) % 17) as f64 - 8.0;
                        let spike = if (step + i as i64) % 211 == 0 { 250.0 } else { 0.0 };
                        Some(MetricPoint {
                            series: Arc::from(*name),
                            timestamp: step * step_ms + half * step_ms / 2 + i as i64,
                            value: 100.0 * (i + 1) as f64 + 40.0 * phase.sin() + noise + spike,
                        })
                    })
                })
            })
            .collect()
    }

    fn feed(processor: &mut ForecastProcessor, input: Vec<MetricPoint>) -> Vec<StepForecast> {
        let mut out = Vec::new();
        input.into_iter().for_each(|point| processor.process(point, &mut out));
        out
    }

    fn checkpoint(processor: &ForecastProcessor) -> Vec<u8> {
        processor.checkpoint().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_restored_processor_forecasts_exactly_as_the_original_would_have() {
        let series = ["a", "b", "c"];
        let mut original = ForecastProcessor::new(ForecastParams::default(), 100);
        let mut input = points(&series, 0..3 * DAY / 2);
        // Stop in the middle of a step, so the open step's sum and count must survive too.
        let rest_of_step = input.split_off(input.len() - 4);
        feed(&mut original, input);
        let snapshot = checkpoint(&original);
        eprintln!(
            "forecast snapshot: {} bytes for {} series ({} bytes/series)",
            snapshot.len(),
            original.series(),
            snapshot.len() / original.series()
        );

        let mut restored = ForecastProcessor::new(ForecastParams::default(), 100);
        restored.restore(&snapshot).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(restored.series(), 3);
        assert_eq!(restored.forecasts(), original.forecasts());
        assert_eq!(checkpoint(&restored), snapshot, "a restored processor checkpoints the same bytes");

        let second_half: Vec<MetricPoint> =
            rest_of_step.into_iter().chain(points(&series, 3 * DAY / 2..3 * DAY)).collect();
        let expected = feed(&mut original, second_half.clone());
        let actual = feed(&mut restored, second_half);
        assert!(expected.len() > 1000, "{} results", expected.len());
        assert!(expected.iter().all(|s| s.next.1.is_finite()));
        assert_eq!(actual, expected, "same forecasts, quantiles, readiness and accuracy as if never stopped");
        assert_eq!(restored.forecasts(), original.forecasts());
        assert!(restored.forecasts().iter().all(|(_, _, _, _, readiness)| readiness.points > 3 * DAY as u64 / 2));
        assert_eq!(restored.flush(), original.flush());
    }

    #[test]
    fn an_empty_processor_round_trips() {
        let snapshot = checkpoint(&ForecastProcessor::new(ForecastParams::default(), 10));
        let mut restored = ForecastProcessor::new(ForecastParams::default(), 10);
        feed(&mut restored, points(&["a"], 0..10));
        restored.restore(&snapshot).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(restored.series(), 0, "a restore replaces the state");
    }

    #[test]
    fn corrupt_truncated_or_foreign_snapshots_are_refused_and_the_state_kept() {
        let mut processor = ForecastProcessor::new(ForecastParams::default(), 10);
        feed(&mut processor, points(&["a", "b"], 0..300));
        let snapshot = checkpoint(&processor);
        let before = processor.forecasts();
        let mut bad: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"hello world".to_vec(),
            b"AUGURFC2".to_vec(),
            [&b"AUGURFC2"[..], &[0xff; 64]].concat(),
            [&b"AUGURAD1"[..], &snapshot[8..]].concat(),
            snapshot[..snapshot.len() / 2].to_vec(),
            snapshot[..snapshot.len() - 1].to_vec(),
            [&snapshot[..], &[0]].concat(),
        ];
        for at in (8..snapshot.len()).step_by(snapshot.len() / 97) {
            let mut flipped = snapshot.clone();
            flipped[at] ^= 0x10;
            bad.push(flipped);
        }
        for bytes in &bad {
            let error = processor.restore(bytes).err().unwrap_or_else(|| panic!("{} bytes accepted", bytes.len()));
            assert!(error.0.contains("forecast snapshot"), "{error}");
        }
        assert_eq!(processor.forecasts(), before, "a refused snapshot leaves the state as it was");
        processor.restore(&snapshot).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn a_snapshot_taken_with_other_parameters_is_refused() {
        let mut processor = ForecastProcessor::new(ForecastParams::default(), 10);
        feed(&mut processor, points(&["a"], 0..50));
        let snapshot = checkpoint(&processor);
        let longer = ForecastParams { horizon: ForecastParams::default().horizon + 1, ..ForecastParams::default() };
        let error = ForecastProcessor::new(longer, 10).restore(&snapshot).err();
        assert!(error.is_some_and(|e| e.0.contains("other parameters")));
    }

    #[test]
    fn restore_keeps_at_most_max_series_those_seen_last() {
        let mut processor = ForecastProcessor::new(ForecastParams::default(), 10);
        feed(&mut processor, points(&["a", "b", "c", "d", "e"], 0..20));
        // "d" and "b" reach later steps than the others.
        feed(&mut processor, points(&["b"], 20..25));
        feed(&mut processor, points(&["d"], 20..30));
        let snapshot = checkpoint(&processor);

        let mut small = ForecastProcessor::new(ForecastParams::default(), 2);
        small.restore(&snapshot).unwrap_or_else(|e| panic!("{e}"));
        let kept: Vec<String> = small.forecasts().into_iter().map(|f| f.0.to_string()).collect();
        assert_eq!(kept, ["b", "d"]);
        assert!(feed(&mut small, points(&["z"], 0..3)).is_empty(), "the bound holds after a restore");
        assert_eq!(small.series(), 2);
    }
}
