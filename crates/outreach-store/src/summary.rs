//! The per-client summary row (`client_index`): what lists, filters and
//! search need, kept current by the store on every write about the client.

use crate::error::Result;
use crate::search::normalise;
use chrono::{DateTime, NaiveDate, Utc};
use outreach_domain::{CaseloadAssignment, Client, Need, RiskAssessment, RiskLevel, Sensitive, SupportStage};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a caseload list or search result shows about one client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientSummary {
    /// The client's id.
    pub id: Uuid,
    /// Name, or description for a person not yet named.
    pub display_name: Sensitive<String>,
    /// Date of birth, if known.
    pub date_of_birth: Option<Sensitive<NaiveDate>>,
    /// Local authority area.
    pub area: String,
    /// Areas of need.
    pub needs: Vec<Need>,
    /// Safety warnings, always shown with the client.
    pub safety_flags: Vec<Sensitive<String>>,
    /// Highest level on the latest completed risk assessment.
    pub risk_level: Option<RiskLevel>,
    /// That assessment's review date.
    pub review_due: Option<NaiveDate>,
    /// Current support stage.
    pub episode_stage: Option<SupportStage>,
    /// Last day the current episode may run.
    pub episode_end: Option<NaiveDate>,
    /// Most recent contact.
    pub last_contact_at: Option<DateTime<Utc>>,
    /// Workers holding the case.
    pub workers: Vec<String>,
    /// Closure date, if closed.
    pub closed_on: Option<NaiveDate>,
    /// Search relevance (1 = exact), when from a search.
    pub score: Option<f32>,
}

impl ClientSummary {
    /// Whether the risk review date has passed on `today`.
    pub fn review_overdue(&self, today: NaiveDate) -> bool {
        self.review_due.is_some_and(|d| d < today)
    }
}

/// Filters for lists and search; all given filters must hold.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClientFilter {
    /// Only this area.
    pub area: Option<String>,
    /// Only clients this worker holds.
    pub worker: Option<String>,
    /// Only clients with this need.
    pub need: Option<Need>,
    /// Only clients at this risk level or higher.
    pub min_risk: Option<RiskLevel>,
    /// Only clients whose risk review is overdue.
    pub overdue_review: bool,
    /// Include closed cases.
    pub include_closed: bool,
}

impl ClientFilter {
    /// Whether `summary` passes on `today`.
    pub fn matches(&self, summary: &ClientSummary, today: NaiveDate) -> bool {
        self.area.as_ref().is_none_or(|a| summary.area.eq_ignore_ascii_case(a))
            && self.worker.as_ref().is_none_or(|w| summary.workers.iter().any(|x| x.eq_ignore_ascii_case(w)))
            && self.need.is_none_or(|n| summary.needs.contains(&n))
            && self.min_risk.is_none_or(|r| summary.risk_level.is_some_and(|l| l >= r))
            && (!self.overdue_review || summary.review_overdue(today))
            && (self.include_closed || summary.closed_on.is_none_or(|c| c > today))
    }
}

fn risk_to_int(level: RiskLevel) -> i64 {
    match level {
        RiskLevel::Low => 0,
        RiskLevel::Medium => 1,
        RiskLevel::High => 2,
    }
}

fn int_to_risk(value: i64) -> Option<RiskLevel> {
    match value {
        0 => Some(RiskLevel::Low),
        1 => Some(RiskLevel::Medium),
        2 => Some(RiskLevel::High),
        _ => None,
    }
}

fn enum_tag<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

fn from_tag<T: for<'de> Deserialize<'de>>(tag: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(tag.to_string())).ok()
}

