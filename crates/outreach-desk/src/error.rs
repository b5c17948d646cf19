//! The one error type the UI sees: a kind it can branch on, a message in
//! plain words for a worker, and the input field at fault when known.

use outreach_domain::DomainError;
use outreach_store::StoreError;
use outreach_sync::TransportError;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What kind of failure, for the UI to branch on (`ui/src/api.ts` `DeskErrorKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The store is locked: show the unlock screen.
    Locked,
    /// The passphrase did not open the store; nothing changed.
    WrongPassphrase,
    /// There is no store in the data folder yet.
    NoStore,
    /// A store already exists where one was to be created.
    StoreExists,
    /// Input refused by a rule.
    Invalid,
    /// No such record.
    NotFound,
    /// The server could not be reached.
    Offline,
    /// Sync needs a sign-in first.
    NotSignedIn,
    /// This laptop was revoked; its store was wiped.
    Revoked,
    /// The server refused or failed.
    Server,
    /// A bug or a damaged store.
    Internal,
}

/// A failure of a desk command, as sent to the UI (`{kind, message, field?}`).
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{message}")]
#[serde(rename_all = "camelCase")]
pub struct DeskError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// What happened and what to do, in plain words.
    pub message: String,
    /// The input field at fault (camelCase), for `invalid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Shorthand for results of desk commands.
pub type DeskResult<T> = Result<T, DeskError>;

impl DeskError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), field: None }
    }

    /// An `invalid` error about `field` (given in snake_case or camelCase).
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self { kind: ErrorKind::Invalid, message: message.into(), field: Some(camel_case(field)) }
    }

    /// The store is locked.
    pub fn locked() -> Self {
        Self::new(ErrorKind::Locked, "Outreach is locked. Type your passphrase to unlock it.")
    }

    /// A record was not found.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorKind::NotFound,
            format!("That {what} could not be found on this laptop; it may have been removed."),
        )
    }

    /// An internal failure with `detail`.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::new(ErrorKind::Internal, format!("Something went wrong inside Outreach: {detail}"))
    }
}

/// `safety_plan` → `safetyPlan`.
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

impl From<DomainError> for DeskError {
    fn from(error: DomainError) -> Self {
        match &error {
            DomainError::Invalid { field, reason } => Self::invalid(field, format!("Not saved: {reason}.")),
            DomainError::UnknownArea { .. } => Self::invalid("area", format!("Not saved: {error}.")),
        }
    }
}

impl From<StoreError> for DeskError {
    fn from(error: StoreError) -> Self {
        use StoreError as E;
        match error {
            E::WrongPassphrase => Self::new(
                ErrorKind::WrongPassphrase,
                "That passphrase did not unlock the store. Nothing was changed; check it and try again.",
            ),
            E::AlreadyExists(dir) => Self::new(
                ErrorKind::StoreExists,
                format!("A store already exists in {}; unlock it with its passphrase instead.", dir.display()),
            ),
            E::NotFound(dir) => {
                Self::new(ErrorKind::NoStore, format!("There is no store in {} yet; create one first.", dir.display()))
            }
            E::WeakPassphrase { min } => Self::invalid(
                "passphrase",
                format!(
                    "That passphrase is too short: use at least {min} characters (a few unrelated words work well)."
                ),
            ),
            E::RecordNotFound { kind, .. } => Self::not_found(&kind.replace('_', " ")),
            E::WrongKind { expected, .. } => Self::not_found(&expected.replace('_', " ")),
            E::SignedOff { kind } => Self::new(
                ErrorKind::Invalid,
                format!(
                    "This {} is signed off and cannot be edited; record an amendment that corrects it.",
                    kind.replace('_', " ")
                ),
            ),
            E::BadAmendment { reason, .. } => Self::new(ErrorKind::Invalid, format!("Cannot amend: {reason}.")),
            E::Invalid(domain) => domain.into(),
            // Said as the store says it: what was left, and to call IT.
            wipe @ E::WipeIncomplete { .. } => {
                let text = wipe.to_string();
                let mut chars = text.chars();
                let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
                Self::new(ErrorKind::Revoked, format!("{first}{}.", chars.as_str()))
            }
            other => Self::internal(other),
        }
    }
}

impl From<TransportError> for DeskError {
    fn from(error: TransportError) -> Self {
        match error {
            TransportError::Network(m) => Self::new(
                ErrorKind::Offline,
                format!("Could not reach the sync server ({m}). Check the connection and try again at base."),
            ),
            TransportError::DeviceRevoked => Self::new(
                ErrorKind::Revoked,
                "This laptop has been revoked by an administrator. Ask your team lead or IT.",
            ),
            TransportError::ProtocolTooOld(m) => Self::new(
                ErrorKind::Server,
                format!("This version of Outreach is too old for the server ({m}); update Outreach."),
            ),
            TransportError::Server { code, message } => {
                Self::new(ErrorKind::Server, format!("The server refused: {message} ({code})."))
            }
            other => Self::new(ErrorKind::Server, format!("The server refused: {other}.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_the_ui_expects() {
        let error = DeskError::invalid("safety_plan", "needs a plan");
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "invalid", "message": "needs a plan", "field": "safetyPlan"}));
        let locked = serde_json::to_value(DeskError::locked()).unwrap();
        assert_eq!(locked["kind"], "locked");
        assert!(locked.get("field").is_none());
    }

    #[test]
    fn store_errors_map_to_kinds() {
        assert_eq!(DeskError::from(StoreError::WrongPassphrase).kind, ErrorKind::WrongPassphrase);
        assert_eq!(DeskError::from(StoreError::WeakPassphrase { min: 12 }).field.as_deref(), Some("passphrase"));
        let domain = DomainError::invalid("review_due", "too early");
        let mapped = DeskError::from(StoreError::Invalid(domain));
        assert_eq!((mapped.kind, mapped.field.as_deref()), (ErrorKind::Invalid, Some("reviewDue")));
        assert_eq!(DeskError::from(TransportError::DeviceRevoked).kind, ErrorKind::Revoked);
    }
}
