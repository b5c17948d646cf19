//! SVG charts, built by hand (a few hundred bytes of markup needs no
//! plotting library): trend lines per area over months, and bars per count
//! night. A suppressed or missing figure is left as a gap, never drawn as 0.
//! The output depends only on the input, so it can be tested and diffed.

use std::fmt::Write;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 160.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 48.0;
/// Colours that stay apart for common colour-vision deficiencies (Okabe–Ito).
const COLOURS: [&str; 8] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// One value per x label; `None` is a gap.
    pub values: Vec<Option<f64>>,
}

/// Escapes text for SVG and HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round upper bound for the y axis and its tick step.
fn scale(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (5.0, 1.0);
    }
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let step = step.max(1.0);
    ((max / step).ceil() * step, step)
}

fn frame(out: &mut String, title: &str, x_labels: &[String], top: f64) -> f64 {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         role=\"img\" aria-label=\"{t}\" font-family=\"sans-serif\" font-size=\"12\">\
         <title>{t}</title><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\
         <text x=\"{LEFT}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{t}</text>",
        t = escape(title)
    );
    let (ymax, step) = scale(top);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let mut v = 0.0;
    while v <= ymax + f64::EPSILON {
        let y = TOP + plot_h - v / ymax * plot_h;
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#dddddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
        v += step;
    }
    let plot_w = WIDTH - LEFT - RIGHT;
    let n = x_labels.len().max(1) as f64;
    let every = (x_labels.len() / 12).max(1);
    for (i, label) in x_labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let x = LEFT + (i as f64 + 0.5) * plot_w / n;
        let _ = write!(
            out,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            HEIGHT - BOTTOM + 18.0,
            escape(label)
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{b:.1}\" x2=\"{:.1}\" y2=\"{b:.1}\" stroke=\"#333333\"/>",
        WIDTH - RIGHT,
        b = TOP + plot_h
    );
    ymax
}

/// A line chart: one line per series over `x_labels`, with a legend.
pub fn line_chart(title: &str, x_labels: &[String], series: &[Series]) -> String {
    let top = series.iter().flat_map(|s| s.values.iter().flatten()).fold(0.0f64, |a, b| a.max(*b));
    let mut out = String::new();
    let ymax = frame(&mut out, title, x_labels, top);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = x_labels.len().max(1) as f64;
    for (k, s) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in s.values.iter().enumerate().take(x_labels.len()) {
            let Some(v) = v else {
                pen_down = false;
                continue;
            };
            let x = LEFT + (i as f64 + 0.5) * plot_w / n;
            let y = TOP + plot_h - v / ymax * plot_h;
            let _ = write!(path, "{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" });
            pen_down = true;
            let _ = write!(
                out,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\"><title>{}: {v}</title></circle>",
                escape(&s.name)
            );
        }
        if !path.is_empty() {
            let _ =
                write!(out, "<path d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>", path.trim_end());
        }
        let ly = TOP + 8.0 + k as f64 * 18.0;
        let lx = WIDTH - RIGHT + 12.0;
        let _ = write!(
            out,
            "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{ly:.1}\">{}</text>",
            ly - 10.0,
            lx + 18.0,
            escape(&s.name)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// A bar chart: one bar per label; `None` is a gap marked '[c]' (suppressed)
/// or left empty.
pub fn bar_chart(title: &str, bars: &[(String, Option<f64>)]) -> String {
    let labels: Vec<String> = bars.iter().map(|(l, _)| l.clone()).collect();
    let top = bars.iter().filter_map(|(_, v)| *v).fold(0.0f64, f64::max);
    let mut out = String::new();
    let ymax = frame(&mut out, title, &labels, top);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = bars.len().max(1) as f64;
    let slot = plot_w / n;
    for (i, (label, v)) in bars.iter().enumerate() {
        let x = LEFT + i as f64 * slot + slot * 0.15;
        match v {
            Some(v) => {
                let h = v / ymax * plot_h;
                let _ = write!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{}: {v}</title></rect>",
                    TOP + plot_h - h,
                    slot * 0.7,
                    COLOURS[0],
                    escape(label)
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#666666\">[c]</text>",
                    x + slot * 0.35,
                    TOP + plot_h - 4.0
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_chart_draws_a_path_per_series_with_gaps() {
        let labels: Vec<String> = ["2026-09", "2026-10", "2026-11"].iter().map(|s| s.to_string()).collect();
        let svg = line_chart(
            "People seen <sleeping rough>",
            &labels,
            &[
                Series { name: "Liverpool".into(), values: vec![Some(10.0), None, Some(14.0)] },
                Series { name: "Wirral".into(), values: vec![Some(3.0), Some(4.0), Some(6.0)] },
            ],
        );
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("&lt;sleeping rough&gt;"), "titles are escaped");
        assert_eq!(svg.matches("<path").count(), 2);
        let liverpool = svg.split("<path d=\"").nth(1).expect("path").split('"').next().expect("d");
        assert_eq!(liverpool.matches('M').count(), 2, "a gap starts a new stroke: {liverpool}");
        assert!(svg.contains(">Wirral</text>"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn bars_and_scale() {
        let svg = bar_chart("Counts", &[("12 Nov".into(), Some(7.0)), ("19 Nov".into(), None)]);
        assert_eq!(svg.matches("<rect x=").count(), 1);
        assert!(svg.contains(">[c]</text>"));
        assert_eq!(scale(7.0), (8.0, 2.0));
        assert_eq!(scale(0.0), (5.0, 1.0));
        assert_eq!(scale(130.0), (150.0, 50.0));
    }
}
