//! Small charts drawn on the server as inline SVG: a bar chart and a line chart from a short
//! series of (label, value). Colours come from the stylesheet (classes, no inline styles), and
//! each chart carries a <title> and a <desc> listing its figures for screen readers.

use maud::{html, Markup};

const W: f64 = 560.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;

fn scale(points: &[(String, f64)]) -> f64 {
    let max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    if max <= 0.0 {
        1.0
    } else {
        max
    }
}

fn described(points: &[(String, f64)]) -> String {
    points
        .iter()
        .map(|(l, v)| format!("{l}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn frame(title: &str, points: &[(String, f64)], marks: Markup) -> Markup {
    let max = scale(points);
    html! {
        svg.chart role="img" viewBox={"0 0 " (W) " " (H)} width=(W) height=(H) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            desc { (described(points)) }
            line.axis x1=(LEFT) y1=(H - BOTTOM) x2=(W) y2=(H - BOTTOM) {}
            line.axis x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(H - BOTTOM) {}
            text x=(LEFT - 6.0) y=(TOP + 4.0) text-anchor="end" { (max) }
            text x=(LEFT - 6.0) y=(H - BOTTOM) text-anchor="end" { "0" }
            (marks)
        }
    }
}

fn step(n: usize) -> f64 {
    (W - LEFT) / n.max(1) as f64
}

fn y(v: f64, max: f64) -> f64 {
    H - BOTTOM - (v.max(0.0) / max) * (H - BOTTOM - TOP)
}

/// One bar per point, labelled underneath.
pub fn bar_chart(title: &str, points: &[(String, f64)]) -> Markup {
    let (max, s) = (scale(points), step(points.len()));
    frame(
        title,
        points,
        html! {
            @for (i, (label, v)) in points.iter().enumerate() {
                @let x = LEFT + i as f64 * s;
                rect.bar x=(x + s * 0.15) y=(y(*v, max)) width=(s * 0.7) height=(H - BOTTOM - y(*v, max)) {}
                text x=(x + s / 2.0) y=(H - 10.0) text-anchor="middle" { (label) }
            }
        },
    )
}

/// A line through the points, in order, labelled underneath.
pub fn line_chart(title: &str, points: &[(String, f64)]) -> Markup {
    let (max, s) = (scale(points), step(points.len()));
    let path = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", LEFT + (i as f64 + 0.5) * s, y(*v, max)))
        .collect::<Vec<_>>()
        .join(" ");
    frame(
        title,
        points,
        html! {
            polyline.line points=(path) {}
            @for (i, (label, _)) in points.iter().enumerate() {
                text x=(LEFT + (i as f64 + 0.5) * s) y=(H - 10.0) text-anchor="middle" { (label) }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series() -> Vec<(String, f64)> {
        vec![
            ("Jan".into(), 3.0),
            ("Feb".into(), 6.0),
            ("<Mar>".into(), 0.0),
        ]
    }

    #[test]
    fn bars_are_scaled_titled_and_escaped() {
        let m = bar_chart("Orders per month", &series()).into_string();
        assert!(m.contains("<title>Orders per month</title>"));
        assert!(
            m.contains("<desc>Jan: 3, Feb: 6, &lt;Mar&gt;: 0</desc>"),
            "{m}"
        );
        assert_eq!(m.matches("<rect class=\"bar\"").count(), 3);
        // The largest bar reaches the top of the plot; an empty one has no height.
        assert!(m.contains(&format!("y=\"{TOP}\"")), "{m}");
        assert!(m.contains("height=\"0\""), "{m}");
        assert!(!m.contains("style="));
    }

    #[test]
    fn a_line_joins_every_point_and_survives_an_all_zero_series() {
        let m = line_chart("Seats", &series()).into_string();
        assert!(m.contains("<polyline class=\"line\""));
        let zeros = vec![("a".to_string(), 0.0), ("b".to_string(), 0.0)];
        let z = line_chart("Empty", &zeros).into_string();
        assert!(!z.contains("NaN"), "{z}");
    }
}
