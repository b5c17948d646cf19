//! Read queries the desktop app needs beyond the CLI's: caseload pages with
//! a total and extra predicates over the in-memory search index, aliases and
//! names for a page of results, and the figures of the team report. None of
//! them writes anything but the audit entry a list of names requires.

use super::{Store, timestamp};
use crate::audit::{self, AuditAction};
use crate::error::Result;
use crate::summary::{self, ClientFilter, ClientSummary};
use chrono::{DateTime, NaiveDate, Utc};
use outreach_domain::RiskLevel;
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;
use uuid::Uuid;

/// Filters the desktop app's caseload adds to [`ClientFilter`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtraFilter {
    /// Only clients with at least one safety flag.
    pub flagged: bool,
    /// Only clients whose time-limited episode ends on or before this day.
    pub episode_ending_by: Option<NaiveDate>,
}

impl ExtraFilter {
    /// Whether no extra filter is set.
    pub fn is_empty(&self) -> bool {
        !self.flagged && self.episode_ending_by.is_none()
    }

    /// Whether `summary` passes.
    pub fn matches(&self, summary: &ClientSummary) -> bool {
        (!self.flagged || !summary.safety_flags.is_empty())
            && self.episode_ending_by.is_none_or(|by| summary.episode_end.is_some_and(|end| end <= by))
    }
}

/// How many extra search hits to fetch when a predicate filters them after
/// the index has ranked them.
const SEARCH_OVERFETCH: usize = 20;

impl Store {
    /// One page of clients passing `filter` and `extra`, ordered by name as
    /// [`Store::list_clients`] orders them, with how many pass in all. The
    /// page comes from the in-memory search index (built on first use, see
    /// [`Store::warm_search`]); the total from one count over the summary
    /// table, so no call copies every summary. Audited as a list.
    pub fn caseload_page(
        &mut self,
        filter: &ClientFilter,
        extra: &ExtraFilter,
        today: NaiveDate,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<ClientSummary>, usize)> {
        let wanted = offset.saturating_add(limit);
        let index = self.search_index()?;
        let page: Vec<ClientSummary> = if extra.is_empty() {
            index.list(filter, today, offset, limit)
        } else {
            // Fetch a growing prefix of the ordered list until enough of it
            // passes `extra` (or the list ends).
            let mut fetch = wanted.saturating_mul(4).max(200);
            loop {
                let hits = index.list(filter, today, 0, fetch);
                let exhausted = hits.len() < fetch;
                let kept: Vec<ClientSummary> = hits.into_iter().filter(|s| extra.matches(s)).collect();
                if exhausted || kept.len() >= wanted {
                    break kept.into_iter().skip(offset).take(limit).collect();
                }
                fetch = fetch.saturating_mul(4);
            }
        };
        let total = self.count_clients(filter, extra, today)?;
        let detail = format!("listed {}", page.len());
        audit::record(&self.conn, &self.actor, AuditAction::Search, None, None, None, Some(&detail))?;
        Ok((page, total))
    }

    /// How many clients pass `filter` and `extra` (the same rules as
    /// [`ClientFilter::matches`] and [`ExtraFilter::matches`], in SQL).
    pub fn count_clients(&self, filter: &ClientFilter, extra: &ExtraFilter, today: NaiveDate) -> Result<usize> {
        let need = filter.need.and_then(|n| serde_json::to_value(n).ok()).and_then(|v| v.as_str().map(String::from));
        let risk = filter.min_risk.map(|r| match r {
            RiskLevel::Low => 0,
            RiskLevel::Medium => 1,
            RiskLevel::High => 2,
        });
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM client_index WHERE deleted = 0
                   AND (?1 IS NULL OR area = ?1 COLLATE NOCASE)
                   AND (?2 IS NULL OR instr(lower(',' || workers || ','), lower(',' || ?2 || ',')) > 0)
                   AND (?3 IS NULL OR instr(',' || needs || ',', ',' || ?3 || ',') > 0)
                   AND (?4 IS NULL OR risk_level >= ?4)
                   AND (?5 = 0 OR review_due < ?6)
                   AND (?7 = 1 OR closed_on IS NULL OR closed_on > ?6)
                   AND (?8 = 0 OR safety_flags <> '[]')
                   AND (?9 IS NULL OR episode_end <= ?9)",
            )?
            .query_row(
                params![
                    filter.area,
                    filter.worker,
                    need,
                    risk,
                    filter.overdue_review,
                    today.to_string(),
                    filter.include_closed,
                    extra.flagged,
                    extra.episode_ending_by.map(|d| d.to_string()),
                ],
                |r| r.get(0),
            )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Fuzzy search as [`Store::search`], keeping only hits that pass `extra`.
    pub fn search_where(
        &mut self,
        query: &str,
        filter: &ClientFilter,
        extra: &ExtraFilter,
        today: NaiveDate,
        limit: usize,
    ) -> Result<Vec<ClientSummary>> {
        let fetch = limit.saturating_mul(SEARCH_OVERFETCH);
        let hits: Vec<ClientSummary> = self
            .search_index()?
            .search(query, filter, today, fetch)
            .into_iter()
            .filter(|s| extra.matches(s))
            .take(limit)
            .collect();
        let detail = format!("{} results", hits.len());
        audit::record(&self.conn, &self.actor, AuditAction::Search, None, None, None, Some(&detail))?;
        Ok(hits)
    }

