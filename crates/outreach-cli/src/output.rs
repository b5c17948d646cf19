//! What a command prints: the same result as JSON for scripts (`--json`) or
//! as text for people.

use outreach_store::ClientSummary;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write;

/// A command's result in both forms.
pub struct Output {
    /// Machine-readable form.
    pub json: Value,
    /// Human-readable form.
    pub text: String,
}

impl Output {
    /// A result whose text is given and whose JSON is `value`.
    pub fn new(value: impl Serialize, text: impl Into<String>) -> Self {
        Self { json: serde_json::to_value(value).unwrap_or(Value::Null), text: text.into() }
    }
}

/// One line per client for lists and search results, safety flags first.
pub fn client_lines(hits: &[ClientSummary], today: chrono::NaiveDate) -> String {
    if hits.is_empty() {
        return "No clients found.".into();
    }
    let mut out = String::new();
    for s in hits {
        let risk = s.risk_level.map_or("-".to_string(), |r| r.as_str().to_string());
        let review = match s.review_due {
            Some(d) if d < today => format!("review OVERDUE since {d}"),
            Some(d) => format!("review {d}"),
            None => "no risk assessment".into(),
        };
        let flags = if s.safety_flags.is_empty() {
            String::new()
        } else {
            let texts: Vec<&str> = s.safety_flags.iter().map(|f| f.expose().as_str()).collect();
            format!("  [! {}]", texts.join("; "))
        };
        let dob = s.date_of_birth.as_ref().map_or(String::new(), |d| format!(" b.{}", d.expose()));
        let _ = writeln!(
            out,
            "{}  {}{}  {}  risk {}  {}  {}{}",
            s.id,
            s.display_name.expose(),
            dob,
            s.area,
            risk,
            review,
            if s.workers.is_empty() { "unassigned".to_string() } else { s.workers.join(",") },
            flags
        );
    }
    out.pop();
    out
}