/// Recomputes the summary row of one client from its records. Called in the
/// same transaction as any write that concerns the client.
pub fn refresh(conn: &Connection, client_id: Uuid, today: NaiveDate) -> Result<()> {
    let id = client_id.to_string();
    let row: Option<(String, bool)> = conn
        .prepare_cached("SELECT data, deleted FROM records WHERE id = ?1 AND kind = 'client'")?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((data, deleted)) = row else {
        // Records about a client this device does not hold yet: nothing to summarise.
        conn.prepare_cached("DELETE FROM client_index WHERE client_id = ?1")?.execute([&id])?;
        return Ok(());
    };
    let Ok(client) = serde_json::from_str::<Client>(&data) else {
        // Unreadable by this version: keep it out of lists rather than fail every write.
        conn.prepare_cached("DELETE FROM client_index WHERE client_id = ?1")?.execute([&id])?;
        return Ok(());
    };
    // A client merged into another is listed and found as the survivor
    // only; its row stays, marked 2, so it can come back on undo.
    let merged_away =
        client.merged_into.is_some() && crate::store::merges::survivor_in(conn, client_id)?.0 != client_id;
    let hidden: i64 = if deleted {
        1
    } else if merged_away {
        2
    } else {
        0
    };
    let latest_risk: Option<String> = conn
        .prepare_cached(
            "SELECT r.data FROM records r
             WHERE r.client_id = ?1 AND r.kind = 'risk_assessment' AND r.deleted = 0
               AND json_extract(r.data, '$.status') = 'completed'
               AND NOT EXISTS (SELECT 1 FROM records a WHERE a.amends = r.id AND a.deleted = 0)
             ORDER BY r.occurred_at DESC LIMIT 1",
        )?
        .query_row([&id], |r| r.get(0))
        .optional()?;
    let risk: Option<RiskAssessment> = latest_risk.and_then(|d| serde_json::from_str(&d).ok());
    let last_contact: Option<String> = conn
        .prepare_cached(
            "SELECT max(occurred_at) FROM records WHERE client_id = ?1 AND kind = 'contact' AND deleted = 0",
        )?
        .query_row([&id], |r| r.get(0))?;
    let mut workers: Vec<String> = conn
        .prepare_cached(
            "SELECT data FROM records WHERE client_id = ?1 AND kind = 'caseload_assignment' AND deleted = 0",
        )?
        .query_map([&id], |r| r.get::<_, String>(0))?
        .filter_map(|d| d.ok().and_then(|d| serde_json::from_str::<CaseloadAssignment>(&d).ok()))
        .filter(|a| a.ended_on.is_none_or(|e| e >= today))
        .map(|a| a.worker)
        .collect();
    workers.sort();
    workers.dedup();

    let mut names: Vec<String> =
        client.name.iter().chain(client.aliases.iter()).map(|n| normalise(n.expose())).collect();
    if let Some(description) = &client.description {
        names.push(normalise(description.expose()));
    }
    names.retain(|n| !n.is_empty());
    let needs: Vec<String> = client.needs.iter().map(enum_tag).collect();
    let flags: Vec<&String> = client.safety_flags.iter().map(|f| f.text.expose()).collect();
    conn.prepare_cached(
        "INSERT OR REPLACE INTO client_index (client_id, display_name, names, date_of_birth, area, needs,
             safety_flags, risk_level, review_due, episode_stage, episode_end, last_contact_at, workers,
             closed_on, deleted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        id,
        client.display_name(),
        names.join("\n"),
        client.date_of_birth.as_ref().map(|d| d.expose().to_string()),
        client.area,
        needs.join(","),
        serde_json::to_string(&flags).unwrap_or_else(|_| "[]".into()),
        risk.as_ref().map(|r| risk_to_int(r.highest_level())),
        risk.as_ref().map(|r| r.review_due.to_string()),
        client.episode.as_ref().filter(|e| e.ended_on.is_none()).map(|e| enum_tag(&e.stage)),
        client
            .episode
            .as_ref()
            .filter(|e| e.ended_on.is_none())
            .and_then(|e| e.stage.limit_end(e.started_on))
            .map(|d| d.to_string()),
        last_contact,
        workers.join(","),
        client.closed_on.map(|d| d.to_string()),
        hidden,
    ])?;
    Ok(())
}

/// Moves a client's last-contact time forward to `at` (a new contact was
/// added): the only part of the summary a new contact can change.
pub fn note_contact(conn: &Connection, client_id: Uuid, at: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE client_index SET last_contact_at = ?2
         WHERE client_id = ?1 AND (last_contact_at IS NULL OR last_contact_at < ?2)",
    )?
    .execute(params![client_id.to_string(), at])?;
    Ok(())
}

/// Recomputes every summary row (after a migration, or to repair).
pub fn rebuild_all(conn: &Connection, today: NaiveDate) -> Result<usize> {
    conn.execute("DELETE FROM client_index", [])?;
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM records WHERE kind = 'client'")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        if let Ok(uuid) = Uuid::parse_str(id) {
            refresh(conn, uuid, today)?;
        }
    }
    Ok(ids.len())
}

/// The columns [`from_row`] reads, in order.
pub const COLUMNS: &str = "client_id, display_name, names, date_of_birth, area, needs, safety_flags, risk_level,
    review_due, episode_stage, episode_end, last_contact_at, workers, closed_on";

fn parse_date(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|t| t.parse().ok())
}

fn split(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').filter(|s| !s.is_empty())
}

/// Reads a summary row selected with [`COLUMNS`]; also returns the
/// normalised names for the search index.
pub fn from_row(row: &Row<'_>) -> rusqlite::Result<(ClientSummary, String)> {
    let id: String = row.get(0)?;
    let needs: String = row.get(5)?;
    let flags: String = row.get(6)?;
    let workers: String = row.get(12)?;
    let stage: Option<String> = row.get(9)?;
    let last_contact: Option<String> = row.get(11)?;
    let summary = ClientSummary {
        id: Uuid::parse_str(&id).unwrap_or_default(),
        display_name: Sensitive::new(row.get(1)?),
        date_of_birth: parse_date(row.get(3)?).map(Sensitive::new),
        area: row.get(4)?,
        needs: split(&needs).filter_map(from_tag).collect(),
        safety_flags: serde_json::from_str(&flags).unwrap_or_default(),
        risk_level: row.get::<_, Option<i64>>(7)?.and_then(int_to_risk),
        review_due: parse_date(row.get(8)?),
        episode_stage: stage.as_deref().and_then(from_tag),
        episode_end: parse_date(row.get(10)?),
        last_contact_at: last_contact
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc)),
        workers: split(&workers).map(String::from).collect(),
        closed_on: parse_date(row.get(13)?),
        score: None,
    };
    Ok((summary, row.get(2)?))
}
