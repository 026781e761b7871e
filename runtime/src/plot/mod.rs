//! Plots as standalone SVG: a panel per series with the value, the expected value and band, and marked points;
//! x-y charts ([`xy`]). Hand-written SVG keeps the runtime free of plotting dependencies; any browser shows the
//! result.
//!
//! Where a panel's points stop having values and carry only a forecast, a dotted vertical line marks "now": what is
//! right of it is the forecast ahead. Counts are drawn from zero ([`Axes::zero_based`]), so a quiet template does not
//! look busy.

#[cfg(test)]
mod tests;
mod xy;

pub use xy::{AUGUR_COLOR, XySeries, XyTitles, render_xy, side_by_side};

use std::fmt::Write;

use crate::time::{Millis, format_timestamp};

/// One point of a panel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlotPoint {
    /// Time.
    pub time: Millis,
    /// Observed value; NaN for a point with only a forecast.
    pub value: f64,
    /// Expected value, if any.
    pub expected: Option<f64>,
    /// Band, if any.
    pub band: Option<(f64, f64)>,
    /// Marked (an anomaly).
    pub marked: bool,
}

/// One series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Panel {
    /// Title (the series name).
    pub title: String,
    /// Points in time order.
    pub points: Vec<PlotPoint>,
}

const WIDTH: f64 = 1100.0;
const PANEL_HEIGHT: f64 = 190.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 50.0;
const GAP: f64 = 45.0;

/// How the axes read.
#[derive(Clone, Copy)]
pub struct Axes<'a> {
    /// The label of a horizontal position (a time, or a line number).
    pub label: &'a dyn Fn(Millis) -> String,
    /// Whether the vertical axis starts at zero (counts) rather than near the smallest value.
    pub zero_based: bool,
}

impl Axes<'static> {
    /// Times (epoch milliseconds, shown in UTC) across, values fitted to the data.
    pub fn time() -> Self {
        Self { label: &format_timestamp, zero_based: false }
    }
}

/// Renders the panels under a title; `legend` names what the band and marks mean. Times are epoch milliseconds.
pub fn render(title: &str, legend: &str, panels: &[Panel]) -> String {
    render_with(title, legend, panels, &Axes::time())
}

