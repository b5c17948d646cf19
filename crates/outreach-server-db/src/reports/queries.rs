//! The report queries, written once for both backends: `$n` parameters
//! (text dates `YYYY-MM-DD`, area keys, names), `CAST(... AS TEXT)` for ids
//! and bodies, and only the generated `rpt_*` columns of migration 0002
//! (whose meaning that migration documents) in conditions.

use super::access::ViewerScope;
use super::{Param, Source, Val};
use crate::error::{DbError, Result};
use crate::model::{Actor, parse_role};
use chrono::{NaiveDate, NaiveTime};
use outreach_domain::{Episode, LivingSituation, Sighting, StreetCount};
use outreach_reports::definitions::{institutions, parse_situation, situation_tag};
use outreach_reports::framework::FrameworkCounts;
use outreach_reports::monitoring::{ScoreRow, outcome_movements};
use outreach_reports::snapshot::snapshot;
use outreach_reports::{
    CaseFacts, Definitions, MonitoringInputs, Month, MoveFacts, PersonFacts, SnapshotReturn, Suppression, TeamView,
};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// `alias` is not an original that a live amendment replaces.
fn not_amended(alias: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM records am WHERE am.rpt_amends = CAST({alias}.id AS TEXT))")
}

/// The person a record `alias` is about: its client, or the client that
/// client was merged into (the same person recorded twice; migration 0003).
fn person(alias: &str) -> String {
    format!(
        "COALESCE((SELECT pm.person_id FROM client_merges pm WHERE pm.client_id = {alias}.client_id), {alias}.client_id)"
    )
}

/// Record `alias` is about `who` (a client standing for itself, as
/// [`person`] gives): recorded against it or a client merged into it.
fn about(alias: &str, who: &str) -> String {
    format!(
        "{alias}.client_id IN (SELECT {who} UNION ALL \
         SELECT pm.client_id FROM client_merges pm WHERE pm.person_id = {who})"
    )
}

/// Client record `alias` stands for itself: it was not merged into another.
fn not_merged_away(alias: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM client_merges pm WHERE pm.client_id = {alias}.id AND pm.person_id <> {alias}.id)"
    )
}

/// A SQL list of living situation tags (from the domain enum, never user text).
fn situations(list: &[LivingSituation]) -> String {
    let tags: Vec<String> = list.iter().map(|s| format!("'{}'", situation_tag(*s).replace('\'', ""))).collect();
    if tags.is_empty() { "''".into() } else { tags.join(", ") }
}

/// The teams and areas of a signed-in user, and their roles.
pub(super) async fn viewer_scope<S: Source>(src: &mut S, actor: &Actor) -> Result<ViewerScope> {
    let rows = src
        .rows(
            "SELECT t.name, ta.area, ta.area_key FROM team_members tm JOIN teams t ON t.id = tm.team_id \
             LEFT JOIN team_areas ta ON ta.team_id = t.id WHERE CAST(tm.user_id AS TEXT) = $1",
            &[actor.user_id.to_string().into()],
        )
        .await?;
    let mut scope = ViewerScope { roles: actor.roles.clone(), ..ViewerScope::default() };
    for row in rows {
        if let Some(team) = row[0].text() {
            scope.teams.insert(team.to_string());
        }
        if let (Some(area), Some(key)) = (row[1].text(), row[2].text()) {
            scope.areas.entry(key.to_string()).or_insert_with(|| area.to_string());
        }
    }
    // Roles as stored now (a role removed since sign-in no longer counts).
    let roles = src
        .rows("SELECT role FROM user_roles WHERE CAST(user_id AS TEXT) = $1", &[actor.user_id.to_string().into()])
        .await?;
    scope.roles = roles.iter().filter_map(|r| r[0].text().and_then(parse_role)).collect();
    Ok(scope)
}

/// Area key to the name its team typed.
pub(super) async fn area_names<S: Source>(src: &mut S) -> Result<HashMap<String, String>> {
    let rows = src.rows("SELECT area_key, area FROM team_areas ORDER BY area", &[]).await?;
    let mut out = HashMap::new();
    for row in rows {
        if let (Some(key), Some(area)) = (row[0].text(), row[1].text()) {
            out.entry(key.to_string()).or_insert_with(|| area.to_string());
        }
    }
    Ok(out)
}

