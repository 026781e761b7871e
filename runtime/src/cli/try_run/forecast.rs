//! `augur try` for a Forecaster: each series' readiness, accuracy and forecast, and the plot of history, one-step
//! forecasts and the forecast ahead with its band: per series, the last day with the forecast ahead, and a zoom on
//! the forecast ahead (the horizon is short beside a day, so on the day's panel it is a sliver).

use std::{collections::BTreeMap, io::Write};

use augur_crds::runtime_config::{ForecastConfig, RuntimeConfig};

use super::{TryOptions, display, run_file, truncate};
use crate::{
    job::ForecastKind,
    models::forecast::StepForecast,
    pipeline::{Sink, SinkError},
    plot::{Panel, PlotPoint},
    record::SeriesId,
    time::format_timestamp,
};

/// History plotted beside the forecast ahead.
const DAY_MS: i64 = 86_400_000;
/// Steps of history kept per series (a day of 5-minute steps, or more when the step is shorter).
const HISTORY: usize = 288;
/// The zoomed panel shows this many horizons of history before the forecast ahead (at least [`ZOOM_MIN_STEPS`]).
const ZOOM_HORIZONS: usize = 3;
/// Fewest steps of history in the zoomed panel.
const ZOOM_MIN_STEPS: usize = 12;

/// Keeps the recent steps of each series: at least `keep` of them.
#[derive(Default)]
struct Recent {
    keep: usize,
    series: BTreeMap<SeriesId, Vec<StepForecast>>,
}

impl Sink<StepForecast> for Recent {
    async fn write(&mut self, items: &[StepForecast]) -> Result<(), SinkError> {
        let keep = self.keep.max(1);
        for item in items {
            let steps = self.series.entry(item.series.clone()).or_default();
            steps.push(item.clone());
            if steps.len() > 2 * keep {
                steps.drain(..keep);
            }
        }
        Ok(())
    }
}

/// Runs a Forecaster's pipeline over the input, prints the forecasts and returns the plot panels.
pub async fn run(
    options: &TryOptions,
    config: &RuntimeConfig,
    forecast: &ForecastConfig,
    out: &mut impl Write,
) -> anyhow::Result<Vec<Panel>> {
    let mut kind = ForecastKind::new(forecast, config.limits.max_series as usize);
    let params = kind.params().clone();
    let day = usize::try_from(DAY_MS / params.step_ms.max(1)).unwrap_or(HISTORY).max(1);
    let mut recent = Recent { keep: day.max(HISTORY), ..Recent::default() };
    let ran = run_file(options, super::metric_source(options)?, &mut kind, &mut recent).await?;
    let (report, elapsed) = (ran.report, ran.elapsed);

    writeln!(out, "{} {} on {}", config.resource.kind, config.resource.name, display(&options.input))?;
    writeln!(
        out,
        "  {} points in {} series, {} malformed, step {} ms, horizon {} steps, {:.0} ms",
        report.records,
        recent.series.len(),
        report.dead_letters,
        params.step_ms,
        params.horizon,
        elapsed.as_secs_f64() * 1000.0
    )?;
    let labels: Vec<String> = params.quantiles.iter().map(|q| format!("p{}", (q * 100.0).round())).collect();
    let mut panels = Vec::new();
    let forecasts = ran.stage.iter().flat_map(|(_, processor)| processor.forecasts());
    for (series, last, forecast, accuracy, readiness) in forecasts {
        writeln!(out, "\n  {}", truncate(&series, 60))?;
        let state = if readiness.is_ready() {
            format!("ready ({} steps of history)", readiness.points)
        } else {
            format!(
                "warming up: {} of {} steps, forecasting the last value meanwhile",
                readiness.points, readiness.needed
            )
        };
        let figure = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"));
        writeln!(
            out,
            "    {state}; rolling MASE {}, band coverage {}",
            figure(accuracy.mase),
            figure(accuracy.coverage)
        )?;
        writeln!(out, "    {:<19}  {}", "time", labels.iter().map(|l| format!("{l:>10}")).collect::<String>())?;
        let rows = forecast.points.len();
        for (k, row) in forecast.points.iter().enumerate() {
            if rows > 8 && (4..rows - 2).contains(&k) {
                if k == 4 {
                    writeln!(out, "    ...")?;
                }
                continue;
            }
            let time = format_timestamp(last + (k as i64 + 1) * params.step_ms);
            writeln!(out, "    {time:<19}  {}", row.iter().map(|v| format!("{v:>10.3}")).collect::<String>())?;
        }
        let history = recent.series.get(&series).map(Vec::as_slice).unwrap_or_default();
        let median = forecast.quantiles.iter().position(|q| (*q - 0.5).abs() < 1e-12).unwrap_or(0);
        let ahead: Vec<PlotPoint> = forecast
            .points
            .iter()
            .enumerate()
            .map(|(k, row)| PlotPoint {
                time: last + (k as i64 + 1) * params.step_ms,
                value: f64::NAN,
                expected: Some(row[median]),
                band: Some((row[0], row[row.len() - 1])),
                marked: false,
            })
            .collect();
        let zoom = (ZOOM_HORIZONS * forecast.points.len()).max(ZOOM_MIN_STEPS).min(history.len());
        let human = |steps: usize| crate::status::forecasts::human(steps as i64 * params.step_ms);
        let horizon = human(forecast.points.len());
        let views = [
            (day, format!("{series}: the last day and the {horizon} ahead")),
            (zoom, format!("{series}: zoom on the forecast ahead (the last {}, the {horizon} ahead)", human(zoom))),
        ];
        for (steps, title) in views {
            let mut points = past(history, steps);
            points.extend(ahead.iter().copied());
            panels.push(Panel { title, points });
        }
    }
    Ok(panels)
}

/// The last `steps` steps of `history` with, from the second on, the one-step forecast made the step before (so
/// each value sits beside what was forecast for it).
fn past(history: &[StepForecast], steps: usize) -> Vec<PlotPoint> {
    let from = history.len().saturating_sub(steps);
    history[from..]
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let before = (from + i).checked_sub(1).map(|j| &history[j]);
            PlotPoint {
                time: step.timestamp,
                value: step.value,
                expected: before.map(|b| b.next.1),
                band: before.map(|b| (b.next.0, b.next.2)),
                marked: false,
            }
        })
        .collect()
}