/// Like [`render`], with the axes read as `axes` says.
pub fn render_with(title: &str, legend: &str, panels: &[Panel], axes: &Axes<'_>) -> String {
    let height = TOP + panels.len() as f64 * (PANEL_HEIGHT + GAP);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = write!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = write!(svg, r#"<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{}</text>"#, escape(title));
    let _ = write!(svg, r##"<text x="{LEFT}" y="38" fill="#555">{}</text>"##, escape(legend));
    for (index, panel) in panels.iter().enumerate() {
        let top = TOP + index as f64 * (PANEL_HEIGHT + GAP) + 20.0;
        draw_panel(&mut svg, panel, top, axes);
    }
    svg.push_str("</svg>\n");
    svg
}

fn draw_panel(svg: &mut String, panel: &Panel, top: f64, axes: &Axes<'_>) {
    let plot_width = WIDTH - LEFT - RIGHT;
    let _ = write!(svg, r#"<text x="{LEFT}" y="{}" font-weight="bold">{}</text>"#, top - 6.0, escape(&panel.title));
    let _ = write!(
        svg,
        r##"<rect x="{LEFT}" y="{top}" width="{plot_width}" height="{PANEL_HEIGHT}" fill="none" stroke="#bbb"/>"##
    );
    let points = &panel.points;
    let (Some(first), Some(last)) = (points.first(), points.last()) else { return };
    let (low, high) = value_range(points, axes.zero_based);
    let span_t = (last.time - first.time).max(1) as f64;
    let x = |t: Millis| LEFT + (t - first.time) as f64 / span_t * plot_width;
    let y = |v: f64| top + PANEL_HEIGHT - (v.clamp(low, high) - low) / (high - low) * PANEL_HEIGHT;

    let banded: Vec<(Millis, f64, f64)> = points.iter().filter_map(|p| p.band.map(|(l, u)| (p.time, l, u))).collect();
    if !banded.is_empty() {
        let mut path = String::new();
        for (i, (t, _, upper)) in banded.iter().enumerate() {
            let _ = write!(path, "{}{:.1},{:.1} ", if i == 0 { "M" } else { "L" }, x(*t), y(*upper));
        }
        for (t, lower, _) in banded.iter().rev() {
            let _ = write!(path, "L{:.1},{:.1} ", x(*t), y(*lower));
        }
        let _ = write!(svg, r##"<path d="{path}Z" fill="#9ecae1" fill-opacity="0.45" stroke="none"/>"##);
    }
    let expected: Vec<String> =
        points.iter().filter_map(|p| p.expected.map(|e| format!("{:.1},{:.1}", x(p.time), y(e)))).collect();
    if !expected.is_empty() {
        let _ = write!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="#3182bd" stroke-width="1" stroke-dasharray="4 2"/>"##,
            expected.join(" ")
        );
    }
    let values: Vec<String> =
        points.iter().filter(|p| p.value.is_finite()).map(|p| format!("{:.1},{:.1}", x(p.time), y(p.value))).collect();
    let _ = write!(svg, r##"<polyline points="{}" fill="none" stroke="#222" stroke-width="1"/>"##, values.join(" "));
    for point in points.iter().filter(|p| p.marked) {
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#e6550d" stroke="white" stroke-width="0.8"/>"##,
            x(point.time),
            y(point.value)
        );
    }
    // "Now": the first point with a forecast and no value, after points with values.
    let now = points.windows(2).find(|w| w[0].value.is_finite() && !w[1].value.is_finite()).map(|w| w[0].time);
    if let Some(now) = now {
        // The words go on the side with room: right of the line, or left of it near the right edge.
        let (text_x, anchor) =
            if x(now) > LEFT + plot_width * 0.8 { (x(now) - 4.0, "end") } else { (x(now) + 4.0, "start") };
        let _ = write!(
            svg,
            r##"<line x1="{0:.1}" x2="{0:.1}" y1="{top}" y2="{1}" stroke="#777" stroke-dasharray="2 3"/><text x="{2:.1}" y="{3}" fill="#555" text-anchor="{anchor}">now · forecast ahead →</text>"##,
            x(now),
            top + PANEL_HEIGHT,
            text_x,
            top + 12.0
        );
    }
    for (value, label_y) in
        [(high, top + 10.0), ((high + low) / 2.0, top + PANEL_HEIGHT / 2.0 + 4.0), (low, top + PANEL_HEIGHT)]
    {
        let _ = write!(svg, r#"<text x="{}" y="{label_y}" text-anchor="end">{}</text>"#, LEFT - 6.0, number(value));
    }
    let bottom = top + PANEL_HEIGHT + 14.0;
    for tick in 0..TICKS {
        let t = first.time + ((last.time - first.time) as f64 * tick as f64 / (TICKS - 1) as f64) as Millis;
        let anchor = match tick {
            0 => "start",
            t if t == TICKS - 1 => "end",
            _ => "middle",
        };
        let _ = write!(svg, r#"<text x="{:.1}" y="{bottom}" text-anchor="{anchor}">{}</text>"#, x(t), (axes.label)(t));
    }
}

/// Labels along the horizontal axis.
const TICKS: usize = 5;

/// The y range: every value, plus bands and expectations where they stay near the data (a warm-up band can be
/// huge and would flatten the plot); from zero when `zero_based`.
fn value_range(points: &[PlotPoint], zero_based: bool) -> (f64, f64) {
    let bounds = |values: &mut dyn Iterator<Item = f64>| {
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)))
    };
    let (mut low, mut high) = bounds(&mut points.iter().map(|p| p.value).filter(|v| v.is_finite()));
    if !low.is_finite() {
        (low, high) = bounds(&mut points.iter().filter_map(|p| p.expected).filter(|v| v.is_finite()));
    }
    if !low.is_finite() {
        (low, high) = (0.0, 1.0);
    }
    let span = (high - low).max(f64::EPSILON);
    for p in points {
        for v in p.band.map(|(l, u)| [l, u]).into_iter().flatten().chain(p.expected) {
            if v.is_finite() && v > low - span && v < high + span {
                low = low.min(v);
                high = high.max(v);
            }
        }
    }
    if zero_based {
        low = low.min(0.0);
    }
    let pad = ((high - low) * 0.05).max(if high == low { high.abs().max(1.0) * 0.1 } else { 0.0 });
    (if zero_based && low >= 0.0 { 0.0 } else { low - pad }, high + pad)
}

fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1e6 || (magnitude > 0.0 && magnitude < 1e-3) {
        format!("{value:.2e}")
    } else if magnitude >= 100.0 {
        // Axis labels of hundreds and more need no decimals.
        format!("{value:.0}")
    } else {
        format!("{value:.3}").trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
