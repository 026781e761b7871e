//! `augur bench loghub --data DIR --out OUT`: mines templates from each system's Content column (the published
//! protocol) with ONE default configuration, and writes `OUT/<System>.csv` with `LineId,ClusterId,Template` for the
//! loghub grouping-accuracy scorer. Each line's cluster is the id it got on arrival, resolved through the
//! generalisations that followed (as a consumer of the template events would). `--raw` feeds the whole raw lines
//! (`<System>_2k.log`) instead, with the header separated by the generic rule of `models::logs::content`.

use std::{fmt::Write as _, path::Path};

use anyhow::{Context, bail};

use crate::models::logs::{Miner, MinerSettings, content};

/// Runs the benchmark; returns (systems, lines).
pub fn run(data: &Path, out: &Path, raw: bool, report: &mut impl std::io::Write) -> anyhow::Result<(usize, usize)> {
    let mut systems: Vec<_> = std::fs::read_dir(data)
        .with_context(|| format!("cannot read {}", data.display()))?
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let file = e.path().join(format!("{name}_2k.log_structured.csv"));
            file.exists().then_some((name, file))
        })
        .collect();
    systems.sort();
    if systems.is_empty() {
        bail!("no <System>/<System>_2k.log_structured.csv under {}", data.display());
    }
    std::fs::create_dir_all(out)?;
    let started = std::time::Instant::now();
    let mut total = 0;
    for (name, file) in &systems {
        let lines = if raw { raw_lines(data, name)? } else { content_lines(file)? };
        let mut miner = Miner::new(MinerSettings::default());
        let assigned: Vec<(String, u64)> =
            lines.iter().map(|(id, line)| (id.clone(), miner.add(if raw { content(line) } else { line }))).collect();
        let mut csv = String::from("LineId,ClusterId,Template\n");
        for (id, template) in &assigned {
            let resolved = miner.resolve(*template);
            let text = miner.template(resolved).unwrap_or_default().replace('"', "\"\"");
            let _ = writeln!(csv, "{id},{resolved:016x},\"{text}\"");
        }
        std::fs::write(out.join(format!("{name}.csv")), csv)?;
        writeln!(report, "{name}: {} lines, {} templates", assigned.len(), miner.templates())?;
        total += assigned.len();
    }
    writeln!(
        report,
        "mined {total} lines of {} systems in {:.0} ms into {}",
        systems.len(),
        started.elapsed().as_secs_f64() * 1e3,
        out.display()
    )?;
    writeln!(
        report,
        "score with: python3 ../shared/bench/loghub2k/ga.py --pred-dir {} --gt-root ../shared/bench/loghub2k",
        out.display()
    )?;
    Ok((systems.len(), total))
}

/// `(LineId, Content)` of a structured CSV.
fn content_lines(file: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let rows = parse_csv(&text);
    let header = rows.first().cloned().unwrap_or_default();
    let column = |wanted: &str| header.iter().position(|h| h == wanted);
    let (Some(line_id), Some(content)) = (column("LineId"), column("Content")) else {
        bail!("{} has no LineId and Content columns", file.display());
    };
    Ok(rows[1..]
        .iter()
        .filter(|row| row.len() > content.max(line_id))
        .map(|row| (row[line_id].clone(), row[content].clone()))
        .collect())
}

/// `(line number, line)` of a system's raw log, numbered from 1 like the structured CSV's LineId.
fn raw_lines(data: &Path, system: &str) -> anyhow::Result<Vec<(String, String)>> {
    let path = data.join(system).join(format!("{system}_2k.log"));
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text.split_terminator('\n').enumerate().map(|(i, line)| ((i + 1).to_string(), line.to_owned())).collect())
}

/// Rows of an RFC 4180 CSV: fields may be quoted, with `""` for a quote and newlines inside quotes.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_fields_escaped_quotes_and_embedded_commas() {
        let rows = parse_csv("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,,\"multi\nline\"\n");
        assert_eq!(rows, [vec!["a", "b", "c"], vec!["1", "x, y", "say \"hi\""], vec!["2", "", "multi\nline"]]);
    }
}
