//! Reporting periods: calendar months and the dates that bound them.

use crate::ReportError;
use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar month, the framework's and monitoring's reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month {
    first: NaiveDate,
}

impl Month {
    /// The month containing `day`.
    pub fn containing(day: NaiveDate) -> Self {
        Self { first: day.with_day(1).unwrap_or(day) }
    }

    /// Reads `YYYY-MM`.
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        let text = text.trim();
        NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
            .ok()
            .filter(|_| text.len() == 7)
            .map(|first| Self { first })
            .ok_or_else(|| ReportError::BadMonth(text.to_string()))
    }

    /// The first day.
    pub fn first_day(self) -> NaiveDate {
        self.first
    }

    /// The last day.
    pub fn last_day(self) -> NaiveDate {
        self.next().first.checked_sub_days(Days::new(1)).unwrap_or(self.first)
    }

    /// The month after.
    pub fn next(self) -> Self {
        Self { first: self.first.checked_add_months(Months::new(1)).unwrap_or(self.first) }
    }

    /// The month before.
    pub fn previous(self) -> Self {
        Self { first: self.first.checked_sub_months(Months::new(1)).unwrap_or(self.first) }
    }

    /// `n` months ending with this one, oldest first.
    pub fn last_n(self, n: u32) -> Vec<Month> {
        let mut out = Vec::with_capacity(n as usize);
        let mut m = self;
        for _ in 0..n {
            out.push(m);
            m = m.previous();
        }
        out.reverse();
        out
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first.format("%Y-%m"))
    }
}

impl TryFrom<String> for Month {
    type Error = ReportError;
    fn try_from(value: String) -> Result<Self, ReportError> {
        Self::parse(&value)
    }
}

impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

/// Reads a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Result<NaiveDate, ReportError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| ReportError::BadDate(text.trim().to_string()))
}

/// A date as `YYYY-MM-DD` (how report columns store days).
pub fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_bound() {
        let m = Month::parse("2028-02").expect("month");
        assert_eq!(m.first_day(), NaiveDate::from_ymd_opt(2028, 2, 1).expect("d"));
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2028, 2, 29).expect("d"));
        assert_eq!(m.next().to_string(), "2028-03");
        assert_eq!(Month::parse("2026-12").expect("m").next().to_string(), "2027-01");
        for bad in ["2026-13", "2026", "26-11", "2026-11-01", "november"] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
        let months: Vec<String> = Month::parse("2026-02").expect("m").last_n(3).iter().map(Month::to_string).collect();
        assert_eq!(months, ["2025-12", "2026-01", "2026-02"]);
        assert!(parse_date("2026-02-30").is_err());
    }
}
