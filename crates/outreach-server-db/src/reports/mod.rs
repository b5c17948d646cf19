//! Reports computed on the server from the synced records: the street
//! count return, the monthly framework figures, commissioners' monitoring,
//! the team lead view and the series behind the charts.
//!
//! The definitions and calculations live in `outreach-reports` (pure, no
//! I/O). Here: who may see what ([`access`]), the SQL that gathers the
//! small per-person facts those calculations need ([`queries`], written
//! once for both backends over the `rpt_*` columns that migration 0002
//! generates from each record's body), and the audit trail: every report
//! asked for is audited as `report`, every refusal as `report_denied`.
//!
//! No query reads a record body except for street counts and their
//! sightings (a count night has tens or hundreds), so a month's figures over
//! a million contacts are index range scans, not JSON parsing.

pub mod access;
pub(crate) mod postgres;
mod queries;
pub(crate) mod sqlite;

use crate::error::{DbError, Result};
use crate::model::{Actor, AuditEntry};
use crate::scope::area_key;
use access::Grant;
use chrono::{DateTime, NaiveDate, Utc};
use outreach_reports::{Cell, Definitions, FrameworkFigures, MonitoringFigures, Month, SnapshotReturn, TeamView};
use serde::Serialize;
use serde_json::json;

/// Who asks for a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// The operator at the server's command line (named in the audit log):
    /// every report, unsuppressed unless asked.
    Operator {
        /// Who, as the audit log names them.
        name: String,
        /// Produce the commissioners' version (counts under 5 suppressed).
        suppress: bool,
    },
    /// A signed-in user: what their roles and teams allow.
    User(Actor),
}

/// A report to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportRequest {
    /// The street count return for one local authority and night.
    Snapshot {
        /// Local authority.
        area: String,
        /// The night of the count.
        night: NaiveDate,
    },
    /// The count returns of every count night from `from` to `to` (inclusive).
    Nights {
        /// Local authority.
        area: String,
        /// First night.
        from: NaiveDate,
        /// Last night.
        to: NaiveDate,
    },
    /// The framework figures for one local authority and month.
    Framework {
        /// Local authority.
        area: String,
        /// Month.
        month: Month,
    },
    /// Framework figures month by month, per area (the trend chart).
    Trend {
        /// Local authorities; empty means every one the viewer may see.
        areas: Vec<String>,
        /// The last month.
        to: Month,
        /// How many months, 1 to 36.
        months: u32,
    },
    /// Monthly monitoring for one local authority.
    Monitoring {
        /// Local authority.
        area: String,
        /// Month.
        month: Month,
    },
    /// The team lead view of one team on one day.
    Team {
        /// Team name.
        team: String,
        /// The day.
        on: NaiveDate,
    },
}

impl ReportRequest {
    /// The report's name in the audit log and in errors.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Snapshot { .. } => "snapshot",
            Self::Nights { .. } => "nights",
            Self::Framework { .. } => "framework",
            Self::Trend { .. } => "trend",
            Self::Monitoring { .. } => "monitoring",
            Self::Team { .. } => "team",
        }
    }

    fn detail(&self) -> serde_json::Value {
        match self {
            Self::Snapshot { area, night } => json!({"report": self.name(), "area": area, "night": night}),
            Self::Nights { area, from, to } => json!({"report": self.name(), "area": area, "from": from, "to": to}),
            Self::Framework { area, month } | Self::Monitoring { area, month } => {
                json!({"report": self.name(), "area": area, "month": month})
            }
            Self::Trend { areas, to, months } => {
                json!({"report": self.name(), "areas": areas, "to": to, "months": months})
            }
            Self::Team { team, on } => json!({"report": self.name(), "team": team, "on": on}),
        }
    }
}

/// One area's line in a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendSeries {
    /// Local authority.
    pub area: String,
    /// Framework figures, one per month.
    pub figures: Vec<FrameworkFigures>,
}

/// Framework figures month by month, per area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// The months, oldest first.
    pub months: Vec<Month>,
    /// One series per area.
    pub series: Vec<TrendSeries>,
}