/// Every area any team covers, by name.
pub(super) async fn all_areas<S: Source>(src: &mut S) -> Result<Vec<String>> {
    let names: BTreeMap<String, String> = area_names(src).await?.into_iter().collect();
    Ok(names.into_values().collect())
}

/// One night's count records, readable sightings and unreadable ones.
type Night = (Vec<(Uuid, StreetCount)>, Vec<(Uuid, Sighting)>, usize);

/// The count returns of every count night of area `key` from `from` to `to`.
pub(super) async fn snapshots<S: Source>(
    src: &mut S,
    key: &str,
    shown: &str,
    from: NaiveDate,
    to: NaiveDate,
    policy: Suppression,
) -> Result<Vec<SnapshotReturn>> {
    let counts_in = "SELECT c.id FROM records c WHERE c.kind = 'street_count' AND c.area = $1 AND c.rpt_live = 1 \
                     AND c.rpt_day >= $2 AND c.rpt_day <= $3";
    let params: Vec<Param> = vec![key.into(), from.into(), to.into()];
    let count_rows = src
        .rows(
            "SELECT CAST(c.id AS TEXT), CAST(c.data AS TEXT) FROM records c WHERE c.kind = 'street_count' \
             AND c.area = $1 AND c.rpt_live = 1 AND c.rpt_day >= $2 AND c.rpt_day <= $3 ORDER BY c.seq",
            &params,
        )
        .await?;
    let sql = format!(
        "SELECT CAST(s.id AS TEXT), CAST(s.count_id AS TEXT), CAST(s.data AS TEXT), CAST({} AS TEXT) FROM records s \
         WHERE s.kind = 'sighting' AND s.rpt_live = 1 AND s.count_id IN ({counts_in}) AND {} ORDER BY s.seq",
        person("s"),
        not_amended("s")
    );
    let sighting_rows = src.rows(&sql, &params).await?;
    let mut nights: BTreeMap<NaiveDate, Night> = BTreeMap::new();
    let mut night_of: HashMap<Uuid, NaiveDate> = HashMap::new();
    for row in count_rows {
        let (Some(id), Some(body)) = (row[0].text().and_then(|t| Uuid::parse_str(t).ok()), row[1].text()) else {
            continue;
        };
        if let Ok(count) = serde_json::from_str::<StreetCount>(body) {
            night_of.insert(id, count.night_of);
            nights.entry(count.night_of).or_default().0.push((id, count));
        }
    }
    for row in sighting_rows {
        let id = row[0].text().and_then(|t| Uuid::parse_str(t).ok());
        let count = row[1].text().and_then(|t| Uuid::parse_str(t).ok());
        let Some(night) = count.and_then(|c| night_of.get(&c).copied()) else { continue };
        let entry = nights.entry(night).or_default();
        match (id, row[2].text().and_then(|b| serde_json::from_str::<Sighting>(b).ok())) {
            (Some(id), Some(mut s)) => {
                // Two clients merged into one are one person on the night.
                if let Some(person) = row[3].text().and_then(|t| Uuid::parse_str(t).ok()) {
                    s.client_id = Some(person);
                }
                entry.1.push((id, s));
            }
            _ => entry.2 += 1,
        }
    }
    Ok(nights
        .into_iter()
        .map(|(night, (counts, sightings, unreadable))| snapshot(shown, night, &counts, &sightings, unreadable, policy))
        .collect())
}

fn day(v: &Val) -> Result<NaiveDate> {
    v.day().ok_or_else(|| DbError::Corrupt("a report query returned no day where one was expected".into()))
}

