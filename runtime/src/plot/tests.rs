//! The SVG plot: structure, marks, escaping and degenerate inputs.

use super::*;

fn panel(values: &[f64], marked: &[usize]) -> Panel {
    Panel {
        title: "rps{pod=\"a<b>\"}".into(),
        points: values
            .iter()
            .enumerate()
            .map(|(i, &value)| PlotPoint {
                time: i as i64 * 60_000,
                value,
                expected: Some(1.0),
                band: Some((0.5, 1.5)),
                marked: marked.contains(&i),
            })
            .collect(),
    }
}

#[test]
fn draws_a_panel_per_series_with_band_line_and_marks() {
    let svg = render("t", "legend", &[panel(&[1.0, 1.2, 9.0, 1.1], &[2]), panel(&[3.0, 3.0], &[])]);
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    assert_eq!(svg.matches("<polyline").count(), 4, "value and expected line per panel");
    assert_eq!(svg.matches("<circle").count(), 1, "one marked point");
    assert_eq!(svg.matches("fill-opacity").count(), 2, "a band per panel");
    assert!(svg.contains("rps{pod=&quot;a&lt;b&gt;&quot;}"), "titles are escaped");
}

#[test]
fn empty_and_flat_series_do_not_break_the_plot() {
    let svg = render("t", "", &[Panel::default(), panel(&[5.0; 10], &[])]);
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
}
