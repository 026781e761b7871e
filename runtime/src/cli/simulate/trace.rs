//! Load traces from CSV: `timestamp,value[,series]`, one series chosen or all of them, each put on its regular
//! step by [`Trace::from_points`] (each value the mean over its step, held over it).

use std::{collections::BTreeMap, path::Path, sync::Arc};

use anyhow::{Context, bail};
use augur_simulate::Trace;

use crate::{decode::CsvLayout, record::Position, time::Millis};

/// Reads every series of a CSV file, each sorted by time. Malformed rows are errors with their line number.
pub fn read_series(path: &Path) -> anyhow::Result<BTreeMap<String, Vec<(Millis, f64)>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the trace {}", path.display()))?;
    let mut lines = text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty());
    let Some((_, header)) = lines.next() else { bail!("the trace {} is empty", path.display()) };
    let layout = CsvLayout::from_header(header).map_err(|reason| anyhow::anyhow!("{}: {reason}", path.display()))?;
    let default_name = path.file_stem().map_or_else(|| "trace".to_owned(), |s| s.to_string_lossy().into_owned());
    let default_series: Arc<str> = Arc::from(default_name.as_str());
    let mut series: BTreeMap<String, Vec<(Millis, f64)>> = BTreeMap::new();
    for (index, line) in lines {
        let number = index as i64 + 1;
        let point = layout
            .decode(line, &default_series, Position { partition: 0, offset: number })
            .map_err(|dead| anyhow::anyhow!("{} line {number}: {}", path.display(), dead.reason))?;
        series.entry(point.series.to_string()).or_default().push((point.timestamp, point.value));
    }
    if series.is_empty() {
        bail!("the trace {} holds a header but no points", path.display());
    }
    series.values_mut().for_each(|points| points.sort_by_key(|(time, _)| *time));
    Ok(series)
}

/// Reads the one series to simulate: `wanted`, or the only series of the file.
pub fn read_trace(path: &Path, wanted: Option<&str>) -> anyhow::Result<Trace> {
    let mut series = read_series(path)?;
    let (name, points) = match wanted {
        Some(name) => match series.remove_entry(name) {
            Some(entry) => entry,
            None => bail!("{} has no series {name:?}; it has: {}", path.display(), list(&series)),
        },
        None if series.len() == 1 => series.pop_first().unwrap_or_default(),
        None => bail!("{} holds {} series; pick one with --series ({})", path.display(), series.len(), list(&series)),
    };
    Ok(Trace::from_points(&name, &points)?)
}

fn list(series: &BTreeMap<String, Vec<(Millis, f64)>>) -> String {
    let names: Vec<&str> = series.keys().take(10).map(String::as_str).collect();
    let more = if series.len() > 10 { format!(" and {} more", series.len() - 10) } else { String::new() };
    format!("{}{more}", names.join(", "))
}
