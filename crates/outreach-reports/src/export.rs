//! CSV exports in stable column layouts. Columns are only ever added at the
//! end, never renamed, reordered or removed, so a spreadsheet built on one
//! version keeps working. Suppressed figures are `[c]`; figures that do not
//! apply are empty. Dates are `YYYY-MM-DD`, times RFC 3339. Cells that a
//! spreadsheet would run as a formula are written as text ([`safe_cell`]).

use crate::snapshot::SnapshotReturn;
use crate::{FrameworkFigures, MonitoringFigures, ReportError, TeamView};
use std::borrow::Cow;

/// A cell as it is safe to write into a CSV file that may be opened in a
/// spreadsheet (CSV or formula injection): text starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return is prefixed with a single quote
/// `'`, as OWASP advises, so a client or place named `=HYPERLINK(...)` is
/// shown as text instead of run as a formula. Every CSV Outreach writes
/// (the server's reports, the desktop app's exports) goes through this.
///
/// One exception: a negative decimal number such as `-3` or `-0.5` (a
/// minus sign, digits and at most one point, nothing else) is left as it
/// is. Figure columns hold such numbers and must stay numbers; a cell of
/// only a sign, digits and a point cannot hold a formula.
pub fn safe_cell(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_negative_number(cell) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// `-` followed by digits with at most one decimal point (at least one digit).
fn is_negative_number(cell: &str) -> bool {
    let Some(rest) = cell.strip_prefix('-') else { return false };
    let mut points = 0;
    let mut digits = 0;
    for c in rest.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => points += 1,
            _ => return false,
        }
    }
    digits > 0 && points <= 1
}

/// Writes one CSV row with every cell passed through [`safe_cell`].
pub fn write_safe_row<W: std::io::Write, S: AsRef<str>>(
    writer: &mut csv::Writer<W>,
    row: impl IntoIterator<Item = S>,
) -> csv::Result<()> {
    for cell in row {
        writer.write_field(safe_cell(cell.as_ref()).as_bytes())?;
    }
    writer.write_record(None::<&[u8]>)
}

/// Columns of the snapshot return, one row per local authority and night.
pub const SNAPSHOT_COLUMNS: [&str; 27] = [
    "local_authority",
    "count_night",
    "in_autumn_period",
    "approach",
    "window_start",
    "window_end",
    "areas_covered",
    "team",
    "team_size",
    "total",
    "male",
    "female",
    "gender_other",
    "gender_not_known",
    "age_under_18",
    "age_18_25",
    "age_26_and_over",
    "age_not_known",
    "uk",
    "eu_non_uk",
    "non_eu",
    "nationality_not_known",
    "sightings",
    "duplicates_removed",
    "unreadable_sightings",
    "count_records",
    "definition",
];

/// Columns of the framework figures, one row per local authority and month.
pub const FRAMEWORK_COLUMNS: [&str; 12] = [
    "local_authority",
    "month",
    "seen_over_month",
    "single_night",
    "single_night_date",
    "new_people",
    "left_institution_85_days",
    "long_term",
    "returners",
    "moved_to_long_term_accommodation",
    "days_to_accommodation_median",
    "days_to_accommodation_mean",
];

/// Columns of monthly monitoring, one row per local authority and month.
pub const MONITORING_COLUMNS: [&str; 17] = [
    "local_authority",
    "month",
    "active_caseload",
    "new_cases",
    "closed_cases",
    "contacts",
    "contacts_face_to_face",
    "contacts_phone",
    "contacts_outreach_shift",
    "contacts_other",
    "moves_into_accommodation",
    "housing_first_referrals",
    "risk_assessments_completed",
    "risk_reviews_overdue",
    "goals_achieved",
    "outcome_scored",
    "outcome_average_movement",
];

/// Columns of the team lead view, one row per worker.
pub const TEAM_COLUMNS: [&str; 9] = [
    "team",
    "date",
    "worker",
    "caseload",
    "reviews_overdue",
    "reviews_due_soon",
    "no_risk_assessment",
    "episodes_nearing_limit",
    "episodes_over_limit",
];