/// Per-person facts and moves for area `key` in `month`, counted.
pub(super) async fn framework_counts<S: Source>(
    src: &mut S,
    key: &str,
    month: Month,
    defs: &Definitions,
) -> Result<FrameworkCounts> {
    let (first, next) = (month.first_day(), month.next().first_day());
    let window = defs.long_term_window_start(month.last_day());
    let na = |a: &str| not_amended(a);
    let evidence =
        |a: &str| format!("{a}.rpt_rough = 1 AND {} AND {a}.area = $1 AND {}", about(a, "s.client_id"), na(a));
    let sql = format!(
        "WITH seen AS (SELECT p.client_id AS client_id, min(p.rpt_day) AS first_day, max(p.rpt_day) AS last_day \
           FROM (SELECT {person_r} AS client_id, r.rpt_day AS rpt_day FROM records r \
                 WHERE r.rpt_rough = 1 AND r.area = $1 AND r.rpt_day >= $2 AND r.rpt_day < $3 AND {na_r}) p \
           GROUP BY p.client_id) \
         SELECT s.first_day, s.last_day, \
           (SELECT max(e.rpt_day) FROM records e WHERE {ev} AND e.rpt_day < $2), \
           (SELECT count(DISTINCT e.rpt_day) FROM records e WHERE {ev} AND e.rpt_day >= $4 AND e.rpt_day < $3), \
           (SELECT min(e.rpt_day) FROM records e WHERE {ev} AND e.rpt_day >= $4 AND e.rpt_day < $3), \
           (SELECT max(i.rpt_day) FROM records i WHERE i.rpt_living IN ({inst}) AND {about_i} \
              AND i.rpt_day <= s.last_day AND {na_i}) \
         FROM seen s",
        person_r = person("r"),
        about_i = about("i", "s.client_id"),
        na_r = na("r"),
        na_i = na("i"),
        ev = evidence("e"),
        inst = situations(&institutions()),
    );
    let rows = src.rows(&sql, &[key.into(), first.into(), next.into(), window.into()]).await?;
    let mut people = Vec::with_capacity(rows.len());
    for row in &rows {
        people.push(PersonFacts {
            first_seen: day(&row[0])?,
            last_seen: day(&row[1])?,
            last_seen_before: row[2].day(),
            window_days: u32::try_from(row[3].int()).unwrap_or(0),
            window_first: row[4].day(),
            last_institution: row[5].day(),
        });
    }
    let lookback = defs.lookback_start(first);
    let moves = moves(src, key, month, &defs.long_term_accommodation, lookback).await?;
    let nights: Vec<(NaiveDate, u64)> = snapshots(src, key, key, first, month.last_day(), Suppression::None)
        .await?
        .into_iter()
        .map(|r| (r.night, r.total.as_count().unwrap_or(0)))
        .collect();
    Ok(FrameworkCounts::from_facts(&people, &moves, &nights, defs))
}

/// People whose contact in `month` first recorded one of `into`, with the
/// situation recorded before and the first day seen sleeping rough since `since`.
async fn moves<S: Source>(
    src: &mut S,
    key: &str,
    month: Month,
    into: &[LivingSituation],
    since: NaiveDate,
) -> Result<Vec<MoveFacts>> {
    let sql = format!(
        "WITH moved AS (SELECT x.client_id AS client_id, min(x.rpt_day) AS moved_on \
           FROM (SELECT {person_r} AS client_id, r.rpt_day AS rpt_day FROM records r \
                 WHERE r.kind = 'contact' AND r.area = $1 AND r.rpt_live = 1 AND r.rpt_day >= $2 AND r.rpt_day < $3 \
                 AND r.rpt_living IN ({list}) AND {na_r}) x \
           GROUP BY x.client_id) \
         SELECT m.moved_on, \
           (SELECT p.rpt_living FROM records p WHERE p.rpt_living IS NOT NULL AND {about_p} \
              AND p.rpt_day < m.moved_on AND {na_p} ORDER BY p.rpt_day DESC, p.seq DESC LIMIT 1), \
           (SELECT min(e.rpt_day) FROM records e WHERE e.rpt_rough = 1 AND {about_e} AND e.area = $1 \
              AND e.rpt_day >= $4 AND e.rpt_day <= m.moved_on AND {na_e}) \
         FROM moved m",
        person_r = person("r"),
        about_p = about("p", "m.client_id"),
        about_e = about("e", "m.client_id"),
        list = situations(into),
        na_r = not_amended("r"),
        na_p = not_amended("p"),
        na_e = not_amended("e"),
    );
    let params: Vec<Param> = vec![key.into(), month.first_day().into(), month.next().first_day().into(), since.into()];
    let rows = src.rows(&sql, &params).await?;
    rows.iter()
        .map(|row| {
            Ok(MoveFacts {
                moved_on: day(&row[0])?,
                previous: row[1].text().and_then(parse_situation),
                first_seen: row[2].day(),
            })
        })
        .collect()
}

