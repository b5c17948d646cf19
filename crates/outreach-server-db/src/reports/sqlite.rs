//! The report engine's [`Source`] on SQLite: one pooled connection, each
//! statement on its own (autocommit). SQLite's steps are synchronous, so
//! the engine's future completes on its first poll.

use super::{Param, Report, ReportRequest, Source, Val, Viewer};
use crate::error::{DbError, Result};
use crate::model::AuditEntry;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, ValueRef};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Report queries over one SQLite connection.
pub(crate) struct SqliteSource<'a> {
    /// The connection.
    pub conn: &'a Connection,
}

/// `$1`-style parameters as SQLite's `?1`.
fn dialect(sql: &str) -> String {
    sql.replace('$', "?")
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Param::Text(t) => Ok(ToSqlOutput::from(t.as_str())),
            Param::Time(t) => t.to_sql(),
        }
    }
}

impl Source for SqliteSource<'_> {
    async fn rows(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Vec<Val>>> {
        let mut stmt = self.conn.prepare_cached(&dialect(sql))?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                vals.push(match row.get_ref(i)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(v) => Val::Int(v),
                    ValueRef::Real(v) => Val::Int(v as i64),
                    ValueRef::Text(t) | ValueRef::Blob(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
                });
            }
            out.push(vals);
        }
        Ok(out)
    }

    async fn audit(&mut self, entries: &[AuditEntry]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO audit_log (at, user_name, device, action, record_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for e in entries {
            stmt.execute(rusqlite::params![
                e.at,
                e.user,
                e.device.map(|d| d.to_string()),
                e.action,
                e.record_id.map(|r| r.to_string()),
                e.detail
            ])?;
        }
        Ok(())
    }
}

/// Makes a report on SQLite (blocking: call on the blocking pool).
pub(crate) fn report(
    conn: &Connection,
    viewer: &Viewer,
    request: &ReportRequest,
    defs: &outreach_reports::Definitions,
    now: DateTime<Utc>,
) -> Result<Report> {
    let mut source = SqliteSource { conn };
    let mut fut = pin!(super::run(&mut source, viewer, request, defs, now));
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => Err(DbError::Task("a SQLite report step unexpectedly waited".into())),
    }
}
