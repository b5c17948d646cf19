//! The report engine's [`Source`] on PostgreSQL: one pooled connection,
//! each statement in its own (autocommit) transaction.

use super::{Param, Report, ReportRequest, Source, Val, Viewer};
use crate::error::{DbError, Result};
use crate::model::AuditEntry;
use chrono::{DateTime, Utc};
use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};

/// Report queries over one PostgreSQL connection.
pub(crate) struct PgSource<'a> {
    /// The connection.
    pub client: &'a Client,
}

fn read(row: &tokio_postgres::Row, i: usize) -> Result<Val> {
    let ty = row.columns()[i].type_().clone();
    Ok(if ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?.map_or(Val::Null, Val::Int)
    } else if ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?.map_or(Val::Null, |v| Val::Int(i64::from(v)))
    } else if ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(i)?.map_or(Val::Null, |v| Val::Int(i64::from(v)))
    } else if ty == Type::TEXT || ty == Type::VARCHAR {
        row.try_get::<_, Option<String>>(i)?.map_or(Val::Null, Val::Text)
    } else {
        return Err(DbError::Corrupt(format!("report query column {i} has type {ty}, expected text or an integer")));
    })
}

impl Source for PgSource<'_> {
    async fn rows(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Vec<Val>>> {
        let owned: Vec<Box<dyn ToSql + Sync + Send>> = params
            .iter()
            .map(|p| -> Box<dyn ToSql + Sync + Send> {
                match p {
                    Param::Text(t) => Box::new(t.clone()),
                    Param::Time(t) => Box::new(*t),
                }
            })
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref() as &(dyn ToSql + Sync)).collect();
        let rows = self.client.query(sql, &refs).await?;
        rows.iter().map(|row| (0..row.len()).map(|i| read(row, i)).collect()).collect()
    }

    async fn audit(&mut self, entries: &[AuditEntry]) -> Result<()> {
        for e in entries {
            self.client
                .execute(
                    "INSERT INTO audit_log (at, user_name, device, action, record_id, detail) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&e.at, &e.user, &e.device, &e.action, &e.record_id, &e.detail],
                )
                .await?;
        }
        Ok(())
    }
}

/// Makes a report on PostgreSQL.
pub(crate) async fn report(
    client: &Client,
    viewer: &Viewer,
    request: &ReportRequest,
    defs: &outreach_reports::Definitions,
    now: DateTime<Utc>,
) -> Result<Report> {
    super::run(&mut PgSource { client }, viewer, request, defs, now).await
}