/// The month's monitoring numbers for area `key`.
pub(super) async fn monitoring_inputs<S: Source>(
    src: &mut S,
    key: &str,
    month: Month,
    defs: &Definitions,
) -> Result<MonitoringInputs> {
    let (first, next, last) = (month.first_day(), month.next().first_day(), month.last_day());
    let p: Vec<Param> = vec![key.into(), first.into(), next.into(), last.into()];
    let mut out = MonitoringInputs::default();
    let open = "(c.rpt_day IS NULL OR c.rpt_day <= $4) AND (c.rpt_until IS NULL OR c.rpt_until > $4)";
    let row = src
        .rows(
            &format!(
                "SELECT sum(CASE WHEN {open} THEN 1 ELSE 0 END), \
                   sum(CASE WHEN c.rpt_day >= $2 AND c.rpt_day < $3 THEN 1 ELSE 0 END), \
                   sum(CASE WHEN c.rpt_until >= $2 AND c.rpt_until < $3 THEN 1 ELSE 0 END) \
                 FROM records c WHERE c.kind = 'client' AND c.area = $1 AND c.rpt_live = 1 AND {}",
                not_merged_away("c")
            ),
            &p,
        )
        .await?;
    if let Some(row) = row.first() {
        out.active_caseload = row[0].int().max(0) as u64;
        out.new_cases = row[1].int().max(0) as u64;
        out.closed_cases = row[2].int().max(0) as u64;
    }
    let in_month = |a: &str, kind: &str| {
        format!(
            "{a}.kind = '{kind}' AND {a}.area = $1 AND {a}.rpt_live = 1 AND {a}.rpt_day >= $2 AND {a}.rpt_day < $3 AND {}",
            not_amended(a)
        )
    };
    for row in src
        .rows(
            &format!("SELECT r.rpt_tag, count(*) FROM records r WHERE {} GROUP BY r.rpt_tag", in_month("r", "contact")),
            &p[..3],
        )
        .await?
    {
        out.add_contacts(row[0].text(), row[1].int().max(0) as u64);
    }
    let moves = moves(src, key, month, &defs.accommodation, NaiveDate::MIN).await?;
    out.moves_into_accommodation =
        moves.iter().filter(|m| m.previous == Some(LivingSituation::RoughSleeping)).count() as u64;
    let agency = format!("%\"{}\"%", defs.housing_first_agency.trim().to_lowercase());
    let mut with_agency = p[..3].to_vec();
    with_agency.push(agency.into());
    let count = |rows: Vec<Vec<Val>>| rows.first().map_or(0, |r| r[0].int().max(0) as u64);
    out.housing_first_referrals = count(
        src.rows(
            &format!(
                "SELECT count(*) FROM records r WHERE {} AND lower(r.rpt_text) LIKE $4",
                in_month("r", "action_plan")
            ),
            &with_agency,
        )
        .await?,
    );
    out.risk_completed = count(
        src.rows(
            &format!(
                "SELECT count(*) FROM records r WHERE {} AND r.rpt_tag = 'completed'",
                in_month("r", "risk_assessment")
            ),
            &p[..3],
        )
        .await?,
    );
    out.risk_overdue = count(
        src.rows(
            &format!(
                "SELECT count(*) FROM records c WHERE c.kind = 'client' AND c.area = $1 AND c.rpt_live = 1 \
                 AND {} AND (c.rpt_day IS NULL OR c.rpt_day <= $2) AND (c.rpt_until IS NULL OR c.rpt_until > $2) \
                 AND (SELECT r.rpt_until FROM records r WHERE {} AND r.kind = 'risk_assessment' \
                      AND r.rpt_live = 1 AND r.rpt_tag = 'completed' AND r.rpt_day <= $2 AND {} \
                      ORDER BY r.rpt_day DESC, r.seq DESC LIMIT 1) < $2",
                not_merged_away("c"),
                about("r", "c.id"),
                not_amended("r")
            ),
            &[key.into(), last.into()],
        )
        .await?,
    );
    let start = first.and_time(NaiveTime::MIN).and_utc();
    let end = next.and_time(NaiveTime::MIN).and_utc();
    out.goals_achieved = count(
        src.rows(
            "SELECT count(*) FROM records g WHERE g.kind = 'goal' AND g.area = $1 AND g.rpt_live = 1 \
             AND g.rpt_tag = 'achieved' AND g.updated_at >= $2 AND g.updated_at < $3",
            &[key.into(), Param::Time(start), Param::Time(end)],
        )
        .await?,
    );
    let scores = src
        .rows(
            &format!(
                "SELECT CAST({} AS TEXT), s.rpt_tag, s.rpt_day, s.rpt_num FROM records s \
                 WHERE s.kind = 'outcome_score' AND s.area = $1 AND s.rpt_live = 1 AND s.rpt_day < $2 \
                 AND s.rpt_num IS NOT NULL AND {}",
                person("s"),
                not_amended("s")
            ),
            &[key.into(), next.into()],
        )
        .await?;
    let scores: Vec<ScoreRow> = scores
        .iter()
        .filter_map(|r| {
            Some(ScoreRow {
                person: r[0].text()?.to_string(),
                area: r[1].text()?.to_string(),
                day: r[2].day()?,
                score: i32::try_from(r[3].int()).ok()?,
            })
        })
        .collect();
    out.movements = outcome_movements(&scores, month);
    Ok(out)
}

