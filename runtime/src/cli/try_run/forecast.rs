//! `augur try` for a Forecaster: each series' readiness, accuracy and forecast, and the plot of history, one-step
//! forecasts and the forecast ahead with its band.

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

/// Steps of history kept per series for the plot.
const HISTORY: usize = 3 * 288;

/// Keeps the recent steps of each series.
#[derive(Default)]
struct Recent {
    series: BTreeMap<SeriesId, Vec<StepForecast>>,
}

impl Sink<StepForecast> for Recent {
    async fn write(&mut self, items: &[StepForecast]) -> Result<(), SinkError> {
        for item in items {
            let steps = self.series.entry(item.series.clone()).or_default();
            steps.push(item.clone());
            if steps.len() > 2 * HISTORY {
                steps.drain(..HISTORY);
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
    let mut recent = Recent::default();
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
        let mut points: Vec<PlotPoint> = history[history.len().saturating_sub(HISTORY)..]
            .iter()
            .map(|step| PlotPoint {
                time: step.timestamp,
                value: step.value,
                expected: None,
                band: None,
                marked: false,
            })
            .collect();
        // One-step forecasts, shifted to the step they forecast.
        for (point, previous) in points.iter_mut().skip(1).zip(history[history.len().saturating_sub(HISTORY)..].iter())
        {
            point.expected = Some(previous.next.1);
            point.band = Some((previous.next.0, previous.next.2));
        }
        let median = forecast.quantiles.iter().position(|q| (*q - 0.5).abs() < 1e-12).unwrap_or(0);
        points.extend(forecast.points.iter().enumerate().map(|(k, row)| PlotPoint {
            time: last + (k as i64 + 1) * params.step_ms,
            value: f64::NAN,
            expected: Some(row[median]),
            band: Some((row[0], row[row.len() - 1])),
            marked: false,
        }));
        panels.push(Panel { title: series.to_string(), points });
    }
    Ok(panels)
}