    /// The aliases of these clients as recorded (not normalised), by id.
    pub fn client_aliases(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<String>>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT json_extract(data, '$.aliases') FROM records WHERE id = ?1 AND kind = 'client' AND deleted = 0",
        )?;
        let mut out = HashMap::with_capacity(ids.len());
        for id in ids {
            let json: Option<Option<String>> = stmt.query_row([id.to_string()], |r| r.get(0)).optional()?;
            let aliases: Vec<String> = json.flatten().and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default();
            out.insert(*id, aliases);
        }
        Ok(out)
    }

    /// The summary row of one client, if this device holds it.
    pub fn client_summary(&self, id: Uuid) -> Result<Option<ClientSummary>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM client_index WHERE client_id = ?1 AND deleted = 0",
                summary::COLUMNS
            ))?
            .query_row([id.to_string()], summary::from_row)
            .optional()?
            .map(|(summary, _)| summary))
    }

    /// Records in the audit log that a report was exported (no client data
    /// in `detail`).
    pub fn audit_report_export(&mut self, detail: &str) -> Result<()> {
        audit::record(&self.conn, &self.actor, AuditAction::Export, None, None, None, Some(detail))
    }

    /// The list name of one client, if this device holds it.
    pub fn client_display_name(&self, id: Uuid) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT display_name FROM client_index WHERE client_id = ?1 AND deleted = 0")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?)
    }

    /// The client a record is about, if any (for conflicts and attention lists).
    pub fn client_of_record(&self, id: Uuid) -> Result<Option<Uuid>> {
        let client: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT client_id FROM records WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        Ok(client.flatten().and_then(|c| Uuid::parse_str(&c).ok()))
    }

    /// Live sightings per street count.
    pub fn sightings_per_count(&self) -> Result<HashMap<Uuid, usize>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT json_extract(data, '$.count_id'), count(*) FROM records
             WHERE kind = 'sighting' AND deleted = 0 AND amends IS NULL GROUP BY 1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, n) = row?;
            if let Some(id) = id.and_then(|i| Uuid::parse_str(&i).ok()) {
                out.insert(id, usize::try_from(n).unwrap_or(0));
            }
        }
        Ok(out)
    }

    /// When each live contact since `since` happened and its purpose tag
    /// (`key_work`, `street_encounter`), oldest first, for weekly figures.
    pub fn contacts_since(&self, since: DateTime<Utc>) -> Result<Vec<(DateTime<Utc>, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT occurred_at, json_extract(data, '$.purpose') FROM records
             WHERE kind = 'contact' AND deleted = 0 AND occurred_at >= ?1 ORDER BY occurred_at",
        )?;
        let rows = stmt
            .query_map(params![timestamp(since)], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (at, purpose) = row?;
            if let Ok(at) = DateTime::parse_from_rfc3339(&at) {
                out.push((at.with_timezone(&Utc), purpose.unwrap_or_default()));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use outreach_domain::{Client, SafetyFlag};

    #[test]
    fn caseload_page_filters_counts_and_pages() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::init(dir.path(), "desk queries test passphrase", "amy.w").unwrap();
        let today = Utc::now().date_naive();
        for i in 0..5 {
            let mut client = Client {
                name: Some(format!("Person {i}").into()),
                aliases: vec![format!("Alias {i}").into()],
                area: "Liverpool".into(),
                ..Default::default()
            };
            if i % 2 == 0 {
                client.safety_flags.push(SafetyFlag {
                    text: "Do not visit alone".to_string().into(),
                    raised_on: today,
                    raised_by: "amy.w".into(),
                });
            }
            store.create(client).unwrap();
        }
        let flagged = ExtraFilter { flagged: true, episode_ending_by: None };
        let (page, total) = store.caseload_page(&ClientFilter::default(), &flagged, today, 1, 1).unwrap();
        assert_eq!(total, 3);
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].display_name.expose(), "Person 2");
        let aliases = store.client_aliases(&[page[0].id]).unwrap();
        assert_eq!(aliases[&page[0].id], vec!["Alias 2".to_string()]);
        assert_eq!(store.client_display_name(page[0].id).unwrap().as_deref(), Some("Person 2"));
        assert_eq!(store.client_summary(page[0].id).unwrap().map(|s| s.id), Some(page[0].id));
        assert!(store.client_summary(Uuid::nil()).unwrap().is_none());
        let hits = store.search_where("person", &ClientFilter::default(), &flagged, today, 10).unwrap();
        assert_eq!(hits.len(), 3);
        assert!(hits.iter().all(|h| !h.safety_flags.is_empty()));
    }
}
