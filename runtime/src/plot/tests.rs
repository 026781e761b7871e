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

/// The numbers labelling the vertical axis (the texts just left of the panels), top to bottom.
fn y_labels(svg: &str) -> Vec<f64> {
    let axis = format!(r#"<text x="{}" "#, LEFT - 6.0);
    svg.split(axis.as_str())
        .skip(1)
        .filter_map(|rest| rest.split('>').nth(1)?.split('<').next()?.parse().ok())
        .collect()
}

#[test]
fn counts_start_at_zero_and_values_fit_the_data() {
    let mut counts = panel(&[3.0, 4.0, 12.0, 3.0], &[]);
    counts.points.iter_mut().for_each(|p| (p.expected, p.band) = (None, None));
    let zero =
        render_with("t", "", std::slice::from_ref(&counts), &Axes { label: &|t| t.to_string(), zero_based: true });
    assert_eq!(y_labels(&zero).last(), Some(&0.0), "{:?}", y_labels(&zero));
    let fitted = render("t", "", &[counts]);
    assert!(y_labels(&fitted).last().is_some_and(|low| *low > 0.0), "{:?}", y_labels(&fitted));
}

#[test]
fn the_forecast_ahead_is_marked_where_values_stop() {
    let mut history = panel(&[1.0, 1.1, 0.9], &[]);
    let ahead =
        PlotPoint { time: 3 * 60_000, value: f64::NAN, expected: Some(1.0), band: Some((0.8, 1.2)), marked: false };
    assert!(!render("t", "", std::slice::from_ref(&history)).contains("forecast ahead"), "no forecast, no marker");
    history.points.push(ahead);
    assert_eq!(render("t", "", &[history]).matches("forecast ahead").count(), 1);
}

#[test]
fn empty_and_flat_series_do_not_break_the_plot() {
    let svg = render("t", "", &[Panel::default(), panel(&[5.0; 10], &[])]);
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
}

fn xy(name: &str, points: &[(f64, f64)], joined: bool) -> XySeries {
    XySeries {
        name: name.into(),
        points: points.to_vec(),
        labels: points.iter().map(|p| format!("{}", p.0)).collect(),
        color: "#3182bd".into(),
        joined,
    }
}

#[test]
fn an_xy_chart_joins_a_series_and_labels_its_points() {
    let titles = XyTitles { title: "frontier", note: "", x: "pod-hours", y: "under <pod-min>" };
    let svg =
        render_xy(titles, &[xy("HPA", &[(100.0, 50.0), (150.0, 10.0)], true), xy("A", &[(120.0, f64::NAN)], false)]);
    assert_eq!(svg.matches("<polyline").count(), 1);
    assert_eq!(svg.matches("<circle").count(), 2 + 2, "two points and two legend marks; NaN left out");
    assert!(svg.contains("under &lt;pod-min&gt;") && !svg.contains("NaN"));
}

#[test]
fn two_drawings_sit_side_by_side() {
    let left = render("t", "", &[panel(&[1.0, 2.0], &[])]);
    let right = render_xy(XyTitles { title: "f", note: "", x: "x", y: "y" }, &[xy("s", &[(1.0, 1.0)], false)]);
    let both = side_by_side(&left, &right);
    assert!(
        both.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" width="1660" height="460""#),
        "{}",
        &both[..120]
    );
    assert!(both.contains(r#"<svg x="1100" y="0" xmlns"#));
    assert_eq!(both.matches("<svg").count(), 3);
}