/// The team lead view of `team` on `on`.
pub(super) async fn team_view<S: Source>(src: &mut S, team: &str, on: NaiveDate) -> Result<TeamView> {
    let found = src.rows("SELECT name FROM teams WHERE lower(name) = lower($1)", &[team.trim().into()]).await?;
    let Some(name) = found.first().and_then(|r| r[0].text()).map(str::to_string) else {
        return Err(DbError::NotFound { what: "team", name: team.trim().to_string() });
    };
    let members_sql = "SELECT u.name FROM users u JOIN team_members tm ON tm.user_id = u.id \
                       JOIN teams t ON t.id = tm.team_id WHERE t.name = $1";
    let members: Vec<String> = src
        .rows(
            &format!(
                "{members_sql} AND EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id \
                 AND ur.role IN ('worker', 'team_lead')) ORDER BY u.name"
            ),
            &[name.clone().into()],
        )
        .await?
        .iter()
        .filter_map(|r| r[0].text().map(str::to_string))
        .collect();
    let sql = format!(
        "SELECT x.worker, \
           (SELECT r.rpt_until FROM records r WHERE {about_r} AND r.kind = 'risk_assessment' \
              AND r.rpt_live = 1 AND r.rpt_tag = 'completed' AND r.rpt_day <= $2 AND {na} \
              ORDER BY r.rpt_day DESC, r.seq DESC LIMIT 1), \
           c.rpt_text \
         FROM (SELECT DISTINCT a.rpt_tag AS worker, {person_a} AS client_id FROM records a \
               WHERE a.kind = 'caseload_assignment' AND a.rpt_live = 1 \
               AND (a.rpt_day IS NULL OR a.rpt_day <= $2) AND (a.rpt_until IS NULL OR a.rpt_until >= $2) \
               AND a.rpt_tag IN ({members_sql})) x \
         JOIN records c ON c.id = x.client_id \
         WHERE c.kind = 'client' AND c.rpt_live = 1 AND (c.rpt_until IS NULL OR c.rpt_until > $2)",
        na = not_amended("r"),
        about_r = about("r", "x.client_id"),
        person_a = person("a"),
    );
    let rows = src.rows(&sql, &[name.clone().into(), on.into()]).await?;
    let cases: Vec<CaseFacts> = rows
        .iter()
        .filter_map(|r| {
            Some(CaseFacts {
                worker: r[0].text()?.to_string(),
                review_due: r[1].day(),
                episode: r[2].text().and_then(|t| serde_json::from_str::<Option<Episode>>(t).ok()).flatten(),
            })
        })
        .collect();
    Ok(TeamView::new(&name, on, &members, &cases))
}
