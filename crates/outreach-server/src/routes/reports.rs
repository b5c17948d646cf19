//! `GET /api/v1/reports/...`: the reports of `outreach-server-db`'s
//! `reports` module, as JSON, CSV (stable columns, see
//! `outreach_reports::export`), SVG charts or the printable count return.
//! Team leads see their teams' areas; commissioners aggregates only (small
//! counts suppressed); everyone else is refused with 403, and every request
//! and refusal is audited.

use crate::AppState;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use outreach_reports::chart::{Series, bar_chart, line_chart};
use outreach_reports::{Month, export, html};
use outreach_server_db::reports::chart_value;
use outreach_server_db::{DbError, Report, ReportRequest, Viewer};
use serde::Deserialize;

/// The query parameters every report endpoint reads (each uses some).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportQuery {
    /// Local authority.
    pub area: Option<String>,
    /// Local authorities, comma-separated (trend).
    pub areas: Option<String>,
    /// A count night, `YYYY-MM-DD`.
    pub night: Option<String>,
    /// First night, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last night, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// A month, `YYYY-MM` (the last month of a trend).
    pub month: Option<String>,
    /// Months in a trend.
    pub months: Option<u32>,
    /// A team name.
    pub team: Option<String>,
    /// A day, `YYYY-MM-DD` (team view; default today).
    pub on: Option<String>,
    /// `json` (default), `csv`, `html` or `svg`, as the endpoint offers.
    pub format: Option<String>,
}

fn required<'a>(value: &'a Option<String>, name: &str, example: &str) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::bad_request(format!("give `{name}`, e.g. {name}={example}")))
}

fn date(value: &Option<String>, name: &str) -> Result<NaiveDate, ApiError> {
    let text = required(value, name, "2026-11-12")?;
    outreach_reports::period::parse_date(text).map_err(|e| ApiError::bad_request(format!("`{name}`: {e}")))
}

fn month(value: &Option<String>) -> Result<Month, ApiError> {
    Month::parse(required(value, "month", "2026-11")?).map_err(|e| ApiError::bad_request(format!("`month`: {e}")))
}

fn respond(content_type: &'static str, body: String) -> Response {
    ([(CONTENT_TYPE, content_type)], body).into_response()
}

/// The formats each report offers.
pub fn formats(report: &Report) -> &'static [&'static str] {
    match report {
        Report::Snapshot(_) => &["json", "csv", "html"],
        Report::Nights { .. } | Report::Trend(_) | Report::Team(_) => &["json", "csv", "svg"],
        Report::Framework(_) | Report::Monitoring(_) => &["json", "csv"],
    }
}

/// A report in `format` (`json`, `csv`, `html`, `svg`): its content type and
/// text, or why that format is not offered for it.
pub fn render(report: &Report, format: &str) -> Result<(&'static str, String), String> {
    let format = format.trim().to_ascii_lowercase();
    if !formats(report).contains(&format.as_str()) {
        return Err(format!("`format` must be one of {} for this report", formats(report).join(", ")));
    }
    let csv = |r: Result<String, outreach_reports::ReportError>| {
        r.map(|t| ("text/csv; charset=utf-8", t)).map_err(|e| e.to_string())
    };
    match (report, format.as_str()) {
        (_, "json") => serde_json::to_string(report).map(|t| ("application/json", t)).map_err(|e| e.to_string()),
        (Report::Snapshot(r), "csv") => csv(export::snapshot_csv(std::slice::from_ref(r))),
        (Report::Snapshot(r), _) => Ok(("text/html; charset=utf-8", html::snapshot_page(r))),
        (Report::Nights { nights }, "csv") => csv(export::snapshot_csv(nights)),
        (Report::Nights { nights }, _) => {
            let area = nights.first().map_or_else(String::new, |n| format!(": {}", n.area));
            let bars: Vec<(String, Option<f64>)> =
                nights.iter().map(|n| (n.night.format("%-d %b %Y").to_string(), chart_value(n.total))).collect();
            Ok(("image/svg+xml", bar_chart(&format!("People counted per night{area}"), &bars)))
        }
        (Report::Framework(f), _) => csv(export::framework_csv(std::slice::from_ref(f))),
        (Report::Monitoring(m), _) => csv(export::monitoring_csv(std::slice::from_ref(m))),
        (Report::Trend(t), "csv") => {
            let all: Vec<_> = t.series.iter().flat_map(|s| s.figures.iter().cloned()).collect();
            csv(export::framework_csv(&all))
        }
        (Report::Trend(t), _) => {
            let labels: Vec<String> = t.months.iter().map(Month::to_string).collect();
            let series: Vec<Series> = t
                .series
                .iter()
                .map(|s| Series {
                    name: s.area.clone(),
                    values: s.figures.iter().map(|f| chart_value(f.seen_over_month)).collect(),
                })
                .collect();
            Ok(("image/svg+xml", line_chart("People seen sleeping rough over the month", &labels, &series)))
        }
        (Report::Team(view), "csv") => csv(export::team_csv(view)),
        (Report::Team(view), _) => {
            let bars: Vec<(String, Option<f64>)> =
                view.workers.iter().map(|w| (w.worker.clone(), Some(w.caseload as f64))).collect();
            Ok(("image/svg+xml", bar_chart(&format!("Caseload per worker: {}", view.team), &bars)))
        }
    }
}

