//! Load traces from CSV: `timestamp,value[,series]`, one series chosen or all of them, each put on its regular
//! step by [`Trace::from_points`] (each value the mean over its step, held over it).

use std::{collections::BTreeMap, path::Path};

use anyhow::bail;
use augur_simulate::Trace;

use crate::{decode::read_series, time::Millis};

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