/// A finished report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "report", rename_all = "snake_case")]
pub enum Report {
    /// See [`ReportRequest::Snapshot`].
    Snapshot(SnapshotReturn),
    /// See [`ReportRequest::Nights`].
    Nights {
        /// One return per count night, by night.
        nights: Vec<SnapshotReturn>,
    },
    /// See [`ReportRequest::Framework`].
    Framework(FrameworkFigures),
    /// See [`ReportRequest::Trend`].
    Trend(Trend),
    /// See [`ReportRequest::Monitoring`].
    Monitoring(MonitoringFigures),
    /// See [`ReportRequest::Team`].
    Team(TeamView),
}

/// A value read from a report query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Val {
    Null,
    Int(i64),
    Text(String),
}

impl Val {
    fn text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            _ => None,
        }
    }

    fn int(&self) -> i64 {
        match self {
            Self::Int(i) => *i,
            Self::Text(t) => t.parse().unwrap_or(0),
            Self::Null => 0,
        }
    }

    fn day(&self) -> Option<NaiveDate> {
        self.text().and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
    }
}

/// A query parameter: report queries take only text and times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Text(String),
    Time(DateTime<Utc>),
}

impl From<&str> for Param {
    fn from(s: &str) -> Self {
        Self::Text(s.to_string())
    }
}

