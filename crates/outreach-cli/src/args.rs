//! Parsers for command-line values: enum tags, dates, times and levels.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, TimeZone};
use serde::de::DeserializeOwned;

/// Reads a domain enum from its snake_case tag (hyphens and spaces allowed):
/// `rough-sleeping`, `face_to_face`, `Non Binary`.
pub fn tag<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let normal = text.trim().to_lowercase().replace(['-', ' '], "_");
    serde_json::from_value(serde_json::Value::String(normal)).map_err(|e| {
        // serde says "unknown variant `x`, expected one of `a`, `b`": keep that part.
        let message = e.to_string();
        message.split(" at line").next().unwrap_or(&message).replace('`', "'")
    })
}

/// Reads a date as YYYY-MM-DD or DD/MM/YYYY.
pub fn date(text: &str) -> Result<NaiveDate, String> {
    outreach_store::search::parse_date(text)
        .ok_or_else(|| format!("'{text}' is not a date: use YYYY-MM-DD or DD/MM/YYYY"))
}

/// Reads a time as RFC 3339 (`2026-11-23T02:10:00+00:00`) or as local
/// `YYYY-MM-DD HH:MM`, keeping the offset the worker saw.
pub fn datetime(text: &str) -> Result<DateTime<FixedOffset>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t);
    }
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M")
        .map_err(|_| format!("'{text}' is not a time: use 'YYYY-MM-DD HH:MM' or RFC 3339"))?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.fixed_offset())
        .ok_or_else(|| format!("'{text}' does not exist in the local time zone"))
}

/// Now, with the local offset.
pub fn now() -> DateTime<FixedOffset> {
    Local::now().fixed_offset()
}

/// Reads a risk level.
pub fn risk_level(text: &str) -> Result<outreach_domain::RiskLevel, String> {
    outreach_domain::RiskLevel::parse(text)
        .ok_or_else(|| format!("'{text}' is not a risk level: use low, medium or high"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use outreach_domain::{ContactType, LivingSituation};

    #[test]
    fn tags_accept_hyphens_spaces_and_case() {
        assert_eq!(tag::<LivingSituation>("rough-sleeping"), Ok(LivingSituation::RoughSleeping));
        assert_eq!(tag::<ContactType>("Face To Face"), Ok(ContactType::FaceToFace));
        let err = tag::<LivingSituation>("mansion").unwrap_err();
        assert!(err.contains("rough_sleeping"), "{err}");
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(date("01/02/1990"), Ok(NaiveDate::from_ymd_opt(1990, 2, 1).unwrap()));
        assert!(date("31/02/1990").is_err());
        assert_eq!(datetime("2026-11-23T02:10:00+01:00").unwrap().offset().local_minus_utc(), 3600);
        assert!(datetime("2026-11-23 02:10").is_ok());
        assert!(datetime("yesterday").is_err());
    }
}
