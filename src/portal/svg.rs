//! Small charts drawn on the server as inline SVG: a bar chart and a line chart from a short
//! series of (label, value), and horizontal bars of part against whole. Colours come from the
//! stylesheet (classes, no inline styles), and each chart carries a <title> and a <desc>
//! listing its figures for screen readers; each mark carries its figure in `data-value`.

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

fn frame(title: &str, y_label: &str, points: &[(String, f64)], marks: Markup) -> Markup {
    let max = scale(points);
    html! {
        svg.chart role="img" aria-label=(title) viewBox={"0 0 " (W) " " (H)} width=(W) height=(H) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            desc { (described(points)) }
            line.axis x1=(LEFT) y1=(H - BOTTOM) x2=(W) y2=(H - BOTTOM) {}
            line.axis x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(H - BOTTOM) {}
            text x=(LEFT - 6.0) y=(TOP + 4.0) text-anchor="end" { (max) }
            text x=(LEFT - 6.0) y=(H - BOTTOM) text-anchor="end" { "0" }
            @if !y_label.is_empty() {
                text.axis-label x="12" y=((TOP + H - BOTTOM) / 2.0) text-anchor="middle"
                    transform={"rotate(-90 12 " ((TOP + H - BOTTOM) / 2.0) ")"} { (y_label) }
            }
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

/// One bar per point, labelled underneath; `y_label` names the vertical axis.
pub fn bar_chart(title: &str, y_label: &str, points: &[(String, f64)]) -> Markup {
    let (max, s) = (scale(points), step(points.len()));
    frame(
        title,
        y_label,
        points,
        html! {
            @for (i, (label, v)) in points.iter().enumerate() {
                @let x = LEFT + i as f64 * s;
                rect.bar x=(x + s * 0.15) y=(y(*v, max)) width=(s * 0.7) height=(H - BOTTOM - y(*v, max)) data-value=(v) {}
                text x=(x + s / 2.0) y=(H - 10.0) text-anchor="middle" { (label) }
            }
        },
    )
}

/// A line through the points, in order, each marked by a dot and labelled underneath.
pub fn line_chart(title: &str, y_label: &str, points: &[(String, f64)]) -> Markup {
    let (max, s) = (scale(points), step(points.len()));
    let path = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", LEFT + (i as f64 + 0.5) * s, y(*v, max)))
        .collect::<Vec<_>>()
        .join(" ");
    frame(
        title,
        y_label,
        points,
        html! {
            polyline.line points=(path) {}
            @for (i, (label, v)) in points.iter().enumerate() {
                @let x = LEFT + (i as f64 + 0.5) * s;
                circle.point cx=(format!("{x:.1}")) cy=(format!("{:.1}", y(*v, max))) r="3" data-value=(v) {}
                text x=(x) y=(H - 10.0) text-anchor="middle" { (label) }
            }
        },
    )
}

/// One row of a part-of-whole chart: a label, the part and the whole.
pub struct Share {
    pub label: String,
    pub part: f64,
    pub whole: f64,
}

const ROW: f64 = 40.0;

/// Horizontal bars, one per row: a track as long as the row's whole (scaled to the largest
/// whole) with the part drawn over it, the label above and "part / whole" beside it.
pub fn share_chart(title: &str, rows: &[Share]) -> Markup {
    let max = rows.iter().map(|r| r.whole.max(r.part)).fold(0.0, f64::max);
    let max = if max <= 0.0 { 1.0 } else { max };
    let (left, right) = (8.0, 96.0);
    let span = W - left - right;
    let h = TOP + ROW * rows.len().max(1) as f64;
    let desc = rows
        .iter()
        .map(|r| format!("{}: {} / {}", r.label, r.part, r.whole))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        svg.chart role="img" aria-label=(title) viewBox={"0 0 " (W) " " (h)} width=(W) height=(h) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            desc { (desc) }
            @for (i, r) in rows.iter().enumerate() {
                @let top = TOP + i as f64 * ROW;
                text x=(left) y=(top + 10.0) { (r.label) }
                rect.track x=(left) y=(top + 16.0) width=(span * r.whole.max(0.0) / max) height="14" data-value=(r.whole) {}
                rect.bar x=(left) y=(top + 16.0) width=(span * r.part.max(0.0) / max) height="14" data-value=(r.part) {}
                text x=(W - right + 6.0) y=(top + 27.0) { (r.part) " / " (r.whole) }
            }
        }
    }
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
        let m = bar_chart("Orders per month", "Orders", &series()).into_string();
        assert!(m.contains("<title>Orders per month</title>"));
        assert!(
            m.contains("<desc>Jan: 3, Feb: 6, &lt;Mar&gt;: 0</desc>"),
            "{m}"
        );
        assert_eq!(m.matches("<rect class=\"bar\"").count(), 3);
        // The largest bar reaches the top of the plot; an empty one has no height.
        assert!(m.contains(&format!("y=\"{TOP}\"")), "{m}");
        assert!(m.contains("height=\"0\""), "{m}");
        assert!(m.contains("data-value=\"6\""), "{m}");
        assert!(m.contains(">Orders</text>"), "the axis is named: {m}");
        assert!(!m.contains("style="));
    }

    #[test]
    fn shares_draw_the_part_over_its_whole() {
        let rows = vec![
            Share {
                label: "Suite".into(),
                part: 3.0,
                whole: 4.0,
            },
            Share {
                label: "<Plan>".into(),
                part: 0.0,
                whole: 8.0,
            },
        ];
        let m = share_chart("Seats in use", &rows).into_string();
        assert!(
            m.contains("<desc>Suite: 3 / 4, &lt;Plan&gt;: 0 / 8</desc>"),
            "{m}"
        );
        assert_eq!(m.matches("<rect class=\"track\"").count(), 2);
        // The largest whole spans the plot; a part is its share of that.
        let span = W - 8.0 - 96.0;
        assert!(m.contains(&format!("width=\"{span}\"")), "{m}");
        assert!(
            m.contains(&format!("width=\"{}\"", span * 3.0 / 8.0)),
            "{m}"
        );
        assert!(!m.contains("style="));
        let empty = share_chart("None", &[]).into_string();
        assert!(!empty.contains("NaN"));
    }

    #[test]
    fn a_line_joins_every_point_and_survives_an_all_zero_series() {
        let m = line_chart("Seats", "", &series()).into_string();
        assert!(m.contains("<polyline class=\"line\""));
        assert_eq!(m.matches("<circle class=\"point\"").count(), 3);
        let zeros = vec![("a".to_string(), 0.0), ("b".to_string(), 0.0)];
        let z = line_chart("Empty", "", &zeros).into_string();
        assert!(!z.contains("NaN"), "{z}");
    }
}
