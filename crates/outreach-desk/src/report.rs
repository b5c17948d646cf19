//! The team lead's report, computed locally from the store, and its CSV
//! export (mode 0600, under the data folder's `exports/`; cells that a
//! spreadsheet would run as formulas are written as text).

use crate::inputs::ReportKind;
use crate::views::{self, AreaCountTotals, OverdueReview, WeekContacts, WorkerCaseload, week_start};
use crate::{Desk, DeskError, DeskResult, today};
use chrono::{Duration, Utc};
use outreach_domain as d;
use outreach_reports::export::write_safe_row;
use outreach_store::{ClientFilter, Store};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Weeks of contacts the report covers.
const WEEKS: i64 = 12;

fn team_report(store: &mut Store) -> DeskResult<views::TeamReport> {
    let today = today();
    let clients = store.list_clients(&ClientFilter::default(), today, 0, usize::MAX)?;
    let mut per_worker: BTreeMap<String, WorkerCaseload> = BTreeMap::new();
    let mut unassigned = 0;
    let mut overdue = Vec::new();
    for c in &clients {
        if c.workers.is_empty() {
            unassigned += 1;
        }
        let is_overdue = c.review_overdue(today);
        for w in &c.workers {
            let entry = per_worker.entry(w.clone()).or_insert_with(|| WorkerCaseload {
                worker: w.clone(),
                clients: 0,
                high_risk: 0,
                overdue_reviews: 0,
            });
            entry.clients += 1;
            entry.high_risk += usize::from(c.risk_level == Some(d::RiskLevel::High));
            entry.overdue_reviews += usize::from(is_overdue);
        }
        if let (true, Some(due)) = (is_overdue, c.review_due) {
            overdue.push(OverdueReview {
                client_id: c.id,
                display_name: c.display_name.expose().clone(),
                worker: c.workers.first().cloned(),
                review_due: due,
                days_over: (today - due).num_days(),
            });
        }
    }
    overdue.sort_by(|a, b| b.days_over.cmp(&a.days_over).then(a.display_name.cmp(&b.display_name)));

    let first_week = week_start(today) - Duration::weeks(WEEKS - 1);
    let mut weeks: Vec<WeekContacts> = (0..WEEKS)
        .map(|i| WeekContacts {
            week_start: first_week + Duration::weeks(i),
            contacts: 0,
            key_work: 0,
            street_encounters: 0,
        })
        .collect();
    let since = first_week.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    for (at, purpose) in store.contacts_since(since)? {
        let index = (week_start(at.date_naive()) - first_week).num_weeks();
        if let Some(week) = usize::try_from(index).ok().and_then(|i| weeks.get_mut(i)) {
            week.contacts += 1;
            match purpose.as_str() {
                "key_work" => week.key_work += 1,
                "street_encounter" => week.street_encounters += 1,
                _ => {}
            }
        }
    }

    let mut areas: BTreeMap<String, AreaCountTotals> = BTreeMap::new();
    for count in store.all::<d::StreetCount>()? {
        let entry = areas.entry(count.body.area.clone()).or_insert_with(|| AreaCountTotals {
            area: count.body.area.clone(),
            counts: 0,
            latest_total: None,
            latest_night_of: None,
            total_people: 0,
        });
        entry.counts += 1;
        if count.body.status == d::CountStatus::Closed {
            let people = store.count_report(count.meta.id)?.tally.total;
            entry.total_people += people;
            if entry.latest_night_of.is_none_or(|n| n <= count.body.night_of) {
                entry.latest_night_of = Some(count.body.night_of);
                entry.latest_total = Some(people);
            }
        }
    }
    Ok(views::TeamReport {
        generated_at: Utc::now(),
        caseloads: per_worker.into_values().collect(),
        unassigned,
        overdue_reviews: overdue,
        contacts_per_week: weeks,
        count_totals: areas.into_values().collect(),
    })
}

/// The CSV rows of one table of the report. Overdue reviews carry the
/// client's short id, not the name: a CSV file is not encrypted.
fn rows(report: &views::TeamReport, kind: ReportKind) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let opt = |v: Option<String>| v.unwrap_or_default();
    match kind {
        ReportKind::Caseloads => (
            vec!["worker", "clients", "high_risk", "overdue_reviews"],
            report
                .caseloads
                .iter()
                .map(|c| {
                    vec![
                        c.worker.clone(),
                        c.clients.to_string(),
                        c.high_risk.to_string(),
                        c.overdue_reviews.to_string(),
                    ]
                })
                .collect(),
        ),
        ReportKind::OverdueReviews => (
            vec!["client_id", "worker", "review_due", "days_over"],
            report
                .overdue_reviews
                .iter()
                .map(|o| {
                    let short: String = o.client_id.to_string().chars().take(8).collect();
                    vec![short, opt(o.worker.clone()), o.review_due.to_string(), o.days_over.to_string()]
                })
                .collect(),
        ),
        ReportKind::ContactsPerWeek => (
            vec!["week_start", "contacts", "key_work", "street_encounters"],
            report
                .contacts_per_week
                .iter()
                .map(|w| {
                    vec![
                        w.week_start.to_string(),
                        w.contacts.to_string(),
                        w.key_work.to_string(),
                        w.street_encounters.to_string(),
                    ]
                })
                .collect(),
        ),
        ReportKind::CountTotals => (
            vec!["area", "counts", "latest_night_of", "latest_total", "total_people"],
            report
                .count_totals
                .iter()
                .map(|a| {
                    vec![
                        a.area.clone(),
                        a.counts.to_string(),
                        opt(a.latest_night_of.map(|n| n.to_string())),
                        opt(a.latest_total.map(|n| n.to_string())),
                        a.total_people.to_string(),
                    ]
                })
                .collect(),
        ),
    }
}

