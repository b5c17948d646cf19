//! What can go wrong when asking for a report.

use thiserror::Error;

/// Why a report could not be made from what was asked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReportError {
    /// A month that is not `YYYY-MM`.
    #[error("'{0}' is not a month; write it as YYYY-MM, e.g. 2026-11")]
    BadMonth(String),
    /// A date that is not `YYYY-MM-DD`.
    #[error("'{0}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-12")]
    BadDate(String),
    /// A range of months that is empty or too long.
    #[error("{0}")]
    BadRange(String),
    /// CSV could not be written.
    #[error("the CSV could not be written: {0}")]
    Csv(String),
}
