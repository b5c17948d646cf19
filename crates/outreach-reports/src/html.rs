//! Printable pages: a self-contained HTML document (no scripts, no outside
//! resources) laid out for A4, that a browser prints as the return.

use crate::Cell;
use crate::chart::{bar_chart, escape};
use crate::snapshot::SnapshotReturn;
use std::fmt::Write;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#111}h1{font-size:1.4em}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #999;padding:4px 10px;text-align:left}\
td.n{text-align:right}caption{text-align:left;font-weight:bold;margin-bottom:4px}\
.note{font-size:.85em;color:#444}@media print{body{margin:0}@page{size:A4;margin:15mm}}";

fn rows(out: &mut String, caption: &str, cells: &[(&str, String)]) {
    let _ = write!(out, "<table><caption>{}</caption>", escape(caption));
    for (label, value) in cells {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td></tr>", escape(label), escape(value));
    }
    out.push_str("</table>");
}

fn shown(cells: &[Cell; 4], labels: [&'static str; 4]) -> Vec<(&'static str, String)> {
    labels.into_iter().zip(cells.iter().map(ToString::to_string)).collect()
}

/// The street count return as a printable page.
pub fn snapshot_page(r: &SnapshotReturn) -> String {
    let mut out = String::new();
    let title = format!("Rough sleeping count return: {}, night of {}", r.area, r.night.format("%-d %B %Y"));
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head><body><h1>{t}</h1>",
        t = escape(&title)
    );
    let window = match (r.window_start, r.window_end) {
        (Some(a), Some(b)) => format!("{} to {}", a.format("%-d %b %Y %H:%M (%:z)"), b.format("%-d %b %Y %H:%M (%:z)")),
        _ => "no count recorded".to_string(),
    };
    let team = if r.team.is_empty() { format!("{} workers", r.team_size) } else { r.team.join(", ") };
    rows(
        &mut out,
        "The count",
        &[
            ("Local authority", r.area.clone()),
            ("Night", r.night.format("%A %-d %B %Y").to_string()),
            ("Approach", r.approach.join("; ")),
            ("Count window", window),
            ("Areas covered", r.areas_covered.join(", ")),
            ("Team", team),
            (
                "In the autumn snapshot period (1 October – 30 November)",
                if r.in_autumn_period { "yes" } else { "no" }.into(),
            ),
        ],
    );
    rows(
        &mut out,
        "People seen sleeping rough",
        &[
            ("Total (each person counted once)", r.total.to_string()),
            ("Sightings recorded", r.sightings.to_string()),
            ("Duplicates removed", r.duplicates_removed.to_string()),
        ],
    );
    rows(
        &mut out,
        "By gender",
        &shown(&r.by_gender, ["Male", "Female", "Other (non-binary or another identity)", "Not known"]),
    );
    rows(&mut out, "By age", &shown(&r.by_age, ["Under 18", "18 to 25", "26 and over", "Not known"]));
    rows(&mut out, "By nationality", &shown(&r.by_nationality, ["UK", "EU (not UK)", "Non-EU", "Not known"]));
    let bars: Vec<(String, Option<f64>)> = ["Male", "Female", "Other", "Not known"]
        .iter()
        .zip(&r.by_gender)
        .map(|(l, c)| (l.to_string(), c.as_count().map(|v| v as f64)))
        .collect();
    out.push_str(&bar_chart("People counted by gender", &bars));
    let _ = writeln!(
        out,
        "<p class=\"note\">Counted: {}. People in hostels or shelters, at campsites, squatters and travellers are not counted. \
         [c] marks a figure under 5 withheld so no one can be identified.{}</p></body></html>",
        escape(crate::definitions::SEEN_SLEEPING_ROUGH),
        if r.unreadable > 0 {
            format!(" {} sighting(s) could not be read and were left out.", r.unreadable)
        } else {
            String::new()
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Suppression;
    use chrono::NaiveDate;

    #[test]
    fn the_page_is_self_contained_and_escaped() {
        let night = NaiveDate::from_ymd_opt(2026, 11, 12).expect("date");
        let r = crate::snapshot::snapshot("Wirral <north>", night, &[], &[], 1, Suppression::None);
        let page = snapshot_page(&r);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("Wirral &lt;north&gt;"));
        assert!(!page.contains("<script"));
        assert!(page.contains("<svg"));
        assert!(page.contains("1 sighting(s) could not be read"));
        assert!(page.contains("Thursday 12 November 2026"));
    }
}