async fn answer(
    state: &AppState,
    actor: outreach_server_db::Actor,
    request: ReportRequest,
    q: &ReportQuery,
) -> Result<Response, ApiError> {
    let format = q.format.as_deref().unwrap_or("json");
    let report =
        state.db.report_with(&Viewer::User(actor), &request, &state.config.report_definitions).await.map_err(|e| {
            match e {
                DbError::NotFound { .. } => ApiError::not_found(e.to_string()),
                other => other.into(),
            }
        })?;
    let (content_type, body) = render(&report, format).map_err(ApiError::bad_request)?;
    Ok(respond(content_type, body))
}

/// `GET /api/v1/reports/snapshot?area=&night=&format=json|csv|html`: the
/// street count return for one local authority and night.
pub async fn snapshot(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let request = ReportRequest::Snapshot {
        area: required(&q.area, "area", "Liverpool")?.into(),
        night: date(&q.night, "night")?,
    };
    answer(&state, actor, request, &q).await
}

/// `GET /api/v1/reports/nights?area=&from=&to=&format=json|csv|svg`: every
/// count night's return in a range; `svg` is a bar chart of people per night.
pub async fn nights(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let area = required(&q.area, "area", "Liverpool")?.to_string();
    let request = ReportRequest::Nights { area, from: date(&q.from, "from")?, to: date(&q.to, "to")? };
    answer(&state, actor, request, &q).await
}

/// `GET /api/v1/reports/framework?area=&month=&format=json|csv`: the month's
/// Rough Sleeping Data Framework figures.
pub async fn framework(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let request =
        ReportRequest::Framework { area: required(&q.area, "area", "Liverpool")?.into(), month: month(&q.month)? };
    answer(&state, actor, request, &q).await
}

/// `GET /api/v1/reports/trend?areas=&month=&months=&format=json|csv|svg`:
/// framework figures month by month per area; `svg` is a line chart of
/// people seen sleeping rough over each month.
pub async fn trend(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let to = match &q.month {
        Some(_) => month(&q.month)?,
        None => Month::containing(Utc::now().date_naive()),
    };
    let areas: Vec<String> = q
        .areas
        .as_deref()
        .or(q.area.as_deref())
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    let request = ReportRequest::Trend { areas, to, months: q.months.unwrap_or(12) };
    answer(&state, actor, request, &q).await
}

/// `GET /api/v1/reports/monitoring?area=&month=&format=json|csv`: monthly
/// monitoring for commissioners.
pub async fn monitoring(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let request =
        ReportRequest::Monitoring { area: required(&q.area, "area", "Liverpool")?.into(), month: month(&q.month)? };
    answer(&state, actor, request, &q).await
}

/// `GET /api/v1/reports/team?team=&on=&format=json|csv|svg`: the team lead
/// view; `svg` is a bar chart of caseload per worker.
pub async fn team(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let on = match &q.on {
        Some(_) => date(&q.on, "on")?,
        None => Utc::now().date_naive(),
    };
    let request = ReportRequest::Team { team: required(&q.team, "team", "Liverpool%20Outreach")?.into(), on };
    answer(&state, actor, request, &q).await
}