impl From<String> for Param {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<NaiveDate> for Param {
    fn from(d: NaiveDate) -> Self {
        Self::Text(d.format("%Y-%m-%d").to_string())
    }
}

/// What a backend gives the report engine: rows of one SQL dialect (written
/// with `$1`-style parameters), and the audit log. Each call stands alone
/// (autocommit), so an audited refusal is kept even though the report fails.
pub(crate) trait Source {
    /// Runs a query; every column comes back as text, an integer or null.
    async fn rows(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Vec<Val>>>;
    /// Appends audit entries.
    async fn audit(&mut self, entries: &[AuditEntry]) -> Result<()>;
}

fn refused(reason: impl Into<String>) -> DbError {
    DbError::Refused { code: "forbidden", reason: reason.into() }
}

/// Makes `request` for `viewer`: checks access, audits, gathers and computes.
pub(crate) async fn run<S: Source>(
    src: &mut S,
    viewer: &Viewer,
    request: &ReportRequest,
    defs: &Definitions,
    now: DateTime<Utc>,
) -> Result<Report> {
    validate(request)?;
    let scope = match viewer {
        Viewer::Operator { .. } => None,
        Viewer::User(actor) => Some(queries::viewer_scope(src, actor).await?),
    };
    let (user, device) = match viewer {
        Viewer::Operator { name, .. } => (name.clone(), None),
        Viewer::User(actor) => (actor.user.clone(), Some(actor.device)),
    };
    let entry = |action: &str, detail: serde_json::Value| AuditEntry {
        at: now,
        user: Some(user.clone()),
        device,
        action: action.to_string(),
        record_id: None,
        detail: Some(detail.to_string()),
    };
    let areas_asked = match request {
        ReportRequest::Trend { areas, .. } if areas.is_empty() => match &scope {
            Some(s) => s.area_names(),
            None => queries::all_areas(src).await?,
        },
        ReportRequest::Trend { areas, .. } => distinct_areas(areas),
        ReportRequest::Snapshot { area, .. }
        | ReportRequest::Nights { area, .. }
        | ReportRequest::Framework { area, .. }
        | ReportRequest::Monitoring { area, .. } => vec![area.clone()],
        ReportRequest::Team { .. } => vec![],
    };
    if areas_asked.len() > MAX_TREND_AREAS {
        // Each area of a trend is a query per month: the work a request
        // may ask for stays bounded.
        return Err(DbError::Invalid(format!(
            "a trend covers at most {MAX_TREND_AREAS} areas; name the areas you need (areas=A,B,...)"
        )));
    }
    let grant = match (&scope, viewer) {
        (None, Viewer::Operator { suppress, .. }) => Ok(if *suppress { Grant::Aggregate } else { Grant::Full }),
        (Some(s), _) => access::decide(s, request, &areas_asked),
        (None, Viewer::User(_)) => Err("no scope".to_string()),
    };
    let grant = match grant {
        Ok(g) => g,
        Err(reason) => {
            let mut detail = request.detail();
            detail["reason"] = json!(reason);
            src.audit(&[entry("report_denied", detail)]).await?;
            return Err(refused(reason));
        }
    };
    let mut detail = request.detail();
    detail["suppressed"] = json!(grant == Grant::Aggregate);
    src.audit(&[entry("report", detail)]).await?;

    let policy = grant.suppression(defs);
    let names = queries::area_names(src).await?;
    let shown = |area: &str| names.get(&area_key(area)).cloned().unwrap_or_else(|| area.trim().to_string());
    Ok(match request {
        ReportRequest::Snapshot { area, night } => {
            let mut nights = queries::snapshots(src, &area_key(area), &shown(area), *night, *night, policy).await?;
            Report::Snapshot(
                nights
                    .pop()
                    .unwrap_or_else(|| outreach_reports::snapshot::snapshot(&shown(area), *night, &[], &[], 0, policy)),
            )
        }
        ReportRequest::Nights { area, from, to } => {
            Report::Nights { nights: queries::snapshots(src, &area_key(area), &shown(area), *from, *to, policy).await? }
        }
        ReportRequest::Framework { area, month } => {
            let counts = queries::framework_counts(src, &area_key(area), *month, defs).await?;
            Report::Framework(FrameworkFigures::new(&shown(area), *month, &counts, policy))
        }
        ReportRequest::Trend { to, months, .. } => {
            let months = to.last_n(*months);
            let mut series = Vec::new();
            for area in &areas_asked {
                let mut figures = Vec::new();
                for month in &months {
                    let counts = queries::framework_counts(src, &area_key(area), *month, defs).await?;
                    figures.push(FrameworkFigures::new(&shown(area), *month, &counts, policy));
                }
                series.push(TrendSeries { area: shown(area), figures });
            }
            Report::Trend(Trend { months, series })
        }
        ReportRequest::Monitoring { area, month } => {
            let inputs = queries::monitoring_inputs(src, &area_key(area), *month, defs).await?;
            Report::Monitoring(MonitoringFigures::new(&shown(area), *month, &inputs, policy))
        }
        ReportRequest::Team { team, on } => Report::Team(queries::team_view(src, team, *on).await?),
    })
}

/// The most areas one trend covers (each costs a query per month, up to
/// 36 months): six local authorities in a region fit twice over.
pub const MAX_TREND_AREAS: usize = 12;

/// `areas` with repeats of the same area (by its key: case and spaces
/// aside) left out, first spelling kept.
fn distinct_areas(areas: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    areas.iter().filter(|a| seen.insert(area_key(a))).cloned().collect()
}

/// Refuses requests no one could be given (bad ranges), before any query.
fn validate(request: &ReportRequest) -> Result<()> {
    let blank = |s: &str| s.trim().is_empty();
    match request {
        ReportRequest::Snapshot { area, .. }
        | ReportRequest::Framework { area, .. }
        | ReportRequest::Monitoring { area, .. }
            if blank(area) =>
        {
            Err(DbError::Invalid("name the local authority (area)".into()))
        }
        ReportRequest::Nights { area, from, to } => {
            if blank(area) {
                return Err(DbError::Invalid("name the local authority (area)".into()));
            }
            if to < from || (*to - *from).num_days() > 366 * 3 {
                return Err(DbError::Invalid("give a range of nights from `from` to `to`, at most 3 years".into()));
            }
            Ok(())
        }
        ReportRequest::Trend { months, .. } if !(1..=36).contains(months) => {
            Err(DbError::Invalid("a trend covers 1 to 36 months".into()))
        }
        ReportRequest::Team { team, .. } if blank(team) => Err(DbError::Invalid("name the team".into())),
        _ => Ok(()),
    }
}

/// Shown figures of a trend as chart values (suppressed figures are gaps).
pub fn chart_value(cell: Cell) -> Option<f64> {
    match cell {
        Cell::Count(v) => Some(v as f64),
        Cell::Number(v) => Some(v),
        _ => None,
    }
}
