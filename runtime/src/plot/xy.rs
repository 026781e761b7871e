//! An x-y chart as standalone SVG: series of labelled points, joined or not (e.g. a cost frontier with a strategy's
//! point beside it), and a way to put two SVG drawings side by side in one file.

use std::fmt::Write;

use super::{escape, number};

/// One series of an x-y chart.
#[derive(Clone, Debug, PartialEq)]
pub struct XySeries {
    /// Name, shown in the legend.
    pub name: String,
    /// Points, in the order they are joined.
    pub points: Vec<(f64, f64)>,
    /// A label per point (may be shorter than `points`).
    pub labels: Vec<String>,
    /// SVG colour.
    pub color: String,
    /// Whether the points are joined by a line.
    pub joined: bool,
}

/// Colour of Augur's own point on a frontier chart.
pub const AUGUR_COLOR: &str = "#e6550d";

impl XySeries {
    /// A single, labelled point: one strategy's place beside a frontier.
    pub fn single(name: &str, point: (f64, f64), label: &str, color: &str) -> Self {
        Self { name: name.into(), points: vec![point], labels: vec![label.into()], color: color.into(), joined: false }
    }
}

/// Axis titles, the chart title and a note under it.
#[derive(Clone, Copy, Debug)]
pub struct XyTitles<'a> {
    /// Above the chart.
    pub title: &'a str,
    /// Under the title, in grey (e.g. the figure the chart shows).
    pub note: &'a str,
    /// Under the horizontal axis.
    pub x: &'a str,
    /// Beside the vertical axis.
    pub y: &'a str,
}

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 60.0;
const BOTTOM: f64 = 110.0;

/// Renders the chart; non-finite points are left out.
pub fn render_xy(titles: XyTitles<'_>, series: &[XySeries]) -> String {
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let all: Vec<(f64, f64)> = series.iter().flat_map(|s| s.points.iter().filter(finite).copied()).collect();
    let range = |pick: fn(&(f64, f64)) -> f64| {
        let (low, high) =
            all.iter().map(pick).fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
        if !low.is_finite() {
            return (0.0, 1.0);
        }
        let pad = ((high - low) * 0.08).max(high.abs().max(1.0) * 1e-3);
        // Figures that cannot be negative keep a non-negative axis.
        (if low >= 0.0 { (low - pad).max(0.0) } else { low - pad }, high + pad)
    };
    let ((x0, x1), (y0, y1)) = (range(|p| p.0), range(|p| p.1));
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let x = |v: f64| LEFT + (v - x0) / (x1 - x0) * plot_w;
    let y = |v: f64| TOP + plot_h - (v - y0) / (y1 - y0) * plot_h;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">"#
    );
    let _ = write!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = write!(svg, r#"<text x="{LEFT}" y="20" font-size="13" font-weight="bold">{}</text>"#, escape(titles.title));
    let _ = write!(svg, r##"<text x="{LEFT}" y="36" fill="#555">{}</text>"##, escape(titles.note));
    let _ =
        write!(svg, r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#bbb"/>"##);
    for (value, anchor) in [(x0, "start"), ((x0 + x1) / 2.0, "middle"), (x1, "end")] {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            x(value),
            TOP + plot_h + 14.0,
            number(value)
        );
    }
    for value in [y0, (y0 + y1) / 2.0, y1] {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y(value) + 4.0,
            number(value)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        TOP + plot_h + 30.0,
        escape(titles.x)
    );
    let _ = write!(svg, r#"<text x="{LEFT}" y="{:.1}">{}</text>"#, TOP - 8.0, escape(titles.y));
    for (index, s) in series.iter().enumerate() {
        let points: Vec<(f64, f64)> = s.points.iter().filter(finite).copied().collect();
        if s.joined && points.len() > 1 {
            let line: Vec<String> = points.iter().map(|(a, b)| format!("{:.1},{:.1}", x(*a), y(*b))).collect();
            let _ = write!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5"/>"#,
                line.join(" "),
                escape(&s.color)
            );
        }
        let radius = if s.joined { 3.0 } else { 5.5 };
        for (i, (a, b)) in points.iter().enumerate() {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="{radius}" fill="{}" stroke="white" stroke-width="0.8"/>"#,
                x(*a),
                y(*b),
                escape(&s.color)
            );
            if let Some(label) = s.labels.get(i) {
                let _ = write!(svg, r#"<text x="{:.1}" y="{:.1}">{}</text>"#, x(*a) + 7.0, y(*b) - 6.0, escape(label));
            }
        }
        let legend_y = TOP + plot_h + 50.0 + index as f64 * 15.0;
        let _ = write!(
            svg,
            r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            LEFT + 4.0,
            legend_y - 4.0,
            escape(&s.color),
            LEFT + 14.0,
            legend_y,
            escape(&s.name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// The width and height attributes of an SVG document's root element.
fn size(svg: &str) -> (f64, f64) {
    let root = svg.split('>').next().unwrap_or_default();
    let attribute = |name: &str| {
        let start = root.find(&format!(" {name}=\""))? + name.len() + 3;
        root[start..].split('"').next()?.parse::<f64>().ok()
    };
    (attribute("width").unwrap_or(0.0), attribute("height").unwrap_or(0.0))
}

/// Two SVG documents side by side in one, top-aligned.
pub fn side_by_side(left: &str, right: &str) -> String {
    let ((lw, lh), (rw, rh)) = (size(left), size(right));
    let (width, height) = (lw + rw, lh.max(rh));
    let nested = |svg: &str, offset: f64| svg.trim_end().replacen("<svg ", &format!(r#"<svg x="{offset}" y="0" "#), 1);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} \
         {height}\">{}{}</svg>\n",
        nested(left, 0.0),
        nested(right, lw)
    )
}