fn kind_name(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::Caseloads => "caseloads",
        ReportKind::OverdueReviews => "overdue-reviews",
        ReportKind::ContactsPerWeek => "contacts-per-week",
        ReportKind::CountTotals => "count-totals",
    }
}

/// Creates `path` for writing, readable by its owner only.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn write_csv(dir: &Path, kind: ReportKind, header: &[&str], data: &[Vec<String>]) -> DeskResult<PathBuf> {
    let exports = dir.join("exports");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    let fail = |e: &dyn std::fmt::Display| {
        DeskError::internal(format!("could not write the export in {}: {e}", exports.display()))
    };
    builder.create(&exports).map_err(|e| fail(&e))?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let path = exports.join(format!("{}-{stamp}.csv", kind_name(kind)));
    let file = private_file(&path).map_err(|e| fail(&e))?;
    let mut writer = csv::Writer::from_writer(file);
    write_safe_row(&mut writer, header).map_err(|e| fail(&e))?;
    for row in data {
        write_safe_row(&mut writer, row).map_err(|e| fail(&e))?;
    }
    writer.flush().map_err(|e| fail(&e))?;
    Ok(path)
}

impl Desk {
    /// Caseload sizes, overdue reviews, contacts per week and count totals.
    pub fn team_report(&self) -> DeskResult<views::TeamReport> {
        self.with_store(team_report)
    }

    /// Writes one table of the team report as CSV under `exports/` in the
    /// data folder (readable by this user only) and returns its path.
    pub fn export_report_csv(&self, kind: ReportKind) -> DeskResult<views::ExportResult> {
        let dir = self.shared.data_dir.clone();
        self.with_store(|store| {
            let report = team_report(store)?;
            let (header, data) = rows(&report, kind);
            let path = write_csv(&dir, kind, &header, &data)?;
            store.audit_report_export(&format!("report {} ({} rows)", kind_name(kind), data.len()))?;
            Ok(views::ExportResult { path: path.display().to_string(), rows: data.len() })
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::inputs::*;
    use crate::testing::desk;

    #[test]
    fn exported_cells_that_look_like_formulas_are_written_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let desk = crate::Desk::new(dir.path().join("data"));
        desk.create_store(crate::testing::PASSPHRASE, "=HYPERLINK(\"http://x\")").unwrap();
        desk.add_client(ClientInput { name: Some("A Person".into()), area: "Liverpool".into(), ..Default::default() })
            .unwrap();
        let export = desk.export_report_csv(ReportKind::Caseloads).unwrap();
        let text = std::fs::read_to_string(&export.path).unwrap();
        assert_eq!(text, "worker,clients,high_risk,overdue_reviews\n\"'=HYPERLINK(\"\"http://x\"\")\",1,0,0\n");
    }

    #[test]
    fn report_counts_and_private_csv() {
        let (_dir, desk) = desk();
        for name in ["A Person", "B Person"] {
            let id = desk
                .add_client(ClientInput { name: Some(name.into()), area: "Liverpool".into(), ..Default::default() })
                .unwrap()
                .id;
            desk.add_contact(ContactInput {
                client_id: id,
                at: None,
                location: None,
                contact_type: None,
                purpose: outreach_domain::ContactPurpose::KeyWork,
                notes: "Check-in".into(),
                outcome: None,
                living_situation: None,
                bedded_down: None,
            })
            .unwrap();
        }
        let count = desk.start_count(StartCountInput { area: "Sefton".into(), ..Default::default() }).unwrap();
        desk.record_sighting(count.id, SightingInput { location: "Pier".into(), ..Default::default() }).unwrap();
        desk.close_count(count.id).unwrap();

        let report = desk.team_report().unwrap();
        assert_eq!(report.caseloads.len(), 1);
        assert_eq!((report.caseloads[0].worker.as_str(), report.caseloads[0].clients), ("amy.w", 2));
        assert_eq!(report.contacts_per_week.len(), 12);
        assert_eq!(report.contacts_per_week.last().map(|w| (w.contacts, w.key_work)), Some((2, 2)));
        assert_eq!(report.count_totals.len(), 1);
        assert_eq!((report.count_totals[0].area.as_str(), report.count_totals[0].total_people), ("Sefton", 1));

        let export = desk.export_report_csv(ReportKind::Caseloads).unwrap();
        assert_eq!(export.rows, 1);
        let text = std::fs::read_to_string(&export.path).unwrap();
        assert_eq!(text, "worker,clients,high_risk,overdue_reviews\namy.w,2,0,0\n");
        assert!(export.path.contains("/exports/"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&export.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