fn write(header: &[&str], rows: Vec<Vec<String>>) -> Result<String, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_safe_row(&mut w, header).map_err(|e| ReportError::Csv(e.to_string()))?;
    for row in rows {
        write_safe_row(&mut w, &row).map_err(|e| ReportError::Csv(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| ReportError::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ReportError::Csv(e.to_string()))
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Snapshot returns as CSV ([`SNAPSHOT_COLUMNS`]).
pub fn snapshot_csv(returns: &[SnapshotReturn]) -> Result<String, ReportError> {
    let rows = returns
        .iter()
        .map(|r| {
            let mut row = vec![
                r.area.clone(),
                r.night.format("%Y-%m-%d").to_string(),
                r.in_autumn_period.to_string(),
                r.approach.join("; "),
                opt(r.window_start.map(|t| t.to_rfc3339())),
                opt(r.window_end.map(|t| t.to_rfc3339())),
                r.areas_covered.join("; "),
                r.team.join("; "),
                r.team_size.to_string(),
                r.total.to_string(),
            ];
            row.extend(r.by_gender.iter().chain(&r.by_age).chain(&r.by_nationality).map(ToString::to_string));
            row.extend([
                r.sightings.to_string(),
                r.duplicates_removed.to_string(),
                r.unreadable.to_string(),
                r.counts.to_string(),
                crate::definitions::SEEN_SLEEPING_ROUGH.to_string(),
            ]);
            row
        })
        .collect();
    write(&SNAPSHOT_COLUMNS, rows)
}

/// Framework figures as CSV ([`FRAMEWORK_COLUMNS`]).
pub fn framework_csv(figures: &[FrameworkFigures]) -> Result<String, ReportError> {
    let rows = figures
        .iter()
        .map(|f| {
            vec![
                f.area.clone(),
                f.month.to_string(),
                f.seen_over_month.to_string(),
                f.single_night.to_string(),
                opt(f.single_night_date.map(|d| d.format("%Y-%m-%d"))),
                f.new_people.to_string(),
                f.left_institution.to_string(),
                f.long_term.to_string(),
                f.returners.to_string(),
                f.moved_to_long_term_accommodation.to_string(),
                f.days_to_accommodation_median.to_string(),
                f.days_to_accommodation_mean.to_string(),
            ]
        })
        .collect();
    write(&FRAMEWORK_COLUMNS, rows)
}

/// Monitoring figures as CSV ([`MONITORING_COLUMNS`]).
pub fn monitoring_csv(figures: &[MonitoringFigures]) -> Result<String, ReportError> {
    let rows = figures
        .iter()
        .map(|f| {
            let mut row = vec![
                f.area.clone(),
                f.month.to_string(),
                f.active_caseload.to_string(),
                f.new_cases.to_string(),
                f.closed_cases.to_string(),
                f.contacts.to_string(),
            ];
            row.extend(f.contacts_by_type.iter().map(ToString::to_string));
            row.extend(
                [
                    f.moves_into_accommodation,
                    f.housing_first_referrals,
                    f.risk_assessments_completed,
                    f.risk_reviews_overdue,
                    f.goals_achieved,
                    f.outcome_scored,
                    f.outcome_average_movement,
                ]
                .iter()
                .map(ToString::to_string),
            );
            row
        })
        .collect();
    write(&MONITORING_COLUMNS, rows)
}

/// The team lead view as CSV ([`TEAM_COLUMNS`]).
pub fn team_csv(view: &TeamView) -> Result<String, ReportError> {
    let rows = view
        .workers
        .iter()
        .map(|w| {
            vec![
                view.team.clone(),
                view.on.format("%Y-%m-%d").to_string(),
                w.worker.clone(),
                w.caseload.to_string(),
                w.reviews_overdue.to_string(),
                w.reviews_due_soon.to_string(),
                w.no_risk_assessment.to_string(),
                w.episodes_nearing_limit.to_string(),
                w.episodes_over_limit.to_string(),
            ]
        })
        .collect();
    write(&TEAM_COLUMNS, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::FrameworkCounts;
    use crate::{Cell, Month, Suppression};

    #[test]
    fn framework_csv_has_the_documented_header_and_marks_suppressed_cells() {
        let counts = FrameworkCounts { seen: 12, new: 3, ..Default::default() };
        let month = Month::parse("2026-11").expect("month");
        let f = FrameworkFigures::new("St Helens, \"east\"", month, &counts, Suppression::Below(5));
        let text = framework_csv(&[f]).expect("csv");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(FRAMEWORK_COLUMNS.join(",").as_str()));
        assert_eq!(lines.next(), Some("\"St Helens, \"\"east\"\"\",2026-11,12,,,[c],0,0,0,0,,"));
    }

    /// Reads `text` back as a spreadsheet would see its cells.
    fn cells(text: &str) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.expect("csv row").iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn safe_cell_neutralises_what_a_spreadsheet_would_run() {
        for (cell, written) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1+2", "'-1+2"),
            ("@SUM(1)", "'@SUM(1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-.", "'-."),
            ("-1.2.3", "'-1.2.3"),
            ("-1e5", "'-1e5"),
            ("-3", "-3"),
            ("-0.5", "-0.5"),
            ("12", "12"),
            ("Jo Bloggs", "Jo Bloggs"),
            ("a=b", "a=b"),
            (" =1", " =1"),
            ("", ""),
        ] {
            assert_eq!(safe_cell(cell), written, "{cell:?}");
        }
        assert!(matches!(safe_cell("Liverpool"), Cow::Borrowed(_)), "safe cells are not copied");
    }

    #[test]
    fn names_that_look_like_formulas_are_written_as_text() {
        let view = TeamView {
            team: "@SUM(1)".into(),
            on: chrono::NaiveDate::from_ymd_opt(2026, 11, 3).expect("date"),
            workers: vec![crate::WorkerRow { worker: "=HYPERLINK(\"http://x\")".into(), ..Default::default() }],
        };
        let rows = cells(&team_csv(&view).expect("csv"));
        assert_eq!(rows[1][0], "'@SUM(1)");
        assert_eq!(rows[1][2], "'=HYPERLINK(\"http://x\")");

        let month = Month::parse("2026-11").expect("month");
        let counts = FrameworkCounts { seen: 12, ..Default::default() };
        let f = FrameworkFigures::new("+cmd|' /C calc'!A0", month, &counts, Suppression::None);
        assert_eq!(cells(&framework_csv(&[f]).expect("csv"))[1][0], "'+cmd|' /C calc'!A0");

        let inputs = crate::MonitoringInputs::default();
        let mut m = MonitoringFigures::new("-2+3", month, &inputs, Suppression::None);
        m.outcome_average_movement = Cell::Number(-0.5);
        let row = &cells(&monitoring_csv(&[m]).expect("csv"))[1];
        assert_eq!(row[0], "'-2+3", "a formula that starts with a minus sign");
        assert_eq!(row[16], "-0.5", "a negative figure stays a number");
    }
}
